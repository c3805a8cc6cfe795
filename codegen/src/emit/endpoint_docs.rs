//! The docs of an endpoint: the module's summary, the accessor's facts list and a usage
//! example. The examples are not doctests (one binary each would dominate the test time):
//! `tests/tests/generated/examples.rs` compiles every one of them as a function.

use super::examples;
use crate::model::{EndpointModel, ResponseModel, VersionModel};

/// The module's inner doc lines: the summary and the request line (the facts are on the
/// accessor method).
pub fn module_doc_lines(ep: &EndpointModel) -> Vec<String> {
    let spec = &ep.spec;
    vec![
        spec.summary.clone(),
        String::new(),
        format!("`{} {}`", spec.http_method, spec.path),
    ]
}

/// The facts list shared by the module and the accessor docs.
pub fn facts_lines(ep: &EndpointModel) -> Vec<String> {
    let spec = &ep.spec;
    let tokens = if spec.access_tokens.is_empty() {
        "none (the app's credentials are in the body)".to_string()
    } else {
        spec.access_tokens
            .iter()
            .map(|t| format!("`{t}_access_token`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
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
    if ep.user_token_only() {
        lines.push(
            "- Acts as a user only: the `user_access_token` is the accessor's first argument"
                .into(),
        );
    } else if spec.access_tokens.len() > 1 && spec.access_tokens.iter().any(|t| t == "user") {
        lines.push(
            "- Sent as the app by default; `.user_access_token(…)` sends it as a user".into(),
        );
    }
    if !spec.scopes_any_of.is_empty() {
        let scopes = spec
            .scopes_any_of
            .iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", ");
        lines.push(format!("- Scopes (any one of): {scopes}"));
    }
    if let ResponseModel::Binary(max_bytes) = ep.response {
        lines.push(format!(
            "- Response: a binary stream of at most {} ({max_bytes} bytes), enforced while streaming",
            human_bytes(max_bytes)
        ));
    }
    for f in ep.body.fields().iter().filter(|f| f.max_bytes.is_some()) {
        let max = f.max_bytes.unwrap_or_default();
        lines.push(format!(
            "- Upload: `{}` of at most {} ({max} bytes) and not empty, checked before sending",
            f.wire,
            human_bytes(max)
        ));
    }
    if ep.pagination.is_some() {
        lines.push("- Paginated: `.items()` and `.pages()` stream every page".into());
    }
    if let Some(key) = &ep.idempotency_key {
        lines.push(format!(
            "- Sent once: `{key}` is filled with a fresh key when not given, and every retry of the call carries the same one"
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

fn prefix(ep: &EndpointModel) -> String {
    format!("lark_openapi::{}::{}::", ep.service, ep.version)
}

/// A usage example (`ignore`d by rustdoc: the generated examples test compiles it).
pub fn example_lines(ep: &EndpointModel, v: &VersionModel) -> Vec<String> {
    let mut lines = vec![
        "# Example".to_string(),
        String::new(),
        "```ignore".to_string(),
    ];
    lines.extend(example_body(ep, v));
    lines.push("```".into());
    lines
}

/// The example's code: a body for `async fn example(client: lark_openapi::Client) ->
/// Result<(), lark_openapi::Error>`.
pub fn example_body(ep: &EndpointModel, v: &VersionModel) -> Vec<String> {
    let args: Vec<String> = examples::call_arguments(ep, v, &prefix(ep))
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    let mut lines = Vec::new();
    let call = |lines: &mut Vec<String>| {
        lines.push(format!(
            "    .{}().{}().{}()",
            ep.service, ep.version, ep.resource
        ));
        lines.push(format!("    .{}(", ep.method));
        for a in &args {
            lines.push(format!("        {a},"));
        }
        lines.push("    )".into());
    };
    if ep.pagination.is_some() {
        lines.push("use futures_util::TryStreamExt;".into());
        lines.push("let mut items = client".into());
        call(&mut lines);
        lines.push("    .items();".into());
        lines.push("while let Some(item) = items.try_next().await? {".into());
        lines.push("    println!(\"{item:?}\");".into());
        lines.push("}".into());
    } else {
        lines.push("let response = client".into());
        call(&mut lines);
        lines.push("    .send()".into());
        lines.push("    .await?;".into());
        match ep.response {
            ResponseModel::Binary(_) => {
                lines.push("let saved = response.save_to(\"downloads/\").await?;".into());
                lines.push("println!(\"saved to {}\", saved.display());".into());
            }
            ResponseModel::Empty => {
                lines.push("println!(\"done; log id {:?}\", response.log_id());".into())
            }
            _ => lines.push("println!(\"{response:?}\");".into()),
        }
    }
    lines
}
