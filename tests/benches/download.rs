//! The benchmark behind `cargo xtask bench`: starts the fake Lark server on 127.0.0.1,
//! measures downloads (SDK `save_to` in a child process, on a current-thread runtime as in the
//! download example, on a multi-thread runtime and with `durable`, vs `curl -o`), peak memory, token requests under concurrency, small-request throughput (SDK
//! vs bare reqwest) and code generation, and writes `<workspace>/BENCHMARKS.md`.
//!
//! `cargo bench -p lark-tests --bench download [-- --quick --runs N --out FILE --no-profile]`
//!
//! Without `--bench` (which `cargo bench` passes, and `cargo test --benches` does not) it
//! measures nothing, so test runs never time anything or touch BENCHMARKS.md. The binary
//! re-executes itself as `download child-download …` for each SDK download (see [`child`]),
//! and every measured download (SDK or curl) runs under `download child-spawn …`, a small
//! process that spawns and reaps it (see [`measure`]).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[path = "download/child.rs"]
mod child;
#[path = "download/compile.rs"]
mod compile;
#[path = "download/downloads.rs"]
mod downloads;
#[path = "download/events_mem.rs"]
mod events_mem;
#[path = "download/fleet.rs"]
mod fleet;
#[path = "download/gen.rs"]
mod gen;
#[path = "download/json.rs"]
mod json;
#[path = "download/lean.rs"]
mod lean;
#[path = "download/machine.rs"]
mod machine;
#[path = "download/measure.rs"]
mod measure;
#[path = "download/profile.rs"]
mod profile;
#[path = "download/report.rs"]
mod report;
#[path = "download/report_seam.rs"]
mod report_seam;
#[path = "download/seam.rs"]
mod seam;
#[path = "download/small.rs"]
mod small;
#[path = "download/tokens.rs"]
mod tokens;

/// Any error of the harness.
pub type Error = Box<dyn std::error::Error + Send + Sync>;
/// The harness's result type.
pub type Result<T> = std::result::Result<T, Error>;

/// Set by `cargo xtask bench` to the Unix time (ms) at which it started, so the report can
/// give the whole run's time, release build included.
pub const STARTED_ENV: &str = "LARK_BENCH_STARTED_UNIX_MS";

const USAGE: &str = "usage: cargo xtask bench [--quick] [--runs N] [--out FILE] [--no-profile]
  --quick       fewer repetitions (5 downloads per size and tool, 3 rounds elsewhere)
  --runs N      measured downloads per size and tool (default 9; the report wants at least 5)
  --out FILE    where to write the report (default: <workspace>/BENCHMARKS.md)
  --no-profile  no perf profile even when the download target is missed
  --no-compile  skip the compile-time section (several builds in a scratch copy)
  --only fleet  run only section 7 (many replicas on Redis, about 30 s) and replace that
                section in the existing report
  --only events run only section 8 (events under load, memory, about 45 s) and replace
                that section in the existing report
  --only lean   run only section 9 (lean generation: the baseline commit and this tree,
                clean builds, IR lines, the projection to the whole platform; several
                minutes) and replace that section in the existing report";

/// Repetitions of every section.
#[derive(Debug, Clone)]
pub struct Options {
    /// Measured rounds (SDK, SDK multi-thread, SDK durable, curl) per size.
    pub runs: usize,
    /// Cold starts per concurrency.
    pub token_rounds: usize,
    /// Rounds of small requests per client.
    pub small_rounds: usize,
    /// Requests per small-request round.
    pub small_total: usize,
    /// In-process generator runs.
    pub gen_runs: usize,
    /// Repetitions of the separate fsync measurement.
    pub fsync_reps: usize,
    /// `--quick` was given.
    pub quick: bool,
    /// Profile a missed download target with perf (unless `--no-profile`).
    pub profile: bool,
    /// Where BENCHMARKS.md goes.
    pub out: PathBuf,
    /// Rounds of the list and upload measurements.
    pub seam_runs: usize,
    /// Measure compile times (several builds in a scratch copy; off with `--no-compile`).
    pub compile: bool,
    /// `--only fleet`: run section 7 alone and splice it into the existing report.
    pub only_fleet: bool,
    /// `--only events`: run section 8 alone and splice it into the existing report.
    pub only_events: bool,
    /// `--only lean`: run section 9 alone and splice it into the existing report.
    pub only_lean: bool,
}

impl Options {
    fn parse(args: &[String], root: &Path) -> std::result::Result<Options, String> {
        let mut opts = Options {
            runs: 9,
            token_rounds: 3,
            small_rounds: 5,
            small_total: 4000,
            gen_runs: 50,
            fsync_reps: 5,
            quick: false,
            profile: true,
            out: root.join("BENCHMARKS.md"),
            seam_runs: 5,
            compile: true,
            only_fleet: false,
            only_events: false,
            only_lean: false,
        };
        let mut runs = None;
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            match arg.as_str() {
                "--quick" => opts.quick = true,
                "--no-profile" => opts.profile = false,
                "--no-compile" => opts.compile = false,
                "--only" => match it.next().map(String::as_str) {
                    Some("fleet") => opts.only_fleet = true,
                    Some("events") => opts.only_events = true,
                    Some("lean") => opts.only_lean = true,
                    _ => return Err("--only takes `fleet`, `events` or `lean`".into()),
                },
                "--runs" => {
                    let n = it.next().and_then(|v| v.parse::<usize>().ok());
                    match n {
                        Some(n) if n >= 1 => runs = Some(n),
                        _ => return Err("--runs needs a number of at least 1".into()),
                    }
                }
                "--out" => match it.next() {
                    Some(path) => opts.out = PathBuf::from(path),
                    None => return Err("--out needs a file".into()),
                },
                "-h" | "--help" => return Err(String::new()),
                other => return Err(format!("unknown argument `{other}`")),
            }
        }
        if opts.quick {
            opts.runs = 5;
            opts.token_rounds = 1;
            opts.small_rounds = 3;
            opts.gen_runs = 20;
            opts.fsync_reps = 3;
            opts.seam_runs = 3;
        }
        if let Some(n) = runs {
            opts.runs = n;
        }
        Ok(opts)
    }
}

/// The workspace root: the parent of this crate's directory.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn main() -> ExitCode {
    let started_at = SystemTime::now();
    let started = Instant::now();
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(measure::SPAWN_MODE) {
        return measure::spawn_main(&args[1..]);
    }
    if args.first().map(String::as_str) == Some(child::MODE) {
        return child::main(&args[1..]);
    }
    if args.first().map(String::as_str) == Some(seam::LIST_MODE) {
        return seam::list_main(&args[1..]);
    }
    if args.first().map(String::as_str) == Some(seam::UPLOAD_MODE) {
        return seam::upload_main(&args[1..]);
    }
    if args.first().map(String::as_str) == Some(events_mem::WS_MODE) {
        return events_mem::ws_main(&args[1..]);
    }
    if args.first().map(String::as_str) == Some(events_mem::DEDUP_MODE) {
        return events_mem::dedup_main(&args[1..]);
    }
    let Some(i) = args.iter().position(|a| a == "--bench") else {
        // `cargo test --benches` / `--all-targets`: nothing is timed in the test suite.
        println!("download benchmark: run it with `cargo xtask bench`; nothing measured");
        return ExitCode::SUCCESS;
    };
    args.remove(i);
    let root = workspace_root();
    let opts = match Options::parse(&args, &root) {
        Ok(o) => o,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    // Time from `cargo xtask bench` starting to this process starting: cargo and the build.
    let before_harness = std::env::var(STARTED_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map(|t0| Duration::from_millis(unix_ms(started_at).saturating_sub(t0)));
    match run(&root, &opts, started, before_harness) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(
    root: &Path,
    opts: &Options,
    started: Instant,
    before_harness: Option<Duration>,
) -> Result<()> {
    measure::raise_open_files_limit();
    if opts.only_fleet {
        return run_fleet_only(opts);
    }
    if opts.only_events {
        return run_events_only(opts);
    }
    if opts.only_lean {
        return run_lean_only(root, opts);
    }
    let context = machine::context(root);
    eprintln!(
        "bench: {} ({} CPUs), commit {}",
        context.cpu, context.cores, context.commit
    );
    let t = Instant::now();
    let downloads = downloads::run(root, opts.runs, opts.fsync_reps, opts.profile)?;
    let downloads_time = t.elapsed();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let t = Instant::now();
    let tokens = runtime.block_on(tokens::run(&[100, 1000], opts.token_rounds))?;
    let tokens_time = t.elapsed();
    let t = Instant::now();
    let small = runtime.block_on(small::run(opts.small_rounds, opts.small_total))?;
    let small_time = t.elapsed();
    let t = Instant::now();
    let json = runtime.block_on(json::run(opts.small_rounds, opts.small_total))?;
    let json_time = t.elapsed();
    drop(runtime);

    let t = Instant::now();
    let seam = seam::run(root, opts.seam_runs)?;
    let seam_time = t.elapsed();
    let t = Instant::now();
    let compile = if opts.compile {
        Some(compile::run(root)?)
    } else {
        None
    };
    let compile_time = t.elapsed();

    let t = Instant::now();
    let gen = gen::run(root, opts.gen_runs)?;
    let gen_time = t.elapsed();

    let t = Instant::now();
    let fleet = fleet::run(opts.small_rounds)?;
    let fleet_time = t.elapsed();

    let t = Instant::now();
    let events = events_mem::run()?;
    let events_time = t.elapsed();

    let timing = report::Timing {
        before_harness,
        harness: started.elapsed(),
        sections: vec![
            ("downloads and memory", downloads_time),
            ("token requests", tokens_time),
            ("small requests", small_time),
            ("JSON requests", json_time),
            ("lists and uploads", seam_time),
            ("code generation", gen_time),
            ("compile time", compile_time),
            ("many replicas", fleet_time),
            ("events under load", events_time),
        ],
    };
    let mut text = report::render(&report::Report {
        context: &context,
        opts,
        downloads: &downloads,
        tokens: &tokens,
        small: &small,
        gen: &gen,
        timing: &timing,
    });
    text.push_str(&report_seam::render(&report_seam::SeamReport {
        json: &json,
        seam: &seam,
        compile: compile.as_ref(),
        downloads: &downloads,
    }));
    text = fleet::splice(&text, fleet::HEADING, &fleet::render(&fleet, fleet_time));
    text = fleet::splice(
        &text,
        events_mem::HEADING,
        &events_mem::render(&events, events_time),
    );
    // Section 9 is measured by `--only lean` alone (several minutes of clean builds); a full
    // run keeps the one the report has.
    if let Ok(existing) = std::fs::read_to_string(&opts.out) {
        if let Some(start) = existing.find(lean::HEADING) {
            let rest = &existing[start..];
            let end = rest[lean::HEADING.len()..]
                .find("\n## ")
                .map_or(rest.len(), |i| lean::HEADING.len() + i + 1);
            text = fleet::splice(&text, lean::HEADING, &rest[..end]);
        }
    }
    std::fs::write(&opts.out, &text)?;
    println!("{}", report::summary(&text));
    eprintln!(
        "bench: wrote {} in {:.1} s{}",
        opts.out.display(),
        timing.harness.as_secs_f64(),
        match timing.total() {
            Some(total) => format!(
                " ({:.1} s since `cargo xtask bench` started)",
                total.as_secs_f64()
            ),
            None => String::new(),
        }
    );
    Ok(())
}

/// `--only events`: section 8 alone, spliced into the existing report (appended if absent).
fn run_events_only(opts: &Options) -> Result<()> {
    let t = Instant::now();
    let figures = events_mem::run()?;
    let section = events_mem::render(&figures, t.elapsed());
    let existing = std::fs::read_to_string(&opts.out).unwrap_or_else(|_| "# Benchmarks\n".into());
    std::fs::write(
        &opts.out,
        fleet::splice(&existing, events_mem::HEADING, &section),
    )?;
    println!("{}", section.trim());
    eprintln!(
        "bench: replaced section 8 of {} ({:.1} s)",
        opts.out.display(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `--only lean`: section 9 alone, spliced into the existing report (appended if absent).
fn run_lean_only(root: &Path, opts: &Options) -> Result<()> {
    let t = Instant::now();
    let figures = lean::run(root)?;
    let section = lean::render(&figures, t.elapsed());
    let existing = std::fs::read_to_string(&opts.out).unwrap_or_else(|_| "# Benchmarks\n".into());
    std::fs::write(&opts.out, fleet::splice(&existing, lean::HEADING, &section))?;
    println!("{}", section.trim());
    eprintln!(
        "bench: replaced section 9 of {} ({:.1} s)",
        opts.out.display(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `--only fleet`: section 7 alone, spliced into the existing report (appended if absent).
fn run_fleet_only(opts: &Options) -> Result<()> {
    let t = Instant::now();
    let figures = fleet::run(opts.small_rounds)?;
    let section = fleet::render(&figures, t.elapsed());
    let existing = std::fs::read_to_string(&opts.out).unwrap_or_else(|_| "# Benchmarks\n".into());
    std::fs::write(
        &opts.out,
        fleet::splice(&existing, fleet::HEADING, &section),
    )?;
    println!("{}", section.trim());
    eprintln!(
        "bench: replaced section 7 of {} ({:.1} s)",
        opts.out.display(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
