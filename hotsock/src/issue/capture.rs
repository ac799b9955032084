//! Serializes the caller's claims in one pass, remembering where each top-level member's name and value lie.
//!
//! The claims must be a JSON object, and the issuer must find members by name to merge the defaults in. Rather
//! than serialize to JSON and parse that JSON again, this serializer accepts only a struct or a map at the top
//! level and hands every member value to `serde_json`, recording byte ranges in one buffer.

use std::fmt;
use std::ops::Range;

use std::borrow::Cow;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde::ser::{self, Impossible, Serialize, Serializer};
use serde_json::value::RawValue;

/// The serialized claims, appended as object members (`,"name":value`) to JSON that has begun an object,
/// with the place of every member's name (a JSON string, quotes included) and value.
pub(crate) struct Captured {
    pub(crate) json: Vec<u8>,
    pub(crate) members: Vec<(Range<usize>, Range<usize>)>,
}

impl Captured {
    /// Writes `,"name":` (the comma unless the object has just begun) and returns where the name lies.
    fn begin_member(&mut self, name: &str) -> Range<usize> {
        if self.json.last() != Some(&b'{') {
            self.json.push(b',');
        }
        let start = self.json.len();
        if name.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
            // nothing to escape, as in nearly every claim name: skip serde_json's string writer
            self.json.push(b'"');
            self.json.extend_from_slice(name.as_bytes());
            self.json.push(b'"');
        } else {
            serde_json::to_writer(&mut self.json, name)
                .expect("writing a string to a Vec cannot fail");
        }
        let name = start..self.json.len();
        self.json.push(b':');
        name
    }

    pub(crate) fn name(&self, member: &(Range<usize>, Range<usize>)) -> &[u8] {
        &self.json[member.0.clone()]
    }

    pub(crate) fn value(&self, member: &(Range<usize>, Range<usize>)) -> &[u8] {
        &self.json[member.1.clone()]
    }

    /// The value of the member whose JSON name is `name` (quotes included, e.g. `"exp"`).
    pub(crate) fn get(&self, name: &[u8]) -> Option<&[u8]> {
        self.members
            .iter()
            .find(|m| self.name(m) == name)
            .map(|m| self.value(m))
    }
}

/// Why the claims could not be captured.
#[derive(Debug)]
pub(crate) struct CaptureError(String);

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CaptureError {}

impl ser::Error for CaptureError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        CaptureError(msg.to_string())
    }
}

impl CaptureError {
    fn not_name() -> Self {
        CaptureError("claim names must be strings".into())
    }

    fn not_object(what: &str) -> Self {
        CaptureError(format!("expected a struct or a map, got {what}"))
    }
}

/// The struct name `serde_json::value::RawValue` serializes under; `serde_json`'s own serializer checks it too.
const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";

/// Captures the members of claims given as JSON text.
fn capture_json(text: &[u8], out: &mut Captured) -> Result<(), CaptureError> {
    let JsonMembers(members) =
        serde_json::from_slice(text).map_err(|e| CaptureError(e.to_string()))?;
    out.members.reserve(members.len());
    for (name, value) in members {
        let name = out.begin_member(&name);
        let start = out.json.len();
        out.json.extend_from_slice(value.get().as_bytes());
        out.members.push((name, start..out.json.len()));
    }
    Ok(())
}

/// The top-level members of a JSON object, in order, values kept as JSON text.
pub(crate) struct JsonMembers<'a>(pub(crate) Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de> Deserialize<'de> for JsonMembers<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;
        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = JsonMembers<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut members = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some(JsonName(name)) = map.next_key()? {
                    members.push((name, map.next_value::<&'de RawValue>()?));
                }
                Ok(JsonMembers(members))
            }
        }
        deserializer.deserialize_map(ObjectVisitor)
    }
}

/// A member name, borrowed from the JSON unless it held escapes.
struct JsonName<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for JsonName<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NameVisitor;
        impl<'de> Visitor<'de> for NameVisitor {
            type Value = JsonName<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a claim name")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(JsonName(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(JsonName(Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(NameVisitor)
    }
}

pub(crate) fn capture<C: Serialize + ?Sized>(
    claims: &C,
    out: &mut Captured,
) -> Result<(), CaptureError> {
    claims.serialize(TopLevel(out))
}

struct TopLevel<'a>(&'a mut Captured);

macro_rules! refuse {
    ($($method:ident($($ty:ty),*) = $what:literal;)*) => {
        $(fn $method(self, $(_: $ty),*) -> Result<(), CaptureError> {
            Err(CaptureError::not_object($what))
        })*
    };
}

impl<'a> Serializer for TopLevel<'a> {
    type Ok = ();
    type Error = CaptureError;
    type SerializeSeq = Impossible<(), CaptureError>;
    type SerializeTuple = Impossible<(), CaptureError>;
    type SerializeTupleStruct = Impossible<(), CaptureError>;
    type SerializeTupleVariant = Impossible<(), CaptureError>;
    type SerializeMap = Members<'a>;
    type SerializeStruct = Members<'a>;
    type SerializeStructVariant = Impossible<(), CaptureError>;

    refuse! {
        serialize_bool(bool) = "a boolean";
        serialize_i8(i8) = "a number";
        serialize_i16(i16) = "a number";
        serialize_i32(i32) = "a number";
        serialize_i64(i64) = "a number";
        serialize_i128(i128) = "a number";
        serialize_u8(u8) = "a number";
        serialize_u16(u16) = "a number";
        serialize_u32(u32) = "a number";
        serialize_u64(u64) = "a number";
        serialize_u128(u128) = "a number";
        serialize_f32(f32) = "a number";
        serialize_f64(f64) = "a number";
        serialize_char(char) = "a string";
        serialize_str(&str) = "a string";
        serialize_bytes(&[u8]) = "an array";
        serialize_none() = "null";
        serialize_unit() = "null";
        serialize_unit_struct(&'static str) = "null";
        serialize_unit_variant(&'static str, u32, &'static str) = "a string";
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), CaptureError> {
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), CaptureError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), CaptureError> {
        Err(CaptureError::not_object(
            "an externally tagged enum variant",
        ))
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, CaptureError> {
        Err(CaptureError::not_object("an array"))
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, CaptureError> {
        Err(CaptureError::not_object("an array"))
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, CaptureError> {
        Err(CaptureError::not_object("an array"))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, CaptureError> {
        Err(CaptureError::not_object(
            "an externally tagged enum variant",
        ))
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, CaptureError> {
        Ok(Members::new(self.0, len.unwrap_or(8), false))
    }

    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, CaptureError> {
        Ok(Members::new(self.0, len, name == RAW_VALUE_TOKEN))
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, CaptureError> {
        Err(CaptureError::not_object(
            "an externally tagged enum variant",
        ))
    }
}

/// Collects the members of the top-level object.
pub(crate) struct Members<'a> {
    out: &'a mut Captured,
    /// The range of the name written by `serialize_key`, awaiting its value.
    pending_name: Option<Range<usize>>,
    /// The claims are a `serde_json::value::RawValue`: JSON text, in one field, that must be parsed.
    raw_json: bool,
}

impl<'a> Members<'a> {
    fn new(out: &'a mut Captured, len: usize, raw_json: bool) -> Self {
        out.members.reserve(len);
        Members {
            out,
            pending_name: None,
            raw_json,
        }
    }

    fn value<T: Serialize + ?Sized>(
        &mut self,
        name: Range<usize>,
        value: &T,
    ) -> Result<(), CaptureError> {
        let start = self.out.json.len();
        value
            .serialize(&mut serde_json::Serializer::new(&mut self.out.json))
            .map_err(|e| CaptureError(e.to_string()))?;
        self.out.members.push((name, start..self.out.json.len()));
        Ok(())
    }
}

impl ser::SerializeStruct for Members<'_> {
    type Ok = ();
    type Error = CaptureError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), CaptureError> {
        if self.raw_json {
            let text = value.serialize(NameSerializer(Owned))?;
            return capture_json(text.as_bytes(), self.out);
        }
        let name = self.out.begin_member(key);
        self.value(name, value)
    }

    fn end(self) -> Result<(), CaptureError> {
        Ok(())
    }
}

impl ser::SerializeMap for Members<'_> {
    type Ok = ();
    type Error = CaptureError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), CaptureError> {
        self.pending_name = Some(key.serialize(NameSerializer(&mut *self.out))?);
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CaptureError> {
        let name = self
            .pending_name
            .take()
            .ok_or_else(|| CaptureError("a map value came without its key".into()))?;
        self.value(name, value)
    }

    fn end(self) -> Result<(), CaptureError> {
        Ok(())
    }
}

/// Turns a map key into a claim name: strings and chars (and unit variants, by name), as `serde_json` does,
/// and hands it to `S`.
struct NameSerializer<S>(S);

/// Where a [`NameSerializer`] puts the name.
trait NameSink {
    type Ok;
    fn name(self, name: &str) -> Self::Ok;
}

/// Written straight into the claims as a member name, with no allocation: the range of the name.
impl NameSink for &mut Captured {
    type Ok = Range<usize>;
    fn name(self, name: &str) -> Range<usize> {
        self.begin_member(name)
    }
}

/// Kept as a string (the JSON text inside a `RawValue`).
struct Owned;

impl NameSink for Owned {
    type Ok = String;
    fn name(self, name: &str) -> String {
        name.to_owned()
    }
}

macro_rules! refuse_name {
    ($($method:ident($($ty:ty),*);)*) => {
        $(fn $method(self, $(_: $ty),*) -> Result<S::Ok, CaptureError> {
            Err(CaptureError::not_name())
        })*
    };
}

impl<S: NameSink> Serializer for NameSerializer<S> {
    type Ok = S::Ok;
    type Error = CaptureError;
    type SerializeSeq = Impossible<S::Ok, CaptureError>;
    type SerializeTuple = Impossible<S::Ok, CaptureError>;
    type SerializeTupleStruct = Impossible<S::Ok, CaptureError>;
    type SerializeTupleVariant = Impossible<S::Ok, CaptureError>;
    type SerializeMap = Impossible<S::Ok, CaptureError>;
    type SerializeStruct = Impossible<S::Ok, CaptureError>;
    type SerializeStructVariant = Impossible<S::Ok, CaptureError>;

    fn serialize_str(self, v: &str) -> Result<S::Ok, CaptureError> {
        Ok(self.0.name(v))
    }

    fn serialize_char(self, v: char) -> Result<S::Ok, CaptureError> {
        Ok(self.0.name(v.encode_utf8(&mut [0; 4])))
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<S::Ok, CaptureError> {
        Ok(self.0.name(variant))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<S::Ok, CaptureError> {
        value.serialize(self)
    }

    refuse_name! {
        serialize_bool(bool);
        serialize_i8(i8);
        serialize_i16(i16);
        serialize_i32(i32);
        serialize_i64(i64);
        serialize_i128(i128);
        serialize_u8(u8);
        serialize_u16(u16);
        serialize_u32(u32);
        serialize_u64(u64);
        serialize_u128(u128);
        serialize_f32(f32);
        serialize_f64(f64);
        serialize_bytes(&[u8]);
        serialize_none();
        serialize_unit();
        serialize_unit_struct(&'static str);
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<S::Ok, CaptureError> {
        Err(CaptureError::not_name())
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<S::Ok, CaptureError> {
        Err(CaptureError::not_name())
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, CaptureError> {
        Err(CaptureError::not_name())
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, CaptureError> {
        Err(CaptureError::not_name())
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, CaptureError> {
        Err(CaptureError::not_name())
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, CaptureError> {
        Err(CaptureError::not_name())
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, CaptureError> {
        Err(CaptureError::not_name())
    }

    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, CaptureError> {
        Err(CaptureError::not_name())
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, CaptureError> {
        Err(CaptureError::not_name())
    }
}
