//! File names for downloaded resources.
//!
//! The download endpoints (`im/v1/messages/:message_id/resources/:file_key`,
//! `im/v1/images/:image_key`, `im/v1/files/:file_key`) sometimes send a
//! `Content-Disposition` header with the original file name, and always send a
//! `Content-Type`. The header is controlled by whoever uploaded the file, so
//! the name is untrusted input: [`choose_file_name`] parses it, reduces it to a
//! single safe path component, and falls back to a name built from the file
//! key and the Content-Type when there is nothing usable.

use percent_encoding::percent_decode;

/// Longest file name [`sanitize_file_name`] returns, in bytes.
const MAX_NAME_BYTES: usize = 200;

/// Longest extension (the part after the last dot) kept when a name is cut.
const MAX_EXTENSION_BYTES: usize = 16;

/// Characters that are not allowed in file names on Windows.
const WINDOWS_FORBIDDEN: [char; 7] = ['<', '>', ':', '"', '|', '?', '*'];

/// Device names that Windows reserves, with or without an extension
/// (compared ASCII-case-insensitively). `COM0`, `LPT0` and the superscript
/// digits are reserved too on current Windows versions.
const WINDOWS_RESERVED: [&str; 33] = [
    "CON",
    "PRN",
    "AUX",
    "NUL",
    "CONIN$",
    "CONOUT$",
    "CLOCK$",
    "COM0",
    "COM1",
    "COM2",
    "COM3",
    "COM4",
    "COM5",
    "COM6",
    "COM7",
    "COM8",
    "COM9",
    "COM\u{b9}",
    "COM\u{b2}",
    "COM\u{b3}",
    "LPT0",
    "LPT1",
    "LPT2",
    "LPT3",
    "LPT4",
    "LPT5",
    "LPT6",
    "LPT7",
    "LPT8",
    "LPT9",
    "LPT\u{b9}",
    "LPT\u{b2}",
    "LPT\u{b3}",
];

/// Media types with a well-known file extension (compared case-insensitively).
const EXTENSIONS: &[(&str, &str)] = &[
    ("image/png", "png"),
    ("image/jpeg", "jpg"),
    ("image/jpg", "jpg"),
    ("image/pjpeg", "jpg"),
    ("image/gif", "gif"),
    ("image/webp", "webp"),
    ("image/bmp", "bmp"),
    ("image/x-ms-bmp", "bmp"),
    ("image/tiff", "tiff"),
    ("image/heic", "heic"),
    ("image/heif", "heif"),
    ("image/svg+xml", "svg"),
    ("image/x-icon", "ico"),
    ("image/vnd.microsoft.icon", "ico"),
    ("application/pdf", "pdf"),
    ("application/zip", "zip"),
    ("application/x-zip-compressed", "zip"),
    ("application/gzip", "gz"),
    ("application/x-gzip", "gz"),
    ("application/x-tar", "tar"),
    ("application/x-7z-compressed", "7z"),
    ("application/vnd.rar", "rar"),
    ("application/x-rar-compressed", "rar"),
    ("video/mp4", "mp4"),
    ("video/quicktime", "mov"),
    ("video/webm", "webm"),
    ("video/x-msvideo", "avi"),
    ("video/mpeg", "mpeg"),
    ("audio/mpeg", "mp3"),
    ("audio/mp3", "mp3"),
    ("audio/mp4", "m4a"),
    ("audio/x-m4a", "m4a"),
    ("audio/ogg", "opus"),
    ("audio/opus", "opus"),
    ("audio/wav", "wav"),
    ("audio/x-wav", "wav"),
    ("audio/aac", "aac"),
    ("audio/amr", "amr"),
    ("text/plain", "txt"),
    ("text/html", "html"),
    ("text/csv", "csv"),
    ("text/markdown", "md"),
    ("text/xml", "xml"),
    ("application/xml", "xml"),
    ("application/json", "json"),
    ("application/rtf", "rtf"),
    ("application/msword", "doc"),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
    ),
    ("application/vnd.ms-excel", "xls"),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    ),
    ("application/vnd.ms-powerpoint", "ppt"),
    (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "pptx",
    ),
    ("application/octet-stream", "bin"),
];

/// Extracts the raw file name from a `Content-Disposition` header value.
///
/// The RFC 5987 / RFC 6266 form `filename*=UTF-8''%E6%B5%8B%E8%AF%95.png`
/// (charset UTF-8 or ISO-8859-1, optional language tag) wins over a plain
/// `filename=`. Parameter names are case-insensitive. A plain `filename` may
/// be a quoted string (backslash escapes are honoured and a `;` inside the
/// quotes does not end the parameter) or a bare token.
///
/// The value is taken as raw bytes because servers put unescaped UTF-8 in the
/// header; bytes that are not valid UTF-8 are decoded as Latin-1. When a plain
/// `filename` contains `%XX` escapes and percent-decoding yields valid UTF-8,
/// the decoded form is returned (the official Python SDK URL-unquotes it).
///
/// The result is **untrusted**: it may contain path separators or other
/// hostile content. Pass it through [`sanitize_file_name`] before use.
/// Returns `None` when there is no non-blank name.
pub fn parse_content_disposition(value: &[u8]) -> Option<String> {
    let mut extended: Option<String> = None;
    let mut plain: Option<String> = None;
    for (name, raw) in parameters(value) {
        if name.eq_ignore_ascii_case(b"filename*") {
            if extended.is_none() {
                extended = decode_extended_value(&raw).filter(|s| !s.trim().is_empty());
            }
        } else if name.eq_ignore_ascii_case(b"filename") && plain.is_none() {
            plain = Some(decode_plain_value(&raw)).filter(|s| !s.trim().is_empty());
        }
    }
    extended.or(plain)
}

/// Splits a header value into `(name, value)` parameters.
///
/// Segments without `=` (such as the disposition type `attachment`) are
/// skipped. Quoted values are unescaped; bare values are trimmed.
fn parameters(value: &[u8]) -> Vec<(&[u8], Vec<u8>)> {
    let mut params = Vec::new();
    let len = value.len();
    let mut i = 0;
    while i < len {
        let name_start = i;
        while i < len && value[i] != b'=' && value[i] != b';' {
            i += 1;
        }
        if i >= len {
            break;
        }
        if value[i] == b';' {
            i += 1;
            continue;
        }
        let name = value[name_start..i].trim_ascii();
        i += 1; // the '='
        while i < len && (value[i] == b' ' || value[i] == b'\t') {
            i += 1;
        }
        let mut val = Vec::new();
        if i < len && value[i] == b'"' {
            i += 1;
            while i < len {
                match value[i] {
                    b'\\' if i + 1 < len => {
                        val.push(value[i + 1]);
                        i += 2;
                    }
                    b'"' => {
                        i += 1;
                        break;
                    }
                    other => {
                        val.push(other);
                        i += 1;
                    }
                }
            }
            // Ignore anything between the closing quote and the next ';'.
            while i < len && value[i] != b';' {
                i += 1;
            }
        } else {
            let value_start = i;
            while i < len && value[i] != b';' {
                i += 1;
            }
            val.extend_from_slice(value[value_start..i].trim_ascii());
        }
        i += 1; // the ';' (or past the end)
        params.push((name, val));
    }
    params
}

/// Decodes an RFC 5987 `charset'language'percent-encoded` value.
fn decode_extended_value(raw: &[u8]) -> Option<String> {
    let first = raw.iter().position(|&b| b == b'\'')?;
    let rest = &raw[first + 1..];
    let second = rest.iter().position(|&b| b == b'\'')?;
    let charset = raw[..first].trim_ascii();
    let encoded = &rest[second + 1..];
    let bytes: Vec<u8> = percent_decode(encoded).collect();
    let is = |name: &str| charset.eq_ignore_ascii_case(name.as_bytes());
    if is("utf-8") || is("utf8") {
        String::from_utf8(bytes).ok()
    } else if is("iso-8859-1") || is("iso_8859-1") || is("latin1") || is("us-ascii") {
        Some(latin1(&bytes))
    } else if charset.is_empty() {
        Some(bytes_to_string(&bytes))
    } else {
        None
    }
}

/// Decodes a plain `filename` value, URL-unquoting it when that gives UTF-8.
fn decode_plain_value(raw: &[u8]) -> String {
    if has_percent_escape(raw) {
        let decoded: Vec<u8> = percent_decode(raw).collect();
        if let Ok(text) = String::from_utf8(decoded) {
            return text;
        }
    }
    bytes_to_string(raw)
}

/// Whether `raw` contains at least one `%XX` escape.
fn has_percent_escape(raw: &[u8]) -> bool {
    raw.windows(3)
        .any(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit())
}

/// UTF-8 when valid, Latin-1 otherwise.
fn bytes_to_string(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => latin1(bytes),
    }
}

/// Decodes ISO-8859-1 (every byte is the code point of the same value).
fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// Whether `c` is removed from file names: control characters (C0, DEL, C1)
/// and format characters.
fn is_dropped(c: char) -> bool {
    c.is_control() || is_format(c)
}

/// Whether `c` is a format character (Unicode general category Cf, as of
/// Unicode 15.1): invisible characters such as the bidirectional controls
/// that can disguise an extension (`invoice\u{202e}fdp.exe` renders as
/// `invoiceexe.pdf`), zero-width spaces and joiners, the byte order mark, the
/// soft hyphen and tag characters.
fn is_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061C}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08E2}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

/// Whether `c`, when kept, shows nothing on its own: whitespace, the Hangul
/// fillers (U+115F, U+1160, U+3164, U+FFA0), the Braille blank (U+2800),
/// variation selectors (U+FE00–U+FE0F, U+E0100–U+E01EF) and the other
/// default-ignorable code points that [`is_dropped`] leaves in.
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '\u{034F}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180D}'
                | '\u{180F}'
                | '\u{2065}'
                | '\u{2800}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FFA0}'
                | '\u{FFF0}'..='\u{FFF8}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

/// Whether `name` shows more than dots: it has a character that is neither a
/// dot nor [invisible](is_invisible): `"\u{3164}.\u{3164}"` would look like
/// `.`.
fn has_visible_character(name: &str) -> bool {
    name.chars().any(|c| c != '.' && !is_invisible(c))
}

/// Whether `c` is trimmed from both ends of a name: whitespace and dots.
/// Windows drops them at the end; at the start, a dot would make a hidden
/// file (and could mimic the SDK's own `.lark-download-*.part` temporary
/// files, which a stale-file sweep deletes).
fn is_edge_junk(c: char) -> bool {
    c == '.' || c.is_whitespace()
}

/// Reduces an untrusted name to a single file name that is safe to join onto
/// a directory on Unix and Windows.
///
/// Steps, in order:
/// 1. keep only the last path component (split on both `/` and `\`);
/// 2. drop control characters (C0, DEL, C1) and Unicode format characters
///    (category Cf: bidirectional controls such as U+202E, zero-width spaces
///    and joiners U+200B–U+200D, the byte order mark U+FEFF, the soft hyphen
///    U+00AD, tag characters, …);
/// 3. replace `<>:"|?*` with `_`;
/// 4. trim whitespace and dots from both ends, so the name is never a hidden
///    dot-file and never ends the way Windows would silently change;
/// 5. cap the length at 200 bytes on a character boundary, keeping an
///    extension of up to 16 bytes (without one, whitespace and dots left at
///    the end by the cut are trimmed);
/// 6. prefix `_` to names Windows reserves for devices (`CON`, `PRN`, `AUX`,
///    `NUL`, `CONIN$`, `CONOUT$`, `CLOCK$`, `COM0`–`COM9`, `LPT0`–`LPT9` and
///    `COM`/`LPT` with a superscript 1–3; any case, with or without an
///    extension, with trailing spaces before the dot), and cut again as in
///    step 5 when the prefix made the name longer than 200 bytes.
///
/// Returns `None` when no visible character other than a dot is left: empty
/// names, and names made only of dots, whitespace, Hangul or Braille fillers,
/// variation selectors or other default-ignorable code points.
///
/// A returned name is at most 200 bytes long and sanitizes to itself.
pub fn sanitize_file_name(raw: &str) -> Option<String> {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|&c| !is_dropped(c))
        .map(|c| {
            if WINDOWS_FORBIDDEN.contains(&c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    let mut name = cap_length(cleaned.trim_matches(is_edge_junk));
    if is_windows_reserved(&name) {
        // A name cut to exactly the limit is one byte over with the prefix;
        // the second cut keeps the `_`, so the result is not reserved.
        name = cap_length(&format!("_{name}"));
    }
    if !has_visible_character(&name) {
        return None;
    }
    Some(name)
}

/// Cuts `name` to at most [`MAX_NAME_BYTES`], keeping a short extension.
///
/// `name` must not start with whitespace or a dot; the result then does not
/// either, and it ends with the kept extension or with neither whitespace nor
/// a dot.
fn cap_length(name: &str) -> String {
    if name.len() <= MAX_NAME_BYTES {
        return name.to_owned();
    }
    let extension = short_extension(name).unwrap_or("");
    let stem = &name[..name.len() - extension.len()];
    let cut = floor_char_boundary(stem, MAX_NAME_BYTES - extension.len());
    let stem = &stem[..cut];
    if extension.is_empty() {
        stem.trim_end_matches(is_edge_junk).to_owned()
    } else {
        format!("{stem}{extension}")
    }
}

/// The `.ext` suffix of `name` when it is short enough to keep on truncation.
fn short_extension(name: &str) -> Option<&str> {
    let dot = name.rfind('.')?;
    let ext = &name[dot + 1..];
    if dot == 0
        || ext.is_empty()
        || ext.len() > MAX_EXTENSION_BYTES
        || ext.chars().any(char::is_whitespace)
    {
        return None;
    }
    Some(&name[dot..])
}

/// The largest char boundary of `s` that is `<= index`.
fn floor_char_boundary(s: &str, index: usize) -> usize {
    if index >= s.len() {
        return s.len();
    }
    let mut i = index;
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Whether Windows treats `name` as a device name: the part before the first
/// dot, without trailing whitespace, is one of [`WINDOWS_RESERVED`].
fn is_windows_reserved(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or_default().trim_end();
    WINDOWS_RESERVED
        .iter()
        .any(|reserved| stem.eq_ignore_ascii_case(reserved))
}

/// The browser-style alternative to a sanitized file name, for saving next to
/// an existing file of that name: `stem (n).ext` (`report.pdf` → `report
/// (1).pdf`), or `name (n)` when the name has no short extension (the part
/// after the last dot, when that dot is not the first character, is at most
/// 16 bytes and has no whitespace).
///
/// When the result would be longer than 200 bytes, the stem is cut on a
/// character boundary and whitespace and dots at the end of the cut stem are
/// trimmed. The result is a fixed point of [`sanitize_file_name`], is never a
/// reserved Windows name, differs from `name`, and differs for each `n`.
/// A `name` that is not sanitized yet is sanitized first (`resource` when
/// nothing is left).
pub(crate) fn numbered_file_name(name: &str, n: u32) -> String {
    let name = sanitize_file_name(name).unwrap_or_else(|| "resource".to_owned());
    let extension = short_extension(&name).unwrap_or("");
    let stem = &name[..name.len() - extension.len()];
    let counter = format!(" ({n})");
    // At least 200 - 13 (" (4294967295)") - 17 = 170 bytes.
    let room = MAX_NAME_BYTES - counter.len() - extension.len();
    if stem.len() <= room {
        return format!("{stem}{counter}{extension}");
    }
    let mut head = stem[..floor_char_boundary(stem, room)].trim_end_matches(is_edge_junk);
    if stem[head.len()..] == counter {
        // `name` is itself `head (n)` at the limit: keep one character less so
        // the result is not `name` again.
        let mut chars = head.chars();
        chars.next_back();
        head = chars.as_str().trim_end_matches(is_edge_junk);
    }
    // `head` still starts with the first character of `name`, which is
    // neither whitespace nor a dot: before the second cut it was at least
    // 170 - 4 bytes long (only a space of the counter can follow the cut).
    debug_assert!(!head.is_empty());
    format!("{head}{counter}{extension}")
}

/// The usual file extension (without the dot) for a `Content-Type` value.
///
/// Parameters such as `; charset=utf-8` and letter case are ignored.
/// Returns `None` for media types without a well-known extension.
pub fn extension_for_content_type(content_type: &str) -> Option<&'static str> {
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    EXTENSIONS
        .iter()
        .find(|(mime, _)| media_type.eq_ignore_ascii_case(mime))
        .map(|&(_, ext)| ext)
}

/// A file name built from the resource's key, used when the server sends no
/// usable `Content-Disposition`.
///
/// The key is sanitized like [`sanitize_file_name`] (`resource` when nothing
/// is left) and `.ext` is appended when the Content-Type has a known
/// extension and the key does not already end with it.
pub fn fallback_file_name(file_key: &str, content_type: Option<&str>) -> String {
    let base = sanitize_file_name(file_key).unwrap_or_else(|| "resource".to_owned());
    let Some(ext) = content_type.and_then(extension_for_content_type) else {
        return base;
    };
    let suffix = format!(".{ext}");
    let already_has = base.len() > suffix.len()
        && base
            .get(base.len() - suffix.len()..)
            .is_some_and(|end| end.eq_ignore_ascii_case(&suffix));
    if already_has {
        return base;
    }
    sanitize_file_name(&format!("{base}{suffix}")).unwrap_or_else(|| format!("resource{suffix}"))
}

/// The local file name for a download: the sanitized `Content-Disposition`
/// name when there is a usable one, otherwise [`fallback_file_name`].
///
/// Always returns a single, non-empty path component that is safe to join
/// onto a directory.
pub fn choose_file_name(
    content_disposition: Option<&[u8]>,
    file_key: &str,
    content_type: Option<&str>,
) -> String {
    content_disposition
        .and_then(parse_content_disposition)
        .and_then(|name| sanitize_file_name(&name))
        .unwrap_or_else(|| fallback_file_name(file_key, content_type))
}

#[cfg(test)]
mod tests;
