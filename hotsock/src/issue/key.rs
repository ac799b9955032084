//! Loading signing keys, in one place: PEM, DER, Base64 and files; SEC1, PKCS#1 and PKCS#8; HMAC secrets.
//!
//! The key's type is read from its DER structure, never from a PEM label, because real keys are mislabelled:
//! the Ruby gem's README, its tests and Hotsock's jwt-issuer all put a PKCS#8 body under an `EC PRIVATE KEY`
//! label. Knowing the type before aws-lc-rs sees the key lets every refusal say what the key is and what the
//! algorithm needs.

use std::fmt;
use std::path::PathBuf;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING,
    ECDSA_P521_SHA512_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, RSA_PKCS1_SHA256,
    RSA_PKCS1_SHA384, RSA_PKCS1_SHA512, RSA_PSS_SHA256, RSA_PSS_SHA384, RSA_PSS_SHA512,
    RsaEncoding, RsaKeyPair,
};
use aws_lc_rs::{hmac, signature};
use base64::Engine as _;
use zeroize::Zeroizing;

use super::algorithm::{Algorithm, Curve, KeyType};
use crate::error::{Error, Result};

/// Where the signing key comes from, as the builder received it. The bytes are wiped when dropped.
#[derive(Clone)]
pub(crate) enum KeySource {
    /// PEM text, or the raw secret for HMAC (the Ruby gem's `issuer_private_key`).
    Text(Zeroizing<Vec<u8>>),
    /// DER bytes of a private key.
    Der(Zeroizing<Vec<u8>>),
    /// Base64 of what `Text` or `Der` would hold.
    Base64(Zeroizing<String>),
    /// A file holding what `Text` or `Der` would hold.
    File(PathBuf),
}

impl KeySource {
    /// The configuration option this source was given through, for error messages.
    pub(crate) fn option_name(&self) -> &'static str {
        match self {
            KeySource::Text(_) => "issuer_private_key",
            KeySource::Der(_) => "issuer_private_key_der",
            KeySource::Base64(_) => "issuer_private_key_base64",
            KeySource::File(_) => "issuer_private_key_file",
        }
    }
}

impl fmt::Debug for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::File(path) => f.debug_tuple("File").field(path).finish(),
            _ => write!(f, "{}([redacted])", self.option_name()),
        }
    }
}

/// A parsed signing key, ready to sign. Built once, at `Config::build()`.
pub(crate) struct SigningKey {
    algorithm: Algorithm,
    inner: Inner,
    rng: SystemRandom,
}

enum Inner {
    /// Boxed: the HMAC state is over a kilobyte.
    Hmac(Box<hmac::Key>),
    Rsa(RsaKeyPair, &'static dyn RsaEncoding),
    Ec(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Reads, decodes, checks and parses the key for `algorithm`.
    pub(crate) fn load(
        algorithm: Algorithm,
        source: &KeySource,
        allow_short_hmac_secret: bool,
    ) -> Result<SigningKey> {
        let field = source.option_name();
        let bytes = read_source(algorithm, source).map_err(|e| e.with_field(field))?;
        let inner = if algorithm.is_hmac() {
            hmac_secret(algorithm, &bytes, allow_short_hmac_secret).map(Inner::Hmac)
        } else {
            asymmetric_key(algorithm, &bytes)
        }
        .map_err(|e| e.with_field(field))?;
        Ok(SigningKey {
            algorithm,
            inner,
            rng: SystemRandom::new(),
        })
    }

    pub(crate) fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The length of every signature this key makes.
    pub(crate) fn signature_len(&self) -> usize {
        match &self.inner {
            Inner::Hmac(key) => key.algorithm().digest_algorithm().output_len(),
            Inner::Rsa(key, _) => key.public_modulus_len(),
            Inner::Ec(_) => match self.algorithm {
                Algorithm::ES384 => 96,
                Algorithm::ES512 => 132,
                _ => 64,
            },
            Inner::Ed25519(_) => 64,
        }
    }

    /// The public key as SPKI DER; `None` for HMAC, whose secret is shared.
    pub(crate) fn public_der(&self) -> Option<Vec<u8>> {
        use aws_lc_rs::encoding::AsDer as _;
        use aws_lc_rs::signature::KeyPair as _;
        match &self.inner {
            Inner::Hmac(_) => None,
            Inner::Rsa(key, _) => key.public_key().as_der().ok().map(|d| d.as_ref().to_vec()),
            Inner::Ec(key) => key.public_key().as_der().ok().map(|d| d.as_ref().to_vec()),
            Inner::Ed25519(key) => key.public_key().as_der().ok().map(|d| d.as_ref().to_vec()),
        }
    }

    /// Signs `message`.
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Signature> {
        let failed = |_| Error::key("signing failed");
        Ok(match &self.inner {
            Inner::Hmac(key) => Signature::Hmac(hmac::sign(key, message)),
            Inner::Ec(key) => {
                Signature::Fixed(Box::new(key.sign(&self.rng, message).map_err(failed)?))
            }
            Inner::Ed25519(key) => Signature::Fixed(Box::new(key.sign(message))),
            Inner::Rsa(key, encoding) => {
                let mut signature = vec![0; key.public_modulus_len()];
                key.sign(*encoding, &self.rng, message, &mut signature)
                    .map_err(failed)?;
                Signature::Rsa(signature)
            }
        })
    }
}

/// A signature, in the form each algorithm family returns it (no copying, no large buffer per token).
pub(crate) enum Signature {
    Hmac(hmac::Tag),
    /// ECDSA (fixed-width `r || s`, as JWS wants) and Ed25519. Boxed: aws-lc-rs's `Signature` is a
    /// fixed buffer of over a kilobyte, and moving it through the HMAC path cost more than the HMAC's own
    /// overhead; an allocation beside a 20 µs ECDSA signature is nothing.
    Fixed(Box<signature::Signature>),
    Rsa(Vec<u8>),
}

impl AsRef<[u8]> for Signature {
    fn as_ref(&self) -> &[u8] {
        match self {
            Signature::Hmac(tag) => tag.as_ref(),
            Signature::Fixed(signature) => (**signature).as_ref(),
            Signature::Rsa(signature) => signature,
        }
    }
}

fn read_source(algorithm: Algorithm, source: &KeySource) -> Result<Zeroizing<Vec<u8>>> {
    Ok(match source {
        KeySource::Text(bytes) => bytes.clone(),
        KeySource::Der(bytes) => {
            if algorithm.is_hmac() {
                return Err(Error::key(format!(
                    "{algorithm} takes a shared secret, not a DER key: give the raw secret as issuer_private_key \
                     or its Base64 as issuer_private_key_base64"
                )));
            }
            bytes.clone()
        }
        KeySource::Base64(text) => decode_base64(text.as_bytes())
            .ok_or_else(|| Error::key("the value is not valid Base64"))?,
        KeySource::File(path) => Zeroizing::new(std::fs::read(path).map_err(|e| {
            Error::key(format!("cannot read the key file {}", path.display())).with_source(e)
        })?),
    })
}

/// Decodes standard or URL-safe Base64, padded or not, ignoring white space (env files wrap long values).
fn decode_base64(text: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    use base64::engine::DecodePaddingMode;
    use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
    const LENIENT: GeneralPurposeConfig =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    const STANDARD: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, LENIENT);
    const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, LENIENT);
    let compact: Zeroizing<Vec<u8>> = Zeroizing::new(
        text.iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect(),
    );
    if compact.is_empty() {
        return None;
    }
    STANDARD
        .decode(&*compact)
        .or_else(|_| URL_SAFE.decode(&*compact))
        .ok()
        .map(Zeroizing::new)
}

/// An HMAC key from a shared secret: never empty, never a PEM key (the algorithm-confusion mistake, or
/// attack), and at least the hash size unless `allow_short`.
pub(crate) fn hmac_secret(
    algorithm: Algorithm,
    secret: &[u8],
    allow_short: bool,
) -> Result<Box<hmac::Key>> {
    if secret.is_empty() {
        return Err(Error::key(format!("the {algorithm} secret is empty")));
    }
    if secret.trim_ascii_start().starts_with(b"-----BEGIN") {
        return Err(Error::key(format!(
            "{algorithm} takes a shared secret, but this is a PEM key: set issuer_key_algorithm to match the key"
        )));
    }
    let min = algorithm.min_hmac_secret_len();
    if secret.len() < min && !allow_short {
        return Err(Error::key(format!(
            "the {algorithm} secret has {} bytes, but RFC 7518 §3.2 requires at least {min} (the hash size); \
             use a longer secret, or allow short secrets explicitly",
            secret.len()
        )));
    }
    let hmac_alg = match algorithm {
        Algorithm::HS384 => hmac::HMAC_SHA384,
        Algorithm::HS512 => hmac::HMAC_SHA512,
        _ => hmac::HMAC_SHA256,
    };
    Ok(Box::new(hmac::Key::new(hmac_alg, secret)))
}

fn asymmetric_key(algorithm: Algorithm, bytes: &[u8]) -> Result<Inner> {
    let der = if looks_like_pem(bytes) {
        pem_private_key(bytes)?
    } else if bytes.first() == Some(&0x30) {
        Zeroizing::new(bytes.to_vec())
    } else {
        return Err(Error::key(
            "the key is neither PEM (-----BEGIN ...) nor DER: expected a private key",
        ));
    };
    let found = classify(&der)?;
    let needed = algorithm.key_type();
    let matches = match (found.kind, needed) {
        (Found::Rsa { .. }, KeyType::Rsa) | (Found::Ed25519, KeyType::Ed25519) => true,
        (Found::Ec(Some(curve)), KeyType::Ec(want)) => curve == want,
        _ => false,
    };
    if !matches {
        return Err(Error::key(format!(
            "the key is {}, but {algorithm} needs {}",
            found.kind.describe(),
            describe_needed(needed)
        )));
    }
    let rejected = |e: aws_lc_rs::error::KeyRejected| {
        Error::key(format!("{} was rejected", found.kind.describe())).with_source(e)
    };
    Ok(match needed {
        KeyType::Rsa => {
            if let Found::Rsa { bits } = found.kind
                && bits < 2048
            {
                return Err(Error::key(format!(
                    "the RSA key has {bits} bits, but at least 2048 are required"
                )));
            }
            let key = match found.form {
                Form::Pkcs1 => RsaKeyPair::from_der(&der),
                _ => RsaKeyPair::from_pkcs8(&der),
            }
            .map_err(rejected)?;
            let encoding: &'static dyn RsaEncoding = match algorithm {
                Algorithm::RS256 => &RSA_PKCS1_SHA256,
                Algorithm::RS384 => &RSA_PKCS1_SHA384,
                Algorithm::RS512 => &RSA_PKCS1_SHA512,
                Algorithm::PS256 => &RSA_PSS_SHA256,
                Algorithm::PS384 => &RSA_PSS_SHA384,
                _ => &RSA_PSS_SHA512,
            };
            Inner::Rsa(key, encoding)
        }
        KeyType::Ec(curve) => {
            let signing: &'static signature::EcdsaSigningAlgorithm = match curve {
                Curve::P256 => &ECDSA_P256_SHA256_FIXED_SIGNING,
                Curve::P384 => &ECDSA_P384_SHA384_FIXED_SIGNING,
                Curve::P521 => &ECDSA_P521_SHA512_FIXED_SIGNING,
            };
            Inner::Ec(EcdsaKeyPair::from_private_key_der(signing, &der).map_err(rejected)?)
        }
        KeyType::Ed25519 => {
            Inner::Ed25519(Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der).map_err(rejected)?)
        }
        KeyType::Hmac => unreachable!("HMAC keys are loaded by hmac_key"),
    })
}

fn describe_needed(needed: KeyType) -> String {
    match needed {
        KeyType::Hmac => "a shared secret".into(),
        KeyType::Rsa => "an RSA key".into(),
        KeyType::Ec(curve) => format!("an EC {} key", curve.name()),
        KeyType::Ed25519 => "an Ed25519 key".into(),
    }
}

fn looks_like_pem(bytes: &[u8]) -> bool {
    bytes.trim_ascii_start().starts_with(b"-----BEGIN ")
}

/// Finds the first private key block of a PEM file (skipping `EC PARAMETERS`, which `openssl ecparam -genkey`
/// writes first) and returns its DER.
fn pem_private_key(bytes: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    pem_block(bytes, "private key", |label| match label {
        "EC PARAMETERS" => Ok(false),
        "PRIVATE KEY" | "EC PRIVATE KEY" | "RSA PRIVATE KEY" => Ok(true),
        "ENCRYPTED PRIVATE KEY" => Err(encrypted()),
        "PUBLIC KEY" | "RSA PUBLIC KEY" => Err(Error::key(
            "this is a public key: tokens are signed with the private key",
        )),
        "CERTIFICATE" => Err(Error::key(
            "this is a certificate: tokens are signed with the private key",
        )),
        other => Err(Error::key(format!(
            "unsupported PEM block {other:?}: expected PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY"
        ))),
    })
}

/// The DER of a public key given as SPKI PEM (`-----BEGIN PUBLIC KEY-----`) or DER.
pub(crate) fn public_key_der(bytes: &[u8]) -> Result<Vec<u8>> {
    if !looks_like_pem(bytes) {
        return Ok(bytes.to_vec());
    }
    let der = pem_block(bytes, "public key", |label| match label {
        "PUBLIC KEY" => Ok(true),
        "EC PARAMETERS" => Ok(false),
        other => Err(Error::key(format!(
            "expected a PUBLIC KEY block (SPKI, as `openssl pkey -pubout` writes it), not {other:?}"
        ))),
    })?;
    Ok(der.to_vec())
}

/// The DER of the first PEM block whose label `pick` accepts (`Ok(false)` skips a block, `Err` refuses the
/// input). Literal `\n` sequences (a PEM pasted into an env file on one line) are taken as line breaks.
fn pem_block(
    bytes: &[u8],
    what: &str,
    pick: impl Fn(&str) -> Result<bool>,
) -> Result<Zeroizing<Vec<u8>>> {
    let text = std::str::from_utf8(bytes).map_err(|_| Error::key("the PEM text is not UTF-8"))?;
    let unescaped;
    let text = if !text.trim_end().contains('\n') && text.contains("\\n") {
        unescaped = Zeroizing::new(text.replace("\\r", "").replace("\\n", "\n"));
        unescaped.as_str()
    } else {
        text
    };
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start + "-----BEGIN ".len()..];
        let label_end = after
            .find("-----")
            .ok_or_else(|| Error::key("the PEM text has a malformed BEGIN line"))?;
        let label = &after[..label_end];
        let body_and_rest = &after[label_end + "-----".len()..];
        let end_marker = format!("-----END {label}-----");
        let body_end = body_and_rest
            .find(&end_marker)
            .ok_or_else(|| Error::key(format!("the PEM block {label:?} has no END line")))?;
        let body = &body_and_rest[..body_end];
        rest = &body_and_rest[body_end + end_marker.len()..];
        if !pick(label)? {
            continue;
        }
        if body.contains("Proc-Type:") || body.contains("DEK-Info:") {
            return Err(encrypted());
        }
        return decode_base64(body.as_bytes()).ok_or_else(|| {
            Error::key(format!("the body of the PEM block {label:?} is not Base64"))
        });
    }
    Err(Error::key(format!("the PEM text holds no {what} block")))
}

fn encrypted() -> Error {
    Error::key(
        "the key is encrypted: decrypt it first, e.g. `openssl pkcs8 -in key.pem -out plain.pem` (keep the result secret)",
    )
}

/// What a DER private key turned out to be.
#[derive(Debug, Clone, Copy)]
struct Classified {
    kind: Found,
    form: Form,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Pkcs1,
    Sec1,
    Pkcs8,
}

#[derive(Debug, Clone, Copy)]
enum Found {
    Rsa {
        bits: usize,
    },
    /// An EC key; `None` when the curve is one we cannot sign with.
    Ec(Option<Curve>),
    Ed25519,
    Other(&'static str),
}

impl Found {
    fn describe(self) -> String {
        match self {
            Found::Rsa { bits } => format!("an RSA key ({bits} bits)"),
            Found::Ec(Some(curve)) => format!("an EC {} key", curve.name()),
            Found::Ec(None) => "an EC key on an unsupported curve".into(),
            Found::Ed25519 => "an Ed25519 key".into(),
            Found::Other(what) => what.into(),
        }
    }
}

// DER encodings of the object identifiers we recognise (the value bytes, without tag and length).
const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_RSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
const OID_P521: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x23];
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];
const OID_ED448: &[u8] = &[0x2b, 0x65, 0x71];
const OID_X25519: &[u8] = &[0x2b, 0x65, 0x6e];

const TAG_INTEGER: u8 = 0x02;
const TAG_OCTET_STRING: u8 = 0x04;
const TAG_OID: u8 = 0x06;
const TAG_SEQUENCE: u8 = 0x30;
const TAG_CONTEXT_0: u8 = 0xa0;

/// Reads one DER TLV: `(tag, value, rest)`.
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, input) = input.split_first()?;
    let (&first, mut input) = input.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || input.len() < n {
            return None;
        }
        let (len_bytes, rest) = input.split_at(n);
        input = rest;
        len_bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
    };
    if input.len() < len {
        return None;
    }
    let (value, rest) = input.split_at(len);
    Some((tag, value, rest))
}

fn expect(input: &[u8], want: u8) -> Option<(&[u8], &[u8])> {
    let (tag, value, rest) = tlv(input)?;
    (tag == want).then_some((value, rest))
}

fn curve_of(oid: &[u8]) -> Option<Curve> {
    match oid {
        OID_P256 => Some(Curve::P256),
        OID_P384 => Some(Curve::P384),
        OID_P521 => Some(Curve::P521),
        _ => None,
    }
}

/// The size in bits of a DER INTEGER holding a positive number.
fn integer_bits(value: &[u8]) -> usize {
    let value = match value.iter().position(|&b| b != 0) {
        Some(i) => &value[i..],
        None => return 0,
    };
    value.len() * 8 - value[0].leading_zeros() as usize
}

/// `RSAPrivateKey ::= SEQUENCE { version, modulus, ... }` (PKCS#1): the modulus size.
fn pkcs1_bits(der: &[u8]) -> Option<usize> {
    let (seq, _) = expect(der, TAG_SEQUENCE)?;
    let (_, rest) = expect(seq, TAG_INTEGER)?;
    let (modulus, _) = expect(rest, TAG_INTEGER)?;
    Some(integer_bits(modulus))
}

fn classify(der: &[u8]) -> Result<Classified> {
    classify_der(der).ok_or_else(|| {
        Error::key("the key is not a valid DER private key (PKCS#8, SEC1 or PKCS#1)")
    })
}

fn classify_der(der: &[u8]) -> Option<Classified> {
    let (seq, trailing) = expect(der, TAG_SEQUENCE)?;
    if !trailing.is_empty() {
        return None;
    }
    let (_version, rest) = expect(seq, TAG_INTEGER)?;
    let (tag, value, rest) = tlv(rest)?;
    match tag {
        // PKCS#8: PrivateKeyInfo ::= SEQUENCE { version, AlgorithmIdentifier, OCTET STRING privateKey, ... }
        TAG_SEQUENCE => {
            let (oid, params) = expect(value, TAG_OID)?;
            let (private_key, _) = expect(rest, TAG_OCTET_STRING)?;
            let kind = match oid {
                OID_RSA => Found::Rsa {
                    bits: pkcs1_bits(private_key)?,
                },
                OID_EC_PUBLIC_KEY => {
                    Found::Ec(expect(params, TAG_OID).and_then(|(c, _)| curve_of(c)))
                }
                OID_ED25519 => Found::Ed25519,
                OID_RSA_PSS => {
                    Found::Other("an RSASSA-PSS-only RSA key (use a plain rsaEncryption key)")
                }
                OID_ED448 => Found::Other("an Ed448 key"),
                OID_X25519 => Found::Other("an X25519 key (key agreement, not signing)"),
                _ => Found::Other("a key of an unsupported type"),
            };
            Some(Classified {
                kind,
                form: Form::Pkcs8,
            })
        }
        // SEC1: ECPrivateKey ::= SEQUENCE { version 1, OCTET STRING privateKey, [0] parameters OPTIONAL, ... }
        TAG_OCTET_STRING => {
            let curve = match expect(rest, TAG_CONTEXT_0) {
                Some((params, _)) => curve_of(expect(params, TAG_OID)?.0),
                // no parameters: the private key's size tells the curve
                None => match value.len() {
                    32 => Some(Curve::P256),
                    48 => Some(Curve::P384),
                    66 => Some(Curve::P521),
                    _ => None,
                },
            };
            Some(Classified {
                kind: Found::Ec(curve),
                form: Form::Sec1,
            })
        }
        // PKCS#1: RSAPrivateKey ::= SEQUENCE { version, INTEGER modulus, ... }
        TAG_INTEGER => Some(Classified {
            kind: Found::Rsa {
                bits: integer_bits(value),
            },
            form: Form::Pkcs1,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tlv_reads_long_lengths_and_refuses_truncation() {
        let mut der = vec![0x04, 0x82, 0x01, 0x00];
        der.extend(std::iter::repeat_n(7u8, 256));
        let (tag, value, rest) = tlv(&der).unwrap();
        assert_eq!((tag, value.len(), rest.len()), (0x04, 256, 0));
        assert!(tlv(&der[..100]).is_none());
        assert!(tlv(&[0x30]).is_none());
        assert!(tlv(&[0x30, 0x80]).is_none());
        assert!(tlv(&[0x30, 0x85, 1, 1, 1, 1, 1]).is_none());
    }

    #[test]
    fn integer_bits_ignores_sign_padding() {
        assert_eq!(integer_bits(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(integer_bits(&[0x01]), 1);
        assert_eq!(integer_bits(&[0x00]), 0);
    }

    #[test]
    fn base64_is_lenient_about_padding_alphabet_and_white_space() {
        let want = b"\xfb\xff hello";
        for text in [
            "+/8gaGVsbG8=",
            "+/8gaGVsbG8",
            "-_8gaGVsbG8",
            " +/8g\naGVs\r\nbG8= ",
        ] {
            assert_eq!(&**decode_base64(text.as_bytes()).unwrap(), want, "{text}");
        }
        assert!(decode_base64(b"not base64!").is_none());
        assert!(decode_base64(b"  ").is_none());
    }

    #[test]
    fn garbage_der_never_panics() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for len in 0..200 {
            let bytes: Vec<u8> = (0..len)
                .map(|i| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    if i == 0 { 0x30 } else { seed as u8 }
                })
                .collect();
            for alg in Algorithm::ALL {
                let _ =
                    SigningKey::load(alg, &KeySource::Der(Zeroizing::new(bytes.clone())), false);
            }
        }
    }
}
