//! The JSON payload of a token: the configured default claims merged with the caller's, as the Ruby gem merges
//! them (`defaults.merge(claims)`): defaults first in their fixed order, a caller claim with a default's name
//! replacing that default's value in place, then the caller's other claims in the caller's order.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::error::{Error, Result};

/// The default claims an [`Issuer`](crate::Issuer) adds, pre-serialized where they do not change per token.
#[derive(Debug, Clone, Default)]
pub(crate) struct Defaults {
    /// `aud`, as JSON (a string or an array of strings).
    pub(crate) aud: Option<String>,
    pub(crate) iat: bool,
    /// `iss`, as a JSON string.
    pub(crate) iss: Option<String>,
    pub(crate) jti: bool,
    /// Seconds from now to `exp`; 0 adds no `exp`.
    pub(crate) ttl: u64,
    pub(crate) allow_missing_exp: bool,
}

impl Defaults {
    /// Whether a default claim of this name is added (and so already written in its place).
    fn adds(&self, name: &str) -> bool {
        match name {
            "aud" => self.aud.is_some(),
            "iat" => self.iat,
            "iss" => self.iss.is_some(),
            "jti" => self.jti,
            "exp" => self.ttl > 0,
            _ => false,
        }
    }
}

/// The top-level members of the caller's claims, in order, values kept as the JSON the caller's
/// `Serialize` produced.
struct Members<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;
        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut members = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some(Name(name)) = map.next_key()? {
                    members.push((name, map.next_value::<&'de RawValue>()?));
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(ObjectVisitor)
    }
}

/// A member name, borrowed from the JSON unless it held escapes.
struct Name<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Name<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NameVisitor;
        impl<'de> Visitor<'de> for NameVisitor {
            type Value = Name<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a claim name")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Name(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Name(Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(NameVisitor)
    }
}

/// The default claims, in the gem's order.
const DEFAULT_NAMES: [&str; 5] = ["aud", "iat", "iss", "jti", "exp"];

/// Claims that RFC 7519 defines as NumericDate: a JSON number of seconds since the epoch.
const TIME_CLAIMS: [&str; 3] = ["exp", "nbf", "iat"];

/// Serializes `claims`, merges the defaults in and writes the payload JSON to `out`.
pub(crate) fn write_payload<C: serde::Serialize + ?Sized>(
    defaults: &Defaults,
    claims: &C,
    now: i64,
    out: &mut Vec<u8>,
) -> Result<()> {
    let json = serde_json::to_vec(claims)
        .map_err(|e| Error::claims("the claims failed to serialize").with_source(e))?;
    let Members(members) = serde_json::from_slice(&json)
        .map_err(|e| Error::claims("the claims must serialize to a JSON object").with_source(e))?;
    check(defaults, &members)?;

    let caller = |name: &str| members.iter().find(|(n, _)| n == name).map(|(_, v)| v);
    out.push(b'{');
    let mut first = true;
    let mut member = |out: &mut Vec<u8>, name: &str| {
        if !std::mem::take(&mut first) {
            out.push(b',');
        }
        // names are plain ASCII for the defaults; the caller's are escaped as JSON
        serde_json::to_writer(&mut *out, name).expect("writing a string to a Vec cannot fail");
        out.push(b':');
    };
    for name in DEFAULT_NAMES {
        if !defaults.adds(name) {
            continue;
        }
        member(out, name);
        if let Some(value) = caller(name) {
            out.extend_from_slice(value.get().as_bytes());
            continue;
        }
        match name {
            "aud" => out.extend_from_slice(defaults.aud.as_deref().unwrap_or_default().as_bytes()),
            "iss" => out.extend_from_slice(defaults.iss.as_deref().unwrap_or_default().as_bytes()),
            "iat" => write_int(out, now),
            "jti" => write_uuid_v4(out)?,
            _ => write_int(out, now.saturating_add_unsigned(defaults.ttl)),
        }
    }
    for (name, value) in &members {
        if !defaults.adds(name) {
            member(out, name);
            out.extend_from_slice(value.get().as_bytes());
        }
    }
    out.push(b'}');
    Ok(())
}

fn check(defaults: &Defaults, members: &[(Cow<'_, str>, &RawValue)]) -> Result<()> {
    for (i, (name, _)) in members.iter().enumerate() {
        if members[..i].iter().any(|(n, _)| n == name) {
            return Err(
                Error::claims("the claims hold this name twice").with_field(name.to_string())
            );
        }
    }
    for (name, value) in members {
        if TIME_CLAIMS.contains(&name.as_ref())
            && !matches!(value.get().as_bytes().first(), Some(b'-' | b'0'..=b'9'))
        {
            return Err(Error::claims(
                "must be a NumericDate: a JSON number of seconds since the Unix epoch",
            )
            .with_field(name.to_string()));
        }
    }
    let has_exp = defaults.adds("exp") || members.iter().any(|(n, _)| n == "exp");
    if !has_exp && !defaults.allow_missing_exp {
        return Err(Error::claims(
            "the token has no expiry, and Hotsock rejects tokens without one: set issuer_token_ttl, \
             pass an exp claim, or allow tokens without exp explicitly",
        )
        .with_field("exp"));
    }
    Ok(())
}

fn write_int(out: &mut Vec<u8>, n: i64) {
    use std::io::Write as _;
    write!(out, "{n}").expect("writing to a Vec cannot fail");
}

/// Writes a random (version 4) UUID as a JSON string, as Ruby's `SecureRandom.uuid` makes them.
fn write_uuid_v4(out: &mut Vec<u8>) -> Result<()> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes)
        .map_err(|_| Error::claims("the random generator failed").with_field("jti"))?;
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
    out.push(b'"');
    for (i, byte) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push(b'-');
        }
        out.push(HEX[usize::from(byte >> 4)]);
        out.push(HEX[usize::from(byte & 0x0f)]);
    }
    out.push(b'"');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn payload(defaults: &Defaults, claims: serde_json::Value) -> Result<String> {
        let mut out = Vec::new();
        write_payload(defaults, &claims, 1_700_000_000, &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn defaults_come_first_in_order_and_callers_override_in_place() {
        let d = Defaults {
            aud: Some(r#""hotsock""#.into()),
            iat: true,
            iss: Some(r#""me""#.into()),
            jti: false,
            ttl: 10,
            allow_missing_exp: false,
        };
        assert_eq!(
            payload(&d, json!({})).unwrap(),
            r#"{"aud":"hotsock","iat":1700000000,"iss":"me","exp":1700000010}"#
        );
        // serde_json::Value sorts its keys: b, exp, iss
        assert_eq!(
            payload(&d, json!({"iss": "you", "b": 1, "exp": 5})).unwrap(),
            r#"{"aud":"hotsock","iat":1700000000,"iss":"you","exp":5,"b":1}"#
        );
    }

    #[test]
    fn a_caller_claim_named_like_a_disabled_default_keeps_its_place() {
        let d = Defaults {
            ttl: 10,
            ..Defaults::default()
        };
        assert_eq!(
            payload(&d, json!({"iat": 3, "a": "x"})).unwrap(),
            r#"{"exp":1700000010,"a":"x","iat":3}"#
        );
    }

    #[test]
    fn jti_is_a_v4_uuid() {
        let d = Defaults {
            jti: true,
            allow_missing_exp: true,
            ..Defaults::default()
        };
        let p = payload(&d, json!({})).unwrap();
        let v: serde_json::Value = serde_json::from_str(&p).unwrap();
        let jti = v["jti"].as_str().unwrap();
        assert_eq!(jti.len(), 36);
        let groups: Vec<&str> = jti.split('-').collect();
        assert_eq!(
            groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(groups[2].starts_with('4'));
        assert!(matches!(&groups[3][..1], "8" | "9" | "a" | "b"));
        assert!(
            jti.chars()
                .all(|c| c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_ne!(p, payload(&d, json!({})).unwrap());
    }

    #[test]
    fn non_objects_and_bad_time_claims_are_refused() {
        let d = Defaults {
            allow_missing_exp: true,
            ..Defaults::default()
        };
        for bad in [json!([1]), json!("s"), json!(null), json!(3)] {
            assert_eq!(
                payload(&d, bad).unwrap_err().kind(),
                crate::ErrorKind::Claims
            );
        }
        for name in TIME_CLAIMS {
            let e = payload(&d, json!({ name: "soon" })).unwrap_err();
            assert_eq!(e.field(), Some(name));
        }
    }

    #[test]
    fn escaped_names_are_written_escaped() {
        let d = Defaults {
            allow_missing_exp: true,
            ..Defaults::default()
        };
        assert_eq!(
            payload(&d, json!({"a\"b\n": 1})).unwrap(),
            r#"{"a\"b\n":1}"#
        );
    }
}
