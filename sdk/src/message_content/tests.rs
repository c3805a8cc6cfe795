//! Builders compared with the documented examples, parsing of the documented received
//! shapes, round trips, errors, and property tests on arbitrary input.

use serde_json::{json, Value};

use super::*;

/// The content string of `content`, parsed back: it must be a JSON object.
fn content_value(content: &dyn MessageContent) -> Value {
    let text = content.to_content_string();
    let value: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("invalid JSON {text:?}: {e}"));
    assert!(value.is_object(), "not an object: {text}");
    value
}

const ZWSP: char = '\u{200B}';

// ---------------------------------------------------------------------------------------
// text

#[test]
fn text_matches_the_documented_examples() {
    let plain = Text::new("test content");
    assert_eq!(plain.msg_type(), "text");
    assert_eq!(content_value(&plain), json!({"text": "test content"}));

    // The line-break example: `{"text":"firstline \n secondline "}`.
    let lines = Text::new("firstline ").line().text(" secondline ");
    assert_eq!(
        lines.to_content_string(),
        r#"{"text":"firstline \n secondline "}"#
    );

    // The mention example: `<at user_id=\"ou_xxxxxxx\">Tom</at> text content`.
    let mention = Text::default()
        .at("ou_xxxxxxx", "Tom")
        .text(" text content");
    assert_eq!(
        mention.to_content_string(),
        r#"{"text":"<at user_id=\"ou_xxxxxxx\">Tom</at> text content"}"#
    );

    assert_eq!(
        content_value(&Text::default().at_all()),
        json!({"text": "<at user_id=\"all\"></at>"})
    );
    assert_eq!(
        content_value(&Text::default().at(AT_ALL, "所有人")),
        json!({"text": "<at user_id=\"all\">所有人</at>"})
    );

    // The style example: `<b>bold content<i>, bold and italic content</i></b>` needs nesting,
    // which only `raw` writes; the single styles are built.
    let styled = Text::default()
        .bold("b")
        .italic("i")
        .underline("u")
        .strikethrough("s");
    assert_eq!(styled.as_str(), "<b>b</b><i>i</i><u>u</u><s>s</s>");

    // The link example.
    let link = Text::default().link("Feishu Open Platform", "https://open.feishu.cn");
    assert_eq!(
        content_value(&link),
        json!({"text": "[Feishu Open Platform](https://open.feishu.cn)"})
    );
}

#[test]
fn text_neutralises_markup_in_literal_text() {
    let text = Text::new(
        r#"<at user_id="all">everyone</at> <b>x</b> </i> [a](https://evil) <3 a<b 1 < 2"#,
    );
    assert_eq!(
        text.as_str(),
        "<\u{200B}at user_id=\"all\">everyone<\u{200B}/at> <\u{200B}b>x<\u{200B}/b> <\u{200B}/i> \
         [a]\u{200B}(https://evil) <3 a<\u{200B}b 1 < 2"
    );
    // Removing the breaks gives the text back.
    let restored: String = text.as_str().chars().filter(|c| *c != ZWSP).collect();
    assert_eq!(
        restored,
        r#"<at user_id="all">everyone</at> <b>x</b> </i> [a](https://evil) <3 a<b 1 < 2"#
    );

    // Across appends too.
    assert_eq!(Text::new("<").text("at").as_str(), "<\u{200B}at");
    assert_eq!(Text::new("[a]").text("(b)").as_str(), "[a]\u{200B}(b)");
    assert_eq!(
        Text::new("x <").text_line("/b>").as_str(),
        "x <\u{200B}/b>\n"
    );

    // Inside markup the builder writes.
    assert_eq!(
        Text::default()
            .at("ou_1", "</at><at user_id=\"all\">")
            .as_str(),
        "<at user_id=\"ou_1\"><\u{200B}/at><\u{200B}at user_id=\"all\"></at>"
    );
    assert_eq!(
        Text::default().at("ou_\"><b>1\\", "n").as_str(),
        "<at user_id=\"ou_b1\">n</at>"
    );
    assert_eq!(Text::default().bold("</b>").as_str(), "<b><\u{200B}/b></b>");
    assert_eq!(
        Text::default()
            .link("[x](y)", "https://e.com/a b(c)\"<>")
            .as_str(),
        "[［x］(y)](https://e.com/a%20b%28c%29%22%3C%3E)"
    );

    // `raw` is not touched.
    assert_eq!(Text::new("a").raw("<b>b</b>").as_str(), "a<b>b</b>");
}

#[test]
fn text_content_is_valid_json_whatever_the_text() {
    let tricky = "quote \" backslash \\ slash / newline \n tab \t cr \r nul \u{0} bell \u{7} \
                  del \u{7f} line sep \u{2028} para sep \u{2029} bom \u{feff} 中文 emoji 😀👍🏽 \
                  combining e\u{301} rtl \u{202e} surrogate-range-free \u{10FFFF} {\"text\":1}";
    let text = Text::new(tricky);
    let value = content_value(&text);
    assert_eq!(value, json!({ "text": tricky }));
    assert!(!text.to_content_string().contains('\n'));
}

// ---------------------------------------------------------------------------------------
// post

/// The documented send example (the `zh_cn` body), element for element.
fn documented_post_body() -> Value {
    json!({
        "title": "我是一个标题",
        "content": [
            [
                {"tag": "text", "text": "第一行:", "style": ["bold", "underline"]},
                {"tag": "a", "href": "http://www.feishu.cn", "text": "超链接", "style": ["bold", "italic"]},
                {"tag": "at", "user_id": "ou_1avnmsbv3k45jnk34j5", "style": ["lineThrough"]}
            ],
            [{"tag": "img", "image_key": "img_7ea74629-9191-4176-998c-2e603c9c5e8g"}],
            [
                {"tag": "text", "text": "第二行:", "style": ["bold", "underline"]},
                {"tag": "text", "text": "文本测试"}
            ],
            [{"tag": "img", "image_key": "img_7ea74629-9191-4176-998c-2e603c9c5e8g"}],
            [{
                "tag": "media",
                "file_key": "file_v2_0dcdd7d9-fib0-4432-a519-41d25aca542j",
                "image_key": "img_7ea74629-9191-4176-998c-2e603c9c5e8g"
            }],
            [{"tag": "emotion", "emoji_type": "SMILE"}],
            [{"tag": "hr"}],
            [{"tag": "code_block", "language": "GO", "text": "func main() int64 {\n    return 0\n}"}],
            [{"tag": "md", "text": "**mention user:**<at user_id=\"ou_xxxxxx\">Tom</at>\n**href:**[Open Platform](https://open.feishu.cn)"}]
        ]
    })
}

fn built_post_body() -> PostBody {
    PostBody::new()
        .title("我是一个标题")
        .paragraph([
            PostElement::text("第一行:").bold().underline(),
            PostElement::link("超链接", "http://www.feishu.cn").bold().italic(),
            PostElement::at("ou_1avnmsbv3k45jnk34j5").line_through(),
        ])
        .image("img_7ea74629-9191-4176-998c-2e603c9c5e8g")
        .paragraph([
            PostElement::text("第二行:").bold().underline(),
            PostElement::text("文本测试"),
        ])
        .image("img_7ea74629-9191-4176-998c-2e603c9c5e8g")
        .paragraph([
            PostElement::media("file_v2_0dcdd7d9-fib0-4432-a519-41d25aca542j").cover("img_7ea74629-9191-4176-998c-2e603c9c5e8g")
        ])
        .paragraph([PostElement::emotion("SMILE")])
        .hr()
        .code_block("GO", "func main() int64 {\n    return 0\n}")
        .markdown("**mention user:**<at user_id=\"ou_xxxxxx\">Tom</at>\n**href:**[Open Platform](https://open.feishu.cn)")
}

#[test]
fn post_matches_the_documented_example() {
    let post = Post::new("zh_cn", built_post_body());
    assert_eq!(post.msg_type(), "post");
    assert_eq!(
        content_value(&post),
        json!({ "zh_cn": documented_post_body() })
    );
}

#[test]
fn post_matches_the_documented_request_body_example() {
    // The compact example of the send request body, with `user_name` on the mention.
    let documented: Value = serde_json::from_str(
        "{\"zh_cn\":{\"title\":\"我是一个标题\",\"content\":[[{\"tag\":\"text\",\"text\":\"第一行 :\"},{\"tag\":\"a\",\"href\":\"http://www.feishu.cn\",\"text\":\"超链接\"},{\"tag\":\"at\",\"user_id\":\"ou_1avnmsbv3k45jnk34j5\",\"user_name\":\"tom\"}],[{\"tag\":\"img\",\"image_key\":\"img_7ea74629-9191-4176-998c-2e603c9c5e8g\"}],[{\"tag\":\"text\",\"text\":\"第二行:\"},{\"tag\":\"text\",\"text\":\"文本测试\"}],[{\"tag\":\"img\",\"image_key\":\"img_7ea74629-9191-4176-998c-2e603c9c5e8g\"}]]}}",
    )
    .unwrap();
    let post = Post::default().zh_cn(
        PostBody::new()
            .title("我是一个标题")
            .paragraph([
                PostElement::text("第一行 :"),
                PostElement::link("超链接", "http://www.feishu.cn"),
                PostElement::at("ou_1avnmsbv3k45jnk34j5").user_name("tom"),
            ])
            .image("img_7ea74629-9191-4176-998c-2e603c9c5e8g")
            .paragraph([PostElement::text("第二行:"), PostElement::text("文本测试")])
            .image("img_7ea74629-9191-4176-998c-2e603c9c5e8g"),
    );
    assert_eq!(content_value(&post), documented);
}

#[test]
fn post_languages_titles_and_setters() {
    let post = Post::new("zh_cn", PostBody::new().text_paragraph("一"))
        .en_us(PostBody::new().title("T").text_paragraph("one"))
        .ja_jp(PostBody::new().text_paragraph("いち"))
        .locale("zh_hk", PostBody::new().text_paragraph("壹"))
        .zh_cn(PostBody::new().text_paragraph("一二"));
    assert_eq!(
        content_value(&post),
        json!({
            "zh_cn": {"content": [[{"tag": "text", "text": "一二"}]]},
            "en_us": {"title": "T", "content": [[{"tag": "text", "text": "one"}]]},
            "ja_jp": {"content": [[{"tag": "text", "text": "いち"}]]},
            "zh_hk": {"content": [[{"tag": "text", "text": "壹"}]]}
        })
    );
    // Replacing a locale keeps its place.
    let keys: Vec<&str> = post.locales().map(|(key, _)| key).collect();
    assert_eq!(keys, ["zh_cn", "en_us", "ja_jp", "zh_hk"]);
    assert_eq!(
        post.get("en_us").and_then(|b| b.title.as_deref()),
        Some("T")
    );
    assert!(post.get("fr_fr").is_none());
    assert!(Post::default().is_empty());
    assert_eq!(Post::default().to_content_string(), "{}");

    // Other element forms.
    let body = PostBody::new().paragraph([
        PostElement::at_all(),
        PostElement::text("x").un_escape(true).bold().bold(),
        PostElement::media("file_1"),
        PostElement::code_block("", "plain"),
        PostElement::image("img")
            .bold()
            .user_name("ignored")
            .cover("ignored"),
        PostElement::raw(json!({"tag": "future", "x": 1})),
    ]);
    assert_eq!(
        serde_json::to_value(&body).unwrap(),
        json!({"content": [[
            {"tag": "at", "user_id": "all"},
            {"tag": "text", "text": "x", "un_escape": true, "style": ["bold"]},
            {"tag": "media", "file_key": "file_1"},
            {"tag": "code_block", "text": "plain"},
            {"tag": "img", "image_key": "img"},
            {"tag": "future", "x": 1}
        ]]})
    );
    let tags: Vec<Option<&str>> = body.content[0].iter().map(PostElement::tag).collect();
    assert_eq!(
        tags,
        [
            Some("at"),
            Some("text"),
            Some("media"),
            Some("code_block"),
            Some("img"),
            Some("future")
        ]
    );
    assert_eq!(PostElement::raw(json!([1])).tag(), None);
    assert_eq!(TextStyle::from_wire("lineThrough"), TextStyle::LineThrough);
    assert_eq!(TextStyle::from_wire("blink").to_string(), "blink");
}

// ---------------------------------------------------------------------------------------
// resources and cards

#[test]
fn resource_contents_match_the_documented_examples() {
    let cases: Vec<(Box<dyn MessageContent>, &str, Value)> = vec![
        (
            Box::new(Image::new("img_7ea74629-9191-4176-998c-2e603c9c5e8g")),
            "image",
            json!({"image_key": "img_7ea74629-9191-4176-998c-2e603c9c5e8g"}),
        ),
        (
            Box::new(File::new("75235e0c-4f92-430a-a99b-8446610223cg")),
            "file",
            json!({"file_key": "75235e0c-4f92-430a-a99b-8446610223cg"}),
        ),
        (
            Box::new(Audio::new("75235e0c-4f92-430a-a99b-8446610223cg")),
            "audio",
            json!({"file_key": "75235e0c-4f92-430a-a99b-8446610223cg"}),
        ),
        (
            Box::new(Media::new("75235e0c-4f92-430a-a99b-8446610223cg").cover("img_xxxxxx")),
            "media",
            json!({"file_key": "75235e0c-4f92-430a-a99b-8446610223cg", "image_key": "img_xxxxxx"}),
        ),
        (
            Box::new(Media::new("file_v2_xxx")),
            "media",
            json!({"file_key": "file_v2_xxx"}),
        ),
        (
            Box::new(Sticker::new("75235e0c-4f92-430a-a99b-8446610223cg")),
            "sticker",
            json!({"file_key": "75235e0c-4f92-430a-a99b-8446610223cg"}),
        ),
        (
            Box::new(ShareChat::new("oc_0dd200d32fda15216d2c2ef1ddb32f76")),
            "share_chat",
            json!({"chat_id": "oc_0dd200d32fda15216d2c2ef1ddb32f76"}),
        ),
        (
            Box::new(ShareUser::new("ou_0dd200d32fda15216d2c2ef1ddb32f76")),
            "share_user",
            json!({"user_id": "ou_0dd200d32fda15216d2c2ef1ddb32f76"}),
        ),
    ];
    for (content, msg_type, expected) in cases {
        assert_eq!(content.msg_type(), msg_type);
        assert_eq!(content_value(&*content), expected, "{msg_type}");
    }
}

#[test]
fn cards_match_the_documented_examples() {
    let entity = Card::entity("7371713483664506900");
    assert_eq!(entity.msg_type(), "interactive");
    assert_eq!(entity.card_id(), "7371713483664506900");
    assert_eq!(
        entity.to_content_string(),
        r#"{"type":"card","data":{"card_id":"7371713483664506900"}}"#
    );

    let template = Card::template("xxxxxxxxxxxx")
        .version_name("1.0.0")
        .variables([("key1", "value1"), ("key2", "value2")]);
    assert_eq!(template.msg_type(), "interactive");
    assert_eq!(template.template_id(), "xxxxxxxxxxxx");
    assert_eq!(template.variables_map().len(), 2);
    assert_eq!(
        content_value(&template),
        json!({"type": "template", "data": {
            "template_id": "xxxxxxxxxxxx",
            "template_version_name": "1.0.0",
            "template_variable": {"key1": "value1", "key2": "value2"}
        }})
    );

    // Version and variables are optional; an unset field is left out.
    assert_eq!(
        TemplateCard::new("AAqigYkzabcef").to_content_string(),
        r#"{"type":"template","data":{"template_id":"AAqigYkzabcef"}}"#
    );
    let replaced = TemplateCard::new("t").variable("n", 1).variable("n", true);
    assert_eq!(
        content_value(&replaced)["data"]["template_variable"],
        json!({"n": true})
    );

    // A card as JSON is sent as is.
    let card_json = json!({
        "schema": "2.0",
        "config": {"update_multi": true},
        "body": {"direction": "vertical", "elements": [{"tag": "markdown", "content": "西湖 \"quoted\"\n"}]},
        "header": {"title": {"tag": "plain_text", "content": "今日旅游推荐"}, "template": "blue"}
    });
    let card = Card::new(card_json.clone());
    assert_eq!(card.msg_type(), "interactive");
    assert_eq!(content_value(&card), card_json);
    assert_eq!(Card::from(card_json.clone()).as_value(), &card_json);

    #[derive(serde::Serialize)]
    struct MyCard<'a> {
        elements: Vec<&'a str>,
    }
    let typed = Card::from_serialize(&MyCard {
        elements: vec!["a"],
    })
    .unwrap();
    assert_eq!(typed.into_value(), json!({"elements": ["a"]}));

    // A map with non-string keys is not JSON.
    let bad: std::collections::BTreeMap<(u8, u8), u8> = [((1, 2), 3)].into_iter().collect();
    assert!(Card::from_serialize(&bad).is_err());
}

// ---------------------------------------------------------------------------------------
// received content

#[test]
fn received_documented_shapes() {
    let parse = |msg_type: &str, content: &str| {
        ReceivedContent::parse(msg_type, content).unwrap_or_else(|e| panic!("{msg_type}: {e}"))
    };

    assert_eq!(
        parse("text", r#"{"text":"@_user_1 文本消息"}"#),
        ReceivedContent::Text("@_user_1 文本消息".into())
    );
    assert_eq!(
        parse(
            "image",
            r#"{"image_key":"img_4adb3cc3-902b-4187-b0f1-842f67fd017g"}"#
        ),
        ReceivedContent::Image(Image::new("img_4adb3cc3-902b-4187-b0f1-842f67fd017g"))
    );
    assert_eq!(
        parse(
            "file",
            r#"{"file_key":"75235e0c-4f92-430a-a99b-8446610223cg","file_name":"test.txt"}"#
        ),
        ReceivedContent::File(ReceivedFile {
            file_key: "75235e0c-4f92-430a-a99b-8446610223cg".into(),
            file_name: Some("test.txt".into()),
        })
    );
    assert_eq!(
        parse("folder", r#"{"file_key":"k","file_name":"folder"}"#),
        ReceivedContent::Folder(ReceivedFile {
            file_key: "k".into(),
            file_name: Some("folder".into()),
        })
    );
    assert_eq!(
        parse("audio", r#"{"file_key":"k","duration":2000}"#),
        ReceivedContent::Audio(ReceivedAudio {
            file_key: "k".into(),
            duration_ms: Some(2000),
        })
    );
    assert_eq!(
        parse(
            "media",
            r#"{"file_key":"k","image_key":"img_xxxxxx","file_name":"测试视频.mp4","duration":"2000"}"#
        ),
        ReceivedContent::Media(ReceivedMedia {
            file_key: "k".into(),
            image_key: Some("img_xxxxxx".into()),
            file_name: Some("测试视频.mp4".into()),
            duration_ms: Some(2000),
        })
    );
    assert_eq!(
        parse("media", r#"{"file_key":"k","image_key":""}"#),
        ReceivedContent::Media(ReceivedMedia {
            file_key: "k".into(),
            image_key: None,
            file_name: None,
            duration_ms: None,
        })
    );
    assert_eq!(
        parse("sticker", r#"{"file_key":"k"}"#),
        ReceivedContent::Sticker(Sticker::new("k"))
    );
    assert_eq!(
        parse("share_chat", r#"{"chat_id":"oc_0dd2"}"#),
        ReceivedContent::ShareChat(ShareChat::new("oc_0dd2"))
    );
    assert_eq!(
        parse("share_user", r#"{"user_id":"ou_0dd2"}"#),
        ReceivedContent::ShareUser(ShareUser::new("ou_0dd2"))
    );
    let card =
        r#"{"title":"卡片标题","elements":[[{"tag":"button","text":"主按钮","type":"primary"}]]}"#;
    assert_eq!(
        parse("interactive", card),
        ReceivedContent::Interactive(serde_json::from_str(card).unwrap())
    );
}

#[test]
fn received_post_documented_example() {
    let content = r#"{
        "title": "我是一个标题",
        "content": [
            [
                {"tag": "text", "text": "第一行 :", "style": ["bold", "underline"]},
                {"tag": "a", "href": "http://www.feishu.cn", "text": "超链接", "style": ["bold", "italic"]},
                {"tag": "at", "user_id": "@_user_1", "user_name": "", "style": []}
            ],
            [{"tag": "img", "image_key": "img_47354fbc-a159-40ed-86ab-2ad0f1acb42g"}],
            [
                {"tag": "text", "text": "第二行:", "style": ["bold", "underline"]},
                {"tag": "text", "text": "文本测试", "style": []}
            ],
            [{"tag": "media", "file_key": "file_v2_0dcdd7d9", "image_key": "img_7ea74629"}],
            [{"tag": "emotion", "emoji_type": "SMILE"}],
            [{"tag": "hr"}],
            [{"tag": "code_block", "language": "GO", "text": "func main() int64 {\n    return 0\n}"}]
        ]
    }"#;
    let parsed = ReceivedContent::parse("post", content).unwrap();
    let expected = PostBody::new()
        .title("我是一个标题")
        .paragraph([
            PostElement::text("第一行 :").bold().underline(),
            PostElement::link("超链接", "http://www.feishu.cn")
                .bold()
                .italic(),
            PostElement::at("@_user_1"),
        ])
        .image("img_47354fbc-a159-40ed-86ab-2ad0f1acb42g")
        .paragraph([
            PostElement::text("第二行:").bold().underline(),
            PostElement::text("文本测试"),
        ])
        .paragraph([PostElement::media("file_v2_0dcdd7d9").cover("img_7ea74629")])
        .paragraph([PostElement::emotion("SMILE")])
        .hr()
        .code_block("GO", "func main() int64 {\n    return 0\n}");
    assert_eq!(parsed, ReceivedContent::Post(expected));
    assert_eq!(parsed.msg_type(), "post");
    assert_eq!(
        parsed.plain_text().unwrap(),
        "我是一个标题\n第一行 :超链接@_user_1\n\n第二行:文本测试\n\n\n\nfunc main() int64 {\n    return 0\n}"
    );
}

#[test]
fn received_post_keeps_unknown_elements_and_fields() {
    let content = r#"{"title":"","content":[[
        {"tag":"text","text":"a","extra":{"deep":[1,2]},"style":["bold","blink"]},
        {"tag":"sparkle","power":9000},
        {"tag":"text","text":5},
        {"tag":"at","user_id":"ou_1","style":"bold"},
        {"no_tag":true},
        "just a string",
        null,
        {"tag":"at","user_id":"ou_2","user_name":"Tom"}
    ]],"future_field":1}"#;
    let ReceivedContent::Post(post) = ReceivedContent::parse("post", content).unwrap() else {
        panic!("not a post")
    };
    assert_eq!(post.title, None);
    assert_eq!(
        post.content,
        vec![vec![
            PostElement::Text {
                text: "a".into(),
                style: vec![TextStyle::Bold, TextStyle::Other("blink".into())],
                un_escape: false,
            },
            PostElement::Unknown(json!({"tag": "sparkle", "power": 9000})),
            PostElement::Unknown(json!({"tag": "text", "text": 5})),
            PostElement::Unknown(json!({"tag": "at", "user_id": "ou_1", "style": "bold"})),
            PostElement::Unknown(json!({"no_tag": true})),
            PostElement::Unknown(json!("just a string")),
            PostElement::Unknown(Value::Null),
            PostElement::at("ou_2").user_name("Tom"),
        ]]
    );
    assert_eq!(post.plain_text(), "a@Tom");
    // Unknown elements are sent back as they came.
    assert_eq!(
        serde_json::to_value(&post.content[0][1]).unwrap(),
        json!({"tag": "sparkle", "power": 9000})
    );
}

#[test]
fn received_post_tolerates_wrapped_shapes() {
    let flat = PostBody::new().title("t").text_paragraph("x");
    for content in [
        r#"{"title":"t","content":[[{"tag":"text","text":"x"}]]}"#,
        r#"{"zh_cn":{"title":"t","content":[[{"tag":"text","text":"x"}]]}}"#,
        r#"{"en_us":{"title":"en","content":[]},"zh_cn":{"title":"t","content":[[{"tag":"text","text":"x"}]]}}"#,
        r#"{"post":{"zh_cn":{"title":"t","content":[[{"tag":"text","text":"x"}]]}}}"#,
        r#"{"post":{"title":"t","content":[[{"tag":"text","text":"x"}]]}}"#,
        r#"{"zz_zz":{"title":"t","content":[[{"tag":"text","text":"x"}]]}}"#,
    ] {
        assert_eq!(
            ReceivedContent::parse("post", content).unwrap(),
            ReceivedContent::Post(flat.clone()),
            "{content}"
        );
    }
    assert_eq!(
        ReceivedContent::parse("post", "{}").unwrap(),
        ReceivedContent::Post(PostBody::default())
    );
    assert_eq!(
        ReceivedContent::parse("post", r#"{"title":"only"}"#).unwrap(),
        ReceivedContent::Post(PostBody::new().title("only"))
    );
}

#[test]
fn round_trips_from_builders_to_parsing() {
    let text = Text::new("hi \"there\"\n").at("ou_1", "Tom");
    assert_eq!(
        ReceivedContent::parse(text.msg_type(), &text.to_content_string()).unwrap(),
        ReceivedContent::Text(text.as_str().to_owned())
    );

    // A sent post parses as its (first) body.
    let body = built_post_body();
    let post = Post::new("zh_cn", body.clone()).en_us(PostBody::new().text_paragraph("en"));
    let parsed = ReceivedContent::parse(post.msg_type(), &post.to_content_string()).unwrap();
    assert_eq!(parsed, ReceivedContent::Post(body));

    let image = Image::new("img_1");
    assert_eq!(
        ReceivedContent::parse(image.msg_type(), &image.to_content_string()).unwrap(),
        ReceivedContent::Image(image)
    );
    let sticker = Sticker::new("s");
    assert_eq!(
        ReceivedContent::parse(sticker.msg_type(), &sticker.to_content_string()).unwrap(),
        ReceivedContent::Sticker(sticker)
    );
    let chat = ShareChat::new("oc_1");
    assert_eq!(
        ReceivedContent::parse(chat.msg_type(), &chat.to_content_string()).unwrap(),
        ReceivedContent::ShareChat(chat)
    );
    let user = ShareUser::new("ou_1");
    assert_eq!(
        ReceivedContent::parse(user.msg_type(), &user.to_content_string()).unwrap(),
        ReceivedContent::ShareUser(user)
    );
    let file = File::new("file_1");
    assert_eq!(
        ReceivedContent::parse(file.msg_type(), &file.to_content_string()).unwrap(),
        ReceivedContent::File(ReceivedFile {
            file_key: "file_1".into(),
            file_name: None
        })
    );
    let audio = Audio::new("a");
    assert!(matches!(
        ReceivedContent::parse(audio.msg_type(), &audio.to_content_string()).unwrap(),
        ReceivedContent::Audio(ReceivedAudio { file_key, duration_ms: None }) if file_key == "a"
    ));
    let media = Media::new("m").cover("c");
    assert!(matches!(
        ReceivedContent::parse(media.msg_type(), &media.to_content_string()).unwrap(),
        ReceivedContent::Media(ReceivedMedia { file_key, image_key: Some(cover), .. }) if file_key == "m" && cover == "c"
    ));
    let card = TemplateCard::new("t").variable("k", "v");
    assert_eq!(
        ReceivedContent::parse(card.msg_type(), &card.to_content_string()).unwrap(),
        ReceivedContent::Interactive(content_value(&card))
    );
}

#[test]
fn unknown_types_are_kept_raw() {
    let cases = [
        (
            "merge_forward",
            r#"{"content":"Merged and Forwarded Message"}"#,
        ),
        (
            "system",
            r#"{"template":"{from_user} invited {to_chatters} to this chat.","from_user":["botName"],"to_chatters":["小明"]}"#,
        ),
        (
            "location",
            r#"{"name":"xx省xx市","longitude":"xxx.xxx","latitude":"xxx.xxx"}"#,
        ),
        (
            "todo",
            r#"{"task_id":"acd0","summary":{"title":"","content":[[{"tag":"text","text":"t"}]]},"due_time":"1623124318000"}"#,
        ),
        (
            "vote",
            r#"{"topic":"投票测试","options":["选项1","选项2"]}"#,
        ),
        ("hongbao", r#"{"text":"[红包]"}"#),
        (
            "share_calendar_event",
            r#"{"summary":"s","start_time":"1608265395000","end_time":"1608267015000"}"#,
        ),
        (
            "calendar",
            r#"{"summary":"s","start_time":"1","end_time":"2"}"#,
        ),
        (
            "general_calendar",
            r#"{"summary":"s","start_time":"1","end_time":"2"}"#,
        ),
        (
            "video_chat",
            r#"{"topic":"视频通话消息","start_time":"1623124523829"}"#,
        ),
        ("brand_new_type", "[1, 2, 3]"),
        ("", "null"),
    ];
    for (msg_type, content) in cases {
        let parsed = ReceivedContent::parse(msg_type, content).unwrap();
        assert_eq!(
            parsed,
            ReceivedContent::Unknown {
                msg_type: msg_type.into(),
                raw: serde_json::from_str(content).unwrap(),
            }
        );
        assert_eq!(parsed.msg_type(), msg_type);
        assert_eq!(parsed.plain_text(), None);
    }
    // Content that is not JSON is kept as a string (older merge_forward messages).
    assert_eq!(
        ReceivedContent::parse("merge_forward", "Merged and Forwarded Message").unwrap(),
        ReceivedContent::Unknown {
            msg_type: "merge_forward".into(),
            raw: json!("Merged and Forwarded Message"),
        }
    );
    // Types are matched exactly.
    assert!(matches!(
        ReceivedContent::parse("TEXT", "{}").unwrap(),
        ReceivedContent::Unknown { .. }
    ));
}

#[test]
fn malformed_content_is_a_clear_error() {
    let error = ReceivedContent::parse("text", "{\"text\": \"unterminated").unwrap_err();
    assert_eq!(error.msg_type(), "text");
    assert_eq!(error.position(), Some((1, 22)));
    assert_eq!(error.path(), None);
    let message = error.to_string();
    assert!(
        message.starts_with("`text` message content is not valid JSON: "),
        "{message}"
    );
    assert!(message.contains("line 1 column 22"), "{message}");

    let error =
        ReceivedContent::parse("post", "{\n  \"title\": \"x\",\n  \"content\": [[}\n").unwrap_err();
    assert!(
        matches!(error.kind(), ContentErrorKind::Syntax { line: 3, .. }),
        "{error:?}"
    );

    let error = ReceivedContent::parse("image", "").unwrap_err();
    assert!(matches!(error.kind(), ContentErrorKind::Syntax { .. }));

    let error = ReceivedContent::parse("image", r#"{"file_key":"k"}"#).unwrap_err();
    assert_eq!(error.path(), Some("$.image_key"));
    assert_eq!(
        error.to_string(),
        "`image` message content has an unexpected shape at $.image_key: missing field, expected a string"
    );

    let error = ReceivedContent::parse("text", r#"{"text":5}"#).unwrap_err();
    assert_eq!(
        error.to_string(),
        "`text` message content has an unexpected shape at $.text: expected a string, found the number 5"
    );

    let error = ReceivedContent::parse("file", r#"["file_key"]"#).unwrap_err();
    assert_eq!(error.path(), Some("$"));
    assert!(error
        .to_string()
        .contains("expected an object, found an array"));

    let error = ReceivedContent::parse("audio", r#"{"file_key":"k","duration":-1}"#).unwrap_err();
    assert_eq!(error.path(), Some("$.duration"));
    let error =
        ReceivedContent::parse("media", r#"{"file_key":"k","file_name":false}"#).unwrap_err();
    assert_eq!(error.path(), Some("$.file_name"));

    let error = ReceivedContent::parse("post", r#"{"title":"t","content":[[],{"tag":"text"}]}"#)
        .unwrap_err();
    assert_eq!(error.path(), Some("$.content[1]"));
    let error = ReceivedContent::parse("post", r#"{"zh_cn":{"content":"x"}}"#).unwrap_err();
    assert_eq!(error.path(), Some("$.zh_cn.content"));
    let error = ReceivedContent::parse("post", r#"{"title":7}"#).unwrap_err();
    assert_eq!(error.path(), Some("$.title"));
    let error = ReceivedContent::parse("interactive", "<html>").unwrap_err();
    assert_eq!(error.msg_type(), "interactive");

    // The error is a std error.
    let boxed: Box<dyn std::error::Error> = Box::new(error);
    assert!(boxed.to_string().contains("interactive"));
}

/// Inputs chosen to trip a parser: deep nesting, huge numbers, broken Unicode escapes,
/// stray bytes, very long strings.
fn tricky_inputs() -> Vec<String> {
    let mut inputs: Vec<String> = [
        "",
        " ",
        "{",
        "}",
        "[",
        "]",
        "null",
        "true",
        "0",
        "-0",
        "1e999",
        "-1e999",
        "\"\"",
        "\"\\ud800\"",
        "\"\\udc00\\ud800\"",
        "\"\\u12\"",
        "{\"text\":\"\\ud83d\"}",
        "{\"text\":\"\\x\"}",
        "{\"text\":null}",
        "{\"text\":\"a\",\"text\":\"b\"}",
        "{\"content\":[[null]]}",
        "{\"content\":[[{\"tag\":null}]]}",
        "{\"content\":[[{\"tag\":\"text\",\"text\":\"\\u0000\"}]]}",
        "{\"duration\":18446744073709551616,\"file_key\":\"k\"}",
        "{\"duration\":1.5,\"file_key\":\"k\"}",
        "{\"duration\":\"x\",\"file_key\":\"k\"}",
        "{\"zh_cn\":null}",
        "{\"zh_cn\":[],\"en_us\":5}",
        "{\"post\":5}",
        "{\"post\":{}}",
        "\u{feff}{}",
        "{}\u{0}",
        "{} {}",
        "{\"a\":1,}",
        "[1,]",
        "\u{202e}",
        "😀",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    inputs.push("[".repeat(10_000));
    inputs.push(format!("{}{}", "[".repeat(127), "]".repeat(127)));
    inputs.push(format!(
        "{{\"content\":{}{}}}",
        "[".repeat(200),
        "]".repeat(200)
    ));
    inputs.push(format!("{{\"text\":\"{}\"}}", "\\\"".repeat(50_000)));
    inputs.push(format!(
        "{{\"content\":[[{}]]}}",
        vec!["{\"tag\":\"hr\"}"; 5_000].join(",")
    ));
    inputs
}

const MSG_TYPES: [&str; 15] = [
    "text",
    "post",
    "image",
    "file",
    "folder",
    "audio",
    "media",
    "sticker",
    "share_chat",
    "share_user",
    "interactive",
    "merge_forward",
    "system",
    "",
    "\u{0}",
];

#[test]
fn parsing_tricky_input_never_panics() {
    for input in tricky_inputs() {
        for msg_type in MSG_TYPES {
            if let Ok(content) = ReceivedContent::parse(msg_type, &input) {
                let _ = content.plain_text();
                assert_eq!(content.msg_type(), msg_type);
            }
        }
    }
}

/// Property tests on arbitrary input.
///
/// Each property runs `PROPTEST_CASES` cases (1,000 when unset).
mod props {
    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::*;
    use proptest::sample::select;

    fn config() -> ProptestConfig {
        let cases = std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|cases| cases.trim().parse().ok())
            .unwrap_or(1_000);
        ProptestConfig {
            failure_persistence: None,
            ..ProptestConfig::with_cases(cases)
        }
    }

    /// Strings rich in markup, JSON syntax and awkward Unicode.
    fn tricky_string() -> impl Strategy<Value = String> {
        let pieces = select(vec![
            "<", ">", "/", "at", "b", "[", "]", "(", ")", "\"", "\\", "\n", "\r", "\t", "\u{0}",
            "\u{200B}", "\u{2028}", "😀", "中", " ", "user_id=", "all", "{", "}", ":", ",", "tag",
            "text", "@_user_1",
        ]);
        prop_oneof![
            any::<String>(),
            vec(pieces, 0..24).prop_map(|pieces| pieces.concat()),
        ]
    }

    fn element() -> impl Strategy<Value = PostElement> {
        let style = select(vec![
            TextStyle::Bold,
            TextStyle::Italic,
            TextStyle::Underline,
            TextStyle::LineThrough,
        ]);
        prop_oneof![
            (tricky_string(), vec(style.clone(), 0..3), any::<bool>()).prop_map(
                |(text, styles, un_escape)| {
                    styles.into_iter().fold(
                        PostElement::text(text).un_escape(un_escape),
                        PostElement::style,
                    )
                }
            ),
            (tricky_string(), tricky_string())
                .prop_map(|(text, href)| PostElement::link(text, href)),
            (tricky_string(), proptest::option::of(tricky_string())).prop_map(|(id, name)| {
                match name {
                    Some(name) => PostElement::at(id).user_name(name),
                    None => PostElement::at(id),
                }
            }),
            tricky_string().prop_map(PostElement::image),
            (tricky_string(), proptest::option::of(tricky_string())).prop_map(|(file, cover)| {
                match cover {
                    Some(cover) => PostElement::media(file).cover(cover),
                    None => PostElement::media(file),
                }
            }),
            tricky_string().prop_map(PostElement::emotion),
            Just(PostElement::hr()),
            (tricky_string(), tricky_string())
                .prop_map(|(language, code)| PostElement::code_block(language, code)),
            tricky_string().prop_map(PostElement::markdown),
        ]
    }

    /// Empty optional strings are read back as `None`; the builder's empty values differ.
    fn normalised(element: PostElement) -> PostElement {
        match element {
            PostElement::At {
                user_id,
                user_name,
                style,
            } => PostElement::At {
                user_id,
                user_name: user_name.filter(|name| !name.is_empty()),
                style,
            },
            PostElement::Media {
                file_key,
                image_key,
            } => PostElement::Media {
                file_key,
                image_key: image_key.filter(|key| !key.is_empty()),
            },
            other => other,
        }
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn parse_never_panics(msg_type in prop_oneof![select(MSG_TYPES.to_vec()).prop_map(str::to_owned), any::<String>()], content in tricky_string()) {
            if let Ok(parsed) = ReceivedContent::parse(&msg_type, &content) {
                let _ = parsed.plain_text();
            }
        }

        #[test]
        fn parse_never_panics_on_json_shapes(msg_type in select(MSG_TYPES.to_vec()), value in json_value()) {
            let content = value.to_string();
            match ReceivedContent::parse(msg_type, &content) {
                Ok(parsed) => { let _ = parsed.plain_text(); }
                // Valid JSON is never a syntax error.
                Err(error) => prop_assert!(error.path().is_some(), "{error}"),
            }
        }

        #[test]
        fn text_content_is_json_and_shows_the_text(parts in vec(tricky_string(), 0..6)) {
            let text = parts.iter().fold(Text::default(), |text, part| text.text(part));
            let value: Value = serde_json::from_str(&text.to_content_string()).unwrap();
            let sent = value["text"].as_str().unwrap().to_owned();
            prop_assert_eq!(&sent, text.as_str());
            // Only zero-width spaces were added...
            let stripped: String = sent.chars().filter(|c| *c != ZWSP).collect();
            let original: String = parts.concat().chars().filter(|c| *c != ZWSP).collect();
            prop_assert_eq!(stripped, original);
            // ...and no markup is left.
            let chars: Vec<char> = sent.chars().collect();
            for pair in chars.windows(2) {
                let markup = (pair[0] == '<' && (pair[1].is_ascii_alphabetic() || pair[1] == '/'))
                    || (pair[0] == ']' && pair[1] == '(');
                prop_assert!(!markup, "markup left in {:?}", sent);
            }
        }

        #[test]
        fn post_round_trips(title in proptest::option::of(tricky_string()), paragraphs in vec(vec(element(), 0..4), 0..4)) {
            let body = paragraphs.iter().cloned().fold(PostBody::new(), PostBody::paragraph);
            let body = match &title { Some(title) => body.title(title.clone()), None => body };
            let post = Post::new("zh_cn", body.clone());
            let parsed = ReceivedContent::parse("post", &post.to_content_string()).unwrap();
            let expected = PostBody {
                title: body.title.filter(|title| !title.is_empty()),
                content: body.content.into_iter().map(|p| p.into_iter().map(normalised).collect()).collect(),
            };
            prop_assert_eq!(parsed, ReceivedContent::Post(expected));
        }
    }

    /// Arbitrary JSON values, a few levels deep, with the keys the parser looks at.
    fn json_value() -> impl Strategy<Value = Value> {
        let key = select(vec![
            "text",
            "title",
            "content",
            "tag",
            "style",
            "user_id",
            "user_name",
            "image_key",
            "file_key",
            "file_name",
            "duration",
            "chat_id",
            "zh_cn",
            "en_us",
            "post",
            "language",
            "un_escape",
            "other",
        ]);
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            tricky_string().prop_map(Value::String),
            select(vec![
                "text",
                "a",
                "at",
                "img",
                "media",
                "emotion",
                "hr",
                "code_block",
                "md",
                "bold"
            ])
            .prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 48, 6, move |inner| {
            prop_oneof![
                vec(inner.clone(), 0..6).prop_map(Value::Array),
                vec((key.clone(), inner), 0..6).prop_map(|entries| Value::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect()
                )),
            ]
        })
    }
}
