//! Token issuing: the [`Issuer`], its keys, its default claims and its signing.

pub(crate) mod algorithm;
pub(crate) mod capture;
pub(crate) mod claims;
pub(crate) mod generate;
pub(crate) mod key;
pub(crate) mod verify;

use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::config::{Clock, Config};
use crate::error::{Error, Result};
use algorithm::Algorithm;
use claims::PayloadWriter;
use key::SigningKey;

/// Signs the JWTs that browsers and apps present to Hotsock to connect and subscribe.
///
/// Build one from a [`Config`] that has a signing key, then call [`issue`](Issuer::issue) as often as you like,
/// from any thread. The key was parsed once, by [`ConfigBuilder::build`](crate::ConfigBuilder::build); an
/// `Issuer` is cheap to clone (its state is behind an [`Arc`]), so there is no need to wrap it in one.
///
/// Every token has the header `{"typ":"JWT","kid":…,"alg":…}` (`kid` only when `issuer_key_id` is set) and a
/// payload made of the configured default claims, `aud`, `iat`, `iss`, `jti` and `exp` (in that order, all
/// from one reading of the clock), followed by the caller's claims in their own order. A caller claim named
/// like a default replaces the default's value in place, as the Ruby gem's `defaults.merge(claims)` does, so
/// for the same configuration, claims and clock, HS and RS tokens are byte for byte the gem's.
///
/// ```
/// # fn main() -> hotsock::Result<()> {
/// use std::time::Duration;
/// use serde_json::json;
///
/// let config = hotsock::Config::builder()
///     .issuer_private_key(include_str!("../../tests/fixtures/keys/ec-p256-sec1.pem"))
///     .issuer_key_id("95616b70")
///     .issuer_token_ttl(Duration::from_secs(30))
///     .build()?;
/// let issuer = hotsock::Issuer::new(&config)?;
/// let token = issuer.issue(&json!({
///     "scope": "connect",
///     "uid": "user-1",
///     "channels": {"chat": {"subscribe": true}},
/// }))?;
/// assert_eq!(token.split('.').count(), 3);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Issuer {
    inner: Arc<Inner>,
}

struct Inner {
    key: Arc<SigningKey>,
    key_id: Option<String>,
    /// The Base64url of the header JSON, which never changes.
    header: String,
    payload: PayloadWriter,
    clock: Clock,
}

impl Issuer {
    /// Makes an issuer from the signing key and token defaults in `config`.
    ///
    /// # Errors
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) naming `issuer_private_key` when `config` has no key.
    pub fn new(config: &Config) -> Result<Issuer> {
        let key = config.signing_key().cloned().ok_or_else(|| {
            Error::config(
                "issuer_private_key",
                "is not set, and issuing tokens needs a signing key",
            )
        })?;
        let key_id = config.issuer_key_id().map(str::to_owned);
        let header = match &key_id {
            Some(kid) => format!(
                r#"{{"typ":"JWT","kid":{},"alg":"{}"}}"#,
                serde_json::Value::from(kid.as_str()),
                key.algorithm()
            ),
            None => format!(r#"{{"typ":"JWT","alg":"{}"}}"#, key.algorithm()),
        };
        Ok(Issuer {
            inner: Arc::new(Inner {
                key,
                key_id,
                header: {
                    let mut encoded = String::new();
                    append_base64url(&mut encoded, header.as_bytes());
                    encoded
                },
                payload: PayloadWriter::new(config.claim_defaults()),
                clock: config.clock().clone(),
            }),
        })
    }

    /// Signs a token with the caller's `claims`, which must serialize to a JSON object (a struct, a map, or
    /// `serde_json::json!({...})`), and the configured defaults, at the configured clock's time.
    ///
    /// # Errors
    /// [`ErrorKind::Claims`](crate::ErrorKind::Claims) when the claims do not serialize to a JSON object, hold
    /// a name twice, have a non-numeric `exp`, `nbf` or `iat`, or would give a token without `exp` (unless
    /// tokens without `exp` are allowed).
    pub fn issue<C: serde::Serialize + ?Sized>(&self, claims: &C) -> Result<String> {
        self.issue_at(claims, self.inner.clock.now())
    }

    /// Like [`issue`](Issuer::issue), at the given time instead of the clock's: `iat` is `now` and `exp` is
    /// `now` plus the TTL, in whole seconds.
    pub fn issue_at<C: serde::Serialize + ?Sized>(
        &self,
        claims: &C,
        now: SystemTime,
    ) -> Result<String> {
        let now = unix_seconds(now);
        let inner = &*self.inner;
        let mut payload = Vec::with_capacity(256);
        inner.payload.write(claims, now, &mut payload)?;

        let mut token = String::with_capacity(
            inner.header.len()
                + 2
                + base64_len(payload.len())
                + base64_len(inner.key.signature_len()),
        );
        token.push_str(&inner.header);
        token.push('.');
        append_base64url(&mut token, &payload);
        let signature = inner.key.sign(token.as_bytes())?;
        token.push('.');
        append_base64url(&mut token, signature.as_ref());
        Ok(token)
    }

    /// The signing algorithm, the token's `alg`.
    pub fn algorithm(&self) -> Algorithm {
        self.inner.key.algorithm()
    }

    /// The public half of the signing key as SPKI PEM (`-----BEGIN PUBLIC KEY-----`): what verifies this
    /// issuer's tokens, and whose Base64 is Hotsock's `SigningKey1EncodedParameter`. `None` for HS*, whose
    /// secret is shared.
    pub fn public_key_pem(&self) -> Option<String> {
        self.inner
            .key
            .public_der()
            .map(|der| generate::pem("PUBLIC KEY", &der))
    }

    /// The key ID put in every token's `kid` header, if one is configured.
    pub fn key_id(&self) -> Option<&str> {
        self.inner.key_id.as_deref()
    }
}

/// Whole seconds since the Unix epoch (negative before it), saturating.
pub(crate) fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

/// The length of the unpadded Base64 of `n` bytes.
fn base64_len(n: usize) -> usize {
    n / 3 * 4 + [0, 2, 3][n % 3]
}

/// Appends the unpadded Base64url (RFC 4648 §5) of `bytes` to `out`, with `base64-simd` (already in the
/// dependency tree through the AWS SDK's `aws-smithy-types`), which picks the CPU's vector instructions at run
/// time. On the hot path of every token: with the token kept a `String` throughout (no UTF-8 re-check at the
/// end), HS256 issuing got 8% faster than with a hand-written 12-bit-table encoder.
fn append_base64url(out: &mut String, bytes: &[u8]) {
    base64_simd::URL_SAFE_NO_PAD.encode_append(bytes, out);
}

impl fmt::Debug for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Issuer")
            .field("algorithm", &self.algorithm())
            .field("key_id", &self.inner.key_id)
            .field("defaults", self.inner.payload.defaults())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_matches_the_base64_crate() {
        use base64::Engine as _;
        let bytes: Vec<u8> = (0..=255u8)
            .chain((0..=255u8).rev())
            .cycle()
            .take(700)
            .collect();
        for len in 0..bytes.len() {
            let mut ours = String::new();
            append_base64url(&mut ours, &bytes[len / 2..len]);
            let theirs =
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes[len / 2..len]);
            assert_eq!(ours, theirs);
            assert_eq!(base64_len(len - len / 2), theirs.len());
        }
    }

    #[allow(dead_code, reason = "compile-time check only")]
    fn assert_impls() {
        fn check<T: Send + Sync + Clone + 'static>() {}
        check::<Issuer>();
    }
}
