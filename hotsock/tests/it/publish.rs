//! Publishing against moto, an independent implementation of Lambda Invoke and STS, with signature checking
//! on: moto echoes an invocation's payload back, so the echo is exactly the bytes it received.

use std::time::Duration;

use hotsock::{ErrorKind, InvocationMode, Message, Publisher};

use crate::moto;

const GEM_CASE: &str = r#"{"event":"myevent","channel":"mychannel","data":{"some":"data"},"deduplicationId":"abc","eagerIdGeneration":true,"emitPubSubEvent":true,"store":100}"#;

/// The gem's test 15: every common attribute, in the gem's order, camelCase.
fn gem_message() -> Message {
    Message::new("mychannel", "myevent")
        .data(&serde_json::json!({"some": "data"}))
        .deduplication_id("abc")
        .eager_id_generation(true)
        .emit_pub_sub_event(true)
        .store(100)
}

/// Publishes the gem's test-15 message with `config` and checks that moto received exactly its JSON.
async fn assert_publishes_gem_case(config: &hotsock::Config) {
    let output = Publisher::new(config)
        .await
        .unwrap()
        .publish(&gem_message())
        .await
        .unwrap();
    assert_eq!(
        std::str::from_utf8(output.payload()).unwrap(),
        GEM_CASE,
        "moto received exactly this"
    );
}

#[tokio::test]
async fn publish_by_function_name_with_static_keys() {
    let _lock = moto::lock().await;
    let publisher = Publisher::new(&moto::config().build().unwrap())
        .await
        .unwrap();
    let output = publisher.publish(&gem_message()).await.unwrap();
    assert_eq!(output.status_code(), 200);
    assert_eq!(output.function_error(), None);
    assert!(output.request_id().is_some());
    assert_eq!(
        std::str::from_utf8(output.payload()).unwrap(),
        GEM_CASE,
        "moto received exactly this"
    );
}

#[tokio::test]
async fn publish_by_full_arn() {
    let _lock = moto::lock().await;
    let config = moto::config()
        .publish_function_arn(&moto::fixture().function_arn)
        .build()
        .unwrap();
    let publisher = Publisher::new(&config).await.unwrap();
    assert_eq!(publisher.function(), moto::fixture().function_arn);
    let output = publisher
        .publish(&Message::new("mychannel", "myevent"))
        .await
        .unwrap();
    // the gem's test 14: the minimal message
    assert_eq!(
        output.payload(),
        br#"{"event":"myevent","channel":"mychannel"}"#
    );
    let response = output.response().unwrap();
    assert_eq!(
        (response.channel.as_str(), response.event.as_str()),
        ("mychannel", "myevent")
    );
}

/// An `SdkConfig` for moto with the IAM user's static keys, as an application would load one.
async fn moto_sdk_config() -> aws_config::SdkConfig {
    let f = moto::fixture();
    aws_config::defaults(aws_config::BehaviorVersion::v2026_11_17())
        .region(aws_config::Region::new(f.region.clone()))
        .endpoint_url(&f.endpoint)
        .credentials_provider(aws_credential_types::Credentials::new(
            &f.access_key_id,
            &f.secret_access_key,
            None,
            None,
            "test",
        ))
        .load()
        .await
}

/// Temporary credentials (an `ASIA…` key and its session token), got from moto's STS.
async fn temporary_credentials() -> aws_credential_types::Credentials {
    use aws_credential_types::provider::ProvideCredentials as _;
    let f = moto::fixture();
    let base = moto_sdk_config().await;
    aws_config::sts::AssumeRoleProvider::builder(&f.role_arn)
        .session_name("temporary")
        .external_id(&f.external_id)
        .configure(&base)
        .build()
        .await
        .provide_credentials()
        .await
        .expect("moto's STS issues temporary credentials")
}

#[tokio::test]
async fn publish_with_static_keys_and_session_token() {
    let _lock = moto::lock().await;
    let creds = temporary_credentials().await;
    assert!(creds.access_key_id().starts_with("ASIA"));
    let config = moto::config()
        .aws_access_key_id(creds.access_key_id())
        .aws_secret_access_key(creds.secret_access_key())
        .aws_session_token(creds.session_token().unwrap())
        .build()
        .unwrap();
    assert_publishes_gem_case(&config).await;
}

#[tokio::test]
async fn publish_with_an_assumed_role_external_id_and_session_name() {
    let _lock = moto::lock().await;
    let f = moto::fixture();
    let config = moto::config()
        .aws_assume_role_arn(&f.role_arn)
        .aws_assume_role_external_id(&f.external_id)
        .aws_assume_role_session_name("my-backend")
        .aws_assume_role_duration(Duration::from_secs(900))
        .build()
        .unwrap();
    let publisher = Publisher::new(&config).await.unwrap();
    for _ in 0..3 {
        let output = publisher.publish(&gem_message()).await.unwrap();
        assert_eq!(std::str::from_utf8(output.payload()).unwrap(), GEM_CASE);
    }
    // the role's trust policy requires the external ID: a wrong one is refused when the publisher is built
    let wrong = moto::config()
        .aws_assume_role_arn(&f.role_arn)
        .aws_assume_role_external_id("not-the-external-id")
        .build()
        .unwrap();
    let e = Publisher::new(&wrong).await.unwrap_err();
    assert_eq!(
        (e.kind(), e.field()),
        (ErrorKind::Auth, Some("aws_assume_role_arn")),
        "{e}"
    );
}

#[tokio::test]
async fn a_wrong_secret_is_an_auth_error() {
    let _lock = moto::lock().await;
    let config = moto::config()
        .aws_secret_access_key("wJalrXUtnFEMI/K7MDENG/bPxRfiCYWRONGSECRET")
        .build()
        .unwrap();
    let publisher = Publisher::builder(&config)
        .max_attempts(1)
        .build()
        .await
        .unwrap();
    let e = publisher.publish(&gem_message()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth, "{e}");
    assert!(e.to_string().contains("HTTP 403"), "{e}");
    assert!(
        std::error::Error::source(&e).is_some(),
        "the SDK error is the source"
    );
}

#[tokio::test]
async fn a_function_error_is_an_error_with_its_message() {
    let _lock = moto::lock().await;
    let publisher = Publisher::new(&moto::config().build().unwrap())
        .await
        .unwrap();
    moto::queue_replies(&[
        r#"{"errorType":"ValidationError","errorMessage":"channel must not contain '#'"}"#,
    ])
    .await;
    let e = publisher
        .publish(&Message::new("c", "e"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::FunctionError);
    assert_eq!(
        e.to_string(),
        "the publish function failed: ValidationError: channel must not contain '#'"
    );
    let failure = std::error::Error::source(&e)
        .unwrap()
        .downcast_ref::<hotsock::FunctionFailure>()
        .unwrap();
    assert_eq!(failure.0.status_code(), 200);
    // a reply moto marks as a Lambda function error (over 6,000,000 bytes: X-Amz-Function-Error: Unhandled)
    let huge = format!(r#"{{"pad":"{}"}}"#, "x".repeat(6_000_001));
    moto::queue_replies(&[&huge]).await;
    let e = publisher
        .publish(&Message::new("c", "e"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::FunctionError, "{e}");
    assert!(
        e.to_string()
            .starts_with("the publish function failed: Function.ResponseSizeTooLarge: "),
        "{e}"
    );
    let failure = std::error::Error::source(&e)
        .unwrap()
        .downcast_ref::<hotsock::FunctionFailure>()
        .unwrap();
    assert_eq!(failure.0.function_error(), Some("Unhandled"));
    // and a canned success parses
    moto::queue_replies(&[r#"{"id":"01HBM6KJCPNZK11H79ZSHGAEE9","channel":"c","event":"e"}"#])
        .await;
    let output = publisher
        .publish(&Message::new("c", "e").eager_id_generation(true))
        .await
        .unwrap();
    assert_eq!(
        output.response().unwrap().id.as_deref(),
        Some("01HBM6KJCPNZK11H79ZSHGAEE9")
    );
}

#[tokio::test]
async fn fire_and_forget() {
    let _lock = moto::lock().await;
    let publisher = Publisher::builder(&moto::config().build().unwrap())
        .invocation_mode(InvocationMode::Event)
        .build()
        .await
        .unwrap();
    let output = publisher.publish(&gem_message()).await.unwrap();
    assert_eq!(output.status_code(), 202);
}

#[tokio::test]
async fn publish_all_keeps_input_order_with_bounded_concurrency() {
    let _lock = moto::lock().await;
    let publisher = Publisher::new(&moto::config().build().unwrap())
        .await
        .unwrap();
    let messages: Vec<Message> = (0..40)
        .map(|i| Message::new(format!("ch-{i}"), "e").data(&i))
        .chain([Message::new("bad channel", "e")])
        .collect();
    let results = publisher.publish_all(messages, 8).await;
    assert_eq!(results.len(), 41);
    for (i, result) in results[..40].iter().enumerate() {
        let payload = result.as_ref().unwrap().payload();
        assert_eq!(
            payload,
            format!(r#"{{"event":"e","channel":"ch-{i}","data":{i}}}"#).as_bytes()
        );
    }
    assert_eq!(
        results[40].as_ref().unwrap_err().kind(),
        ErrorKind::Validation
    );
}

#[tokio::test]
async fn invalid_messages_are_refused_before_anything_is_sent() {
    let _lock = moto::lock().await;
    // a reply queued now would be consumed by any invocation: it must still be there afterwards
    moto::queue_replies(&[r#"{"channel":"marker","event":"marker"}"#]).await;
    let publisher = Publisher::new(&moto::config().build().unwrap())
        .await
        .unwrap();
    let e = publisher
        .publish(&Message::new("a#b", "e"))
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.field()),
        (ErrorKind::Validation, Some("channel"))
    );
    let output = publisher.publish(&Message::new("c", "e")).await.unwrap();
    assert_eq!(
        output.response().unwrap().channel,
        "marker",
        "the invalid message never reached moto"
    );
}

/// Runs one ignored test of this binary in a child process with `env` set and every other `AWS_*` variable,
/// profile file and the EC2 metadata service out of its reach. Environment variables are process-wide, so
/// tests of the default credential chain run this way. Returns whether the child test passed.
async fn run_child(test: &str, env: &[(&str, &str)]) -> bool {
    let mut child = std::process::Command::new(std::env::current_exe().unwrap());
    child.args(["--exact", test, "--ignored", "--nocapture"]);
    for (name, _) in std::env::vars().filter(|(n, _)| n.starts_with("AWS_")) {
        child.env_remove(name);
    }
    child
        .env("HOTSOCK_TEST_CHILD", "1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .envs(env.iter().copied());
    tokio::task::spawn_blocking(move || child.status())
        .await
        .unwrap()
        .unwrap()
        .success()
}

/// The default credential chain through the standard `AWS_*` variables.
#[tokio::test]
async fn publish_with_the_default_chain_from_aws_env_vars() {
    let _lock = moto::lock().await;
    let f = moto::fixture();
    let env = [
        ("AWS_ACCESS_KEY_ID", f.access_key_id.as_str()),
        ("AWS_SECRET_ACCESS_KEY", f.secret_access_key.as_str()),
        ("AWS_REGION", f.region.as_str()),
    ];
    assert!(
        run_child("publish::default_chain_child", &env).await,
        "the child publishing with the default chain failed"
    );
}

#[tokio::test]
#[ignore = "run by publish_with_the_default_chain_from_aws_env_vars, with AWS_* variables set"]
async fn default_chain_child() {
    assert_eq!(std::env::var("HOTSOCK_TEST_CHILD").as_deref(), Ok("1"));
    let f = moto::fixture();
    // no keys and no region in the config: the AWS SDK finds them in AWS_*
    let config = hotsock::Config::builder()
        .publish_function_arn(&f.function_name)
        .aws_endpoint_url(&f.endpoint)
        .build()
        .unwrap();
    assert_publishes_gem_case(&config).await;
}

/// No credentials anywhere: an auth error, not a network one.
#[tokio::test]
async fn no_credentials_is_an_auth_error() {
    assert!(
        run_child(
            "publish::no_credentials_child",
            &[("AWS_REGION", "us-east-1")]
        )
        .await
    );
}

#[tokio::test]
#[ignore = "run by no_credentials_is_an_auth_error, with no AWS credentials reachable"]
async fn no_credentials_child() {
    assert_eq!(std::env::var("HOTSOCK_TEST_CHILD").as_deref(), Ok("1"));
    let config = hotsock::Config::builder()
        .publish_function_arn("f")
        .aws_endpoint_url("http://127.0.0.1:9")
        .build()
        .unwrap();
    let publisher = Publisher::builder(&config)
        .max_attempts(1)
        .build()
        .await
        .unwrap();
    let e = publisher.publish(&gem_message()).await.unwrap_err();
    assert_eq!(
        e.kind(),
        ErrorKind::Auth,
        "{e}: {:?}",
        std::error::Error::source(&e)
    );
    assert_eq!(
        e.to_string(),
        "aws refused the credentials: no usable AWS credentials"
    );
}

/// An `SdkConfig` the application loaded itself: its region, endpoint and credentials are used as they are.
#[tokio::test]
async fn publish_with_an_existing_sdk_config() {
    let _lock = moto::lock().await;
    let f = moto::fixture();
    let sdk_config = moto_sdk_config().await;
    let config = hotsock::Config::builder()
        .publish_function_arn(&f.function_arn)
        .build()
        .unwrap();
    let publisher = Publisher::from_sdk_config(&sdk_config, &config).unwrap();
    let output = publisher.publish(&gem_message()).await.unwrap();
    assert_eq!(std::str::from_utf8(output.payload()).unwrap(), GEM_CASE);

    let no_region = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::v2026_11_17())
        .build();
    let e = Publisher::from_sdk_config(&no_region, &config).unwrap_err();
    assert_eq!(
        (e.kind(), e.field()),
        (ErrorKind::Config, Some("aws_region"))
    );
}
