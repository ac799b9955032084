//! A local Hotsock on loopback, for development and tests: no AWS account, one process, the same APIs.
//!
//! [`LocalHotsock`] is configured like an installation — signing keys as Hotsock takes them (method and the
//! Base64 of the public PEM or of the HMAC secret, key ID, two keys for rotation), optional required `aud`
//! and `iss`, AWS-style credentials for the publish function, HTTP API keys — and serves:
//!
//! - the publish function over the **Lambda Invoke API** (`POST /2015-03-31/functions/{name or ARN}/invocations`),
//!   checking the SigV4 signature, so `hotsock::Publisher` (or any AWS SDK) works against it through an
//!   endpoint override;
//! - the **HTTP publish API** (`POST /publish` with `Authorization: Bearer`) and the **Channels API**
//!   (`GET /channels/{name}`, `GET /channels/{name}/storage`);
//! - the **WebSocket API** that Hotsock's browser client speaks (`ws://…/v1?token=…`).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use hotsock::{Algorithm, GeneratedKey, Issuer, Message, Publisher};
//! use hotsock_local::{LocalHotsock, SigningKey};
//!
//! let key = GeneratedKey::generate(Algorithm::ES256)?;
//! let local = LocalHotsock::builder()
//!     .signing_key(SigningKey::new(Algorithm::ES256, key.encoded_parameter().as_str()))
//!     .start()
//!     .await?;
//! // the library's Publisher, unchanged, pointed at the local endpoint
//! let config = local.config_builder().issuer_private_key(key.private_key()).build()?;
//! let publisher = Publisher::new(&config).await?;
//! publisher.publish(&Message::new("chat", "hello").data("hi")).await?;
//! let token = Issuer::new(&config)?.issue(&serde_json::json!({
//!     "scope": "connect", "exp": 4_102_444_800_i64, "channels": {"chat": {"subscribe": true}},
//! }))?;
//! println!("connect to {}?token={token}", local.websocket_url());
//! local.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! What is emulated and how it differs from a real installation is listed in the crate's README (FIDELITY).
#![deny(missing_docs)]
#![warn(missing_debug_implementations, unreachable_pub)]

mod auth;
mod error;
mod http;
mod hub;
mod ids;
mod publish;
mod sigv4;
mod time;
mod ws;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hotsock::{Algorithm, Verifier};
use tokio::sync::watch;

pub use error::{Error, ErrorKind};

/// One of the installation's signing keys: what `SigningKey1MethodParameter`, `SigningKey1EncodedParameter`
/// and `SigningKey1IDParameter` hold.
#[derive(Clone)]
pub struct SigningKey {
    method: Algorithm,
    encoded: String,
    id: Option<String>,
}

impl SigningKey {
    /// A key for tokens signed with `method`; `encoded` is the Base64 of the public key PEM (RS, PS, ES,
    /// EdDSA) or of the HMAC secret (HS), as Hotsock's `SigningKey1EncodedParameter` takes it.
    pub fn new(method: Algorithm, encoded: impl Into<String>) -> SigningKey {
        SigningKey {
            method,
            encoded: encoded.into(),
            id: None,
        }
    }

    /// The key ID tokens must carry as `kid`. Without one, any `kid` (or none) is accepted.
    pub fn id(mut self, id: impl Into<String>) -> SigningKey {
        self.id = Some(id.into()).filter(|id: &String| !id.is_empty());
        self
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // the parameter of an HMAC key is the secret itself
        f.debug_struct("SigningKey")
            .field("method", &self.method)
            .field("id", &self.id)
            .field("encoded", &"[redacted]")
            .finish()
    }
}

/// Builds a [`LocalHotsock`]; every setter has a default, and problems surface at [`start`](Self::start).
#[derive(Debug)]
#[must_use]
pub struct LocalHotsockBuilder {
    address: SocketAddr,
    keys: Vec<SigningKey>,
    audience: Option<String>,
    issuer: Option<String>,
    access_key_id: Option<String>,
    secret_access_key: Option<Secret>,
    http_api_keys: Vec<Secret>,
    region: String,
    function_name: String,
    keep_alive_interval: Duration,
    outbox_frames: usize,
}

/// A secret string whose `Debug` is `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
struct Secret(String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl LocalHotsockBuilder {
    /// Where to listen: `127.0.0.1:0` (a free port on loopback) by default.
    pub fn address(mut self, address: SocketAddr) -> Self {
        self.address = address;
        self
    }

    /// Adds a signing key; an installation takes up to two, for rotation.
    pub fn signing_key(mut self, key: SigningKey) -> Self {
        self.keys.push(key);
        self
    }

    /// Requires every token's `aud` to be (or include) this value (`TokenAudienceParameter`).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// Requires every token's `iss` to be this value (`TokenIssuerParameter`).
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// The AWS credentials publish requests must be signed with; random ones by default.
    pub fn credentials(
        mut self,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
    ) -> Self {
        self.access_key_id = Some(access_key_id.into());
        self.secret_access_key = Some(Secret(secret_access_key.into()));
        self
    }

    /// Adds an HTTP API key (`Authorization: Bearer …`); one random key is made if none is given.
    pub fn http_api_key(mut self, key: impl Into<String>) -> Self {
        self.http_api_keys.push(Secret(key.into()));
        self
    }

    /// The AWS region of the endpoint (and of the signatures it accepts): `us-east-1` by default.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }

    /// The publish function's name: `hotsock-local-publish` by default.
    pub fn function_name(mut self, name: impl Into<String>) -> Self {
        self.function_name = name.into();
        self
    }

    /// How often `keepAlive` connections get `hotsock.keepAlive`: 9.5 minutes by default, as Hotsock.
    pub fn keep_alive_interval(mut self, interval: Duration) -> Self {
        self.keep_alive_interval = interval;
        self
    }

    /// How many messages may wait for one connection that reads too slowly before it is closed (code
    /// 1008), as API Gateway closes connections that cannot keep up: 65,536 by default.
    pub fn max_queued_messages(mut self, frames: usize) -> Self {
        self.outbox_frames = frames.max(1);
        self
    }

    /// Checks the settings, binds the address and starts serving on the current Tokio runtime.
    ///
    /// # Errors
    /// [`ErrorKind::Config`] for no signing key, more than two, or a key that cannot be read;
    /// [`ErrorKind::Io`] when the address cannot be bound.
    pub async fn start(self) -> Result<LocalHotsock, Error> {
        if self.keys.is_empty() {
            return Err(Error::config(
                "a signing key is required (SigningKey::new(method, encoded_parameter))",
            ));
        }
        if self.keys.len() > 2 {
            return Err(Error::config(
                "an installation takes at most two signing keys",
            ));
        }
        let mut keys = Vec::with_capacity(self.keys.len());
        for (i, key) in self.keys.iter().enumerate() {
            let verifier = Verifier::from_encoded_parameter(key.method, &key.encoded)
                .map_err(|e| Error::config(format!("signing key {}", i + 1)).with_source(e))?;
            keys.push(auth::Key {
                verifier,
                id: key.id.clone(),
            });
        }
        let listener = tokio::net::TcpListener::bind(self.address)
            .await
            .map_err(|e| Error::io(format!("cannot listen on {}", self.address), e))?;
        let address = listener
            .local_addr()
            .map_err(|e| Error::io("cannot read the bound address", e))?;
        let access_key_id = self
            .access_key_id
            .unwrap_or_else(|| format!("AKIALOCAL{}", ids::alphanumeric(11).to_uppercase()));
        let secret_access_key = self
            .secret_access_key
            .unwrap_or_else(|| Secret(ids::alphanumeric(40)));
        let http_api_keys = if self.http_api_keys.is_empty() {
            vec![Secret(ids::alphanumeric(40))]
        } else {
            self.http_api_keys
        };
        let (shutdown, _) = watch::channel(false);
        let settings = Settings {
            region: self.region,
            account_id: "000000000000".into(),
            function_name: self.function_name,
            access_key_id,
            secret_access_key,
            http_api_keys,
            keep_alive_interval: self.keep_alive_interval,
            outbox_frames: self.outbox_frames,
        };
        let app = Arc::new(App {
            authority: auth::Authority::new(keys, self.audience, self.issuer),
            hub: hub::Hub::default(),
            settings,
            shutdown,
        });
        let router = http::router(Arc::clone(&app));
        let mut stopped = app.shutdown.subscribe();
        let server = tokio::spawn(async move {
            let serve = axum::serve(listener, router).with_graceful_shutdown(async move {
                let _ = stopped.changed().await;
            });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "the local Hotsock stopped");
            }
        });
        tracing::info!(%address, "local Hotsock listening");
        Ok(LocalHotsock {
            app,
            address,
            server: Some(server),
        })
    }
}

/// Settings fixed at start.
#[derive(Debug)]
struct Settings {
    region: String,
    account_id: String,
    function_name: String,
    access_key_id: String,
    secret_access_key: Secret,
    http_api_keys: Vec<Secret>,
    keep_alive_interval: Duration,
    outbox_frames: usize,
}

impl Settings {
    fn function_arn(&self) -> String {
        format!(
            "arn:aws:lambda:{}:{}:function:{}",
            self.region, self.account_id, self.function_name
        )
    }
}

/// What every request handler shares.
struct App {
    authority: auth::Authority,
    hub: hub::Hub,
    settings: Settings,
    /// Flipped to `true` at shutdown: connections close, scheduled messages are dropped.
    shutdown: watch::Sender<bool>,
}

/// A running local Hotsock. It stops when [`shutdown`](Self::shutdown) is awaited or when it is dropped.
pub struct LocalHotsock {
    app: Arc<App>,
    address: SocketAddr,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl fmt::Debug for LocalHotsock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalHotsock")
            .field("address", &self.address)
            .field("settings", &self.app.settings)
            .finish_non_exhaustive()
    }
}

impl LocalHotsock {
    /// A builder with the defaults: loopback, a free port, random credentials and API key.
    pub fn builder() -> LocalHotsockBuilder {
        LocalHotsockBuilder {
            address: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            keys: Vec::new(),
            audience: None,
            issuer: None,
            access_key_id: None,
            secret_access_key: None,
            http_api_keys: Vec::new(),
            region: "us-east-1".into(),
            function_name: "hotsock-local-publish".into(),
            keep_alive_interval: Duration::from_secs(570),
            outbox_frames: 65_536,
        }
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The AWS endpoint URL (`http://127.0.0.1:port`) for the Lambda API: the `hotsock` crate's
    /// `aws_endpoint_url` option.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The WebSocket URL clients connect to, `ws://127.0.0.1:port/v1` (add `?token=…`).
    pub fn websocket_url(&self) -> String {
        format!("ws://{}/v1", self.address)
    }

    /// The publish function's ARN (`PublishFunctionArn`).
    pub fn publish_function_arn(&self) -> String {
        self.app.settings.function_arn()
    }

    /// The HTTP publish URL (`PublishHttpApiUrl`).
    pub fn http_publish_url(&self) -> String {
        format!("http://{}/publish", self.address)
    }

    /// The base URL of the Channels API (`HttpApiUrl`).
    pub fn http_api_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The region signatures must be made for.
    pub fn region(&self) -> &str {
        &self.app.settings.region
    }

    /// The access key ID publish requests must be signed with.
    pub fn access_key_id(&self) -> &str {
        &self.app.settings.access_key_id
    }

    /// The secret access key publish requests must be signed with.
    pub fn secret_access_key(&self) -> &str {
        &self.app.settings.secret_access_key.0
    }

    /// The HTTP API keys.
    pub fn http_api_keys(&self) -> impl Iterator<Item = &str> {
        self.app.settings.http_api_keys.iter().map(|k| k.0.as_str())
    }

    /// A `hotsock` configuration that publishes here: endpoint, region, credentials and function ARN set.
    /// Add the issuer's key to issue tokens with it too.
    pub fn config_builder(&self) -> hotsock::ConfigBuilder {
        hotsock::Config::builder()
            .publish_function_arn(self.publish_function_arn())
            .aws_region(self.region())
            .aws_endpoint_url(self.endpoint_url())
            .aws_access_key_id(self.access_key_id())
            .aws_secret_access_key(self.secret_access_key())
    }

    /// How many connections are subscribed to `channel` (those with `omitFromSubCount` included), so that a
    /// test can wait for its subscribers before it publishes.
    pub fn subscriptions_count(&self, channel: &str) -> usize {
        self.app.hub.subscriber_count(channel)
    }

    /// The messages of `channel` kept by `store` and not yet expired, oldest first.
    pub fn stored_messages(&self, channel: &str) -> Vec<StoredMessage> {
        self.app
            .hub
            .history(channel)
            .into_iter()
            .map(|m| StoredMessage {
                id: m.id,
                event: m.event,
                data: m.data.map_or_else(|| "null".into(), |d| d.get().to_owned()),
                meta: m.meta.map(|meta| meta.to_string()),
            })
            .collect()
    }

    /// Stops serving: open connections are closed and pending scheduled messages are dropped.
    pub async fn shutdown(mut self) {
        let _ = self.app.shutdown.send(true);
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

impl Drop for LocalHotsock {
    fn drop(&mut self) {
        let _ = self.app.shutdown.send(true);
    }
}

/// A message kept in a channel's history by `store`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredMessage {
    /// The message's ULID.
    pub id: String,
    /// The event name.
    pub event: String,
    /// The data as JSON text.
    pub data: String,
    /// `{"uid": …, "umd": …}` of the client that published it, as JSON text; `None` for server messages.
    pub meta: Option<String>,
}
