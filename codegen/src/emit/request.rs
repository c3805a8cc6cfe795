//! The request value (parameters and body), the call's setters and the accessor method.
//!
//! Each parameter is written once: a public field of the request with its doc; the call
//! (`crate::Call<Request>`, an alias) has a one-line-doc setter per optional parameter, and
//! everything else a call does (options, `send`, `.await`, pages) is the runtime's, once.

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::docs::{outer, wrap};
use super::endpoint_docs;
use super::ident;
use super::rust_types::{argument, value_type};
use crate::model::{EndpointModel, ParamDef, VersionModel};

/// A member of the request value.
struct Member {
    name: Ident,
    doc: TokenStream,
    stored: TokenStream,
    arg: TokenStream,
    convert: TokenStream,
    required: bool,
}

fn param_member(p: &ParamDef, path: bool) -> Member {
    let name = ident(&p.rust);
    let mut doc = vec![format!(
        "{} `{}`: {}",
        if path { "Path" } else { "Query" },
        p.wire,
        p.description
    )];
    if let Some(values) = &p.accepted {
        doc.push(String::new());
        doc.push(super::docs::accepted_line(values));
    }
    let value = value_type(&p.ty, None);
    let arg_name = quote!(#name);
    let (arg, convert) = argument(&p.ty, &arg_name, None);
    let (stored, arg, convert) = if p.repeated {
        (
            quote!(Vec<#value>),
            quote!(impl IntoIterator<Item = #value>),
            quote!(#name.into_iter().collect()),
        )
    } else if p.required {
        (value, arg, convert)
    } else {
        (quote!(Option<#value>), arg, quote!(Some(#convert)))
    };
    Member {
        name,
        doc: outer(&doc),
        stored,
        arg,
        convert,
        required: p.required,
    }
}

fn members(ep: &EndpointModel) -> Vec<Member> {
    let mut out: Vec<Member> = ep
        .path_params
        .iter()
        .map(|p| param_member(p, true))
        .collect();
    out.extend(ep.query_params.iter().map(|q| param_member(q, false)));
    if !ep.body.fields().is_empty() {
        let body = ident(&ep.names.body);
        out.push(Member {
            name: ident("body"),
            doc: outer(&["The body.".to_string()]),
            stored: quote!(#body),
            arg: quote!(#body),
            convert: quote!(body),
            required: ep.body_has_required(),
        });
    }
    out
}

/// The required members in the order of the constructor's arguments: the path parameters
/// in the order of the path, the required query parameters (identifiers, kinds, the rest;
/// alphabetically in each group), then the body.
fn required_members(ep: &EndpointModel) -> Vec<Member> {
    let path = ep.path_params.len();
    let mut out: Vec<Member> = ep
        .constructor_params()
        .into_iter()
        .enumerate()
        .map(|(i, p)| param_member(p, i < path))
        .collect();
    out.extend(
        members(ep)
            .into_iter()
            .filter(|m| m.required && m.name == "body"),
    );
    out
}

/// The request struct: every parameter and the body as public fields; `new` takes the
/// required ones (in the documented argument order).
pub fn request_struct(ep: &EndpointModel) -> TokenStream {
    let name = ident(&ep.names.request);
    let members = members(ep);
    let required = required_members(ep);
    let doc = outer(&[format!(
        "The parameters and body of `{}`: made by the accessor, changed by the call's setters.",
        ep.spec.id
    )]);
    let decls = members.iter().map(|m| {
        let (n, t, d) = (&m.name, &m.stored, &m.doc);
        quote!(#d pub #n: #t)
    });
    let args = required.iter().map(|m| {
        let (n, a) = (&m.name, &m.arg);
        quote!(#n: #a)
    });
    let inits = members.iter().map(|m| {
        let n = &m.name;
        if m.required {
            let c = &m.convert;
            if *n == c.to_string() {
                quote!(#n)
            } else {
                quote!(#n: #c)
            }
        } else if n == "body" {
            let body = ident(&ep.names.body);
            quote!(body: #body::new())
        } else {
            quote!(#n: Default::default())
        }
    });
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub struct #name { #(#decls,)* }

        impl #name {
            /// The request with its required parameters; the others unset.
            #[allow(clippy::new_without_default)]
            pub fn new(#(#args),*) -> Self {
                Self { #(#inits,)* }
            }
        }
    }
}

/// The accessor method, the call's alias and its setters (one per optional parameter).
pub fn call(ep: &EndpointModel, v: &VersionModel) -> TokenStream {
    let spec = &ep.spec;
    let op = ident(&ep.names.operation);
    let request = ident(&ep.names.request);
    let resource = super::accessors::resource_type(&ep.resource);
    let method = ident(&ep.method);
    let members = members(ep);
    let required = required_members(ep);
    let mut args: Vec<TokenStream> = Vec::new();
    if ep.user_token_only() {
        args.push(quote!(user_access_token: impl Into<String>));
    }
    args.extend(required.iter().map(|m| {
        let (n, a) = (&m.name, &m.arg);
        quote!(#n: #a)
    }));
    let arg_names: Vec<&Ident> = required.iter().map(|m| &m.name).collect();
    let make = if ep.user_token_only() {
        quote! {
            crate::Call::with_options(
                self.client,
                #request::new(#(#arg_names),*),
                crate::RequestOptions::new().user_access_token(user_access_token),
            )
        }
    } else {
        quote!(crate::Call::new(self.client, #request::new(#(#arg_names),*)))
    };
    let setters: Vec<TokenStream> = members
        .iter()
        .filter(|m| !m.required)
        .map(|m| {
            let (n, a, c) = (&m.name, &m.arg, &m.convert);
            let doc = format!(" Sets [`{n}`]({request}::{n}).");
            quote! {
                #[doc = #doc]
                pub fn #n(mut self, #n: #a) -> Self {
                    self.request.#n = #c;
                    self
                }
            }
        })
        .collect();
    let setters = (!setters.is_empty()).then(|| quote!(impl #op { #(#setters)* }));
    let mut method_doc = vec![spec.summary.clone(), String::new()];
    if let Some(d) = &spec.description {
        method_doc.extend(wrap(d, 90));
        method_doc.push(String::new());
    }
    method_doc.extend(endpoint_docs::facts_lines(ep));
    method_doc.extend(super::errors::error_lines(ep, v));
    method_doc.push(String::new());
    method_doc.extend(endpoint_docs::example_lines(ep, v));
    let method_doc = outer(&method_doc);
    let alias_doc = format!(
        " A prepared `{}` call: set options, then `.await` it (see [`Call`](crate::Call)).",
        spec.id
    );
    quote! {
        impl super::#resource<'_> {
            #method_doc
            pub fn #method(&self, #(#args),*) -> #op {
                #make
            }
        }

        #[doc = #alias_doc]
        pub type #op = crate::Call<#request>;

        #setters
    }
}
