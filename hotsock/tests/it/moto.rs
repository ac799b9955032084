//! The moto server the publishing tests run against: its fixture, a lock, and its control API. Shared with the
//! CLI's tests (`#[path]`-included there).
//!
//! `scripts/test` starts `moto_server` on loopback, runs `scripts/moto_setup.py` (an IAM user and key, a
//! role that requires an external ID, the publish function; then signature checking on) and points
//! `HOTSOCK_TEST_MOTO_FIXTURE` at the fixture it printed.

use std::sync::OnceLock;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Fixture {
    pub(crate) endpoint: String,
    pub(crate) region: String,
    pub(crate) access_key_id: String,
    pub(crate) secret_access_key: String,
    pub(crate) role_arn: String,
    pub(crate) external_id: String,
    pub(crate) function_name: String,
    pub(crate) function_arn: String,
}

pub(crate) fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let path = std::env::var("HOTSOCK_TEST_MOTO_FIXTURE").expect(
            "HOTSOCK_TEST_MOTO_FIXTURE is not set: run the tests with `bash scripts/test`, which starts moto",
        );
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).expect("the moto fixture")
    })
}

/// moto's canned-reply queue is global, so tests that use it, or that could consume a reply queued by
/// another test, take this lock.
pub(crate) async fn lock() -> tokio::sync::MutexGuard<'static, ()> {
    LOCK.lock().await
}

/// [`lock`] for tests without a runtime.
#[allow(
    dead_code,
    reason = "only the blocking tests (feature blocking) run without a runtime"
)]
pub(crate) fn blocking_lock() -> tokio::sync::MutexGuard<'static, ()> {
    LOCK.blocking_lock()
}

static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A config for the moto installation with the static keys of the IAM user.
pub(crate) fn config() -> hotsock::ConfigBuilder {
    let f = fixture();
    hotsock::Config::builder()
        .publish_function_arn(&f.function_name)
        .aws_region(&f.region)
        .aws_endpoint_url(&f.endpoint)
        .aws_access_key_id(&f.access_key_id)
        .aws_secret_access_key(&f.secret_access_key)
}

/// Queues replies that the next invocations return instead of echoing their payload.
pub(crate) async fn queue_replies(replies: &[&str]) {
    let body = serde_json::json!({"results": replies, "region": fixture().region, "account_id": "123456789012"});
    let status = http_post(
        &fixture().endpoint,
        "/moto-api/static/lambda-simple/response",
        "application/json",
        body.to_string().as_bytes(),
    )
    .await;
    assert_eq!(status, 201, "moto queued the replies");
}

/// A minimal HTTP/1.1 POST over loopback, for moto's control API: returns the status code.
async fn http_post(endpoint: &str, path: &str, content_type: &str, body: &[u8]) -> u16 {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let host = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = tokio::net::TcpStream::connect(host)
        .await
        .expect("connect to moto");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response);
    text.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("an HTTP status line")
}
