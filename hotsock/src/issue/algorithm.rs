//! The JWS signing algorithms Hotsock verifies.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// A JWS signing algorithm (RFC 7518, RFC 8037) that Hotsock verifies.
///
/// The Ruby gem signs the first nine (HS, RS, ES). Hotsock also verifies PS256/384/512 and EdDSA
/// (Ed25519), and so this crate signs them too. The default is [`Algorithm::ES256`], as in the gem.
///
/// The names parse and print exactly as they appear in a token's `alg` header, case-sensitively:
/// `"ES256".parse::<Algorithm>()` works, `"es256"` is refused, as JWS requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Algorithm {
    /// HMAC with SHA-256. The key is a shared secret of at least 32 bytes.
    HS256,
    /// HMAC with SHA-384. The key is a shared secret of at least 48 bytes.
    HS384,
    /// HMAC with SHA-512. The key is a shared secret of at least 64 bytes.
    HS512,
    /// RSASSA-PKCS1-v1_5 with SHA-256. The key is an RSA key of 2048 to 8192 bits.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384. The key is an RSA key of 2048 to 8192 bits.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512. The key is an RSA key of 2048 to 8192 bits.
    RS512,
    /// RSASSA-PSS with SHA-256 and MGF1 with SHA-256. The key is an RSA key of 2048 to 8192 bits.
    PS256,
    /// RSASSA-PSS with SHA-384 and MGF1 with SHA-384. The key is an RSA key of 2048 to 8192 bits.
    PS384,
    /// RSASSA-PSS with SHA-512 and MGF1 with SHA-512. The key is an RSA key of 2048 to 8192 bits.
    PS512,
    /// ECDSA with the P-256 curve and SHA-256. The key is a P-256 (`prime256v1`) key.
    #[default]
    ES256,
    /// ECDSA with the P-384 curve and SHA-384. The key is a P-384 (`secp384r1`) key.
    ES384,
    /// ECDSA with the P-521 curve and SHA-512. The key is a P-521 (`secp521r1`) key.
    ES512,
    /// EdDSA with Ed25519. The key is an Ed25519 key.
    EdDSA,
}

/// The type of key an algorithm signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyType {
    Hmac,
    Rsa,
    Ec(Curve),
    Ed25519,
}

/// An elliptic curve, as found in a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Curve {
    P256,
    P384,
    P521,
}

impl Curve {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Curve::P256 => "P-256",
            Curve::P384 => "P-384",
            Curve::P521 => "P-521",
        }
    }
}

impl Algorithm {
    /// Every algorithm, in the order of the docs: HS, RS, PS, ES, EdDSA.
    pub const ALL: [Algorithm; 13] = [
        Algorithm::HS256,
        Algorithm::HS384,
        Algorithm::HS512,
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::ES512,
        Algorithm::EdDSA,
    ];

    /// The name in a token's `alg` header, e.g. `"ES256"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Algorithm::HS256 => "HS256",
            Algorithm::HS384 => "HS384",
            Algorithm::HS512 => "HS512",
            Algorithm::RS256 => "RS256",
            Algorithm::RS384 => "RS384",
            Algorithm::RS512 => "RS512",
            Algorithm::PS256 => "PS256",
            Algorithm::PS384 => "PS384",
            Algorithm::PS512 => "PS512",
            Algorithm::ES256 => "ES256",
            Algorithm::ES384 => "ES384",
            Algorithm::ES512 => "ES512",
            Algorithm::EdDSA => "EdDSA",
        }
    }

    /// Whether the key is a shared secret (HS256/384/512) rather than a private key.
    pub const fn is_hmac(self) -> bool {
        matches!(self, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512)
    }

    pub(crate) fn key_type(self) -> KeyType {
        match self {
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => KeyType::Hmac,
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512 => KeyType::Rsa,
            Algorithm::ES256 => KeyType::Ec(Curve::P256),
            Algorithm::ES384 => KeyType::Ec(Curve::P384),
            Algorithm::ES512 => KeyType::Ec(Curve::P521),
            Algorithm::EdDSA => KeyType::Ed25519,
        }
    }

    /// For HMAC, the size of the hash output in bytes: the shortest secret RFC 7518 §3.2 allows.
    pub(crate) fn min_hmac_secret_len(self) -> usize {
        match self {
            Algorithm::HS384 => 48,
            Algorithm::HS512 => 64,
            _ => 32,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = Error;

    /// Parses an `alg` name, case-sensitively. The error is of kind [`Config`](crate::ErrorKind::Config)
    /// and names the `issuer_key_algorithm` option.
    fn from_str(s: &str) -> Result<Self> {
        Algorithm::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| {
                let hint = Algorithm::ALL
                    .into_iter()
                    .find(|a| a.as_str().eq_ignore_ascii_case(s))
                    .map(|a| format!(" (names are case-sensitive: did you mean {a}?)"))
                    .unwrap_or_default();
                Error::config(
                    "issuer_key_algorithm",
                    format!(
                        "unknown algorithm {s:?}{hint}; expected one of HS256, HS384, HS512, RS256, RS384, \
                         RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA"
                    ),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for alg in Algorithm::ALL {
            assert_eq!(alg.as_str().parse::<Algorithm>().unwrap(), alg);
            assert_eq!(alg.to_string(), alg.as_str());
        }
    }

    #[test]
    fn unknown_and_wrong_case_names_are_refused() {
        for name in ["ED25519", "es256", "none", "", "HS1024"] {
            let e = name.parse::<Algorithm>().unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Config);
            assert_eq!(e.field(), Some("issuer_key_algorithm"));
        }
        let e = "es256".parse::<Algorithm>().unwrap_err();
        assert!(e.to_string().contains("did you mean ES256?"), "{e}");
    }
}
