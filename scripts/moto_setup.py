"""Prepares a running moto server for the publishing tests and prints the fixture as JSON.

Creates, with signature checking still off: an IAM user with an access key allowed to invoke Lambda and assume
the publisher role; the publisher role (its trust policy requires the external ID); and the publish function,
which moto runs without Docker (an invoke echoes its payload back unless canned replies are queued). Then turns
signature checking on, so that every later request must be signed with the user's key or the role's temporary
credentials.

    python scripts/moto_setup.py http://127.0.0.1:PORT > fixture.json
"""

import io
import json
import sys
import urllib.request
import zipfile

import boto3

REGION = "us-east-1"
EXTERNAL_ID = "hotsock-test-external-id"


def moto_api(endpoint, path, body, content_type="application/json"):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(endpoint + path, data=data, method="POST", headers={"Content-Type": content_type})
    with urllib.request.urlopen(req) as resp:
        return resp.read()


def main(endpoint):
    moto_api(endpoint, "/moto-api/config", {"lambda": {"use_docker": False}})
    session = boto3.session.Session(aws_access_key_id="setup", aws_secret_access_key="setup", region_name=REGION)
    iam = session.client("iam", endpoint_url=endpoint)
    lam = session.client("lambda", endpoint_url=endpoint)

    policy = iam.create_policy(
        PolicyName="hotsock-publisher",
        PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [
                # moto authorizes an Invoke as "lambda:Invoke" where AWS says "lambda:InvokeFunction"
                {
                    "Effect": "Allow",
                    "Action": ["lambda:InvokeFunction", "lambda:Invoke", "sts:AssumeRole"],
                    "Resource": "*",
                },
            ],
        }),
    )["Policy"]["Arn"]
    user = iam.create_user(UserName="hotsock-backend")["User"]["Arn"]
    iam.attach_user_policy(UserName="hotsock-backend", PolicyArn=policy)
    key = iam.create_access_key(UserName="hotsock-backend")["AccessKey"]

    role = iam.create_role(
        RoleName="hotsock-publisher",
        AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"AWS": user},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}},
            }],
        }),
    )["Role"]["Arn"]
    iam.attach_role_policy(RoleName="hotsock-publisher", PolicyArn=policy)

    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as z:
        z.writestr("bootstrap", "#!/bin/sh\n")
    function = lam.create_function(
        FunctionName="Hotsock-PublishFunction",
        Runtime="provided.al2023",
        Role=role,
        Handler="bootstrap",
        Code={"ZipFile": code.getvalue()},
    )["FunctionArn"]

    # from here on, every request must carry a valid signature
    moto_api(endpoint, "/moto-api/reset-auth", b"0", content_type="text/plain")

    json.dump({
        "endpoint": endpoint,
        "region": REGION,
        "access_key_id": key["AccessKeyId"],
        "secret_access_key": key["SecretAccessKey"],
        "role_arn": role,
        "external_id": EXTERNAL_ID,
        "function_name": "Hotsock-PublishFunction",
        "function_arn": function,
    }, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
