//! Card content (`msg_type` `interactive`): a card's JSON, a template built in the card
//! builder tool, or a card entity created with the CardKit API.

use serde::Serialize;
use serde_json::{Map, Value};

use super::{to_json_string, MessageContent};

/// A card sent as its full JSON (schema 1.0 or 2.0), as the card builder tool exports it or
/// as built in code.
///
/// Card variables only work with [`TemplateCard`]; a card sent as JSON is shown as given.
///
/// ```
/// use lark_openapi::message_content::{Card, MessageContent};
/// use serde_json::json;
///
/// let card = Card::new(json!({
///     "schema": "2.0",
///     "header": {"title": {"tag": "plain_text", "content": "Today"}, "template": "blue"},
///     "body": {"elements": [{"tag": "markdown", "content": "**3** builds passed"}]}
/// }));
/// assert_eq!(card.msg_type(), "interactive");
/// let content: serde_json::Value = serde_json::from_str(&card.to_content_string())?;
/// assert_eq!(content["schema"], "2.0");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    card: Value,
}

impl Card {
    /// A card from its JSON value.
    pub fn new(card: Value) -> Self {
        Card { card }
    }

    /// A card from any serializable value (typed card structs of your own, for example).
    ///
    /// Fails only when `card` cannot be represented as JSON (a map with non-string keys, or
    /// a `Serialize` implementation that reports an error).
    pub fn from_serialize<T: Serialize + ?Sized>(card: &T) -> Result<Self, serde_json::Error> {
        serde_json::to_value(card).map(Card::new)
    }

    /// A card built in the card builder tool, sent by template id; see [`TemplateCard`].
    pub fn template(template_id: impl Into<String>) -> TemplateCard {
        TemplateCard::new(template_id)
    }

    /// A card entity created with the CardKit API, sent by id; see [`CardEntity`].
    pub fn entity(card_id: impl Into<String>) -> CardEntity {
        CardEntity::new(card_id)
    }

    /// The card's JSON.
    pub fn as_value(&self) -> &Value {
        &self.card
    }

    /// The card's JSON.
    pub fn into_value(self) -> Value {
        self.card
    }
}

impl From<Value> for Card {
    fn from(card: Value) -> Self {
        Card::new(card)
    }
}

impl MessageContent for Card {
    fn msg_type(&self) -> &'static str {
        "interactive"
    }

    fn to_content_string(&self) -> String {
        to_json_string(&self.card)
    }
}

/// A card built in the card builder tool, sent by its template id with values for its
/// variables:
///
/// ```json
/// {"type": "template", "data": {"template_id": "…", "template_version_name": "1.0.0", "template_variable": {…}}}
/// ```
///
/// Without [`version_name`](TemplateCard::version_name) the platform uses the latest
/// published version. `template_variable` is left out when no variable is set.
///
/// ```
/// use lark_openapi::message_content::{Card, MessageContent};
/// use serde_json::json;
///
/// let card = Card::template("AAqigYkzabcef")
///     .version_name("1.0.0")
///     .variable("open_id", "ou_d506829e8b6a17607e56bcd6b1aabcef")
///     .variable("items", json!([{"name": "build", "ok": true}]));
/// assert_eq!(card.msg_type(), "interactive");
/// let content: serde_json::Value = serde_json::from_str(&card.to_content_string())?;
/// assert_eq!(
///     content,
///     json!({
///         "type": "template",
///         "data": {
///             "template_id": "AAqigYkzabcef",
///             "template_version_name": "1.0.0",
///             "template_variable": {
///                 "open_id": "ou_d506829e8b6a17607e56bcd6b1aabcef",
///                 "items": [{"name": "build", "ok": true}]
///             }
///         }
///     })
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateCard {
    template_id: String,
    version_name: Option<String>,
    variables: Map<String, Value>,
}

impl TemplateCard {
    /// A template card with the given template id (such as `AAqigYkzabcef`).
    pub fn new(template_id: impl Into<String>) -> Self {
        TemplateCard {
            template_id: template_id.into(),
            version_name: None,
            variables: Map::new(),
        }
    }

    /// Pins a published version of the template (`template_version_name`, such as `1.0.0`).
    pub fn version_name(mut self, version_name: impl Into<String>) -> Self {
        self.version_name = Some(version_name.into());
        self
    }

    /// Sets a variable, replacing an earlier value of the same name. Strings, numbers,
    /// booleans and `serde_json::json!` values all convert.
    pub fn variable(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.variables.insert(name.into(), value.into());
        self
    }

    /// Sets every variable of `variables`, replacing earlier values of the same names.
    pub fn variables<K: Into<String>, V: Into<Value>>(
        mut self,
        variables: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        for (name, value) in variables {
            self.variables.insert(name.into(), value.into());
        }
        self
    }

    /// The template id.
    pub fn template_id(&self) -> &str {
        &self.template_id
    }

    /// The variables set so far.
    pub fn variables_map(&self) -> &Map<String, Value> {
        &self.variables
    }
}

/// The wire shape of a template or entity card.
#[derive(Serialize)]
struct Reference<'a, D> {
    #[serde(rename = "type")]
    kind: &'static str,
    data: &'a D,
}

/// The `data` object of a template card.
#[derive(Serialize)]
struct TemplateData<'a> {
    template_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    template_version_name: Option<&'a str>,
    #[serde(skip_serializing_if = "no_variables")]
    template_variable: &'a Map<String, Value>,
}

/// Whether a template card sets no variable (`template_variable` is then left out).
fn no_variables(variables: &&Map<String, Value>) -> bool {
    variables.is_empty()
}

impl MessageContent for TemplateCard {
    fn msg_type(&self) -> &'static str {
        "interactive"
    }

    fn to_content_string(&self) -> String {
        let data = TemplateData {
            template_id: &self.template_id,
            template_version_name: self.version_name.as_deref(),
            template_variable: &self.variables,
        };
        to_json_string(&Reference {
            kind: "template",
            data: &data,
        })
    }
}

/// A card entity, created beforehand with the CardKit "create card" call, sent by its id:
/// `{"type": "card", "data": {"card_id": "…"}}`. This is the form for cards that are later
/// updated in parts or streamed.
///
/// ```
/// use lark_openapi::message_content::{Card, MessageContent};
///
/// let card = Card::entity("7371713483664506900");
/// assert_eq!(card.to_content_string(), r#"{"type":"card","data":{"card_id":"7371713483664506900"}}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CardEntity {
    card_id: String,
}

impl CardEntity {
    /// The card entity with the given id.
    pub fn new(card_id: impl Into<String>) -> Self {
        CardEntity {
            card_id: card_id.into(),
        }
    }

    /// The card id.
    pub fn card_id(&self) -> &str {
        &self.card_id
    }
}

/// The `data` object of an entity card.
#[derive(Serialize)]
struct EntityData<'a> {
    card_id: &'a str,
}

impl MessageContent for CardEntity {
    fn msg_type(&self) -> &'static str {
        "interactive"
    }

    fn to_content_string(&self) -> String {
        to_json_string(&Reference {
            kind: "card",
            data: &EntityData {
                card_id: &self.card_id,
            },
        })
    }
}
