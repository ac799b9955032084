//! Checks AWS Signature Version 4 on incoming requests, as the Lambda API does: the canonical request, the
//! string to sign and the derived signing key of the AWS documentation ("Create a signed AWS API request"),
//! written here from that description and the documented test vector, with aws-lc-rs for HMAC and SHA-256.
//! The clients under test sign with the AWS SDK's own `aws-sigv4`, so each side checks the other.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use aws_lc_rs::{digest, hmac};
use axum::http::{HeaderMap, Method};

/// Why a request's signature was refused, in the shape Lambda reports it (`x-amzn-ErrorType` and `message`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) error_type: &'static str,
    pub(crate) message: String,
}

impl Refusal {
    fn new(error_type: &'static str, message: impl Into<String>) -> Refusal {
        Refusal {
            error_type,
            message: message.into(),
        }
    }

    fn signature(message: impl Into<String>) -> Refusal {
        Refusal::new("InvalidSignatureException", message)
    }
}

/// The credentials a request may be signed with.
pub(crate) struct Credentials<'a> {
    pub(crate) access_key_id: &'a str,
    pub(crate) secret_access_key: &'a str,
}

/// A request as it arrived: `path` and `query` exactly as on the wire (still percent-encoded).
pub(crate) struct Request<'a> {
    pub(crate) method: &'a Method,
    pub(crate) path: &'a str,
    pub(crate) query: &'a str,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a [u8],
}

/// How far a request's `X-Amz-Date` may be from the server's clock, as AWS allows.
const MAX_SKEW: Duration = Duration::from_secs(15 * 60);

/// Verifies `request`'s `Authorization` header against `credentials` for `service` in `region`.
pub(crate) fn verify(
    request: &Request<'_>,
    credentials: &Credentials<'_>,
    region: &str,
    service: &str,
    now: SystemTime,
) -> Result<(), Refusal> {
    let header = |name: &str| {
        request
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let authorization = header("authorization").ok_or_else(|| {
        Refusal::new(
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        )
    })?;
    let fields = authorization
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .ok_or_else(|| Refusal::signature("only AWS4-HMAC-SHA256 signatures are accepted"))?;
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for field in fields.split(',') {
        match field.trim().split_once('=') {
            Some(("Credential", v)) => credential = Some(v),
            Some(("SignedHeaders", v)) => signed_headers = Some(v),
            Some(("Signature", v)) => signature = Some(v),
            _ => {}
        }
    }
    let (Some(credential), Some(signed_headers), Some(signature)) =
        (credential, signed_headers, signature)
    else {
        return Err(Refusal::signature(
            "Authorization header requires Credential, SignedHeaders and Signature",
        ));
    };
    let mut scope = credential.splitn(5, '/');
    let (Some(key_id), Some(date), Some(scope_region), Some(scope_service), Some(terminator)) = (
        scope.next(),
        scope.next(),
        scope.next(),
        scope.next(),
        scope.next(),
    ) else {
        return Err(Refusal::signature("malformed credential scope"));
    };
    if key_id != credentials.access_key_id {
        return Err(Refusal::new(
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        ));
    }
    if scope_region != region || scope_service != service || terminator != "aws4_request" {
        return Err(Refusal::signature(format!(
            "credential should be scoped to {region}/{service}/aws4_request, not {scope_region}/{scope_service}/{terminator}"
        )));
    }
    let amz_date = header("x-amz-date")
        .ok_or_else(|| Refusal::signature("the X-Amz-Date header is required"))?;
    let signed_at = crate::time::parse_amz_date(amz_date).ok_or_else(|| {
        Refusal::signature(format!("X-Amz-Date {amz_date:?} is not yyyymmddThhmmssZ"))
    })?;
    if !amz_date.starts_with(date) || date.len() != 8 {
        return Err(Refusal::signature(
            "the credential scope's date is not the request's date",
        ));
    }
    let skew = now
        .duration_since(signed_at)
        .unwrap_or_else(|early| early.duration());
    if skew > MAX_SKEW {
        return Err(Refusal::signature(
            "Signature expired: the request's X-Amz-Date is more than 15 minutes from the server's time",
        ));
    }
    let names: Vec<&str> = signed_headers.split(';').collect();
    if !names.contains(&"host") {
        return Err(Refusal::signature("the host header must be signed"));
    }
    if request.headers.contains_key("x-amz-security-token")
        && !names.contains(&"x-amz-security-token")
    {
        return Err(Refusal::signature(
            "the session token header must be signed",
        ));
    }

    let canonical = canonical_request(request, &names, signed_headers)?;
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{date}/{region}/{service}/aws4_request\n{}",
        hex(digest::digest(&digest::SHA256, canonical.as_bytes()).as_ref())
    );
    let key = signing_key(credentials.secret_access_key, date, region, service);
    let expected = decode_hex(signature)
        .ok_or_else(|| Refusal::signature("the signature is not hexadecimal"))?;
    hmac::verify(&key, string_to_sign.as_bytes(), &expected).map_err(|_| {
        Refusal::signature(
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
        )
    })
}

fn canonical_request(
    request: &Request<'_>,
    names: &[&str],
    signed_headers: &str,
) -> Result<String, Refusal> {
    let mut out = String::with_capacity(512);
    out.push_str(request.method.as_str());
    out.push('\n');
    // Services other than S3 encode the path a second time: `%3A` in the request is `%253A` here.
    for (i, segment) in request.path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        encode_into(&mut out, segment.as_bytes());
    }
    if request.path.is_empty() {
        out.push('/');
    }
    out.push('\n');
    let mut pairs: Vec<(String, String)> = request
        .query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let mut key = String::new();
            encode_into(&mut key, &percent_decode(k));
            let mut value = String::new();
            encode_into(&mut value, &percent_decode(v));
            (key, value)
        })
        .collect();
    pairs.sort();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        let _ = write!(out, "{k}={v}");
    }
    out.push('\n');
    for name in names {
        let mut values = request.headers.get_all(*name).iter().peekable();
        if values.peek().is_none() {
            return Err(Refusal::signature(format!(
                "the signed header {name:?} is not in the request"
            )));
        }
        out.push_str(name);
        out.push(':');
        for (i, value) in values.enumerate() {
            if i > 0 {
                out.push(',');
            }
            let value = value
                .to_str()
                .map_err(|_| Refusal::signature(format!("header {name:?} is not text")))?;
            // trimmed, inner runs of spaces collapsed to one
            let mut words = value.split(' ').filter(|w| !w.is_empty());
            if let Some(first) = words.next() {
                out.push_str(first);
                for word in words {
                    out.push(' ');
                    out.push_str(word);
                }
            }
        }
        out.push('\n');
    }
    out.push('\n');
    out.push_str(signed_headers);
    out.push('\n');
    let body_hash = hex(digest::digest(&digest::SHA256, request.body).as_ref());
    match request
        .headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
    {
        Some(claimed) if claimed != body_hash => {
            return Err(Refusal::signature(
                "X-Amz-Content-SHA256 is not the body's hash",
            ));
        }
        _ => out.push_str(&body_hash),
    }
    Ok(out)
}

/// `kSigning` = HMAC chain over the date, region, service and `aws4_request`, from `"AWS4" + secret`.
fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> hmac::Key {
    let mut key = hmac::Key::new(hmac::HMAC_SHA256, format!("AWS4{secret}").as_bytes());
    for part in [date, region, service, "aws4_request"] {
        let tag = hmac::sign(&key, part.as_bytes());
        key = hmac::Key::new(hmac::HMAC_SHA256, tag.as_ref());
    }
    key
}

/// RFC 3986 percent-encoding of everything but the unreserved characters, upper-case hex.
fn encode_into(out: &mut String, bytes: &[u8]) {
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    /// The worked example of the AWS documentation (IAM `ListUsers`, 2015-08-30), whose signature the
    /// documentation gives.
    #[test]
    fn the_documented_example_verifies() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "content-type",
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
        );
        headers.insert("host", HeaderValue::from_static("iam.amazonaws.com"));
        headers.insert("x-amz-date", HeaderValue::from_static("20150830T123600Z"));
        headers.insert(
            "authorization",
            HeaderValue::from_static(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
            ),
        );
        let request = Request {
            method: &Method::GET,
            path: "/",
            query: "Action=ListUsers&Version=2010-05-08",
            headers: &headers,
            body: b"",
        };
        let credentials = Credentials {
            access_key_id: "AKIDEXAMPLE",
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        };
        let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_440_938_160);
        assert_eq!(
            verify(&request, &credentials, "us-east-1", "iam", at),
            Ok(())
        );
        // one character of the secret changed
        let wrong = Credentials {
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ",
            ..credentials
        };
        let refusal = verify(&request, &wrong, "us-east-1", "iam", at).unwrap_err();
        assert_eq!(refusal.error_type, "InvalidSignatureException");
        // the same request an hour later is stale
        let late = at + std::time::Duration::from_secs(3600);
        let refusal = verify(&request, &credentials, "us-east-1", "iam", late).unwrap_err();
        assert!(refusal.message.contains("expired"), "{refusal:?}");
        // another key ID is not known at all
        let other = Credentials {
            access_key_id: "AKIDOTHER",
            ..credentials
        };
        let refusal = verify(&request, &other, "us-east-1", "iam", at).unwrap_err();
        assert_eq!(refusal.error_type, "UnrecognizedClientException");
    }
}
