//! `cargo bench --bench publish`: `Publisher::publish` against a bare SigV4-signed hyper POST of the same
//! payload, both to the same local keep-alive HTTP endpoint, sequentially and with 64 in flight.
//!
//! The endpoint runs in a child process (this binary again, with `HOTSOCK_BENCH_SERVE` set), so that the CPU
//! time this process reads from `/proc/self/stat` is the client's alone. Reported per side: calls/s, p50 and
//! p99 latency, client CPU per call; then the ratios. Bounded: a fixed number of calls per phase.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a benchmark reports its results"
)]

use std::io::{BufRead as _, Write as _};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use futures_util::StreamExt as _;
use hotsock::{Config, Message, Publisher};
use http_body_util::{BodyExt as _, Full};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const SEQUENTIAL: usize = 3_000;
const CONCURRENT: usize = 30_000;
const IN_FLIGHT: usize = 64;
const ACCESS_KEY: &str = "AKIABENCHMARK";
const SECRET_KEY: &str = "bench/secret/key/0123456789abcdef01234567";

fn main() {
    if std::env::var_os("HOTSOCK_BENCH_SERVE").is_some() {
        serve();
        return;
    }
    if !std::env::args().any(|a| a == "--bench") {
        return; // `cargo test --benches`: nothing to check quickly here
    }
    // start the endpoint and read its address
    let mut server = std::process::Command::new(std::env::current_exe().unwrap())
        .env("HOTSOCK_BENCH_SERVE", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = format!("http://{}", line.trim());

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let message = Message::new("chat.room-1", "message.created")
            .data(&serde_json::json!({"text": "hello from the benchmark", "n": 1}))
            .store(60);
        let payload = Bytes::from(message.to_json().unwrap());
        let config = Config::builder()
            .publish_function_arn("Hotsock-PublishFunction")
            .aws_region("us-east-1")
            .aws_endpoint_url(&url)
            .aws_access_key_id(ACCESS_KEY)
            .aws_secret_access_key(SECRET_KEY)
            .build()
            .unwrap();
        let publisher = Publisher::builder(&config)
            .max_attempts(1)
            .build()
            .await
            .unwrap();
        let bare = Arc::new(Bare::new(&url, payload));

        // warm up both (connections, credentials, caches)
        for _ in 0..200 {
            publisher.publish(&message).await.unwrap();
            bare.post().await;
        }
        println!(
            "\npublish: {} sequential calls, then {} with {} in flight, one process each side",
            SEQUENTIAL, CONCURRENT, IN_FLIGHT
        );
        println!(
            "{:<24} {:>10} {:>10} {:>10} {:>14}",
            "", "calls/s", "p50", "p99", "CPU per call"
        );
        let mut rows = Vec::new();
        for (name, concurrency, calls) in [
            ("sequential", 1, SEQUENTIAL),
            ("64 in flight", IN_FLIGHT, CONCURRENT),
        ] {
            let ours = {
                let (publisher, message) = (publisher.clone(), message.clone());
                measure(calls, concurrency, move || {
                    let (publisher, message) = (publisher.clone(), message.clone());
                    async move {
                        publisher.publish(&message).await.unwrap();
                    }
                })
                .await
            };
            let theirs = {
                let bare = Arc::clone(&bare);
                measure(calls, concurrency, move || {
                    let bare = Arc::clone(&bare);
                    async move { bare.post().await }
                })
                .await
            };
            println!("{:<24} {}", format!("hotsock, {name}"), ours.row());
            println!("{:<24} {}", format!("bare SigV4, {name}"), theirs.row());
            rows.push((name, ours, theirs));
        }
        println!();
        for (name, ours, theirs) in rows {
            println!(
                "{name}: hotsock/bare CPU per call {:.2}x, calls/s {:.2}x",
                ours.cpu_per_call.as_secs_f64() / theirs.cpu_per_call.as_secs_f64(),
                ours.rate / theirs.rate
            );
        }
    });
    let _ = server.kill();
    let _ = server.wait();
}

struct Stats {
    rate: f64,
    p50: Duration,
    p99: Duration,
    cpu_per_call: Duration,
}

impl Stats {
    fn row(&self) -> String {
        format!(
            "{:>10.0} {:>8.0}µs {:>8.0}µs {:>12.1}µs",
            self.rate,
            self.p50.as_secs_f64() * 1e6,
            self.p99.as_secs_f64() * 1e6,
            self.cpu_per_call.as_secs_f64() * 1e6
        )
    }
}

async fn measure<F, Fut>(calls: usize, concurrency: usize, call: F) -> Stats
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let cpu_before = cpu_time();
    let started = Instant::now();
    let mut latencies: Vec<Duration> = futures_util::stream::iter(0..calls)
        .map(|_| {
            let call = call();
            async move {
                let start = Instant::now();
                call.await;
                start.elapsed()
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let elapsed = started.elapsed();
    let cpu = cpu_time() - cpu_before;
    latencies.sort();
    Stats {
        rate: calls as f64 / elapsed.as_secs_f64(),
        p50: latencies[calls / 2],
        p99: latencies[calls * 99 / 100],
        cpu_per_call: cpu / calls as u32,
    }
}

/// User plus system CPU time of this process, from `/proc/self/stat` (Linux).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat (Linux)");
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    // after the command name: state is field 3, utime 14, stime 15 (1-based), i.e. indexes 11 and 12 here
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    Duration::from_secs_f64(ticks as f64 / 100.0) // USER_HZ is 100 on Linux
}

/// The baseline: the same payload, signed with aws-sigv4 and POSTed with hyper over a keep-alive pool.
struct Bare {
    client: hyper_util::client::legacy::Client<
        hyper_util::client::legacy::connect::HttpConnector,
        Full<Bytes>,
    >,
    uri: String,
    host: String,
    payload: Bytes,
    identity: aws_smithy_runtime_api::client::identity::Identity,
}

impl Bare {
    fn new(url: &str, payload: Bytes) -> Bare {
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http::<Full<Bytes>>();
        Bare {
            client,
            uri: format!("{url}/2015-03-31/functions/Hotsock-PublishFunction/invocations"),
            host: url.trim_start_matches("http://").to_owned(),
            payload,
            identity: aws_credential_types::Credentials::new(
                ACCESS_KEY, SECRET_KEY, None, None, "bench",
            )
            .into(),
        }
    }

    async fn post(&self) {
        use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
        let headers = [
            ("content-type", "application/json"),
            ("host", self.host.as_str()),
        ];
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&self.identity)
            .region("us-east-1")
            .name("lambda")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .unwrap()
            .into();
        let signable = SignableRequest::new(
            "POST",
            &self.uri,
            headers.into_iter(),
            SignableBody::Bytes(&self.payload),
        )
        .unwrap();
        let (instructions, _) = sign(signable, &params).unwrap().into_parts();
        let mut request = http::Request::post(&self.uri);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let (signed, _) = instructions.into_parts();
        for header in signed {
            request = request.header(header.name(), header.value());
        }
        let response = self
            .client
            .request(request.body(Full::new(self.payload.clone())).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.into_body().collect().await.unwrap();
    }
}

/// The endpoint: answers every request on every keep-alive connection with 200 and a publish response.
fn serve() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("{}", listener.local_addr().unwrap());
        std::io::stdout().flush().unwrap();
        // stop when the parent goes away: it holds our stdin open
        tokio::spawn(async {
            let mut stdin = tokio::io::stdin();
            let _ = stdin.read(&mut [0u8; 1]).await;
            std::process::exit(0);
        });
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                const BODY: &[u8] = br#"{"channel":"chat.room-1","event":"message.created"}"#;
                let mut buffer = Vec::with_capacity(16 * 1024);
                let mut chunk = vec![0u8; 16 * 1024];
                loop {
                    // answer every complete request in the buffer
                    while let Some(head_end) = buffer.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4) {
                        let head = std::str::from_utf8(&buffer[..head_end]).unwrap_or_default().to_ascii_lowercase();
                        let length: usize = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse().ok())
                            .unwrap_or(0);
                        if buffer.len() < head_end + length {
                            break;
                        }
                        buffer.drain(..head_end + length);
                        let response = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-amz-executed-version: $LATEST\r\ncontent-length: {}\r\n\r\n",
                            BODY.len()
                        );
                        if stream.write_all(&[response.as_bytes(), BODY].concat()).await.is_err() {
                            return;
                        }
                    }
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                    }
                }
            });
        }
    });
}
