//! Parsing the content of a received message (the receive event, `GET` message, message
//! lists).

use serde_json::{Map, Value};

use super::error::ContentError;
use super::media::{Image, ShareChat, ShareUser, Sticker};
use super::post::PostBody;
use super::post_element::PostElement;

/// The content of a received message, typed by its `msg_type`.
///
/// Received content differs from sent content in places: a text's mentions arrive as
/// placeholders (`@_user_1`, indexing the message's `mentions`), a post arrives without its
/// language key and with `md` elements converted to other tags, and files, audio and video
/// carry their name or duration. Types this SDK does not model (`merge_forward`, `system`,
/// `location`, `todo`, `vote`, `hongbao`, `share_calendar_event`, `calendar`,
/// `general_calendar`, `video_chat`, and any future type) are kept raw as
/// [`Unknown`](ReceivedContent::Unknown), never an error.
///
/// ```
/// use lark_openapi::message_content::{PostElement, ReceivedContent};
///
/// let content = ReceivedContent::parse(
///     "post",
///     r#"{"title":"Weekly","content":[[{"tag":"at","user_id":"@_user_1","user_name":""},{"tag":"text","text":" please review","style":[]}]]}"#,
/// )?;
/// let ReceivedContent::Post(post) = &content else { panic!("a post") };
/// assert_eq!(post.title.as_deref(), Some("Weekly"));
/// assert_eq!(post.content[0][0], PostElement::at("@_user_1"));
/// assert_eq!(content.plain_text().as_deref(), Some("Weekly\n@_user_1 please review"));
///
/// let forwarded = ReceivedContent::parse("merge_forward", r#"{"content":"Merged and Forwarded Message"}"#)?;
/// assert!(matches!(forwarded, ReceivedContent::Unknown { .. }));
/// # Ok::<(), lark_openapi::message_content::ContentError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ReceivedContent {
    /// `text`: the text, mentions as `@_user_N` placeholders and links as `[label](url)`.
    Text(String),
    /// `post`: the rich text of one language. Its `md` elements were converted to other tags
    /// by the platform; quotes and lists arrive as text. An empty title is `None`.
    Post(PostBody),
    /// `image`.
    Image(Image),
    /// `file`.
    File(ReceivedFile),
    /// `folder`: a folder sent from the client; it can not be downloaded through the API.
    Folder(ReceivedFile),
    /// `audio`.
    Audio(ReceivedAudio),
    /// `media`: a video.
    Media(ReceivedMedia),
    /// `sticker`: its key can be sent again, but not downloaded.
    Sticker(Sticker),
    /// `share_chat`: a group card.
    ShareChat(ShareChat),
    /// `share_user`: a user's card (`user_id` is an open_id).
    ShareUser(ShareUser),
    /// `interactive`: a card. The platform returns a simplified structure, not the card JSON
    /// that was sent, and nothing of the body of schema 2.0 cards, so it is kept as JSON.
    Interactive(Value),
    /// Any other `msg_type`, with its content as JSON, or as a JSON string when the content
    /// is not JSON (older `merge_forward` messages carry plain text).
    Unknown {
        /// The `msg_type`.
        msg_type: String,
        /// The content.
        raw: Value,
    },
}

/// The content of a received `file` or `folder` message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReceivedFile {
    /// The file's key; a file the bot uploaded itself can be downloaded with it, others
    /// through the message resource call.
    pub file_key: String,
    /// The file name, when given.
    pub file_name: Option<String>,
}

/// The content of a received `audio` message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReceivedAudio {
    /// The audio file's key.
    pub file_key: String,
    /// The duration in milliseconds, when given.
    pub duration_ms: Option<u64>,
}

/// The content of a received `media` (video) message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReceivedMedia {
    /// The video file's key.
    pub file_key: String,
    /// The cover image's key, when there is one.
    pub image_key: Option<String>,
    /// The file name, when given.
    pub file_name: Option<String>,
    /// The duration in milliseconds, when given.
    pub duration_ms: Option<u64>,
}

impl ReceivedContent {
    /// Reads the `content` string of a received message of type `msg_type`.
    ///
    /// Unknown fields are ignored, and so are post elements of unknown tags or shapes (kept
    /// as [`PostElement::Unknown`]). A `msg_type` this SDK does not model always succeeds,
    /// as [`Unknown`](ReceivedContent::Unknown). For the modelled types, content that is
    /// not JSON, or lacks a required field, or has a field of the wrong type, is a
    /// [`ContentError`] naming the type and the place. Never panics, whatever the input.
    pub fn parse(msg_type: &str, content: &str) -> Result<ReceivedContent, ContentError> {
        let known = matches!(
            msg_type,
            "text"
                | "post"
                | "image"
                | "file"
                | "folder"
                | "audio"
                | "media"
                | "sticker"
                | "share_chat"
                | "share_user"
                | "interactive"
        );
        let value: Value = match serde_json::from_str(content) {
            Ok(value) => value,
            Err(_) if !known => {
                return Ok(ReceivedContent::Unknown {
                    msg_type: msg_type.to_owned(),
                    raw: Value::String(content.to_owned()),
                })
            }
            Err(error) => return Err(ContentError::syntax(msg_type, &error)),
        };
        if !known {
            return Ok(ReceivedContent::Unknown {
                msg_type: msg_type.to_owned(),
                raw: value,
            });
        }
        if msg_type == "interactive" {
            return Ok(ReceivedContent::Interactive(value));
        }
        let fields = Fields::new(msg_type, &value, "$")?;
        Ok(match msg_type {
            "text" => ReceivedContent::Text(fields.required_str("text")?),
            "post" => ReceivedContent::Post(parse_post(msg_type, &value)?),
            "image" => ReceivedContent::Image(Image::new(fields.required_str("image_key")?)),
            "file" | "folder" => {
                let file = ReceivedFile {
                    file_key: fields.required_str("file_key")?,
                    file_name: fields.optional_str("file_name")?,
                };
                if msg_type == "file" {
                    ReceivedContent::File(file)
                } else {
                    ReceivedContent::Folder(file)
                }
            }
            "audio" => ReceivedContent::Audio(ReceivedAudio {
                file_key: fields.required_str("file_key")?,
                duration_ms: fields.optional_duration("duration")?,
            }),
            "media" => ReceivedContent::Media(ReceivedMedia {
                file_key: fields.required_str("file_key")?,
                image_key: fields.optional_str("image_key")?,
                file_name: fields.optional_str("file_name")?,
                duration_ms: fields.optional_duration("duration")?,
            }),
            "sticker" => ReceivedContent::Sticker(Sticker::new(fields.required_str("file_key")?)),
            "share_chat" => {
                ReceivedContent::ShareChat(ShareChat::new(fields.required_str("chat_id")?))
            }
            _ => ReceivedContent::ShareUser(ShareUser::new(fields.required_str("user_id")?)),
        })
    }

    /// The `msg_type` of the content.
    pub fn msg_type(&self) -> &str {
        match self {
            ReceivedContent::Text(_) => "text",
            ReceivedContent::Post(_) => "post",
            ReceivedContent::Image(_) => "image",
            ReceivedContent::File(_) => "file",
            ReceivedContent::Folder(_) => "folder",
            ReceivedContent::Audio(_) => "audio",
            ReceivedContent::Media(_) => "media",
            ReceivedContent::Sticker(_) => "sticker",
            ReceivedContent::ShareChat(_) => "share_chat",
            ReceivedContent::ShareUser(_) => "share_user",
            ReceivedContent::Interactive(_) => "interactive",
            ReceivedContent::Unknown { msg_type, .. } => msg_type,
        }
    }

    /// The text of a text or post message, `None` for other types.
    ///
    /// A text message's text is returned as is, mention placeholders (`@_user_1`) included;
    /// a post gives [`PostBody::plain_text`]: its title, then one line per paragraph.
    pub fn plain_text(&self) -> Option<String> {
        match self {
            ReceivedContent::Text(text) => Some(text.clone()),
            ReceivedContent::Post(post) => Some(post.plain_text()),
            _ => None,
        }
    }
}

/// The fields of a content object, read with errors that name their path.
struct Fields<'a> {
    msg_type: &'a str,
    map: &'a Map<String, Value>,
    path: &'a str,
}

impl<'a> Fields<'a> {
    fn new(msg_type: &'a str, value: &'a Value, path: &'a str) -> Result<Self, ContentError> {
        match value {
            Value::Object(map) => Ok(Fields {
                msg_type,
                map,
                path,
            }),
            other => Err(ContentError::shape(
                msg_type,
                path,
                format!("expected an object, found {}", describe(other)),
            )),
        }
    }

    fn field_path(&self, key: &str) -> String {
        format!("{}.{key}", self.path)
    }

    fn required_str(&self, key: &str) -> Result<String, ContentError> {
        match self.map.get(key) {
            Some(Value::String(text)) => Ok(text.clone()),
            None => Err(ContentError::shape(
                self.msg_type,
                self.field_path(key),
                "missing field, expected a string",
            )),
            Some(other) => Err(self.mistyped(key, "a string", other)),
        }
    }

    /// An optional string: `None` when absent, null or empty.
    fn optional_str(&self, key: &str) -> Result<Option<String>, ContentError> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok((!text.is_empty()).then(|| text.clone())),
            Some(other) => Err(self.mistyped(key, "a string", other)),
        }
    }

    /// An optional duration in milliseconds: a non-negative integer, or a string of one.
    fn optional_duration(&self, key: &str) -> Result<Option<u64>, ContentError> {
        let value = match self.map.get(key) {
            None | Some(Value::Null) => return Ok(None),
            Some(value) => value,
        };
        let duration = match value {
            Value::Number(number) => number.as_u64(),
            Value::String(text) => text.trim().parse().ok(),
            _ => None,
        };
        match duration {
            Some(duration) => Ok(Some(duration)),
            None => Err(self.mistyped(key, "a duration in milliseconds", value)),
        }
    }

    fn mistyped(&self, key: &str, expected: &str, found: &Value) -> ContentError {
        ContentError::shape(
            self.msg_type,
            self.field_path(key),
            format!("expected {expected}, found {}", describe(found)),
        )
    }
}

/// A short description of a JSON value, for error messages.
fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(value) => format!("the boolean {value}"),
        Value::Number(number) => format!("the number {number}"),
        Value::String(_) => "a string".to_owned(),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

/// The locale keys tried, in order, when a post arrives keyed by language.
const PREFERRED_LOCALES: [&str; 3] = ["zh_cn", "en_us", "ja_jp"];

/// Reads a received post.
///
/// The documented shape is one body, `{"title": …, "content": [[…]]}`. Some senders wrap
/// it as in a sent post, keyed by language, or under `"post"`; then the first body of
/// `zh_cn`, `en_us`, `ja_jp`, or else of the first locale key holding an object, is read.
fn parse_post(msg_type: &str, value: &Value) -> Result<PostBody, ContentError> {
    let map = Fields::new(msg_type, value, "$")?.map;
    if map.contains_key("content") || map.contains_key("title") {
        return parse_post_body(msg_type, value, "$");
    }
    if let Some(inner @ Value::Object(_)) = map.get("post") {
        return parse_wrapped_post(msg_type, inner, "$.post");
    }
    parse_wrapped_post(msg_type, value, "$")
}

/// Reads a post keyed by language (`{"zh_cn": {…}}`); an empty object is an empty post.
fn parse_wrapped_post(msg_type: &str, value: &Value, path: &str) -> Result<PostBody, ContentError> {
    let map = Fields::new(msg_type, value, path)?.map;
    if map.contains_key("content") || map.contains_key("title") {
        return parse_post_body(msg_type, value, path);
    }
    let chosen = PREFERRED_LOCALES
        .iter()
        .find_map(|locale| map.get_key_value(*locale))
        .or_else(|| map.iter().find(|(_, body)| body.is_object()));
    match chosen {
        Some((locale, body)) => parse_post_body(msg_type, body, &format!("{path}.{locale}")),
        None => Ok(PostBody::default()),
    }
}

/// Reads one post body: `{"title": …, "content": [[…], …]}`.
fn parse_post_body(msg_type: &str, value: &Value, path: &str) -> Result<PostBody, ContentError> {
    let fields = Fields::new(msg_type, value, path)?;
    let title = fields.optional_str("title")?;
    let paragraphs = match fields.map.get("content") {
        None | Some(Value::Null) => {
            return Ok(PostBody {
                title,
                content: Vec::new(),
            })
        }
        Some(Value::Array(paragraphs)) => paragraphs,
        Some(other) => return Err(fields.mistyped("content", "an array of paragraphs", other)),
    };
    let mut content = Vec::with_capacity(paragraphs.len());
    for (index, paragraph) in paragraphs.iter().enumerate() {
        match paragraph {
            Value::Array(elements) => {
                content.push(
                    elements
                        .iter()
                        .cloned()
                        .map(PostElement::from_value)
                        .collect(),
                );
            }
            other => {
                return Err(ContentError::shape(
                    msg_type,
                    format!("{path}.content[{index}]"),
                    format!(
                        "expected a paragraph (an array of elements), found {}",
                        describe(other)
                    ),
                ))
            }
        }
    }
    Ok(PostBody { title, content })
}
