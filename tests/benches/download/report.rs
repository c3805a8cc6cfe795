//! BENCHMARKS.md: tables, targets with PASS/MISS, and what explains a miss.

use std::fmt::Write as _;
use std::time::Duration;

use crate::downloads::{Curl, DownloadFigures, Run, SizeFigures};
use crate::gen::GenFigures;
use crate::machine::Context;
use crate::measure::{max, median};
use crate::profile::Profiles;
use crate::small::SmallFigures;
use crate::tokens::TokenRound;
use crate::Options;

/// Download time at 100 MiB: at most this many times curl's.
pub const TARGET_RATIO_100M: f64 = 1.10;
/// Peak RSS of the SDK child at 100 MiB, MiB.
pub const TARGET_RSS_MIB: f64 = 24.0;
/// Peak RSS growth from 1 MiB to 100 MiB, MiB.
pub const TARGET_RSS_GROWTH_MIB: f64 = 4.0;
/// Small-request rate: at least this fraction of bare reqwest's.
pub const TARGET_SMALL_RATIO: f64 = 0.85;

/// How long the run took.
#[derive(Debug, Clone)]
pub struct Timing {
    /// From `cargo xtask bench` starting to the harness starting (cargo, build).
    pub before_harness: Option<Duration>,
    /// The harness up to writing the report.
    pub harness: Duration,
    /// Per section.
    pub sections: Vec<(&'static str, Duration)>,
}

impl Timing {
    /// The whole `cargo xtask bench`, when it was started that way.
    pub fn total(&self) -> Option<Duration> {
        self.before_harness.map(|b| b + self.harness)
    }
}

/// Everything the report is made of.
pub struct Report<'a> {
    pub context: &'a Context,
    pub opts: &'a Options,
    pub downloads: &'a DownloadFigures,
    pub tokens: &'a [TokenRound],
    pub small: &'a SmallFigures,
    pub gen: &'a GenFigures,
    pub timing: &'a Timing,
}

fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

fn pass(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "**MISS**"
    }
}

fn walls(runs: &[Run]) -> Vec<f64> {
    runs.iter().map(|r| r.wall_ms).collect()
}

fn rss_mib(runs: &[Run]) -> Vec<f64> {
    runs.iter().map(|r| r.rss_kib as f64 / 1024.0).collect()
}

fn cpu(runs: &[Run]) -> Vec<f64> {
    runs.iter().map(|r| r.cpu_ms).collect()
}

fn phase(runs: &[Run], f: impl Fn(&crate::child::Phases) -> Duration) -> Vec<f64> {
    runs.iter()
        .filter_map(|r| r.phases.as_ref())
        .map(|p| f(p).as_secs_f64() * 1000.0)
        .collect()
}

/// The list of values, one decimal.
fn list(values: &[f64]) -> String {
    let v: Vec<String> = values.iter().map(|x| format!("{x:.1}")).collect();
    v.join(", ")
}

/// The numbers the targets are judged on.
struct Derived {
    /// 100 MiB: SDK median / curl median (None without curl).
    ratio_100m: Option<f64>,
    /// 100 MiB: SDK durable median / curl median.
    durable_ratio_100m: Option<f64>,
    /// Peak RSS of the SDK children (both modes), max over runs, MiB: 1 MiB and 100 MiB.
    rss_1m: f64,
    rss_100m: f64,
    tokens_ok: bool,
    small_ratio: f64,
}

fn size(d: &DownloadFigures, bytes: u64) -> Option<&SizeFigures> {
    d.sizes.iter().find(|s| s.size.bytes == bytes)
}

/// Both SDK modes' runs of one size.
fn sdk_runs(s: &SizeFigures) -> Vec<Run> {
    s.sdk.iter().chain(&s.durable).cloned().collect()
}

fn derive(r: &Report<'_>) -> Derived {
    let big = size(r.downloads, 100 << 20);
    let small_size = size(r.downloads, 1 << 20);
    let (mut ratio, mut durable) = (None, None);
    if let Some(big) = big.filter(|b| !b.curl.is_empty()) {
        let curl = median(&walls(&big.curl));
        ratio = Some(median(&walls(&big.sdk)) / curl);
        durable = Some(median(&walls(&big.durable)) / curl);
    }
    Derived {
        ratio_100m: ratio,
        durable_ratio_100m: durable,
        rss_1m: small_size.map_or(f64::NAN, |s| max(&rss_mib(&sdk_runs(s)))),
        rss_100m: big.map_or(f64::NAN, |s| max(&rss_mib(&sdk_runs(s)))),
        tokens_ok: !r.tokens.is_empty()
            && r.tokens
                .iter()
                .all(|t| t.token_requests == 1 && t.failures == 0),
        small_ratio: median(&r.small.sdk) / median(&r.small.bare),
    }
}

/// Renders the whole of BENCHMARKS.md.
pub fn render(r: &Report<'_>) -> String {
    let d = derive(r);
    let mut out = String::new();
    head(&mut out, r);
    summary_table(&mut out, r, &d);
    section_downloads(&mut out, r, &d);
    section_profile(&mut out, r);
    section_memory(&mut out, r, &d);
    section_tokens(&mut out, r, &d);
    section_small(&mut out, r, &d);
    section_gen(&mut out, r);
    notes(&mut out, r, &d);
    raw(&mut out, r);
    out
}

/// The summary section of a rendered report, for the terminal.
pub fn summary(text: &str) -> &str {
    let Some(start) = text.find("## Summary") else {
        return text;
    };
    let rest = &text[start..];
    match rest[2..].find("\n## ") {
        Some(end) => rest[..end + 2].trim_end(),
        None => rest.trim_end(),
    }
}

fn head(out: &mut String, r: &Report<'_>) {
    let c = r.context;
    let memory = c.memory_mib.map_or("unknown memory".to_string(), |m| {
        format!("{:.1} GiB RAM", m as f64 / 1024.0)
    });
    let curl = match &r.downloads.curl {
        Curl::Found { version, .. } => version.clone(),
        Curl::Missing(why) => format!("curl missing: {why}"),
    };
    let mut run = format!("harness {}", secs(r.timing.harness));
    if let Some(before) = r.timing.before_harness {
        let total = before + r.timing.harness;
        let _ = write!(
            run,
            " + `cargo bench` and its release build {} = **{} in all** from the start of \
             the xtask binary (building xtask itself comes before and is not counted; target: \
             under 5 minutes on a clean clone)",
            secs(before),
            secs(total)
        );
    }
    let sections: Vec<String> = r
        .timing
        .sections
        .iter()
        .map(|(name, t)| format!("{name} {}", secs(*t)))
        .collect();
    let _ = writeln!(
        out,
        "# Benchmarks

Generated by `cargo xtask bench` (which runs `cargo bench -p lark-tests --bench download`,
source in `tests/benches/download.rs` and `tests/benches/download/`). Every figure below comes
from that one run; rerun it to regenerate this file. `cargo xtask bench --quick` repeats
less (5 downloads per size and tool).

The fake Lark server (`lark_tests::FakeLark`, app `cli_fake_app`) runs inside the harness
process on 127.0.0.1, serving generated content; nothing leaves the machine. The machine is
shared and noisy: compare figures within this run (ratios), not absolute times across runs.

| | |
|---|---|
| Machine | {cpu}, {cores} logical CPUs, {memory} |
| OS | {os} |
| Tools | {rustc}; {curl} |
| Date | {date} |
| Commit | `{commit}` |
| Options | {runs} measured downloads per size and tool{quick} |
| Run time | {run} |
| Sections | {sections} |
",
        cpu = c.cpu,
        cores = c.cores,
        os = c.os,
        rustc = c.rustc,
        date = c.date,
        commit = c.commit,
        runs = r.opts.runs,
        quick = if r.opts.quick { " (`--quick`)" } else { "" },
        sections = sections.join(", "),
    );
}

fn summary_table(out: &mut String, r: &Report<'_>, d: &Derived) {
    let _ = writeln!(
        out,
        "## Summary

| target | measured | result |
|---|---|---|"
    );
    match d.ratio_100m {
        Some(ratio) => {
            let ok = ratio <= TARGET_RATIO_100M;
            let by = if ok {
                String::new()
            } else {
                format!(
                    " by {:.0}% of curl's time",
                    (ratio - TARGET_RATIO_100M) * 100.0
                )
            };
            let _ = writeln!(
                out,
                "| download 100 MiB ≤ {TARGET_RATIO_100M:.2} × curl | {ratio:.2} × curl (with `durable(true)`: {:.2} ×) | {}{by} |",
                d.durable_ratio_100m.unwrap_or(f64::NAN),
                pass(ok)
            );
        }
        None => {
            let _ = writeln!(
                out,
                "| download 100 MiB ≤ {TARGET_RATIO_100M:.2} × curl | curl is missing: not compared | n/a |"
            );
        }
    }
    let ok = d.rss_100m <= TARGET_RSS_MIB;
    let _ = writeln!(
        out,
        "| peak RSS at 100 MiB ≤ {TARGET_RSS_MIB:.0} MiB | {:.1} MiB | {}{} |",
        d.rss_100m,
        pass(ok),
        if ok {
            String::new()
        } else {
            format!(" by {:.1} MiB", d.rss_100m - TARGET_RSS_MIB)
        }
    );
    let growth = d.rss_100m - d.rss_1m;
    let ok = growth <= TARGET_RSS_GROWTH_MIB;
    let _ = writeln!(
        out,
        "| peak RSS at 100 MiB within {TARGET_RSS_GROWTH_MIB:.0} MiB of 1 MiB | {:.1} MiB vs {:.1} MiB ({growth:+.1} MiB) | {}{} |",
        d.rss_100m,
        d.rss_1m,
        pass(ok),
        if ok {
            String::new()
        } else {
            format!(" by {:.1} MiB", growth - TARGET_RSS_GROWTH_MIB)
        }
    );
    for &n in &concurrencies(r.tokens) {
        let rounds: Vec<&TokenRound> = r.tokens.iter().filter(|t| t.concurrency == n).collect();
        let counts: Vec<String> = rounds
            .iter()
            .map(|t| t.token_requests.to_string())
            .collect();
        let failures: usize = rounds.iter().map(|t| t.failures).sum();
        let ok = rounds
            .iter()
            .all(|t| t.token_requests == 1 && t.failures == 0);
        let _ = writeln!(
            out,
            "| exactly 1 token request per cold start, {n} concurrent | {} per round ({} round(s)), {failures} failed download(s) | {} |",
            counts.join(", "),
            rounds.len(),
            pass(ok)
        );
    }
    let ok = d.small_ratio >= TARGET_SMALL_RATIO;
    let _ = writeln!(
        out,
        "| small requests ≥ {TARGET_SMALL_RATIO:.2} × bare reqwest | {:.2} × ({:.0} vs {:.0} requests/s) | {}{} |",
        d.small_ratio,
        median(&r.small.sdk),
        median(&r.small.bare),
        pass(ok),
        if ok {
            String::new()
        } else {
            format!(" by {:.2}", TARGET_SMALL_RATIO - d.small_ratio)
        }
    );
    let _ = writeln!(
        out,
        "| `cargo xtask gen` over `spec/` (no target) | {:.2} ms in process; {} | — |",
        median(&r.gen.in_process_ms),
        match &r.gen.cargo_check {
            Ok((t, _)) => format!("{t:.0} ms as `cargo xtask gen --check`"),
            Err(e) => format!("`cargo xtask gen --check` not measured: {e}"),
        }
    );
    let _ = writeln!(out);
}

fn concurrencies(tokens: &[TokenRound]) -> Vec<usize> {
    let mut v: Vec<usize> = tokens.iter().map(|t| t.concurrency).collect();
    v.dedup();
    v
}

fn section_downloads(out: &mut String, r: &Report<'_>, d: &Derived) {
    let dl = r.downloads;
    let _ = writeln!(
        out,
        "## 1. Download time

Medians of {runs} runs per size and tool, interleaved (SDK, SDK durable, curl, SDK, …)
after one unrecorded warm-up round whose files were checked byte for byte (SHA-256). Time
is wall time from spawning the child process to reaping it, so it includes process
start-up for every tool.

- **SDK**: this harness re-executed as a child that builds a `lark_openapi::Client`,
  fetches a token (one extra loopback request) and calls `get(…).await?.save_to(dir)`:
  temporary file, renamed into place when complete, no fsync (the default, like curl).
- **SDK durable**: the same with `.durable(true)`: `sync_all` before the rename, so the
  file also survives a power loss.
- **curl**: `curl -s -o FILE -H \"Authorization: Bearer <token>\" URL?type=file`, with the
  token fetched beforehand by the harness.

All write to `target/bench-tmp/` on the workspace's disk; each file is deleted after its run.
",
        runs = r.opts.runs
    );
    let _ = writeln!(
        out,
        "| size | SDK ms | SDK durable ms | curl ms | SDK / curl | durable / curl | SDK MiB/s | curl MiB/s | target |
|---|---:|---:|---:|---:|---:|---:|---:|---|"
    );
    for s in &dl.sizes {
        let sdk = median(&walls(&s.sdk));
        let durable = median(&walls(&s.durable));
        let curl = median(&walls(&s.curl));
        let has_curl = !s.curl.is_empty();
        let or_dash = |v: String| if has_curl { v } else { "—".to_string() };
        let mib = s.size.mib();
        let target = if s.size.bytes == 100 << 20 {
            match d.ratio_100m {
                Some(ratio) => format!(
                    "SDK ≤ {TARGET_RATIO_100M:.2} × curl: {}",
                    pass(ratio <= TARGET_RATIO_100M)
                ),
                None => "n/a (no curl)".into(),
            }
        } else {
            "—".into()
        };
        let _ = writeln!(
            out,
            "| {} | {sdk:.1} | {durable:.1} | {} | {} | {} | {:.0} | {} | {target} |",
            s.size.label,
            or_dash(format!("{curl:.1}")),
            or_dash(format!("{:.2}", sdk / curl)),
            or_dash(format!("{:.2}", durable / curl)),
            mib / (sdk / 1000.0),
            or_dash(format!("{:.0}", mib / (curl / 1000.0))),
        );
    }
    let _ = writeln!(
        out,
        "
Where the SDK child's time goes (medians). Phases are timed inside the child from the
start of `main`; the last byte is seen through `on_progress` (its per-chunk cost is one
comparison). \"Outside `main`\" is the rest of the wall time: exec, dynamic loading, exit.
CPU is user + system time from `wait4`'s `rusage`.

| size | mode | start → headers (client, token, request) | headers → last byte | last byte → `save_to` returns | outside `main` | CPU ms | curl CPU ms |
|---|---|---:|---:|---:|---:|---:|---:|"
    );
    for s in &dl.sizes {
        for (mode, runs) in [("SDK", &s.sdk), ("durable", &s.durable)] {
            let headers = median(&phase(runs, |p| p.headers));
            let body = median(&phase(runs, |p| p.last_byte.saturating_sub(p.headers)));
            let finish = median(&phase(runs, |p| p.done.saturating_sub(p.last_byte)));
            let outside: Vec<f64> = runs
                .iter()
                .filter_map(|r| Some(r.wall_ms - r.phases?.done.as_secs_f64() * 1000.0))
                .collect();
            let _ = writeln!(
                out,
                "| {} | {mode} | {headers:.1} ms | {body:.1} ms | {finish:.1} ms | {:.1} ms | {:.1} | {} |",
                s.size.label,
                median(&outside),
                median(&cpu(runs)),
                if s.curl.is_empty() {
                    "—".into()
                } else {
                    format!("{:.1}", median(&cpu(&s.curl)))
                },
            );
        }
    }
    let f = &dl.fsync;
    let fsync_in_sdk = size(dl, 100 << 20).map_or(f64::NAN, |s| {
        median(&walls(&s.durable)) - median(&walls(&s.sdk))
    });
    let last_phase = |runs: &[Run]| median(&phase(runs, |p| p.done.saturating_sub(p.last_byte)));
    let (last_sdk, last_durable) = size(dl, 100 << 20).map_or((f64::NAN, f64::NAN), |s| {
        (last_phase(&s.sdk), last_phase(&s.durable))
    });
    let _ = writeln!(
        out,
        "
The cost of durability at 100 MiB: SDK durable minus SDK, **{fsync_in_sdk:.1} ms** (medians);
its last phase (which holds the `sync_all`) took {last_durable:.1} ms against {last_sdk:.1} ms
without. Apart, in the harness: writing a new 100 MiB file in 256 KiB writes took a median
{write:.1} ms, and the `File::sync_all` that followed a median **{sync:.1} ms** ({reps}
repetitions: {syncs} ms). curl never fsyncs: its data is still only in the page cache when
it exits (and is deleted before the kernel writes it back).
",
        write = median(&f.write_ms),
        sync = median(&f.sync_ms),
        reps = f.sync_ms.len(),
        syncs = list(&f.sync_ms),
    );
}

fn section_profile(out: &mut String, r: &Report<'_>) {
    match &r.downloads.profiles {
        Profiles::NotNeeded => {}
        Profiles::Unavailable(why) => {
            let _ = writeln!(
                out,
                "### CPU profile of the 100 MiB download

The download target was missed, but no profile could be taken: {why}.
"
            );
        }
        Profiles::Taken(profiles) => {
            let _ = writeln!(
                out,
                "### CPU profile of the 100 MiB download

Taken because the target was missed: `perf record -F 20000` (cpu-clock) over {n}
back-to-back 100 MiB downloads per tool, while the fake server kept serving from the
harness (its samples are not included). SDK means the default `save_to` (no fsync).
These are on-CPU samples only: time spent waiting (for the network, the disk or another
thread) does not appear. The data files stay in `target/bench-tmp/` for
`perf report -i FILE`.
",
                n = profiles.first().map_or(0, |p| p.downloads)
            );
            for p in profiles {
                let _ = writeln!(
                    out,
                    "**{tool}**: {samples} samples ({per:.0} per download), `{file}`.

| share | samples | thread and object |
|---:|---:|---|",
                    tool = p.tool,
                    samples = p.samples,
                    per = p.samples as f64 / p.downloads.max(1) as f64,
                    file = p
                        .data_file
                        .file_name()
                        .map_or(String::new(), |f| f.to_string_lossy().into_owned()),
                );
                for (pct, n, what) in &p.by_thread {
                    let _ = writeln!(out, "| {pct:.1}% | {n} | {what} |");
                }
                let _ = writeln!(
                    out,
                    "
| share | samples | object | symbol |
|---:|---:|---|---|"
                );
                for (pct, n, dso, sym) in p.top.iter().take(15) {
                    let _ = writeln!(out, "| {pct:.1}% | {n} | {dso} | `{sym}` |");
                }
                let _ = writeln!(out);
            }
        }
    }
}

/// A profile share: `7.9%`, or `under 0.2%` for symbols below the report's limit.
fn share(pct: f64) -> String {
    if pct > 0.0 {
        format!("{pct:.1}%")
    } else {
        "under 0.2%".into()
    }
}

fn section_memory(out: &mut String, r: &Report<'_>, d: &Derived) {
    let _ = writeln!(
        out,
        "## 2. Peak memory

Peak resident set size of each child process (`ru_maxrss` from `wait4`, which covers the
child alone), over the same runs as above: median and maximum, in MiB.

| size | SDK median | SDK max | durable median | durable max | curl median | curl max |
|---|---:|---:|---:|---:|---:|---:|"
    );
    for s in &r.downloads.sizes {
        let (cm, cx) = if s.curl.is_empty() {
            ("—".to_string(), "—".to_string())
        } else {
            (
                format!("{:.1}", median(&rss_mib(&s.curl))),
                format!("{:.1}", max(&rss_mib(&s.curl))),
            )
        };
        let _ = writeln!(
            out,
            "| {} | {:.1} | {:.1} | {:.1} | {:.1} | {cm} | {cx} |",
            s.size.label,
            median(&rss_mib(&s.sdk)),
            max(&rss_mib(&s.sdk)),
            median(&rss_mib(&s.durable)),
            max(&rss_mib(&s.durable)),
        );
    }
    let growth = d.rss_100m - d.rss_1m;
    let _ = writeln!(
        out,
        "
Targets, on the maximum over both SDK modes: at 100 MiB ≤ {TARGET_RSS_MIB:.0} MiB:
{:.1} MiB, {}; within {TARGET_RSS_GROWTH_MIB:.0} MiB of the 1 MiB figure ({:.1} MiB):
{growth:+.1} MiB, {}. The SDK child is this harness binary, so its start-up pages include
code linked for the fake server and the generator; only pages it touches count.
",
        d.rss_100m,
        pass(d.rss_100m <= TARGET_RSS_MIB),
        d.rss_1m,
        pass(growth <= TARGET_RSS_GROWTH_MIB),
    );
}

fn section_tokens(out: &mut String, r: &Report<'_>, d: &Derived) {
    let _ = writeln!(
        out,
        "## 3. Token requests under concurrency

Each round starts a fresh fake server and a fresh client (empty token cache), then spawns N
concurrent `get(…).await?.collect(cap)` of a 1 KiB resource on a multi-thread runtime, and
reads the fake's count of `POST /open-apis/auth/v3/tenant_access_token/internal`.

| concurrent cold downloads | round | token requests | resource requests | failed | time |
|---:|---:|---:|---:|---:|---:|"
    );
    let mut round_of = std::collections::HashMap::new();
    for t in r.tokens {
        let round = round_of.entry(t.concurrency).or_insert(0);
        *round += 1;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {}{} | {:.0} ms |",
            t.concurrency,
            round,
            t.token_requests,
            t.resource_requests,
            t.failures,
            t.first_error
                .as_ref()
                .map_or(String::new(), |e| format!(" (first: {e})")),
            t.elapsed.as_secs_f64() * 1000.0
        );
    }
    let _ = writeln!(
        out,
        "
Target: exactly one token request per cold start at both concurrencies: {}.
",
        pass(d.tokens_ok)
    );
}

fn section_small(out: &mut String, r: &Report<'_>, d: &Derived) {
    let s = r.small;
    let _ = writeln!(
        out,
        "## 4. Small requests

A 1 KiB resource, {workers} requests in flight ({workers} tasks each making sequential
requests), {per_round} requests per round, connections reused; one warm-up round each first
(token cached, connections open). SDK: `get(…).await?.collect(cap)` on one `Client`. Bare
reqwest: one `reqwest::Client`, `GET url` with `bearer_auth(token)`, `.bytes()`. Rounds are
interleaved, alternating which goes first. Client and server share one multi-thread runtime
in the harness process.

| client | median requests/s | rounds (requests/s) |
|---|---:|---|
| SDK | {sdk:.0} | {sdk_all} |
| bare reqwest | {bare:.0} | {bare_all} |
| SDK / reqwest, per round | | {ratios} |

SDK / reqwest (ratio of the medians) = **{ratio:.2}**; target ≥ {TARGET_SMALL_RATIO:.2}: {result}.
",
        workers = s.workers,
        per_round = s.per_round,
        sdk = median(&s.sdk),
        bare = median(&s.bare),
        sdk_all = list(&s.sdk),
        bare_all = list(&s.bare),
        ratios = s
            .sdk
            .iter()
            .zip(&s.bare)
            .map(|(a, b)| format!("{:.2}", a / b))
            .collect::<Vec<_>>()
            .join(", "),
        ratio = d.small_ratio,
        result = pass(d.small_ratio >= TARGET_SMALL_RATIO),
    );
}

fn section_gen(out: &mut String, r: &Report<'_>) {
    let g = r.gen;
    let cargo = match &g.cargo_check {
        Ok((t, line)) => format!("{t:.0} ms (it printed: `{line}`)"),
        Err(e) => format!("not measured: {e}"),
    };
    let _ = writeln!(
        out,
        "## 5. Code generation

`lark_codegen::read_spec_dir` + `lark_codegen::generate` over the whole `spec/` directory
({specs} spec file(s), {files} generated file(s)), in process (release build), median of
{runs} runs: **{median:.2} ms** (min {min:.2}, max {max:.2}).

`cargo xtask gen --check` as a subprocess, once: {cargo}. That is mostly cargo's own
start-up and freshness check of the xtask binary, plus comparing the files on disk.
",
        specs = g.specs,
        files = g.files,
        runs = g.in_process_ms.len(),
        median = median(&g.in_process_ms),
        min = g
            .in_process_ms
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min),
        max = max(&g.in_process_ms),
    );
}

fn notes(out: &mut String, r: &Report<'_>, d: &Derived) {
    let _ = writeln!(out, "## Notes\n");
    let _ = writeln!(
        out,
        "- The SDK child fetches its own token (one loopback POST, in \"start → headers\"); curl
  is handed one fetched beforehand. Every tool's time includes process start-up; at 1 MiB
  start-up dominates, so the small sizes say little about streaming speed.
- The fake server generates each 64 KiB chunk on the fly; it runs in the harness on the
  same cores as the child, so its CPU time is part of every tool's wall time."
    );
    if let Some(big) = size(r.downloads, 100 << 20).filter(|b| !b.curl.is_empty()) {
        let paired: Vec<f64> = big
            .sdk
            .iter()
            .zip(&big.curl)
            .map(|(s, c)| s.wall_ms / c.wall_ms)
            .collect();
        let within = paired.iter().filter(|&&x| x <= TARGET_RATIO_100M).count();
        let _ = writeln!(
            out,
            "- Noise: at 100 MiB, run by run (SDK run i over the curl run right after it), SDK / \
             curl was {}: {within} of {} within {TARGET_RATIO_100M:.2}. On this shared machine \
             the spread is of the order of the target's 10% margin, so a median near 1.10 can \
             fall on either side from one run of `cargo xtask bench` to the next.",
            paired
                .iter()
                .map(|x| format!("{x:.2}"))
                .collect::<Vec<_>>()
                .join(", "),
            paired.len(),
        );
    }
    if let Curl::Missing(why) = &r.downloads.curl {
        let _ = writeln!(
            out,
            "- **curl is missing** ({why}): the SDK was measured alone and the download ratio \
             target could not be judged."
        );
    }
    if let Some(ratio) = d.ratio_100m {
        if ratio > TARGET_RATIO_100M {
            download_miss(out, r, ratio);
        }
    }
    let growth = d.rss_100m - d.rss_1m;
    if d.rss_100m > TARGET_RSS_MIB || growth > TARGET_RSS_GROWTH_MIB {
        memory_miss(out, r, d);
    }
    let _ = writeln!(out);
}

/// Why the 100 MiB download target was missed, from this run's figures.
fn download_miss(out: &mut String, r: &Report<'_>, ratio: f64) {
    let Some(big) = size(r.downloads, 100 << 20) else {
        return;
    };
    let sdk = median(&walls(&big.sdk));
    let curl = median(&walls(&big.curl));
    let headers = median(&phase(&big.sdk, |p| p.headers));
    let body = median(&phase(&big.sdk, |p| p.last_byte.saturating_sub(p.headers)));
    let finish = median(&phase(&big.sdk, |p| p.done.saturating_sub(p.last_byte)));
    let _ = writeln!(
        out,
        "- **Download target missed at 100 MiB, by how much:** {ratio:.2} × curl against \
         ≤ {TARGET_RATIO_100M:.2} ×, i.e. {over:.1} ms over the target ({sdk:.1} ms vs \
         {curl:.1} ms for curl; the target is {target:.1} ms).",
        over = sdk - TARGET_RATIO_100M * curl,
        target = TARGET_RATIO_100M * curl,
    );
    let _ = writeln!(
        out,
        "- **Why, from the phases:** the SDK child spent {headers:.1} ms before the body \
         (runtime and client set-up, the token request curl does not make, the request), \
         {body:.1} ms receiving and writing the body, {finish:.1} ms finishing (last writes, \
         rename) and the rest outside `main`; its CPU time was {sdk_cpu:.1} ms against \
         curl's {curl_cpu:.1} ms. The body phase alone is {body_vs:.0}% of curl's whole \
         download, so the gap is in streaming the body, not in start-up or the token.",
        sdk_cpu = median(&cpu(&big.sdk)),
        curl_cpu = median(&cpu(&big.curl)),
        body_vs = body / curl * 100.0,
    );
    match &r.downloads.profiles {
        Profiles::Taken(profiles) => {
            let find = |tool: &str| profiles.iter().find(|p| p.tool == tool);
            if let (Some(s), Some(c)) = (find("SDK"), find("curl")) {
                let hot = |p: &crate::profile::Profile| {
                    p.top
                        .iter()
                        .take(3)
                        .map(|(pct, _, _, sym)| format!("`{sym}` {pct:.1}%"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let _ = writeln!(
                    out,
                    "- **What the profile showed** (section 1): the hottest symbols were, for the \
                     SDK, {sdk_hot}; for curl, {curl_hot}. In samples per download the SDK \
                     took {sdk_n:.0} against curl's {curl_n:.0}; user-space copies \
                     (`memmove`/`memcpy`) were {memcpy} of the SDK's samples ({curl_memcpy} for \
                     curl), thread switches (`finish_task_switch`) {switch} ({curl_switch} for \
                     curl) and page faults (`exc_page_fault`, first touches of newly allocated \
                     buffers) {faults} ({curl_faults} for curl). Both are dominated by the kernel copying data (socket → user space in \
                     `_copy_to_iter`, user space → page cache in `copy_folio_from_iter_atomic`). The SDK's extra \
                     CPU is thus consistent with handing data between threads and faulting in \
                     fresh buffer memory rather than with copying; on 2 cores shared with the \
                     server, that CPU is wall time.",
                    sdk_hot = hot(s),
                    curl_hot = hot(c),
                    sdk_n = s.samples as f64 / s.downloads.max(1) as f64,
                    curl_n = c.samples as f64 / c.downloads.max(1) as f64,
                    memcpy = share(s.memcpy_share()),
                    curl_memcpy = share(c.memcpy_share()),
                    switch = share(s.symbol_share("finish_task_switch")),
                    curl_switch = share(c.symbol_share("finish_task_switch")),
                    faults = share(s.symbol_share("exc_page_fault")),
                    curl_faults = share(c.symbol_share("exc_page_fault")),
                );
            }
        }
        Profiles::Unavailable(why) => {
            let _ = writeln!(out, "- No CPU profile could be taken: {why}.");
        }
        Profiles::NotNeeded => {
            let _ = writeln!(out, "- No CPU profile was taken (`--no-profile`).");
        }
    }
}

/// Why the memory target was missed, from this run's figures.
fn memory_miss(out: &mut String, r: &Report<'_>, d: &Derived) {
    let growth = d.rss_100m - d.rss_1m;
    let medians: Vec<String> = r
        .downloads
        .sizes
        .iter()
        .map(|s| format!("{} {:.1}", s.size.label, median(&rss_mib(&sdk_runs(s)))))
        .collect();
    let big = size(r.downloads, 100 << 20);
    let all_big = big.map_or(Vec::new(), |s| rss_mib(&sdk_runs(s)));
    let over = all_big
        .iter()
        .filter(|&&m| m - d.rss_1m > TARGET_RSS_GROWTH_MIB || m > TARGET_RSS_MIB)
        .count();
    let _ = writeln!(
        out,
        "- **Memory target missed, by how much:** the SDK's peak RSS at 100 MiB reached \
         {:.1} MiB, {growth:+.1} MiB over the 1 MiB figure (target: at most \
         {TARGET_RSS_GROWTH_MIB:.0} MiB{}), in {over} of {n} runs; the medians are \
         {medians} MiB. **Why:** what grows with the file is memory held between the network \
         and the disk. `save_to` hands the received chunks, uncopied, to a writer thread in \
         batches through a bounded channel (`BATCH_BYTES` × `BATCHES_IN_FLIGHT` in \
         `sdk/src/download/save.rs`, plus the batch being filled and the one being written); \
         a 1 MiB body never fills that pipeline, a 100 MiB one does whenever the writer falls \
         behind, and the chunks also keep alive the larger read buffers they were cut from. \
         How full the pipeline gets depends on how the disk side keeps up, which is why the \
         figure varies from run to run (see the raw figures).",
        d.rss_100m,
        if d.rss_100m > TARGET_RSS_MIB {
            format!(", and at most {TARGET_RSS_MIB:.0} MiB in all")
        } else {
            String::new()
        },
        n = all_big.len(),
        medians = medians.join(", "),
    );
}

fn raw(out: &mut String, r: &Report<'_>) {
    let _ = writeln!(
        out,
        "## Raw figures

Every measured run, in order (time in ms; RSS in MiB).
"
    );
    for s in &r.downloads.sizes {
        let _ = writeln!(
            out,
            "- {}: time: SDK {}; durable {}; curl {}. RSS: SDK {}; durable {}; curl {}",
            s.size.label,
            list(&walls(&s.sdk)),
            list(&walls(&s.durable)),
            list(&walls(&s.curl)),
            list(&rss_mib(&s.sdk)),
            list(&rss_mib(&s.durable)),
            list(&rss_mib(&s.curl)),
        );
    }
    let _ = writeln!(
        out,
        "- fsync of 100 MiB: write {}; sync_all {}
- generator in process: {}",
        list(&r.downloads.fsync.write_ms),
        list(&r.downloads.fsync.sync_ms),
        list(&r.gen.in_process_ms),
    );
}
