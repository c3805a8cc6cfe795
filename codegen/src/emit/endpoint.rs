//! One endpoint module: request value, parameter enums, fluent builder, `Operation` impl.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

use super::docs::{self, outer, wrap};
use super::errors;
use super::model::{enum_type_name, query_rust_name, variant_name, Endpoint};
use crate::spec::{PathParam, QueryParam, Response};

fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

/// The module of one endpoint.
pub fn endpoint_module(ep: &Endpoint) -> TokenStream {
    let spec = ep.spec;
    let module_doc = docs::inner(&module_doc_lines(ep));
    let enums = spec.query_params.iter().filter_map(param_enum);
    let request = request_struct(ep);
    let operation_impl = operation_impl(ep);
    let builder = builder(ep);
    let error_enum = errors::error_enum(ep);
    quote! {
        #module_doc
        use crate::operation::{BoxFuture, HttpMethod, Operation, OperationMeta, ResponseKind, TokenType};
        use crate::{Client, Download, Error, RequestOptions};
        #(#enums)*
        #request
        #operation_impl
        #builder
        #error_enum
    }
}

fn module_doc_lines(ep: &Endpoint) -> Vec<String> {
    let spec = ep.spec;
    let mut lines = vec![format!("{}", spec.summary), String::new()];
    lines.push(format!("`{} {}`", spec.http_method, spec.path));
    if let Some(d) = &spec.description {
        lines.push(String::new());
        lines.extend(wrap(d, 90));
    }
    lines.push(String::new());
    lines.extend(facts_lines(ep));
    lines
}

/// The facts table shared by the module and the builder docs.
fn facts_lines(ep: &Endpoint) -> Vec<String> {
    let spec = ep.spec;
    let tokens = spec
        .access_tokens
        .iter()
        .map(|t| format!("`{t}_access_token`"))
        .collect::<Vec<_>>()
        .join(", ");
    let apps = spec
        .app_types
        .iter()
        .map(|a| match a.as_str() {
            "custom" => "custom (self-built)".to_string(),
            "store" => "store (marketplace)".to_string(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ");
    let mut lines = vec![
        format!("- Endpoint id: `{}`", spec.id),
        format!("- Access tokens: {tokens}"),
        format!("- App types: {apps}"),
    ];
    if !spec.scopes_any_of.is_empty() {
        let scopes = spec
            .scopes_any_of
            .iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", ");
        lines.push(format!("- Scopes (any one of): {scopes}"));
    }
    if let Response::Binary { max_bytes } = spec.response {
        lines.push(format!(
            "- Response: a binary stream of at most {} ({max_bytes} bytes), enforced while streaming",
            human_bytes(max_bytes)
        ));
    }
    if let Some(rl) = &spec.rate_limit {
        let mut parts = Vec::new();
        if let Some(m) = rl.per_minute {
            parts.push(format!("{m} per minute"));
        }
        if let Some(s) = rl.per_second {
            parts.push(format!("{s} per second"));
        }
        lines.push(format!(
            "- Rate limit: {} (HTTP 429 is retried after `x-ogw-ratelimit-reset`)",
            parts.join(", ")
        ));
    }
    lines.push(format!("- API page: <{}>", spec.doc_url));
    lines
}

fn human_bytes(n: u64) -> String {
    const MB: u64 = 1024 * 1024;
    if n.is_multiple_of(MB) {
        format!("{} MB", n / MB)
    } else {
        format!("{n} bytes")
    }
}

fn param_enum(q: &QueryParam) -> Option<TokenStream> {
    let values = q.enum_values.as_ref()?;
    let name = ident(&enum_type_name(q)?);
    let doc = outer(&[format!(
        "Values of the `{}` query parameter: {}",
        q.name, q.description
    )]);
    let variants: Vec<Ident> = values.iter().map(|v| ident(&variant_name(v))).collect();
    let variant_docs = values
        .iter()
        .map(|v| outer(&[format!("`{}`: {}", v.value, v.description)]));
    let wire = values.iter().map(|v| v.value.as_str());
    let wire2 = wire.clone();
    let wire3 = wire.clone();
    let param = q.name.as_str();
    let from_str_doc = format!(
        " Parses a wire value of `{}`: {}.",
        q.name,
        values
            .iter()
            .map(|v| format!("`{}`", v.value))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Some(quote! {
        #doc
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum #name {
            #( #variant_docs #variants, )*
        }

        impl #name {
            /// The value sent on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    #( Self::#variants => #wire, )*
                }
            }
        }

        impl std::fmt::Display for #name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for #name {
            type Err = crate::operation::ParseEnumError;

            #[doc = #from_str_doc]
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                match value {
                    #( #wire2 => Ok(Self::#variants), )*
                    _ => Err(crate::operation::ParseEnumError::new(#param, value, &[#(#wire3),*])),
                }
            }
        }
    })
}

/// The Rust type of a query parameter's single value.
fn query_value_type(q: &QueryParam) -> TokenStream {
    if let Some(name) = enum_type_name(q) {
        let name = ident(&name);
        return quote!(#name);
    }
    match q.ty.as_str() {
        "integer" => quote!(i32),
        "int64" => quote!(i64),
        "boolean" => quote!(bool),
        _ => quote!(String),
    }
}

fn path_value_type(p: &PathParam) -> TokenStream {
    match p.ty.as_str() {
        "integer" => quote!(i64),
        _ => quote!(String),
    }
}

/// A field of the request value: (name, stored type, argument type, conversion).
struct ReqField {
    name: Ident,
    doc: TokenStream,
    stored: TokenStream,
    arg: TokenStream,
    convert: TokenStream,
    /// Whether `convert` is the argument itself (then the field init is shorthand).
    identity: bool,
    required: bool,
}

fn request_fields(ep: &Endpoint) -> Vec<ReqField> {
    let mut fields = Vec::new();
    for p in &ep.spec.path_params {
        let name = ident(&p.name);
        let ty = path_value_type(p);
        let string = p.ty == "string";
        let mut doc = vec![format!("Path parameter `{}`: {}", p.name, p.description)];
        if let Some(chars) = &p.allowed_chars {
            doc.push(String::new());
            doc.push(format!(
                "Platform ids use `[{chars}]`; any value is percent-encoded as one path segment, and an empty one is refused before sending."
            ));
        }
        fields.push(ReqField {
            doc: outer(&doc),
            stored: ty.clone(),
            arg: if string {
                quote!(impl Into<String>)
            } else {
                ty
            },
            convert: if string {
                quote!(#name.into())
            } else {
                quote!(#name)
            },
            identity: !string,
            name,
            required: true,
        });
    }
    for q in &ep.spec.query_params {
        let name = ident(query_rust_name(q));
        let value = query_value_type(q);
        let string = value.to_string() == "String";
        let doc = outer(&[format!("Query parameter `{}`: {}", q.name, q.description)]);
        let identity = !q.repeated && !string;
        let (stored, arg, convert) = if q.repeated {
            (
                quote!(Vec<#value>),
                quote!(impl IntoIterator<Item = #value>),
                quote!(#name.into_iter().collect()),
            )
        } else if string {
            (
                quote!(String),
                quote!(impl Into<String>),
                quote!(#name.into()),
            )
        } else {
            (value.clone(), value, quote!(#name))
        };
        let required = q.required;
        let stored = if required || q.repeated {
            stored
        } else {
            quote!(Option<#stored>)
        };
        fields.push(ReqField {
            name,
            doc,
            stored,
            arg,
            convert,
            identity,
            required,
        });
    }
    fields
}

fn request_struct(ep: &Endpoint) -> TokenStream {
    let name = ident(&ep.request_name());
    let fields = request_fields(ep);
    let mut doc = vec![
        format!("The parameters of `{}`.", ep.spec.id),
        String::new(),
        "Required parameters are arguments of [`new`](Self::new), so a missing one does not compile."
            .to_string(),
    ];
    doc.extend(missing_argument_examples(ep));
    let doc = outer(&doc);
    let decls = fields.iter().map(|f| {
        let (n, t, d) = (&f.name, &f.stored, &f.doc);
        quote!(#d #n: #t)
    });
    let required: Vec<&ReqField> = fields.iter().filter(|f| f.required).collect();
    let args = required.iter().map(|f| {
        let (n, a) = (&f.name, &f.arg);
        quote!(#n: #a)
    });
    let inits = fields.iter().map(|f| {
        let (n, c) = (&f.name, &f.convert);
        if f.required && f.identity {
            quote!(#n)
        } else if f.required {
            quote!(#n: #c)
        } else {
            quote!(#n: Default::default())
        }
    });
    let getters = fields.iter().map(|f| {
        let (n, t, d) = (&f.name, &f.stored, &f.doc);
        match t.to_string().as_str() {
            "String" => quote! { #d pub fn #n(&self) -> &str { &self.#n } },
            "Option < String >" => {
                quote! { #d pub fn #n(&self) -> Option<&str> { self.#n.as_deref() } }
            }
            _ => quote! { #d pub fn #n(&self) -> &#t { &self.#n } },
        }
    });
    let setters = fields.iter().filter(|f| !f.required).map(|f| {
        let (n, a, c, d) = (&f.name, &f.arg, &f.convert, &f.doc);
        let setter = format_ident!("set_{}", f.name);
        let value = if f.stored.to_string().starts_with("Vec") {
            quote!(#c)
        } else {
            quote!(Some(#c))
        };
        quote! { #d pub fn #setter(mut self, #n: #a) -> Self { self.#n = #value; self } }
    });
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq)]
        pub struct #name { #(#decls,)* }

        impl #name {
            /// Creates the request from its required parameters.
            pub fn new(#(#args),*) -> Self {
                Self { #(#inits,)* }
            }
            #(#getters)*
            #(#setters)*
        }
    }
}

fn operation_impl(ep: &Endpoint) -> TokenStream {
    let spec = ep.spec;
    let name = ident(&ep.request_name());
    let error = ident(&ep.error_name());
    let id = &spec.id;
    let method = ident(&heck::ToUpperCamelCase::to_upper_camel_case(
        spec.http_method.to_lowercase().as_str(),
    ));
    let path = &spec.path;
    let doc_url = &spec.doc_url;
    let tokens = spec
        .access_tokens
        .iter()
        .map(|t| ident(&heck::ToUpperCamelCase::to_upper_camel_case(t.as_str())));
    let idempotent = spec.idempotent.unwrap_or(matches!(
        spec.http_method.as_str(),
        "GET" | "PUT" | "DELETE"
    ));
    let response = match spec.response {
        Response::Binary { max_bytes } => quote!(ResponseKind::Binary { max_bytes: #max_bytes }),
        Response::Json { .. } => quote!(ResponseKind::Json),
        Response::Empty => quote!(ResponseKind::Empty),
    };
    // Path parameters in template order.
    let in_order: Vec<&PathParam> = spec
        .path
        .split('/')
        .filter_map(|s| s.strip_prefix(':'))
        .filter_map(|n| spec.path_params.iter().find(|p| p.name == n))
        .collect();
    let path_values = in_order.iter().map(|p| {
        let n = ident(&p.name);
        if p.ty == "string" {
            quote!(self.#n.as_str().into())
        } else {
            quote!(self.#n.to_string().into())
        }
    });
    let query_pushes = spec.query_params.iter().map(|q| {
        let n = ident(query_rust_name(q));
        let wire = &q.name;
        let to_string = if q.enum_values.is_some() {
            quote!(v.as_str().to_string())
        } else {
            quote!(v.to_string())
        };
        if q.repeated {
            quote!(for v in &self.#n { query.push((#wire, #to_string)); })
        } else if q.required {
            quote!({ let v = &self.#n; query.push((#wire, #to_string)); })
        } else {
            quote!(if let Some(v) = &self.#n { query.push((#wire, #to_string)); })
        }
    });
    quote! {
        impl Operation for #name {
            type Error = #error;
            const META: OperationMeta = OperationMeta {
                id: #id,
                method: HttpMethod::#method,
                path: #path,
                access_tokens: &[#(TokenType::#tokens),*],
                idempotent: #idempotent,
                response: #response,
                doc_url: #doc_url,
            };

            fn path_params(&self) -> Vec<std::borrow::Cow<'_, str>> {
                vec![#(#path_values),*]
            }

            fn query_params(&self) -> Vec<(&'static str, String)> {
                let mut query = Vec::new();
                #(#query_pushes)*
                query
            }
        }
    }
}

fn builder(ep: &Endpoint) -> TokenStream {
    let spec = ep.spec;
    let op = ident(&ep.operation_name());
    let request = ident(&ep.request_name());
    let error = ident(&ep.error_name());
    let resource = ident(&heck::ToUpperCamelCase::to_upper_camel_case(ep.resource));
    let method = ident(ep.method);
    let fields = request_fields(ep);
    let required: Vec<&ReqField> = fields.iter().filter(|f| f.required).collect();
    let args: Vec<TokenStream> = required
        .iter()
        .map(|f| {
            let (n, a) = (&f.name, &f.arg);
            quote!(#n: #a)
        })
        .collect();
    let arg_names: Vec<&Ident> = required.iter().map(|f| &f.name).collect();
    let optional_setters = fields.iter().filter(|f| !f.required).map(|f| {
        let (n, a, d) = (&f.name, &f.arg, &f.doc);
        let setter = format_ident!("set_{}", f.name);
        quote! { #d pub fn #n(mut self, #n: #a) -> Self { self.request = self.request.#setter(#n); self } }
    });
    let token_setters = spec.access_tokens.iter().filter_map(|t| match t.as_str() {
        "tenant" => Some(quote! {
            /// Store apps: the tenant to act for (its `tenant_key`); custom apps need not set it.
            pub fn tenant_key(mut self, tenant_key: impl Into<String>) -> Self {
                self.options = self.options.tenant_key(tenant_key);
                self
            }
        }),
        "user" => Some(quote! {
            /// Sends the request as a user, with that user's `user_access_token`.
            pub fn user_access_token(mut self, token: impl Into<String>) -> Self {
                self.options = self.options.user_access_token(token);
                self
            }
        }),
        _ => None,
    });
    let (output, call) = match spec.response {
        Response::Binary { .. } => (
            quote!(Download<#error>),
            quote!(self.client.download(self.request, self.options).await),
        ),
        // `generate` refuses other kinds before emitting anything (see `unsupported`).
        _ => (
            quote!(()),
            quote!(compile_error!("only binary responses are generated so far")),
        ),
    };
    let mut method_doc = vec![spec.summary.clone(), String::new()];
    method_doc.extend(facts_lines(ep));
    method_doc.push(String::new());
    method_doc.extend(example_lines(ep));
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
                    options: RequestOptions::default(),
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

            /// Per-request options: an explicit token, a tenant key, extra headers.
            pub fn options(mut self, options: RequestOptions) -> Self {
                self.options = options;
                self
            }

            /// The request as it will be sent.
            pub fn request(&self) -> &#request {
                &self.request
            }

            /// Sends the request.
            pub async fn send(self) -> Result<#output, Error<#error>> {
                #call
            }
        }

        impl std::future::IntoFuture for #op {
            type Output = Result<#output, Error<#error>>;
            type IntoFuture = BoxFuture<Self::Output>;

            fn into_future(self) -> Self::IntoFuture {
                Box::pin(self.send())
            }
        }
    }
}

/// One `compile_fail` doctest per required parameter, leaving exactly that one out.
fn missing_argument_examples(ep: &Endpoint) -> Vec<String> {
    let args = required_example_args(ep);
    let import = format!(
        "# use lark_openapi::{}::{}::{}::*;",
        ep.service, ep.version, ep.resource
    );
    let all: Vec<&str> = args.iter().map(|(_, v)| v.as_str()).collect();
    let mut lines = vec![
        String::new(),
        "```".to_string(),
        import.clone(),
        format!(
            "let request = {}::new({});",
            ep.request_name(),
            all.join(", ")
        ),
        "```".to_string(),
    ];
    for (i, (name, _)) in args.iter().enumerate() {
        let rest: Vec<&str> = args
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, (_, value))| value.as_str())
            .collect();
        lines.push(String::new());
        lines.push(format!("Leaving out `{name}` does not compile:"));
        lines.push(String::new());
        lines.push("```compile_fail".into());
        lines.push(import.clone());
        lines.push(format!(
            "let request = {}::new({});",
            ep.request_name(),
            rest.join(", ")
        ));
        lines.push("```".into());
    }
    lines
}

/// (parameter name, example argument) for each required parameter, in argument order.
fn required_example_args(ep: &Endpoint) -> Vec<(String, String)> {
    let spec = ep.spec;
    let mut args = Vec::new();
    for p in &spec.path_params {
        let value = match (&p.example, p.ty.as_str()) {
            (Some(example), "string") => docs::rust_str(example),
            (None, "string") => docs::rust_str(&format!("your_{}", p.name)),
            (Some(example), _) => example.clone(),
            (None, _) => "1".into(),
        };
        args.push((p.name.clone(), value));
    }
    for q in spec.query_params.iter().filter(|q| q.required) {
        let value = if let (Some(ty), Some(values)) = (enum_type_name(q), &q.enum_values) {
            let chosen = q
                .example
                .as_ref()
                .and_then(|e| values.iter().find(|v| &v.value == e))
                .unwrap_or(&values[0]);
            format!("{ty}::{}", variant_name(chosen))
        } else {
            match (&q.example, q.ty.as_str()) {
                (Some(example), "string") => docs::rust_str(example),
                (None, "string") => docs::rust_str(&format!("your_{}", q.name)),
                (Some(example), _) => example.clone(),
                (None, "boolean") => "true".into(),
                (None, _) => "1".into(),
            }
        };
        args.push((q.name.clone(), value));
    }
    args
}

/// A usage example that compiles as a doctest.
fn example_lines(ep: &Endpoint) -> Vec<String> {
    let spec = ep.spec;
    let module = format!(
        "lark_openapi::{}::{}::{}",
        ep.service, ep.version, ep.resource
    );
    let uses: Vec<String> = spec
        .query_params
        .iter()
        .filter(|q| q.required && q.enum_values.is_some())
        .filter_map(enum_type_name)
        .map(|ty| format!("use {module}::{ty};"))
        .collect();
    let args: Vec<String> = required_example_args(ep)
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    let mut lines = vec![
        "# Example".to_string(),
        String::new(),
        "```no_run".to_string(),
    ];
    lines.extend(uses);
    lines.push("# async fn example() -> Result<(), Box<dyn std::error::Error>> {".into());
    lines.push(
        "let client = lark_openapi::Client::builder(\"cli_your_app_id\", \"your_app_secret\").build()?;"
            .into(),
    );
    lines.push("let response = client".into());
    lines.push(format!(
        "    .{}().{}().{}()",
        ep.service, ep.version, ep.resource
    ));
    lines.push(format!("    .{}(", ep.method));
    for a in &args {
        lines.push(format!("        {a},"));
    }
    lines.push("    )".into());
    lines.push("    .send()".into());
    lines.push("    .await?;".into());
    if let Response::Binary { .. } = spec.response {
        lines.push("let saved = response.save_to(\"downloads/\").await?;".into());
        lines.push("println!(\"saved to {}\", saved.display());".into());
    }
    lines.push("# Ok(())".into());
    lines.push("# }".into());
    lines.push("```".into());
    lines
}
