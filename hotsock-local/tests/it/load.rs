//! 1,000 WebSocket subscribers on one channel, 1,000 messages published through the library: every
//! subscriber gets every message exactly once, in order. Reports the time and the process's peak memory.
#![allow(
    clippy::print_stderr,
    reason = "the load test reports what it measured"
)]

use std::time::Instant;

use futures_util::future::join_all;
use hotsock::Message;
use serde_json::json;

use crate::support::start;

const SUBSCRIBERS: usize = 1_000;
const MESSAGES: usize = 1_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_subscribers_get_a_thousand_messages_in_order() {
    let t = start().await;
    let started = Instant::now();
    let mut clients = Vec::with_capacity(SUBSCRIBERS);
    for i in 0..SUBSCRIBERS {
        let mut client = t
            .connect(&format!("user-{i}"), json!({"load": {"subscribe": true}}))
            .await;
        assert_eq!(
            client.subscribe("load", None).await["event"],
            "hotsock.subscribed"
        );
        clients.push(client);
    }
    let connected = started.elapsed();

    let publisher = t.publisher().await;
    let publishing = Instant::now();
    let messages = (0..MESSAGES).map(|n| Message::new("load", "n").data(&n));
    let results = publisher.publish_all(messages, 32).await;
    assert!(results.iter().all(Result::is_ok));
    let published = publishing.elapsed();

    // every subscriber reads its 1,000 messages; publish_all keeps no order between concurrent calls,
    // so each subscriber must see the same order: ascending ULIDs, every n exactly once
    let reads = clients.into_iter().map(|mut client| async move {
        let mut ids = Vec::with_capacity(MESSAGES);
        let mut seen = vec![false; MESSAGES];
        for _ in 0..MESSAGES {
            let message = client.next().await;
            let n = message["data"].as_u64().unwrap() as usize;
            assert!(!seen[n], "message {n} twice");
            seen[n] = true;
            ids.push(message["id"].as_str().unwrap().to_owned());
        }
        client.assert_quiet().await;
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "out of order");
        ids
    });
    let all = join_all(reads).await;
    assert!(
        all.windows(2).all(|w| w[0] == w[1]),
        "every subscriber saw the same sequence"
    );
    let total = started.elapsed();
    eprintln!(
        "load: {SUBSCRIBERS} subscribers connected in {connected:.2?}; {MESSAGES} messages published in {published:.2?}; \
         all {} deliveries read in {total:.2?} in all; peak memory (server and clients in one process) {}",
        SUBSCRIBERS * MESSAGES,
        peak_memory()
    );
}

/// `VmHWM` of this process, from /proc.
fn peak_memory() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l["VmHWM:".len()..].trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into())
}
