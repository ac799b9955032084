//! Publish messages to [Hotsock](https://www.hotsock.io) and issue the tokens its clients connect with.
//!
//! Hotsock is a real-time WebSocket service that runs in your own AWS account. A backend does two things with
//! it: it *publishes* messages to channels by invoking the installation's publish Lambda function, and it
//! *issues* the JWTs that browsers and apps present to connect and subscribe. This crate is the Rust
//! counterpart of the official Ruby gem: the same options under the same names, the same tokens byte for
//! byte, and more of what a server needs (more algorithms and key formats, typed errors before anything
//! leaves the process, secrets that never print).
//!
//! # Issuing tokens
//!
//! ```
//! # fn main() -> hotsock::Result<()> {
//! use std::time::Duration;
//! use serde_json::json;
//!
//! let config = hotsock::Config::builder()
//!     .issuer_private_key(include_str!("../tests/fixtures/keys/ec-p256-sec1.pem")) // or from_env()
//!     .issuer_key_id("95616b70")
//!     .issuer_token_ttl(Duration::from_secs(30))
//!     .build()?;
//! let issuer = hotsock::Issuer::new(&config)?;
//! let token = issuer.issue(&json!({"scope": "connect", "uid": "user-1"}))?;
//! # assert!(token.starts_with("eyJ"));
//! # Ok(())
//! # }
//! ```
//!
//! The signing key is parsed once, when the [`Config`] is built; a bad key, a key of the wrong type or curve
//! for the algorithm, or an HMAC secret that is too short is an error there, naming the option. Hotsock
//! rejects tokens without `exp`, so issuing one is an error unless a TTL is set, `exp` is passed, or tokens
//! without `exp` are explicitly allowed.
//!
//! Algorithms: HS256/384/512, RS256/384/512, PS256/384/512, ES256/384/512 and EdDSA (Ed25519), signed with
//! [aws-lc-rs](https://docs.rs/aws-lc-rs). Keys: PEM or DER; SEC1, PKCS#1 or PKCS#8 (whatever the PEM label
//! claims); Base64 of any of these, or a file path.
//!
//! # Publishing
//!
//! A [`Publisher`] invokes the installation's publish Lambda function through the AWS SDK for Rust, with the
//! credentials the [`Config`] names (static keys with an optional session token, an assumed role with
//! session name, external ID and duration, or the SDK's default chain). A [`Message`] has one method per
//! attribute Hotsock documents and is validated before anything is sent; a Lambda function error is an
//! error ([`ErrorKind::FunctionError`]), never a success. See [`Publisher`] for retries, timeouts,
//! fire-and-forget invocation and [`Publisher::publish_all`]; the `blocking` feature adds
//! `hotsock::blocking::Publisher`.
//!
//! # The default instance
//!
//! Like the gem's `Hotsock.configure`, `Hotsock.issue_token` and `Hotsock.publish_message`: [`configure`]
//! once per process, then call [`issue_token`] and [`publish_message`] anywhere. Using them before it is
//! configured, or configuring it twice, is an error.
//!
//! # Threads and cloning
//!
//! [`Config`], [`Issuer`] and [`Publisher`] are `Send + Sync` and cheap to clone: their state is behind an
//! `Arc`. Make one `Issuer` and one `Publisher` per installation and share them; do not make one per token
//! or per message (a `Publisher` holds the AWS client, its connections and its cached credentials).
//!
//! # Errors
//!
//! Every fallible function returns [`Error`], whose [`kind`](Error::kind) is an [`ErrorKind`] to match on and
//! whose [`field`](Error::field) names the option or claim at fault.
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![warn(missing_debug_implementations, unreachable_pub)]

#[cfg(feature = "blocking")]
pub mod blocking;
mod config;
mod error;
mod global;
mod issue;
mod publish;

pub use config::{Audience, Config, ConfigBuilder, ConfigOption};
pub use error::{Error, ErrorKind, Result};
pub use global::{configure, default_config, issue_token, publish_message};
pub use issue::Issuer;
pub use issue::algorithm::Algorithm;
pub use issue::generate::GeneratedKey;
pub use issue::verify::{DecodedToken, Verifier};
pub use publish::message::{
    MAX_DATA_BYTES, MAX_PAYLOAD_BYTES, MAX_STORE_SECONDS, Message, STORAGE_SET_EVENT,
};
pub use publish::{
    FunctionFailure, InvocationMode, PublishOutput, PublishResponse, Publisher, PublisherBuilder,
};

// The README's Rust examples compile as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

/// This crate's version, e.g. `"0.1.0"`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
