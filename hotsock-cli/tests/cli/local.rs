//! `hotsock local` and `hotsock demo`, run as a user runs them, and the load test against `hotsock local`
//! in its own process (so that its peak memory is the server's alone).

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message as Frame;

use super::{hotsock_with, stdout, temp_dir};

/// A `hotsock local` child process and the settings from its env file.
struct LocalProcess {
    child: Child,
    env: Vec<(String, String)>,
}

impl LocalProcess {
    fn start(name: &str) -> LocalProcess {
        LocalProcess::start_with(&temp_dir(name), &[])
    }

    fn start_with(dir: &std::path::Path, args: &[&str]) -> LocalProcess {
        let env_file = dir.join("local.env");
        let mut child = Command::new(env!("CARGO_BIN_EXE_hotsock"))
            .args(["local", "--listen", "127.0.0.1:0", "--env-file"])
            .arg(&env_file)
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().unwrap().unwrap();
        assert!(
            first.starts_with("hotsock local: listening on 127.0.0.1:"),
            "{first}"
        );
        // the rest of what it prints, read off in the background so the pipe never fills
        std::thread::spawn(move || lines.for_each(drop));
        let text = std::fs::read_to_string(&env_file).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&env_file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "the env file holds secrets");
        }
        let env = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        LocalProcess { child, env }
    }

    fn get(&self, name: &str) -> &str {
        &self.env.iter().find(|(k, _)| k == name).unwrap().1
    }

    fn hotsock(&self, args: &[&str]) -> std::process::Output {
        let env: Vec<(&str, &str)> = self
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        hotsock_with(args, &std::env::temp_dir(), &env)
    }

    fn config(&self) -> hotsock::Config {
        hotsock::Config::builder()
            .env_vars(self.env.clone())
            .build()
            .unwrap()
    }

    /// Stops it with Ctrl-C (SIGINT) and returns its exit status.
    fn interrupt(mut self) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "hotsock local did not stop on SIGINT"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for LocalProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn next_json(socket: &mut Socket) -> Value {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(30), socket.next())
            .await
            .expect("a frame in time")
            .expect("an open connection")
            .unwrap();
        if let Frame::Text(text) = frame {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

async fn subscriber(url: &str, token: &str, channel: &str) -> Socket {
    let (mut socket, _) = tokio_tungstenite::connect_async(format!("{url}?token={token}"))
        .await
        .unwrap();
    assert_eq!(next_json(&mut socket).await["event"], "hotsock.connected");
    let subscribe = json!({"event": "hotsock.subscribe", "channel": channel}).to_string();
    socket.send(Frame::Text(subscribe.into())).await.unwrap();
    assert_eq!(next_json(&mut socket).await["event"], "hotsock.subscribed");
    socket
}

#[tokio::test]
async fn local_token_and_publish_work_together_through_the_env_file() {
    let local = LocalProcess::start("local-env");
    // a connect token from `hotsock token`, with the key `hotsock local` made
    let token = stdout(&local.hotsock(&[
        "token",
        "--scope",
        "connect",
        "--uid",
        "u1",
        "--channel",
        "chat:subscribe",
    ]));
    let mut socket = subscriber(
        local.get("HOTSOCK_LOCAL_WEBSOCKET_URL"),
        token.trim(),
        "chat",
    )
    .await;
    // a message from `hotsock publish`, over the Lambda Invoke API
    let published = stdout(&local.hotsock(&[
        "publish",
        "--channel",
        "chat",
        "--event",
        "hello",
        "--data",
        r#"{"a":1}"#,
    ]));
    assert_eq!(published.trim(), r#"{"channel":"chat","event":"hello"}"#);
    let message = next_json(&mut socket).await;
    assert_eq!(
        (message["event"].as_str(), &message["data"]),
        (Some("hello"), &json!({"a": 1}))
    );
    // a wrong secret in the env is refused
    let mut env = local.env.clone();
    env.iter_mut()
        .find(|(k, _)| k == "HOTSOCK_AWS_SECRET_ACCESS_KEY")
        .unwrap()
        .1 = "x".repeat(40);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let refused = hotsock_with(
        &["publish", "--channel", "chat", "--event", "hello"],
        &std::env::temp_dir(),
        &env,
    );
    assert_eq!(refused.status.code(), Some(1));
    drop(socket);
    assert!(local.interrupt().success(), "Ctrl-C is a clean stop");
}

#[tokio::test]
async fn local_with_an_existing_key_accepts_the_apps_tokens() {
    let dir = temp_dir("local-key-file");
    stdout(&hotsock_with(
        &["keygen", "--alg", "ES384", "--out", "app.pem"],
        &dir,
        &[],
    ));
    let local = LocalProcess::start_with(
        &dir,
        &["--key-file", "app.pem", "--alg", "ES384", "--kid", "app-1"],
    );
    assert!(
        local
            .get("HOTSOCK_ISSUER_PRIVATE_KEY_FILE")
            .ends_with("/app.pem")
    );
    // a token the app signs with its own key and settings, not from the env file
    let token = stdout(&hotsock_with(
        &[
            "token",
            "--key-file",
            "app.pem",
            "--alg",
            "ES384",
            "--kid",
            "app-1",
            "--ttl",
            "60",
            "--scope",
            "connect",
            "--channel",
            "c:subscribe",
        ],
        &dir,
        &[],
    ));
    subscriber(local.get("HOTSOCK_LOCAL_WEBSOCKET_URL"), token.trim(), "c").await;
    // a token of another key is refused
    stdout(&hotsock_with(
        &["keygen", "--alg", "ES384", "--out", "other.pem"],
        &dir,
        &[],
    ));
    let other = stdout(&hotsock_with(
        &[
            "token",
            "--key-file",
            "other.pem",
            "--alg",
            "ES384",
            "--kid",
            "app-1",
            "--ttl",
            "60",
            "--scope",
            "connect",
        ],
        &dir,
        &[],
    ));
    let url = format!(
        "{}?token={}",
        local.get("HOTSOCK_LOCAL_WEBSOCKET_URL"),
        other.trim()
    );
    assert!(tokio_tungstenite::connect_async(url).await.is_err());
}

#[test]
fn demo_runs_the_whole_path_and_says_so() {
    let output = hotsock_with(&["demo", "--messages", "5"], &std::env::temp_dir(), &[]);
    let out = stdout(&output);
    assert_eq!(
        out.lines()
            .filter(|l| l.starts_with("subscriber received: "))
            .count(),
        5,
        "{out}"
    );
    assert!(
        out.contains("published greeting 5 through the Lambda Invoke API"),
        "{out}"
    );
    assert!(
        out.trim_end()
            .ends_with("demo ok: the subscriber received 5 of 5 messages, in order"),
        "{out}"
    );
}

const SUBSCRIBERS: usize = 1_000;
const MESSAGES: usize = 1_000;

/// 1,000 subscribers on one channel of `hotsock local`, 1,000 messages through the library's `Publisher`:
/// every subscriber receives every message exactly once and in the same order. Prints the time and the
/// server process's peak resident memory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_a_thousand_subscribers_and_a_thousand_messages() {
    let local = LocalProcess::start("load");
    let config = local.config();
    let issuer = hotsock::Issuer::new(&config).unwrap();
    let url = local.get("HOTSOCK_LOCAL_WEBSOCKET_URL").to_owned();
    let started = Instant::now();
    let mut sockets = Vec::with_capacity(SUBSCRIBERS);
    for i in 0..SUBSCRIBERS {
        let token = issuer
            .issue(&json!({"scope": "connect", "uid": format!("u{i}"), "channels": {"load": {"subscribe": true}}}))
            .unwrap();
        sockets.push(subscriber(&url, &token, "load").await);
    }
    let connected = started.elapsed();

    let publisher = hotsock::Publisher::new(&config).await.unwrap();
    let publishing = Instant::now();
    let messages = (0..MESSAGES).map(|n| hotsock::Message::new("load", "n").data(&n));
    let results = publisher.publish_all(messages, 32).await;
    assert!(results.iter().all(Result::is_ok));
    let published = publishing.elapsed();

    let reads = sockets.into_iter().map(|mut socket| async move {
        let mut seen = vec![false; MESSAGES];
        let mut order = Vec::with_capacity(MESSAGES);
        for _ in 0..MESSAGES {
            let message = next_json(&mut socket).await;
            let n = message["data"].as_u64().unwrap() as usize;
            assert!(!std::mem::replace(&mut seen[n], true), "message {n} twice");
            order.push(n);
        }
        order
    });
    let orders = join_all(reads).await;
    // concurrent publishes have no order of their own, but every subscriber sees the same one
    assert!(
        orders.windows(2).all(|w| w[0] == w[1]),
        "every subscriber saw the same order"
    );
    let total = started.elapsed();
    let peak = std::fs::read_to_string(format!("/proc/{}/status", local.child.id()))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l[6..].trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into());
    #[allow(
        clippy::print_stderr,
        reason = "the load test reports what it measured"
    )]
    {
        eprintln!(
            "load: {SUBSCRIBERS} subscribers connected in {connected:.2?}; {MESSAGES} messages published in \
             {published:.2?}; {} deliveries, all read after {total:.2?}; server peak memory (VmHWM) {peak}",
            SUBSCRIBERS * MESSAGES
        );
    }
}
