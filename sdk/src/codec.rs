//! Lenient decoders used by generated models.
//!
//! The platform sends some integers as JSON numbers and some as decimal strings (64-bit
//! values, whatever the schema says): integer fields accept both, and are sent as numbers.
//! The mirror image happens too (the platform, or a proxy, sends `"create_time":
//! 1700000000000` where the model says string): string fields and enums accept a JSON number
//! as its decimal text, and are sent as strings.

/// A required integer: a JSON number or a decimal string.
pub(crate) mod int {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(value: &i64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(*value)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
        super::IntOrString::deserialize(deserializer)?.into_i64()
    }
}

/// An optional integer: absent, `null`, a JSON number or a decimal string.
pub(crate) mod opt_int {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(
        value: &Option<i64>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => serializer.serialize_i64(*v),
            None => serializer.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<i64>, D::Error> {
        match Option::<super::IntOrString>::deserialize(deserializer)? {
            None => Ok(None),
            Some(v) => v.into_i64().map(Some),
        }
    }
}

/// A required string: a JSON string, or a JSON number kept as its decimal text.
pub(crate) mod text {
    use serde::{Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(value: &str, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(value)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<String, D::Error> {
        super::string_or_number(deserializer)
    }
}

/// An optional string: absent, `null`, a JSON string, or a JSON number kept as its decimal
/// text.
pub(crate) mod opt_text {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(
        value: &Option<String>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => serializer.serialize_str(v),
            None => serializer.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<String>, D::Error> {
        Ok(Option::<super::Text>::deserialize(deserializer)?.map(|t| t.0))
    }
}

/// A JSON string, or a JSON number as its decimal text (what generated enums and string
/// fields decode from).
pub(crate) fn string_or_number<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<String, D::Error> {
    deserializer.deserialize_any(TextVisitor)
}

/// A string decoded by [`string_or_number`].
struct Text(String);

impl<'de> serde::Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        string_or_number(deserializer).map(Text)
    }
}

struct TextVisitor;

impl serde::de::Visitor<'_> for TextVisitor {
    type Value = String;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a string or a number")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<String, E> {
        Ok(v.to_string())
    }
}

#[derive(serde::Deserialize)]
#[serde(untagged)]
enum IntOrString {
    Int(i64),
    /// A float, or an integer beyond `i64` (`u64::MAX`, `1e300`): saturated.
    Float(f64),
    Text(String),
}

impl IntOrString {
    fn into_i64<E: serde::de::Error>(self) -> Result<i64, E> {
        match self {
            IntOrString::Int(v) => Ok(v),
            IntOrString::Float(v) => Ok(v as i64),
            IntOrString::Text(s) => s.trim().parse().map_err(|_| {
                E::custom(format!(
                    "`{s}` is neither a number nor a decimal integer string"
                ))
            }),
        }
    }
}

/// Writes a generated enum of wire strings: the variants with their docs and an `Unknown`
/// variant keeping values the SDK does not know, `VALUES`, `as_str`, `from_wire`,
/// `is_unknown`, `Display`, `FromStr` (an error listing the known values), serde (a JSON
/// number decodes as its decimal text), and its use as a query value. Used by generated code.
#[doc(hidden)]
#[macro_export]
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident { $( $variant:ident $wire:literal $doc:literal, )* }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        $vis enum $name {
            $( #[doc = $doc] $variant, )*
            /// A value this version of the SDK does not know, kept as it was sent.
            Unknown(::std::string::String),
        }

        impl $name {
            /// The known values, as sent on the wire.
            pub const VALUES: &'static [&'static str] = &[$($wire),*];

            /// The value sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )*
                    Self::Unknown(value) => value,
                }
            }

            /// The variant of a wire value; an unknown value is kept in `Unknown`.
            pub fn from_wire(value: &str) -> Self {
                match value {
                    $( $wire => Self::$variant, )*
                    other => Self::Unknown(other.to_string()),
                }
            }

            /// Whether this is a value the SDK does not know.
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::Unknown(_))
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::ParseEnumError;

            /// Parses a known wire value; anything else is an error listing the known ones
            /// (use `from_wire` to keep unknown values).
            fn from_str(value: &str) -> ::core::result::Result<Self, Self::Err> {
                match Self::from_wire(value) {
                    Self::Unknown(_) => ::core::result::Result::Err($crate::ParseEnumError::new(stringify!($name), value, Self::VALUES)),
                    known => ::core::result::Result::Ok(known),
                }
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::core::result::Result<Self, D::Error> {
                $crate::codec::string_or_number(deserializer).map(|value| Self::from_wire(&value))
            }
        }

        impl $crate::operation::WireEnum for $name {
            fn as_str(&self) -> &str {
                $name::as_str(self)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct T {
        #[serde(with = "super::int")]
        a: i64,
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            with = "super::opt_int"
        )]
        b: Option<i64>,
    }

    #[test]
    fn numbers_and_strings_decode_and_numbers_go_out() {
        let t: T = serde_json::from_str(r#"{"a":"7069000000000000001","b":3}"#).unwrap();
        assert_eq!(
            t,
            T {
                a: 7069000000000000001,
                b: Some(3)
            }
        );
        let t: T = serde_json::from_str(r#"{"a":1,"b":null}"#).unwrap();
        assert_eq!(t.b, None);
        let t: T = serde_json::from_str(r#"{"a":1}"#).unwrap();
        assert_eq!(serde_json::to_string(&t).unwrap(), r#"{"a":1}"#);
        let err = serde_json::from_str::<T>(r#"{"a":"x1"}"#).unwrap_err();
        assert!(err.to_string().contains("`x1` is neither"), "{err}");
    }

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct S {
        #[serde(with = "super::text")]
        a: String,
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            with = "super::opt_text"
        )]
        b: Option<String>,
    }

    #[test]
    fn strings_and_numbers_decode_as_text_and_strings_go_out() {
        let s: S = serde_json::from_str(r#"{"a":1700000000000,"b":"x"}"#).unwrap();
        assert_eq!(
            s,
            S {
                a: "1700000000000".into(),
                b: Some("x".into())
            }
        );
        let s: S = serde_json::from_str(r#"{"a":"om_1","b":-7}"#).unwrap();
        assert_eq!((s.a.as_str(), s.b.as_deref()), ("om_1", Some("-7")));
        let s: S = serde_json::from_str(r#"{"a":"","b":null}"#).unwrap();
        assert_eq!(s.b, None);
        let s: S = serde_json::from_str(r#"{"a":18446744073709551615,"b":1.5}"#).unwrap();
        assert_eq!(
            (s.a.as_str(), s.b.as_deref()),
            ("18446744073709551615", Some("1.5"))
        );
        let s: S = serde_json::from_str(r#"{"a":"\u00e9t\u00e9"}"#).unwrap();
        assert_eq!((s.a.as_str(), s.b.as_deref()), ("été", None));
        assert_eq!(
            serde_json::to_string(&S {
                a: "1".into(),
                b: None
            })
            .unwrap(),
            r#"{"a":"1"}"#
        );
        for bad in [
            r#"{"a":true}"#,
            r#"{"a":{}}"#,
            r#"{"a":[]}"#,
            r#"{"a":null}"#,
            r#"{}"#,
        ] {
            assert!(serde_json::from_str::<S>(bad).is_err(), "{bad}");
        }
        let err = serde_json::from_str::<S>(r#"{"a":"x","b":false}"#).unwrap_err();
        assert!(err.to_string().contains("a string or a number"), "{err}");
    }
}
