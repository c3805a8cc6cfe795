//! Turning spec names into Rust identifiers (public: the importer, crate `lark-import`, uses
//! the same rules).

use heck::{ToSnakeCase, ToUpperCamelCase};

/// Words that cannot be used as plain identifiers (strict and reserved keywords of 2021).
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "try", "typeof", "unsized", "virtual", "yield", "gen",
];

/// The methods every prepared call (`lark_openapi::Call`) has: an optional query parameter
/// becomes a setter of the call, so its Rust name cannot be one of these.
const CALL_METHODS: &[&str] = &[
    "new",
    "with_options",
    "options",
    "tenant_key",
    "user_access_token",
    "request",
    "request_mut",
    "send",
    "pages",
    "items",
    "clone",
    "into_future",
];

/// Whether a setter of a prepared call cannot be named `s` (the call has a method of that
/// name).
pub fn is_call_method(s: &str) -> bool {
    CALL_METHODS.contains(&s)
}

/// Whether `s` is a Rust keyword.
pub fn is_keyword(s: &str) -> bool {
    KEYWORDS.contains(&s)
}

/// Whether `s` is a plain (non-keyword) identifier of ASCII letters, digits and `_`,
/// starting with a letter.
pub fn is_plain_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !is_keyword(s)
}

/// Whether `s` is snake_case: lowercase ASCII letters, digits and single underscores,
/// starting with a letter.
pub fn is_snake_case(s: &str) -> bool {
    is_plain_ident(s) && s.to_snake_case() == s
}

/// UpperCamelCase form of a snake_case or free-form name, if it is a valid identifier.
pub fn upper_camel(s: &str) -> Option<String> {
    let camel = s.to_upper_camel_case();
    is_plain_ident(&camel).then_some(camel)
}
