//! Unit and property tests for the download file-name helpers.

use super::*;

fn parse(value: &str) -> Option<String> {
    parse_content_disposition(value.as_bytes())
}

fn cd(value: &[u8]) -> Option<&[u8]> {
    Some(value)
}

/// The first invariant of a sanitized name that `name` breaks, if any.
fn safety_violation(name: &str) -> Option<&'static str> {
    let checks: [(bool, &'static str); 13] = [
        (!name.is_empty(), "empty"),
        (name != "." && name != "..", "a dot name"),
        (
            !name.contains('/') && !name.contains('\\'),
            "has a path separator",
        ),
        (name.len() <= MAX_NAME_BYTES, "longer than the limit"),
        (!name.chars().any(is_dropped), "has a dropped character"),
        (
            !name.chars().any(|c| WINDOWS_FORBIDDEN.contains(&c)),
            "has a character Windows forbids",
        ),
        (!name.ends_with('.'), "ends with a dot"),
        (!name.ends_with(char::is_whitespace), "ends with whitespace"),
        (
            !name.starts_with(char::is_whitespace),
            "starts with whitespace",
        ),
        (!name.starts_with('.'), "starts with a dot"),
        (!is_windows_reserved(name), "reserved on Windows"),
        (has_visible_character(name), "has no visible character"),
        (
            sanitize_file_name(name).as_deref() == Some(name),
            "changes when sanitized again",
        ),
    ];
    checks
        .into_iter()
        .find(|&(ok, _)| !ok)
        .map(|(_, violation)| violation)
}

/// Checks the invariants every sanitized name must satisfy, including that
/// sanitizing it again changes nothing.
#[track_caller]
fn assert_safe(name: &str) {
    if let Some(violation) = safety_violation(name) {
        panic!("{name:?} ({} bytes): {violation}", name.len());
    }
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
    let header = r#"attachment; filename="fallback.png"; filename*=UTF-8''%E6%B5%8B%E8%AF%95.png"#;
    assert_eq!(parse(header).as_deref(), Some("测试.png"));
    // Order does not matter.
    let header = r#"attachment; filename*=UTF-8''%E6%B5%8B%E8%AF%95.png; filename="fallback.png""#;
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
    let long_reserved = format!("CON.{}", "a".repeat(300));
    let hostile = [
        long_reserved.as_str(),
        "\u{feff}CON",
        "\u{200b}",
        "\u{3164}.\u{3164}",
        ".lark-download-abc123.part",
        "CONOUT$",
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

#[test]
fn reserved_prefix_does_not_exceed_the_limit() {
    // Cut to exactly 200 bytes, then one more for the prefix: cut again.
    let safe = sanitize_file_name(&format!("CON.{}", "a".repeat(300))).unwrap();
    assert_eq!(safe, format!("_CON.{}", "a".repeat(195)));
    assert_safe(&safe);
    // With an extension, the stem gives way.
    let safe = sanitize_file_name(&format!("nul{}.txt", " ".repeat(300))).unwrap();
    assert_eq!(safe, format!("_nul{}.txt", " ".repeat(192)));
    assert_safe(&safe);
    // The second cut is on a character boundary too.
    let safe = sanitize_file_name(&format!("lpt1.{}", "测".repeat(100))).unwrap();
    assert_eq!(safe, format!("_lpt1.{}", "测".repeat(64)));
    assert_safe(&safe);
}

#[test]
fn a_cut_that_leaves_a_reserved_name_is_prefixed() {
    let raw = format!("CON{}x", " ".repeat(300));
    assert_eq!(sanitize_file_name(&raw).as_deref(), Some("_CON"));
    let raw = format!("aux{}.{}", ". ".repeat(150), "e".repeat(20));
    assert_eq!(sanitize_file_name(&raw).as_deref(), Some("_aux"));
}

#[test]
fn prefixes_more_windows_device_names() {
    let reserved = [
        "CONIN$",
        "conin$.txt",
        "CONOUT$",
        "ConOut$ .log",
        "CLOCK$",
        "clock$.tar.gz",
        "COM0",
        "com0.txt",
        "LPT0",
        "lpt0 .x",
    ];
    for raw in reserved {
        assert_eq!(sanitize_file_name(raw), Some(format!("_{raw}")), "{raw}");
    }
    for raw in ["CONIN", "CONIN$$", "CLOCK", "COM00", "LPT01", "xCONOUT$"] {
        assert_eq!(sanitize_file_name(raw).as_deref(), Some(raw), "{raw}");
    }
}

#[test]
fn drops_format_characters() {
    assert_eq!(
        sanitize_file_name("a\u{200b}b\u{200c}c\u{200d}d\u{2060}e\u{feff}f\u{ad}g.txt").as_deref(),
        Some("abcdefg.txt")
    );
    let all_kinds = "x\u{600}\u{605}\u{6dd}\u{70f}\u{8e2}\u{180e}\u{2064}\u{206f}\u{fff9}\u{fffb}\
        \u{110bd}\u{110cd}\u{13430}\u{1343f}\u{1bca0}\u{1d173}\u{1d17a}\u{e0001}\u{e0020}\u{e007f}.txt";
    assert_eq!(sanitize_file_name(all_kinds).as_deref(), Some("x.txt"));
    assert_eq!(sanitize_file_name("\u{200b}"), None);
    assert_eq!(sanitize_file_name("\u{feff}\u{200d}\u{2060}"), None);
    assert_eq!(sanitize_file_name("\u{200b}.\u{200b}"), None);
}

#[test]
fn rejects_names_without_visible_characters() {
    let invisible = [
        "\u{3164}",
        "\u{115f}\u{1160}",
        "\u{ffa0}",
        "\u{2800}\u{2800}",
        "\u{fe0f}",
        "\u{e0100}",
        " \u{3164} \u{3000}",
        "\u{3164} . \u{2800}",
        "\u{3164}.\u{3164}",
        "dir/\u{200b}\u{fe00}",
    ];
    for raw in invisible {
        assert_eq!(sanitize_file_name(raw), None, "{raw:?}");
    }
    // Visible characters next to invisible ones are kept, and so are inner spaces.
    for raw in [
        "a b",
        "my  file.txt",
        "\u{3164}a",
        "\u{2764}\u{fe0f}.txt",
        "한\u{3164}",
    ] {
        assert_eq!(sanitize_file_name(raw).as_deref(), Some(raw), "{raw:?}");
    }
}

#[test]
fn byte_order_mark_does_not_hide_a_reserved_name() {
    assert_eq!(sanitize_file_name("\u{feff}CON").as_deref(), Some("_CON"));
    assert_eq!(
        sanitize_file_name("\u{200b}nul.txt").as_deref(),
        Some("_nul.txt")
    );
    assert_eq!(
        sanitize_file_name("C\u{200d}O\u{ad}N").as_deref(),
        Some("_CON")
    );
    let header = "attachment; filename*=UTF-8''%EF%BB%BFaux.png".as_bytes();
    assert_eq!(choose_file_name(cd(header), "k", None), "_aux.png");
}

#[test]
fn trims_leading_dots() {
    assert_eq!(sanitize_file_name(".bashrc").as_deref(), Some("bashrc"));
    assert_eq!(sanitize_file_name("...a").as_deref(), Some("a"));
    assert_eq!(sanitize_file_name(". . .a.txt").as_deref(), Some("a.txt"));
    assert_eq!(
        sanitize_file_name(" .\u{200b}.hidden").as_deref(),
        Some("hidden")
    );
    assert_eq!(sanitize_file_name(".CON").as_deref(), Some("_CON"));
}

#[test]
fn cannot_mimic_temporary_download_files() {
    let safe = sanitize_file_name(".lark-download-abc123.part").unwrap();
    assert!(!safe.starts_with('.'), "{safe:?}");
    assert_eq!(safe, "lark-download-abc123.part");
    let headers: [&[u8]; 3] = [
        b"attachment; filename=\".lark-download-abc123.part\"",
        b"attachment; filename*=UTF-8''%E2%80%8B.lark-download-abc123.part",
        b"attachment; filename=\"x/ .lark-download-abc123.part\"",
    ];
    for header in headers {
        let name = choose_file_name(cd(header), "k", None);
        assert_eq!(name, "lark-download-abc123.part");
    }
    let name = fallback_file_name(".lark-download-abc123.part", None);
    assert_eq!(name, "lark-download-abc123.part");
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

// ---- numbered_file_name ----

#[test]
fn numbered_names_like_a_browser() {
    assert_eq!(numbered_file_name("same.bin", 1), "same (1).bin");
    assert_eq!(numbered_file_name("README", 2), "README (2)");
    assert_eq!(
        numbered_file_name("archive.tar.gz", 3),
        "archive.tar (3).gz"
    );
    assert_eq!(
        numbered_file_name("测试 文件.docx", 10),
        "测试 文件 (10).docx"
    );
    // No short extension: the counter goes at the end.
    assert_eq!(numbered_file_name("v1.2 final", 1), "v1.2 final (1)");
    let long_extension = format!("a.{}", "e".repeat(17));
    assert_eq!(
        numbered_file_name(&long_extension, 1),
        format!("{long_extension} (1)")
    );
    assert_eq!(numbered_file_name("_CON.txt", 1), "_CON (1).txt");
    assert_eq!(numbered_file_name("a (1).txt", 1), "a (1) (1).txt");
    assert_eq!(numbered_file_name("x", u32::MAX), "x (4294967295)");
}

#[test]
fn numbered_names_stay_within_the_limit() {
    let name = "a".repeat(MAX_NAME_BYTES);
    assert_eq!(
        numbered_file_name(&name, 1),
        format!("{} (1)", "a".repeat(196))
    );
    let name = format!("{}.pdf", "b".repeat(196));
    assert_eq!(
        numbered_file_name(&name, 12),
        format!("{} (12).pdf", "b".repeat(191))
    );
    // 3-byte characters are cut on a character boundary.
    let name = format!("{}.txt", "测".repeat(65));
    assert_eq!(
        numbered_file_name(&name, 1),
        format!("{} (1).txt", "测".repeat(64))
    );
    // Whitespace and dots at the end of the cut stem are trimmed.
    let name = format!("{}{}.txt", "a".repeat(180), " .".repeat(8));
    assert_eq!(name.len(), MAX_NAME_BYTES);
    assert_eq!(
        numbered_file_name(&name, 1),
        format!("{} (1).txt", "a".repeat(180))
    );
    for n in [1, 9, 10, 99_999, u32::MAX] {
        let numbered = numbered_file_name(&name, n);
        assert_safe(&numbered);
        assert_ne!(numbered, name);
    }
}

#[test]
fn numbered_name_differs_from_a_name_numbered_at_the_limit() {
    let name = format!("{} (1)", "x".repeat(196));
    assert_eq!(name.len(), MAX_NAME_BYTES);
    assert_eq!(
        numbered_file_name(&name, 1),
        format!("{} (1)", "x".repeat(195))
    );
    assert_eq!(
        numbered_file_name(&name, 2),
        format!("{} (2)", "x".repeat(196))
    );
    let name = format!("{} (7).jpg", "y".repeat(192));
    assert_eq!(
        numbered_file_name(&name, 7),
        format!("{} (7).jpg", "y".repeat(191))
    );
}

#[test]
fn numbered_name_of_an_unsanitized_name() {
    assert_eq!(numbered_file_name("../CON.txt", 1), "_CON (1).txt");
    assert_eq!(numbered_file_name("", 1), "resource (1)");
}

/// Property tests: on arbitrary input, sanitized names are safe, at most 200
/// bytes long and sanitize to themselves.
///
/// Each property runs `PROPTEST_CASES` cases (10,000 when unset).
mod props {
    use super::*;
    use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
    use proptest::collection::vec;
    use proptest::prelude::*;
    use proptest::sample::select;

    /// Cases per property: `PROPTEST_CASES` when set, 10,000 otherwise.
    fn cases() -> u32 {
        std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|cases| cases.trim().parse().ok())
            .unwrap_or(10_000)
    }

    fn config() -> ProptestConfig {
        ProptestConfig {
            // A failure reports the shrunk input; nothing is written next to
            // the sources.
            failure_persistence: None,
            ..ProptestConfig::with_cases(cases())
        }
    }

    /// Pieces of names that exercise each rule of the sanitizer.
    #[rustfmt::skip]
    const PIECES: &[&str] = &[
        // Reserved device names in various cases.
        "CON", "con", "Con", "PRN", "aux", "NUL", "nul", "COM1", "com9", "COM0", "LPT0", "lpt1",
        "COM\u{b9}", "lpt\u{b3}", "CONIN$", "conout$", "CLOCK$", "Clock$",
        // Dots, whitespace and separators.
        ".", "..", "...", " ", "  ", "\t", "\u{3000}", "\u{a0}", "\u{2028}", "/", "\\",
        // Characters Windows forbids.
        "<", ">", ":", "\"", "|", "?", "*",
        // Control characters.
        "\u{0}", "\u{1b}", "\u{7f}", "\u{85}", "\u{9b}", "\n",
        // Bidi controls and other format characters.
        "\u{202e}", "\u{202a}", "\u{2066}", "\u{2069}", "\u{200e}", "\u{200f}", "\u{61c}",
        "\u{200b}", "\u{200d}", "\u{feff}", "\u{ad}", "\u{2060}", "\u{600}", "\u{180e}",
        "\u{fff9}", "\u{110bd}", "\u{13430}", "\u{1bca0}", "\u{1d173}", "\u{e0001}", "\u{e0041}",
        // Invisible fillers and variation selectors.
        "\u{115f}", "\u{1160}", "\u{3164}", "\u{ffa0}", "\u{2800}", "\u{fe0f}", "\u{e0100}",
        "\u{34f}",
        // Ordinary text, counters and extensions.
        "a", "x", "file", "report", "测", "测试", "😀", "é", "e\u{301}", "_", "-", "$", "(1)",
        " (1)", " (12)", ".txt", ".pdf", ".tar.gz", ".eeeeeeeeeeeeeeeee", ".lark-download-",
        ".part",
    ];

    /// Characters repeated into long runs, around and past the length limit.
    #[rustfmt::skip]
    const RUNS: &[&str] = &[
        "a", "测", "😀", " ", ".", ". ", "\u{3164}", "\u{200b}", "e\u{301}", "\u{2764}\u{fe0f}",
    ];

    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            6 => select(PIECES).prop_map(str::to_owned),
            1 => (select(RUNS), 1..300usize).prop_map(|(run, n)| run.repeat(n)),
            1 => any::<String>(),
        ]
    }

    /// Arbitrary strings, concatenations of tricky pieces, and names whose
    /// length is near 200 bytes.
    fn raw_name() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            vec(piece(), 0..10).prop_map(|pieces| pieces.concat()),
            (
                vec(select(PIECES), 0..3),
                select(RUNS),
                0..=210usize,
                vec(select(PIECES), 0..3),
            )
                .prop_map(|(head, run, n, tail)| {
                    format!("{}{}{}", head.concat(), run.repeat(n), tail.concat())
                }),
        ]
    }

    /// Names as [`sanitize_file_name`] returns them.
    fn sanitized_name() -> impl Strategy<Value = String> {
        raw_name().prop_map(|raw| sanitize_file_name(&raw).unwrap_or_else(|| "resource".into()))
    }

    /// Pieces of `Content-Disposition` values.
    const HEADER_PIECES: &[&[u8]] = &[
        b"attachment",
        b"inline",
        b";",
        b" ",
        b"=",
        b"filename",
        b"FileName",
        b"filename*",
        b"\"",
        b"\\",
        b"'",
        b"UTF-8''",
        b"iso-8859-1'en'",
        b"%",
        b"%2F",
        b"%5C",
        b"%2e",
        b"%00",
        b"%E2%80%AE",
        b"%EF%BB%BF",
        b"%E2%80%8B",
        b"%E3%85%A4",
        b"%FF",
        b"\xff",
        b"\xe6\xb5\x8b",
        b"CON",
        b"conin$",
        b".",
        b"..",
        b"/",
        b".lark-download-x.part",
    ];

    fn header() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            any::<Vec<u8>>(),
            vec(select(HEADER_PIECES), 0..16).prop_map(|pieces| pieces.concat()),
            raw_name().prop_map(|name| {
                let quoted = name.replace('\\', "\\\\").replace('"', "\\\"");
                format!("attachment; filename=\"{quoted}\"").into_bytes()
            }),
            raw_name().prop_map(|name| {
                let encoded = utf8_percent_encode(&name, NON_ALPHANUMERIC);
                format!("attachment; filename*=UTF-8''{encoded}").into_bytes()
            }),
        ]
    }

    const CONTENT_TYPES: &[&str] = &[
        "image/png",
        "application/pdf",
        "text/plain; charset=utf-8",
        "application/octet-stream",
        "application/x-unknown",
        "",
        ";",
    ];

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn sanitized_names_are_safe_bounded_and_idempotent(raw in raw_name()) {
            if let Some(safe) = sanitize_file_name(&raw) {
                let violation = safety_violation(&safe);
                prop_assert!(violation.is_none(), "{:?} -> {:?}: {:?}", raw, safe, violation);
            }
        }

        #[test]
        fn chosen_names_are_safe_and_idempotent(
            header in header(),
            key in raw_name(),
            content_type in proptest::option::of(select(CONTENT_TYPES)),
        ) {
            for disposition in [Some(header.as_slice()), None] {
                let name = choose_file_name(disposition, &key, content_type);
                let violation = safety_violation(&name);
                prop_assert!(violation.is_none(), "{:?}: {:?}", name, violation);
            }
        }

        #[test]
        fn numbered_names_are_safe_and_distinct(
            name in sanitized_name(),
            n in 1..100_000u32,
            other in 1..100_000u32,
        ) {
            let numbered = numbered_file_name(&name, n);
            let violation = safety_violation(&numbered);
            prop_assert!(violation.is_none(), "{:?} -> {:?}: {:?}", name, numbered, violation);
            prop_assert_ne!(&numbered, &name);
            for m in [n - 1, n + 1, n * 10, other] {
                if m >= 1 && m != n {
                    prop_assert_ne!(&numbered, &numbered_file_name(&name, m), "n = {}, m = {}", n, m);
                }
            }
        }
    }
}
