//! One endpoint module: the request, its body and answer types, the `Operation` impls, and
//! the call's alias with its setters.

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::quote;

use super::docs;
use super::endpoint_docs::module_doc_lines;
use super::ident;
use super::models::{struct_item, StructKind};
use super::operation::operation_impls;
use super::request::{call, request_struct};
use super::rust_types::{codec_import, uses_type};
use crate::model::{BodyModel, EndpointModel, ResponseModel, VersionModel};

/// The module of one endpoint.
pub fn endpoint_module(ep: &EndpointModel, v: &VersionModel) -> TokenStream {
    let module_doc = docs::inner(&module_doc_lines(ep));
    let shared = shared_answer(ep, v);
    let imports = imports(ep, shared);
    let body = if ep.body.fields().is_empty() {
        quote!()
    } else {
        let description = format!("The body of `{}`.", ep.spec.id);
        let kind = if matches!(ep.body, BodyModel::Json(_)) {
            StructKind::JSON_BODY
        } else {
            StructKind::FORM
        };
        struct_item(&ep.names.body, &description, ep.body.fields(), kind)
    };
    let response = match &ep.response {
        ResponseModel::Json(_) if shared.is_some() => {
            let model = ident(shared.unwrap_or_default());
            let name = ident(&ep.names.response);
            let doc = format!(
                " The answer of `{}`: a [`{}`], with the answer's log id ([`Answered`](crate::Answered)).",
                ep.spec.id,
                shared.unwrap_or_default()
            );
            quote! {
                #[doc = #doc]
                pub type #name = crate::Answered<#model>;
            }
        }
        ResponseModel::Json(fields) | ResponseModel::Flat(fields) => {
            let description = format!("The answer of `{}`.", ep.spec.id);
            struct_item(&ep.names.response, &description, fields, StructKind::ANSWER)
        }
        ResponseModel::Empty => {
            let description = format!(
                "The answer of `{}`: the platform sends no data, only its log id.",
                ep.spec.id
            );
            struct_item(&ep.names.response, &description, &[], StructKind::ANSWER)
        }
        ResponseModel::Binary(_) => quote!(),
    };
    // A multipart form is not serialized by serde: only a JSON body and the answer name codecs.
    let answer_fields: &[_] = if shared.is_some() {
        &[]
    } else {
        ep.response.fields()
    };
    let mut serde_structs = vec![(answer_fields, StructKind::ANSWER.lenient)];
    if matches!(ep.body, BodyModel::Json(_)) {
        serde_structs.push((ep.body.fields(), StructKind::JSON_BODY.lenient));
    }
    let codec = codec_import(serde_structs);
    let request = request_struct(ep);
    let operation = operation_impls(ep);
    let call = call(ep, v);
    quote! {
        #module_doc
        use crate::operation as op;
        use super::super::ErrorCode;
        #codec
        #imports
        #request
        #body
        #response
        #operation
        #call
    }
}

/// The shared model a JSON answer is exactly (the same fields, names, types and
/// presence, in the same order; at least four of them): the answer is then that model with
/// its log id, not a copy of it.
fn shared_answer<'v>(ep: &EndpointModel, v: &'v VersionModel) -> Option<&'v str> {
    const MIN_FIELDS: usize = 4;
    let ResponseModel::Json(fields) = &ep.response else {
        return None;
    };
    if fields.len() < MIN_FIELDS {
        return None;
    }
    let same = |a: &crate::model::FieldDef, b: &crate::model::FieldDef| {
        a.wire == b.wire
            && a.rust == b.rust
            && a.ty == b.ty
            && a.required == b.required
            && a.message_content == b.message_content
            && a.secret == b.secret
    };
    v.structs
        .values()
        .find(|s| {
            s.fields.len() == fields.len() && s.fields.iter().zip(fields).all(|(a, b)| same(a, b))
        })
        .map(|s| s.name.as_str())
}

/// `use super::super::{…}` of the shared types the module names.
fn imports<'a>(ep: &'a EndpointModel, shared: Option<&'a str>) -> TokenStream {
    let mut names = Vec::new();
    for p in ep.path_params.iter().chain(&ep.query_params) {
        uses_type(&p.ty, &mut names);
    }
    let answer: &[_] = if shared.is_some() {
        &[]
    } else {
        ep.response.fields()
    };
    for f in ep.body.fields().iter().chain(answer) {
        uses_type(&f.ty, &mut names);
    }
    if let Some(model) = shared {
        names.push(model);
    }
    let names: BTreeSet<&str> = names.into_iter().collect();
    if names.is_empty() {
        return quote!();
    }
    let names = names.into_iter().map(ident);
    quote!(use super::super::models::{#(#names),*};)
}
