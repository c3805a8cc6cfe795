//! `spec/<service>/<version>/import.json`: what the metadata cannot say, decided once by a
//! maintainer and applied by every import of the version (`cargo xtask import`, crate
//! `lark-import`). It lives here because `gen` reads it too: every spec of the version must
//! follow its enum decisions ([`crate::concepts`]).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::load::{Problem, SpecSource};

/// The import settings of one service version.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportConfig {
    /// `operationId` → spec id, where the derived id is not the one we want
    /// (`auth_auth_app_access_token` → `auth.v3.app_access_token.create`).
    #[serde(default)]
    pub ids: BTreeMap<String, String>,
    /// Where a schema is → the name of its type. Keys are JSON pointers into the document
    /// (`#/components/schemas/Data`, `#/components/schemas/Data/properties/body`) or
    /// operation-relative paths (`im.v1.chat.list:response.items[]`).
    #[serde(default)]
    pub type_names: BTreeMap<String, String>,
    /// Spec ids of list endpoints the metadata does not flag with `x-lark-pagination`.
    #[serde(default)]
    pub paginated: Vec<String>,
    /// Spec id → size limit of a download, for a new binary endpoint (an existing spec's
    /// `max_bytes` is kept).
    #[serde(default)]
    pub max_bytes: BTreeMap<String, u64>,
    /// Spec id → the token types it accepts, where the metadata is wrong (it lists
    /// `tenant` for message search, which takes a user token only). Each entry is a
    /// correction to review whenever the metadata changes.
    #[serde(default)]
    pub access_tokens: BTreeMap<String, Vec<String>>,
    /// Which enum a string parameter or field is (one type per concept per version; see
    /// [`crate::concepts`]). A key is either a Rust name (`member_id_type`: every parameter
    /// and field of that name in the version) or one place: `<spec id>:query.<name>`,
    /// `<spec id>:request.<field>`, `<spec id>:response.<field>`, `<Type>.<field>`, or
    /// `events.<event>.<field>`. A place's decision wins over its name's.
    #[serde(default)]
    pub enums: BTreeMap<String, EnumDecision>,
    /// Groups of enums with the same values that are different concepts (`ContainerIdType`
    /// and `GroupMessageType` are both `chat`/`thread`), which the generator would otherwise
    /// refuse as one concept under two names.
    #[serde(default)]
    pub distinct_enums: Vec<Vec<String>>,
}

/// A decision about the enum of a parameter or field (`import.json` `enums`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumDecision {
    /// The enum's name. On a place: that place is this enum, a concept of its own (two
    /// concepts sharing a parameter name, like the `sort_type` of chats and of messages). On
    /// a name: every place of that name is this enum, whatever the name (`owner_id_type` is a
    /// `MemberIdType`). Without it, the enum is named after the parameter or field.
    #[serde(rename = "type", default)]
    pub type_name: Option<String>,
    /// The documented values of a string the metadata gives as a free string
    /// (`container_id_type`: `chat`, `thread`): it becomes an enum with these values. The
    /// metadata's own values, when it has any, win.
    #[serde(default)]
    pub values: Option<Vec<String>>,
}

/// `spec/<service>/<version>/import.json` → (service, version).
pub fn config_file_of(path: &str) -> Option<(String, String)> {
    let parts: Vec<&str> = path.split('/').collect();
    let n = parts.len();
    (n >= 4 && parts[n - 1] == "import.json" && parts[n - 4] == "spec")
        .then(|| (parts[n - 3].to_string(), parts[n - 2].to_string()))
}

/// Parses an import.json. A problem names the file and the field (`.` for the whole file).
pub fn parse(source: &SpecSource) -> Result<ImportConfig, Problem> {
    let de = &mut serde_json::Deserializer::from_str(&source.text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        Problem {
            file: source.path.clone(),
            field: if path.is_empty() { ".".into() } else { path },
            message: e.into_inner().to_string(),
        }
    })
}

/// The import settings of one service version, as read from its `import.json`.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedConfig {
    /// `spec/im/v1/import.json`.
    pub path: String,
    /// `im`.
    pub service: String,
    /// `v1`.
    pub version: String,
    /// The settings.
    pub config: ImportConfig,
}
