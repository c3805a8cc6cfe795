//! Sections 1 and 2: download time and peak memory, SDK (`save_to`, in a child process: on a
//! current-thread runtime as in the download example, on a multi-thread runtime, and
//! current-thread with `durable(true)`) and `curl -o`, interleaved, against the fake server on
//! 127.0.0.1.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use lark_tests::{FakeConfig, FakeLark, Resource, ResourceKind};
use sha2::{Digest, Sha256};

use crate::child::{self, Flavor, Phases};
use crate::measure::{median, ms, run_child, ChildRun};
use crate::profile::{self, Profiles};
use crate::report::TARGET_RATIO_100M;
use crate::Result;

/// The message all benchmark resources belong to.
pub const MESSAGE: &str = "om_bench";

/// One resource size.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    /// `1 MiB`.
    pub label: &'static str,
    /// Its file key on the fake.
    pub key: &'static str,
    /// Its size in bytes.
    pub bytes: u64,
}

impl Size {
    /// The size in MiB.
    pub fn mib(&self) -> f64 {
        self.bytes as f64 / (1024.0 * 1024.0)
    }
}

/// The sizes measured, smallest first.
pub const SIZES: [Size; 3] = [
    Size {
        label: "1 MiB",
        key: "file_bench_1m",
        bytes: 1 << 20,
    },
    Size {
        label: "10 MiB",
        key: "file_bench_10m",
        bytes: 10 << 20,
    },
    Size {
        label: "100 MiB",
        key: "file_bench_100m",
        bytes: 100 << 20,
    },
];

/// How the SDK child downloads: one row of every table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SdkMode {
    /// Current-thread runtime, default `save_to` (no fsync): as the download example. The
    /// download and memory targets are judged on this one.
    Sdk,
    /// The same on a multi-thread runtime (a plain `#[tokio::main]`); no target.
    MultiThread,
    /// Current-thread runtime with `durable(true)`; no target.
    Durable,
}

impl SdkMode {
    /// All modes, in the order they run in each round.
    pub const ALL: [SdkMode; 3] = [SdkMode::Sdk, SdkMode::MultiThread, SdkMode::Durable];

    /// The runtime the child builds.
    pub fn flavor(self) -> Flavor {
        match self {
            SdkMode::Sdk | SdkMode::Durable => Flavor::CurrentThread,
            SdkMode::MultiThread => Flavor::MultiThread,
        }
    }

    /// Whether the child saves with `durable(true)`.
    pub fn durable(self) -> bool {
        self == SdkMode::Durable
    }

    /// Its name in the report: `SDK`, `SDK multi-thread`, `SDK durable`.
    pub fn label(self) -> &'static str {
        match self {
            SdkMode::Sdk => "SDK",
            SdkMode::MultiThread => "SDK multi-thread",
            SdkMode::Durable => "SDK durable",
        }
    }

    /// Its short name in table cells: `SDK`, `multi-thread`, `durable`.
    pub fn short(self) -> &'static str {
        match self {
            SdkMode::Sdk => "SDK",
            SdkMode::MultiThread => "multi-thread",
            SdkMode::Durable => "durable",
        }
    }

    /// The 100 MiB download target (at most this many times curl's time), if it has one.
    pub fn target_ratio(self) -> Option<f64> {
        match self {
            SdkMode::Sdk => Some(TARGET_RATIO_100M),
            SdkMode::MultiThread | SdkMode::Durable => None,
        }
    }

    fn profile_file(self) -> &'static str {
        match self {
            SdkMode::Sdk => "profile-sdk-100m.perf.data",
            SdkMode::MultiThread => "profile-sdk-multi-thread-100m.perf.data",
            SdkMode::Durable => "profile-sdk-durable-100m.perf.data",
        }
    }
}

/// One measured child process.
#[derive(Debug, Clone)]
pub struct Run {
    /// Spawn to reap, ms.
    pub wall_ms: f64,
    /// Peak RSS, KiB.
    pub rss_kib: u64,
    /// User + system CPU, ms.
    pub cpu_ms: f64,
    /// The spawner's own peak RSS, KiB: the floor under `rss_kib` (see [`crate::measure`]).
    pub spawner_rss_kib: u64,
    /// Voluntary context switches, all threads.
    pub voluntary_switches: u64,
    /// Involuntary context switches, all threads.
    pub involuntary_switches: u64,
    /// The SDK child's own phase times (SDK runs only).
    pub phases: Option<Phases>,
}

impl Run {
    fn from_child(run: &ChildRun, phases: Option<Phases>) -> Run {
        Run {
            wall_ms: ms(run.wall),
            rss_kib: run.max_rss_kib,
            cpu_ms: ms(run.cpu),
            spawner_rss_kib: run.spawner_rss_kib,
            voluntary_switches: run.voluntary_switches,
            involuntary_switches: run.involuntary_switches,
            phases,
        }
    }
}

/// All runs of one size.
#[derive(Debug, Clone)]
pub struct SizeFigures {
    /// The size.
    pub size: Size,
    /// SDK runs (current-thread runtime, `save_to` default: no fsync), in order.
    pub sdk: Vec<Run>,
    /// SDK runs on a multi-thread runtime, in order.
    pub multi: Vec<Run>,
    /// SDK runs (current-thread) with `durable(true)` (fsync before the rename), in order.
    pub durable: Vec<Run>,
    /// curl runs, in order (empty without curl).
    pub curl: Vec<Run>,
}

impl SizeFigures {
    /// The runs of one SDK mode.
    pub fn runs(&self, mode: SdkMode) -> &[Run] {
        match mode {
            SdkMode::Sdk => &self.sdk,
            SdkMode::MultiThread => &self.multi,
            SdkMode::Durable => &self.durable,
        }
    }

    fn runs_mut(&mut self, mode: SdkMode) -> &mut Vec<Run> {
        match mode {
            SdkMode::Sdk => &mut self.sdk,
            SdkMode::MultiThread => &mut self.multi,
            SdkMode::Durable => &mut self.durable,
        }
    }
}

/// Whether curl could be used.
#[derive(Debug, Clone)]
pub enum Curl {
    /// Found, with the first line of `curl --version`.
    Found {
        /// The executable.
        path: PathBuf,
        /// `curl 7.88.1 (x86_64-pc-linux-gnu) …`.
        version: String,
    },
    /// Not found: why.
    Missing(String),
}

/// `File::sync_all` of a freshly written 100 MiB file, measured apart from any download.
#[derive(Debug, Clone, Default)]
pub struct FsyncFigures {
    /// Writing 100 MiB (256 KiB writes, no sync), ms per repetition.
    pub write_ms: Vec<f64>,
    /// The `sync_all` that follows, ms per repetition.
    pub sync_ms: Vec<f64>,
}

/// Sections 1 and 2.
#[derive(Debug, Clone)]
pub struct DownloadFigures {
    /// Per size.
    pub sizes: Vec<SizeFigures>,
    /// curl, or why not.
    pub curl: Curl,
    /// The separate fsync measurement.
    pub fsync: FsyncFigures,
    /// CPU profiles of the 100 MiB download, when an SDK mode missed its target.
    pub profiles: Profiles,
}

/// Finds curl: `/usr/bin/curl`, else the first `curl` on `PATH`.
pub fn find_curl() -> Curl {
    let mut candidates = vec![PathBuf::from("/usr/bin/curl")];
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path).map(|d| d.join("curl")));
    }
    let Some(path) = candidates.into_iter().find(|p| p.is_file()) else {
        return Curl::Missing("no `curl` at /usr/bin/curl or on PATH".into());
    };
    match Command::new(&path).arg("--version").output() {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            let version = text.lines().next().unwrap_or("curl").trim().to_string();
            Curl::Found { path, version }
        }
        Ok(out) => Curl::Missing(format!(
            "`{} --version` failed ({})",
            path.display(),
            out.status
        )),
        Err(e) => Curl::Missing(format!("cannot run `{}`: {e}", path.display())),
    }
}

/// One POST to the fake's token endpoint, as curl's token (curl gets it ready-made).
pub async fn fetch_token(base_url: &str) -> Result<String> {
    let config = FakeConfig::default();
    let body = serde_json::json!({ "app_id": config.app_id, "app_secret": config.app_secret });
    let response = reqwest::Client::new()
        .post(format!(
            "{base_url}/open-apis/auth/v3/tenant_access_token/internal"
        ))
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/json; charset=utf-8",
        )
        .body(serde_json::to_vec(&body)?)
        .send()
        .await?
        .bytes()
        .await?;
    let value: serde_json::Value = serde_json::from_slice(&response)?;
    value
        .get("tenant_access_token")
        .and_then(|t| t.as_str())
        .map(str::to_string)
        .ok_or_else(|| format!("no tenant_access_token in {value}").into())
}

/// The URL curl downloads: the same the SDK requests.
pub fn resource_url(base_url: &str, key: &str) -> String {
    format!("{base_url}/open-apis/im/v1/messages/{MESSAGE}/resources/{key}?type=file")
}

fn sha256_file(path: &Path) -> Result<[u8; 32]> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(hasher.finalize().into());
        }
        hasher.update(&buf[..n]);
    }
}

/// Empties `dir` (the SDK child saves into it).
fn clear_dir(dir: &Path) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            std::fs::remove_dir_all(&path)?;
        } else {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}

struct Bench<'a> {
    exe: PathBuf,
    base_url: String,
    token: String,
    curl: Option<&'a Path>,
    sdk_dir: PathBuf,
    curl_file: PathBuf,
}

impl Bench<'_> {
    /// The SDK child's command line.
    fn sdk_args(&self, resource: &Resource, mode: SdkMode) -> Vec<String> {
        let mut args = vec![
            self.exe.to_string_lossy().into_owned(),
            child::MODE.to_string(),
            self.base_url.clone(),
            resource.message_id.clone(),
            resource.file_key.clone(),
            self.sdk_dir.to_string_lossy().into_owned(),
            resource.size.to_string(),
            mode.flavor().arg().to_string(),
        ];
        if mode.durable() {
            args.push(child::DURABLE.to_string());
        }
        args
    }

    /// curl's command line.
    fn curl_args(&self, curl: &Path, resource: &Resource) -> Vec<String> {
        vec![
            curl.to_string_lossy().into_owned(),
            "-s".into(),
            "-o".into(),
            self.curl_file.to_string_lossy().into_owned(),
            "-H".into(),
            format!("Authorization: Bearer {}", self.token),
            resource_url(&self.base_url, &resource.file_key),
        ]
    }

    /// One SDK download in a child process; `verify` checks the saved bytes afterwards.
    fn sdk(&self, resource: &Resource, mode: SdkMode, verify: bool) -> Result<Run> {
        let args = self.sdk_args(resource, mode);
        let run = run_child(&self.exe, &args)?;
        if !run.success {
            return Err(format!(
                "{} child failed ({}): {}",
                mode.label(),
                run.status,
                run.stderr.trim()
            )
            .into());
        }
        let phases = Phases::parse(&run.stdout)
            .ok_or_else(|| format!("SDK child printed no phases: {:?}", run.stdout))?;
        let saved = Phases::saved_path(&run.stdout)
            .map(PathBuf::from)
            .ok_or_else(|| format!("SDK child printed no path: {:?}", run.stdout))?;
        if verify && sha256_file(&saved)? != resource.sha256() {
            return Err(format!("SDK download {} has the wrong bytes", saved.display()).into());
        }
        clear_dir(&self.sdk_dir)?;
        Ok(Run::from_child(&run, Some(phases)))
    }

    /// One `curl -s -o FILE -H "Authorization: Bearer …" URL` with the pre-fetched token.
    fn curl(&self, curl: &Path, resource: &Resource, verify: bool) -> Result<Run> {
        let args = self.curl_args(curl, resource);
        let run = run_child(&self.exe, &args)?;
        if !run.success {
            return Err(format!("curl failed ({}): {}", run.status, run.stderr.trim()).into());
        }
        let len = std::fs::metadata(&self.curl_file)?.len();
        if len != resource.size {
            return Err(format!("curl saved {len} bytes, expected {}", resource.size).into());
        }
        if verify && sha256_file(&self.curl_file)? != resource.sha256() {
            return Err("curl's download has the wrong bytes".into());
        }
        std::fs::remove_file(&self.curl_file)?;
        Ok(Run::from_child(&run, None))
    }
}

/// Runs sections 1 and 2: `runs` measured rounds (SDK, SDK multi-thread, SDK durable, curl)
/// per size after one warm-up round whose files are checked byte for byte (SHA-256), the
/// separate fsync measurement (`fsync_reps` repetitions) and, if `profile` and an SDK mode
/// misses its 100 MiB target, CPU profiles of that mode and curl. Any failed or wrong download
/// is an error.
pub fn run(root: &Path, runs: usize, fsync_reps: usize, profile: bool) -> Result<DownloadFigures> {
    let fake = FakeLark::start_in_background(FakeConfig::default())?;
    let base_url = fake.base_url();
    let resources: Vec<Resource> = SIZES
        .iter()
        .map(|s| {
            let r = Resource::new(MESSAGE, s.key, ResourceKind::File, s.bytes);
            fake.add_resource(r.clone());
            r
        })
        .collect();
    let token = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(fetch_token(&base_url))?;
    let scratch = root.join("target").join("bench-tmp");
    std::fs::create_dir_all(&scratch)?;
    let tmp = tempfile::Builder::new()
        .prefix("downloads-")
        .tempdir_in(&scratch)?;
    let sdk_dir = tmp.path().join("sdk");
    std::fs::create_dir_all(&sdk_dir)?;
    let curl = find_curl();
    let curl_path = match &curl {
        Curl::Found { path, .. } => Some(path.as_path()),
        Curl::Missing(why) => {
            eprintln!("bench: curl is missing ({why}); measuring the SDK alone");
            None
        }
    };
    let bench = Bench {
        exe: std::env::current_exe()?,
        base_url,
        token,
        curl: curl_path,
        sdk_dir,
        curl_file: tmp.path().join("curl.bin"),
    };
    let mut sizes = Vec::new();
    for (size, resource) in SIZES.iter().zip(&resources) {
        // Warm-up round (page cache, binaries, the server's first connection): not recorded.
        for mode in SdkMode::ALL {
            bench.sdk(resource, mode, true)?;
        }
        if let Some(curl) = bench.curl {
            bench.curl(curl, resource, true)?;
        }
        let mut figures = SizeFigures {
            size: *size,
            sdk: Vec::new(),
            multi: Vec::new(),
            durable: Vec::new(),
            curl: Vec::new(),
        };
        for i in 0..runs {
            let mut line = format!("bench: {:>7} run {}/{runs}:", size.label, i + 1);
            for mode in SdkMode::ALL {
                let run = bench.sdk(resource, mode, false)?;
                line += &format!(
                    " {} {:6.1} ms {:4.1} MiB |",
                    mode.short(),
                    run.wall_ms,
                    run.rss_kib as f64 / 1024.0
                );
                figures.runs_mut(mode).push(run);
            }
            if let Some(curl) = bench.curl {
                let c = bench.curl(curl, resource, false)?;
                line += &format!(
                    " curl {:6.1} ms {:4.1} MiB",
                    c.wall_ms,
                    c.rss_kib as f64 / 1024.0
                );
                figures.curl.push(c);
            }
            eprintln!("{}", line.trim_end_matches(" |"));
        }
        sizes.push(figures);
    }
    let profiles = match (sizes.last(), bench.curl, resources.last()) {
        (Some(big), Some(curl), Some(resource)) if profile => {
            let wall = |runs: &[Run]| median(&runs.iter().map(|r| r.wall_ms).collect::<Vec<_>>());
            let curl_ms = wall(&big.curl);
            let missed: Vec<SdkMode> = SdkMode::ALL
                .into_iter()
                .filter(|&m| {
                    m.target_ratio()
                        .is_some_and(|target| wall(big.runs(m)) / curl_ms > target)
                })
                .collect();
            if missed.is_empty() {
                Profiles::NotNeeded
            } else {
                profile_big(&bench, &missed, curl, resource, &scratch)
            }
        }
        _ => Profiles::NotNeeded,
    };
    drop(fake);
    let fsync = measure_fsync(tmp.path(), 100 << 20, fsync_reps)?;
    Ok(DownloadFigures {
        sizes,
        curl,
        fsync,
        profiles,
    })
}

/// Profiles three back-to-back 100 MiB downloads with each SDK mode in `modes` (those that
/// missed their target), then with curl; the data files stay in `scratch` for a closer look.
fn profile_big(
    bench: &Bench<'_>,
    modes: &[SdkMode],
    curl: &Path,
    resource: &Resource,
    scratch: &Path,
) -> Profiles {
    const DOWNLOADS: usize = 3;
    if let Err(why) = profile::perf_available() {
        return Profiles::Unavailable(why);
    }
    let mut out = Vec::new();
    let mut jobs: Vec<(&'static str, Vec<String>, &'static str)> = modes
        .iter()
        .map(|&m| (m.label(), bench.sdk_args(resource, m), m.profile_file()))
        .collect();
    jobs.push((
        "curl",
        bench.curl_args(curl, resource),
        "profile-curl-100m.perf.data",
    ));
    for (tool, args, file) in jobs {
        eprintln!("bench: profiling {DOWNLOADS} downloads of 100 MiB with {tool} (perf record)");
        let commands = vec![args; DOWNLOADS];
        let result = profile::profile(tool, &commands, &scratch.join(file));
        let _ = clear_dir(&bench.sdk_dir);
        let _ = std::fs::remove_file(&bench.curl_file);
        match result {
            Ok(p) => out.push(p),
            Err(why) => return Profiles::Unavailable(why),
        }
    }
    Profiles::Taken(out)
}

/// Writes `bytes` to a new file in `dir` in 256 KiB writes (as `save_to` does), then times
/// `File::sync_all` on it; `reps` times.
fn measure_fsync(dir: &Path, bytes: u64, reps: usize) -> Result<FsyncFigures> {
    let mut chunk = vec![0u8; 256 * 1024];
    lark_tests::fill_content(0xf5_1c, 0, &mut chunk);
    let mut figures = FsyncFigures::default();
    for i in 0..reps {
        let path = dir.join(format!("fsync-{i}.bin"));
        let mut file = std::fs::File::create(&path)?;
        let started = Instant::now();
        let mut written = 0u64;
        while written < bytes {
            // Vary the bytes a little so no layer can deduplicate the chunks.
            chunk[..8].copy_from_slice(&written.to_le_bytes());
            file.write_all(&chunk)?;
            written += chunk.len() as u64;
        }
        figures.write_ms.push(ms(started.elapsed()));
        let started = Instant::now();
        file.sync_all()?;
        figures.sync_ms.push(ms(started.elapsed()));
        drop(file);
        std::fs::remove_file(&path)?;
        eprintln!(
            "bench: fsync of 100 MiB {}/{reps}: write {:.1} ms, sync_all {:.1} ms",
            i + 1,
            figures.write_ms[i],
            figures.sync_ms[i]
        );
    }
    Ok(figures)
}
