//! The JSON payload of a token: the configured default claims merged with the caller's, as the Ruby gem merges
//! them (`defaults.merge(claims)`): defaults first in their fixed order, a caller claim with a default's name
//! replacing that default's value in place, then the caller's other claims in the caller's order.

use super::capture::{Captured, capture};
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

/// A member name given as JSON (quotes included) without its quotes, when it is three letters long, as every
/// name the defaults and the time-claim checks care about is.
fn three_letter(json_name: &[u8]) -> Option<&[u8]> {
    match json_name {
        [b'"', name @ .., b'"'] if name.len() == 3 => Some(name),
        _ => None,
    }
}

impl Defaults {
    /// Like `adds`, for a name as JSON (quotes included).
    fn adds_json(&self, json_name: &[u8]) -> bool {
        three_letter(json_name).is_some_and(|name| self.adds(name))
    }

    /// Whether a default claim of this name is added (and so already written in its place).
    fn adds(&self, name: &[u8]) -> bool {
        match name {
            b"aud" => self.aud.is_some(),
            b"iat" => self.iat,
            b"iss" => self.iss.is_some(),
            b"jti" => self.jti,
            b"exp" => self.ttl > 0,
            _ => false,
        }
    }
}

/// The default claims, in the gem's order, with their names as JSON.
const DEFAULT_NAMES: [(&[u8], &[u8]); 5] = [
    (b"aud", br#""aud""#),
    (b"iat", br#""iat""#),
    (b"iss", br#""iss""#),
    (b"jti", br#""jti""#),
    (b"exp", br#""exp""#),
];

/// A default claim whose value changes from token to token.
#[derive(Debug, Clone, Copy)]
enum Varying {
    Iat,
    Jti,
    Exp,
}

impl Varying {
    fn of(name: &[u8]) -> Option<Varying> {
        match name {
            b"iat" => Some(Varying::Iat),
            b"jti" => Some(Varying::Jti),
            b"exp" => Some(Varying::Exp),
            _ => None,
        }
    }
}

impl Defaults {
    /// The JSON value of a default claim that is the same in every token (`aud`, `iss`).
    fn constant(&self, name: &[u8]) -> Option<&[u8]> {
        match name {
            b"aud" => self.aud.as_deref().map(str::as_bytes),
            b"iss" => self.iss.as_deref().map(str::as_bytes),
            _ => None,
        }
    }
}

/// Writes payloads: the [`Defaults`] with everything that does not change per token (the `{`, the names,
/// `aud`, `iss`, the commas) joined once into literal pieces, so a token pays only for `iat`, `jti` and `exp`.
#[derive(Debug)]
pub(crate) struct PayloadWriter {
    defaults: Defaults,
    /// Literal JSON, each piece followed by the varying value that comes after it, if any.
    template: Vec<(Box<[u8]>, Option<Varying>)>,
}

impl PayloadWriter {
    pub(crate) fn new(defaults: Defaults) -> Self {
        let mut template = Vec::new();
        let mut literal = vec![b'{'];
        for (name, json_name) in DEFAULT_NAMES {
            if !defaults.adds(name) {
                continue;
            }
            if literal.len() > 1 || !template.is_empty() {
                literal.push(b',');
            }
            literal.extend_from_slice(json_name);
            literal.push(b':');
            match (defaults.constant(name), Varying::of(name)) {
                (Some(value), _) => literal.extend_from_slice(value),
                (None, varying) => {
                    template.push((std::mem::take(&mut literal).into(), varying));
                }
            }
        }
        template.push((literal.into(), None));
        PayloadWriter { defaults, template }
    }

    pub(crate) fn defaults(&self) -> &Defaults {
        &self.defaults
    }

    fn write_varying(&self, varying: Varying, now: i64, out: &mut Vec<u8>) -> Result<()> {
        match varying {
            Varying::Iat => write_int(out, now),
            Varying::Jti => write_uuid_v4(out)?,
            Varying::Exp => write_int(out, now.saturating_add_unsigned(self.defaults.ttl)),
        }
        Ok(())
    }

    /// Serializes `claims`, merges the defaults in and writes the payload JSON to `out`.
    pub(crate) fn write<C: serde::Serialize + ?Sized>(
        &self,
        claims: &C,
        now: i64,
        out: &mut Vec<u8>,
    ) -> Result<()> {
        // The defaults first, then the caller's members serialized straight after them into the same buffer.
        let start = out.len();
        let mut jti = 0..0;
        for (literal, varying) in &self.template {
            out.extend_from_slice(literal);
            let Some(varying) = *varying else { continue };
            let value_start = out.len();
            self.write_varying(varying, now, out)?;
            if let Varying::Jti = varying {
                jti = value_start..out.len();
            }
        }
        let mut caller = Captured {
            json: std::mem::take(out),
            members: Vec::new(),
        };
        capture(claims, &mut caller).map_err(|e| {
            Error::claims("the claims must serialize to a JSON object").with_source(e)
        })?;
        let defaults = &self.defaults;
        if !check(defaults, &caller)? {
            *out = caller.json;
            out.push(b'}');
            return Ok(());
        }

        // A caller claim replaces a default: rebuild with the caller's value in the default's place.
        let json = &caller.json;
        out.extend_from_slice(&json[..=start]);
        for (name, json_name) in DEFAULT_NAMES {
            if !defaults.adds(name) {
                continue;
            }
            if out.len() > start + 1 {
                out.push(b',');
            }
            out.extend_from_slice(json_name);
            out.push(b':');
            match (caller.get(json_name), Varying::of(name)) {
                (Some(value), _) => out.extend_from_slice(value),
                (None, Some(Varying::Jti)) => out.extend_from_slice(&json[jti.clone()]),
                (None, Some(varying)) => self.write_varying(varying, now, out)?,
                (None, None) => out.extend_from_slice(defaults.constant(name).unwrap_or_default()),
            }
        }
        for member in &caller.members {
            let name = caller.name(member);
            if !defaults.adds_json(name) {
                if out.len() > start + 1 {
                    out.push(b',');
                }
                out.extend_from_slice(name);
                out.push(b':');
                out.extend_from_slice(caller.value(member));
            }
        }
        out.push(b'}');
        Ok(())
    }
}

/// A member name as the error's field: the JSON name without its quotes, unescaped.
fn field_name(json_name: &[u8]) -> String {
    serde_json::from_slice::<String>(json_name).unwrap_or_default()
}

/// Checks the caller's members (no name twice, NumericDate time claims, an `exp` somewhere unless allowed to
/// lack one) and tells whether any of them replaces a default.
fn check(defaults: &Defaults, caller: &Captured) -> Result<bool> {
    let members = &caller.members;
    let (mut replaces_default, mut has_exp) = (false, defaults.adds(b"exp"));
    for (i, member) in members.iter().enumerate() {
        let name = caller.name(member);
        if members[..i].iter().any(|m| caller.name(m) == name) {
            return Err(
                Error::claims("the claims hold this name twice").with_field(field_name(name))
            );
        }
        let Some(short) = three_letter(name) else {
            continue;
        };
        if matches!(short, b"exp" | b"nbf" | b"iat")
            && !matches!(caller.value(member).first(), Some(b'-' | b'0'..=b'9'))
        {
            return Err(Error::claims(
                "must be a NumericDate: a JSON number of seconds since the Unix epoch",
            )
            .with_field(field_name(name)));
        }
        replaces_default |= defaults.adds(short);
        has_exp |= short == b"exp";
    }
    if !has_exp && !defaults.allow_missing_exp {
        return Err(Error::claims(
            "the token has no expiry, and Hotsock rejects tokens without one: set issuer_token_ttl, \
             pass an exp claim, or allow tokens without exp explicitly",
        )
        .with_field("exp"));
    }
    Ok(replaces_default)
}

fn write_int(out: &mut Vec<u8>, n: i64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
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

    /// Claims given as JSON text, so that their order is exactly as written (a `serde_json::Value` sorts
    /// its keys, or keeps them in order when another crate turns on `preserve_order`).
    fn payload_json(defaults: &Defaults, claims: &str) -> String {
        let raw: &serde_json::value::RawValue = serde_json::from_str(claims).unwrap();
        let mut out = Vec::new();
        PayloadWriter::new(defaults.clone())
            .write(raw, 1_700_000_000, &mut out)
            .unwrap();
        String::from_utf8(out).unwrap()
    }

    fn payload(defaults: &Defaults, claims: serde_json::Value) -> Result<String> {
        let mut out = Vec::new();
        PayloadWriter::new(defaults.clone()).write(&claims, 1_700_000_000, &mut out)?;
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
        assert_eq!(
            payload_json(&d, r#"{"b":1,"exp":5,"iss":"you"}"#),
            r#"{"aud":"hotsock","iat":1700000000,"iss":"you","exp":5,"b":1}"#
        );
    }

    /// The gem's rule written the plain way, for comparison: the defaults in order, a caller value replacing a
    /// default's in place, then the caller's other members; `None` where the issuer must refuse.
    fn reference(d: &Defaults, now: i64, jti: &str, claims: &[(&str, String)]) -> Option<String> {
        let mut members: Vec<(String, String)> = Vec::new();
        let defaults = [
            ("aud", d.aud.clone()),
            ("iat", d.iat.then(|| now.to_string())),
            ("iss", d.iss.clone()),
            ("jti", d.jti.then(|| jti.to_owned())),
            ("exp", (d.ttl > 0).then(|| (now + d.ttl as i64).to_string())),
        ];
        for (name, value) in defaults {
            if let Some(value) = value {
                members.push((name.to_owned(), value));
            }
        }
        for (i, (name, value)) in claims.iter().enumerate() {
            if claims[..i].iter().any(|(other, _)| other == name) {
                return None;
            }
            let numeric = value.starts_with(|c: char| c == '-' || c.is_ascii_digit());
            if matches!(*name, "exp" | "nbf" | "iat") && !numeric {
                return None;
            }
            match members.iter_mut().find(|(n, _)| n == name) {
                // only a default can be found: a caller name seen before was refused above
                Some(member) => member.1 = value.clone(),
                None => members.push(((*name).to_owned(), value.clone())),
            }
        }
        if !members.iter().any(|(n, _)| n == "exp") && !d.allow_missing_exp {
            return None;
        }
        Some(object(
            members.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        ))
    }

    /// A JSON object of these members (names as text, values as JSON), in order.
    fn object<'a>(members: impl Iterator<Item = (&'a str, &'a str)>) -> String {
        let body: Vec<String> = members
            .map(|(n, v)| format!("{}:{v}", serde_json::to_string(n).unwrap()))
            .collect();
        format!("{{{}}}", body.join(","))
    }

    fn write_to_string<C: serde::Serialize + ?Sized>(
        writer: &PayloadWriter,
        claims: &C,
    ) -> Result<String> {
        let mut out = Vec::new();
        writer.write(claims, 1_700_000_000, &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    /// Claims as a map serialized member by member (`serialize_key`, then `serialize_value`), in order.
    struct OrderedMap<'a>(Vec<(&'a str, serde_json::Value)>);

    impl serde::Serialize for OrderedMap<'_> {
        fn serialize<S: serde::Serializer>(
            &self,
            serializer: S,
        ) -> std::result::Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap as _;
            let mut map = serializer.serialize_map(Some(self.0.len()))?;
            for (name, value) in &self.0 {
                map.serialize_key(name)?;
                map.serialize_value(value)?;
            }
            map.end()
        }
    }

    #[test]
    fn random_defaults_and_claims_merge_as_the_gem_merges_them() {
        // xorshift64*: reproducible without a dependency
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move |n: u64| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            state.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
        };
        let names = [
            "aud", "iat", "iss", "jti", "exp", "nbf", "sub", "scope", "a\"b", "é",
        ];
        let values = [
            r#""x""#,
            "1",
            "-5",
            "-0.25",
            "true",
            "null",
            r#"["a",1]"#,
            r#"{"k":{"n":[]}}"#,
        ];
        let (mut accepted, mut refused) = (0, 0);
        for _ in 0..2_000 {
            let d = Defaults {
                aud: [
                    None,
                    Some(r#""hotsock""#.into()),
                    Some(r#"["a","b"]"#.into()),
                ][next(3) as usize]
                    .clone(),
                iat: next(2) == 0,
                iss: (next(2) == 0).then(|| r#""me""#.into()),
                jti: next(2) == 0,
                ttl: [0, 1, 3600][next(3) as usize],
                allow_missing_exp: next(2) == 0,
            };
            let claims: Vec<(&str, String)> = (0..next(6))
                .map(|_| {
                    (
                        names[next(names.len() as u64) as usize],
                        values[next(values.len() as u64) as usize].to_owned(),
                    )
                })
                .collect();
            let text = object(claims.iter().map(|(n, v)| (*n, v.as_str())));
            let raw: &serde_json::value::RawValue = serde_json::from_str(&text).unwrap();
            let map = OrderedMap(
                claims
                    .iter()
                    .map(|(n, v)| (*n, serde_json::from_str(v).unwrap()))
                    .collect(),
            );
            let writer = PayloadWriter::new(d.clone());
            let as_text = write_to_string(&writer, raw);
            let as_map = write_to_string(&writer, &map);
            for ours in [as_text, as_map] {
                // a random jti is whatever the issuer drew: read it back, check its shape, use it in the reference
                let random_jti = d.jti && !claims.iter().any(|(n, _)| *n == "jti");
                let jti = match (&ours, random_jti) {
                    (Ok(p), true) => {
                        let (_, rest) = p.split_once(r#""jti":""#).unwrap();
                        let jti = &rest[..36];
                        assert_eq!((&jti[14..15], jti.matches('-').count()), ("4", 4), "{p}");
                        jti.to_owned()
                    }
                    _ => String::new(),
                };
                let expected = reference(&d, 1_700_000_000, &format!("{jti:?}"), &claims);
                match (&ours, &expected) {
                    (Ok(ours), Some(expected)) => {
                        accepted += 1;
                        assert_eq!(ours, expected, "{d:?} {text}");
                        serde_json::from_str::<serde_json::Value>(ours).unwrap();
                    }
                    (Err(e), None) => {
                        refused += 1;
                        assert_eq!(e.kind(), crate::ErrorKind::Claims);
                    }
                    _ => panic!("{d:?} {text}: ours {ours:?}, expected {expected:?}"),
                }
            }
        }
        // both outcomes are well represented, so the comparison covers them
        assert!(
            accepted > 500 && refused > 500,
            "{accepted} accepted, {refused} refused"
        );
    }

    #[test]
    fn a_replaced_default_keeps_the_other_defaults_including_the_random_jti() {
        let d = Defaults {
            aud: Some(r#"["a","b"]"#.into()),
            iat: true,
            iss: None,
            jti: true,
            ttl: 10,
            allow_missing_exp: false,
        };
        let p = payload_json(&d, r#"{"z":0,"iat":7}"#);
        let (head, tail) = p.split_once(r#","jti":""#).unwrap();
        assert_eq!(head, r#"{"aud":["a","b"],"iat":7"#);
        let (jti, tail) = tail.split_once('"').unwrap();
        assert_eq!((jti.len(), &jti[14..15]), (36, "4"));
        assert_eq!(tail, r#","exp":1700000010,"z":0}"#);
    }

    #[test]
    fn a_caller_claim_named_like_a_disabled_default_keeps_its_place() {
        let d = Defaults {
            ttl: 10,
            ..Defaults::default()
        };
        assert_eq!(
            payload_json(&d, r#"{"a":"x","iat":3}"#),
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
        for name in ["exp", "nbf", "iat"] {
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
