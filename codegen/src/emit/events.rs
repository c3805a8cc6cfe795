//! The events of a service version: `sdk/src/generated/<service>/<version>/events.rs`, one
//! serde struct per event spec, implementing `crate::events::Event` (and `Callback` for
//! callbacks), with a doc example registering a handler.

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::quote;

use super::docs::wrap;
use super::ident;
use super::models::{struct_item_doc, StructKind};
use super::rust_types::{codec_import, uses_type};
use crate::model::{EventModel, Ty, VersionModel};

/// The module of a version's events (`events` is never empty).
pub fn events_module(
    service: &str,
    version: &str,
    events: &[&EventModel],
    v: Option<&VersionModel>,
) -> TokenStream {
    let module_doc = format!(
        " The events of `{service}` `{version}` that the platform pushes to an app, by webhook or over the long connection: one type per event. Register a handler for one with `lark_openapi::events::Dispatcher` (`.on::<Type, _, _>(…)`, or `.on_callback` for a callback)."
    );
    let mut names = Vec::new();
    for e in events {
        for f in &e.fields {
            uses_type(&f.ty, &mut names);
        }
    }
    let names: BTreeSet<&str> = names.into_iter().collect();
    let codec = codec_import(
        events
            .iter()
            .map(|e| (e.fields.as_slice(), StructKind::RECEIVED.lenient)),
    );
    let imports = if names.is_empty() {
        quote!()
    } else {
        let names = names.into_iter().map(ident);
        quote!(use super::models::{#(#names),*};)
    };
    let types: Vec<&str> = events.iter().map(|e| e.spec.event_type.as_str()).collect();
    let list_doc = format!(
        " The event types of `{service}` `{version}` with a type in this module, as the platform names them."
    );
    let items = events.iter().map(|e| event_item(service, version, e, v));
    quote! {
        #![doc = #module_doc]
        #codec
        #imports

        #[doc = #list_doc]
        pub const EVENT_TYPES: &[&str] = &[#(#types),*];

        #(#items)*
    }
}

/// A required field of the event whose object type has `parsed_content()`.
fn content_field<'a>(e: &'a EventModel, v: Option<&VersionModel>) -> Option<&'a str> {
    e.fields.iter().find_map(|f| match &f.ty {
        Ty::Object(name) if f.required => v?
            .structs
            .get(name)?
            .fields
            .iter()
            .any(|g| g.message_content.is_some())
            .then_some(f.rust.as_str()),
        _ => None,
    })
}

fn event_item(
    service: &str,
    version: &str,
    e: &EventModel,
    v: Option<&VersionModel>,
) -> TokenStream {
    let spec = &e.spec;
    let mut doc = wrap(&spec.summary, 90);
    if let Some(description) = &spec.description {
        doc.push(String::new());
        doc.extend(wrap(description, 90));
    }
    doc.push(String::new());
    let envelope = if spec.schema == "1.0" {
        "a schema 1.0 envelope (`event.type`)"
    } else {
        "a schema 2.0 envelope (`header.event_type`)"
    };
    doc.push(format!(
        "Event type `{}`, in {envelope}; see [the platform's page]({}).",
        spec.event_type, spec.doc_url
    ));
    if e.callback {
        doc.push(String::new());
        doc.extend(wrap(
            "A callback: the handler's answer (a toast, a new card, or nothing) goes back to the platform, so register it with `on_callback`; it must answer within the platform's time limit.",
            90,
        ));
    }
    let mut example = vec!["```no_run".to_string()];
    let ty = &e.type_name;
    let path = format!("lark_openapi::{service}::{version}::events::{ty}");
    if e.callback {
        example.push(
            "use lark_openapi::events::{CallbackAnswer, Dispatcher, EventContext, Toast};".into(),
        );
        example.push(format!("use {path};"));
        example.push(String::new());
        example.push("let dispatcher = Dispatcher::builder()".into());
        example.push(format!(
            "    .on_callback::<{ty}, _, _>(|ctx: EventContext<{ty}>| async move {{"
        ));
        example.push("        let _ = ctx.event;".into());
        example.push("        Ok(CallbackAnswer::toast(Toast::info(\"Done\")))".into());
    } else {
        example.push("use lark_openapi::events::{Dispatcher, EventContext};".into());
        example.push(format!("use {path};"));
        example.push(String::new());
        example.push("let dispatcher = Dispatcher::builder()".into());
        example.push(format!(
            "    .on::<{ty}, _, _>(|ctx: EventContext<{ty}>| async move {{"
        ));
        match content_field(e, v) {
            Some(field) => {
                example.push(
                    "        // The typed content, decoded by its message type (text, post, file, …)."
                        .into(),
                );
                example.push(format!(
                    "        let content = ctx.event.{field}.parsed_content()?;"
                ));
                example.push("        let _ = (ctx.header.event_id, content);".into());
            }
            None => example.push("        let _ = (ctx.header.event_id, ctx.event);".into()),
        }
        example.push("        Ok(())".into());
    }
    example.push("    })".into());
    example.push("    .build();".into());
    example.push("```".into());
    let name = ident(ty);
    let event_type = spec.event_type.as_str();
    let item = struct_item_doc(ty, doc, example, &e.fields, StructKind::RECEIVED);
    let callback = e
        .callback
        .then(|| quote!(impl crate::events::Callback for #name {}));
    quote! {
        #item

        impl crate::events::Event for #name {
            const EVENT_TYPE: &'static str = #event_type;
        }

        #callback
    }
}
