//! Lenient JSON values for the typed pass: every leaf accepts any JSON kind, so a wrong
//! type (`"enabled": null`, `"value": "x"`) is recorded, not fatal; only a syntax error
//! stops the parse. Nested containers a field does not keep are skipped unread.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

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
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok($other(Kind::Array))
        }
    };
    (@one object, $other:expr) => {
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
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
