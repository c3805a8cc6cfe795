//! Lenient decoders used by generated models.
//!
//! The platform sends some integers as JSON numbers and some as decimal strings (64-bit
//! values, whatever the schema says): integer fields accept both, and are sent as numbers.

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
}
