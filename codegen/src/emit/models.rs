//! Models: serde structs with constructors for their required fields, and enums that keep
//! values they do not know.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::docs::{outer, wrap};
use super::ident;
use super::rust_types::{argument, field_type, serde_attr};
use crate::model::{EnumDef, FieldDef, VersionModel};

/// The `models.rs` of a service version: every named struct and enum.
pub fn models_module(v: &VersionModel) -> TokenStream {
    let doc = format!(
        " Types shared by the `{}` `{}` endpoints: the objects of their bodies and answers, and the enums of their fields and parameters.",
        v.service, v.version
    );
    let structs = v
        .structs
        .values()
        .map(|s| struct_item(&s.name, &s.description, &s.fields, true));
    let enums = v.enums.values().map(enum_item);
    quote! {
        #![doc = #doc]
        #(#structs)*
        #(#enums)*
    }
}

/// A serde struct with public fields, `new` taking the required ones, and `with_*` setters
/// for the others. `#[non_exhaustive]`, so that fields can be added; unknown fields in an
/// answer are ignored. A multipart form (`serde` false) is not serialized by serde.
pub fn struct_item(name: &str, description: &str, fields: &[FieldDef], serde: bool) -> TokenStream {
    struct_item_doc(name, wrap(description, 90), Vec::new(), fields, serde)
}

/// [`struct_item`] with its doc lines given; `tail` goes at the end of the doc (an
/// example).
pub fn struct_item_doc(
    name: &str,
    mut doc: Vec<String>,
    tail: Vec<String>,
    fields: &[FieldDef],
    serde: bool,
) -> TokenStream {
    let ty = ident(name);
    let required: Vec<&FieldDef> = fields.iter().filter(|f| f.required).collect();
    if !required.is_empty() {
        doc.push(String::new());
        doc.push(format!(
            "Build one with [`new`]({name}::new), which takes the required fields, and the `with_*` setters."
        ));
    }
    if !tail.is_empty() {
        doc.push(String::new());
        doc.extend(tail);
    }
    let doc = outer(&doc);
    let decls = fields.iter().map(|f| {
        let n = ident(&f.rust);
        let t = field_type(f, Some(name));
        let attr = if serde { serde_attr(f) } else { quote!() };
        let d = field_doc(f);
        quote! { #d #attr pub #n: #t }
    });
    let args = required.iter().map(|f| {
        let n = ident(&f.rust);
        let (arg, _) = argument(&f.ty, &quote!(#n), Some(name));
        quote!(#n: #arg)
    });
    let inits = fields.iter().map(|f| {
        let n = ident(&f.rust);
        if f.required {
            let (_, convert) = argument(&f.ty, &quote!(#n), Some(name));
            if n == convert.to_string() {
                quote!(#n)
            } else {
                quote!(#n: #convert)
            }
        } else {
            quote!(#n: Default::default())
        }
    });
    let setters = fields.iter().filter(|f| !f.required).map(|f| {
        let n = ident(&f.rust);
        let setter = format_ident!("with_{}", f.rust);
        let (arg, convert) = argument(&f.ty, &quote!(#n), Some(name));
        let value = if f.ty.is_collection() {
            convert
        } else {
            quote!(Some(#convert))
        };
        let d = outer(&[format!("Sets `{}`.", f.wire)]);
        quote! {
            #d
            pub fn #setter(mut self, #n: #arg) -> Self {
                self.#n = #value;
                self
            }
        }
    });
    let new_doc = if required.is_empty() {
        outer(&["An empty value: every field unset.".to_string()])
    } else {
        outer(&["A value with the required fields; the others unset.".to_string()])
    };
    let must_use = quote!(#[must_use]);
    // A struct with a credential gets a `Debug` that hides it.
    let redacting = fields.iter().any(|f| f.secret);
    let debug = if redacting { quote!() } else { quote!(Debug,) };
    let derives = if serde {
        quote!(#[derive(#debug Clone, PartialEq, serde::Serialize, serde::Deserialize)])
    } else {
        quote!(#[derive(#debug Clone, PartialEq)])
    };
    let debug_impl = redacting.then(|| redacted_debug(name, fields));
    let content_impl = content_method(name, fields);
    quote! {
        #doc
        #derives
        #[non_exhaustive]
        pub struct #ty {
            #(#decls,)*
        }

        impl #ty {
            #new_doc
            #must_use
            #[allow(clippy::new_without_default)]
            pub fn new(#(#args),*) -> Self {
                Self { #(#inits,)* }
            }

            #(#setters)*
        }

        #debug_impl
        #content_impl
    }
}

/// `Debug` showing `***` for the fields marked `secret`.
fn redacted_debug(name: &str, fields: &[FieldDef]) -> TokenStream {
    let ty = ident(name);
    let entries = fields.iter().map(|f| {
        let n = ident(&f.rust);
        let label = &f.rust;
        if f.secret {
            quote!(.field(#label, &"***"))
        } else {
            quote!(.field(#label, &self.#n))
        }
    });
    quote! {
        impl std::fmt::Debug for #ty {
            /// Shows every field but the credentials, which print as `***`.
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(#name) #(#entries)* .finish()
            }
        }
    }
}

/// `parsed_content()` for a field marked `message_content` (validation makes both it and
/// its sibling required strings).
fn content_method(name: &str, fields: &[FieldDef]) -> TokenStream {
    let Some((content, kind)) = fields.iter().find_map(|f| {
        let sibling = f.message_content.as_ref()?;
        Some((f, fields.iter().find(|s| &s.wire == sibling)?))
    }) else {
        return quote!();
    };
    let ty = ident(name);
    let c = ident(&content.rust);
    let k = ident(&kind.rust);
    let kind_str = if matches!(kind.ty, crate::model::Ty::Enum(_)) {
        quote!(self.#k.as_str())
    } else {
        quote!(&self.#k)
    };
    let doc = outer(&[
        format!(
            "`{}` decoded by `{}`: the typed content of the message.",
            content.wire, kind.wire
        ),
        String::new(),
        "A message type the SDK does not know gives `ReceivedContent::Unknown`; content that is not what its type promises gives an error naming the type.".to_string(),
    ]);
    quote! {
        #[cfg(feature = "im")]
        impl #ty {
            #doc
            pub fn parsed_content(&self) -> Result<crate::message_content::ReceivedContent, crate::message_content::ContentError> {
                crate::message_content::ReceivedContent::parse(#kind_str, &self.#c)
            }
        }
    }
}

fn field_doc(f: &FieldDef) -> TokenStream {
    let mut lines = match &f.description {
        Some(d) => wrap(d, 90),
        None => vec![format!("`{}`.", f.wire)],
    };
    if f.secret {
        lines.push(String::new());
        lines.push("A credential: `Debug` shows `***` instead.".to_string());
    }
    if let Some(max) = f.max_bytes {
        lines.push(String::new());
        lines.push(format!(
            "At most {max} bytes; checked before anything is sent."
        ));
    }
    outer(&lines)
}

/// An enum of wire strings with an `Unknown` variant, so that a value the platform adds
/// later decodes instead of failing.
pub fn enum_item(def: &EnumDef) -> TokenStream {
    let name = ident(&def.name);
    let doc = outer(&wrap(&def.description, 90));
    let variants: Vec<_> = def.values.iter().map(|v| ident(&v.variant)).collect();
    let variant_docs = def
        .values
        .iter()
        .map(|v| outer(&[format!("`{}`: {}", v.wire, v.description)]));
    let wire: Vec<&str> = def.values.iter().map(|v| v.wire.as_str()).collect();
    let param = def.name.as_str();
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum #name {
            #( #variant_docs #variants, )*
            /// A value this version of the SDK does not know, kept as it was sent.
            Unknown(String),
        }

        impl #name {
            /// The known values, as sent on the wire.
            pub const VALUES: &'static [&'static str] = &[#(#wire),*];

            /// The value sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    #( Self::#variants => #wire, )*
                    Self::Unknown(value) => value,
                }
            }

            /// The variant of a wire value; an unknown value is kept in `Unknown`.
            pub fn from_wire(value: &str) -> Self {
                match value {
                    #( #wire => Self::#variants, )*
                    other => Self::Unknown(other.to_string()),
                }
            }

            /// Whether this is a value the SDK does not know.
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::Unknown(_))
            }
        }

        impl std::fmt::Display for #name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for #name {
            type Err = crate::ParseEnumError;

            /// Parses a known wire value; anything else is an error listing the known ones
            /// (use [`from_wire`](Self::from_wire) to keep unknown values).
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                match Self::from_wire(value) {
                    Self::Unknown(_) => Err(crate::ParseEnumError::new(#param, value, Self::VALUES)),
                    known => Ok(known),
                }
            }
        }

        impl serde::Serialize for #name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Ok(Self::from_wire(&value))
            }
        }
    }
}
