//! Error codes, each written once per service version: the version's `errors.rs` (the
//! `ErrorCode` enum through the runtime's `error_codes!` macro: code, name, meaning, advice,
//! whether a retry helps), and an endpoint's docs naming the codes it documents.

use heck::ToUpperCamelCase;
use proc_macro2::{Literal, TokenStream};
use quote::quote;

use super::docs::wrap;
use super::ident;
use crate::model::{EndpointModel, VersionModel, Wording};

/// The `errors.rs` of a service version.
pub fn codes_module(v: &VersionModel) -> TokenStream {
    let doc = format!(
        " The error codes of the `{}` `{}` endpoints, each written once.",
        v.service, v.version
    );
    let enum_doc = format!(
        " The error codes of `{0}` `{1}`: what each means and what to do (the `{0}.{1}` catalogue). \
         An error of a call of this version gives its code with `Error::code()`; the endpoint's \
         docs list the codes it documents.",
        v.service, v.version
    );
    let version = format!("{}.{}", v.service, v.version);
    let entries = v.codes.iter().map(|c| {
        let code = Literal::i64_unsuffixed(c.code);
        let variant = ident(&c.name.to_upper_camel_case());
        let (name, meaning, advice, retryable) = (&c.name, &c.meaning, &c.advice, c.retryable);
        quote!(#code #variant #name #meaning #advice #retryable,)
    });
    let wordings = v.wordings.iter().map(|(name, wording)| {
        let name = ident(name);
        let value = match wording {
            Wording::Text(text) => quote!(#text),
            Wording::Entry(i, meaning) => {
                let i = Literal::usize_unsuffixed(*i);
                let field = ident(if *meaning { "meaning" } else { "advice" });
                quote!(<ErrorCode as crate::Catalogue>::ENTRIES[#i].#field)
            }
        };
        quote! {
            #[doc = " An endpoint's own wording of a code (its rows name this constant)."]
            pub(super) const #name: &str = #value;
        }
    });
    quote! {
        #![doc = #doc]
        crate::error_codes! {
            #[doc = #enum_doc]
            pub enum ErrorCode(#version) {
                #(#entries)*
            }
        }
        #(#wordings)*
    }
}

/// The `# Errors` lines of an endpoint's docs: the variants of the codes it documents.
pub fn error_lines(ep: &EndpointModel, v: &VersionModel) -> Vec<String> {
    if ep.errors.is_empty() {
        return Vec::new();
    }
    let links: Vec<String> = ep
        .errors
        .iter()
        .filter_map(|r| v.codes.get(r.entry))
        .map(|c| {
            let variant = c.name.to_upper_camel_case();
            format!("[`{variant}`](ErrorCode::{variant}) ({})", c.code)
        })
        .collect();
    let mut lines = vec![String::new(), "# Errors".to_string(), String::new()];
    lines.extend(wrap(
        &format!(
            "Documented codes (match them with `Error::code()`): {}.",
            links.join(", ")
        ),
        90,
    ));
    lines
}
