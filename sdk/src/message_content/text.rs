//! Plain text content (`msg_type` `text`).

use serde::Serialize;

use super::{to_json_string, MessageContent};

/// The `user_id` that mentions everyone in the chat (`<at user_id="all"></at>`); the chat
/// must allow mentioning everyone.
pub const AT_ALL: &str = "all";

/// The invisible character put between the two characters of a sequence the platform would
/// read as markup (a zero-width space).
const BREAK: char = '\u{200B}';

/// A text message: `{"text": "..."}`.
///
/// The text of a text message is not quite plain: the platform reads a few markup forms in
/// it, namely mentions (`<at user_id="ou_xxx">Tom</at>`), the style tags `<b>`, `<i>`, `<u>`
/// and `<s>`, and links written `[label](https://…)`. The builder keeps text you append
/// literal and writes the markup itself:
///
/// * [`text`](Text::text) (and [`Text::new`], [`text_line`](Text::text_line)) append text
///   as it should be shown. The platform has no escape syntax for text messages, so a
///   sequence that it would read as markup is broken with an invisible zero-width space
///   (U+200B): after a `<` that is followed by a letter or `/` (so `<at …>` and `<b>` stay
///   visible as typed), and between `]` and `(` (so `[a](b)` is not a link). The same check
///   is made across the boundary with what is already in the message. Nothing else is
///   changed; the text looks the same to the reader.
/// * [`at`](Text::at), [`at_all`](Text::at_all), [`bold`](Text::bold),
///   [`italic`](Text::italic), [`underline`](Text::underline),
///   [`strikethrough`](Text::strikethrough) and [`link`](Text::link) write markup around
///   literal text.
/// * [`raw`](Text::raw) appends markup exactly as given, for what the builder does not
///   cover (nested styles, for example). Only use it with trusted input.
///
/// Line breaks are ordinary `\n` characters ([`line`](Text::line)); JSON escaping of the
/// whole content string is done by `serde_json`.
///
/// ```
/// use lark_openapi::message_content::{MessageContent, Text};
///
/// let text = Text::new("Deploy finished")
///     .line()
///     .at("ou_7d8a6e6df7621556ce0d21922b676706", "Tom")
///     .text(" please check <b>staging</b>");
/// let content: serde_json::Value = serde_json::from_str(&text.to_content_string())?;
/// assert_eq!(
///     content["text"],
///     "Deploy finished\n<at user_id=\"ou_7d8a6e6df7621556ce0d21922b676706\">Tom</at> please check <\u{200B}b>staging<\u{200B}/b>",
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Text {
    text: String,
}

impl Text {
    /// A text message that starts with `text`, kept literal (see the type's documentation).
    pub fn new(text: impl AsRef<str>) -> Self {
        Text::default().text(text)
    }

    /// Appends literal text: markup-like sequences in it are neutralised.
    pub fn text(mut self, text: impl AsRef<str>) -> Self {
        push_literal(&mut self.text, text.as_ref());
        self
    }

    /// Appends literal text followed by a line break.
    pub fn text_line(self, text: impl AsRef<str>) -> Self {
        self.text(text).line()
    }

    /// Appends a line break (`\n`).
    pub fn line(mut self) -> Self {
        self.text.push('\n');
        self
    }

    /// Mentions a user: `<at user_id="ou_xxx">name</at>`.
    ///
    /// `user_id` is an open_id, union_id or user_id (or [`AT_ALL`]); the characters `"`,
    /// `<`, `>` and `\`, which no id contains, are dropped from it so that it cannot end the
    /// attribute. `name` is shown as literal text and may be empty.
    pub fn at(mut self, user_id: impl AsRef<str>, name: impl AsRef<str>) -> Self {
        self.text.push_str("<at user_id=\"");
        self.text.extend(
            user_id
                .as_ref()
                .chars()
                .filter(|c| !matches!(c, '"' | '<' | '>' | '\\') && !c.is_control()),
        );
        self.text.push_str("\">");
        push_literal(&mut self.text, name.as_ref());
        self.text.push_str("</at>");
        self
    }

    /// Mentions everyone in the chat: `<at user_id="all"></at>`.
    pub fn at_all(self) -> Self {
        self.at(AT_ALL, "")
    }

    /// Appends literal text in bold: `<b>text</b>`.
    pub fn bold(self, text: impl AsRef<str>) -> Self {
        self.tagged("b", text.as_ref())
    }

    /// Appends literal text in italics: `<i>text</i>`.
    pub fn italic(self, text: impl AsRef<str>) -> Self {
        self.tagged("i", text.as_ref())
    }

    /// Appends literal, underlined text: `<u>text</u>`.
    pub fn underline(self, text: impl AsRef<str>) -> Self {
        self.tagged("u", text.as_ref())
    }

    /// Appends literal, struck-through text: `<s>text</s>`.
    pub fn strikethrough(self, text: impl AsRef<str>) -> Self {
        self.tagged("s", text.as_ref())
    }

    /// Appends a link: `[label](url)`.
    ///
    /// The label is literal text; its square brackets, which the platform cannot nest in a
    /// link, are replaced by the full-width `［` and `］`. In the URL, the characters that
    /// would end the link or the markup early (space, `(`, `)`, `<`, `>`, `"`) are
    /// percent-encoded. The platform sends an invalid URL as plain text.
    pub fn link(mut self, label: impl AsRef<str>, url: impl AsRef<str>) -> Self {
        let label: String = label
            .as_ref()
            .chars()
            .map(|c| match c {
                '[' => '［',
                ']' => '］',
                c => c,
            })
            .collect();
        self.text.push('[');
        push_literal(&mut self.text, &label);
        self.text.push_str("](");
        for c in url.as_ref().chars() {
            match c {
                ' ' => self.text.push_str("%20"),
                '(' => self.text.push_str("%28"),
                ')' => self.text.push_str("%29"),
                '<' => self.text.push_str("%3C"),
                '>' => self.text.push_str("%3E"),
                '"' => self.text.push_str("%22"),
                c if c.is_control() => {}
                c => self.text.push(c),
            }
        }
        self.text.push(')');
        self
    }

    /// Appends markup exactly as given, without neutralising anything.
    ///
    /// ```
    /// use lark_openapi::message_content::Text;
    ///
    /// let text = Text::new("note: ").raw("<b>bold <i>and italic</i></b>");
    /// assert_eq!(text.as_str(), "note: <b>bold <i>and italic</i></b>");
    /// ```
    pub fn raw(mut self, markup: impl AsRef<str>) -> Self {
        self.text.push_str(markup.as_ref());
        self
    }

    /// The `text` value built so far, markup included.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The `text` value, markup included.
    pub fn into_string(self) -> String {
        self.text
    }

    /// Whether nothing has been added.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    fn tagged(mut self, tag: &str, text: &str) -> Self {
        self.text.push('<');
        self.text.push_str(tag);
        self.text.push('>');
        push_literal(&mut self.text, text);
        self.text.push_str("</");
        self.text.push_str(tag);
        self.text.push('>');
        self
    }
}

/// The wire shape of a text message.
#[derive(Serialize)]
struct TextWire<'a> {
    text: &'a str,
}

impl MessageContent for Text {
    fn msg_type(&self) -> &'static str {
        "text"
    }

    fn to_content_string(&self) -> String {
        to_json_string(&TextWire { text: &self.text })
    }
}

/// Whether the pair `first`, `second` would start markup: a tag (`<` then a letter or `/`)
/// or the middle of a link (`](`).
fn starts_markup(first: char, second: char) -> bool {
    (first == '<' && (second.is_ascii_alphabetic() || second == '/'))
        || (first == ']' && second == '(')
}

/// Appends `text` to `out`, putting a zero-width space inside every pair of characters that
/// would start markup, including a pair made of `out`'s last character and `text`'s first.
pub(super) fn push_literal(out: &mut String, text: &str) {
    let mut previous = out.chars().next_back();
    for c in text.chars() {
        if let Some(p) = previous {
            if starts_markup(p, c) {
                out.push(BREAK);
            }
        }
        out.push(c);
        previous = Some(c);
    }
}
