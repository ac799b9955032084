//! Making new signing keys, with the values a Hotsock installation's signing-key parameters take.

use std::fmt;

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING,
    ECDSA_P521_SHA512_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RsaKeyPair,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use super::algorithm::{Algorithm, Curve, KeyType};
use crate::error::{Error, Result};

/// A new signing key: the private key for the issuer, and what the Hotsock installation needs to verify its
/// tokens (`SigningKey1MethodParameter`, `SigningKey1EncodedParameter`).
///
/// ```
/// # fn main() -> hotsock::Result<()> {
/// let key = hotsock::GeneratedKey::generate(hotsock::Algorithm::ES256)?;
/// let config = hotsock::Config::builder().issuer_private_key(key.private_key()).build()?;
/// assert!(key.public_key_pem().unwrap().starts_with("-----BEGIN PUBLIC KEY-----"));
/// # let _ = config;
/// # Ok(())
/// # }
/// ```
pub struct GeneratedKey {
    algorithm: Algorithm,
    /// PKCS#8 PEM, or the raw HMAC secret.
    private: Zeroizing<Vec<u8>>,
    public_pem: Option<String>,
}

impl fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeneratedKey")
            .field("algorithm", &self.algorithm)
            .field("private_key", &"[redacted]")
            .field("public_key_pem", &self.public_pem)
            .finish()
    }
}

impl GeneratedKey {
    /// Generates a key for `algorithm` with the system's CSPRNG: a P-256, P-384 or P-521 key for ES256,
    /// ES384 or ES512; a 2048-bit RSA key for RS* and PS*; an Ed25519 key for EdDSA; a random secret of the
    /// hash size (32, 48 or 64 bytes) for HS*.
    ///
    /// # Errors
    /// [`ErrorKind::Key`](crate::ErrorKind::Key) if the generator fails.
    pub fn generate(algorithm: Algorithm) -> Result<GeneratedKey> {
        let failed = |_| Error::key("key generation failed");
        let (pkcs8, public_der): (Zeroizing<Vec<u8>>, Vec<u8>) = match algorithm.key_type() {
            KeyType::Hmac => {
                let mut secret = Zeroizing::new(vec![0u8; algorithm.min_hmac_secret_len()]);
                aws_lc_rs::rand::fill(&mut secret).map_err(failed)?;
                return Ok(GeneratedKey {
                    algorithm,
                    private: secret,
                    public_pem: None,
                });
            }
            KeyType::Ec(curve) => {
                let signing = match curve {
                    Curve::P256 => &ECDSA_P256_SHA256_FIXED_SIGNING,
                    Curve::P384 => &ECDSA_P384_SHA384_FIXED_SIGNING,
                    Curve::P521 => &ECDSA_P521_SHA512_FIXED_SIGNING,
                };
                let key = EcdsaKeyPair::generate(signing).map_err(failed)?;
                let pkcs8 = key.to_pkcs8v1().map_err(failed)?;
                let public = key.public_key().as_der().map_err(failed)?;
                (
                    Zeroizing::new(pkcs8.as_ref().to_vec()),
                    public.as_ref().to_vec(),
                )
            }
            KeyType::Rsa => {
                let key = RsaKeyPair::generate(KeySize::Rsa2048).map_err(failed)?;
                let pkcs8: aws_lc_rs::encoding::Pkcs8V1Der<'_> = key.as_der().map_err(failed)?;
                let public = key.public_key().as_der().map_err(failed)?;
                (
                    Zeroizing::new(pkcs8.as_ref().to_vec()),
                    public.as_ref().to_vec(),
                )
            }
            KeyType::Ed25519 => {
                let key = Ed25519KeyPair::generate().map_err(failed)?;
                let pkcs8 = key.to_pkcs8v1().map_err(failed)?;
                let public = key.public_key().as_der().map_err(failed)?;
                (
                    Zeroizing::new(pkcs8.as_ref().to_vec()),
                    public.as_ref().to_vec(),
                )
            }
        };
        Ok(GeneratedKey {
            algorithm,
            private: Zeroizing::new(pem("PRIVATE KEY", &pkcs8).into_bytes()),
            public_pem: Some(pem("PUBLIC KEY", &public_der)),
        })
    }

    /// The algorithm, which is also Hotsock's `SigningKey1MethodParameter`.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The private key as `issuer_private_key` takes it: PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), or the
    /// raw secret bytes for HS*. Keep it secret.
    pub fn private_key(&self) -> &[u8] {
        &self.private
    }

    /// The public key as SPKI PEM (`-----BEGIN PUBLIC KEY-----`); `None` for HS*, whose secret is shared.
    pub fn public_key_pem(&self) -> Option<&str> {
        self.public_pem.as_deref()
    }

    /// The value of Hotsock's `SigningKey1EncodedParameter`: the Base64 of the public key PEM, or for HS* the
    /// Base64 of the secret (which makes this value a secret too).
    pub fn encoded_parameter(&self) -> Zeroizing<String> {
        Zeroizing::new(match &self.public_pem {
            Some(pem) => STANDARD.encode(pem),
            None => STANDARD.encode(&*self.private),
        })
    }
}

/// PEM armour: Base64 in lines of 64 characters between BEGIN and END lines.
pub(crate) fn pem(label: &str, der: &[u8]) -> String {
    let body = Zeroizing::new(STANDARD.encode(der));
    // sized up front, so that growing never leaves a copy of a private key behind
    let mut out = String::with_capacity(body.len() + body.len() / 64 + 2 * label.len() + 40);
    out.push_str(&format!("-----BEGIN {label}-----\n"));
    for line in body.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).expect("Base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}
