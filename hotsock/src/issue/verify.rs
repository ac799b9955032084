//! Reading tokens: decoding without checks, and verifying a signature as Hotsock does.

use std::fmt;

use aws_lc_rs::hmac;
use aws_lc_rs::signature::{self, ParsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::algorithm::{Algorithm, KeyType};
use super::key::{hmac_secret, public_key_der};
use crate::error::{Error, ErrorKind, Result};

/// A token's header and claims, decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedToken {
    header: Map<String, Value>,
    claims: Map<String, Value>,
}

fn token_error(message: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::new(ErrorKind::Token, message)
}

impl DecodedToken {
    /// Decodes a compact JWS **without verifying it**: for looking inside a token, never for trusting it.
    ///
    /// # Errors
    /// [`ErrorKind::Token`](crate::ErrorKind::Token) when it is not three Base64url segments whose first two
    /// are JSON objects.
    pub fn decode_unverified(token: &str) -> Result<DecodedToken> {
        let mut parts = token.trim().split('.');
        let (Some(header), Some(claims), Some(_signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(token_error("a token has three dot-separated parts"));
        };
        let object = |segment: &str, what: &'static str| -> Result<Map<String, Value>> {
            let json = URL_SAFE_NO_PAD
                .decode(segment)
                .map_err(|e| token_error(format!("the {what} is not Base64url")).with_source(e))?;
            match serde_json::from_slice(&json) {
                Ok(Value::Object(map)) => Ok(map),
                Ok(_) => Err(token_error(format!("the {what} is not a JSON object"))),
                Err(e) => Err(token_error(format!("the {what} is not JSON")).with_source(e)),
            }
        };
        Ok(DecodedToken {
            header: object(header, "header")?,
            claims: object(claims, "claims")?,
        })
    }

    /// The header (`typ`, `alg`, `kid`, …).
    pub fn header(&self) -> &Map<String, Value> {
        &self.header
    }

    /// The claims.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// The header's `alg`, if it names an algorithm this crate knows.
    pub fn algorithm(&self) -> Option<Algorithm> {
        self.header.get("alg")?.as_str()?.parse().ok()
    }
}

/// Verifies token signatures with the key an installation verifies them with.
///
/// ```
/// # fn main() -> hotsock::Result<()> {
/// let key = hotsock::GeneratedKey::generate(hotsock::Algorithm::ES256)?;
/// let config = hotsock::Config::builder()
///     .issuer_private_key(key.private_key())
///     .issuer_token_ttl(std::time::Duration::from_secs(60))
///     .build()?;
/// let token = hotsock::Issuer::new(&config)?.issue(&serde_json::json!({"scope": "connect"}))?;
///
/// // what SigningKey1MethodParameter and SigningKey1EncodedParameter hold
/// let verifier = hotsock::Verifier::from_encoded_parameter(key.algorithm(), &key.encoded_parameter())?;
/// assert_eq!(verifier.verify(&token)?.claims()["scope"], "connect");
/// # Ok(())
/// # }
/// ```
pub struct Verifier {
    algorithm: Algorithm,
    key: Key,
}

enum Key {
    Hmac(Box<hmac::Key>),
    Public(ParsedPublicKey),
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier for `algorithm` with `key`: the public key as SPKI PEM (`-----BEGIN PUBLIC KEY-----`) or
    /// DER, or for HS* the shared secret's bytes.
    ///
    /// # Errors
    /// [`ErrorKind::Key`](crate::ErrorKind::Key) when the key cannot be read or is not a key for `algorithm`.
    pub fn new(algorithm: Algorithm, key: impl AsRef<[u8]>) -> Result<Verifier> {
        let key = key.as_ref();
        let key = match algorithm.key_type() {
            // verification takes whatever secret the installation was given, short or not
            KeyType::Hmac => Key::Hmac(hmac_secret(algorithm, key, true)?),
            _ => {
                let der = public_key_der(key)?;
                let verification: &'static dyn signature::VerificationAlgorithm = match algorithm {
                    Algorithm::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
                    Algorithm::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
                    Algorithm::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
                    Algorithm::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
                    Algorithm::PS384 => &signature::RSA_PSS_2048_8192_SHA384,
                    Algorithm::PS512 => &signature::RSA_PSS_2048_8192_SHA512,
                    Algorithm::ES256 => &signature::ECDSA_P256_SHA256_FIXED,
                    Algorithm::ES384 => &signature::ECDSA_P384_SHA384_FIXED,
                    Algorithm::ES512 => &signature::ECDSA_P521_SHA512_FIXED,
                    _ => &signature::ED25519,
                };
                Key::Public(ParsedPublicKey::new(verification, der).map_err(|e| {
                    Error::key(format!("the public key is not a key for {algorithm}"))
                        .with_source(e)
                })?)
            }
        };
        Ok(Verifier { algorithm, key })
    }

    /// A verifier from what a Hotsock installation is configured with: the method (`SigningKey1MethodParameter`)
    /// and the Base64 of the public key PEM, or of the HMAC secret (`SigningKey1EncodedParameter`).
    ///
    /// # Errors
    /// As [`Verifier::new`], and [`ErrorKind::Key`](crate::ErrorKind::Key) when the value is not Base64.
    pub fn from_encoded_parameter(algorithm: Algorithm, encoded: &str) -> Result<Verifier> {
        let compact: String = encoded.chars().filter(|c| !c.is_whitespace()).collect();
        let bytes = Zeroizing::new(
            STANDARD
                .decode(compact)
                .map_err(|e| Error::key("the encoded parameter is not Base64").with_source(e))?,
        );
        Verifier::new(algorithm, &*bytes)
    }

    /// The algorithm tokens must be signed with.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Checks that `token` is signed with this verifier's algorithm (its header's `alg`) and key, and decodes
    /// it. Claims such as `exp` are not checked: that is the caller's policy.
    ///
    /// # Errors
    /// [`ErrorKind::Token`](crate::ErrorKind::Token) when the token is malformed, names another algorithm,
    /// or its signature does not verify.
    pub fn verify(&self, token: &str) -> Result<DecodedToken> {
        let token = token.trim();
        let decoded = DecodedToken::decode_unverified(token)?;
        let alg = decoded
            .header
            .get("alg")
            .and_then(Value::as_str)
            .unwrap_or("");
        if alg != self.algorithm.as_str() {
            return Err(token_error(format!(
                "the token's alg is {alg:?}, not {}",
                self.algorithm
            )));
        }
        let (input, signature) = token.rsplit_once('.').expect("three parts were checked");
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|e| token_error("the signature is not Base64url").with_source(e))?;
        let valid = match &self.key {
            Key::Hmac(key) => hmac::verify(key, input.as_bytes(), &signature).is_ok(),
            Key::Public(key) => key.verify_sig(input.as_bytes(), &signature).is_ok(),
        };
        if !valid {
            return Err(token_error("the signature does not verify"));
        }
        Ok(decoded)
    }
}
