//! A local Hotsock with a fresh ES256 key, and clients for it.

use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use hotsock::{Algorithm, Config, GeneratedKey, Issuer, Publisher};
use hotsock_local::{LocalHotsock, LocalHotsockBuilder, SigningKey};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a test waits for a frame it expects.
pub(crate) const PATIENCE: Duration = Duration::from_secs(10);

pub(crate) struct Local {
    pub(crate) local: LocalHotsock,
    pub(crate) key: GeneratedKey,
    pub(crate) config: Config,
    pub(crate) issuer: Issuer,
}

/// Starts a local Hotsock whose first signing key is a new ES256 key with ID `key-1`.
pub(crate) async fn start() -> Local {
    start_with(|b| b).await
}

pub(crate) async fn start_with(
    configure: impl FnOnce(LocalHotsockBuilder) -> LocalHotsockBuilder,
) -> Local {
    let key = GeneratedKey::generate(Algorithm::ES256).unwrap();
    let builder = LocalHotsock::builder().signing_key(
        SigningKey::new(Algorithm::ES256, key.encoded_parameter().as_str()).id("key-1"),
    );
    let local = configure(builder).start().await.unwrap();
    let config = local
        .config_builder()
        .issuer_private_key(key.private_key())
        .issuer_key_id("key-1")
        .issuer_token_ttl(Duration::from_secs(60))
        .build()
        .unwrap();
    let issuer = Issuer::new(&config).unwrap();
    Local {
        local,
        key,
        config,
        issuer,
    }
}

impl Local {
    pub(crate) async fn publisher(&self) -> Publisher {
        Publisher::new(&self.config).await.unwrap()
    }

    pub(crate) fn token(&self, claims: Value) -> String {
        self.issuer.issue(&claims).unwrap()
    }

    /// Connects with a connect token of these `channels` (and `uid`), and reads `hotsock.connected`.
    pub(crate) async fn connect(&self, uid: &str, channels: Value) -> Client {
        let token = self.token(json!({"scope": "connect", "uid": uid, "channels": channels}));
        self.connect_with(&token).await.unwrap()
    }

    pub(crate) async fn connect_with(
        &self,
        token: &str,
    ) -> Result<Client, tokio_tungstenite::tungstenite::Error> {
        let url = format!("{}?token={token}", self.local.websocket_url());
        let (socket, _) = tokio_tungstenite::connect_async(url).await?;
        let mut client = Client {
            socket,
            connection_id: String::new(),
        };
        let connected = client.next().await;
        assert_eq!(connected["event"], "hotsock.connected", "{connected}");
        client.connection_id = connected["data"]["connectionId"]
            .as_str()
            .unwrap()
            .to_owned();
        Ok(client)
    }

    /// A request to the HTTP API with the first API key.
    pub(crate) async fn http(&self, method: &str, path: &str, body: &str) -> (u16, Value) {
        let key = self.local.http_api_keys().next().unwrap().to_owned();
        http(&self.local.http_api_url(), method, path, body, Some(&key)).await
    }
}

pub(crate) async fn http(
    base: &str,
    method: &str,
    path: &str,
    body: &str,
    key: Option<&str>,
) -> (u16, Value) {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    let mut request = hyper::Request::builder()
        .method(method)
        .uri(format!("{base}{path}"))
        .header("content-type", "application/json; charset=utf-8");
    if let Some(key) = key {
        request = request.header("authorization", format!("Bearer {key}"));
    }
    let response = client
        .request(
            request
                .body(Full::new(Bytes::from(body.to_owned())))
                .unwrap(),
        )
        .await
        .unwrap();
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

pub(crate) struct Client {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub(crate) connection_id: String,
}

impl Client {
    pub(crate) async fn send(&mut self, frame: Value) {
        self.socket
            .send(Frame::Text(frame.to_string().into()))
            .await
            .unwrap();
    }

    /// The next JSON frame; panics after `PATIENCE`.
    pub(crate) async fn next(&mut self) -> Value {
        self.try_next(PATIENCE).await.expect("a frame in time")
    }

    /// The next JSON frame within `wait`, or `None`.
    pub(crate) async fn try_next(&mut self, wait: Duration) -> Option<Value> {
        loop {
            match tokio::time::timeout(wait, self.socket.next()).await {
                Err(_) => return None,
                Ok(None) => return None,
                Ok(Some(Err(e))) => panic!("websocket error: {e}"),
                Ok(Some(Ok(Frame::Text(text)))) => {
                    return Some(serde_json::from_str(&text).unwrap());
                }
                Ok(Some(Ok(Frame::Close(_)))) => return None,
                Ok(Some(Ok(_))) => continue,
            }
        }
    }

    /// Subscribes (with `data`, e.g. a subscribe token) and returns the reply.
    pub(crate) async fn subscribe(&mut self, channel: &str, data: Option<Value>) -> Value {
        let mut frame = json!({"event": "hotsock.subscribe", "channel": channel});
        if let Some(data) = data {
            frame["data"] = data;
        }
        self.send(frame).await;
        self.next().await
    }

    /// That the server ends the connection within `wait` (a close frame or a reset), sending nothing else.
    pub(crate) async fn assert_closed(&mut self, wait: Duration) {
        loop {
            match tokio::time::timeout(wait, self.socket.next()).await {
                Err(_) => panic!("still open after {wait:?}"),
                Ok(None | Some(Err(_)) | Some(Ok(Frame::Close(_)))) => return,
                Ok(Some(Ok(Frame::Text(text)))) => panic!("expected the end, got {text}"),
                Ok(Some(Ok(_))) => continue,
            }
        }
    }

    /// Reads text frames until the server ends the connection, and returns how many came; panics when
    /// nothing arrives for `wait`.
    pub(crate) async fn count_until_closed(&mut self, wait: Duration) -> usize {
        let mut count = 0;
        loop {
            match tokio::time::timeout(wait, self.socket.next()).await {
                Err(_) => panic!("still open after {count} frames and {wait:?} of silence"),
                Ok(None | Some(Err(_)) | Some(Ok(Frame::Close(_)))) => return count,
                Ok(Some(Ok(Frame::Text(_)))) => count += 1,
                Ok(Some(Ok(_))) => continue,
            }
        }
    }

    /// That nothing arrives for a short while.
    pub(crate) async fn assert_quiet(&mut self) {
        if let Some(frame) = self.try_next(Duration::from_millis(300)).await {
            panic!("expected nothing, got {frame}");
        }
    }
}
