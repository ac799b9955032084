//! The process-wide default instance, the Rust form of the Ruby gem's `Hotsock.configure` and
//! `Hotsock.issue_token`.

use std::sync::OnceLock;

use crate::config::Config;
use crate::error::{Error, ErrorKind, Result};
use crate::issue::Issuer;
use crate::publish::message::Message;
use crate::publish::{PublishOutput, Publisher};

struct Default {
    config: Config,
    /// `None` when the configuration has no signing key (it only publishes).
    issuer: Option<Issuer>,
    /// Built at the first `publish_message`; a failed build is retried at the next.
    publisher: tokio::sync::OnceCell<Publisher>,
}

static DEFAULT: OnceLock<Default> = OnceLock::new();

/// Sets the process-wide default configuration used by [`issue_token`] and [`publish_message`]. Call it once, at start-up.
///
/// Unlike the gem's memoized defaults, this is once-only and race-free: of two threads configuring at the
/// same time, exactly one succeeds.
///
/// ```
/// # fn main() -> hotsock::Result<()> {
/// # use std::time::Duration;
/// hotsock::configure(
///     hotsock::Config::builder()
///         .issuer_private_key(include_str!("../tests/fixtures/keys/ec-p256-sec1.pem"))
///         .issuer_token_ttl(Duration::from_secs(60))
///         .build()?,
/// )?;
/// let token = hotsock::issue_token(&serde_json::json!({"scope": "connect"}))?;
/// # assert_eq!(token.split('.').count(), 3);
/// # Ok(())
/// # }
/// ```
///
/// # Errors
/// [`ErrorKind::AlreadyConfigured`] when the default instance is already configured. Configuration is not
/// changed by a second call: build your own [`Issuer`] for a second installation.
pub fn configure(config: Config) -> Result<()> {
    let issuer = config
        .has_issuer_private_key()
        .then(|| Issuer::new(&config))
        .transpose()?;
    DEFAULT
        .set(Default {
            config,
            issuer,
            publisher: tokio::sync::OnceCell::new(),
        })
        .map_err(|_| Error::new(ErrorKind::AlreadyConfigured, "configure was called before"))
}

/// The configuration set by [`configure`], if it was called.
pub fn default_config() -> Option<&'static Config> {
    DEFAULT.get().map(|d| &d.config)
}

/// Publishes a message with the default instance, like [`Publisher::publish`]: the gem's
/// `Hotsock.publish_message`. The default [`Publisher`] is built at the first call and reused.
///
/// # Errors
/// [`ErrorKind::NotConfigured`] before [`configure`]; otherwise as [`Publisher::new`] and
/// [`Publisher::publish`].
pub async fn publish_message(message: &Message) -> Result<PublishOutput> {
    let default = DEFAULT.get().ok_or_else(|| {
        Error::new(
            ErrorKind::NotConfigured,
            "call hotsock::configure before hotsock::publish_message",
        )
    })?;
    let publisher = default
        .publisher
        .get_or_try_init(|| Publisher::new(&default.config))
        .await?;
    publisher.publish(message).await
}

/// Issues a token with the default instance, like [`Issuer::issue`]: the gem's `Hotsock.issue_token`.
///
/// # Errors
/// [`ErrorKind::NotConfigured`] before [`configure`]; [`ErrorKind::Config`] naming `issuer_private_key` when
/// the default configuration has no signing key; otherwise as [`Issuer::issue`].
pub fn issue_token<C: serde::Serialize + ?Sized>(claims: &C) -> Result<String> {
    let default = DEFAULT.get().ok_or_else(|| {
        Error::new(
            ErrorKind::NotConfigured,
            "call hotsock::configure before hotsock::issue_token",
        )
    })?;
    match &default.issuer {
        Some(issuer) => issuer.issue(claims),
        None => Err(Error::config(
            "issuer_private_key",
            "is not set in the default configuration, and issuing tokens needs a signing key",
        )),
    }
}
