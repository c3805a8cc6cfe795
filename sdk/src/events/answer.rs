//! The answer to a callback (`card.action.trigger`): a toast and/or a new card.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

/// What a callback handler answers: optionally a toast shown to the user and optionally a card
/// replacing the one that was clicked. Serialized as the platform expects:
/// `{"toast": {"type", "content", "i18n"}, "card": {"type": "raw" | "template", "data"}}`.
///
/// ```
/// use lark_openapi::events::{CallbackAnswer, Toast};
/// use serde_json::json;
///
/// let answer = CallbackAnswer::toast(Toast::success("Saved"))
///     .with_card(json!({"elements": [{"tag": "markdown", "content": "done"}]}));
/// assert_eq!(answer.to_json()["toast"]["type"], "success");
/// assert_eq!(answer.to_json()["card"]["type"], "raw");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CallbackAnswer {
    #[serde(skip_serializing_if = "Option::is_none")]
    toast: Option<Toast>,
    #[serde(skip_serializing_if = "Option::is_none")]
    card: Option<CardAnswer>,
}

/// The new card of an answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
enum CardAnswer {
    /// A card's JSON.
    Raw(Value),
    /// A card template and its variables.
    Template(TemplateCard),
}

/// A card built from a template of the card builder.
#[derive(Debug, Clone, PartialEq, Serialize)]
struct TemplateCard {
    template_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    template_version_name: Option<String>,
    template_variable: Value,
}

impl CallbackAnswer {
    /// An empty answer (`{}`): nothing shown, the card unchanged.
    pub fn empty() -> Self {
        CallbackAnswer::default()
    }

    /// An answer showing a toast.
    pub fn toast(toast: Toast) -> Self {
        CallbackAnswer::empty().with_toast(toast)
    }

    /// An answer replacing the card with this card JSON.
    pub fn card(card: Value) -> Self {
        CallbackAnswer::empty().with_card(card)
    }

    /// Shows this toast (replacing any toast set before).
    pub fn with_toast(mut self, toast: Toast) -> Self {
        self.toast = Some(toast);
        self
    }

    /// Replaces the card with this card JSON (replacing any card set before).
    pub fn with_card(mut self, card: Value) -> Self {
        self.card = Some(CardAnswer::Raw(card));
        self
    }

    /// Replaces the card with one made from a card template and its variables (a JSON
    /// object).
    pub fn with_card_template(mut self, template_id: impl Into<String>, variables: Value) -> Self {
        self.card = Some(CardAnswer::Template(TemplateCard {
            template_id: template_id.into(),
            template_version_name: None,
            template_variable: variables,
        }));
        self
    }

    /// Pins the version of the template set by
    /// [`with_card_template`](Self::with_card_template) (`1.0.0`); without it the latest
    /// published version is used. Does nothing when the card is not a template.
    pub fn with_template_version(mut self, version_name: impl Into<String>) -> Self {
        if let Some(CardAnswer::Template(t)) = &mut self.card {
            t.template_version_name = Some(version_name.into());
        }
        self
    }

    /// Whether the answer has neither a toast nor a card.
    pub fn is_empty(&self) -> bool {
        self.toast.is_none() && self.card.is_none()
    }

    /// The answer as the JSON the platform receives.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or_else(|_| Value::Object(Default::default()))
    }
}

/// A short message shown to the user who clicked, in one of four styles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Toast {
    #[serde(rename = "type")]
    kind: ToastKind,
    content: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    i18n: BTreeMap<String, String>,
}

/// A toast's style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ToastKind {
    /// Neutral information.
    Info,
    /// Something worked.
    Success,
    /// Something failed.
    Error,
    /// A caution.
    Warning,
}

impl Toast {
    /// A toast of this style.
    pub fn new(kind: ToastKind, content: impl Into<String>) -> Self {
        Toast {
            kind,
            content: content.into(),
            i18n: BTreeMap::new(),
        }
    }

    /// A neutral toast.
    pub fn info(content: impl Into<String>) -> Self {
        Toast::new(ToastKind::Info, content)
    }

    /// A success toast.
    pub fn success(content: impl Into<String>) -> Self {
        Toast::new(ToastKind::Success, content)
    }

    /// An error toast.
    pub fn error(content: impl Into<String>) -> Self {
        Toast::new(ToastKind::Error, content)
    }

    /// A warning toast.
    pub fn warning(content: impl Into<String>) -> Self {
        Toast::new(ToastKind::Warning, content)
    }

    /// Adds the text for one language (`zh_cn`, `en_us`, `ja_jp`), shown instead of the
    /// content to users of that language.
    pub fn with_i18n(mut self, language: impl Into<String>, content: impl Into<String>) -> Self {
        self.i18n.insert(language.into(), content.into());
        self
    }

    /// The toast's style.
    pub fn kind(&self) -> ToastKind {
        self.kind
    }

    /// The toast's text.
    pub fn content(&self) -> &str {
        &self.content
    }
}
