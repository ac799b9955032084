//! [`Config`]: every option of the Ruby gem and more, validated once.

use std::ffi::OsStr;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::issue::algorithm::Algorithm;
use crate::issue::claims::Defaults;
use crate::issue::key::{KeySource, SigningKey};

/// The settings of one Hotsock installation: how to reach its publish function and how to sign its tokens.
///
/// Make one with [`Config::builder`] or [`Config::from_env`]. Building validates every value and parses the
/// signing key once, so a `Config` that exists is a usable one; the error of a bad value names the option.
/// A `Config` with only a signing key issues tokens; one with only AWS settings publishes; both are valid.
///
/// `Config` is cheap to clone (its state is behind an [`Arc`]). Its `Debug` output shows every setting except
/// secrets: the signing key, the AWS secret access key and the AWS session token print as `[redacted]`.
///
/// # Options
///
/// The options are the Ruby gem's, with the same names; each has a builder method of that name and an
/// environment variable of that name upper-cased behind `HOTSOCK_`. The standard `AWS_*` variables and AWS
/// profiles are read by the AWS SDK when publishing, as the SDK always reads them; `Config` does not read them.
///
/// | builder method | environment variable | Ruby gem option |
/// | --- | --- | --- |
/// | [`publish_function_arn`](ConfigBuilder::publish_function_arn) | `HOTSOCK_PUBLISH_FUNCTION_ARN` | `publish_function_arn` |
/// | [`aws_region`](ConfigBuilder::aws_region) | `HOTSOCK_AWS_REGION` | `aws_region` |
/// | [`aws_profile`](ConfigBuilder::aws_profile) | `HOTSOCK_AWS_PROFILE` | (none) |
/// | [`aws_access_key_id`](ConfigBuilder::aws_access_key_id) | `HOTSOCK_AWS_ACCESS_KEY_ID` | `aws_access_key_id` |
/// | [`aws_secret_access_key`](ConfigBuilder::aws_secret_access_key) | `HOTSOCK_AWS_SECRET_ACCESS_KEY` | `aws_secret_access_key` |
/// | [`aws_session_token`](ConfigBuilder::aws_session_token) | `HOTSOCK_AWS_SESSION_TOKEN` | (none) |
/// | [`aws_assume_role_arn`](ConfigBuilder::aws_assume_role_arn) | `HOTSOCK_AWS_ASSUME_ROLE_ARN` | `aws_assume_role_arn` |
/// | [`aws_assume_role_session_name`](ConfigBuilder::aws_assume_role_session_name) | `HOTSOCK_AWS_ASSUME_ROLE_SESSION_NAME` | `aws_assume_role_session_name` |
/// | [`aws_assume_role_external_id`](ConfigBuilder::aws_assume_role_external_id) | `HOTSOCK_AWS_ASSUME_ROLE_EXTERNAL_ID` | `aws_assume_role_external_id` |
/// | [`aws_assume_role_duration`](ConfigBuilder::aws_assume_role_duration) | `HOTSOCK_AWS_ASSUME_ROLE_DURATION` (seconds) | (none) |
/// | [`aws_endpoint_url`](ConfigBuilder::aws_endpoint_url) | `HOTSOCK_AWS_ENDPOINT_URL` | (none) |
/// | [`issuer_private_key`](ConfigBuilder::issuer_private_key) | `HOTSOCK_ISSUER_PRIVATE_KEY` | `issuer_private_key` |
/// | [`issuer_private_key_base64`](ConfigBuilder::issuer_private_key_base64) | `HOTSOCK_ISSUER_PRIVATE_KEY_BASE64` | (none) |
/// | [`issuer_private_key_file`](ConfigBuilder::issuer_private_key_file) | `HOTSOCK_ISSUER_PRIVATE_KEY_FILE` | (none) |
/// | [`issuer_private_key_der`](ConfigBuilder::issuer_private_key_der) | (none) | (none) |
/// | [`issuer_key_algorithm`](ConfigBuilder::issuer_key_algorithm) | `HOTSOCK_ISSUER_KEY_ALGORITHM` | `issuer_key_algorithm` |
/// | [`issuer_key_id`](ConfigBuilder::issuer_key_id) | `HOTSOCK_ISSUER_KEY_ID` | `issuer_key_id` |
/// | [`issuer_aud_claim`](ConfigBuilder::issuer_aud_claim) | `HOTSOCK_ISSUER_AUD_CLAIM` | `issuer_aud_claim` |
/// | [`issuer_iat_claim`](ConfigBuilder::issuer_iat_claim) | `HOTSOCK_ISSUER_IAT_CLAIM` | `issuer_iat_claim` |
/// | [`issuer_iss_claim`](ConfigBuilder::issuer_iss_claim) | `HOTSOCK_ISSUER_ISS_CLAIM` | `issuer_iss_claim` |
/// | [`issuer_jti_claim`](ConfigBuilder::issuer_jti_claim) | `HOTSOCK_ISSUER_JTI_CLAIM` | `issuer_jti_claim` |
/// | [`issuer_token_ttl`](ConfigBuilder::issuer_token_ttl) | `HOTSOCK_ISSUER_TOKEN_TTL` (seconds) | `issuer_token_ttl` |
/// | [`issuer_allow_missing_exp`](ConfigBuilder::issuer_allow_missing_exp) | `HOTSOCK_ISSUER_ALLOW_MISSING_EXP` | (none) |
/// | [`issuer_allow_short_hmac_secret`](ConfigBuilder::issuer_allow_short_hmac_secret) | `HOTSOCK_ISSUER_ALLOW_SHORT_HMAC_SECRET` | (none) |
/// | [`clock`](ConfigBuilder::clock) | (none) | (none) |
#[derive(Clone)]
pub struct Config {
    inner: Arc<Settings>,
}

/// A secret string: wiped when dropped, `[redacted]` in `Debug`.
#[derive(Clone)]
pub(crate) struct Secret(Zeroizing<String>);

impl Secret {
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The value of the default `aud` claim: one audience or several.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// `"aud":"…"`
    One(String),
    /// `"aud":["…","…"]`
    Many(Vec<String>),
}

impl From<&str> for Audience {
    fn from(value: &str) -> Self {
        Audience::One(value.to_owned())
    }
}

impl From<String> for Audience {
    fn from(value: String) -> Self {
        Audience::One(value)
    }
}

impl From<Vec<String>> for Audience {
    fn from(value: Vec<String>) -> Self {
        Audience::Many(value)
    }
}

impl<const N: usize> From<[&str; N]> for Audience {
    fn from(value: [&str; N]) -> Self {
        Audience::Many(value.iter().map(|s| (*s).to_owned()).collect())
    }
}

/// Where the issuer reads the time from. The system clock unless [`ConfigBuilder::clock`] set another.
#[derive(Clone, Default)]
pub(crate) struct Clock(Option<Arc<dyn Fn() -> SystemTime + Send + Sync>>);

impl Clock {
    pub(crate) fn now(&self) -> SystemTime {
        match &self.0 {
            Some(clock) => clock(),
            None => SystemTime::now(),
        }
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() { "custom" } else { "system" })
    }
}

/// The validated settings, shared by every clone of a [`Config`].
struct Settings {
    publish_function_arn: Option<String>,
    aws_region: Option<String>,
    aws_profile: Option<String>,
    aws_access_key_id: Option<String>,
    aws_secret_access_key: Option<Secret>,
    aws_session_token: Option<Secret>,
    aws_assume_role_arn: Option<String>,
    aws_assume_role_session_name: Option<String>,
    aws_assume_role_external_id: Option<String>,
    aws_assume_role_duration: Option<Duration>,
    aws_endpoint_url: Option<String>,
    signing_key: Option<Arc<SigningKey>>,
    issuer_key_algorithm: Algorithm,
    issuer_key_id: Option<String>,
    issuer_aud_claim: Option<Audience>,
    issuer_iat_claim: bool,
    issuer_iss_claim: Option<String>,
    issuer_jti_claim: bool,
    issuer_token_ttl: Option<Duration>,
    issuer_allow_missing_exp: bool,
    clock: Clock,
}

impl Config {
    /// Starts a configuration with every option unset and the Ruby gem's defaults (`ES256`, no default claims).
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::default()
    }

    /// Reads the configuration from the `HOTSOCK_*` environment variables (see the table above).
    ///
    /// Shorthand for `Config::builder().env_vars(std::env::vars_os()).build()`. Use that form to override
    /// some values in code.
    ///
    /// # Errors
    /// As [`ConfigBuilder::build`], plus [`ErrorKind::Config`](crate::ErrorKind::Config) for a variable that is not valid UTF-8 or does
    /// not parse (a TTL that is not a number of seconds, a flag that is not `true` or `false`).
    pub fn from_env() -> Result<Config> {
        Config::builder().env_vars(std::env::vars_os()).build()
    }

    /// The publish function: a function name, a full ARN or a partial ARN.
    pub fn publish_function_arn(&self) -> Option<&str> {
        self.inner.publish_function_arn.as_deref()
    }

    /// The AWS region, when set here rather than left to the AWS SDK's usual sources.
    pub fn aws_region(&self) -> Option<&str> {
        self.inner.aws_region.as_deref()
    }

    /// The AWS profile (in `~/.aws/config` and `~/.aws/credentials`) whose region and credentials the AWS
    /// SDK uses, when set here rather than by `AWS_PROFILE`.
    pub fn aws_profile(&self) -> Option<&str> {
        self.inner.aws_profile.as_deref()
    }

    /// The static AWS access key ID, when set.
    pub fn aws_access_key_id(&self) -> Option<&str> {
        self.inner.aws_access_key_id.as_deref()
    }

    /// Whether a static AWS secret access key is set. The secret itself is never given out.
    pub fn has_aws_secret_access_key(&self) -> bool {
        self.inner.aws_secret_access_key.is_some()
    }

    /// Whether a static AWS session token is set. The token itself is never given out.
    pub fn has_aws_session_token(&self) -> bool {
        self.inner.aws_session_token.is_some()
    }

    /// The role to assume before publishing, when set.
    pub fn aws_assume_role_arn(&self) -> Option<&str> {
        self.inner.aws_assume_role_arn.as_deref()
    }

    /// The session name for the assumed role, when set.
    pub fn aws_assume_role_session_name(&self) -> Option<&str> {
        self.inner.aws_assume_role_session_name.as_deref()
    }

    /// The external ID for the assumed role, when set.
    pub fn aws_assume_role_external_id(&self) -> Option<&str> {
        self.inner.aws_assume_role_external_id.as_deref()
    }

    /// The lifetime of the assumed role's credentials, when set (STS's default otherwise: one hour).
    pub fn aws_assume_role_duration(&self) -> Option<Duration> {
        self.inner.aws_assume_role_duration
    }

    /// The endpoint override for the AWS APIs (a local emulator), when set.
    pub fn aws_endpoint_url(&self) -> Option<&str> {
        self.inner.aws_endpoint_url.as_deref()
    }

    /// Whether a signing key is configured, so that [`Issuer::new`](crate::Issuer::new) succeeds.
    pub fn has_issuer_private_key(&self) -> bool {
        self.inner.signing_key.is_some()
    }

    /// The token signing algorithm.
    pub fn issuer_key_algorithm(&self) -> Algorithm {
        self.inner.issuer_key_algorithm
    }

    /// The `kid` header of every token, when set.
    pub fn issuer_key_id(&self) -> Option<&str> {
        self.inner.issuer_key_id.as_deref()
    }

    /// The default `aud` claim, when set.
    pub fn issuer_aud_claim(&self) -> Option<&Audience> {
        self.inner.issuer_aud_claim.as_ref()
    }

    /// Whether tokens get a default `iat` claim.
    pub fn issuer_iat_claim(&self) -> bool {
        self.inner.issuer_iat_claim
    }

    /// The default `iss` claim, when set.
    pub fn issuer_iss_claim(&self) -> Option<&str> {
        self.inner.issuer_iss_claim.as_deref()
    }

    /// Whether tokens get a default `jti` claim (a random UUID).
    pub fn issuer_jti_claim(&self) -> bool {
        self.inner.issuer_jti_claim
    }

    /// The lifetime of tokens (default `exp` = now + TTL), in whole seconds, when set.
    pub fn issuer_token_ttl(&self) -> Option<Duration> {
        self.inner.issuer_token_ttl
    }

    /// Whether tokens without `exp` may be issued (Hotsock rejects them).
    pub fn issuer_allow_missing_exp(&self) -> bool {
        self.inner.issuer_allow_missing_exp
    }

    pub(crate) fn aws_secret_access_key(&self) -> Option<&Secret> {
        self.inner.aws_secret_access_key.as_ref()
    }

    pub(crate) fn aws_session_token(&self) -> Option<&Secret> {
        self.inner.aws_session_token.as_ref()
    }

    pub(crate) fn signing_key(&self) -> Option<&Arc<SigningKey>> {
        self.inner.signing_key.as_ref()
    }

    pub(crate) fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    pub(crate) fn claim_defaults(&self) -> Defaults {
        let s = &*self.inner;
        let json = |v: serde_json::Value| v.to_string();
        Defaults {
            aud: s.issuer_aud_claim.as_ref().map(|aud| match aud {
                Audience::One(one) => json(one.as_str().into()),
                Audience::Many(many) => json(many.clone().into()),
            }),
            iat: s.issuer_iat_claim,
            iss: s.issuer_iss_claim.as_deref().map(|iss| json(iss.into())),
            jti: s.issuer_jti_claim,
            ttl: s.issuer_token_ttl.map_or(0, |d| d.as_secs()),
            allow_missing_exp: s.issuer_allow_missing_exp,
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &*self.inner;
        f.debug_struct("Config")
            .field("publish_function_arn", &s.publish_function_arn)
            .field("aws_region", &s.aws_region)
            .field("aws_profile", &s.aws_profile)
            .field("aws_access_key_id", &s.aws_access_key_id)
            .field("aws_secret_access_key", &s.aws_secret_access_key)
            .field("aws_session_token", &s.aws_session_token)
            .field("aws_assume_role_arn", &s.aws_assume_role_arn)
            .field(
                "aws_assume_role_session_name",
                &s.aws_assume_role_session_name,
            )
            .field(
                "aws_assume_role_external_id",
                &s.aws_assume_role_external_id,
            )
            .field("aws_assume_role_duration", &s.aws_assume_role_duration)
            .field("aws_endpoint_url", &s.aws_endpoint_url)
            .field(
                "issuer_private_key",
                &s.signing_key.as_ref().map(|_| Secret(Zeroizing::default())),
            )
            .field("issuer_key_algorithm", &s.issuer_key_algorithm)
            .field("issuer_key_id", &s.issuer_key_id)
            .field("issuer_aud_claim", &s.issuer_aud_claim)
            .field("issuer_iat_claim", &s.issuer_iat_claim)
            .field("issuer_iss_claim", &s.issuer_iss_claim)
            .field("issuer_jti_claim", &s.issuer_jti_claim)
            .field("issuer_token_ttl", &s.issuer_token_ttl)
            .field("issuer_allow_missing_exp", &s.issuer_allow_missing_exp)
            .field("clock", &s.clock)
            .finish()
    }
}

/// Builds a [`Config`]. Setters never fail; [`build`](ConfigBuilder::build) checks everything.
///
/// Later calls override earlier ones, so `Config::builder().env_vars(std::env::vars_os()).issuer_key_id("k2")`
/// takes everything from the environment but the key ID.
#[derive(Default)]
pub struct ConfigBuilder {
    publish_function_arn: Option<String>,
    aws_region: Option<String>,
    aws_profile: Option<String>,
    aws_access_key_id: Option<String>,
    aws_secret_access_key: Option<Secret>,
    aws_session_token: Option<Secret>,
    aws_assume_role_arn: Option<String>,
    aws_assume_role_session_name: Option<String>,
    aws_assume_role_external_id: Option<String>,
    aws_assume_role_duration: Option<Duration>,
    aws_endpoint_url: Option<String>,
    key: Option<KeySource>,
    issuer_key_algorithm: Option<Algorithm>,
    issuer_key_id: Option<String>,
    issuer_aud_claim: Option<Audience>,
    issuer_iat_claim: bool,
    issuer_iss_claim: Option<String>,
    issuer_jti_claim: bool,
    issuer_token_ttl: Option<Duration>,
    issuer_allow_missing_exp: bool,
    issuer_allow_short_hmac_secret: bool,
    clock: Clock,
    /// Problems found while reading environment variables, reported by `build()`.
    deferred: Vec<Error>,
}

impl fmt::Debug for ConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigBuilder")
            .field("publish_function_arn", &self.publish_function_arn)
            .field("issuer_key_algorithm", &self.issuer_key_algorithm)
            .field("issuer_private_key", &self.key)
            .finish_non_exhaustive()
    }
}

impl ConfigBuilder {
    /// The publish Lambda function: the `PublishFunctionArn` output of the Hotsock stack, or the bare
    /// function name. Needed to publish.
    pub fn publish_function_arn(mut self, arn: impl Into<String>) -> Self {
        self.publish_function_arn = Some(arn.into());
        self
    }

    /// The AWS region of the installation. Unlike the gem, this is optional: without it the AWS SDK's usual
    /// sources apply (`AWS_REGION`, the profile).
    pub fn aws_region(mut self, region: impl Into<String>) -> Self {
        self.aws_region = Some(region.into());
        self
    }

    /// A named AWS profile for the default credential chain and the region, as `AWS_PROFILE` names one
    /// (SSO, `credential_process`, `role_arn` with `source_profile` all work as the AWS SDK reads them).
    pub fn aws_profile(mut self, profile: impl Into<String>) -> Self {
        self.aws_profile = Some(profile.into());
        self
    }

    /// A static AWS access key ID, with [`aws_secret_access_key`](Self::aws_secret_access_key). Without
    /// static keys the AWS SDK's default credential chain applies, which is what most deployments want.
    pub fn aws_access_key_id(mut self, id: impl Into<String>) -> Self {
        self.aws_access_key_id = Some(id.into());
        self
    }

    /// The secret of the static AWS access key. Never shown in `Debug`, errors or logs.
    pub fn aws_secret_access_key(mut self, secret: impl Into<String>) -> Self {
        self.aws_secret_access_key = Some(Secret(Zeroizing::new(secret.into())));
        self
    }

    /// The session token that goes with temporary static keys. Never shown in `Debug`, errors or logs.
    pub fn aws_session_token(mut self, token: impl Into<String>) -> Self {
        self.aws_session_token = Some(Secret(Zeroizing::new(token.into())));
        self
    }

    /// A role to assume (STS AssumeRole) for publishing. The source identity for the AssumeRole call is the
    /// static keys if set, else the default credential chain.
    pub fn aws_assume_role_arn(mut self, arn: impl Into<String>) -> Self {
        self.aws_assume_role_arn = Some(arn.into());
        self
    }

    /// The session name of the assumed role (2 to 64 characters of `A-Za-z0-9+=,.@-`).
    pub fn aws_assume_role_session_name(mut self, name: impl Into<String>) -> Self {
        self.aws_assume_role_session_name = Some(name.into());
        self
    }

    /// The external ID the role's trust policy requires (2 to 1224 characters of `A-Za-z0-9+=,.@:/-`).
    pub fn aws_assume_role_external_id(mut self, id: impl Into<String>) -> Self {
        self.aws_assume_role_external_id = Some(id.into());
        self
    }

    /// How long the assumed role's credentials last: 15 minutes to 12 hours, in whole seconds (the role's
    /// maximum session duration must allow it). The AWS SDK refreshes them before they expire.
    pub fn aws_assume_role_duration(mut self, duration: Duration) -> Self {
        self.aws_assume_role_duration = Some(duration);
        self
    }

    /// Sends AWS API calls (Lambda and STS) to this URL instead of AWS: a local emulator such as moto or the
    /// local Hotsock. `http://` and `https://` URLs are accepted.
    pub fn aws_endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.aws_endpoint_url = Some(url.into());
        self
    }

    /// The signing key, as the gem takes it: PEM text for RS, PS, ES and EdDSA (SEC1 `EC PRIVATE KEY`,
    /// PKCS#1 `RSA PRIVATE KEY` or PKCS#8 `PRIVATE KEY`, whatever the label says), or the raw shared secret
    /// for HS. A PEM squeezed onto one line with literal `\n` sequences (an env file) is accepted too.
    pub fn issuer_private_key(mut self, key: impl AsRef<[u8]>) -> Self {
        self.key = Some(KeySource::Text(Zeroizing::new(key.as_ref().to_vec())));
        self
    }

    /// The signing key as Base64: of the PEM text (what the gem's README suggests for env vars), of a DER key,
    /// or of the raw HMAC secret (the very value of Hotsock's `SigningKey1EncodedParameter` for HS keys).
    pub fn issuer_private_key_base64(mut self, key: impl Into<String>) -> Self {
        self.key = Some(KeySource::Base64(Zeroizing::new(key.into())));
        self
    }

    /// The signing key as DER bytes (PKCS#8, SEC1 or PKCS#1). Not for HMAC secrets.
    pub fn issuer_private_key_der(mut self, der: impl AsRef<[u8]>) -> Self {
        self.key = Some(KeySource::Der(Zeroizing::new(der.as_ref().to_vec())));
        self
    }

    /// A file holding the signing key, PEM or DER (or the raw HMAC secret, byte for byte: mind a trailing
    /// newline). Read once, by [`build`](Self::build).
    pub fn issuer_private_key_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.key = Some(KeySource::File(path.into()));
        self
    }

    /// The signing algorithm; [`Algorithm::ES256`] unless set.
    pub fn issuer_key_algorithm(mut self, algorithm: Algorithm) -> Self {
        self.issuer_key_algorithm = Some(algorithm);
        self
    }

    /// The `kid` header of every token. Set it to the installation's `SigningKey1IDParameter`.
    pub fn issuer_key_id(mut self, kid: impl Into<String>) -> Self {
        self.issuer_key_id = Some(kid.into());
        self
    }

    /// A default `aud` claim: one audience (`"aud"`) or several (`["a", "b"]`).
    pub fn issuer_aud_claim(mut self, aud: impl Into<Audience>) -> Self {
        self.issuer_aud_claim = Some(aud.into());
        self
    }

    /// Whether to add a default `iat` claim (the time of issue).
    pub fn issuer_iat_claim(mut self, enabled: bool) -> Self {
        self.issuer_iat_claim = enabled;
        self
    }

    /// A default `iss` claim.
    pub fn issuer_iss_claim(mut self, iss: impl Into<String>) -> Self {
        self.issuer_iss_claim = Some(iss.into());
        self
    }

    /// Whether to add a default `jti` claim (a random version 4 UUID), as `singleUse` tokens need.
    pub fn issuer_jti_claim(mut self, enabled: bool) -> Self {
        self.issuer_jti_claim = enabled;
        self
    }

    /// The lifetime of tokens: a default `exp` claim of now plus this, in whole seconds (rounded down).
    /// Zero means no default `exp`. Hotsock requires `exp`, so set this or pass `exp` with every token.
    pub fn issuer_token_ttl(mut self, ttl: Duration) -> Self {
        self.issuer_token_ttl = Some(ttl);
        self
    }

    /// Allows tokens without `exp`, for uses other than Hotsock (which rejects them). Off by default: issuing
    /// a token that would have no `exp` is an [`ErrorKind::Claims`](crate::ErrorKind::Claims) error.
    pub fn issuer_allow_missing_exp(mut self, allow: bool) -> Self {
        self.issuer_allow_missing_exp = allow;
        self
    }

    /// Allows HMAC secrets shorter than the hash output (32 bytes for HS256, 48 for HS384, 64 for HS512),
    /// which RFC 7518 §3.2 forbids and [`build`](Self::build) otherwise refuses.
    pub fn issuer_allow_short_hmac_secret(mut self, allow: bool) -> Self {
        self.issuer_allow_short_hmac_secret = allow;
        self
    }

    /// The clock the issuer reads `iat` and `exp` from; the system clock unless set. Tests pin it.
    pub fn clock(mut self, now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Clock(Some(Arc::new(now)));
        self
    }

    /// Applies the `HOTSOCK_*` variables among `vars` (other names are ignored; so are empty values, as an
    /// env file's `NAME=` means unset). [`Config::from_env`] passes `std::env::vars_os()`; tests and tools
    /// pass their own pairs. Values that do not parse are reported by [`build`](Self::build).
    pub fn env_vars<I, K, V>(mut self, vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        let mut key_vars = Vec::new();
        for (name, value) in vars {
            let Some(option) = name
                .as_ref()
                .to_str()
                .and_then(|n| n.strip_prefix("HOTSOCK_"))
            else {
                continue;
            };
            let Some(field) = Config::OPTIONS
                .iter()
                .find(|o| &o.env_var["HOTSOCK_".len()..] == option)
                .map(|o| o.name)
            else {
                continue;
            };
            let value = match value.as_ref().to_str() {
                Some("") => continue,
                Some(v) => v.to_owned(),
                None => {
                    self.deferred.push(Error::config(
                        field,
                        format!("the environment variable HOTSOCK_{option} is not valid UTF-8"),
                    ));
                    continue;
                }
            };
            if field.starts_with("issuer_private_key") {
                key_vars.push(field);
            }
            self = self.env_value(field, value);
        }
        if key_vars.len() > 1 {
            self.deferred.push(Error::config(
                "issuer_private_key",
                format!(
                    "set only one of the environment variables {}",
                    key_vars
                        .iter()
                        .map(|f| format!("HOTSOCK_{}", f.to_ascii_uppercase()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        self
    }

    /// Parses an environment variable holding whole seconds; a bad value is kept for `build()` to report.
    fn seconds(&mut self, field: &'static str, value: &str) -> Option<Duration> {
        match value.trim().parse::<u64>() {
            Ok(secs) => Some(Duration::from_secs(secs)),
            Err(e) => {
                self.deferred.push(
                    Error::config(
                        field,
                        format!(
                            "HOTSOCK_{} must be a whole number of seconds",
                            field.to_ascii_uppercase()
                        ),
                    )
                    .with_source(e),
                );
                None
            }
        }
    }

    fn env_value(mut self, field: &'static str, value: String) -> Self {
        let var = || format!("HOTSOCK_{}", field.to_ascii_uppercase());
        let flag = |b: &mut Self| match value.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => true,
            "false" | "0" | "no" => false,
            _ => {
                b.deferred.push(Error::config(
                    field,
                    format!("{} must be true or false", var()),
                ));
                false
            }
        };
        match field {
            "publish_function_arn" => self.publish_function_arn(value),
            "aws_region" => self.aws_region(value),
            "aws_profile" => self.aws_profile(value),
            "aws_access_key_id" => self.aws_access_key_id(value),
            "aws_secret_access_key" => self.aws_secret_access_key(value),
            "aws_session_token" => self.aws_session_token(value),
            "aws_assume_role_arn" => self.aws_assume_role_arn(value),
            "aws_assume_role_session_name" => self.aws_assume_role_session_name(value),
            "aws_assume_role_external_id" => self.aws_assume_role_external_id(value),
            "aws_assume_role_duration" => match self.seconds(field, &value) {
                Some(duration) => self.aws_assume_role_duration(duration),
                None => self,
            },
            "aws_endpoint_url" => self.aws_endpoint_url(value),
            "issuer_private_key" => self.issuer_private_key(value),
            "issuer_private_key_base64" => self.issuer_private_key_base64(value),
            "issuer_private_key_file" => self.issuer_private_key_file(value),
            "issuer_key_algorithm" => match value.parse() {
                Ok(alg) => self.issuer_key_algorithm(alg),
                Err(e) => {
                    self.deferred.push(e);
                    self
                }
            },
            "issuer_key_id" => self.issuer_key_id(value),
            "issuer_aud_claim" if value.trim_start().starts_with('[') => {
                match serde_json::from_str::<Vec<String>>(&value) {
                    Ok(many) => self.issuer_aud_claim(many),
                    Err(e) => {
                        self.deferred.push(
                            Error::config(
                                field,
                                format!("{} is not a JSON array of strings", var()),
                            )
                            .with_source(e),
                        );
                        self
                    }
                }
            }
            "issuer_aud_claim" => self.issuer_aud_claim(value),
            "issuer_iss_claim" => self.issuer_iss_claim(value),
            "issuer_iat_claim" => {
                let on = flag(&mut self);
                self.issuer_iat_claim(on)
            }
            "issuer_jti_claim" => {
                let on = flag(&mut self);
                self.issuer_jti_claim(on)
            }
            "issuer_allow_missing_exp" => {
                let on = flag(&mut self);
                self.issuer_allow_missing_exp(on)
            }
            "issuer_allow_short_hmac_secret" => {
                let on = flag(&mut self);
                self.issuer_allow_short_hmac_secret(on)
            }
            "issuer_token_ttl" => match self.seconds(field, &value) {
                Some(duration) => self.issuer_token_ttl(duration),
                None => self,
            },
            _ => unreachable!("every name in Config::OPTIONS is handled"),
        }
    }

    /// Validates every value, reads and parses the signing key, and makes the [`Config`].
    ///
    /// # Errors
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) for a malformed value or a combination that cannot work (a session token
    /// without static keys, an external ID without a role, …), [`ErrorKind::Key`](crate::ErrorKind::Key) for a signing key that
    /// cannot be used with the algorithm. [`Error::field`] names the option.
    pub fn build(self) -> Result<Config> {
        if let Some(first) = self.deferred.into_iter().next() {
            return Err(first);
        }
        let algorithm = self.issuer_key_algorithm.unwrap_or_default();
        check_opt("publish_function_arn", &self.publish_function_arn, |v| {
            (v.len() <= 170 && !v.contains(char::is_whitespace))
                .then_some(())
                .ok_or(
                    "must be a function name or ARN of at most 170 characters, without white space",
                )
        })?;
        check_opt("aws_region", &self.aws_region, |v| {
            v.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                .then_some(())
                .ok_or("must be a region name such as us-east-1")
        })?;
        check_opt("aws_profile", &self.aws_profile, no_white_space)?;
        check_opt("aws_access_key_id", &self.aws_access_key_id, no_white_space)?;
        if let Some(secret) = &self.aws_secret_access_key {
            // never echo the value
            non_empty(&secret.0)
                .and_then(|()| no_white_space(&secret.0))
                .map_err(|m| Error::config("aws_secret_access_key", m))?;
        }
        if let Some(token) = &self.aws_session_token {
            non_empty(&token.0)
                .and_then(|()| no_white_space(&token.0))
                .map_err(|m| Error::config("aws_session_token", m))?;
        }
        match (&self.aws_access_key_id, &self.aws_secret_access_key) {
            (Some(_), None) => {
                return Err(Error::config(
                    "aws_secret_access_key",
                    "is not set, but aws_access_key_id is: static keys need both",
                ));
            }
            (None, Some(_)) => {
                return Err(Error::config(
                    "aws_access_key_id",
                    "is not set, but aws_secret_access_key is: static keys need both",
                ));
            }
            _ => {}
        }
        if self.aws_session_token.is_some() && self.aws_access_key_id.is_none() {
            return Err(Error::config(
                "aws_session_token",
                "is set without static keys: it needs aws_access_key_id and aws_secret_access_key",
            ));
        }
        check_opt("aws_assume_role_arn", &self.aws_assume_role_arn, |v| {
            (v.starts_with("arn:") && v.contains(":role/") && !v.contains(char::is_whitespace))
                .then_some(())
                .ok_or("must be an IAM role ARN such as arn:aws:iam::123456789012:role/name")
        })?;
        check_opt(
            "aws_assume_role_session_name",
            &self.aws_assume_role_session_name,
            |v| sts_chars(v, 2, 64, "+=,.@-"),
        )?;
        check_opt(
            "aws_assume_role_external_id",
            &self.aws_assume_role_external_id,
            |v| sts_chars(v, 2, 1224, "+=,.@:/-"),
        )?;
        if let Some(duration) = self.aws_assume_role_duration
            && !(900..=43_200).contains(&duration.as_secs())
        {
            return Err(Error::config(
                "aws_assume_role_duration",
                "must be 900 to 43200 seconds (15 minutes to 12 hours)",
            ));
        }
        if self.aws_assume_role_arn.is_none() {
            for (field, set) in [
                (
                    "aws_assume_role_session_name",
                    self.aws_assume_role_session_name.is_some(),
                ),
                (
                    "aws_assume_role_external_id",
                    self.aws_assume_role_external_id.is_some(),
                ),
                (
                    "aws_assume_role_duration",
                    self.aws_assume_role_duration.is_some(),
                ),
            ] {
                if set {
                    return Err(Error::config(
                        field,
                        "is set, but aws_assume_role_arn is not",
                    ));
                }
            }
        }
        check_opt("aws_endpoint_url", &self.aws_endpoint_url, |v| {
            let rest = v
                .strip_prefix("http://")
                .or_else(|| v.strip_prefix("https://"));
            match rest {
                Some(host)
                    if !host.is_empty()
                        && !host.starts_with('/')
                        && !v.contains(char::is_whitespace) =>
                {
                    Ok(())
                }
                _ => Err("must be an http:// or https:// URL with a host"),
            }
        })?;
        check_opt("issuer_key_id", &self.issuer_key_id, |_| Ok(()))?;
        check_opt("issuer_iss_claim", &self.issuer_iss_claim, |_| Ok(()))?;
        match &self.issuer_aud_claim {
            Some(Audience::One(aud)) => {
                non_empty(aud).map_err(|m| Error::config("issuer_aud_claim", m))?
            }
            Some(Audience::Many(auds)) if auds.is_empty() || auds.iter().any(String::is_empty) => {
                return Err(Error::config(
                    "issuer_aud_claim",
                    "must hold at least one audience, and no empty one",
                ));
            }
            Some(Audience::Many(_)) | None => {}
        }
        let ttl = match self.issuer_token_ttl {
            Some(ttl) if ttl.is_zero() => None,
            Some(ttl) if ttl.as_secs() == 0 => {
                return Err(Error::config(
                    "issuer_token_ttl",
                    "must be zero (no default exp) or at least one second",
                ));
            }
            Some(ttl) if i64::try_from(ttl.as_secs()).is_err() => {
                return Err(Error::config("issuer_token_ttl", "is too large"));
            }
            Some(ttl) => Some(Duration::from_secs(ttl.as_secs())),
            None => None,
        };
        let signing_key = match &self.key {
            Some(source) => Some(Arc::new(SigningKey::load(
                algorithm,
                source,
                self.issuer_allow_short_hmac_secret,
            )?)),
            None => None,
        };
        Ok(Config {
            inner: Arc::new(Settings {
                publish_function_arn: self.publish_function_arn,
                aws_region: self.aws_region,
                aws_profile: self.aws_profile,
                aws_access_key_id: self.aws_access_key_id,
                aws_secret_access_key: self.aws_secret_access_key,
                aws_session_token: self.aws_session_token,
                aws_assume_role_arn: self.aws_assume_role_arn,
                aws_assume_role_session_name: self.aws_assume_role_session_name,
                aws_assume_role_external_id: self.aws_assume_role_external_id,
                aws_assume_role_duration: self.aws_assume_role_duration,
                aws_endpoint_url: self.aws_endpoint_url,
                signing_key,
                issuer_key_algorithm: algorithm,
                issuer_key_id: self.issuer_key_id,
                issuer_aud_claim: self.issuer_aud_claim,
                issuer_iat_claim: self.issuer_iat_claim,
                issuer_iss_claim: self.issuer_iss_claim,
                issuer_jti_claim: self.issuer_jti_claim,
                issuer_token_ttl: ttl,
                issuer_allow_missing_exp: self.issuer_allow_missing_exp,
                clock: self.clock,
            }),
        })
    }
}

/// A configuration option that can be set from the environment: for tools that list or explain the
/// configuration (`hotsock config`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConfigOption {
    /// The option's name, as the Ruby gem names it (and the builder method).
    pub name: &'static str,
    /// Its environment variable.
    pub env_var: &'static str,
    /// Whether its value is a secret, never to be shown.
    pub secret: bool,
}

impl Config {
    /// Every option with an environment variable, in the order of the table above.
    pub const OPTIONS: &'static [ConfigOption] = &[
        ConfigOption {
            name: "publish_function_arn",
            env_var: "HOTSOCK_PUBLISH_FUNCTION_ARN",
            secret: false,
        },
        ConfigOption {
            name: "aws_region",
            env_var: "HOTSOCK_AWS_REGION",
            secret: false,
        },
        ConfigOption {
            name: "aws_profile",
            env_var: "HOTSOCK_AWS_PROFILE",
            secret: false,
        },
        ConfigOption {
            name: "aws_access_key_id",
            env_var: "HOTSOCK_AWS_ACCESS_KEY_ID",
            secret: false,
        },
        ConfigOption {
            name: "aws_secret_access_key",
            env_var: "HOTSOCK_AWS_SECRET_ACCESS_KEY",
            secret: true,
        },
        ConfigOption {
            name: "aws_session_token",
            env_var: "HOTSOCK_AWS_SESSION_TOKEN",
            secret: true,
        },
        ConfigOption {
            name: "aws_assume_role_arn",
            env_var: "HOTSOCK_AWS_ASSUME_ROLE_ARN",
            secret: false,
        },
        ConfigOption {
            name: "aws_assume_role_session_name",
            env_var: "HOTSOCK_AWS_ASSUME_ROLE_SESSION_NAME",
            secret: false,
        },
        ConfigOption {
            name: "aws_assume_role_external_id",
            env_var: "HOTSOCK_AWS_ASSUME_ROLE_EXTERNAL_ID",
            secret: false,
        },
        ConfigOption {
            name: "aws_assume_role_duration",
            env_var: "HOTSOCK_AWS_ASSUME_ROLE_DURATION",
            secret: false,
        },
        ConfigOption {
            name: "aws_endpoint_url",
            env_var: "HOTSOCK_AWS_ENDPOINT_URL",
            secret: false,
        },
        ConfigOption {
            name: "issuer_private_key",
            env_var: "HOTSOCK_ISSUER_PRIVATE_KEY",
            secret: true,
        },
        ConfigOption {
            name: "issuer_private_key_base64",
            env_var: "HOTSOCK_ISSUER_PRIVATE_KEY_BASE64",
            secret: true,
        },
        ConfigOption {
            name: "issuer_private_key_file",
            env_var: "HOTSOCK_ISSUER_PRIVATE_KEY_FILE",
            secret: false,
        },
        ConfigOption {
            name: "issuer_key_algorithm",
            env_var: "HOTSOCK_ISSUER_KEY_ALGORITHM",
            secret: false,
        },
        ConfigOption {
            name: "issuer_key_id",
            env_var: "HOTSOCK_ISSUER_KEY_ID",
            secret: false,
        },
        ConfigOption {
            name: "issuer_aud_claim",
            env_var: "HOTSOCK_ISSUER_AUD_CLAIM",
            secret: false,
        },
        ConfigOption {
            name: "issuer_iat_claim",
            env_var: "HOTSOCK_ISSUER_IAT_CLAIM",
            secret: false,
        },
        ConfigOption {
            name: "issuer_iss_claim",
            env_var: "HOTSOCK_ISSUER_ISS_CLAIM",
            secret: false,
        },
        ConfigOption {
            name: "issuer_jti_claim",
            env_var: "HOTSOCK_ISSUER_JTI_CLAIM",
            secret: false,
        },
        ConfigOption {
            name: "issuer_token_ttl",
            env_var: "HOTSOCK_ISSUER_TOKEN_TTL",
            secret: false,
        },
        ConfigOption {
            name: "issuer_allow_missing_exp",
            env_var: "HOTSOCK_ISSUER_ALLOW_MISSING_EXP",
            secret: false,
        },
        ConfigOption {
            name: "issuer_allow_short_hmac_secret",
            env_var: "HOTSOCK_ISSUER_ALLOW_SHORT_HMAC_SECRET",
            secret: false,
        },
    ];
}

/// Checks an optional string: when set, it must be non-empty and pass `check`.
fn check_opt(
    field: &'static str,
    value: &Option<String>,
    check: impl FnOnce(&str) -> std::result::Result<(), &'static str>,
) -> Result<()> {
    match value {
        Some(v) => non_empty(v)
            .and_then(|()| check(v))
            .map_err(|m| Error::config(field, m)),
        None => Ok(()),
    }
}

fn non_empty(v: &str) -> std::result::Result<(), &'static str> {
    if v.is_empty() {
        Err("is empty")
    } else {
        Ok(())
    }
}

fn no_white_space(v: &str) -> std::result::Result<(), &'static str> {
    if v.contains(char::is_whitespace) {
        Err("contains white space (a stray newline from a file or env var?)")
    } else {
        Ok(())
    }
}

/// STS's character rules for session names and external IDs.
fn sts_chars(
    v: &str,
    min: usize,
    max: usize,
    extra: &str,
) -> std::result::Result<(), &'static str> {
    let ok = (min..=max).contains(&v.len())
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || extra.contains(c));
    if ok {
        Ok(())
    } else if max == 64 {
        Err("must be 2 to 64 characters of A-Za-z0-9+=,.@-")
    } else {
        Err("must be 2 to 1224 characters of A-Za-z0-9+=,.@:/-")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_and_builder_are_send_sync_clone() {
        fn check<T: Send + Sync + Clone + 'static>() {}
        check::<Config>();
        fn send<T: Send + Sync + 'static>() {}
        send::<ConfigBuilder>();
    }

    #[test]
    fn every_env_option_is_handled() {
        for option in Config::OPTIONS {
            assert_eq!(
                option.env_var,
                format!("HOTSOCK_{}", option.name.to_ascii_uppercase())
            );
        }
        for field in Config::OPTIONS.iter().map(|o| o.name) {
            let value = match field {
                "issuer_key_algorithm" => "HS256",
                "issuer_token_ttl" => "5",
                f if f.contains("allow")
                    || f.ends_with("iat_claim")
                    || f.ends_with("jti_claim") =>
                {
                    "true"
                }
                _ => "x",
            };
            let _ = Config::builder()
                .env_vars([(format!("HOTSOCK_{}", field.to_ascii_uppercase()), value)]);
        }
    }
}
