//! Unit tests of the importer, on the small documents in `tests/fixtures/import/`.

use serde_json::{json, Value};

use super::*;

fn fixture(name: &str) -> DocumentSource {
    let path = format!(
        "{}/../tests/fixtures/import/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    DocumentSource {
        name: format!("tests/fixtures/import/{name}"),
        text: std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}")),
    }
}

fn source(path: &str, text: impl Into<String>) -> SpecSource {
    SpecSource {
        path: path.into(),
        text: text.into(),
    }
}

/// The demo version's import.json: a download limit and a type name.
fn demo_config() -> SpecSource {
    source(
        "spec/demo/v1/import.json",
        r##"{
  "type_names": { "#/components/schemas/WidgetData": "Widget" },
  "max_bytes": { "demo.v1.widget_image.get": 1048576 }
}"##,
    )
}

fn project(p: &str) -> Selection {
    Selection {
        projects: vec![p.into()],
        ..Selection::default()
    }
}

fn import_ok(docs: &[DocumentSource], tree: &[SpecSource], selection: &Selection) -> ImportReport {
    import(docs, tree, selection).unwrap_or_else(|problems| {
        panic!(
            "import failed:\n{}",
            problems
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    })
}

fn contents<'a>(report: &'a ImportReport, path: &str) -> &'a str {
    &report
        .files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| {
            panic!(
                "{path} not produced; got {:?}",
                report.files.iter().map(|f| &f.path).collect::<Vec<_>>()
            )
        })
        .contents
}

fn json_of(report: &ImportReport, path: &str) -> Value {
    serde_json::from_str(contents(report, path)).expect("output is JSON")
}

/// The tree after writing the report's files over `tree`.
fn written(tree: &[SpecSource], report: &ImportReport) -> Vec<SpecSource> {
    let mut out: Vec<SpecSource> = tree
        .iter()
        .filter(|s| !report.files.iter().any(|f| f.path == s.path))
        .cloned()
        .collect();
    out.extend(
        report
            .files
            .iter()
            .map(|f| source(&f.path, f.contents.clone())),
    );
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

fn field<'a>(fields: &'a Value, name: &str) -> &'a Value {
    fields
        .as_array()
        .expect("a list")
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no field {name} in {fields}"))
}

fn widgets() -> (Vec<SpecSource>, ImportReport) {
    let tree = vec![demo_config()];
    let report = import_ok(&[fixture("widgets.yaml")], &tree, &project("demo"));
    (tree, report)
}

#[test]
fn json_body_with_nested_inline_objects_and_refs() {
    let (_, report) = widgets();
    let spec = json_of(&report, "spec/demo/v1/widget/create.json");
    assert_eq!(spec["id"], "demo.v1.widget.create");
    assert_eq!(spec["http_method"], "POST");
    assert_eq!(spec["path"], "/open-apis/demo/v1/widgets");
    assert_eq!(
        spec["doc_url"],
        "https://open.feishu.cn/document/demo/widget/create"
    );
    assert_eq!(spec["access_tokens"], json!(["tenant", "user"]));
    assert_eq!(
        spec["scopes_any_of"],
        json!(["demo:widget", "demo:widget:write"])
    );
    assert_eq!(
        spec["rate_limit"],
        json!({"per_minute": 1000, "per_second": 50})
    );
    let body = &spec["request_body"];
    assert_eq!(body["kind"], "json");
    let fields = &body["fields"];
    assert_eq!(
        field(fields, "name")["required"],
        true,
        "in the schema's required list"
    );
    assert_eq!(field(fields, "size")["required"], false);
    assert_eq!(
        field(fields, "size")["example"],
        3,
        "'3' becomes an integer example"
    );
    assert_eq!(
        field(fields, "config")["type"],
        "object:CreateWidgetBodyConfig"
    );
    assert_eq!(
        field(fields, "owner")["type"],
        "object:Owner",
        "allOf + $ref"
    );
    assert_eq!(field(fields, "tags")["type"], "array<string>");
    // The answer's `data` is a $ref: its fields are the data fields; its inline objects are
    // named after the component's name in import.json.
    let data = &spec["response"]["data_fields"];
    assert_eq!(spec["response"]["kind"], "json");
    assert_eq!(field(data, "parts")["type"], "array<object:WidgetParts>");
    assert_eq!(
        field(data, "created")["type"],
        "string",
        "a string with format int64 stays a string"
    );
    assert_eq!(field(data, "deleted")["example"], false);
    // The query enum: values, no prose (the metadata's descriptions are Chinese prose).
    let q = &spec["query_params"][0];
    assert_eq!(
        q["enum"],
        json!([{"value": "open_id", "description": ""}, {"value": "union_id", "description": ""}])
    );
    assert_eq!(q["example"], "open_id");

    let types = json_of(&report, "spec/demo/v1/types.json");
    let names: Vec<&String> = types["types"].as_object().unwrap().keys().collect();
    assert_eq!(
        names,
        [
            "CreateWidgetBodyConfig",
            "CreateWidgetBodyConfigLimits",
            "Owner",
            "Widget",
            "WidgetParts"
        ]
    );
    assert_eq!(
        field(
            &types["types"]["CreateWidgetBodyConfig"]["fields"],
            "limits"
        )["type"],
        "object:CreateWidgetBodyConfigLimits"
    );
    assert_eq!(
        field(&types["types"]["Owner"]["fields"], "id")["required"],
        true
    );
    assert_eq!(
        field(&types["types"]["WidgetParts"]["fields"], "weight")["type"],
        "number"
    );
    assert_eq!(
        field(&types["types"]["WidgetParts"]["fields"], "weight")["example"],
        1.5
    );
}

#[test]
fn error_table_keeps_server_messages_verbatim_and_empty_ones_empty() {
    let (_, report) = widgets();
    let spec = json_of(&report, "spec/demo/v1/widget/create.json");
    assert_eq!(
        spec["errors"],
        json!([
            {"http_status": 400, "code": 1250001, "server_message": "Invalid widget."},
            {"http_status": 400, "code": 1250002, "server_message": ""},
            {"http_status": 500, "code": 1250003, "server_message": "Internal error."}
        ])
    );
}

#[test]
fn multipart_download_pagination_and_user_only() {
    let (_, report) = widgets();
    let upload = json_of(&report, "spec/demo/v1/widget_image/upload.json");
    assert_eq!(upload["request_body"]["kind"], "multipart");
    let fields = &upload["request_body"]["fields"];
    assert_eq!(field(fields, "image")["type"], "file");
    assert_eq!(field(fields, "image")["required"], true);
    assert_eq!(field(fields, "image_type")["enum"][1]["value"], "avatar");
    assert_eq!(
        upload["path_params"],
        json!([{"name": "widget_id", "type": "string", "description": "", "example": "wg_123"}])
    );
    assert_eq!(
        upload["path"],
        "/open-apis/demo/v1/widgets/:widget_id/image"
    );
    assert!(
        upload.get("rate_limit").is_none(),
        "tier 0: no documented limit"
    );

    let download = json_of(&report, "spec/demo/v1/widget_image/get.json");
    assert_eq!(
        download["response"],
        json!({"kind": "binary", "max_bytes": 1048576})
    );
    assert!(
        download.get("errors").is_some_and(|e| e == &json!([])),
        "no error table: none"
    );

    let list = json_of(&report, "spec/demo/v1/widget/list.json");
    assert_eq!(
        list["pagination"],
        json!({"request_token": "page_token", "request_size": "page_size", "response_token": "page_token", "has_more": "has_more", "items": "items"})
    );
    assert_eq!(field(&list["query_params"], "since")["type"], "int64");
    assert_eq!(field(&list["query_params"], "since")["required"], true);
    assert_eq!(field(&list["query_params"], "ids")["repeated"], true);
    assert_eq!(
        field(&list["response"]["data_fields"], "items")["type"],
        "array<object:Widget>"
    );
    assert_eq!(list["rate_limit"], json!({"per_minute": 100}));

    let star = json_of(&report, "spec/demo/v1/widget/star.json");
    assert_eq!(star["access_tokens"], json!(["user"]));
    assert_eq!(
        star["response"],
        json!({"kind": "empty"}),
        "an empty data object"
    );
    assert_eq!(star["request_body"], json!({"kind": "none"}));
    assert_eq!(star["rate_limit"], json!({"per_second": 5}));
}

#[test]
fn auth_style_flat_answers_with_id_overrides() {
    let tree = vec![source(
        "spec/auth/v3/import.json",
        r#"{"ids": {"auth_auth_tenant_access_token_internal": "auth.v3.tenant_access_token.internal", "auth_auth_app_ticket_resend": "auth.v3.app_ticket.resend"}}"#,
    )];
    let report = import_ok(&[fixture("flat.yaml")], &tree, &project("auth"));
    let paths: Vec<&str> = report.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "spec/auth/v3/app_ticket/resend.json",
            "spec/auth/v3/tenant_access_token/internal.json"
        ]
    );
    let token = json_of(&report, "spec/auth/v3/tenant_access_token/internal.json");
    assert_eq!(
        token["access_tokens"],
        json!([]),
        "no x-lark-access-tokens: no token"
    );
    assert_eq!(token["response"]["kind"], "flat");
    assert_eq!(
        token["response"]["fields"],
        json!([
            {"name": "tenant_access_token", "type": "string", "required": false, "example": "t-1"},
            {"name": "expire", "type": "integer", "required": false, "example": 7200}
        ])
    );
    assert_eq!(token["errors"], json!([]));
    let resend = json_of(&report, "spec/auth/v3/app_ticket/resend.json");
    assert_eq!(resend["response"], json!({"kind": "empty"}));
}

#[test]
fn a_new_spec_has_empty_prose_and_the_report_lists_it() {
    let (_, report) = widgets();
    let spec = json_of(&report, "spec/demo/v1/widget/create.json");
    assert_eq!(spec["summary"], "");
    assert!(spec.get("description").is_none());
    assert_eq!(spec["app_types"], json!(["custom", "store"]));
    let missing = &report.missing_prose;
    for line in [
        "spec/demo/v1/widget/create.json: summary: missing prose",
        "spec/demo/v1/widget/create.json: query_params[0].description: missing prose",
        "spec/demo/v1/widget/create.json: query_params[0].enum[1].description: missing prose",
        "spec/demo/v1/widget/create.json: request_body.fields[0].description: missing prose",
        "spec/demo/v1/widget/create.json: errors[1]: missing prose (code 1250002: name, meaning, advice, retryable; or an entry in the version's errors.json)",
        "spec/demo/v1/types.json: types.Widget.description: missing prose (from `#/components/schemas/WidgetData`; import.json `type_names` can rename it)",
    ] {
        assert!(missing.iter().any(|l| l == line), "`{line}` not in\n{}", missing.join("\n"));
    }
}

/// Writes our prose and decisions into the imported files, as a maintainer would.
fn edit(tree: &mut [SpecSource], path: &str, change: impl FnOnce(&mut Value)) {
    let s = tree
        .iter_mut()
        .find(|s| s.path == path)
        .expect("file in tree");
    let mut v: Value = serde_json::from_str(&s.text).unwrap();
    change(&mut v);
    s.text = serde_json::to_string_pretty(&v).unwrap();
}

fn field_mut<'a>(fields: &'a mut Value, name: &str) -> &'a mut Value {
    fields
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|f| f["name"] == name)
        .unwrap()
}

#[test]
fn reimport_keeps_prose_and_decisions_and_drops_what_went_away() {
    let (tree, first) = widgets();
    let mut tree = written(&tree, &first);
    // The enum's name is a decision of import.json; one written in the spec alone is not kept.
    tree.retain(|s| s.path != "spec/demo/v1/import.json");
    tree.push(config_with_enums(json!({
        "demo.v1.widget.create:query.user_id_type": {"type": "WidgetUserIdType"}
    })));
    edit(&mut tree, "spec/demo/v1/widget/create.json", |v| {
        v["summary"] = json!("Create a widget.");
        v["description"] = json!("Makes one widget.");
        v["idempotent"] = json!(true);
        v["idempotency_key"] = json!("name");
        v["invalid_request_code"] = json!(1250001);
        v["app_types"] = json!(["custom"]);
        let q = &mut v["query_params"][0];
        q["description"] = json!("Kind of user IDs.");
        q["enum_type_name"] = json!("SomethingElse");
        q["enum"][0]["description"] = json!("Open ID.");
        q["enum"][1]["rust_name"] = json!("union");
        q["example"] = json!("union_id");
        let fields = &mut v["request_body"]["fields"];
        let name = field_mut(fields, "name");
        name["description"] = json!("Its name.");
        name["rust_name"] = json!("widget_name");
        name["example"] = json!("cog");
        field_mut(fields, "size")["required"] = json!(true);
        let data = &mut v["response"]["data_fields"];
        field_mut(data, "deleted")["required"] = json!(true);
        data.as_array_mut().unwrap().push(json!({"name": "obsolete", "type": "string", "required": false, "description": "Gone upstream."}));
        let rows = v["errors"].as_array_mut().unwrap();
        rows[0]["name"] = json!("invalid_widget");
        rows[0]["meaning"] = json!("The widget is not valid.");
        rows[0]["advice"] = json!("Fix it.");
        rows[0]["retryable"] = json!(false);
        rows.push(json!({"http_status": 400, "code": 999, "name": "gone", "server_message": "", "meaning": "Gone.", "advice": "None.", "retryable": false}));
    });
    edit(&mut tree, "spec/demo/v1/types.json", |v| {
        let config = &mut v["types"]["CreateWidgetBodyConfig"];
        config["description"] = json!("How a widget looks.");
        // No `required` list upstream for this object: ours stays.
        field_mut(&mut config["fields"], "color")["required"] = json!(true);
        let owner = &mut v["types"]["Owner"];
        owner["description"] = json!("Who owns it.");
        field_mut(&mut owner["fields"], "kind")["enum"][0]["description"] = json!("A user.");
    });
    edit(&mut tree, "spec/demo/v1/widget_image/get.json", |v| {
        v["response"]["max_bytes"] = json!(2048);
    });
    let second = import_ok(&[fixture("widgets.yaml")], &tree, &project("demo"));

    let spec = json_of(&second, "spec/demo/v1/widget/create.json");
    assert_eq!(spec["summary"], "Create a widget.");
    assert_eq!(spec["description"], "Makes one widget.");
    assert_eq!(spec["idempotent"], true);
    assert_eq!(spec["idempotency_key"], "name");
    assert_eq!(spec["invalid_request_code"], 1250001);
    assert_eq!(spec["app_types"], json!(["custom"]));
    let q = &spec["query_params"][0];
    assert_eq!(q["description"], "Kind of user IDs.");
    assert_eq!(q["enum_type_name"], "WidgetUserIdType");
    assert_eq!(q["enum"][0]["description"], "Open ID.");
    assert_eq!(q["enum"][1]["rust_name"], "union");
    assert_eq!(
        q["example"], "union_id",
        "our example wins over the metadata's"
    );
    let fields = &spec["request_body"]["fields"];
    assert_eq!(field(fields, "name")["description"], "Its name.");
    assert_eq!(field(fields, "name")["rust_name"], "widget_name");
    assert_eq!(field(fields, "name")["example"], "cog");
    assert_eq!(
        field(fields, "size")["required"],
        false,
        "the body lists its required fields: the metadata decides"
    );
    let data = &spec["response"]["data_fields"];
    assert_eq!(
        field(data, "deleted")["required"],
        true,
        "answers keep our required flags"
    );
    assert!(
        !data
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "obsolete"),
        "a field gone upstream is gone"
    );
    let rows = spec["errors"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "the row gone upstream is gone");
    assert_eq!(
        rows[0],
        json!({"http_status": 400, "code": 1250001, "name": "invalid_widget", "server_message": "Invalid widget.", "meaning": "The widget is not valid.", "advice": "Fix it.", "retryable": false})
    );

    let types = json_of(&second, "spec/demo/v1/types.json");
    let config = &types["types"]["CreateWidgetBodyConfig"];
    assert_eq!(config["description"], "How a widget looks.");
    assert_eq!(field(&config["fields"], "color")["required"], true);
    assert_eq!(
        field(&types["types"]["Owner"]["fields"], "kind")["enum"][0]["description"],
        "A user."
    );
    let download = json_of(&second, "spec/demo/v1/widget_image/get.json");
    assert_eq!(
        download["response"]["max_bytes"], 2048,
        "our limit wins over import.json's"
    );
    assert!(
        !second
            .missing_prose
            .iter()
            .any(|l| l.starts_with("spec/demo/v1/widget/create.json: summary")),
        "written prose is not reported"
    );
}

#[test]
fn importing_twice_gives_the_same_bytes() {
    let (tree, first) = widgets();
    let again = import_ok(&[fixture("widgets.yaml")], &tree, &project("demo"));
    assert_eq!(first, again, "same input, same output");
    let tree = written(&tree, &first);
    let second = import_ok(&[fixture("widgets.yaml")], &tree, &project("demo"));
    assert_eq!(
        first.files, second.files,
        "an import of an imported tree changes nothing"
    );
    // With no selection, the specs that exist are imported again, and nothing changes.
    let third = import_ok(&[fixture("widgets.yaml")], &tree, &Selection::default());
    assert_eq!(first.files, third.files);
    for f in &first.files {
        assert!(f.contents.ends_with("}\n"), "{}: trailing newline", f.path);
        assert!(f.contents.contains("\n  \""), "{}: 2-space indent", f.path);
    }
}

/// The files of an import with placeholder prose where it is missing.
fn with_placeholder_prose(report: &ImportReport) -> Vec<SpecSource> {
    let mut sources = Vec::new();
    for f in &report.files {
        let mut text = f.contents.clone();
        if let Ok(mut loaded) = lark_codegen::load::parse(&source(&f.path, text.clone())) {
            survey::fill_spec(&mut loaded.spec);
            text = canonical::endpoint(&loaded.spec);
        } else {
            let mut types: TypesFile = lark_codegen::load::parse_types(
                &source(&f.path, text.clone()),
                "demo".into(),
                "v1".into(),
            )
            .expect("types.json parses")
            .types;
            for t in types.types.values_mut() {
                t.description = "Placeholder.".into();
                survey::fill_fields(&mut t.fields);
            }
            text = canonical::types_file(&types);
        }
        sources.push(source(&f.path, text));
    }
    sources
}

#[test]
fn imported_specs_generate_once_prose_is_written() {
    let (tree, report) = widgets();
    let mut sources = with_placeholder_prose(&report);
    sources.extend(tree);
    if let Err(problems) = lark_codegen::generate(&sources) {
        panic!(
            "{}",
            problems
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

fn problems_of(docs: &[DocumentSource], tree: &[SpecSource]) -> Vec<String> {
    match import(docs, tree, &project("demo")) {
        Ok(r) => panic!(
            "imported: {:?}",
            r.files.iter().map(|f| &f.path).collect::<Vec<_>>()
        ),
        Err(p) => p.iter().map(|p| p.to_string()).collect(),
    }
}

#[test]
fn bad_yaml_is_one_problem_and_nothing_is_imported() {
    let problems = problems_of(
        &[fixture("broken/not_yaml.yaml"), fixture("widgets.yaml")],
        &[demo_config()],
    );
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].starts_with("tests/fixtures/import/broken/not_yaml.yaml: .: .: invalid YAML: "),
        "{}",
        problems[0]
    );
}

#[test]
fn an_unresolved_ref_names_document_operation_and_field() {
    let problems = problems_of(&[fixture("broken/unresolved_ref.yaml")], &[]);
    assert_eq!(
        problems,
        ["tests/fixtures/import/broken/unresolved_ref.yaml: demo_widget_get: responses.200.data.widget: $ref `#/components/schemas/Nowhere` does not resolve"]
    );
}

#[test]
fn unsupported_shapes_are_one_line_each() {
    let problems = problems_of(&[fixture("broken/unsupported.yaml")], &[]);
    assert_eq!(
        problems,
        [
            "tests/fixtures/import/broken/unsupported.yaml: demo_widget_patch: parameters.weight.schema.type: a query parameter of type `number` is not supported (string, integer, boolean, or an array of those)",
            "tests/fixtures/import/broken/unsupported.yaml: demo_widget_search: requestBody: a GET with a request body cannot be expressed (a GET carries no body)",
        ]
    );
}

#[test]
fn a_download_without_a_size_limit_is_a_problem() {
    let problems = problems_of(&[fixture("widgets.yaml")], &[]);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(problems[0].starts_with("tests/fixtures/import/widgets.yaml: demo_widget_image_get: x-lark-file-download: a download needs a size limit"));
}

#[test]
fn an_id_collision_is_a_problem() {
    let config = source(
        "spec/demo/v1/import.json",
        r#"{"ids": {"demo_widget_star": "demo.v1.widget.create"}, "max_bytes": {"demo.v1.widget_image.get": 1}}"#,
    );
    let problems = problems_of(&[fixture("widgets.yaml")], &[config]);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].contains("id `demo.v1.widget.create` is also the id of"),
        "{}",
        problems[0]
    );
}

#[test]
fn rows_leave_to_the_catalogue_what_it_says() {
    let (tree, first) = widgets();
    let mut tree = written(&tree, &first);
    // The enum's name is a decision of import.json; one written in the spec alone is not kept.
    tree.retain(|s| s.path != "spec/demo/v1/import.json");
    tree.push(config_with_enums(json!({
        "demo.v1.widget.create:query.user_id_type": {"type": "WidgetUserIdType"}
    })));
    edit(&mut tree, "spec/demo/v1/widget/create.json", |v| {
        let rows = v["errors"].as_array_mut().unwrap();
        rows[0]["name"] = json!("invalid_widget");
        rows[0]["meaning"] = json!("This widget is not valid here.");
        rows[0]["advice"] = json!("Fix it.");
        rows[0]["retryable"] = json!(false);
    });
    tree.push(source(
        "spec/demo/v1/errors.json",
        r#"{"errors": [
            {"code": 1250001, "name": "invalid_widget", "meaning": "The widget is not valid.", "advice": "Fix it.", "retryable": false},
            {"code": 1250002, "name": "widget_busy", "meaning": "Busy.", "advice": "Wait.", "retryable": true}
        ]}"#,
    ));
    let report = import_ok(&[fixture("widgets.yaml")], &tree, &project("demo"));
    let spec = json_of(&report, "spec/demo/v1/widget/create.json");
    assert_eq!(
        spec["errors"][0],
        json!({"http_status": 400, "code": 1250001, "server_message": "Invalid widget.", "meaning": "This widget is not valid here."}),
        "only the endpoint-specific meaning stays on the row"
    );
    let errors: Vec<&String> = report
        .missing_prose
        .iter()
        .filter(|l| l.contains(": errors["))
        .collect();
    assert_eq!(errors.len(), 1, "only 1250003 has neither: {errors:?}");
    assert!(errors[0].contains("code 1250003"));
}

/// A hand-written spec of the demo version (not in the metadata): `user_id_type` with
/// `values`, and a response field `name` listing values.
fn thing_spec(user_id_types: &[&str]) -> SpecSource {
    let values: Vec<Value> = user_id_types
        .iter()
        .map(|v| json!({"value": v, "description": format!("{v}.")}))
        .collect();
    let spec = json!({
        "id": "demo.v1.thing.get", "summary": "s", "doc_url": "https://x", "http_method": "GET",
        "path": "/open-apis/demo/v1/things",
        "query_params": [{"name": "user_id_type", "type": "string", "required": false, "description": "d", "enum": values}],
        "access_tokens": ["tenant"], "app_types": ["custom"], "request_body": {"kind": "none"},
        "response": {"kind": "json", "data_fields": [
            {"name": "name", "type": "string", "required": false, "description": "d",
             "enum": [{"value": "gear", "description": "A gear."}, {"value": "cog", "description": "A cog."}]}
        ]},
        "errors": []
    });
    source(
        "spec/demo/v1/thing/get.json",
        canonical::endpoint(&serde_json::from_value(spec).unwrap()),
    )
}

fn config_with_enums(enums: Value) -> SpecSource {
    source(
        "spec/demo/v1/import.json",
        json!({
            "type_names": { "#/components/schemas/WidgetData": "Widget" },
            "max_bytes": { "demo.v1.widget_image.get": 1048576 },
            "enums": enums,
        })
        .to_string(),
    )
}

fn enum_values(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v["value"].as_str().unwrap())
        .collect()
}

/// One type per concept: places of one name share one enum (each listing what it accepts,
/// the enum has them all), a free string of a concept whose values another place lists
/// refers to that enum, and import.json names enums, gives a place one of its own, and lists
/// a free string's values.
#[test]
fn places_of_one_name_share_one_enum_and_import_json_decides_the_rest() {
    let config = config_with_enums(json!({
        "demo.v1.widget_image.upload:request.image_type": {"type": "WidgetImageType"},
        "color": {"values": ["red", "blue"]},
        "kind": {"type": "OwnerKind"},
    }));
    let tree = vec![config, thing_spec(&["open_id", "union_id", "user_id"])];
    let report = import_ok(&[fixture("widgets.yaml")], &tree, &project("demo"));
    assert_eq!(
        report.notes,
        ["spec/demo/v1/thing/get.json: not in the metadata read (left as it is)"]
    );
    let create = json_of(&report, "spec/demo/v1/widget/create.json");
    let q = &create["query_params"][0];
    assert_eq!(q["enum_type_name"], Value::Null, "the default: UserIdType");
    assert_eq!(
        enum_values(&q["enum"]),
        ["open_id", "union_id"],
        "its own values"
    );
    let name = field(&create["request_body"]["fields"], "name");
    assert_eq!(
        name["enum_type_name"], "Name",
        "a reference to the enum of `name`"
    );
    assert!(name.get("enum").is_none(), "{name}");
    assert_eq!(name["example"], "gear", "a value of the enum: kept");
    let types = json_of(&report, "spec/demo/v1/types.json");
    let color = field(&types["types"]["CreateWidgetBodyConfig"]["fields"], "color");
    assert_eq!(
        enum_values(&color["enum"]),
        ["red", "blue"],
        "documented in import.json"
    );
    assert_eq!(color["enum_type_name"], Value::Null);
    let kind = field(&types["types"]["Owner"]["fields"], "kind");
    assert_eq!(kind["enum_type_name"], "OwnerKind");
    assert_eq!(enum_values(&kind["enum"]), ["user", "bot"]);
    assert_eq!(
        field(&types["types"]["Widget"]["fields"], "name")["enum_type_name"],
        "Name"
    );
    let upload = json_of(&report, "spec/demo/v1/widget_image/upload.json");
    assert_eq!(
        field(&upload["request_body"]["fields"], "image_type")["enum_type_name"],
        "WidgetImageType"
    );
    assert!(report
        .missing_prose
        .iter()
        .any(|l| l == "spec/demo/v1/types.json: types.CreateWidgetBodyConfig.fields[0].enum[1].description: missing prose"),
        "{:#?}", report.missing_prose);

    // Generated: one UserIdType with the values of both places.
    let mut sources = with_placeholder_prose(&report);
    sources.extend(tree);
    let model = lark_codegen::build_model(&sources).unwrap_or_else(|p| {
        panic!(
            "{}",
            p.iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    let v = &model.versions[0];
    let wires = |name: &str| -> Vec<&str> {
        v.enums[name]
            .values
            .iter()
            .map(|x| x.wire.as_str())
            .collect()
    };
    assert_eq!(wires("UserIdType"), ["open_id", "union_id", "user_id"]);
    assert_eq!(wires("Name"), ["gear", "cog"]);
    assert_eq!(wires("OwnerKind"), ["user", "bot"]);
    let create = model.endpoint("demo.v1.widget.create").unwrap();
    assert_eq!(
        create.query_params[0].accepted,
        Some(vec!["open_id".to_string(), "union_id".to_string()]),
        "the docs say which values this endpoint takes"
    );
    assert_eq!(
        create.body.fields()[0].ty,
        lark_codegen::model::Ty::Enum("Name".into())
    );
}

/// Places of one enum whose values neither contain the other may be two concepts: a note,
/// until import.json decides.
#[test]
fn values_of_two_concepts_under_one_name_are_noted_until_decided() {
    let tree = vec![demo_config(), thing_spec(&["user_id", "email"])];
    let report = import_ok(&[fixture("widgets.yaml")], &tree, &project("demo"));
    let note = report
        .notes
        .iter()
        .find(|n| n.starts_with("enum `UserIdType` joins"))
        .unwrap_or_else(|| panic!("{:#?}", report.notes));
    assert!(
        note.contains("open_id, union_id (tests/fixtures/import/widgets.yaml: query_params[0])")
            && note.contains("email, user_id (spec/demo/v1/thing/get.json: query_params[0])")
            && note.contains("spec/demo/v1/import.json"),
        "{note}"
    );
    let tree = vec![
        config_with_enums(json!({"user_id_type": {"type": "UserIdType"}})),
        thing_spec(&["user_id", "email"]),
    ];
    let report = import_ok(&[fixture("widgets.yaml")], &tree, &project("demo"));
    assert!(
        !report.notes.iter().any(|n| n.contains("joins")),
        "{:#?}",
        report.notes
    );
    // A concept of its own for one place: the other keeps the name.
    let tree = vec![
        config_with_enums(
            json!({"demo.v1.widget.create:query.user_id_type": {"type": "WidgetUserIdType"}}),
        ),
        thing_spec(&["user_id", "email"]),
    ];
    let report = import_ok(&[fixture("widgets.yaml")], &tree, &project("demo"));
    let create = json_of(&report, "spec/demo/v1/widget/create.json");
    assert_eq!(
        create["query_params"][0]["enum_type_name"],
        "WidgetUserIdType"
    );
    assert!(!report.notes.iter().any(|n| n.contains("joins")));
}

#[test]
fn a_decided_enum_without_values_anywhere_is_a_problem() {
    let tree = vec![config_with_enums(
        json!({"demo.v1.widget.create:request.name": {"type": "WidgetName"}}),
    )];
    let problems = problems_of(&[fixture("widgets.yaml")], &tree);
    assert_eq!(
        problems,
        ["tests/fixtures/import/widgets.yaml: demo_widget_create: request_body.fields[0]: spec/demo/v1/import.json makes this the enum `WidgetName`, but no parameter or field of the version lists its values: give them (`values`)"]
    );
}

#[test]
fn enum_values_keep_our_order_and_new_ones_follow_their_neighbour() {
    let up: Vec<String> = ["a", "x", "b", "c"].iter().map(|s| s.to_string()).collect();
    assert_eq!(
        merge::keep_order(&up, Some(vec!["c", "b", "a", "gone"])),
        ["c", "b", "a", "x"]
    );
    assert_eq!(merge::keep_order(&up, None), ["a", "x", "b", "c"]);
    let up: Vec<String> = ["new", "a"].iter().map(|s| s.to_string()).collect();
    assert_eq!(merge::keep_order(&up, Some(vec!["a"])), ["new", "a"]);
}

#[test]
fn rate_limit_tiers() {
    let rl = |t| rate_limit::of_tier(t).map(|r| (r.per_minute, r.per_second));
    assert_eq!(rl(0), None);
    assert_eq!(rl(1), Some((Some(10), None)));
    assert_eq!(rl(3), Some((Some(100), None)));
    assert_eq!(rl(4), Some((Some(1000), Some(50))));
    assert_eq!(rl(7), Some((None, Some(10))));
    assert_eq!(rl(21), Some((None, Some(3))));
    assert_eq!(rl(99), None);
}

#[test]
fn the_checked_in_specs_are_canonical() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap();
    let sources = lark_codegen::read_spec_dir(root).unwrap();
    let mut checked = 0;
    for s in &sources {
        // Event specs are written by hand; the importer never writes them.
        if lark_codegen::load::event_file_of(&s.path).is_some() {
            continue;
        }
        if let Some((service, version)) = lark_codegen::load::types_file_of(&s.path) {
            let t = lark_codegen::load::parse_types(s, service, version).unwrap();
            assert_eq!(canonical::types_file(&t.types), s.text, "{}", s.path);
        } else if let Some((service, version)) = lark_codegen::load::errors_file_of(&s.path) {
            let e = lark_codegen::load::parse_errors(s, service, version).unwrap();
            assert_eq!(canonical::catalogue(&e.catalogue), s.text, "{}", s.path);
        } else if config::config_file_of(&s.path).is_none() {
            let l = lark_codegen::load::parse(s).unwrap();
            assert_eq!(canonical::endpoint(&l.spec), s.text, "{}", s.path);
        } else {
            continue;
        }
        checked += 1;
    }
    assert!(checked >= 25, "{checked} files");
}
