//! `cargo xtask import`: specs from the platform's OpenAPI metadata (`spec/upstream/*.yaml`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use lark_codegen::import::{self, DocumentSource, Selection};

/// Usage of the import command.
pub const USAGE: &str = "cargo xtask import [--from FILE.yaml ...] [--project P] [--version V] [--resource R] [--id ID ...] [--check] | cargo xtask import --survey DIR";

/// Parsed arguments.
#[derive(Debug, Default)]
struct Args {
    from: Vec<PathBuf>,
    selection: Selection,
    check: bool,
    survey: Option<PathBuf>,
}

fn parse_args(args: &[&str]) -> Result<Args, String> {
    let mut out = Args::default();
    let mut i = 0;
    while i < args.len() {
        let flag = args[i];
        // Every value up to the next flag.
        let mut values = Vec::new();
        let mut j = i + 1;
        while j < args.len() && !args[j].starts_with("--") {
            values.push(args[j].to_string());
            j += 1;
        }
        let needs_value = |values: &Vec<String>| {
            if values.is_empty() {
                Err(format!("{flag} needs a value"))
            } else {
                Ok(())
            }
        };
        match flag {
            "--check" | "--survey" | "--from" | "--project" | "--version" | "--resource"
            | "--id" => {}
            other => return Err(format!("unknown argument `{other}`")),
        }
        match flag {
            "--check" => {
                if !values.is_empty() {
                    return Err(format!("--check takes no value (got `{}`)", values[0]));
                }
                out.check = true;
            }
            "--survey" => {
                needs_value(&values)?;
                if values.len() > 1 {
                    return Err("--survey takes one directory".into());
                }
                out.survey = Some(PathBuf::from(&values[0]));
            }
            "--from" => {
                needs_value(&values)?;
                out.from.extend(values.iter().map(PathBuf::from));
            }
            "--project" => {
                needs_value(&values)?;
                out.selection.projects.extend(values);
            }
            "--version" => {
                needs_value(&values)?;
                out.selection.versions.extend(values);
            }
            "--resource" => {
                needs_value(&values)?;
                out.selection.resources.extend(values);
            }
            "--id" => {
                needs_value(&values)?;
                out.selection.ids.extend(values);
            }
            _ => unreachable!("checked above"),
        }
        i = j;
    }
    Ok(out)
}

/// Runs `import` (or `import --check`, `import --survey DIR`) against the tree at `root`.
pub fn run(root: &Path, args: &[&str]) -> ExitCode {
    let args = match parse_args(args) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}\nusage: {USAGE}");
            return ExitCode::from(2);
        }
    };
    if let Some(dir) = &args.survey {
        return survey(dir);
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
    let report = match import::import(&documents, &tree, &args.selection) {
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

fn survey(dir: &Path) -> ExitCode {
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
    print!("{}", import::survey::run(&documents).markdown());
    ExitCode::SUCCESS
}
