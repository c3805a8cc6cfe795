//! How a [`Ty`] is spelled in Rust: stored types, argument types, conversions, serde
//! attributes.

use proc_macro2::TokenStream;
use quote::quote;

use super::ident;
use crate::model::{FieldDef, Ty};

/// The Rust type holding one value of `ty`. `owner` is the struct the value lives in: a
/// field of the struct's own type is boxed.
pub fn value_type(ty: &Ty, owner: Option<&str>) -> TokenStream {
    match ty {
        Ty::String => quote!(String),
        Ty::Integer | Ty::Int64 => quote!(i64),
        Ty::Number => quote!(f64),
        Ty::Boolean => quote!(bool),
        Ty::Json => quote!(serde_json::Value),
        Ty::File => quote!(crate::UploadFile),
        Ty::Enum(name) => {
            let n = ident(name);
            quote!(#n)
        }
        Ty::Object(name) => {
            let n = ident(name);
            if owner == Some(name.as_str()) {
                quote!(Box<#n>)
            } else {
                quote!(#n)
            }
        }
        Ty::Array(inner) => {
            let t = value_type(inner, None);
            quote!(Vec<#t>)
        }
        Ty::Map(inner) => {
            let t = value_type(inner, None);
            quote!(std::collections::BTreeMap<String, #t>)
        }
    }
}

/// The type of a struct field: `Option<T>` for an optional scalar or object, `T` for a
/// required one, and always the collection itself (empty when absent) for arrays and maps.
pub fn field_type(f: &FieldDef, owner: Option<&str>) -> TokenStream {
    let t = value_type(&f.ty, owner);
    if f.required || f.ty.is_collection() {
        t
    } else {
        quote!(Option<#t>)
    }
}

/// An argument accepting a value of `ty`, and the expression turning argument `arg` into
/// the stored value type.
pub fn argument(ty: &Ty, arg: &TokenStream, owner: Option<&str>) -> (TokenStream, TokenStream) {
    match ty {
        Ty::String => (quote!(impl Into<String>), quote!(#arg.into())),
        Ty::Json => (quote!(impl Into<serde_json::Value>), quote!(#arg.into())),
        Ty::Object(name) if owner == Some(name.as_str()) => {
            let n = ident(name);
            (quote!(#n), quote!(Box::new(#arg)))
        }
        Ty::Array(inner) if **inner == Ty::String => (
            quote!(impl IntoIterator<Item = impl Into<String>>),
            quote!(#arg.into_iter().map(Into::into).collect()),
        ),
        Ty::Array(inner) => {
            let t = value_type(inner, None);
            (
                quote!(impl IntoIterator<Item = #t>),
                quote!(#arg.into_iter().collect()),
            )
        }
        Ty::Map(inner) => {
            let t = value_type(inner, None);
            (
                quote!(impl IntoIterator<Item = (String, #t)>),
                quote!(#arg.into_iter().collect()),
            )
        }
        other => (value_type(other, owner), quote!(#arg)),
    }
}

/// The `#[serde(…)]` attribute of a struct field, if it needs one. `lenient`: a string also
/// decodes from a JSON number (as its decimal text), like integers from decimal strings. The
/// codecs are named `codec::…` (the module imports `crate::codec`, see [`codec_import`]) so
/// that the attribute fits on one line.
pub fn serde_attr(f: &FieldDef, lenient: bool) -> TokenStream {
    let mut parts: Vec<TokenStream> = Vec::new();
    if f.rust != f.wire {
        let wire = &f.wire;
        parts.push(quote!(rename = #wire));
    }
    match (&f.ty, f.required) {
        (Ty::Array(_), _) => parts.push(quote!(default, skip_serializing_if = "Vec::is_empty")),
        (Ty::Map(_), _) => parts.push(quote!(
            default,
            skip_serializing_if = "std::collections::BTreeMap::is_empty"
        )),
        (Ty::Integer | Ty::Int64, true) => parts.push(quote!(with = "codec::int")),
        (Ty::Integer | Ty::Int64, false) => parts.push(quote!(
            default,
            skip_serializing_if = "Option::is_none",
            with = "codec::opt_int"
        )),
        (Ty::String, true) if lenient => parts.push(quote!(with = "codec::text")),
        (Ty::String, false) if lenient => parts.push(quote!(
            default,
            skip_serializing_if = "Option::is_none",
            with = "codec::opt_text"
        )),
        (_, false) => parts.push(quote!(default, skip_serializing_if = "Option::is_none")),
        (_, true) => {}
    }
    if parts.is_empty() {
        quote!()
    } else {
        quote!(#[serde(#(#parts),*)])
    }
}

/// Whether a type names `name` anywhere (for imports).
pub fn uses_type<'a>(ty: &'a Ty, out: &mut Vec<&'a str>) {
    match ty {
        Ty::Enum(name) | Ty::Object(name) => out.push(name),
        Ty::Array(inner) | Ty::Map(inner) => uses_type(inner, out),
        _ => {}
    }
}

/// Whether a field's serde attribute names a codec of `crate::codec`.
fn uses_codec(f: &FieldDef, lenient: bool) -> bool {
    match &f.ty {
        Ty::Integer | Ty::Int64 => true,
        Ty::String => lenient,
        _ => false,
    }
}

/// `use crate::codec;` when a serde struct of the module (`fields`, decoded leniently or not)
/// names a codec, else nothing (an unused import would warn).
pub fn codec_import<'a>(structs: impl IntoIterator<Item = (&'a [FieldDef], bool)>) -> TokenStream {
    let needed = structs
        .into_iter()
        .any(|(fields, lenient)| fields.iter().any(|f| uses_codec(f, lenient)));
    if needed {
        quote!(
            use crate::codec;
        )
    } else {
        quote!()
    }
}
