//! The elements of a post paragraph, and their text styles.

use std::fmt;

use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// A text style of a post's text, link or mention element.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TextStyle {
    /// `bold`.
    Bold,
    /// `italic`.
    Italic,
    /// `underline`.
    Underline,
    /// `lineThrough` (struck through).
    LineThrough,
    /// Another value, kept as received. The platform ignores styles it does not know.
    Other(String),
}

impl TextStyle {
    /// The wire value.
    pub fn as_str(&self) -> &str {
        match self {
            TextStyle::Bold => "bold",
            TextStyle::Italic => "italic",
            TextStyle::Underline => "underline",
            TextStyle::LineThrough => "lineThrough",
            TextStyle::Other(other) => other,
        }
    }

    /// The style of a wire value; an unknown value is kept as [`TextStyle::Other`].
    pub fn from_wire(value: &str) -> TextStyle {
        match value {
            "bold" => TextStyle::Bold,
            "italic" => TextStyle::Italic,
            "underline" => TextStyle::Underline,
            "lineThrough" => TextStyle::LineThrough,
            other => TextStyle::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for TextStyle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for TextStyle {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for TextStyle {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        Ok(TextStyle::from_wire(&value))
    }
}

/// One element of a post paragraph, written `{"tag": "…", …}` on the wire.
///
/// Build elements with the constructors ([`text`](PostElement::text),
/// [`link`](PostElement::link), [`at`](PostElement::at), …) and refine them with the
/// chainable setters; a setter that does not apply to the element (a style on an image, for
/// example) leaves it unchanged.
///
/// Received posts can hold tags this SDK does not know, or known tags in a shape it does not
/// expect; such an element is kept whole as [`PostElement::Unknown`], and sent back as is.
///
/// ```
/// use lark_openapi::message_content::{PostElement, TextStyle};
///
/// let element = PostElement::text("careful").bold().style(TextStyle::Underline);
/// assert_eq!(
///     serde_json::to_value(&element)?,
///     serde_json::json!({"tag": "text", "text": "careful", "style": ["bold", "underline"]})
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PostElement {
    /// `text`: a run of text.
    Text {
        /// The text.
        text: String,
        /// Its styles (empty for none).
        style: Vec<TextStyle>,
        /// `un_escape`: whether the platform should unescape the text (default false).
        un_escape: bool,
    },
    /// `a`: a link.
    Link {
        /// The text shown.
        text: String,
        /// The address; the platform rejects the message if it is not a valid URL.
        href: String,
        /// The styles of the text (empty for none).
        style: Vec<TextStyle>,
    },
    /// `at`: a mention.
    At {
        /// When sending, the open_id, union_id or user_id of the user, or `"all"` for
        /// everyone. In a received post, a placeholder such as `@_user_1` that indexes the
        /// message's `mentions`.
        user_id: String,
        /// The user's name, when given (received posts may carry one).
        user_name: Option<String>,
        /// The styles of the mention (empty for none).
        style: Vec<TextStyle>,
    },
    /// `img`: an image, in a paragraph of its own.
    Image {
        /// The key of an uploaded image.
        image_key: String,
    },
    /// `media`: a video, in a paragraph of its own.
    Media {
        /// The key of the uploaded video file.
        file_key: String,
        /// The key of its cover image, if any.
        image_key: Option<String>,
    },
    /// `emotion`: an emoji.
    Emotion {
        /// The emoji type, such as `SMILE` or `THUMBSUP`.
        emoji_type: String,
    },
    /// `hr`: a horizontal rule, in a paragraph of its own.
    Hr,
    /// `code_block`: a block of code.
    CodeBlock {
        /// The language, such as `GO`, `RUST` or `PYTHON` (case-insensitive); `None` for
        /// plain text.
        language: Option<String>,
        /// The code.
        text: String,
    },
    /// `md`: Markdown, in one or more paragraphs of its own. Sending only: the platform
    /// converts it to other tags, so received posts never hold it.
    Markdown {
        /// The Markdown text: mentions `<at user_id="ou_xxx">Tom</at>`, links, lists, code
        /// blocks, quotes, rules, bold, italic, underline (`~u~`) and strike-through.
        text: String,
    },
    /// An element with an unknown tag or shape, kept as it is.
    Unknown(Value),
}

impl PostElement {
    /// A `text` element.
    pub fn text(text: impl Into<String>) -> Self {
        PostElement::Text {
            text: text.into(),
            style: Vec::new(),
            un_escape: false,
        }
    }

    /// An `a` (link) element.
    pub fn link(text: impl Into<String>, href: impl Into<String>) -> Self {
        PostElement::Link {
            text: text.into(),
            href: href.into(),
            style: Vec::new(),
        }
    }

    /// An `at` element mentioning a user by open_id, union_id or user_id.
    pub fn at(user_id: impl Into<String>) -> Self {
        PostElement::At {
            user_id: user_id.into(),
            user_name: None,
            style: Vec::new(),
        }
    }

    /// An `at` element mentioning everyone (`user_id` `"all"`).
    pub fn at_all() -> Self {
        PostElement::at(super::AT_ALL)
    }

    /// An `img` element.
    pub fn image(image_key: impl Into<String>) -> Self {
        PostElement::Image {
            image_key: image_key.into(),
        }
    }

    /// A `media` (video) element without a cover; see [`cover`](PostElement::cover).
    pub fn media(file_key: impl Into<String>) -> Self {
        PostElement::Media {
            file_key: file_key.into(),
            image_key: None,
        }
    }

    /// An `emotion` element, such as `PostElement::emotion("SMILE")`.
    pub fn emotion(emoji_type: impl Into<String>) -> Self {
        PostElement::Emotion {
            emoji_type: emoji_type.into(),
        }
    }

    /// An `hr` element.
    pub fn hr() -> Self {
        PostElement::Hr
    }

    /// A `code_block` element; an empty `language` leaves it out (plain text).
    pub fn code_block(language: impl Into<String>, code: impl Into<String>) -> Self {
        let language = language.into();
        PostElement::CodeBlock {
            language: (!language.is_empty()).then_some(language),
            text: code.into(),
        }
    }

    /// An `md` (Markdown) element.
    pub fn markdown(markdown: impl Into<String>) -> Self {
        PostElement::Markdown {
            text: markdown.into(),
        }
    }

    /// An element written exactly as `value`, for tags this SDK does not model.
    pub fn raw(value: Value) -> Self {
        PostElement::Unknown(value)
    }

    /// Adds a style to a text, link or mention (once).
    pub fn style(mut self, new: TextStyle) -> Self {
        if let PostElement::Text { style, .. }
        | PostElement::Link { style, .. }
        | PostElement::At { style, .. } = &mut self
        {
            if !style.contains(&new) {
                style.push(new);
            }
        }
        self
    }

    /// Makes a text, link or mention bold.
    pub fn bold(self) -> Self {
        self.style(TextStyle::Bold)
    }

    /// Makes a text, link or mention italic.
    pub fn italic(self) -> Self {
        self.style(TextStyle::Italic)
    }

    /// Underlines a text, link or mention.
    pub fn underline(self) -> Self {
        self.style(TextStyle::Underline)
    }

    /// Strikes through a text, link or mention.
    pub fn line_through(self) -> Self {
        self.style(TextStyle::LineThrough)
    }

    /// Sets `un_escape` on a text element.
    pub fn un_escape(mut self, value: bool) -> Self {
        if let PostElement::Text { un_escape, .. } = &mut self {
            *un_escape = value;
        }
        self
    }

    /// Sets the name shown for a mention.
    pub fn user_name(mut self, name: impl Into<String>) -> Self {
        if let PostElement::At { user_name, .. } = &mut self {
            *user_name = Some(name.into());
        }
        self
    }

    /// Sets the cover image of a video element.
    pub fn cover(mut self, image_key: impl Into<String>) -> Self {
        if let PostElement::Media {
            image_key: cover, ..
        } = &mut self
        {
            *cover = Some(image_key.into());
        }
        self
    }

    /// The wire `tag`, or for an unknown element its `tag` value if it has a string one.
    pub fn tag(&self) -> Option<&str> {
        Some(match self {
            PostElement::Text { .. } => "text",
            PostElement::Link { .. } => "a",
            PostElement::At { .. } => "at",
            PostElement::Image { .. } => "img",
            PostElement::Media { .. } => "media",
            PostElement::Emotion { .. } => "emotion",
            PostElement::Hr => "hr",
            PostElement::CodeBlock { .. } => "code_block",
            PostElement::Markdown { .. } => "md",
            PostElement::Unknown(value) => return value.get("tag").and_then(Value::as_str),
        })
    }

    /// Reads an element from its JSON value. Never fails: an element that is not an object,
    /// has an unknown tag, or has a known tag with missing or mistyped fields is kept as
    /// [`PostElement::Unknown`]. Unknown fields of a known tag are ignored.
    ///
    /// Received posts send empty strings for absent optional values (a mention's
    /// `user_name`, a video's cover, a code block's language); those become `None`.
    pub fn from_value(value: Value) -> PostElement {
        match known_element(&value) {
            Some(element) => element,
            None => PostElement::Unknown(value),
        }
    }

    pub(super) fn push_plain_text(&self, out: &mut String) {
        match self {
            PostElement::Text { text, .. }
            | PostElement::Link { text, .. }
            | PostElement::CodeBlock { text, .. }
            | PostElement::Markdown { text } => out.push_str(text),
            PostElement::At {
                user_id, user_name, ..
            } => {
                if user_id.starts_with("@_") {
                    out.push_str(user_id);
                } else {
                    out.push('@');
                    match user_name.as_deref().filter(|name| !name.is_empty()) {
                        Some(name) => out.push_str(name),
                        None => out.push_str(user_id),
                    }
                }
            }
            PostElement::Image { .. }
            | PostElement::Media { .. }
            | PostElement::Emotion { .. }
            | PostElement::Hr
            | PostElement::Unknown(_) => {}
        }
    }
}

/// The element a JSON object of a known tag describes, or `None` when it is anything else.
fn known_element(value: &Value) -> Option<PostElement> {
    let map = value.as_object()?;
    let element = match map.get("tag")?.as_str()? {
        "text" => PostElement::Text {
            text: required_str(map, "text")?,
            style: styles(map)?,
            un_escape: match map.get("un_escape") {
                None | Some(Value::Null) => false,
                Some(value) => value.as_bool()?,
            },
        },
        "a" => PostElement::Link {
            text: required_str(map, "text")?,
            href: required_str(map, "href")?,
            style: styles(map)?,
        },
        "at" => PostElement::At {
            user_id: required_str(map, "user_id")?,
            user_name: optional_str(map, "user_name")?,
            style: styles(map)?,
        },
        "img" => PostElement::Image {
            image_key: required_str(map, "image_key")?,
        },
        "media" => PostElement::Media {
            file_key: required_str(map, "file_key")?,
            image_key: optional_str(map, "image_key")?,
        },
        "emotion" => PostElement::Emotion {
            emoji_type: required_str(map, "emoji_type")?,
        },
        "hr" => PostElement::Hr,
        "code_block" => PostElement::CodeBlock {
            language: optional_str(map, "language")?,
            text: required_str(map, "text")?,
        },
        "md" => PostElement::Markdown {
            text: required_str(map, "text")?,
        },
        _ => return None,
    };
    Some(element)
}

/// A string field that must be present.
fn required_str(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.get(key)?.as_str().map(str::to_owned)
}

/// An optional string field: `Some(None)` when absent, null or empty, `None` when mistyped.
fn optional_str(map: &Map<String, Value>, key: &str) -> Option<Option<String>> {
    match map.get(key) {
        None | Some(Value::Null) => Some(None),
        Some(value) => {
            let text = value.as_str()?;
            Some((!text.is_empty()).then(|| text.to_owned()))
        }
    }
}

/// The `style` list: empty when absent or null, `None` when not a list of strings.
fn styles(map: &Map<String, Value>) -> Option<Vec<TextStyle>> {
    match map.get("style") {
        None | Some(Value::Null) => Some(Vec::new()),
        Some(value) => value
            .as_array()?
            .iter()
            .map(|style| style.as_str().map(TextStyle::from_wire))
            .collect(),
    }
}

impl Serialize for PostElement {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        /// The `style` list, left out when empty.
        fn entry_style<M: SerializeMap>(map: &mut M, style: &[TextStyle]) -> Result<(), M::Error> {
            if style.is_empty() {
                Ok(())
            } else {
                map.serialize_entry("style", style)
            }
        }

        let mut map = match self {
            PostElement::Unknown(value) => return value.serialize(serializer),
            _ => serializer.serialize_map(None)?,
        };
        match self {
            PostElement::Text {
                text,
                style,
                un_escape,
            } => {
                map.serialize_entry("tag", "text")?;
                map.serialize_entry("text", text)?;
                if *un_escape {
                    map.serialize_entry("un_escape", &true)?;
                }
                entry_style(&mut map, style)?;
            }
            PostElement::Link { text, href, style } => {
                map.serialize_entry("tag", "a")?;
                map.serialize_entry("text", text)?;
                map.serialize_entry("href", href)?;
                entry_style(&mut map, style)?;
            }
            PostElement::At {
                user_id,
                user_name,
                style,
            } => {
                map.serialize_entry("tag", "at")?;
                map.serialize_entry("user_id", user_id)?;
                if let Some(name) = user_name {
                    map.serialize_entry("user_name", name)?;
                }
                entry_style(&mut map, style)?;
            }
            PostElement::Image { image_key } => {
                map.serialize_entry("tag", "img")?;
                map.serialize_entry("image_key", image_key)?;
            }
            PostElement::Media {
                file_key,
                image_key,
            } => {
                map.serialize_entry("tag", "media")?;
                map.serialize_entry("file_key", file_key)?;
                if let Some(cover) = image_key {
                    map.serialize_entry("image_key", cover)?;
                }
            }
            PostElement::Emotion { emoji_type } => {
                map.serialize_entry("tag", "emotion")?;
                map.serialize_entry("emoji_type", emoji_type)?;
            }
            PostElement::Hr => map.serialize_entry("tag", "hr")?,
            PostElement::CodeBlock { language, text } => {
                map.serialize_entry("tag", "code_block")?;
                if let Some(language) = language {
                    map.serialize_entry("language", language)?;
                }
                map.serialize_entry("text", text)?;
            }
            PostElement::Markdown { text } => {
                map.serialize_entry("tag", "md")?;
                map.serialize_entry("text", text)?;
            }
            PostElement::Unknown(_) => {}
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for PostElement {
    /// Reads any JSON value; see [`PostElement::from_value`].
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(PostElement::from_value)
    }
}
