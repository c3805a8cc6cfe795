//! Models: serde structs with constructors for their required fields, and enums that keep
//! values they do not know.

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::quote;

use super::docs::{outer, wrap};
use super::ident;
use super::rust_types::{argument, codec_import, field_type, serde_attr};
use crate::model::{constructor_fields, EnumDef, FieldDef, VersionModel};

/// The `models.rs` of a service version: every named struct and enum. `sent` names the
/// structs a request body reaches: they get `new` and setters; the others are only
/// received.
pub fn models_module(v: &VersionModel, sent: &BTreeSet<String>) -> TokenStream {
    let doc = format!(
        " Types shared by the `{}` `{}` endpoints: the objects of their bodies and answers, and the enums of their fields and parameters.",
        v.service, v.version
    );
    let structs = v.structs.values().map(|s| {
        let kind = if sent.contains(&s.name) {
            StructKind::MODEL
        } else {
            StructKind::RECEIVED
        };
        struct_item(&s.name, &s.description, &s.fields, kind)
    });
    let enums = v.enums.values().map(enum_item);
    let codec = codec_import(
        v.structs
            .values()
            .map(|s| (s.fields.as_slice(), StructKind::MODEL.lenient)),
    );
    quote! {
        #![doc = #doc]
        #codec
        #(#structs)*
        #(#enums)*
    }
}

/// What a generated struct is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StructKind {
    /// Derives serde (a multipart form is not serialized by serde).
    pub serde: bool,
    /// String fields also accept a JSON number, as its decimal text (what is decoded:
    /// models, answers, events; a request body is only sent).
    pub lenient: bool,
    /// The answer of an endpoint: it carries the log id of the answer it was decoded from
    /// (a private field, `log_id()`, `impl Output`).
    pub answer: bool,
    /// Has `new` (the required fields) and a setter per optional field: it is sent.
    pub builder: bool,
}

impl StructKind {
    /// A shared model or an event.
    pub const MODEL: StructKind = StructKind {
        serde: true,
        lenient: true,
        answer: false,
        builder: true,
    };
    /// A shared model no request sends, or an event: only received.
    pub const RECEIVED: StructKind = StructKind {
        serde: true,
        lenient: true,
        answer: false,
        builder: false,
    };
    /// A JSON body (sent, never decoded).
    pub const JSON_BODY: StructKind = StructKind {
        serde: true,
        lenient: false,
        answer: false,
        builder: true,
    };
    /// A multipart form.
    pub const FORM: StructKind = StructKind {
        serde: false,
        lenient: false,
        answer: false,
        builder: true,
    };
    /// An endpoint's answer.
    pub const ANSWER: StructKind = StructKind {
        serde: true,
        lenient: true,
        answer: true,
        builder: false,
    };
}

/// The private field of an answer holding its log id; a name no platform field has.
const LOG_ID_FIELD: &str = "lark_log_id";

/// A serde struct with public fields, `new` taking the required ones, and `with_*` setters
/// for the others. `#[non_exhaustive]`, so that fields can be added; unknown fields in an
/// answer are ignored.
pub fn struct_item(
    name: &str,
    description: &str,
    fields: &[FieldDef],
    kind: StructKind,
) -> TokenStream {
    struct_item_doc(name, wrap(description, 90), Vec::new(), fields, kind)
}

/// [`struct_item`] with its doc lines given; `tail` goes at the end of the doc (an
/// example).
pub fn struct_item_doc(
    name: &str,
    mut doc: Vec<String>,
    tail: Vec<String>,
    fields: &[FieldDef],
    kind: StructKind,
) -> TokenStream {
    let serde = kind.serde;
    let ty = ident(name);
    let required = constructor_fields(fields);
    if kind.builder && !required.is_empty() {
        doc.push(String::new());
        doc.push(format!(
            "Build one with [`new`]({name}::new) (the required fields) and the setters."
        ));
    }
    if kind.answer {
        doc.push(String::new());
        doc.extend(wrap(&format!(
            "[`log_id`]({name}::log_id) gives the log id (`x-tt-logid`) of the answer, which the platform's support asks for."
        ), 90));
    }
    if !tail.is_empty() {
        doc.push(String::new());
        doc.extend(tail);
    }
    let doc = outer(&doc);
    let mut decls: Vec<TokenStream> = fields
        .iter()
        .map(|f| {
            let n = ident(&f.rust);
            let t = field_type(f, Some(name));
            let attr = if serde {
                serde_attr(f, kind.lenient)
            } else {
                quote!()
            };
            let d = field_doc(f);
            quote! { #d #attr pub #n: #t }
        })
        .collect();
    let log_id = ident(LOG_ID_FIELD);
    if kind.answer {
        decls.push(quote! { #[serde(skip)] #log_id: Option<String> });
    }
    let args = required.iter().map(|f| {
        let n = ident(&f.rust);
        let (arg, _) = argument(&f.ty, &quote!(#n), Some(name));
        quote!(#n: #arg)
    });
    let mut inits: Vec<TokenStream> = fields
        .iter()
        .map(|f| {
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
        })
        .collect();
    if kind.answer {
        inits.push(quote!(#log_id: None));
    }
    let setters = fields
        .iter()
        .filter(|f| !f.required && kind.builder)
        .map(|f| {
            let n = ident(&f.rust);
            let (arg, convert) = argument(&f.ty, &quote!(#n), Some(name));
            let value = if f.ty.is_collection() {
                convert
            } else {
                quote!(Some(#convert))
            };
            let d = format!(" Sets [`{}`](Self::{}).", f.rust, f.rust);
            quote! {
                #[doc = #d]
                pub fn #n(mut self, #n: #arg) -> Self {
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
    // `log_id()` and `impl Output`, written once by the runtime's `answer!`.
    let output_impl = kind.answer.then(|| quote!(crate::answer!(#ty);));
    let constructor = kind.builder.then(|| {
        quote! {
            #new_doc
            #must_use
            #[allow(clippy::new_without_default)]
            pub fn new(#(#args),*) -> Self {
                Self { #(#inits,)* }
            }
        }
    });
    let methods = kind.builder.then(|| {
        quote! {
            impl #ty {
                #constructor
                #(#setters)*
            }
        }
    });
    quote! {
        #doc
        #derives
        #[non_exhaustive]
        pub struct #ty {
            #(#decls,)*
        }

        #methods

        #output_impl
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
    if let Some(values) = &f.accepted {
        lines.push(String::new());
        lines.push(super::docs::accepted_line(values));
    }
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
/// later decodes instead of failing (a JSON number decodes as its decimal text); the
/// runtime's `wire_enum!` writes its impls (`as_str`, `from_wire`, `Display`, `FromStr`,
/// serde).
pub fn enum_item(def: &EnumDef) -> TokenStream {
    let name = ident(&def.name);
    let doc = outer(&wrap(&def.description, 90));
    let values = def.values.iter().map(|v| {
        let variant = ident(&v.variant);
        let wire = &v.wire;
        let doc = format!("`{}`: {}", v.wire, v.description);
        quote!(#variant #wire #doc,)
    });
    quote! {
        crate::wire_enum! {
            #doc
            pub enum #name { #(#values)* }
        }
    }
}
