//! Lenient JSON values for the typed pass: every leaf accepts any JSON kind, so a wrong
//! type (`"enabled": null`, `"value": "x"`) is recorded, not fatal; only a syntax error
//! stops the parse. Nested containers a field does not keep are skipped unread.
//!
//! The objects the typed pass reads are declared with [`json_object!`], which reads each
//! key once: a key written twice in one object, in the same spelling or in another case
//! (`enabled` and `Enabled`, one property to PowerShell and `ConvertFrom-Json`), is an
//! error naming both keys and the values read for them, and the file is malformed. Values
//! not kept ([`Unread`]) are walked with the same check, not skipped: a query may read
//! them, and no JSON reader would agree on an object with a key twice.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

use super::super::Flag;

/// The kind of a JSON value, for reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

impl Kind {
    pub(super) fn phrase(self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Bool => "a boolean",
            Self::Number => "a number",
            Self::String => "a string",
            Self::Array => "an array",
            Self::Object => "an object",
        }
    }
}

/// A JSON value where only scalars are kept; arrays and objects are skipped unread.
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) enum Scalar {
    #[default]
    Missing,
    Null,
    Bool(bool),
    Str(String),
    /// A number, as written.
    Number(String),
    Array,
    Object,
}

impl Scalar {
    pub(super) fn as_str(&self) -> Option<&str> {
        match self {
            Self::Str(s) => Some(s),
            _ => None,
        }
    }

    pub(super) fn is_missing(&self) -> bool {
        matches!(self, Self::Missing)
    }

    pub(super) fn kind_phrase(&self) -> &'static str {
        match self {
            Self::Missing | Self::Null => Kind::Null.phrase(),
            Self::Bool(_) => Kind::Bool.phrase(),
            Self::Str(_) => Kind::String.phrase(),
            Self::Number(_) => Kind::Number.phrase(),
            Self::Array => Kind::Array.phrase(),
            Self::Object => Kind::Object.phrase(),
        }
    }

    pub(super) fn into_flag(self) -> Flag {
        match self {
            Self::Missing => Flag::Missing,
            Self::Null => Flag::Null,
            Self::Bool(b) => Flag::Bool(b),
            Self::Str(s) => Flag::Text(s),
            Self::Number(_) => Flag::Other(Kind::Number.phrase()),
            Self::Array => Flag::Other(Kind::Array.phrase()),
            Self::Object => Flag::Other(Kind::Object.phrase()),
        }
    }
}

/// A value expected to be an object: kept as `T` when it is one, else its kind (or text).
#[derive(Debug, Default)]
pub(super) enum Shaped<T> {
    #[default]
    Missing,
    Object(T),
    Text(String),
    Other(Kind),
}

/// A value expected to be an array, folded element by element into `T` (never a vector
/// of the elements themselves, so that memory follows what is kept, not the array's
/// length); else its kind.
#[derive(Debug, Default)]
pub(super) enum Listed<T> {
    #[default]
    Missing,
    List(T),
    Other(Kind),
}

/// What an array's elements are folded into, one element at a time.
pub(super) trait Fold<'de>: Default {
    /// Reads the element at `index` from `seq` (which must consume exactly one element)
    /// and keeps what it needs of it; `false` when there was no element left.
    ///
    /// # Errors
    /// A syntax error of the JSON text.
    fn next<A: SeqAccess<'de>>(&mut self, index: usize, seq: &mut A) -> Result<bool, A::Error>;
}

/// The visitor methods for JSON kinds a value's own visitor does not keep: each becomes
/// `$other(kind)`, nested containers are skipped unread.
macro_rules! visit_other_kinds {
    ($other:expr, [$($skip:ident),*]) => {
        $(visit_other_kinds!(@one $skip, $other);)*
    };
    (@one bool, $other:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($other(Kind::Bool))
        }
    };
    (@one number, $other:expr) => {
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($other(Kind::Number))
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($other(Kind::Number))
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($other(Kind::Number))
        }
    };
    (@one null, $other:expr) => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($other(Kind::Null))
        }
    };
    (@one string, $other:expr) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($other(Kind::String))
        }
    };
    (@one array, $other:expr) => {
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            $crate::formats::json::values::skip_seq(seq)?;
            Ok($other(Kind::Array))
        }
    };
    (@one object, $other:expr) => {
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            $crate::formats::json::values::skip_map(map)?;
            Ok($other(Kind::Object))
        }
    };
}

pub(super) use visit_other_kinds;

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar::Bool(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::Str(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar::Str(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::Number(v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar::Number(v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar::Number(v.to_string()))
    }

    visit_other_kinds!(
        |kind| match kind {
            Kind::Array => Scalar::Array,
            _ => Scalar::Object,
        },
        [array, object]
    );
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

struct ShapedVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ShapedVisitor<T> {
    type Value = Shaped<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(Shaped::Object)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Shaped::Text(v.to_owned()))
    }

    visit_other_kinds!(Shaped::Other, [bool, number, null, array]);
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Shaped<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ShapedVisitor(PhantomData))
    }
}

struct ListedVisitor<T>(PhantomData<T>);

impl<'de, T: Fold<'de>> Visitor<'de> for ListedVisitor<T> {
    type Value = Listed<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        fold_seq(seq).map(Listed::List)
    }

    visit_other_kinds!(Listed::Other, [bool, number, null, string, object]);
}

/// Folds every element of an array into a `T`.
pub(super) fn fold_seq<'de, T: Fold<'de>, A: SeqAccess<'de>>(mut seq: A) -> Result<T, A::Error> {
    let mut folded = T::default();
    let mut index = 0;
    while folded.next(index, &mut seq)? {
        index += 1;
    }
    Ok(folded)
}

impl<'de, T: Fold<'de>> Deserialize<'de> for Listed<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ListedVisitor(PhantomData))
    }
}

/// A key of a JSON object, borrowed from the text when it has no escapes.
pub(super) struct Key<'de>(pub(super) Cow<'de, str>);

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(v)))
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// How many keys of an object are compared one by one before they are hashed.
const INLINE_KEYS: usize = 16;

/// The keys one object has had so far, to find one written twice in any ASCII case. The
/// first few are compared one by one (no allocation for the objects settings exporters
/// write); past them, keys are looked up by their lower-case spelling.
#[derive(Default)]
pub(super) struct Keys<'de> {
    inline: [Cow<'de, str>; INLINE_KEYS],
    len: usize,
    /// Lower-case spelling to the spelling seen, past the first [`INLINE_KEYS`].
    spilled: HashMap<String, Cow<'de, str>>,
}

impl<'de> Keys<'de> {
    /// The spelling `key` had earlier in the object, if it had it in any ASCII case.
    pub(super) fn earlier(&self, key: &str) -> Option<&str> {
        let inline = self.inline.get(..self.len).unwrap_or_default();
        if let Some(seen) = inline.iter().find(|seen| seen.eq_ignore_ascii_case(key)) {
            return Some(seen);
        }
        if self.spilled.is_empty() {
            return None;
        }
        self.spilled
            .get(&key.to_ascii_lowercase())
            .map(|seen| &**seen)
    }

    /// Records a key the object has.
    pub(super) fn add(&mut self, key: Cow<'de, str>) {
        if let Some(slot) = self.inline.get_mut(self.len) {
            *slot = key;
            self.len += 1;
        } else {
            self.spilled.insert(key.to_ascii_lowercase(), key);
        }
    }
}

/// How deep inside a value not kept objects are checked for keys written twice. Deeper
/// values are skipped unread, as before: the JSON reader's own nesting limit (128) would
/// otherwise make valid but deeply nested JSON unreadable.
const CHECKED_DEPTH: usize = 64;

/// A value the typed pass does not keep, read only to check that no object in it has a key
/// twice (in any ASCII case), down to [`CHECKED_DEPTH`] levels.
pub(super) struct Unread;

/// Reads a value not kept at a nesting depth below the first value not kept.
#[derive(Clone, Copy)]
struct UnreadAt(usize);

impl<'de> de::DeserializeSeed<'de> for UnreadAt {
    type Value = Unread;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Unread, D::Error> {
        if self.0 >= CHECKED_DEPTH {
            de::IgnoredAny::deserialize(deserializer).map(|_| Unread)
        } else {
            deserializer.deserialize_any(self)
        }
    }
}

impl<'de> Visitor<'de> for UnreadAt {
    type Value = Unread;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Unread, E> {
        Ok(Unread)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Unread, E> {
        Ok(Unread)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Unread, E> {
        Ok(Unread)
    }

    fn visit_i128<E: de::Error>(self, _: i128) -> Result<Unread, E> {
        Ok(Unread)
    }

    fn visit_u128<E: de::Error>(self, _: u128) -> Result<Unread, E> {
        Ok(Unread)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Unread, E> {
        Ok(Unread)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Unread, E> {
        Ok(Unread)
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Unread, E> {
        Ok(Unread)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Unread, E> {
        Ok(Unread)
    }

    fn visit_none<E: de::Error>(self) -> Result<Unread, E> {
        Ok(Unread)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Unread, D::Error> {
        de::DeserializeSeed::deserialize(self, deserializer)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Unread, D::Error> {
        de::DeserializeSeed::deserialize(self, deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Unread, A::Error> {
        skip_seq_at(seq, self.0 + 1).map(|()| Unread)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Unread, A::Error> {
        skip_map_at(map, self.0 + 1).map(|()| Unread)
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Unread, A::Error> {
        // YAML tags (`!Tag value`): the tagged value is checked like any other.
        let (Unread, variant) = data.variant_seed(self)?;
        de::VariantAccess::newtype_variant_seed(variant, self)
    }
}

impl<'de> Deserialize<'de> for Unread {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        de::DeserializeSeed::deserialize(UnreadAt(0), deserializer)
    }
}

/// Reads the elements of an array that is not kept, checking the objects in them.
pub(super) fn skip_seq<'de, A: SeqAccess<'de>>(seq: A) -> Result<(), A::Error> {
    skip_seq_at(seq, 1)
}

fn skip_seq_at<'de, A: SeqAccess<'de>>(mut seq: A, depth: usize) -> Result<(), A::Error> {
    while seq.next_element_seed(UnreadAt(depth))?.is_some() {}
    Ok(())
}

/// Reads an object that is not kept, checking that it has no key twice, nor any object in
/// it.
pub(super) fn skip_map<'de, A: MapAccess<'de>>(map: A) -> Result<(), A::Error> {
    skip_map_at(map, 1)
}

fn skip_map_at<'de, A: MapAccess<'de>>(mut map: A, depth: usize) -> Result<(), A::Error> {
    let mut keys = Keys::default();
    while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
        if let Some(first) = keys.earlier(&key) {
            let second = map.next_value::<Scalar>()?;
            return Err(duplicate_key(first, None, &key, &second));
        }
        map.next_value_seed(UnreadAt(depth))?;
        keys.add(key);
    }
    Ok(())
}

/// A value of a typed object's field, described for a reason (`true`, `"text"`, `an array`).
pub(super) trait Describe {
    fn describe(&self) -> String;
}

impl Describe for Scalar {
    fn describe(&self) -> String {
        match self {
            Self::Missing => "nothing".to_owned(),
            Self::Null => "null".to_owned(),
            Self::Bool(b) => b.to_string(),
            Self::Str(s) => quoted(s),
            Self::Number(n) => n.clone(),
            Self::Array | Self::Object => self.kind_phrase().to_owned(),
        }
    }
}

impl<T> Describe for Shaped<T> {
    fn describe(&self) -> String {
        match self {
            Self::Missing => "nothing".to_owned(),
            Self::Object(_) => Kind::Object.phrase().to_owned(),
            Self::Text(s) => quoted(s),
            Self::Other(kind) => kind.phrase().to_owned(),
        }
    }
}

impl<T> Describe for Listed<T> {
    fn describe(&self) -> String {
        match self {
            Self::Missing => "nothing".to_owned(),
            Self::List(_) => Kind::Array.phrase().to_owned(),
            Self::Other(kind) => kind.phrase().to_owned(),
        }
    }
}

/// Text in double quotes, cut short, with its control characters escaped.
fn quoted(text: &str) -> String {
    format!(
        "{:?}",
        crate::escape::excerpt(text, crate::escape::EXCERPT_CHARS)
    )
}

/// The error for a key written twice in one object: both spellings and both values (the
/// first one's only where the object reads it).
pub(super) fn duplicate_key<E: de::Error>(
    first: &str,
    first_value: Option<String>,
    second: &str,
    second_value: &Scalar,
) -> E {
    let first_value = first_value.map_or_else(String::new, |v| format!(" ({v})"));
    let second_value = second_value.describe();
    let case = if first == second {
        ""
    } else {
        " (keys that differ only in case are one property to PowerShell and ConvertFrom-Json)"
    };
    E::custom(format_args!(
        "duplicate key: {first:?}{first_value} and {second:?} ({second_value}) in one object, \
         two values for one property{case}"
    ))
}

/// Declares an object of the typed pass: a struct whose fields are read from the keys
/// named after `=` (several spellings with `|`), every field defaulted when its key is
/// missing, other keys skipped unread, and any key written twice in one object, in any
/// ASCII case, an error ([`duplicate_key`]). `check f;` after the fields: `f(&object)` is
/// run once the object is read, and its `Err` is the deserializer's error. Deserialized
/// from a JSON object only.
macro_rules! json_object {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $(
                $(#[$field_meta:meta])*
                $field_vis:vis $field:ident : $ty:ty = $($key:literal)|+
            ),* $(,)?
        }
        $(check $check:path;)?
    ) => {
        $(#[$meta])*
        #[derive(Debug, Default)]
        $vis struct $name {
            $(
                $(#[$field_meta])*
                $field_vis $field: $ty,
            )*
        }

        impl $name {
            /// The value read for `key`, described, when a field holds it.
            #[allow(dead_code, reason = "not every object has a field of every kind")]
            fn describe_key(&self, key: &str) -> Option<String> {
                use $crate::formats::json::values::Describe as _;
                match key {
                    $($($key)|+ => Some(self.$field.describe()),)*
                    _ => None,
                }
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct ObjectVisitor;

                impl<'de> ::serde::de::Visitor<'de> for ObjectVisitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str("a JSON object")
                    }

                    fn visit_map<A: ::serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<$name, A::Error> {
                        use $crate::formats::json::values::{Key, Keys, Scalar, duplicate_key};
                        let mut object = $name::default();
                        let mut keys = Keys::default();
                        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                            if let Some(first) = keys.earlier(&key) {
                                let second = map.next_value::<Scalar>()?;
                                return Err(duplicate_key(
                                    first,
                                    object.describe_key(first),
                                    &key,
                                    &second,
                                ));
                            }
                            match &*key {
                                $($($key)|+ => object.$field = map.next_value()?,)*
                                _ => {
                                    map.next_value::<$crate::formats::json::values::Unread>()?;
                                }
                            }
                            keys.add(key);
                        }
                        $(
                            if let Err(why) = $check(&object) {
                                return Err(<A::Error as ::serde::de::Error>::custom(why));
                            }
                        )?
                        Ok(object)
                    }
                }

                deserializer.deserialize_map(ObjectVisitor)
            }
        }
    };
}

pub(super) use json_object;
