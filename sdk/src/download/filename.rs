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

/// Device names that Windows reserves, with or without an extension.
const WINDOWS_RESERVED: [&str; 28] = [
    "CON",
    "PRN",
    "AUX",
    "NUL",
    "COM1",
    "COM2",
    "COM3",
    "COM4",
    "COM5",
    "COM6",
    "COM7",
    "COM8",
    "COM9",
    "LPT1",
    "LPT2",
    "LPT3",
    "LPT4",
    "LPT5",
    "LPT6",
    "LPT7",
    "LPT8",
    "LPT9",
    "COM\u{b9}",
    "COM\u{b2}",
    "COM\u{b3}",
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
/// and bidirectional formatting characters that can disguise an extension.
fn is_dropped(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
        )
}

/// Whether `c` is trimmed from the end of a name (Windows drops these).
fn is_trailing_junk(c: char) -> bool {
    c == '.' || c.is_whitespace()
}

/// Reduces an untrusted name to a single file name that is safe to join onto
/// a directory on Unix and Windows.
///
/// Steps:
/// - keep only the last path component (split on both `/` and `\`);
/// - drop control characters (C0, DEL, C1) and bidirectional formatting
///   characters (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C);
/// - replace `<>:"|?*` with `_`;
/// - trim leading whitespace and trailing whitespace and dots;
/// - cap the length at 200 bytes on a character boundary, keeping an
///   extension of up to 16 bytes;
/// - prefix `_` to names Windows reserves (`CON`, `PRN`, `AUX`, `NUL`,
///   `COM1`–`COM9`, `LPT1`–`LPT9`, any case, with or without extension).
///
/// Returns `None` when nothing usable is left (empty, `.` or `..`).
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
    let trimmed = cleaned.trim_start().trim_end_matches(is_trailing_junk);
    let capped = cap_length(trimmed);
    if capped.is_empty() || capped == "." || capped == ".." {
        return None;
    }
    if is_windows_reserved(&capped) {
        return Some(format!("_{capped}"));
    }
    Some(capped)
}

/// Cuts `name` to at most [`MAX_NAME_BYTES`], keeping a short extension.
fn cap_length(name: &str) -> String {
    if name.len() <= MAX_NAME_BYTES {
        return name.to_owned();
    }
    let extension = short_extension(name).unwrap_or("");
    let stem = &name[..name.len() - extension.len()];
    let cut = floor_char_boundary(stem, MAX_NAME_BYTES - extension.len());
    let stem = &stem[..cut];
    if extension.is_empty() {
        stem.trim_end_matches(is_trailing_junk).to_owned()
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

/// Whether Windows treats `name` as a device name.
fn is_windows_reserved(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or_default().trim_end();
    WINDOWS_RESERVED
        .iter()
        .any(|reserved| stem.eq_ignore_ascii_case(reserved))
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
mod tests {
    use super::*;

    fn parse(value: &str) -> Option<String> {
        parse_content_disposition(value.as_bytes())
    }

    fn cd(value: &[u8]) -> Option<&[u8]> {
        Some(value)
    }

    /// Checks the invariants every sanitized name must satisfy.
    fn assert_safe(name: &str) {
        assert!(!name.is_empty());
        assert!(name != "." && name != "..", "{name:?}");
        assert!(!name.contains('/') && !name.contains('\\'), "{name:?}");
        assert!(name.len() <= MAX_NAME_BYTES + 1, "{} bytes", name.len());
        assert!(!name.chars().any(is_dropped), "{name:?}");
        assert!(
            !name.chars().any(|c| WINDOWS_FORBIDDEN.contains(&c)),
            "{name:?}"
        );
        assert!(!name.ends_with('.') && !name.ends_with(char::is_whitespace));
        assert!(!name.starts_with(char::is_whitespace));
        assert!(!is_windows_reserved(name), "{name:?}");
    }

    // ---- parse_content_disposition ----

    #[test]
    fn parses_quoted_filename() {
        assert_eq!(
            parse(r#"attachment; filename="report.pdf""#).as_deref(),
            Some("report.pdf")
        );
    }

    #[test]
    fn parses_bare_token_filename() {
        assert_eq!(
            parse("attachment; filename=report.pdf").as_deref(),
            Some("report.pdf")
        );
        assert_eq!(
            parse("attachment; filename = report.pdf ; size=3").as_deref(),
            Some("report.pdf")
        );
    }

    #[test]
    fn prefers_extended_filename_over_plain() {
        let header =
            r#"attachment; filename="fallback.png"; filename*=UTF-8''%E6%B5%8B%E8%AF%95.png"#;
        assert_eq!(parse(header).as_deref(), Some("测试.png"));
        // Order does not matter.
        let header =
            r#"attachment; filename*=UTF-8''%E6%B5%8B%E8%AF%95.png; filename="fallback.png""#;
        assert_eq!(parse(header).as_deref(), Some("测试.png"));
    }

    #[test]
    fn extended_filename_with_language_tag_and_case() {
        assert_eq!(
            parse("attachment; FILENAME*=utf-8'zh-CN'%E6%B5%8B%E8%AF%95.txt").as_deref(),
            Some("测试.txt")
        );
        assert_eq!(
            parse("inline; FileName=\"A.txt\"").as_deref(),
            Some("A.txt")
        );
    }

    #[test]
    fn extended_filename_latin1() {
        assert_eq!(
            parse("attachment; filename*=ISO-8859-1'en'%A3%20rates.txt").as_deref(),
            Some("£ rates.txt")
        );
    }

    #[test]
    fn extended_filename_quoted_is_tolerated() {
        assert_eq!(
            parse("attachment; filename*=\"UTF-8''a%20b.txt\"").as_deref(),
            Some("a b.txt")
        );
    }

    #[test]
    fn bad_extended_filename_falls_back_to_plain() {
        // Invalid UTF-8 after decoding.
        assert_eq!(
            parse("attachment; filename*=UTF-8''%FF%FE.txt; filename=plain.txt").as_deref(),
            Some("plain.txt")
        );
        // Unknown charset.
        assert_eq!(
            parse("attachment; filename*=Shift_JIS''%82%A0.txt; filename=plain.txt").as_deref(),
            Some("plain.txt")
        );
        // Missing the charset'lang' prefix.
        assert_eq!(
            parse("attachment; filename*=%E6%B5%8B.txt; filename=plain.txt").as_deref(),
            Some("plain.txt")
        );
        // Empty after decoding.
        assert_eq!(
            parse("attachment; filename*=UTF-8''; filename=plain.txt").as_deref(),
            Some("plain.txt")
        );
    }

    #[test]
    fn quoted_string_escapes_and_semicolons() {
        assert_eq!(
            parse(r#"attachment; filename="a\"b\\c.txt""#).as_deref(),
            Some(r#"a"b\c.txt"#)
        );
        assert_eq!(
            parse(r#"attachment; filename="a;b.txt"; size=10"#).as_deref(),
            Some("a;b.txt")
        );
        // Another parameter with a quoted ';' before the file name.
        assert_eq!(
            parse(r#"attachment; note="x; filename=evil"; filename="good.txt""#).as_deref(),
            Some("good.txt")
        );
    }

    #[test]
    fn unterminated_quote_takes_the_rest() {
        assert_eq!(
            parse(r#"attachment; filename="half.txt"#).as_deref(),
            Some("half.txt")
        );
    }

    #[test]
    fn raw_utf8_bytes_are_accepted() {
        let header = "attachment; filename=\"测试 文件.docx\"".as_bytes();
        assert_eq!(
            parse_content_disposition(header).as_deref(),
            Some("测试 文件.docx")
        );
    }

    #[test]
    fn invalid_utf8_is_decoded_as_latin1() {
        let mut header = b"attachment; filename=\"caf".to_vec();
        header.push(0xE9);
        header.extend_from_slice(b".txt\"");
        assert_eq!(
            parse_content_disposition(&header).as_deref(),
            Some("café.txt")
        );
    }

    #[test]
    fn plain_filename_is_url_unquoted_when_utf8() {
        assert_eq!(
            parse("attachment; filename=\"%E6%B5%8B%E8%AF%95.png\"").as_deref(),
            Some("测试.png")
        );
        assert_eq!(
            parse("attachment; filename=my%20file.txt").as_deref(),
            Some("my file.txt")
        );
        // Decoding would give invalid UTF-8: keep the literal text.
        assert_eq!(
            parse("attachment; filename=\"100%FF.txt\"").as_deref(),
            Some("100%FF.txt")
        );
        // A lone '%' is not an escape.
        assert_eq!(
            parse("attachment; filename=\"50% off.txt\"").as_deref(),
            Some("50% off.txt")
        );
    }

    #[test]
    fn no_usable_name() {
        assert_eq!(parse(""), None);
        assert_eq!(parse("attachment"), None);
        assert_eq!(parse("inline; size=5"), None);
        assert_eq!(parse("attachment; filename=\"\""), None);
        assert_eq!(parse("attachment; filename=   "), None);
        assert_eq!(parse("attachment; filename="), None);
        assert_eq!(parse(";;;==;\"\"\\"), None);
    }

    #[test]
    fn filename_without_disposition_type() {
        assert_eq!(parse("filename=x.png").as_deref(), Some("x.png"));
    }

    #[test]
    fn first_plain_filename_wins() {
        assert_eq!(
            parse("attachment; filename=a.txt; filename=b.txt").as_deref(),
            Some("a.txt")
        );
    }

    #[test]
    fn parser_never_panics_on_arbitrary_bytes() {
        let mut rng = fastrand::Rng::with_seed(7);
        let alphabet = b"\"\\;=*'% aF0filename\xff\xe6";
        for _ in 0..2000 {
            let len = rng.usize(0..40);
            let bytes: Vec<u8> = (0..len)
                .map(|_| alphabet[rng.usize(0..alphabet.len())])
                .collect();
            if let Some(name) = parse_content_disposition(&bytes) {
                assert!(!name.trim().is_empty());
                if let Some(safe) = sanitize_file_name(&name) {
                    assert_safe(&safe);
                }
            }
        }
    }

    // ---- sanitize_file_name ----

    #[test]
    fn keeps_ordinary_names() {
        assert_eq!(
            sanitize_file_name("report.pdf").as_deref(),
            Some("report.pdf")
        );
        assert_eq!(
            sanitize_file_name("测试 文件.docx").as_deref(),
            Some("测试 文件.docx")
        );
        assert_eq!(sanitize_file_name(".bashrc").as_deref(), Some(".bashrc"));
    }

    #[test]
    fn strips_directories() {
        assert_eq!(
            sanitize_file_name("../../evil.sh").as_deref(),
            Some("evil.sh")
        );
        assert_eq!(sanitize_file_name("/etc/passwd").as_deref(), Some("passwd"));
        assert_eq!(
            sanitize_file_name("..\\..\\win.ini").as_deref(),
            Some("win.ini")
        );
        assert_eq!(sanitize_file_name("a/b/c.txt").as_deref(), Some("c.txt"));
        assert_eq!(
            sanitize_file_name("C:\\Users\\x\\a.txt").as_deref(),
            Some("a.txt")
        );
        assert_eq!(sanitize_file_name("dir/"), None);
        assert_eq!(sanitize_file_name("a/.."), None);
    }

    #[test]
    fn rejects_dot_names_and_blank() {
        assert_eq!(sanitize_file_name(".."), None);
        assert_eq!(sanitize_file_name("."), None);
        assert_eq!(sanitize_file_name("  "), None);
        assert_eq!(sanitize_file_name(""), None);
        assert_eq!(sanitize_file_name("..."), None);
        assert_eq!(sanitize_file_name(&".".repeat(500)), None);
        assert_eq!(sanitize_file_name(". . ."), None);
        assert_eq!(sanitize_file_name("\u{0}\u{7f}\u{85}"), None);
        assert_eq!(sanitize_file_name("\u{202e}"), None);
    }

    #[test]
    fn drops_control_characters() {
        assert_eq!(
            sanitize_file_name("evil\u{0}.sh").as_deref(),
            Some("evil.sh")
        );
        assert_eq!(
            sanitize_file_name("\u{1b}[31mred.txt").as_deref(),
            Some("[31mred.txt")
        );
        assert_eq!(
            sanitize_file_name("a\u{7f}b\u{9b}c\u{85}\n\r\t.txt").as_deref(),
            Some("abc.txt")
        );
    }

    #[test]
    fn drops_bidi_controls() {
        // "invoice\u{202e}fdp.exe" renders as "invoiceexe.pdf".
        assert_eq!(
            sanitize_file_name("invoice\u{202e}fdp.exe").as_deref(),
            Some("invoicefdp.exe")
        );
        assert_eq!(
            sanitize_file_name(
                "\u{202a}a\u{202b}b\u{202c}c\u{202d}d\u{2066}e\u{2067}f\u{2068}g\u{2069}.txt"
            )
            .as_deref(),
            Some("abcdefg.txt")
        );
        assert_eq!(
            sanitize_file_name("x\u{200e}\u{200f}\u{61c}.txt").as_deref(),
            Some("x.txt")
        );
    }

    #[test]
    fn replaces_windows_forbidden_characters() {
        assert_eq!(
            sanitize_file_name("a<b>c:d\"e|f?g*h.txt").as_deref(),
            Some("a_b_c_d_e_f_g_h.txt")
        );
        assert_eq!(
            sanitize_file_name("C:evil.txt").as_deref(),
            Some("C_evil.txt")
        );
        assert_eq!(
            sanitize_file_name("file.txt:stream").as_deref(),
            Some("file.txt_stream")
        );
    }

    #[test]
    fn trims_whitespace_and_trailing_dots() {
        assert_eq!(sanitize_file_name("  a.txt  ").as_deref(), Some("a.txt"));
        assert_eq!(sanitize_file_name("a.txt...").as_deref(), Some("a.txt"));
        assert_eq!(sanitize_file_name("a.txt. . ").as_deref(), Some("a.txt"));
        assert_eq!(
            sanitize_file_name("\u{3000}全角.txt").as_deref(),
            Some("全角.txt")
        );
        // Leading dots are fine (not a traversal once separators are gone).
        assert_eq!(sanitize_file_name("...a").as_deref(), Some("...a"));
    }

    #[test]
    fn prefixes_windows_reserved_names() {
        assert_eq!(sanitize_file_name("CON").as_deref(), Some("_CON"));
        assert_eq!(sanitize_file_name("con.txt").as_deref(), Some("_con.txt"));
        assert_eq!(
            sanitize_file_name("Nul.tar.gz").as_deref(),
            Some("_Nul.tar.gz")
        );
        assert_eq!(sanitize_file_name("prn").as_deref(), Some("_prn"));
        assert_eq!(sanitize_file_name("aux.").as_deref(), Some("_aux"));
        assert_eq!(sanitize_file_name("COM1.log").as_deref(), Some("_COM1.log"));
        assert_eq!(sanitize_file_name("lpt9").as_deref(), Some("_lpt9"));
        assert_eq!(sanitize_file_name("CON .txt").as_deref(), Some("_CON .txt"));
        assert_eq!(sanitize_file_name("dir/AUX").as_deref(), Some("_AUX"));
        // Not reserved.
        assert_eq!(sanitize_file_name("COM0").as_deref(), Some("COM0"));
        assert_eq!(sanitize_file_name("COM10").as_deref(), Some("COM10"));
        assert_eq!(
            sanitize_file_name("console.txt").as_deref(),
            Some("console.txt")
        );
        assert_eq!(sanitize_file_name("LPT").as_deref(), Some("LPT"));
        assert_eq!(sanitize_file_name("x.con").as_deref(), Some("x.con"));
    }

    #[test]
    fn caps_long_names_keeping_extension() {
        let name = format!("{}.pdf", "a".repeat(10_000));
        let safe = sanitize_file_name(&name).unwrap();
        assert_eq!(safe.len(), MAX_NAME_BYTES);
        assert!(safe.ends_with(".pdf"));
        assert!(safe.starts_with("aaa"));

        let safe = sanitize_file_name(&"b".repeat(10_000)).unwrap();
        assert_eq!(safe, "b".repeat(MAX_NAME_BYTES));
    }

    #[test]
    fn caps_on_char_boundary() {
        // 3-byte characters: 200 is not a multiple of 3.
        let name = "测".repeat(10_000);
        let safe = sanitize_file_name(&name).unwrap();
        assert!(safe.len() <= MAX_NAME_BYTES);
        assert_eq!(safe.len(), 198);
        assert!(safe.chars().all(|c| c == '测'));

        let name = format!("{}.docx", "测".repeat(10_000));
        let safe = sanitize_file_name(&name).unwrap();
        assert!(safe.len() <= MAX_NAME_BYTES);
        assert!(safe.ends_with(".docx"));
        assert!(safe.trim_end_matches(".docx").chars().all(|c| c == '测'));
    }

    #[test]
    fn long_extension_is_not_kept() {
        let name = format!("{}.{}", "a".repeat(300), "e".repeat(17));
        let safe = sanitize_file_name(&name).unwrap();
        assert_eq!(safe, "a".repeat(MAX_NAME_BYTES));
        // 16 bytes is still kept.
        let name = format!("{}.{}", "a".repeat(300), "e".repeat(16));
        let safe = sanitize_file_name(&name).unwrap();
        assert_eq!(safe.len(), MAX_NAME_BYTES);
        assert!(safe.ends_with(&format!(".{}", "e".repeat(16))));
    }

    #[test]
    fn truncation_does_not_leave_trailing_dots_or_spaces() {
        let name = format!("{}{}", "a".repeat(199), " .  x".repeat(100));
        let safe = sanitize_file_name(&name).unwrap();
        assert_safe(&safe);
        assert_eq!(safe, "a".repeat(199));
    }

    #[test]
    fn hostile_inputs_are_always_safe() {
        let long = "x".repeat(10_000);
        let hostile = [
            "../../evil.sh",
            "/etc/passwd",
            "..\\..\\win.ini",
            "a/b/c.txt",
            "evil\u{0}.sh",
            "\u{1b}[31mred.txt",
            "CON",
            "con.txt",
            long.as_str(),
            "\u{202e}gpj.exe",
            "a\u{0}/..",
            "  ./  ",
            "*?<>|:\"",
            "x/\u{85}",
        ];
        for raw in hostile {
            if let Some(safe) = sanitize_file_name(raw) {
                assert_safe(&safe);
            }
        }
    }

    // ---- extension_for_content_type ----

    #[test]
    fn maps_content_types() {
        let cases = [
            ("image/png", "png"),
            ("image/jpeg", "jpg"),
            ("image/gif", "gif"),
            ("image/webp", "webp"),
            ("image/bmp", "bmp"),
            ("image/tiff", "tiff"),
            ("image/heic", "heic"),
            ("image/svg+xml", "svg"),
            ("application/pdf", "pdf"),
            ("application/zip", "zip"),
            ("video/mp4", "mp4"),
            ("video/quicktime", "mov"),
            ("audio/mpeg", "mp3"),
            ("audio/mp4", "m4a"),
            ("audio/ogg", "opus"),
            ("audio/opus", "opus"),
            ("text/plain", "txt"),
            ("application/json", "json"),
            ("application/msword", "doc"),
            (
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "docx",
            ),
            (
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
            ),
            (
                "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                "pptx",
            ),
            ("application/vnd.ms-excel", "xls"),
            ("application/vnd.ms-powerpoint", "ppt"),
            ("application/octet-stream", "bin"),
        ];
        for (content_type, ext) in cases {
            assert_eq!(
                extension_for_content_type(content_type),
                Some(ext),
                "{content_type}"
            );
        }
    }

    #[test]
    fn content_type_parameters_and_case_are_ignored() {
        assert_eq!(
            extension_for_content_type("text/plain; charset=utf-8"),
            Some("txt")
        );
        assert_eq!(extension_for_content_type("IMAGE/PNG"), Some("png"));
        assert_eq!(
            extension_for_content_type("  Application/JSON ;charset=UTF-8"),
            Some("json")
        );
    }

    #[test]
    fn unknown_content_types() {
        assert_eq!(extension_for_content_type(""), None);
        assert_eq!(extension_for_content_type("application/x-unknown"), None);
        assert_eq!(extension_for_content_type("image"), None);
        assert_eq!(extension_for_content_type("image/png2"), None);
        assert_eq!(extension_for_content_type(";"), None);
    }

    // ---- fallback_file_name ----

    #[test]
    fn fallback_uses_key_and_extension() {
        assert_eq!(
            fallback_file_name("img_v3_02ab_cdef", Some("image/png")),
            "img_v3_02ab_cdef.png"
        );
        assert_eq!(
            fallback_file_name("file_v3_xyz", Some("application/pdf; charset=binary")),
            "file_v3_xyz.pdf"
        );
        assert_eq!(fallback_file_name("file_v3_xyz", None), "file_v3_xyz");
        assert_eq!(
            fallback_file_name("file_v3_xyz", Some("application/x-unknown")),
            "file_v3_xyz"
        );
    }

    #[test]
    fn fallback_with_unusable_key() {
        assert_eq!(fallback_file_name("", Some("image/png")), "resource.png");
        assert_eq!(fallback_file_name("..", None), "resource");
        assert_eq!(fallback_file_name("../", Some("video/mp4")), "resource.mp4");
        assert_eq!(fallback_file_name("../../k", Some("video/mp4")), "k.mp4");
        assert_eq!(fallback_file_name("con", Some("text/plain")), "_con.txt");
    }

    #[test]
    fn fallback_does_not_double_the_extension() {
        assert_eq!(fallback_file_name("a.PNG", Some("image/png")), "a.PNG");
        assert_eq!(fallback_file_name("a.png", Some("image/jpeg")), "a.png.jpg");
    }

    #[test]
    fn fallback_with_long_key_stays_capped() {
        let name = fallback_file_name(&"k".repeat(1_000), Some("image/png"));
        assert_eq!(name.len(), MAX_NAME_BYTES);
        assert!(name.ends_with(".png"));
        assert_safe(&name);
    }

    // ---- choose_file_name ----

    #[test]
    fn choose_prefers_content_disposition() {
        let header = "attachment; filename*=UTF-8''%E6%B5%8B%E8%AF%95.png".as_bytes();
        assert_eq!(
            choose_file_name(Some(header), "img_key", Some("image/png")),
            "测试.png"
        );
    }

    #[test]
    fn choose_sanitizes_hostile_header() {
        let header: &[u8] = b"attachment; filename=\"../../.ssh/authorized_keys\"";
        assert_eq!(
            choose_file_name(Some(header), "file_key", None),
            "authorized_keys"
        );
        let header = "attachment; filename*=UTF-8''..%2F..%2Fevil.sh".as_bytes();
        assert_eq!(choose_file_name(Some(header), "file_key", None), "evil.sh");
    }

    #[test]
    fn choose_falls_back() {
        assert_eq!(
            choose_file_name(None, "file_v3_abc", Some("audio/ogg")),
            "file_v3_abc.opus"
        );
        assert_eq!(
            choose_file_name(cd(b"attachment"), "file_v3_abc", Some("video/mp4")),
            "file_v3_abc.mp4"
        );
        assert_eq!(
            choose_file_name(cd(b"attachment; filename=\"..\""), "k", Some("image/png")),
            "k.png"
        );
        assert_eq!(
            choose_file_name(cd(b"attachment; filename=\"/\""), "", None),
            "resource"
        );
    }

    #[test]
    fn choose_always_returns_a_safe_component() {
        let headers: [&[u8]; 6] = [
            b"",
            b"attachment; filename=\"\x00\x1b\"",
            b"attachment; filename=\"CON\"",
            b"attachment; filename=\"a\\\\b\\\\nul.txt\"",
            b"attachment; filename*=UTF-8''%00%2e%2e",
            b"\xff\xfe\xfd",
        ];
        for header in headers {
            for key in ["", "..", "key", "../../x", "\u{202e}"] {
                let name = choose_file_name(Some(header), key, Some("image/png"));
                assert_safe(&name);
                let name = choose_file_name(Some(header), key, None);
                assert_safe(&name);
            }
        }
        assert_eq!(
            choose_file_name(cd(b"attachment; filename=\"CON\""), "k", None),
            "_CON"
        );
        assert_eq!(
            choose_file_name(cd(b"attachment; filename=\"a\\\\b\\\\nul.txt\""), "k", None),
            "_nul.txt"
        );
    }
}
