//! The module tree and the client accessors: `client.im().v1().message()`.

use heck::ToUpperCamelCase;
use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::ident;

/// The services every build has: `auth` (the token cache sends its endpoints).
pub const ALWAYS_COMPILED: &[&str] = &["auth"];

/// `#[cfg(feature = "<service>")]` for a service behind a cargo feature.
fn feature_gate(service: &str) -> TokenStream {
    if ALWAYS_COMPILED.contains(&service) {
        quote!()
    } else {
        quote!(#[cfg(feature = #service)])
    }
}

/// The root module: one `pub mod` per service and its accessor on `Client`, each service
/// (but `auth`) behind the cargo feature of its name, so a build compiles only the services
/// it uses. A service with events and no endpoints (`card`) has no accessor.
pub fn root_module(services: &[(&str, bool)]) -> TokenStream {
    let mods = services.iter().map(|(s, _)| {
        let m = ident(s);
        let gate = feature_gate(s);
        quote!(#gate pub mod #m;)
    });
    let methods = services.iter().filter(|(_, api)| *api).map(|(s, _)| {
        let m = ident(s);
        let ty = ident(&format!("{}Api", s.to_upper_camel_case()));
        let doc = format!(" The `{s}` service.");
        let gate = feature_gate(s);
        quote! {
            #[doc = #doc]
            #gate
            pub fn #m(&self) -> #m::#ty<'_> {
                #m::#ty { client: self }
            }
        }
    });
    quote! {
        //! The generated API surface: one module per service, version, resource and endpoint.
        #( #mods )*

        impl crate::Client {
            #(#methods)*
        }
    }
}

fn accessor_struct(ty: &Ident, what: &str) -> TokenStream {
    let doc = format!(" Accessor for {what}.");
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, Copy)]
        pub struct #ty<'a> {
            pub(crate) client: &'a crate::Client,
        }
    }
}

/// A service module: its versions, and the accessor of those with endpoints.
pub fn service_module(service: &str, versions: &[(&str, bool)]) -> TokenStream {
    let ty = ident(&format!("{}Api", service.to_upper_camel_case()));
    let doc = format!(" The `{service}` service.");
    let mods = versions.iter().map(|(v, _)| ident(v));
    let with_api: Vec<&str> = versions
        .iter()
        .filter(|(_, api)| *api)
        .map(|(v, _)| *v)
        .collect();
    let accessor = (!with_api.is_empty()).then(|| {
        let decl = accessor_struct(&ty, &format!("the `{service}` service"));
        let methods = with_api.iter().map(|v| {
            let m = ident(v);
            let vty = version_type(service, v);
            let doc = format!(" Version `{v}` of `{service}`.");
            quote! {
                #[doc = #doc]
                pub fn #m(&self) -> #m::#vty<'a> {
                    #m::#vty { client: self.client }
                }
            }
        });
        quote! {
            #decl
            impl<'a> #ty<'a> { #(#methods)* }
        }
    });
    quote! {
        #![doc = #doc]
        #( pub mod #mods; )*
        #accessor
    }
}

fn version_type(service: &str, version: &str) -> Ident {
    ident(&format!(
        "{}{}Api",
        service.to_upper_camel_case(),
        version.to_upper_camel_case()
    ))
}

/// A version module: its resources, its shared models and its events (behind the `events`
/// feature).
pub fn version_module(
    service: &str,
    version: &str,
    resources: &[&str],
    models: bool,
    events: bool,
) -> TokenStream {
    let ty = version_type(service, version);
    let doc = format!(" Version `{version}` of the `{service}` service.");
    let mods = resources.iter().map(|r| ident(r));
    // Private modules re-exported: each type is documented once, at `<svc>::<ver>::Type`.
    let models = models.then(|| {
        quote! {
            mod models;
            pub use models::*;
        }
    });
    let errors = (!resources.is_empty()).then(|| {
        quote! {
            mod errors;
            pub use errors::ErrorCode;
        }
    });
    let events = events.then(|| {
        quote! {
            #[cfg(feature = "events")]
            pub mod events;
        }
    });
    let accessor = (!resources.is_empty()).then(|| {
        let decl = accessor_struct(&ty, &format!("`{service}` `{version}`"));
        let methods = resources.iter().map(|r| {
            let m = ident(r);
            let rty = resource_type(r);
            let doc = format!(" The `{r}` resource.");
            quote! {
                #[doc = #doc]
                pub fn #m(&self) -> #m::#rty<'a> {
                    #m::#rty { client: self.client }
                }
            }
        });
        quote! {
            #decl
            impl<'a> #ty<'a> { #(#methods)* }
        }
    });
    quote! {
        #![doc = #doc]
        #models
        #errors
        #events
        #( pub mod #mods; )*
        #accessor
    }
}

/// A resource module: its endpoints, their re-exported types, its accessor.
pub fn resource_module(
    service: &str,
    version: &str,
    resource: &str,
    endpoints: &[(&str, Vec<String>)],
) -> TokenStream {
    let ty = resource_type(resource);
    let doc = format!(" The `{resource}` resource of `{service}` `{version}`.");
    let decl = accessor_struct(&ty, &format!("the `{resource}` resource"));
    let mods = endpoints.iter().map(|(m, _)| ident(m));
    let reexports = endpoints.iter().map(|(m, names)| {
        let m = ident(m);
        let names = names.iter().map(|n| ident(n));
        quote!(pub use #m::{#(#names),*};)
    });
    // Private modules re-exported: each type is documented once, at the resource.
    quote! {
        #![doc = #doc]
        #( mod #mods; )*
        #(#reexports)*
        #decl
    }
}

/// The accessor type of a resource: `MessageApi` (not `Message`, which is a model).
pub fn resource_type(resource: &str) -> Ident {
    ident(&format!("{}Api", resource.to_upper_camel_case()))
}
