//! `hotsock demo`: the whole path on one machine, with no AWS account. It starts a local Hotsock in this
//! process, makes a key, issues a connect token with the library, connects a WebSocket subscriber with it,
//! publishes through the library's `Publisher` over the Lambda Invoke API, and prints what arrived.

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use anyhow::{Context as _, bail, ensure};
use futures_util::{SinkExt as _, StreamExt as _};
use hotsock::{Algorithm, Issuer, Message, Publisher};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message as Frame;

/// Run a local Hotsock, subscribe, publish through the library and print what the subscriber received.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// How many messages to publish.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=1000))]
    messages: u32,
}

const CHANNEL: &str = "demo.chat";
const PATIENCE: Duration = Duration::from_secs(10);

pub(crate) fn run(args: Args, out: &mut impl Write) -> anyhow::Result<()> {
    tokio::runtime::Runtime::new()?.block_on(demo(args.messages, out))
}

async fn demo(count: u32, out: &mut impl Write) -> anyhow::Result<()> {
    let loopback = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let (local, key) = crate::local::start(loopback, Algorithm::ES256, "demo", |b| b).await?;
    writeln!(
        out,
        "local Hotsock on {} (WebSocket {})",
        local.endpoint_url(),
        local.websocket_url()
    )?;
    writeln!(out, "made an ES256 signing key, kid \"demo\"")?;

    let config = local
        .config_builder()
        .issuer_private_key(key.private_key())
        .issuer_key_id("demo")
        .issuer_token_ttl(Duration::from_secs(60))
        .build()?;
    let token = Issuer::new(&config)?.issue(&json!({
        "scope": "connect",
        "uid": "demo-user",
        "channels": {CHANNEL: {"subscribe": true}},
    }))?;
    writeln!(
        out,
        "issued a connect token for uid demo-user ({} bytes, exp in 60 s)",
        token.len()
    )?;

    let url = format!("{}?token={token}", local.websocket_url());
    let (mut socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .context("the subscriber cannot connect")?;
    let connected = next_json(&mut socket).await?;
    ensure!(
        connected["event"] == "hotsock.connected",
        "expected hotsock.connected, got {connected}"
    );
    writeln!(
        out,
        "subscriber connected: {}",
        connected["data"]["connectionId"]
    )?;
    let subscribe = json!({"event": "hotsock.subscribe", "channel": CHANNEL});
    socket
        .send(Frame::Text(subscribe.to_string().into()))
        .await?;
    let subscribed = next_json(&mut socket).await?;
    ensure!(
        subscribed["event"] == "hotsock.subscribed",
        "expected hotsock.subscribed, got {subscribed}"
    );
    writeln!(out, "subscribed to {CHANNEL}")?;

    let publisher = Publisher::new(&config).await?;
    for n in 1..=count {
        let message =
            Message::new(CHANNEL, "greeting").data(&json!({"n": n, "text": "hello from hotsock"}));
        let output = publisher.publish(&message).await?;
        writeln!(
            out,
            "published greeting {n} through the Lambda Invoke API: {}",
            String::from_utf8_lossy(output.payload())
        )?;
    }
    for n in 1..=count {
        let message = next_json(&mut socket).await?;
        writeln!(out, "subscriber received: {message}")?;
        if message["event"] != "greeting" || message["data"]["n"] != n {
            bail!("expected greeting {n}, got {message}");
        }
    }
    writeln!(
        out,
        "demo ok: the subscriber received {count} of {count} messages, in order"
    )?;
    let _ = socket.close(None).await;
    local.shutdown().await;
    Ok(())
}

/// The next text frame as JSON, within `PATIENCE`.
async fn next_json<S>(socket: &mut S) -> anyhow::Result<Value>
where
    S: futures_util::Stream<Item = Result<Frame, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let frame = tokio::time::timeout(PATIENCE, socket.next())
            .await
            .context("nothing arrived within 10 s")?
            .context("the connection closed")??;
        if let Frame::Text(text) = frame {
            return serde_json::from_str(&text).context("a frame that is not JSON");
        }
    }
}
