//! Content made of a single resource key: image, file, audio, video, sticker and the two
//! share cards.
//!
//! The keys come from the upload calls (`im/v1/images`, `im/v1/files`) or, for stickers,
//! from a received message: the platform cannot send a sticker that was not received.

use serde::{Deserialize, Serialize};

use super::{to_json_string, MessageContent};

macro_rules! key_content {
    (
        $(#[$doc:meta])*
        $name:ident, $msg_type:literal, $field:ident, $field_doc:literal
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub struct $name {
            #[doc = $field_doc]
            pub $field: String,
        }

        impl $name {
            #[doc = concat!("`", $msg_type, "` content with the given `", stringify!($field), "`.")]
            pub fn new($field: impl Into<String>) -> Self {
                $name { $field: $field.into() }
            }
        }

        impl MessageContent for $name {
            fn msg_type(&self) -> &'static str {
                $msg_type
            }

            fn to_content_string(&self) -> String {
                to_json_string(self)
            }
        }
    };
}

key_content! {
    /// An image message: `{"image_key": "img_xxx"}`.
    ///
    /// ```
    /// use lark_openapi::message_content::{Image, MessageContent};
    ///
    /// let image = Image::new("img_7ea74629-9191-4176-998c-2e603c9c5e8g");
    /// assert_eq!(image.msg_type(), "image");
    /// assert_eq!(image.to_content_string(), r#"{"image_key":"img_7ea74629-9191-4176-998c-2e603c9c5e8g"}"#);
    /// ```
    Image, "image", image_key,
    "The key of an image uploaded with the image upload call (`img_…`)."
}

key_content! {
    /// A file message: `{"file_key": "file_v2_xxx"}`.
    File, "file", file_key,
    "The key of a file uploaded with the file upload call (`file_v2_…`)."
}

key_content! {
    /// A voice message: `{"file_key": "file_v2_xxx"}`; the file is an Opus audio file
    /// uploaded with the file upload call.
    Audio, "audio", file_key,
    "The key of the uploaded audio file."
}

key_content! {
    /// A sticker message: `{"file_key": "..."}`. Only a sticker the bot received can be
    /// sent; its key is in the received message's content.
    Sticker, "sticker", file_key,
    "The key of a received sticker."
}

key_content! {
    /// A group card: `{"chat_id": "oc_xxx"}`. The bot must be a member of that chat.
    ShareChat, "share_chat", chat_id,
    "The id of the chat to share (`oc_…`)."
}

key_content! {
    /// A user's card: `{"user_id": "ou_xxx"}`. The user must be within the app's
    /// availability; bots' cards cannot be shared.
    ShareUser, "share_user", user_id,
    "The user's open_id (`ou_…`): the only id type the platform accepts here."
}

/// A video message: `{"file_key": "file_v2_xxx", "image_key": "img_xxx"}`, the cover
/// image being optional.
///
/// ```
/// use lark_openapi::message_content::{Media, MessageContent};
///
/// let video = Media::new("file_v2_0dcdd7d9").cover("img_7ea74629");
/// assert_eq!(video.msg_type(), "media");
/// assert_eq!(video.to_content_string(), r#"{"file_key":"file_v2_0dcdd7d9","image_key":"img_7ea74629"}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Media {
    /// The key of the uploaded video file (mp4).
    pub file_key: String,
    /// The key of an uploaded cover image; without one the video has no cover.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_key: Option<String>,
}

impl Media {
    /// `media` content for the given video `file_key`, without a cover.
    pub fn new(file_key: impl Into<String>) -> Self {
        Media {
            file_key: file_key.into(),
            image_key: None,
        }
    }

    /// Sets the cover image.
    pub fn cover(mut self, image_key: impl Into<String>) -> Self {
        self.image_key = Some(image_key.into());
        self
    }
}

impl MessageContent for Media {
    fn msg_type(&self) -> &'static str {
        "media"
    }

    fn to_content_string(&self) -> String {
        to_json_string(self)
    }
}
