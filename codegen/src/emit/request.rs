//! The request value (parameters and body) and the fluent builder that sends it.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::docs::{outer, wrap};
use super::endpoint_docs;
use super::ident;
use super::rust_types::{argument, value_type};
use crate::model::{EndpointModel, ParamDef, ResponseModel, VersionModel};

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
        "{} parameter `{}`: {}",
        if path { "Path" } else { "Query" },
        p.wire,
        p.description
    )];
    if let Some(values) = &p.accepted {
        doc.push(String::new());
        doc.push(super::docs::accepted_line(values));
    }
    if let Some(chars) = &p.allowed_chars {
        doc.push(String::new());
        doc.push(format!(
            "Platform ids use `[{chars}]`; any value is percent-encoded as one path segment, and an empty one is refused before sending."
        ));
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
            doc: outer(&["The request body.".to_string()]),
            stored: quote!(#body),
            arg: quote!(#body),
            convert: quote!(body),
            required: ep.body_has_required(),
        });
    }
    out
}

/// The argument order, in the docs of constructors with several arguments.
const ARGUMENT_ORDER: &str = "Arguments come in one order for every endpoint: path parameters as in the path, then required query parameters (identifiers such as `*_id` first, then kinds such as `*_type`, then the rest; alphabetically in each group), then the body.";

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

/// The request struct: every parameter and the body; `new` takes the required ones.
pub fn request_struct(ep: &EndpointModel, v: &VersionModel) -> TokenStream {
    let name = ident(&ep.names.request);
    let members = members(ep);
    let required = required_members(ep);
    let mut doc = vec![
        format!("The parameters and body of `{}`.", ep.spec.id),
        String::new(),
        "Required parameters are arguments of [`new`](Self::new), so a missing one does not compile."
            .to_string(),
    ];
    if required.len() > 1 {
        doc.push(String::new());
        doc.extend(wrap(ARGUMENT_ORDER, 90));
    }
    doc.extend(endpoint_docs::missing_argument_examples(ep, v));
    let doc = outer(&doc);
    let decls = members.iter().map(|m| {
        let (n, t, d) = (&m.name, &m.stored, &m.doc);
        quote!(#d #n: #t)
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
    let getters = members.iter().map(|m| {
        let (n, t, d) = (&m.name, &m.stored, &m.doc);
        match t.to_string().as_str() {
            "String" => quote! { #d pub fn #n(&self) -> &str { &self.#n } },
            "Option < String >" => {
                quote! { #d pub fn #n(&self) -> Option<&str> { self.#n.as_deref() } }
            }
            _ => quote! { #d pub fn #n(&self) -> &#t { &self.#n } },
        }
    });
    let setters = members.iter().filter(|m| !m.required).map(|m| {
        let (n, a, d) = (&m.name, &m.arg, &m.doc);
        let setter = format_ident!("set_{}", m.name);
        let value = &m.convert;
        quote! { #d pub fn #setter(mut self, #n: #a) -> Self { self.#n = #value; self } }
    });
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq)]
        pub struct #name { #(#decls,)* }

        impl #name {
            /// Creates the request from its required parameters.
            #[allow(clippy::new_without_default)]
            pub fn new(#(#args),*) -> Self {
                Self { #(#inits,)* }
            }
            #(#getters)*
            #(#setters)*
        }
    }
}

/// The accessor method, the prepared call and its `IntoFuture`.
pub fn builder(ep: &EndpointModel, v: &VersionModel) -> TokenStream {
    let spec = &ep.spec;
    let op = ident(&ep.names.operation);
    let request = ident(&ep.names.request);
    let error = ident(&ep.names.error);
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
    let initial_options = if ep.user_token_only() {
        quote!(RequestOptions::default().user_access_token(user_access_token))
    } else {
        quote!(RequestOptions::default())
    };
    let optional_setters = members.iter().filter(|m| !m.required).map(|m| {
        let (n, a, d) = (&m.name, &m.arg, &m.doc);
        let setter = format_ident!("set_{}", m.name);
        quote! { #d pub fn #n(mut self, #n: #a) -> Self { self.request = self.request.#setter(#n); self } }
    });
    let tokens = &spec.access_tokens;
    let mut token_setters = Vec::new();
    if tokens.iter().any(|t| t == "tenant") {
        token_setters.push(quote! {
            /// Store apps: the tenant to act for (its `tenant_key`); custom apps need not set it.
            pub fn tenant_key(mut self, tenant_key: impl Into<String>) -> Self {
                self.options = self.options.tenant_key(tenant_key);
                self
            }
        });
    }
    if tokens.iter().any(|t| t == "user") && !ep.user_token_only() {
        token_setters.push(quote! {
            /// Sends the request as a user, with that user's `user_access_token`, instead of
            /// as the app.
            pub fn user_access_token(mut self, token: impl Into<String>) -> Self {
                self.options = self.options.user_access_token(token);
                self
            }
        });
    }
    let options_doc = if ep.user_token_only() {
        quote! {
            /// Per-request options: extra headers, a deadline. Merged into what is set: a field
            /// these options set replaces the earlier value, the others are kept (the user
            /// token given to the accessor too, unless these carry another), headers add up.
        }
    } else {
        quote! {
            /// Per-request options: an explicit token, a tenant key, extra headers, a deadline.
            /// Merged into what is set: a field these options set replaces the earlier value,
            /// the others are kept, headers add up.
        }
    };
    let set_options = quote! {
        #options_doc
        pub fn options(mut self, options: RequestOptions) -> Self {
            self.options = self.options.merge(options);
            self
        }
    };
    let (output, call) = match &ep.response {
        ResponseModel::Binary(_) => (
            quote!(crate::Download<#error>),
            quote!(self.client.download(self.request, self.options).await),
        ),
        ResponseModel::Json(_) | ResponseModel::Flat(_) | ResponseModel::Empty => {
            let out = ident(&ep.names.response);
            (
                quote!(#out),
                quote!(self.client.call(self.request, self.options).await),
            )
        }
    };
    let paging = ep.pagination.as_ref().map(|p| {
        let out = ident(&ep.names.response);
        let item = value_type(&p.item, None);
        quote! {
            /// Every page, fetched lazily one after the other as the stream is read: the
            /// first with this call's parameters, each next one with the previous page's
            /// `page_token`, until `has_more` is false. A page token seen before ends the
            /// stream with an error instead of looping; an error is the stream's last item,
            /// after every page before it.
            ///
            /// Each page is a response: its `log_id()` is the log id of that page's answer.
            pub fn pages(self) -> futures_util::stream::BoxStream<'static, Result<#out, Error<#error>>> {
                crate::paginate::pages(self.client, self.request, self.options)
            }

            /// Every item of every page, one at a time; one page is held in memory at a
            /// time, however many items are read. Errors as for [`pages`](Self::pages).
            pub fn items(self) -> futures_util::stream::BoxStream<'static, Result<#item, Error<#error>>> {
                crate::paginate::items(self.client, self.request, self.options)
            }
        }
    });
    let mut method_doc = vec![spec.summary.clone(), String::new()];
    method_doc.extend(endpoint_docs::facts_lines(ep));
    method_doc.push(String::new());
    method_doc.extend(endpoint_docs::example_lines(ep, v));
    let method_doc = outer(&method_doc);
    let builder_doc = outer(&[
        format!(
            "A prepared `{}` call: set options, then `.send().await` (or just `.await`).",
            spec.id
        ),
        String::new(),
        format!("Made by [`{resource}::{method}`](super::{resource}::{method})."),
    ]);
    quote! {
        impl super::#resource<'_> {
            #method_doc
            pub fn #method(&self, #(#args),*) -> #op {
                #op {
                    client: self.client.clone(),
                    request: #request::new(#(#arg_names),*),
                    options: #initial_options,
                }
            }
        }

        #builder_doc
        #[derive(Debug, Clone)]
        #[must_use = "a request does nothing until it is sent"]
        pub struct #op {
            client: Client,
            request: #request,
            options: RequestOptions,
        }

        impl #op {
            #(#optional_setters)*
            #(#token_setters)*
            #set_options

            /// The request as it will be sent.
            pub fn request(&self) -> &#request {
                &self.request
            }

            /// Sends the request.
            pub async fn send(self) -> Result<#output, Error<#error>> {
                #call
            }

            #paging
        }

        impl std::future::IntoFuture for #op {
            type Output = Result<#output, Error<#error>>;
            type IntoFuture = crate::operation::BoxFuture<Self::Output>;

            fn into_future(self) -> Self::IntoFuture {
                Box::pin(self.send())
            }
        }
    }
}
