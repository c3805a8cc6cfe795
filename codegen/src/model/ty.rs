//! Type expressions, parsed once from the spec's strings.

use std::fmt;

/// The type of a field, as the generator and the fake server see it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ty {
    /// `string`.
    String,
    /// `integer`: a JSON number (or, leniently, a decimal string) held in an `i64`.
    Integer,
    /// `int64`: the same, for 64-bit values.
    Int64,
    /// `number`: an `f64`.
    Number,
    /// `boolean`.
    Boolean,
    /// `json`: any JSON value.
    Json,
    /// `file`: a streamed part of a multipart body.
    File,
    /// A string with a fixed set of values: the named enum of the service version.
    Enum(String),
    /// `object:<Name>`: a named object type of the service version.
    Object(String),
    /// `array<T>`.
    Array(Box<Ty>),
    /// `map<T>`: string keys.
    Map(Box<Ty>),
}

impl Ty {
    /// Parses a type expression. Enum types are not written as expressions; the caller
    /// turns a `string` field with `enum` values into [`Ty::Enum`].
    pub fn parse(text: &str) -> Result<Ty, String> {
        if let Some(inner) = text
            .strip_prefix("array<")
            .and_then(|t| t.strip_suffix('>'))
        {
            return Ok(Ty::Array(Box::new(Ty::parse(inner)?)));
        }
        if let Some(inner) = text.strip_prefix("map<").and_then(|t| t.strip_suffix('>')) {
            return Ok(Ty::Map(Box::new(Ty::parse(inner)?)));
        }
        if let Some(name) = text.strip_prefix("object:") {
            if name.is_empty() {
                return Err("`object:` needs a type name".into());
            }
            return Ok(Ty::Object(name.to_string()));
        }
        Ok(match text {
            "string" => Ty::String,
            "integer" => Ty::Integer,
            "int64" => Ty::Int64,
            "number" => Ty::Number,
            "boolean" => Ty::Boolean,
            "json" => Ty::Json,
            "file" => Ty::File,
            _ => {
                return Err(format!(
                    "unknown type `{text}`; expected string, integer, int64, number, boolean, json, file, object:<Name>, array<T> or map<T>"
                ))
            }
        })
    }

    /// The innermost named object type, if any (`array<object:Message>` → `Message`).
    pub fn object_name(&self) -> Option<&str> {
        match self {
            Ty::Object(name) => Some(name),
            Ty::Array(inner) | Ty::Map(inner) => inner.object_name(),
            _ => None,
        }
    }

    /// Whether the type contains `file` anywhere.
    pub fn has_file(&self) -> bool {
        match self {
            Ty::File => true,
            Ty::Array(inner) | Ty::Map(inner) => inner.has_file(),
            _ => false,
        }
    }

    /// Whether a value of this type defaults to empty (arrays and maps): such fields are
    /// never `Option` in models.
    pub fn is_collection(&self) -> bool {
        matches!(self, Ty::Array(_) | Ty::Map(_))
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::String => f.write_str("string"),
            Ty::Integer => f.write_str("integer"),
            Ty::Int64 => f.write_str("int64"),
            Ty::Number => f.write_str("number"),
            Ty::Boolean => f.write_str("boolean"),
            Ty::Json => f.write_str("json"),
            Ty::File => f.write_str("file"),
            Ty::Enum(name) => write!(f, "enum:{name}"),
            Ty::Object(name) => write!(f, "object:{name}"),
            Ty::Array(inner) => write!(f, "array<{inner}>"),
            Ty::Map(inner) => write!(f, "map<{inner}>"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nested_expressions() {
        assert_eq!(
            Ty::parse("array<map<object:Mention>>").unwrap(),
            Ty::Array(Box::new(Ty::Map(Box::new(Ty::Object("Mention".into())))))
        );
        assert_eq!(Ty::parse("int64").unwrap(), Ty::Int64);
        assert!(Ty::parse("array<strin>")
            .unwrap_err()
            .contains("unknown type `strin`"));
        assert!(Ty::parse("object:").is_err());
        let t = Ty::parse("array<object:Message>").unwrap();
        assert_eq!(t.object_name(), Some("Message"));
        assert_eq!(t.to_string(), "array<object:Message>");
        assert!(t.is_collection() && !t.has_file());
    }
}
