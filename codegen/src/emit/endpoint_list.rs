//! The endpoint list of README.md, generated from the specs (a section of the README between
//! markers; see `files.rs`).

use crate::model::{BodyModel, Model, ResponseModel};

/// Where the list goes: the `endpoints` section of README.md.
pub const ENDPOINT_LIST: &str = "README.md#endpoints";

/// The Markdown table of every endpoint.
pub fn endpoint_list(model: &Model) -> String {
    let mut out = format!(
        "{} endpoints, generated from `spec/` (the call is `client.<service>().<version>().<resource>().<method>(…)`):\n\n\
         | endpoint | what it does | HTTP | tokens | shape |\n|---|---|---|---|---|\n",
        model.endpoints.len()
    );
    for ep in &model.endpoints {
        let tokens = if ep.spec.access_tokens.is_empty() {
            "app credentials".to_string()
        } else {
            ep.spec.access_tokens.join(", ")
        };
        let mut shape = match (&ep.body, &ep.response) {
            (BodyModel::Multipart(_), _) => "upload".to_string(),
            (_, ResponseModel::Binary(_)) => "download".to_string(),
            (_, ResponseModel::Empty) => "action".to_string(),
            _ => "JSON".to_string(),
        };
        if ep.pagination.is_some() {
            shape.push_str(", paginated");
        }
        if ep.idempotency_key.is_some() {
            shape.push_str(", sent once");
        }
        out.push_str(&format!(
            "| [`{}`]({}) | {} | `{} {}` | {} | {} |\n",
            ep.spec.id,
            ep.spec.doc_url,
            ep.spec.summary.replace('|', "\\|"),
            ep.spec.http_method,
            ep.spec.path,
            tokens,
            shape
        ));
    }
    out
}
