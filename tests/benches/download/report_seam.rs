//! The seam's part of BENCHMARKS.md: JSON requests, lists, uploads, the multi-thread
//! download, compile time.

use std::fmt::Write;

use crate::compile::CompileFigures;
use crate::downloads::DownloadFigures;
use crate::measure::median;
use crate::seam::{SeamFigures, BIG_CHAT, SMALL_CHAT, UPLOAD_BYTES};
use crate::small::SmallFigures;

/// JSON requests through the SDK against bare reqwest + serde_json.
pub const TARGET_JSON_RATIO: f64 = 0.90;
/// Peak RSS reading 10,000 messages, at most this much above reading 100.
pub const TARGET_LIST_RSS_DELTA_MIB: f64 = 2.0;
/// Peak RSS of a 30 MB upload from disk.
/// Reading the big chat with `.items()`, child process start-up and token included (ms).
pub const TARGET_LIST_BIG_MS: f64 = 1000.0;
/// Messages per page of the list runs.
pub const LIST_PAGE_SIZE: f64 = 50.0;
/// The most one uploaded path may keep resident (MiB).
pub const TARGET_UPLOAD_RSS_MIB: f64 = 16.0;
/// Upload time against `curl -F`.
pub const TARGET_UPLOAD_RATIO: f64 = 1.10;
/// The 100 MiB download on a multi-thread runtime against curl.
pub const TARGET_MULTI_RATIO: f64 = 1.05;
/// What the services may add to a clean debug build of the crate, seconds.
pub const BUDGET_CLEAN_S: f64 = 60.0;
/// What the services may add to an incremental build of the crate, seconds.
pub const BUDGET_INCREMENTAL_S: f64 = 10.0;

/// What the seam section shows.
pub struct SeamReport<'a> {
    pub json: &'a SmallFigures,
    pub seam: &'a SeamFigures,
    pub compile: Option<&'a CompileFigures>,
    pub downloads: &'a DownloadFigures,
}

fn pass(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "MISS"
    }
}

fn list(values: &[f64]) -> String {
    values
        .iter()
        .map(|v| format!("{v:.1}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The section's Markdown.
pub fn render(r: &SeamReport<'_>) -> String {
    let mut out = String::new();
    let json_ratio = median(&r.json.sdk) / median(&r.json.bare);
    let s = r.seam;
    let small_rss = median(&s.list_small_rss);
    let big_rss = median(&s.list_big_rss);
    let big_ms = median(&s.list_big_ms);
    let pages = (BIG_CHAT as f64 / LIST_PAGE_SIZE).ceil();
    let sdk_ms: Vec<f64> = s.upload_sdk.iter().map(|x| x.0).collect();
    let sdk_rss: Vec<f64> = s.upload_sdk.iter().map(|x| x.1).collect();
    let curl_ms: Vec<f64> = s.upload_curl.iter().map(|x| x.0).collect();
    let curl_rss: Vec<f64> = s.upload_curl.iter().map(|x| x.1).collect();
    let upload_ratio = (!curl_ms.is_empty()).then(|| median(&sdk_ms) / median(&curl_ms));
    let multi_ratio = r
        .downloads
        .sizes
        .iter()
        .find(|f| f.size.bytes == 100 * 1024 * 1024)
        .filter(|f| !f.curl.is_empty())
        .map(|f| {
            let walls = |runs: &[crate::downloads::Run]| {
                median(&runs.iter().map(|x| x.wall_ms).collect::<Vec<_>>())
            };
            (walls(&f.multi), walls(&f.curl), walls(&f.sdk))
        });
    let _ = writeln!(
        out,
        "
## 6. The seam: JSON requests, lists, uploads, compile time

| target | measured | result |
|---|---|---|
| small JSON requests (`message.get`) ≥ {TARGET_JSON_RATIO:.2} × bare reqwest + serde_json | {json_ratio:.2} × ({:.0} vs {:.0} requests/s) | {} |
| reading {BIG_CHAT} messages with `.items()`: peak RSS within {TARGET_LIST_RSS_DELTA_MIB:.0} MiB of reading {SMALL_CHAT} | {big_rss:.1} MiB vs {small_rss:.1} MiB ({:+.1} MiB) | {} |
| reading {BIG_CHAT} messages with `.items()` (pages of 50) ≤ {TARGET_LIST_BIG_MS:.0} ms | {big_ms:.0} ms, {:.2} ms per page ({pages:.0} pages) | {} |
| uploading 30 MB from a path: peak RSS ≤ {TARGET_UPLOAD_RSS_MIB:.0} MiB | {:.1} MiB (curl -F: {}) | {} |
| uploading 30 MB from a path ≤ {TARGET_UPLOAD_RATIO:.2} × `curl -F` | {} | {} |
| download 100 MiB on a multi-thread runtime ≤ {TARGET_MULTI_RATIO:.2} × curl | {} | {} |",
        median(&r.json.sdk),
        median(&r.json.bare),
        pass(json_ratio >= TARGET_JSON_RATIO),
        big_rss - small_rss,
        pass(big_rss - small_rss <= TARGET_LIST_RSS_DELTA_MIB),
        big_ms / pages,
        pass(big_ms <= TARGET_LIST_BIG_MS),
        median(&sdk_rss),
        if curl_rss.is_empty() {
            "not measured".to_string()
        } else {
            format!("{:.1} MiB", median(&curl_rss))
        },
        pass(median(&sdk_rss) <= TARGET_UPLOAD_RSS_MIB),
        upload_ratio.map_or_else(
            || "curl missing: not compared".to_string(),
            |ratio| format!(
                "{ratio:.2} × ({:.0} ms vs {:.0} ms)",
                median(&sdk_ms),
                median(&curl_ms)
            )
        ),
        upload_ratio.map_or("n/a", |ratio| pass(ratio <= TARGET_UPLOAD_RATIO)),
        multi_ratio.map_or_else(
            || "not measured".to_string(),
            |(multi, curl, sdk)| format!(
                "{:.2} × ({multi:.1} ms vs {curl:.1} ms; current-thread {:.2} ×)",
                multi / curl,
                sdk / curl
            )
        ),
        multi_ratio.map_or("n/a", |(multi, curl, _)| pass(multi / curl <= TARGET_MULTI_RATIO)),
    );
    let _ = writeln!(
        out,
        "
**JSON requests.** As section 4, with `client.im().v1().message().get(id)` (the whole
pipeline: token, request, envelope `code` check, typed decode of `data` into
`GetMessageResponse`) against a bare `reqwest::Client` doing `GET` with the bearer token,
`.bytes()`, `serde_json::from_slice::<Value>` and a `code` check. The fake synthesizes the
answer from the spec's model. Rounds, SDK requests/s: {}; reqwest: {}.

**Lists.** A child process reads every message of a chat with
`.list(id, ContainerIdType::Chat).page_size(50).items()` against the fake's store ({SMALL_CHAT} and
{BIG_CHAT} messages, seeded through the SDK). Peak RSS per run, {SMALL_CHAT} messages (MiB):
{}; {BIG_CHAT} messages: {} (wall ms, child start-up and token included: {}). One page is
held at a time, so memory does not grow with the chat. The fake sets `TCP_NODELAY` on
every accepted connection: without it an answer written in two pieces (headers, then body)
waited for the client's delayed ACK, about 40 ms a page (5.4 s for these 200 pages before).

**Uploads.** A child process uploads a {} MiB file with `im.v1.file.create` and
`UploadFile::from_path` (streamed from disk with `Content-Length`, a current-thread runtime),
against `curl -s -F file_type=stream -F file_name=… -F file=@FILE` with the token fetched
beforehand; both to the fake, which reads the form as a stream and keeps the file in memory.
Runs, SDK (ms, MiB): {}; curl: {}.",
        list(&r.json.sdk),
        list(&r.json.bare),
        list(&s.list_small_rss),
        list(&s.list_big_rss),
        list(&s.list_big_ms),
        UPLOAD_BYTES / (1024 * 1024),
        s.upload_sdk
            .iter()
            .map(|(t, m)| format!("{t:.0}/{m:.1}"))
            .collect::<Vec<_>>()
            .join(", "),
        if s.upload_curl.is_empty() {
            "not measured".to_string()
        } else {
            s.upload_curl
                .iter()
                .map(|(t, m)| format!("{t:.0}/{m:.1}"))
                .collect::<Vec<_>>()
                .join(", ")
        },
    );
    match r.compile {
        Some(c) => {
            let _ = writeln!(
                out,
                "
**Compile time** (a scratch copy of the workspace with its own target directory, so
nothing is shared with the real build; 2 CPUs):

| what | time |
|---|---:|
| `cargo build -p lark-openapi --no-default-features` (auth only, no service) from clean, dependencies included | {:.1} s |
| `cargo build -p lark-openapi` (default: every service) from clean, dependencies included | {:.1} s |
| `cargo build -p lark-openapi --no-default-features` after touching `sdk/src/lib.rs` | {:.1} s |
| `cargo build -p lark-openapi` after touching `sdk/src/lib.rs` (the crate alone) | {:.1} s |
| one spec's prose edited, `cargo xtask gen`, `cargo build -p lark-openapi` | {:.1} s |
| `cargo check -p lark-openapi` after touching `sdk/src/lib.rs` | {:.1} s |

Budget: the services (the whole IM family today) add **{:+.1} s** to a clean debug build
(budget {BUDGET_CLEAN_S:.0} s: {}) and **{:+.1} s** to an incremental one (budget
{BUDGET_INCREMENTAL_S:.0} s: {}).

Generated code: {} lines in {} files ({:.0} KiB) under `sdk/src/generated/`; the
hand-written runtime is {} lines.",
                c.clean_build_without_services.as_secs_f64(),
                c.clean_build.as_secs_f64(),
                c.crate_only_build_without_services.as_secs_f64(),
                c.crate_only_build.as_secs_f64(),
                c.spec_touched_build.as_secs_f64(),
                c.crate_only_check.as_secs_f64(),
                c.clean_build.as_secs_f64() - c.clean_build_without_services.as_secs_f64(),
                pass(
                    c.clean_build.as_secs_f64() - c.clean_build_without_services.as_secs_f64()
                        <= BUDGET_CLEAN_S
                ),
                c.crate_only_build.as_secs_f64()
                    - c.crate_only_build_without_services.as_secs_f64(),
                pass(
                    c.crate_only_build.as_secs_f64()
                        - c.crate_only_build_without_services.as_secs_f64()
                        <= BUDGET_INCREMENTAL_S
                ),
                c.generated_lines,
                c.generated_files,
                c.generated_bytes as f64 / 1024.0,
                c.runtime_lines,
            );
        }
        None => {
            let _ = writeln!(out, "\nCompile time: not measured (`--no-compile`).");
        }
    }
    out
}
