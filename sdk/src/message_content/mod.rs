//! Typed message content for the IM send, reply and update calls, and typed parsing of the
//! content of a received message.
//!
//! The platform's `content` field is a JSON object *serialized to a string*, and its shape
//! depends on `msg_type`. Every outgoing type here implements [`MessageContent`], which gives
//! both wire values, so neither needs writing by hand:
//!
//! | `msg_type`    | builder                                                        |
//! | ------------- | -------------------------------------------------------------- |
//! | `text`        | [`Text`]                                                       |
//! | `post`        | [`Post`] (one [`PostBody`] per language)                       |
//! | `image`       | [`Image`]                                                      |
//! | `file`        | [`File`]                                                       |
//! | `audio`       | [`Audio`]                                                      |
//! | `media`       | [`Media`]                                                      |
//! | `sticker`     | [`Sticker`]                                                    |
//! | `interactive` | [`Card`] (card JSON), [`TemplateCard`], [`CardEntity`]         |
//! | `share_chat`  | [`ShareChat`]                                                  |
//! | `share_user`  | [`ShareUser`]                                                  |
//!
//! The content string is produced by `serde_json`, so it is valid JSON whatever the text:
//! quotes, backslashes, line breaks, control characters and any Unicode are escaped as JSON
//! requires.
//!
//! ```
//! use lark_openapi::message_content::{MessageContent, Text};
//!
//! let text = Text::new("Build ").at("ou_7d8a6e6df7621556ce0d21922b676706", "Tom").text(" is green");
//! assert_eq!(text.msg_type(), "text");
//! assert_eq!(
//!     text.to_content_string(),
//!     r#"{"text":"Build <at user_id=\"ou_7d8a6e6df7621556ce0d21922b676706\">Tom</at> is green"}"#,
//! );
//! ```
//!
//! A received message's `content` goes the other way, through [`ReceivedContent::parse`]:
//!
//! ```
//! use lark_openapi::message_content::ReceivedContent;
//!
//! let content = ReceivedContent::parse("text", r#"{"text":"@_user_1 hello"}"#)?;
//! assert_eq!(content, ReceivedContent::Text("@_user_1 hello".into()));
//! assert_eq!(content.plain_text().as_deref(), Some("@_user_1 hello"));
//! # Ok::<(), lark_openapi::message_content::ContentError>(())
//! ```

mod card;
mod error;
mod media;
mod post;
mod post_element;
mod received;
mod text;

#[cfg(test)]
mod tests;

pub use card::{Card, CardEntity, TemplateCard};
pub use error::{ContentError, ContentErrorKind};
pub use media::{Audio, File, Image, Media, ShareChat, ShareUser, Sticker};
pub use post::{Post, PostBody};
pub use post_element::{PostElement, TextStyle};
pub use received::{ReceivedAudio, ReceivedContent, ReceivedFile, ReceivedMedia};
pub use text::{Text, AT_ALL};

/// Content that can be sent as a message: the `msg_type` and `content` values of a send,
/// reply or update request.
///
/// Implemented by every builder of this module; a reference to one is content too.
pub trait MessageContent {
    /// The `msg_type` wire value: `"text"`, `"post"`, `"image"`, `"file"`, `"audio"`,
    /// `"media"`, `"sticker"`, `"interactive"`, `"share_chat"` or `"share_user"`.
    fn msg_type(&self) -> &'static str;

    /// The `content` string to send: a JSON object serialized to a string.
    fn to_content_string(&self) -> String;

    /// The `msg_type` as the generated enum, for the message bodies:
    ///
    /// ```
    /// use lark_openapi::im::v1::message::CreateMessageBody;
    /// use lark_openapi::message_content::{MessageContent, Text};
    ///
    /// let text = Text::new("Deploy finished. ").at("ou_155184d1e73cbfb8973e5a9e698e74f2", "Tom");
    /// let body = CreateMessageBody::new("oc_5ad11d72b830411d72b836c20", text.message_type(), text.to_content_string());
    /// assert_eq!(body.msg_type.as_str(), "text");
    /// ```
    fn message_type(&self) -> crate::im::v1::MsgType {
        crate::im::v1::MsgType::from_wire(self.msg_type())
    }
}

impl<T: MessageContent + ?Sized> MessageContent for &T {
    fn msg_type(&self) -> &'static str {
        (**self).msg_type()
    }

    fn to_content_string(&self) -> String {
        (**self).to_content_string()
    }
}

impl<T: MessageContent + ?Sized> MessageContent for Box<T> {
    fn msg_type(&self) -> &'static str {
        (**self).msg_type()
    }

    fn to_content_string(&self) -> String {
        (**self).to_content_string()
    }
}

/// Serializes content to its JSON string.
///
/// Every type passed here is made of strings, booleans, sequences, string-keyed maps and
/// `serde_json::Value`s, none of which can fail to serialize; the fallback only keeps this
/// function free of panics.
fn to_json_string<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| String::from("{}"))
}
