//! Faults moto cannot produce (429, 500, a reset connection, a stalled response, 404, 403), and the STS
//! AssumeRole exchange seen from the server's side, from a small scripted server on loopback.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hotsock::{Config, ErrorKind, Message, Publisher};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// What the server does with the next request.
#[derive(Clone, Debug)]
enum Reply {
    /// 200 with the request's body, as moto does.
    Echo,
    /// An AWS JSON error: status and `x-amzn-ErrorType`.
    Error(u16, &'static str),
    /// Closes the connection without answering (a reset).
    Reset,
    /// Answers nothing for this long, then closes.
    Stall(Duration),
}

#[derive(Clone, Debug)]
struct Request {
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

struct FaultServer {
    url: String,
    requests: Arc<Mutex<Vec<Request>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultServer {
    async fn start(script: impl IntoIterator<Item = Reply>) -> FaultServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let script = Arc::new(Mutex::new(script.into_iter().collect::<VecDeque<_>>()));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let r = Arc::clone(&requests);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(serve(stream, Arc::clone(&script), Arc::clone(&r)));
            }
        });
        FaultServer {
            url,
            requests,
            task,
        }
    }

    fn lambda_requests(&self) -> Vec<Request> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path.contains("/invocations"))
            .cloned()
            .collect()
    }

    fn sts_requests(&self) -> Vec<Request> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == "/")
            .cloned()
            .collect()
    }

    fn config(&self) -> hotsock::ConfigBuilder {
        Config::builder()
            .publish_function_arn("Hotsock-PublishFunction")
            .aws_region("us-east-1")
            .aws_endpoint_url(&self.url)
            .aws_access_key_id("AKIAFAULTSERVER")
            .aws_secret_access_key("fault/server/secret/key/0123456789abcdef")
    }

    async fn publisher(&self, attempts: u32) -> Publisher {
        Publisher::builder(&self.config().build().unwrap())
            .max_attempts(attempts)
            .initial_backoff(Duration::from_millis(10))
            .attempt_timeout(Duration::from_millis(500))
            .timeout(Duration::from_secs(5))
            .build()
            .await
            .unwrap()
    }
}

async fn serve(
    mut stream: TcpStream,
    script: Arc<Mutex<VecDeque<Reply>>>,
    requests: Arc<Mutex<Vec<Request>>>,
) {
    let mut buffer = Vec::new();
    loop {
        // read one request: headers, then Content-Length bytes of body
        let head_end = loop {
            if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 8192];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buffer[..head_end]).to_string();
        let mut lines = head.lines();
        let path = lines
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_owned();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
            .collect();
        let length: usize = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        while buffer.len() < head_end + length {
            let mut chunk = [0u8; 8192];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        }
        let body = buffer[head_end..head_end + length].to_vec();
        buffer.drain(..head_end + length);
        requests.lock().unwrap().push(Request {
            path: path.clone(),
            headers,
            body: body.clone(),
        });

        if path == "/" {
            // STS AssumeRole (query protocol): temporary credentials
            let xml = r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>ASIAFAULTSERVER</AccessKeyId><SecretAccessKey>temporary/secret/0123456789abcdef0123</SecretAccessKey><SessionToken>token-from-the-fault-server</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/r/s</Arn><AssumedRoleId>AROAFAULT:s</AssumedRoleId></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>sts-1</RequestId></ResponseMetadata></AssumeRoleResponse>"#;
            respond(
                &mut stream,
                200,
                &[("Content-Type", "text/xml")],
                xml.as_bytes(),
            )
            .await;
            continue;
        }
        let reply = script.lock().unwrap().pop_front().unwrap_or(Reply::Echo);
        match reply {
            Reply::Echo => {
                respond(
                    &mut stream,
                    200,
                    &[
                        ("Content-Type", "application/json"),
                        ("X-Amz-Executed-Version", "$LATEST"),
                        ("x-amzn-RequestId", "req-1"),
                    ],
                    &body,
                )
                .await
            }
            Reply::Error(status, error_type) => {
                let body =
                    format!(r#"{{"Type":"User","message":"{error_type} from the fault server"}}"#);
                respond(
                    &mut stream,
                    status,
                    &[
                        ("Content-Type", "application/json"),
                        ("x-amzn-ErrorType", error_type),
                        ("x-amzn-RequestId", "req-2"),
                    ],
                    body.as_bytes(),
                )
                .await
            }
            Reply::Reset => {
                #[allow(
                    deprecated,
                    reason = "a zero linger makes the drop send a reset at once; it never blocks"
                )]
                let _ = stream.set_linger(Some(Duration::ZERO));
                return;
            }
            Reply::Stall(duration) => {
                tokio::time::sleep(duration).await;
                return;
            }
        }
    }
}

async fn respond(stream: &mut TcpStream, status: u16, headers: &[(&str, &str)], body: &[u8]) {
    let mut head = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\n", body.len());
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body).await;
}

fn message() -> Message {
    Message::new("orders", "created")
        .data(&serde_json::json!({"id": 7}))
        .deduplication_id("order-7-created")
}

#[tokio::test]
async fn server_errors_are_retried_with_the_same_payload() {
    let server = FaultServer::start([
        Reply::Error(500, "ServiceException"),
        Reply::Error(503, "ServiceException"),
    ])
    .await;
    let output = server.publisher(3).await.publish(&message()).await.unwrap();
    let requests = server.lambda_requests();
    assert_eq!(requests.len(), 3, "two failures, then success");
    let expected = message().to_json().unwrap();
    for request in &requests {
        assert_eq!(
            request.body, expected,
            "every attempt carries the same payload and deduplicationId"
        );
    }
    assert_eq!(output.payload(), expected);
    assert_eq!(output.executed_version(), Some("$LATEST"));
    // the SDK numbers its attempts
    assert!(
        requests[2]
            .header("amz-sdk-request")
            .unwrap()
            .contains("attempt=3")
    );
}

#[tokio::test]
async fn throttling_until_the_retry_budget_runs_out() {
    let server = FaultServer::start(vec![Reply::Error(429, "TooManyRequestsException"); 5]).await;
    let e = server
        .publisher(3)
        .await
        .publish(&message())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Throttled, "{e}");
    assert_eq!(server.lambda_requests().len(), 3);
    assert!(
        e.to_string()
            .contains("TooManyRequestsException (HTTP 429)"),
        "{e}"
    );
}

#[tokio::test]
async fn a_reset_connection_is_retried_then_reported() {
    let server = FaultServer::start([Reply::Reset]).await;
    server.publisher(3).await.publish(&message()).await.unwrap();
    assert_eq!(server.lambda_requests().len(), 2, "reset, then success");

    let server = FaultServer::start(vec![Reply::Reset; 5]).await;
    let e = server
        .publisher(2)
        .await
        .publish(&message())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Network, "{e}");
    assert_eq!(server.lambda_requests().len(), 2);
}

#[tokio::test]
async fn a_stalled_response_times_out() {
    let server = FaultServer::start(vec![Reply::Stall(Duration::from_secs(10)); 3]).await;
    let publisher = Publisher::builder(&server.config().build().unwrap())
        .max_attempts(2)
        .initial_backoff(Duration::from_millis(10))
        .attempt_timeout(Duration::from_millis(200))
        .build()
        .await
        .unwrap();
    let started = Instant::now();
    let e = publisher.publish(&message()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.lambda_requests().len(), 2, "each attempt timed out");

    // the whole-call timeout bounds the retries too
    let server = FaultServer::start(vec![Reply::Stall(Duration::from_secs(10)); 3]).await;
    let publisher = Publisher::builder(&server.config().build().unwrap())
        .max_attempts(3)
        .attempt_timeout(Duration::from_secs(5))
        .timeout(Duration::from_millis(300))
        .build()
        .await
        .unwrap();
    let e = publisher.publish(&message()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
}

#[tokio::test]
async fn missing_function_and_denied_access_are_not_retried() {
    for (status, error_type, kind) in [
        (
            404,
            "ResourceNotFoundException",
            ErrorKind::FunctionNotFound,
        ),
        (403, "AccessDeniedException", ErrorKind::Auth),
        (400, "InvalidRequestContentException", ErrorKind::Service),
    ] {
        let server = FaultServer::start([Reply::Error(status, error_type)]).await;
        let e = server
            .publisher(3)
            .await
            .publish(&message())
            .await
            .unwrap_err();
        assert_eq!(e.kind(), kind, "{e}");
        assert_eq!(
            server.lambda_requests().len(),
            1,
            "{error_type} is not retried"
        );
    }
}

#[tokio::test]
async fn nothing_listening_is_a_network_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let config = Config::builder()
        .publish_function_arn("f")
        .aws_region("us-east-1")
        .aws_endpoint_url(url)
        .aws_access_key_id("AKIA")
        .aws_secret_access_key("secret")
        .build()
        .unwrap();
    let publisher = Publisher::builder(&config)
        .max_attempts(2)
        .initial_backoff(Duration::from_millis(10))
        .build()
        .await
        .unwrap();
    let e = publisher.publish(&message()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Network, "{e}");
}

#[tokio::test]
async fn assume_role_sends_session_name_external_id_and_duration_once() {
    let server = FaultServer::start([]).await;
    let config = server
        .config()
        .aws_assume_role_arn("arn:aws:iam::123456789012:role/hotsock-publisher")
        .aws_assume_role_external_id("ext-id-42")
        .aws_assume_role_duration(Duration::from_secs(900))
        .build()
        .unwrap();
    let publisher = Publisher::new(&config).await.unwrap();
    for _ in 0..3 {
        publisher.publish(&message()).await.unwrap();
    }
    let sts = server.sts_requests();
    assert_eq!(
        sts.len(),
        1,
        "one AssumeRole: the credentials are cached, not fetched per message"
    );
    let form = String::from_utf8(sts[0].body.clone()).unwrap();
    for part in [
        "Action=AssumeRole",
        "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fhotsock-publisher",
        &format!("RoleSessionName=hotsock-rust-{}", hotsock::VERSION),
        "ExternalId=ext-id-42",
        "DurationSeconds=900",
    ] {
        assert!(form.contains(part), "{part} in {form}");
    }
    // the AssumeRole call is signed with the static keys, the invocations with the role's credentials
    assert!(
        sts[0]
            .header("authorization")
            .unwrap()
            .contains("Credential=AKIAFAULTSERVER/")
    );
    for request in server.lambda_requests() {
        assert!(
            request
                .header("authorization")
                .unwrap()
                .contains("Credential=ASIAFAULTSERVER/")
        );
        assert_eq!(
            request.header("x-amz-security-token"),
            Some("token-from-the-fault-server")
        );
    }
}
