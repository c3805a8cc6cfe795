//! The `Operation` impls of a request: static facts, parameters, the payload, the output
//! type and, for list endpoints, paging.

use heck::ToUpperCamelCase;
use proc_macro2::TokenStream;
use quote::quote;

use super::ident;
use super::rust_types::value_type;
use crate::model::{BodyModel, EndpointModel, FieldDef, ParamDef, ResponseModel, Ty};

/// `impl Operation` (and `JsonOperation`, `Paginated`) for the request type.
pub fn operation_impls(ep: &EndpointModel) -> TokenStream {
    let spec = &ep.spec;
    let name = ident(&ep.names.request);
    let error = ident(&ep.names.error);
    let id = &spec.id;
    let method = ident(&spec.http_method.to_lowercase().to_upper_camel_case());
    let path = &spec.path;
    let doc_url = &spec.doc_url;
    let tokens = spec
        .access_tokens
        .iter()
        .map(|t| ident(&t.to_upper_camel_case()));
    let idempotent = ep.idempotent;
    let response = match &ep.response {
        ResponseModel::Binary(max_bytes) => {
            quote!(crate::operation::ResponseKind::Binary { max_bytes: #max_bytes })
        }
        ResponseModel::Json(_) => quote!(crate::operation::ResponseKind::Json),
        ResponseModel::Flat(_) => quote!(crate::operation::ResponseKind::Flat),
        ResponseModel::Empty => quote!(crate::operation::ResponseKind::Empty),
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
            quote!(Some(crate::operation::RateLimitMeta {
                per_second: #per_second,
                per_minute: #per_minute,
            }))
        }
        None => quote!(None),
    };
    let path_values = ep.path_params.iter().map(|p| {
        let n = ident(&p.rust);
        if p.ty == Ty::String {
            quote!(self.#n.as_str().into())
        } else {
            quote!(self.#n.to_string().into())
        }
    });
    let query = query_params(&ep.query_params, ep.idempotency_key.as_deref());
    let payload = payload(ep);
    let json = match &ep.response {
        ResponseModel::Json(_) | ResponseModel::Flat(_) | ResponseModel::Empty => {
            let output = ident(&ep.names.response);
            quote! {
                impl crate::operation::JsonOperation for #name {
                    type Output = #output;
                }
            }
        }
        ResponseModel::Binary(_) => quote!(),
    };
    let paginated = paginated(ep);
    quote! {
        impl crate::operation::Operation for #name {
            type Error = #error;
            const META: crate::operation::OperationMeta = crate::operation::OperationMeta {
                id: #id,
                method: crate::operation::HttpMethod::#method,
                path: #path,
                access_tokens: &[#(crate::operation::TokenType::#tokens),*],
                idempotent: #idempotent,
                response: #response,
                doc_url: #doc_url,
                rate_limit: #rate_limit,
            };

            fn path_params(&self) -> Vec<std::borrow::Cow<'_, str>> {
                vec![#(#path_values),*]
            }

            fn query_params(&self) -> Vec<(&'static str, String)> {
                #query
            }

            #payload
        }

        #json
        #paginated
    }
}

/// The body of `query_params`: required values in a `vec!`, optional ones pushed after. A
/// deduplication key parameter left unset gets a fresh key: the URL is built once per call,
/// so every retry carries the same one.
fn query_params(params: &[ParamDef], idempotency_key: Option<&str>) -> TokenStream {
    let text = |p: &ParamDef, v: TokenStream| match &p.ty {
        Ty::Enum(_) => quote!(#v.as_str().to_string()),
        Ty::String => quote!(#v.clone()),
        _ => quote!(#v.to_string()),
    };
    let fixed: Vec<TokenStream> = params
        .iter()
        .filter(|p| p.required && !p.repeated)
        .map(|p| {
            let n = ident(&p.rust);
            let wire = &p.wire;
            let value = text(p, quote!(self.#n));
            quote!((#wire, #value))
        })
        .collect();
    let pushes: Vec<TokenStream> = params
        .iter()
        .filter(|p| p.repeated || !p.required)
        .map(|p| {
            let n = ident(&p.rust);
            let wire = &p.wire;
            let value = text(p, quote!(v));
            if p.repeated {
                quote!(for v in &self.#n { query.push((#wire, #value)); })
            } else if idempotency_key == Some(p.wire.as_str()) {
                quote! {
                    match &self.#n {
                        Some(v) => query.push((#wire, #value)),
                        None => query.push((#wire, crate::operation::idempotency_key())),
                    }
                }
            } else {
                quote!(if let Some(v) = &self.#n { query.push((#wire, #value)); })
            }
        })
        .collect();
    match (fixed.is_empty(), pushes.is_empty()) {
        (true, true) => quote!(Vec::new()),
        (_, true) => quote!(vec![#(#fixed),*]),
        (true, false) => quote! {
            let mut query = Vec::new();
            #(#pushes)*
            query
        },
        (false, false) => quote! {
            let mut query = vec![#(#fixed),*];
            #(#pushes)*
            query
        },
    }
}

fn payload(ep: &EndpointModel) -> TokenStream {
    match &ep.body {
        BodyModel::None => quote!(),
        BodyModel::Json(_) => {
            let fill = ep.idempotency_key.as_ref().and_then(|key| {
                let field = ep
                    .body
                    .fields()
                    .iter()
                    .find(|f| &f.wire == key)
                    .map(|f| ident(&f.rust))?;
                Some(quote! {
                    // One key per call: every retry of this call carries the same one, so the
                    // platform delivers it once.
                    if body.#field.is_none() {
                        body.#field = Some(crate::operation::idempotency_key());
                    }
                })
            });
            match fill {
                Some(fill) => quote! {
                    fn payload(&self) -> Result<crate::operation::Payload, String> {
                        let mut body = self.body.clone();
                        #fill
                        crate::operation::Payload::json(&body)
                    }
                },
                None => quote! {
                    fn payload(&self) -> Result<crate::operation::Payload, String> {
                        crate::operation::Payload::json(&self.body)
                    }
                },
            }
        }
        BodyModel::Multipart(fields) => {
            let parts = fields.iter().map(multipart_part);
            quote! {
                fn payload(&self) -> Result<crate::operation::Payload, String> {
                    let mut form = crate::operation::Multipart::new();
                    #(#parts)*
                    Ok(crate::operation::Payload::Multipart(form))
                }
            }
        }
    }
}

fn multipart_part(f: &FieldDef) -> TokenStream {
    let n = ident(&f.rust);
    let wire = &f.wire;
    let add = |v: TokenStream| match &f.ty {
        Ty::File => {
            let max = match f.max_bytes {
                Some(m) => quote!(Some(#m)),
                None => quote!(None),
            };
            quote!(form = form.file(#wire, #v.clone(), #max);)
        }
        Ty::Enum(_) => quote!(form = form.text(#wire, #v.as_str().to_string());),
        Ty::String => quote!(form = form.text(#wire, #v.clone());),
        _ => quote!(form = form.text(#wire, #v.to_string());),
    };
    if f.required {
        add(quote!(self.body.#n))
    } else {
        let inner = add(quote!(v));
        quote!(if let Some(v) = &self.body.#n { #inner })
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
        impl crate::operation::Paginated for #name {
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
