//! The per-endpoint error enum: one variant per row of the spec's error table, plus `Unhandled`.

use heck::ToUpperCamelCase;
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

use super::docs::outer;
use crate::model::EndpointModel;

/// The error enum of an endpoint, with its accessors and trait impls.
pub fn error_enum(ep: &EndpointModel) -> TokenStream {
    let spec = &ep.spec;
    let name = Ident::new(&ep.names.error, Span::call_site());
    let rows = &ep.errors;
    let variants: Vec<Ident> = rows
        .iter()
        .map(|r| Ident::new(&r.name.to_upper_camel_case(), Span::call_site()))
        .collect();
    let variant_docs = rows.iter().map(|r| {
        outer(&[
            format!("**{}** (HTTP {}): {}", r.code, r.http_status, r.meaning),
            String::new(),
            format!("What to do: {}", r.advice),
            String::new(),
            if r.server_message.is_empty() {
                "The platform's metadata gives no server message for this code.".to_string()
            } else {
                format!("Server message: `{}`", r.server_message)
            },
            String::new(),
            if r.retryable {
                "A retry can help: the SDK retries it within the client's retry policy.".into()
            } else {
                "Retrying the same request does not help.".into()
            },
        ])
    });
    let codes: Vec<i64> = rows.iter().map(|r| r.code).collect();
    let meanings = rows.iter().map(|r| r.meaning.as_str());
    let advice = rows.iter().map(|r| r.advice.as_str());
    let retryable_variants: Vec<&Ident> = rows
        .iter()
        .zip(&variants)
        .filter(|(r, _)| r.retryable)
        .map(|(_, v)| v)
        .collect();
    let is_retryable = if retryable_variants.is_empty() {
        quote!(false)
    } else {
        quote!(matches!(self, #(Self::#retryable_variants(_))|*))
    };
    let predicates = rows.iter().zip(&variants).map(|(r, v)| {
        let is = format_ident!("is_{}", r.name);
        let doc = outer(&[format!("Whether this is code {}: {}", r.code, r.meaning)]);
        quote! { #doc pub fn #is(&self) -> bool { matches!(self, Self::#v(_)) } }
    });
    let doc = outer(&[
        format!(
            "Service errors of `{}`: one variant per documented code.",
            spec.id
        ),
        String::new(),
        "Codes the spec does not list (including platform-wide ones) arrive as `Unhandled`. \
         Each variant keeps the full [`ApiError`](crate::ApiError): code, HTTP status, \
         server message, log id, troubleshooter link and violations."
            .into(),
    ]);
    let all = quote!(#(Self::#variants(e))|* | Self::Unhandled(e));
    let id = spec.id.as_str();
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum #name {
            #( #variant_docs #variants(crate::ApiError), )*
            /// A code the spec's error table does not list; see [`ApiError`](crate::ApiError).
            Unhandled(crate::ApiError),
        }

        impl #name {
            /// The error as the platform sent it.
            pub fn api_error(&self) -> &crate::ApiError {
                match self { #all => e }
            }

            /// The platform's error code.
            pub fn code(&self) -> i64 {
                self.api_error().code
            }

            /// The HTTP status of the response.
            pub fn http_status(&self) -> u16 {
                self.api_error().http_status
            }

            /// The server's message (`msg`).
            pub fn message(&self) -> &str {
                &self.api_error().message
            }

            /// The log id to quote when asking Lark support.
            pub fn log_id(&self) -> Option<&str> {
                self.api_error().log_id.as_deref()
            }

            /// What the code means, from the spec; `None` for `Unhandled`.
            pub fn meaning(&self) -> Option<&'static str> {
                match self {
                    #( Self::#variants(_) => Some(#meanings), )*
                    Self::Unhandled(_) => None,
                }
            }

            /// What to do about it, from the spec; `None` for `Unhandled`.
            pub fn advice(&self) -> Option<&'static str> {
                match self {
                    #( Self::#variants(_) => Some(#advice), )*
                    Self::Unhandled(_) => None,
                }
            }

            /// Whether sending the same request again can succeed, per the spec.
            pub fn is_retryable(&self) -> bool {
                #is_retryable
            }

            /// Whether the code is one the spec does not list.
            pub fn is_unhandled(&self) -> bool {
                matches!(self, Self::Unhandled(_))
            }

            #(#predicates)*
        }

        impl std::fmt::Display for #name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                crate::service_error::fmt_service_error(f, self.api_error(), self.meaning(), self.advice())
            }
        }

        impl std::error::Error for #name {}

        impl crate::service_error::FromApiError for #name {
            fn from_api_error(error: crate::ApiError) -> Self {
                match error.code {
                    #( #codes => Self::#variants(error), )*
                    _ => Self::Unhandled(error),
                }
            }
        }

        impl crate::ServiceError for #name {
            fn endpoint(&self) -> &'static str {
                #id
            }

            fn api_error(&self) -> &crate::ApiError {
                #name::api_error(self)
            }

            fn meaning(&self) -> Option<&'static str> {
                #name::meaning(self)
            }

            fn advice(&self) -> Option<&'static str> {
                #name::advice(self)
            }

            fn is_retryable(&self) -> bool {
                #name::is_retryable(self)
            }
        }
    }
}
