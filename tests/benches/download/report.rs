//! BENCHMARKS.md: tables, targets with PASS/MISS, and what explains a miss.

use std::fmt::Write as _;
use std::time::Duration;

use crate::downloads::{Curl, DownloadFigures, Run, SdkMode, SizeFigures};
use crate::gen::GenFigures;
use crate::machine::Context;
use crate::measure::{max, median};
use crate::profile::Profiles;
use crate::small::SmallFigures;
use crate::tokens::TokenRound;
use crate::Options;

/// Download time at 100 MiB: at most this many times curl's.
pub const TARGET_RATIO_100M: f64 = 1.10;
/// Peak RSS of the SDK child (current-thread) at 100 MiB, MiB.
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

/// `42.3–55.9`: the smallest and largest value, one decimal.
fn range(values: &[f64]) -> String {
    let min = values.iter().copied().fold(f64::NAN, f64::min);
    format!("{min:.1}–{:.1}", max(values))
}

/// The list of values, one decimal.
fn list(values: &[f64]) -> String {
    let v: Vec<String> = values.iter().map(|x| format!("{x:.1}")).collect();
    v.join(", ")
}

/// Medians of user + system CPU time, ms.
fn cpu_median(runs: &[Run]) -> f64 {
    median(&cpu(runs))
}

/// Medians of voluntary and involuntary context switches.
fn switches(runs: &[Run]) -> (f64, f64) {
    let v: Vec<f64> = runs.iter().map(|r| r.voluntary_switches as f64).collect();
    let i: Vec<f64> = runs.iter().map(|r| r.involuntary_switches as f64).collect();
    (median(&v), median(&i))
}

/// `812 + 35`: median voluntary + involuntary context switches.
fn switches_cell(runs: &[Run]) -> String {
    let (v, i) = switches(runs);
    format!("{v:.0} + {i:.0}")
}

/// The numbers the targets are judged on.
struct Derived {
    /// 100 MiB: SDK (current-thread) median / curl median (None without curl).
    ratio_100m: Option<f64>,
    /// 100 MiB: SDK multi-thread median / curl median (no target).
    multi_ratio_100m: Option<f64>,
    /// 100 MiB: SDK durable median / curl median (no target).
    durable_ratio_100m: Option<f64>,
    /// Peak RSS of the SDK child on a current-thread runtime (the row the memory targets are
    /// judged on), max over runs, MiB: 1 MiB and 100 MiB.
    rss_1m: f64,
    rss_100m: f64,
    tokens_ok: bool,
    small_ratio: f64,
}

fn size(d: &DownloadFigures, bytes: u64) -> Option<&SizeFigures> {
    d.sizes.iter().find(|s| s.size.bytes == bytes)
}

/// The 100 MiB figures, if measured.
fn big(d: &DownloadFigures) -> Option<&SizeFigures> {
    size(d, 100 << 20)
}

/// Max peak RSS of one mode at one size, MiB (NaN if that size is missing).
fn max_rss(d: &DownloadFigures, bytes: u64, mode: SdkMode) -> f64 {
    size(d, bytes).map_or(f64::NAN, |s| max(&rss_mib(s.runs(mode))))
}

fn derive(r: &Report<'_>) -> Derived {
    let ratio = |mode: SdkMode| {
        big(r.downloads)
            .filter(|b| !b.curl.is_empty())
            .map(|b| median(&walls(b.runs(mode))) / median(&walls(&b.curl)))
    };
    Derived {
        ratio_100m: ratio(SdkMode::Sdk),
        multi_ratio_100m: ratio(SdkMode::MultiThread),
        durable_ratio_100m: ratio(SdkMode::Durable),
        rss_1m: max_rss(r.downloads, 1 << 20, SdkMode::Sdk),
        rss_100m: max_rss(r.downloads, 100 << 20, SdkMode::Sdk),
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
                "| download 100 MiB ≤ {TARGET_RATIO_100M:.2} × curl (SDK: current-thread runtime, as the download example) | {ratio:.2} × curl (with `durable(true)`: {:.2} ×) | {}{by} |",
                d.durable_ratio_100m.unwrap_or(f64::NAN),
                pass(ok)
            );
        }
        None => {
            let _ = writeln!(
                out,
                "| download 100 MiB ≤ {TARGET_RATIO_100M:.2} × curl (SDK: current-thread runtime, as the download example) | curl is missing: not compared | n/a |"
            );
        }
    }
    if let (Some(multi), Some(b)) = (d.multi_ratio_100m, big(r.downloads)) {
        let _ = writeln!(
            out,
            "| download 100 MiB, SDK on a multi-thread runtime, as a plain `#[tokio::main]` (no target) | {multi:.2} × curl; CPU {:.1} ms against {:.1} ms on a current-thread runtime and {:.1} ms for curl (section 1) | — |",
            cpu_median(&b.multi),
            cpu_median(&b.sdk),
            cpu_median(&b.curl),
        );
    }
    let others_100m = |growth: bool| {
        [SdkMode::MultiThread, SdkMode::Durable]
            .into_iter()
            .map(|m| {
                let at_100m = max_rss(r.downloads, 100 << 20, m);
                if growth {
                    format!(
                        "{} {:+.1} MiB",
                        m.short(),
                        at_100m - max_rss(r.downloads, 1 << 20, m)
                    )
                } else {
                    format!("{} {at_100m:.1} MiB", m.short())
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let ok = d.rss_100m <= TARGET_RSS_MIB;
    let _ = writeln!(
        out,
        "| peak RSS at 100 MiB ≤ {TARGET_RSS_MIB:.0} MiB (SDK, current-thread) | {:.1} MiB (no target: {}) | {}{} |",
        d.rss_100m,
        others_100m(false),
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
        "| peak RSS at 100 MiB within {TARGET_RSS_GROWTH_MIB:.0} MiB of 1 MiB (SDK, current-thread) | {:.1} MiB vs {:.1} MiB ({growth:+.1} MiB; no target: {}) | {}{} |",
        d.rss_100m,
        d.rss_1m,
        others_100m(true),
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
            format!(" by {:.3}", TARGET_SMALL_RATIO - d.small_ratio)
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

Medians of {runs} runs per size and tool, interleaved (SDK, SDK multi-thread, SDK durable,
curl, SDK, …) after one unrecorded warm-up round whose files were checked byte for byte
(SHA-256). Time is wall time from spawning the child process to reaping it (in the small
spawner process that runs every child, see section 2), so it includes process start-up for
every tool.

- **SDK**: this harness re-executed as a child that builds a current-thread tokio runtime
  (`Builder::new_current_thread()`, what `#[tokio::main(flavor = \"current_thread\")]` builds
  in the download example, `tests/examples/download.rs`), a `lark_openapi::Client`, fetches
  a token (one extra loopback request) and calls `get(…).await?.save_to(dir)`: temporary
  file, renamed into place when complete, no fsync (the default, like curl). The download
  target is judged on this row.
- **SDK multi-thread**: the same on `Builder::new_multi_thread()`, the runtime a plain
  `#[tokio::main]` builds (a server application's usual runtime; one worker per CPU, {cores}
  here). No target; see below for the gap.
- **SDK durable**: the current-thread SDK with `.durable(true)`: `sync_all` before the
  rename, so the file also survives a power loss. No target.
- **curl**: `curl -s -o FILE -H \"Authorization: Bearer <token>\" URL?type=file`, with the
  token fetched beforehand by the harness.

In every SDK mode `save_to` writes the file from a blocking writer thread (`spawn_blocking`),
so the runtime's flavor only decides where the network side runs. All write to
`target/bench-tmp/` on the workspace's disk; each file is deleted after its run.
",
        runs = r.opts.runs,
        cores = r.context.cores,
    );
    let _ = writeln!(
        out,
        "| size | SDK ms | SDK multi-thread ms | SDK durable ms | curl ms | SDK / curl | multi-thread / curl | durable / curl | SDK MiB/s | curl MiB/s | target |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    );
    for s in &dl.sizes {
        let sdk = median(&walls(&s.sdk));
        let multi = median(&walls(&s.multi));
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
            "| {} | {sdk:.1} | {multi:.1} | {durable:.1} | {} | {} | {} | {} | {:.0} | {} | {target} |",
            s.size.label,
            or_dash(format!("{curl:.1}")),
            or_dash(format!("{:.2}", sdk / curl)),
            or_dash(format!("{:.2}", multi / curl)),
            or_dash(format!("{:.2}", durable / curl)),
            mib / (sdk / 1000.0),
            or_dash(format!("{:.0}", mib / (curl / 1000.0))),
        );
    }
    let _ = writeln!(
        out,
        "
Where each child's time goes (medians). Phases are timed inside the SDK child from the
start of `main`; the last byte is seen through `on_progress` (its per-chunk cost is one
comparison). \"Outside `main`\" is the rest of the wall time: exec, dynamic loading, exit.
CPU is user + system time, and context switches are voluntary (a thread blocked: waiting
for data or for another thread to wake it) + involuntary (preempted), of all the child's
threads, from `wait4`'s `rusage`.

| size | mode | start → headers (client, token, request) | headers → last byte | last byte → `save_to` returns | outside `main` | CPU ms | context switches |
|---|---|---:|---:|---:|---:|---:|---:|"
    );
    for s in &dl.sizes {
        for mode in SdkMode::ALL {
            let runs = s.runs(mode);
            let headers = median(&phase(runs, |p| p.headers));
            let body = median(&phase(runs, |p| p.last_byte.saturating_sub(p.headers)));
            let finish = median(&phase(runs, |p| p.done.saturating_sub(p.last_byte)));
            let outside: Vec<f64> = runs
                .iter()
                .filter_map(|r| Some(r.wall_ms - r.phases?.done.as_secs_f64() * 1000.0))
                .collect();
            let _ = writeln!(
                out,
                "| {} | {} | {headers:.1} ms | {body:.1} ms | {finish:.1} ms | {:.1} ms | {:.1} | {} |",
                s.size.label,
                mode.short(),
                median(&outside),
                cpu_median(runs),
                switches_cell(runs),
            );
        }
        if !s.curl.is_empty() {
            let _ = writeln!(
                out,
                "| {} | curl | — | — | — | — | {:.1} | {} |",
                s.size.label,
                cpu_median(&s.curl),
                switches_cell(&s.curl),
            );
        }
    }
    runtime_gap(out, r, d);
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
The cost of durability at 100 MiB: SDK durable minus SDK (both on a current-thread
runtime), **{fsync_in_sdk:.1} ms** (medians); its last phase (which holds the `sync_all`)
took {last_durable:.1} ms against {last_sdk:.1} ms without. Apart, in the harness: writing a new 100 MiB file in 256 KiB writes took a median
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

/// The multi-thread row against the current-thread one at 100 MiB, from this run's figures.
fn runtime_gap(out: &mut String, r: &Report<'_>, d: &Derived) {
    let Some(b) = big(r.downloads) else {
        return;
    };
    let (ct, mt) = (median(&walls(&b.sdk)), median(&walls(&b.multi)));
    let (ct_cpu, mt_cpu) = (cpu_median(&b.sdk), cpu_median(&b.multi));
    let (ct_v, _) = switches(&b.sdk);
    let (mt_v, _) = switches(&b.multi);
    let versus_curl = match (d.multi_ratio_100m, d.ratio_100m) {
        (Some(m), Some(c)) => format!(
            "{m:.2} × curl against {c:.2} ×; curl's CPU: {:.1} ms",
            cpu_median(&b.curl)
        ),
        _ => "curl not measured".into(),
    };
    let why = if mt_cpu > ct_cpu && mt_v > ct_v {
        format!(
            "The bytes, the reads and the writes are the same in both; what differs is which \
             threads run the network side. `save_to` on a multi-thread runtime runs its loop \
             as a task of the runtime (aborted if the caller's future is dropped), next to \
             hyper's connection task, instead of in the future given to `block_on`, which \
             `#[tokio::main]` runs on the main thread outside the workers, where every chunk \
             would cross threads. What remains is the workers themselves: a chunk handed from \
             the connection task to the save task can still wake a parked worker (a futex wake \
             and a context switch), and idle workers wake to look for work and park again, \
             hence {:.1}× the voluntary context switches and {:+.1} ms of CPU. On a \
             current-thread runtime both tasks run in turn on the one thread, and waking a \
             task is a push onto its run queue. On {} CPUs shared with the fake server, that \
             CPU is wall time.",
            mt_v / ct_v.max(1.0),
            mt_cpu - ct_cpu,
            r.context.cores,
        )
    } else {
        "In this run the multi-thread runtime cost no extra CPU or context switches, so there \
         is no gap to explain."
            .into()
    };
    let _ = writeln!(
        out,
        "
**Runtime flavor at 100 MiB (SDK against SDK multi-thread).** On a multi-thread runtime
the SDK took {mt:.1} ms against {ct:.1} ms on a current-thread one ({versus_curl}; no
target), with {mt_cpu:.1} ms of CPU against {ct_cpu:.1} ms and {mt_v:.0} voluntary context
switches against {ct_v:.0} (medians; run by run, CPU {mt_range} ms against {ct_range} ms:
the multi-thread figure varies more). {why}",
        mt_range = range(&cpu(&b.multi)),
        ct_range = range(&cpu(&b.sdk)),
    );
}

fn section_profile(out: &mut String, r: &Report<'_>) {
    match &r.downloads.profiles {
        Profiles::NotNeeded => {}
        Profiles::Unavailable(why) => {
            let _ = writeln!(
                out,
                "### CPU profile of the 100 MiB download

A download target was missed, but no profile could be taken: {why}.
"
            );
        }
        Profiles::Taken(profiles) => {
            let _ = writeln!(
                out,
                "### CPU profile of the 100 MiB download

Taken because the download target was missed: `perf record -F 20000` (cpu-clock) over {n}
back-to-back 100 MiB downloads with each SDK mode that missed its target ({modes}), then
with curl, while the fake server kept serving from the harness (its samples are not
included). These are on-CPU samples only: time spent waiting (for the network, the disk or another
thread) does not appear. The data files stay in `target/bench-tmp/` for
`perf report -i FILE`.
",
                n = profiles.first().map_or(0, |p| p.downloads),
                modes = profiles
                    .iter()
                    .filter(|p| p.tool != "curl")
                    .map(|p| p.tool)
                    .collect::<Vec<_>>()
                    .join(", "),
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

Peak resident set size of each child process (`ru_maxrss` from `wait4`, all its threads),
over the same runs as above: median and maximum, in MiB.

| size | SDK median | SDK max | multi-thread median | multi-thread max | durable median | durable max | curl median | curl max |
|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for s in &r.downloads.sizes {
        let mut row = format!("| {} |", s.size.label);
        for mode in SdkMode::ALL {
            let rss = rss_mib(s.runs(mode));
            let _ = write!(row, " {:.1} | {:.1} |", median(&rss), max(&rss));
        }
        if s.curl.is_empty() {
            row += " — | — |";
        } else {
            let rss = rss_mib(&s.curl);
            let _ = write!(row, " {:.1} | {:.1} |", median(&rss), max(&rss));
        }
        let _ = writeln!(out, "{row}");
    }
    let growth = d.rss_100m - d.rss_1m;
    let others: Vec<String> = [SdkMode::MultiThread, SdkMode::Durable]
        .into_iter()
        .map(|m| {
            let (small, large) = (
                max_rss(r.downloads, 1 << 20, m),
                max_rss(r.downloads, 100 << 20, m),
            );
            format!(
                "{} {large:.1} MiB ({:+.1} MiB over its 1 MiB figure)",
                m.label(),
                large - small
            )
        })
        .collect();
    let all: Vec<&Run> = r
        .downloads
        .sizes
        .iter()
        .flat_map(|s| {
            s.sdk
                .iter()
                .chain(&s.multi)
                .chain(&s.durable)
                .chain(&s.curl)
        })
        .collect();
    let floor = all
        .iter()
        .map(|r| r.spawner_rss_kib as f64 / 1024.0)
        .fold(f64::NAN, f64::max);
    let lowest = all
        .iter()
        .map(|r| r.rss_kib as f64 / 1024.0)
        .fold(f64::NAN, f64::min);
    let _ = writeln!(
        out,
        "
Each child is spawned and reaped by a small spawner process (this binary as
`download child-spawn …`), not by the harness: on Linux a child's `ru_maxrss` counts the
peak RSS of the address space it was spawned from (`execve` records the peak of the one it
replaces, which after `vfork`/`posix_spawn` is the parent's), so children spawned from the
harness, which holds the fake server, would all show at least the harness's own peak. The
spawners' peak RSS, the floor under these figures, was at most {floor:.1} MiB in this run,
{below} the lowest figure in the table ({lowest:.1} MiB).",
        below = if floor < lowest {
            "below"
        } else {
            "**not below**: some figures may be the spawner's rather than the child's;"
        },
    );
    let _ = writeln!(
        out,
        "
Targets, on the maximum of the SDK row (current-thread, as the download example): at
100 MiB ≤ {TARGET_RSS_MIB:.0} MiB: {:.1} MiB, {}; within {TARGET_RSS_GROWTH_MIB:.0} MiB of the
1 MiB figure ({:.1} MiB): {growth:+.1} MiB, {}. No target for the others; their maxima at
100 MiB: {}. A multi-thread runtime also starts its worker threads, whose stacks count
once touched. The SDK child is this harness binary, so its start-up pages include code
linked for the fake server and the generator; only pages it touches count.
",
        d.rss_100m,
        pass(d.rss_100m <= TARGET_RSS_MIB),
        d.rss_1m,
        pass(growth <= TARGET_RSS_GROWTH_MIB),
        others.join("; "),
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
    let _ = writeln!(
        out,
        "- Runtime flavor: the SDK row runs the child on a current-thread runtime, as the
  download example does (`#[tokio::main(flavor = \"current_thread\")]`); the download and
  memory targets are judged on it. The SDK multi-thread row is what the same download costs
  on a plain `#[tokio::main]` runtime; it has no target (the end of section 1 compares
  the two)."
    );
    if let Some(big) = big(r.downloads).filter(|b| !b.curl.is_empty()) {
        let paired = |runs: &[Run]| -> Vec<f64> {
            runs.iter()
                .zip(&big.curl)
                .map(|(s, c)| s.wall_ms / c.wall_ms)
                .collect()
        };
        let show = |v: &[f64]| {
            v.iter()
                .map(|x| format!("{x:.2}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let sdk = paired(&big.sdk);
        let multi = paired(&big.multi);
        let within = sdk.iter().filter(|&&x| x <= TARGET_RATIO_100M).count();
        let _ = writeln!(
            out,
            "- Noise: at 100 MiB, round by round (each SDK run over the curl run of the same \
             round), SDK / curl was {}: {within} of {} within {TARGET_RATIO_100M:.2}; SDK \
             multi-thread / curl was {}. On this shared machine the spread is of the order of \
             the target's 10% margin, so a median near 1.10 can fall on either side from one \
             run of `cargo xtask bench` to the next.",
            show(&sdk),
            sdk.len(),
            show(&multi),
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
    let Some(big) = big(r.downloads) else {
        return;
    };
    let sdk = median(&walls(&big.sdk));
    let curl = median(&walls(&big.curl));
    let headers = median(&phase(&big.sdk, |p| p.headers));
    let body = median(&phase(&big.sdk, |p| p.last_byte.saturating_sub(p.headers)));
    let finish = median(&phase(&big.sdk, |p| p.done.saturating_sub(p.last_byte)));
    let _ = writeln!(
        out,
        "- **Download target missed at 100 MiB, by how much:** the SDK (current-thread) took \
         {ratio:.2} × curl against \
         ≤ {TARGET_RATIO_100M:.2} ×, i.e. {over:.1} ms over the target ({sdk:.1} ms vs \
         {curl:.1} ms for curl; the target is {target:.1} ms).",
        over = sdk - TARGET_RATIO_100M * curl,
        target = TARGET_RATIO_100M * curl,
    );
    let _ = writeln!(
        out,
        "- **Why, from the phases:** the SDK child (current-thread) spent {headers:.1} ms before the body \
         (runtime and client set-up, the token request curl does not make, the request), \
         {body:.1} ms receiving and writing the body, {finish:.1} ms finishing (last writes, \
         rename) and the rest outside `main`; its CPU time was {sdk_cpu:.1} ms against \
         curl's {curl_cpu:.1} ms ({sdk_csw} context switches against {curl_csw}). The body \
         phase alone is {body_vs:.0}% of curl's whole download{where_gap}.",
        sdk_cpu = cpu_median(&big.sdk),
        curl_cpu = cpu_median(&big.curl),
        sdk_csw = switches_cell(&big.sdk),
        curl_csw = switches_cell(&big.curl),
        body_vs = body / curl * 100.0,
        where_gap = if body > TARGET_RATIO_100M * curl {
            ", over the target by itself: the gap is in streaming the body, not in start-up \
             or the token"
        } else {
            ", within the target by itself: what puts it over is outside the body (start-up, \
             the token, finishing)"
        },
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
                     took {sdk_n:.0} against curl's {curl_n:.0}. Shares of the samples, SDK \
                     against curl: user-space copies (`memmove`/`memcpy`) {memcpy} against \
                     {curl_memcpy}; thread switches (`finish_task_switch`) {switch} against \
                     {curl_switch}; page faults (`exc_page_fault`, first touches of new \
                     memory) {faults} against {curl_faults}; the kernel's copies from the \
                     socket (`_copy_to_iter`) {sock} against {curl_sock} and into the page \
                     cache (`copy_folio_from_iter_atomic`) {cache} against {curl_cache}. On \
                     {cores} CPUs shared with the server, extra CPU is wall time.",
                    cores = r.context.cores,
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
                    sock = share(s.symbol_share("_copy_to_iter")),
                    curl_sock = share(c.symbol_share("_copy_to_iter")),
                    cache = share(s.symbol_share("copy_folio_from_iter_atomic")),
                    curl_cache = share(c.symbol_share("copy_folio_from_iter_atomic")),
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
        .map(|s| format!("{} {:.1}", s.size.label, median(&rss_mib(&s.sdk))))
        .collect();
    let all_big = big(r.downloads).map_or(Vec::new(), |s| rss_mib(&s.sdk));
    let over = all_big
        .iter()
        .filter(|&&m| m - d.rss_1m > TARGET_RSS_GROWTH_MIB || m > TARGET_RSS_MIB)
        .count();
    let _ = writeln!(
        out,
        "- **Memory target missed, by how much:** the SDK's (current-thread) peak RSS at \
         100 MiB reached \
         {:.1} MiB, {growth:+.1} MiB over the 1 MiB figure (target: at most \
         {TARGET_RSS_GROWTH_MIB:.0} MiB{}), in {over} of {n} runs; the medians are \
         {medians} MiB. **Why:** `save_to` itself holds a fixed `BUFFERS` × `BUFFER_BYTES` \
         (2 × 256 KiB, `sdk/src/download/save.rs`) whatever the size of the file, so what \
         grows with the file is held elsewhere (candidates, not measured here: the HTTP \
         stack's read buffers, memory the allocator keeps after it is freed). How much \
         varies from run to run (see the raw figures).",
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

Every measured run, in order (time and CPU in ms; RSS in MiB).
"
    );
    for s in &r.downloads.sizes {
        let _ = writeln!(
            out,
            "- {}: time: SDK {}; multi-thread {}; durable {}; curl {}. RSS: SDK {}; \
             multi-thread {}; durable {}; curl {}. CPU: SDK {}; multi-thread {}; durable {}; \
             curl {}",
            s.size.label,
            list(&walls(&s.sdk)),
            list(&walls(&s.multi)),
            list(&walls(&s.durable)),
            list(&walls(&s.curl)),
            list(&rss_mib(&s.sdk)),
            list(&rss_mib(&s.multi)),
            list(&rss_mib(&s.durable)),
            list(&rss_mib(&s.curl)),
            list(&cpu(&s.sdk)),
            list(&cpu(&s.multi)),
            list(&cpu(&s.durable)),
            list(&cpu(&s.curl)),
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
