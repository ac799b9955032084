//! The one error type of this crate.

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;

/// A `Result` whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// The error returned by everything in this crate.
///
/// It is one pointer wide. [`Error::kind`] tells what went wrong, [`Error::field`] names the configuration
/// option or claim at fault where there is one, and [`source`](StdError::source) carries the underlying error
/// (a JSON or key-parsing error, say) where there is one. `Display` describes this layer only, in lower case:
/// print the chain (`{:#}` with `anyhow`, or walk `source()`) for the whole story.
///
/// No error ever carries a secret: not the private key, not an HMAC secret, not an AWS secret or session
/// token. A test checks this for every kind.
pub struct Error(Box<Inner>);

struct Inner {
    kind: ErrorKind,
    field: Option<Cow<'static, str>>,
    message: Cow<'static, str>,
    source: Option<BoxError>,
}

/// What went wrong, for matching on.
///
/// New kinds may be added in minor releases, so a `match` needs a wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The configuration is invalid: a value is malformed (an empty region, a sub-second token TTL, an unknown
    /// signing algorithm), options that only work together are set apart (an AWS secret without its access key
    /// ID), an environment variable cannot be read, or an operation needs an option that is not set (issuing
    /// tokens without `issuer_private_key`). [`Error::field`] names the option.
    Config,
    /// The signing key is unusable: it cannot be read or decoded, it is encrypted, it is a public key, it is
    /// the wrong type or curve for the configured algorithm, an RSA key is shorter than 2048 bits, or an HMAC
    /// secret is shorter than the hash output (RFC 7518 §3.2) without short secrets being allowed.
    Key,
    /// The claims of a token are unusable: they do not serialize to a JSON object, they fail to serialize at
    /// all, they hold the same name twice, a time claim (`exp`, `nbf`, `iat`) is not a number, or the token
    /// would have no `exp` (Hotsock rejects such tokens) without that being allowed.
    /// [`Error::field`] names the claim where one is at fault.
    Claims,
    /// The process-wide default instance ([`configure`](crate::configure)) is used before it was configured.
    NotConfigured,
    /// [`configure`](crate::configure) was called when the default instance was already configured.
    AlreadyConfigured,
    /// A message breaks one of Hotsock's rules (a channel with a `#`, `data` over 32 KiB, a storage set
    /// without `key`, …), found before anything was sent. [`Error::field`] names the attribute.
    Validation,
    /// AWS refused the credentials or the permission: a wrong secret or signature, expired or invalid
    /// credentials, no credentials found, an AssumeRole that was denied, or an IAM policy without
    /// `lambda:InvokeFunction` on the publish function.
    Auth,
    /// The publish function does not exist (AWS `ResourceNotFoundException`): check `publish_function_arn`
    /// and the region.
    FunctionNotFound,
    /// AWS throttled the request (HTTP 429, `TooManyRequestsException`) and retries did not get it through.
    Throttled,
    /// A call or one of its attempts took longer than its timeout.
    Timeout,
    /// The request could not be sent or its response not read: a refused or reset connection, DNS, TLS.
    Network,
    /// AWS returned another error (an HTTP 5xx after retries, an invalid request, an unexpected response).
    Service,
    /// The publish function ran and failed: Lambda reported a function error, or the function's response
    /// holds `errorType`/`errorMessage`. The message says what the function said.
    FunctionError,
    /// A token is malformed (not three Base64url parts with JSON header and claims), names another
    /// algorithm than the verifier's, or its signature does not verify.
    Token,
    /// The function's response is not the JSON [`PublishResponse`](crate::PublishResponse) expects.
    Response,
}

impl ErrorKind {
    fn describe(self) -> &'static str {
        match self {
            ErrorKind::Config => "invalid configuration",
            ErrorKind::Key => "unusable signing key",
            ErrorKind::Claims => "invalid claims",
            ErrorKind::NotConfigured => "hotsock is not configured",
            ErrorKind::AlreadyConfigured => "hotsock is already configured",
            ErrorKind::Validation => "invalid message",
            ErrorKind::Auth => "aws refused the credentials",
            ErrorKind::FunctionNotFound => "publish function not found",
            ErrorKind::Throttled => "throttled by aws",
            ErrorKind::Timeout => "timed out",
            ErrorKind::Network => "network error",
            ErrorKind::Service => "aws service error",
            ErrorKind::FunctionError => "the publish function failed",
            ErrorKind::Response => "unexpected publish response",
            ErrorKind::Token => "invalid token",
        }
    }
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<Cow<'static, str>>) -> Self {
        Error(Box::new(Inner {
            kind,
            field: None,
            message: message.into(),
            source: None,
        }))
    }

    pub(crate) fn config(field: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Error::new(ErrorKind::Config, message).with_field(field)
    }

    pub(crate) fn key(message: impl Into<Cow<'static, str>>) -> Self {
        Error::new(ErrorKind::Key, message).with_field("issuer_private_key")
    }

    pub(crate) fn claims(message: impl Into<Cow<'static, str>>) -> Self {
        Error::new(ErrorKind::Claims, message)
    }

    pub(crate) fn with_field(mut self, field: impl Into<Cow<'static, str>>) -> Self {
        self.0.field = Some(field.into());
        self
    }

    pub(crate) fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.0.source = Some(source.into());
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The configuration option (`issuer_token_ttl`, `issuer_private_key`, …, as the Ruby gem names them) or
    /// the claim (`exp`, …) at fault, where one is.
    pub fn field(&self) -> Option<&str> {
        self.0.field.as_deref()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.kind.describe())?;
        if let Some(field) = &self.0.field {
            write!(f, ": {field}")?;
        }
        if !self.0.message.is_empty() {
            write!(f, ": {}", self.0.message)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.0.kind);
        if let Some(field) = &self.0.field {
            d.field("field", field);
        }
        d.field("message", &self.0.message);
        if let Some(source) = &self.0.source {
            d.field("source", source);
        }
        d.finish()
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.0
            .source
            .as_ref()
            .map(|e| &**e as &(dyn StdError + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_one_pointer_wide() {
        assert_eq!(size_of::<Error>(), size_of::<usize>());
        assert_eq!(size_of::<Result<()>>(), size_of::<usize>());
    }

    #[test]
    fn display_names_kind_field_and_message() {
        let e = Error::config("issuer_token_ttl", "must be at least one second");
        assert_eq!(
            e.to_string(),
            "invalid configuration: issuer_token_ttl: must be at least one second"
        );
        assert_eq!(e.kind(), ErrorKind::Config);
        assert_eq!(e.field(), Some("issuer_token_ttl"));
        assert!(e.source().is_none());
    }

    #[test]
    fn error_is_send_sync_static() {
        fn assert<T: Send + Sync + 'static + StdError>() {}
        assert::<Error>();
    }
}
