//! `cargo xtask import`: specs from the platform's OpenAPI metadata (`spec/upstream/*.yaml`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use lark_import::{self as import, DocumentSource, Selection};

/// The arguments of `cargo xtask import`.
#[derive(Debug, Default, clap::Args)]
pub struct Args {
    /// Metadata documents to read (default: every `spec/upstream/*.yaml`).
    #[arg(long, value_name = "FILE.yaml", num_args = 1..)]
    pub from: Vec<PathBuf>,
    /// Only operations of these projects (services): `im`.
    #[arg(long, value_name = "P", num_args = 1..)]
    pub project: Vec<String>,
    /// Only operations of these versions: `v1`.
    #[arg(long, value_name = "V", num_args = 1..)]
    pub version: Vec<String>,
    /// Only operations of these resources (of the spec id): `chat_members`.
    #[arg(long, value_name = "R", num_args = 1..)]
    pub resource: Vec<String>,
    /// Only these operations: spec ids (`im.v1.chat.get`) or operationIds (`im_chat_get`).
    #[arg(long, value_name = "ID", num_args = 1..)]
    pub id: Vec<String>,
    /// Write nothing; fail, listing the files, when importing would change anything.
    #[arg(long)]
    pub check: bool,
    /// Import every operation of the documents in DIR in memory, generate each, and print the
    /// survey table of spec/README.md (writes nothing).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["from", "project", "version", "resource", "id", "check"])]
    pub survey: Option<PathBuf>,
    /// With --survey: also write the spec files of every service version's generating
    /// operations (placeholder prose) under OUT (`OUT/spec/<service>/<version>/…`), for a
    /// scratch tree that measures the whole platform; versions already in `spec/` are skipped.
    #[arg(long, value_name = "OUT", requires = "survey")]
    pub emit: Option<PathBuf>,
}

impl Args {
    fn selection(&self) -> Selection {
        Selection {
            projects: self.project.clone(),
            versions: self.version.clone(),
            resources: self.resource.clone(),
            ids: self.id.clone(),
        }
    }
}

/// Runs `import` (or `import --check`, `import --survey DIR`) against the tree at `root`.
pub fn run(root: &Path, args: Args) -> ExitCode {
    if let Some(dir) = &args.survey {
        return survey(root, dir, args.emit.as_deref());
    }
    let from = if args.from.is_empty() {
        match upstream_documents(root) {
            Ok(f) => f,
            Err(e) => {
                eprintln!(
                    "error: cannot read {}: {e}",
                    root.join("spec/upstream").display()
                );
                return ExitCode::FAILURE;
            }
        }
    } else {
        args.from.clone()
    };
    let mut documents = Vec::new();
    for path in &from {
        match std::fs::read_to_string(path) {
            Ok(text) => documents.push(DocumentSource {
                name: display_name(root, path),
                text,
            }),
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
        }
    }
    let tree = match lark_codegen::read_spec_dir(root) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", root.join("spec").display());
            return ExitCode::FAILURE;
        }
    };
    let report = match import::import(&documents, &tree, &args.selection()) {
        Ok(r) => r,
        Err(problems) => {
            for p in &problems {
                eprintln!("{p}");
            }
            eprintln!("error: {} problem(s); nothing was written", problems.len());
            return ExitCode::FAILURE;
        }
    };
    if !report.unmatched.is_empty() {
        for id in &report.unmatched {
            eprintln!("error: --id {id}: no operation of the documents read has this id");
        }
        eprintln!("error: nothing was written");
        return ExitCode::FAILURE;
    }
    let mut created = Vec::new();
    let mut updated = Vec::new();
    let mut unchanged = 0;
    for file in &report.files {
        match std::fs::read_to_string(root.join(&file.path)) {
            Ok(text) if text == file.contents => unchanged += 1,
            Ok(_) => updated.push(file),
            Err(_) => created.push(file),
        }
    }
    if args.check {
        for note in &report.notes {
            println!("note: {note}");
        }
        if created.is_empty() && updated.is_empty() {
            println!(
                "specs are up to date with the metadata ({} file(s))",
                report.files.len()
            );
            return ExitCode::SUCCESS;
        }
        for f in &created {
            eprintln!("missing: {}", f.path);
        }
        for f in &updated {
            eprintln!("stale:   {}", f.path);
        }
        eprintln!(
            "error: importing would change {} file(s); run `cargo xtask import` and review the diff",
            created.len() + updated.len()
        );
        return ExitCode::FAILURE;
    }
    for (label, files) in [("created ", &created), ("updated ", &updated)] {
        for f in files.iter() {
            let path = root.join(&f.path);
            if let Some(dir) = path.parent() {
                if let Err(e) = std::fs::create_dir_all(dir) {
                    eprintln!("error: cannot create {}: {e}", dir.display());
                    return ExitCode::FAILURE;
                }
            }
            if let Err(e) = std::fs::write(&path, &f.contents) {
                eprintln!("error: cannot write {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
            println!("{label} {}", f.path);
        }
    }
    println!(
        "{} file(s): {} created, {} updated, {unchanged} unchanged",
        report.files.len(),
        created.len(),
        updated.len()
    );
    for note in &report.notes {
        println!("note: {note}");
    }
    for line in &report.missing_prose {
        println!("{line}");
    }
    if !report.missing_prose.is_empty() {
        println!(
            "{} item(s) of prose missing: write them in the files named, then run `cargo xtask gen`",
            report.missing_prose.len()
        );
    }
    ExitCode::SUCCESS
}

/// `spec/upstream/*.yaml`, sorted.
fn upstream_documents(root: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(root.join("spec/upstream"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    out.sort();
    Ok(out)
}

/// A document's name in problems: relative to the root when it is inside it.
fn display_name(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

fn survey(root: &Path, dir: &Path, emit: Option<&Path>) -> ExitCode {
    let mut paths: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect(),
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", dir.display());
            return ExitCode::FAILURE;
        }
    };
    paths.sort();
    let mut documents = Vec::new();
    for path in &paths {
        match std::fs::read_to_string(path) {
            Ok(text) => documents.push(DocumentSource {
                name: path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                text,
            }),
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
        }
    }
    let Some(out) = emit else {
        print!("{}", import::survey::run(&documents).markdown());
        return ExitCode::SUCCESS;
    };
    let survey = import::survey::run_emitting(&documents);
    print!("{}", survey.markdown());
    let mut written = 0usize;
    let mut operations = 0usize;
    for source in &survey.emitted {
        // A version the project already has keeps its reviewed specs.
        let version_dir = source.path.split('/').take(3).collect::<Vec<_>>().join("/");
        if root.join(&version_dir).is_dir() {
            continue;
        }
        let path = out.join(&source.path);
        let written_ok = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&path, &source.text));
        if let Err(e) = written_ok {
            eprintln!("error: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        written += 1;
        let name = source.path.rsplit('/').next().unwrap_or("");
        if !matches!(name, "types.json" | "import.json" | "errors.json") {
            operations += 1;
        }
    }
    eprintln!(
        "wrote {written} spec file(s) ({operations} operation(s)) under {}; {} operation(s) that generate alone were left out because their version does not generate with them",
        out.display(),
        survey.emitted_dropped
    );
    ExitCode::SUCCESS
}
