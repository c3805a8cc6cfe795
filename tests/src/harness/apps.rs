//! Which app the harness's fake impersonates: the credentials of the auth specs' examples,
//! and the app type an endpoint is exercised as. Both are read from the spec model, by rule,
//! so a new spec needs no harness code.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use lark_codegen::model::EndpointModel;
use lark_codegen::Model;

use crate::fake::{default_spec_dir, load_model, FakeAppType, FakeConfig};

/// The app credentials the spec examples use: the `example`s of the body fields named
/// `app_id`, `app_secret`, `app_ticket`, `app_access_token` and `tenant_key` of the
/// endpoints that take no access token (the auth endpoints, whose credentials are in the
/// body). A generated case calls such an endpoint with these values, so the harness's fake
/// accepts them: the app id and secret are its app's, the tickets and app tokens are
/// pre-issued ([`FakeConfig::extra_app_tickets`], [`FakeConfig::extra_app_tokens`]), and
/// the fake takes any tenant key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpecCredentials {
    /// The one example `app_id` (`None` if no spec has one).
    pub app_id: Option<String>,
    /// The one example `app_secret` (`None` if no spec has one).
    pub app_secret: Option<String>,
    /// Every distinct example `app_ticket`, sorted.
    pub app_tickets: Vec<String>,
    /// Every distinct example `app_access_token`, sorted.
    pub app_access_tokens: Vec<String>,
    /// Every distinct example `tenant_key`, sorted.
    pub tenant_keys: Vec<String>,
}

impl SpecCredentials {
    /// Reads the examples from `model`.
    ///
    /// # Errors
    /// If the specs give more than one example `app_id` or `app_secret` (a fake serves one
    /// app), naming the endpoints and their values.
    pub fn from_model(model: &Model) -> Result<SpecCredentials, String> {
        Ok(SpecCredentials {
            app_id: only_one(model, "app_id")?,
            app_secret: only_one(model, "app_secret")?,
            app_tickets: distinct(model, "app_ticket"),
            app_access_tokens: distinct(model, "app_access_token"),
            tenant_keys: distinct(model, "tenant_key"),
        })
    }

    /// A fake of `app_type` that accepts these credentials; what the specs do not give
    /// stays as in [`FakeConfig::default`].
    pub fn fake_config(&self, app_type: FakeAppType) -> FakeConfig {
        let default = FakeConfig::default();
        FakeConfig {
            app_id: self.app_id.clone().unwrap_or(default.app_id),
            app_secret: self.app_secret.clone().unwrap_or(default.app_secret),
            app_type,
            extra_app_tickets: self.app_tickets.clone(),
            extra_app_tokens: self.app_access_tokens.clone(),
            ..FakeConfig::default()
        }
    }
}

/// The app type an endpoint is exercised as: [`FakeAppType::Store`] when its spec's
/// `app_types` is `store` only, else [`FakeAppType::Custom`].
pub fn app_type_for(ep: &EndpointModel) -> FakeAppType {
    let types = &ep.spec.app_types;
    if !types.is_empty() && types.iter().all(|t| t == "store") {
        FakeAppType::Store
    } else {
        FakeAppType::Custom
    }
}

/// Whether an app of `app_type` may call `ep` (a spec without `app_types` allows any).
pub(crate) fn allows(ep: &EndpointModel, app_type: FakeAppType) -> bool {
    let name = match app_type {
        FakeAppType::Custom => "custom",
        FakeAppType::Store => "store",
    };
    let types = &ep.spec.app_types;
    types.is_empty() || types.iter().any(|t| t == name)
}

/// The model of the workspace's specs and its credentials, read once per process.
pub(crate) fn workspace() -> &'static (Model, SpecCredentials) {
    static WORKSPACE: OnceLock<Result<(Model, SpecCredentials), String>> = OnceLock::new();
    let loaded = WORKSPACE.get_or_init(|| {
        let model = load_model(&default_spec_dir()).map_err(|e| e.to_string())?;
        let creds = SpecCredentials::from_model(&model)?;
        Ok((model, creds))
    });
    match loaded {
        Ok(loaded) => loaded,
        Err(e) => panic!("harness: the workspace specs: {e}"),
    }
}

/// `(endpoint id, example)` of every string example of a body field named `field` of the
/// endpoints that take no access token.
fn examples<'m>(model: &'m Model, field: &str) -> Vec<(&'m str, &'m str)> {
    model
        .endpoints
        .iter()
        .filter(|ep| ep.needs_no_token())
        .flat_map(|ep| {
            ep.body
                .fields()
                .iter()
                .filter(|f| f.wire == field)
                .filter_map(|f| f.example.as_ref()?.as_str())
                .map(|example| (ep.spec.id.as_str(), example))
        })
        .collect()
}

fn distinct(model: &Model, field: &str) -> Vec<String> {
    let set: BTreeSet<&str> = examples(model, field).into_iter().map(|(_, e)| e).collect();
    set.into_iter().map(str::to_owned).collect()
}

fn only_one(model: &Model, field: &str) -> Result<Option<String>, String> {
    let found = examples(model, field);
    let values = distinct(model, field);
    if values.len() > 1 {
        let each: Vec<String> = found
            .iter()
            .map(|(id, example)| format!("{id}: {example:?}"))
            .collect();
        return Err(format!(
            "the endpoints without an access token give {} example `{field}`s, the fake serves one app: {}",
            values.len(),
            each.join(", ")
        ));
    }
    Ok(values.into_iter().next())
}
