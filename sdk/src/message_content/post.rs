//! Rich text content (`msg_type` `post`).

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::post_element::PostElement;
use super::{to_json_string, MessageContent};

/// A rich text message: one [`PostBody`] per language, keyed by locale.
///
/// ```json
/// {"zh_cn": {"title": "…", "content": [[{"tag": "text", "text": "…"}]]}, "en_us": {…}}
/// ```
///
/// The platform shows the body of the reader's language. At least one language is needed;
/// the keys the documentation names are `zh_cn`, `en_us` and `ja_jp`, and
/// [`locale`](Post::locale) takes any other. Setting a locale twice keeps the last body.
///
/// ```
/// use lark_openapi::message_content::{MessageContent, Post, PostBody, PostElement};
///
/// let post = Post::new(
///     "zh_cn",
///     PostBody::new()
///         .title("发布通知")
///         .paragraph([PostElement::text("版本 1.2 已发布，").bold(), PostElement::at("ou_xxx")])
///         .paragraph([PostElement::link("变更说明", "https://example.com/changelog")]),
/// )
/// .en_us(
///     PostBody::new()
///         .title("Release")
///         .paragraph([PostElement::text("Version 1.2 is out, ").bold(), PostElement::at("ou_xxx")])
///         .paragraph([PostElement::link("changelog", "https://example.com/changelog")]),
/// );
/// assert_eq!(post.msg_type(), "post");
///
/// let content: serde_json::Value = serde_json::from_str(&post.to_content_string())?;
/// assert_eq!(
///     content["en_us"],
///     serde_json::json!({
///         "title": "Release",
///         "content": [
///             [
///                 {"tag": "text", "text": "Version 1.2 is out, ", "style": ["bold"]},
///                 {"tag": "at", "user_id": "ou_xxx"}
///             ],
///             [{"tag": "a", "text": "changelog", "href": "https://example.com/changelog"}]
///         ]
///     })
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Post {
    locales: Vec<(String, PostBody)>,
}

impl Post {
    /// A post with one language: `locale` (such as `"zh_cn"`) and its body.
    pub fn new(locale: impl Into<String>, body: PostBody) -> Self {
        Post::default().locale(locale, body)
    }

    /// Sets the Chinese (`zh_cn`) body.
    pub fn zh_cn(self, body: PostBody) -> Self {
        self.locale("zh_cn", body)
    }

    /// Sets the English (`en_us`) body.
    pub fn en_us(self, body: PostBody) -> Self {
        self.locale("en_us", body)
    }

    /// Sets the Japanese (`ja_jp`) body.
    pub fn ja_jp(self, body: PostBody) -> Self {
        self.locale("ja_jp", body)
    }

    /// Sets the body of any locale key, replacing an earlier body of the same key.
    pub fn locale(mut self, locale: impl Into<String>, body: PostBody) -> Self {
        let locale = locale.into();
        match self.locales.iter_mut().find(|(key, _)| *key == locale) {
            Some((_, existing)) => *existing = body,
            None => self.locales.push((locale, body)),
        }
        self
    }

    /// The body of a locale, if set.
    pub fn get(&self, locale: &str) -> Option<&PostBody> {
        self.locales
            .iter()
            .find(|(key, _)| key == locale)
            .map(|(_, body)| body)
    }

    /// The locales and their bodies, in the order they were first set.
    pub fn locales(&self) -> impl Iterator<Item = (&str, &PostBody)> {
        self.locales.iter().map(|(key, body)| (key.as_str(), body))
    }

    /// Whether no language has been set (the platform rejects such a post).
    pub fn is_empty(&self) -> bool {
        self.locales.is_empty()
    }
}

impl Serialize for Post {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.locales.len()))?;
        for (locale, body) in &self.locales {
            map.serialize_entry(locale, body)?;
        }
        map.end()
    }
}

impl MessageContent for Post {
    fn msg_type(&self) -> &'static str {
        "post"
    }

    fn to_content_string(&self) -> String {
        to_json_string(self)
    }
}

/// The body of a post in one language: an optional title and paragraphs of elements.
///
/// Each paragraph is a line of [`PostElement`]s. The platform wants images, videos, `md`
/// and `hr` elements in paragraphs of their own; [`image`](PostBody::image),
/// [`markdown`](PostBody::markdown), [`hr`](PostBody::hr) and
/// [`code_block`](PostBody::code_block) add such a paragraph.
///
/// A received post has the same shape without the language key, and parses into this type
/// (see [`ReceivedContent`](super::ReceivedContent)).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PostBody {
    /// The title, shown in bold above the content; `None` for no title.
    pub title: Option<String>,
    /// The paragraphs, each a list of elements.
    pub content: Vec<Vec<PostElement>>,
}

impl PostBody {
    /// An empty body: no title, no paragraph.
    pub fn new() -> Self {
        PostBody::default()
    }

    /// Sets the title.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Appends a paragraph made of `elements`.
    pub fn paragraph(mut self, elements: impl IntoIterator<Item = PostElement>) -> Self {
        self.content.push(elements.into_iter().collect());
        self
    }

    /// Appends a paragraph holding one text element.
    pub fn text_paragraph(self, text: impl Into<String>) -> Self {
        self.paragraph([PostElement::text(text)])
    }

    /// Appends a paragraph holding an image.
    pub fn image(self, image_key: impl Into<String>) -> Self {
        self.paragraph([PostElement::image(image_key)])
    }

    /// Appends a paragraph holding a Markdown element.
    pub fn markdown(self, markdown: impl Into<String>) -> Self {
        self.paragraph([PostElement::markdown(markdown)])
    }

    /// Appends a paragraph holding a horizontal rule.
    pub fn hr(self) -> Self {
        self.paragraph([PostElement::hr()])
    }

    /// Appends a paragraph holding a code block.
    pub fn code_block(self, language: impl Into<String>, code: impl Into<String>) -> Self {
        self.paragraph([PostElement::code_block(language, code)])
    }

    /// The text of the body with its markup dropped: the title on the first line (when not
    /// empty), then one line per paragraph.
    ///
    /// Text, link, Markdown and code block elements give their text; a mention gives its
    /// placeholder as is when it is one (`@_user_1`, as in received posts), otherwise
    /// `@name`, or `@user_id` without a name. Images, videos, emoji, rules and unknown
    /// elements give nothing.
    pub fn plain_text(&self) -> String {
        let mut lines = Vec::with_capacity(self.content.len() + 1);
        if let Some(title) = self.title.as_deref().filter(|title| !title.is_empty()) {
            lines.push(title.to_owned());
        }
        for paragraph in &self.content {
            let mut line = String::new();
            for element in paragraph {
                element.push_plain_text(&mut line);
            }
            lines.push(line);
        }
        lines.join("\n")
    }
}

impl Serialize for PostBody {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let len = 1 + usize::from(self.title.is_some());
        let mut map = serializer.serialize_map(Some(len))?;
        if let Some(title) = &self.title {
            map.serialize_entry("title", title)?;
        }
        map.serialize_entry("content", &self.content)?;
        map.end()
    }
}
