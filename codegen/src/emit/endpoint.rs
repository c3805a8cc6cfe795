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
    let imports = imports(ep);
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
    let mut serde_structs = vec![(ep.response.fields(), StructKind::ANSWER.lenient)];
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

/// `use super::super::{…}` of the shared types the module names.
fn imports(ep: &EndpointModel) -> TokenStream {
    let mut names = Vec::new();
    for p in ep.path_params.iter().chain(&ep.query_params) {
        uses_type(&p.ty, &mut names);
    }
    for f in ep.body.fields().iter().chain(ep.response.fields()) {
        uses_type(&f.ty, &mut names);
    }
    let names: BTreeSet<&str> = names.into_iter().collect();
    if names.is_empty() {
        return quote!();
    }
    let names = names.into_iter().map(ident);
    quote!(use super::super::models::{#(#names),*};)
}
