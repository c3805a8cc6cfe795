//! The `Operation` impl of a request (static facts, what it writes into the request) and,
//! for list endpoints, `Paginated`.

use heck::ToUpperCamelCase;
use proc_macro2::TokenStream;
use quote::quote;

use super::ident;
use super::rust_types::value_type;
use crate::model::{BodyModel, EndpointModel, FieldDef, ResponseModel, Ty};

/// `impl Operation` (and `Paginated`) for the request type.
pub fn operation_impls(ep: &EndpointModel) -> TokenStream {
    let spec = &ep.spec;
    let name = ident(&ep.names.request);
    let id = &spec.id;
    let method = ident(&spec.http_method.to_lowercase().to_upper_camel_case());
    let path = &spec.path;
    let doc_url = &spec.doc_url;
    let tokens = spec
        .access_tokens
        .iter()
        .map(|t| ident(&t.to_upper_camel_case()));
    let idempotent = ep.idempotent;
    let (response, answer) = match &ep.response {
        ResponseModel::Binary(max_bytes) => (
            quote!(Binary { max_bytes: #max_bytes }),
            quote!(crate::Download<ErrorCode>),
        ),
        ResponseModel::Json(_) => (quote!(Json), response_type(ep)),
        ResponseModel::Flat(_) => (quote!(Flat), response_type(ep)),
        ResponseModel::Empty => (quote!(Empty), response_type(ep)),
    };
    let rate_limit = match &spec.rate_limit {
        Some(rl) => {
            let opt = |v: Option<u32>| match v {
                Some(v) => {
                    let v = proc_macro2::Literal::u32_unsuffixed(v);
                    quote!(Some(#v))
                }
                None => quote!(None),
            };
            let per_second = opt(rl.per_second);
            let per_minute = opt(rl.per_minute);
            quote!(Some(op::RateLimitMeta { per_second: #per_second, per_minute: #per_minute }))
        }
        None => quote!(None),
    };
    let rows = ep.errors.iter().map(|r| {
        let variant = ident(&r.variant);
        let entry = quote!(ErrorCode::#variant as u16);
        match (&r.own_meaning, &r.own_advice) {
            (None, None) => quote!(crate::ErrorRow::of(#entry)),
            (meaning, advice) => {
                let m = wording(meaning.as_deref());
                let a = wording(advice.as_deref());
                quote!(crate::ErrorRow::worded(#entry, #m, #a))
            }
        }
    });
    let write = write_fn(ep);
    let paginated = paginated(ep);
    quote! {
        impl op::Operation for #name {
            type Code = ErrorCode;
            type Answer = #answer;
            const META: op::OperationMeta = op::OperationMeta {
                id: #id,
                method: op::HttpMethod::#method,
                path: #path,
                access_tokens: &[#(op::TokenType::#tokens),*],
                idempotent: #idempotent,
                response: op::ResponseKind::#response,
                doc_url: #doc_url,
                rate_limit: #rate_limit,
                catalogue: <ErrorCode as crate::Catalogue>::ENTRIES,
                errors: &[#(#rows),*],
            };

            #write
        }

        #paginated
    }
}

fn response_type(ep: &EndpointModel) -> TokenStream {
    let out = ident(&ep.names.response);
    quote!(#out)
}

/// A row's own wording: its constant in the version's `errors.rs`.
fn wording(name: Option<&str>) -> TokenStream {
    match name {
        Some(name) => {
            let name = ident(name);
            quote!(Some(super::super::errors::#name))
        }
        None => quote!(None),
    }
}

/// `write`: each path and query parameter by name (an absent optional one writes nothing, a
/// list once per element), then the body. A deduplication key left unset gets a fresh one,
/// once per call, so every retry carries it.
fn write_fn(ep: &EndpointModel) -> TokenStream {
    let key = ep.idempotency_key.as_deref();
    let path = ep.path_params.iter().map(|p| {
        let (n, wire) = (ident(&p.rust), &p.wire);
        quote!(parts.path(#wire, &self.#n);)
    });
    let query = ep.query_params.iter().map(|p| {
        let (n, wire) = (ident(&p.rust), &p.wire);
        if key == Some(p.wire.as_str()) {
            quote!(parts.query_key(#wire, &self.#n);)
        } else {
            quote!(parts.query(#wire, &self.#n);)
        }
    });
    let body = match &ep.body {
        BodyModel::None => quote!(Ok(())),
        BodyModel::Json(fields) => match key.filter(|k| fields.iter().any(|f| &f.wire == k)) {
            Some(key) => quote!(parts.json_with_key(&self.body, #key)),
            None => quote!(parts.json(&self.body)),
        },
        BodyModel::Multipart(fields) => {
            let parts = fields.iter().map(multipart_part);
            quote! {
                parts.multipart(op::Multipart::new() #(#parts)*);
                Ok(())
            }
        }
    };
    let uses_parts = !ep.path_params.is_empty()
        || !ep.query_params.is_empty()
        || !matches!(ep.body, BodyModel::None);
    let parts = if uses_parts {
        quote!(parts)
    } else {
        quote!(_parts)
    };
    quote! {
        fn write(&self, #parts: &mut op::Parts) -> ::core::result::Result<(), ::std::string::String> {
            #(#path)*
            #(#query)*
            #body
        }
    }
}

fn multipart_part(f: &FieldDef) -> TokenStream {
    let n = ident(&f.rust);
    let wire = &f.wire;
    let value = quote!(&self.body.#n);
    match &f.ty {
        Ty::File => {
            let max = match f.max_bytes {
                Some(m) => quote!(Some(#m)),
                None => quote!(None),
            };
            if f.required {
                quote!(.file(#wire, #value, #max))
            } else {
                quote!(.file_opt(#wire, #value, #max))
            }
        }
        _ => quote!(.text(#wire, #value)),
    }
}

fn paginated(ep: &EndpointModel) -> TokenStream {
    let Some(p) = &ep.pagination else {
        return quote!();
    };
    let name = ident(&ep.names.request);
    let output = ident(&ep.names.response);
    let item = value_type(&p.item, None);
    let fields = ep.response.fields();
    let find = |wire: &str| fields.iter().find(|f| f.wire == wire);
    let token_param = ep
        .query_params
        .iter()
        .find(|q| q.wire == p.request_token)
        .map(|q| ident(&q.rust))
        .unwrap_or_else(|| ident(&p.request_token));
    let has_more = match find(&p.has_more) {
        Some(f) if f.required => {
            let n = ident(&f.rust);
            quote!(output.#n)
        }
        Some(f) => {
            let n = ident(&f.rust);
            quote!(output.#n.unwrap_or(false))
        }
        None => quote!(false),
    };
    let token = match find(&p.response_token) {
        Some(f) if f.required => {
            let n = ident(&f.rust);
            quote!(Some(output.#n.as_str()))
        }
        Some(f) => {
            let n = ident(&f.rust);
            quote!(output.#n.as_deref())
        }
        None => quote!(None),
    };
    let items = find(&p.items)
        .map(|f| ident(&f.rust))
        .unwrap_or_else(|| ident(&p.items));
    quote! {
        impl op::Paginated for #name {
            type Item = #item;

            fn set_page_token(&mut self, token: String) {
                self.#token_param = Some(token);
            }

            fn page_state(output: &#output) -> (bool, Option<&str>) {
                (#has_more, #token)
            }

            fn into_items(output: #output) -> Vec<#item> {
                output.#items
            }
        }
    }
}
