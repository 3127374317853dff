//! `nook-dart-tool`: keeps the Dart SDK (`sdk-dart/`) honest without a Dart
//! toolchain.
//!
//! Modules and data flow:
//! - [`header`] reads `abi/include/nook.h` into a model; [`ffi_types`] maps its C
//!   types to `dart:ffi` types; [`bindings`] writes `lib/src/bindings.g.dart`.
//! - [`errors`] reads `spec/errors.toml` and writes `lib/src/errors.g.dart`.
//! - [`check_bindings`] reads the Dart bindings back and compares every
//!   signature with the header, and checks that the SDK's own code uses only
//!   declared bindings; [`errors::check_dart`] does the same for errors.
//! - `cbor_vectors` (tests only) checks the shared CBOR vectors with ciborium.
//! - [`dart_syntax`] parses every `.dart` file with the tree-sitter Dart grammar
//!   and checks `package:` imports against the pubspecs.
//!
//! Commands: `generate` (write both generated files), `generate --check` (fail
//! when either is stale) and `check` (everything, non-zero exit on any
//! problem). `--root DIR` points at the repository root
//! (default: the one this tool was built in).
//!
//! This crate has no `unsafe` code and forbids it: it reads and writes text
//! files, and the tree-sitter parser it uses is wrapped safely by its crate.

#![forbid(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]

mod bindings;
#[cfg(test)]
mod cbor_vectors;
mod check_bindings;
mod dart_syntax;
mod errors;
mod ffi_types;
mod header;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const HEADER: &str = "abi/include/nook.h";
const ERRORS: &str = "spec/errors.toml";
const BINDINGS_OUT: &str = "sdk-dart/lib/src/bindings.g.dart";
const ERRORS_OUT: &str = "sdk-dart/lib/src/errors.g.dart";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let mut command = None;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--root" => {
                i += 1;
                match args.get(i) {
                    Some(r) => root = PathBuf::from(r),
                    None => return usage("--root needs a directory"),
                }
            }
            c @ ("generate" | "check") if command.is_none() => command = Some(c.to_string()),
            "--check" if command.as_deref() == Some("generate") => {
                command = Some("generate --check".to_string())
            }
            other => return usage(&format!("unknown argument `{other}`")),
        }
        i += 1;
    }
    let result = match command.as_deref() {
        Some("generate") => generate(&root),
        Some("generate --check") => fresh(&root),
        Some("check") => check(&root),
        _ => return usage("no command"),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(()) => ExitCode::FAILURE,
    }
}

fn usage(problem: &str) -> ExitCode {
    eprintln!(
        "nook-dart-tool: {problem}\nusage: nook-dart-tool [--root DIR] generate [--check] | check"
    );
    ExitCode::from(2)
}

fn read(root: &Path, rel: &str) -> Result<String, String> {
    std::fs::read_to_string(root.join(rel)).map_err(|e| format!("{rel}: {e}"))
}

/// The generated files' expected contents, from the header and the error table.
fn expected(root: &Path) -> Result<Vec<(&'static str, String)>, String> {
    let header =
        header::Header::parse(&read(root, HEADER)?).map_err(|e| format!("{HEADER}: {e}"))?;
    let rows = errors::parse(&read(root, ERRORS)?)?;
    Ok(vec![
        (
            BINDINGS_OUT,
            bindings::generate(&header, bindings::LEAF_FUNCTIONS)?,
        ),
        (ERRORS_OUT, errors::generate(&rows)),
    ])
}

fn generate(root: &Path) -> Result<(), ()> {
    let files = expected(root).map_err(|e| eprintln!("generate: {e}"))?;
    for (rel, text) in files {
        let path = root.join(rel);
        if std::fs::read_to_string(&path).ok().as_deref() == Some(text.as_str()) {
            println!("unchanged {rel}");
            continue;
        }
        std::fs::write(&path, text).map_err(|e| eprintln!("writing {rel}: {e}"))?;
        println!("wrote {rel}");
    }
    Ok(())
}

/// The freshness check alone (`generate --check`).
fn fresh(root: &Path) -> Result<(), ()> {
    match stale(root) {
        Ok(n) => {
            println!("ok    generated files are fresh: {n}");
            Ok(())
        }
        Err(e) => {
            eprintln!("{e}");
            Err(())
        }
    }
}

/// Ok when both generated files equal what the generator writes now.
fn stale(root: &Path) -> Result<String, String> {
    let files = expected(root)?;
    let stale: Vec<String> = files
        .iter()
        .filter(|(rel, text)| {
            std::fs::read_to_string(root.join(rel)).ok().as_deref() != Some(text.as_str())
        })
        .map(|(rel, _)| {
            format!("{rel} is stale or missing; run `cargo run -p nook-dart-tool -- generate`")
        })
        .collect();
    if stale.is_empty() {
        Ok(format!("{} files", files.len()))
    } else {
        Err(stale.join("\n"))
    }
}

/// Runs every check, reporting each; fails if any failed.
fn check(root: &Path) -> Result<(), ()> {
    let mut failed = false;
    let mut report = |what: &str, r: Result<String, String>| match r {
        Ok(detail) => println!("ok    {what}: {detail}"),
        Err(e) => {
            failed = true;
            println!("FAIL  {what}:");
            for line in e.lines() {
                println!("        {line}");
            }
        }
    };

    report(
        "every .dart file parses (tree-sitter Dart grammar) and imports only declared packages",
        dart_syntax::check_tree(&root.join("sdk-dart"), "sdk-dart")
            .map(|n| format!("{n} files"))
            .map_err(|p| p.join("\n")),
    );

    report("generated files are fresh", stale(root));

    report(
        "every function of nook.h has a binding with its native signature",
        (|| {
            let header = header::Header::parse(&read(root, HEADER)?)
                .map_err(|e| format!("{HEADER}: {e}"))?;
            let n = check_bindings::check(
                &header,
                &read(root, BINDINGS_OUT)?,
                bindings::LEAF_FUNCTIONS,
            )?;
            Ok(format!("{n} functions"))
        })(),
    );

    report(
        "the SDK uses only bindings and constants that bindings.g.dart declares",
        (|| {
            let generated = read(root, BINDINGS_OUT)?;
            let lib = root.join("sdk-dart/lib");
            let sources: Vec<(String, String)> = dart_syntax::dart_files(&lib)
                .into_iter()
                .filter(|p| !p.ends_with("bindings.g.dart"))
                .map(|p| {
                    let rel = format!(
                        "sdk-dart/lib/{}",
                        p.strip_prefix(&lib).unwrap_or(&p).display()
                    );
                    std::fs::read_to_string(&p)
                        .map(|t| (rel.clone(), t))
                        .map_err(|e| format!("{rel}: {e}"))
                })
                .collect::<Result<_, _>>()?;
            let n = check_bindings::check_uses(&generated, &sources)?;
            Ok(format!("{n} uses in {} files", sources.len()))
        })(),
    );

    report(
        "the NOOK_<NAME> status codes of nook.h match spec/errors.toml",
        (|| {
            let header = header::Header::parse(&read(root, HEADER)?)
                .map_err(|e| format!("{HEADER}: {e}"))?;
            let rows = errors::parse(&read(root, ERRORS)?)?;
            let mut problems = Vec::new();
            for r in &rows {
                let name = format!("NOOK_{}", r.name);
                match header.constants.iter().find(|c| c.name == name) {
                    Some(c) if c.value == i128::from(r.code) => {}
                    Some(c) => problems.push(format!(
                        "{name} is {} in nook.h but {} in spec/errors.toml",
                        c.value, r.code
                    )),
                    None => problems.push(format!("nook.h does not define {name}")),
                }
            }
            if problems.is_empty() {
                Ok(format!("{} codes", rows.len()))
            } else {
                Err(problems.join("\n"))
            }
        })(),
    );

    report(
        "error classes match spec/errors.toml",
        (|| {
            let rows = errors::parse(&read(root, ERRORS)?)?;
            errors::check_dart(&rows, &read(root, ERRORS_OUT)?)?;
            Ok(format!("{} codes", rows.len()))
        })(),
    );

    if failed {
        Err(())
    } else {
        Ok(())
    }
}
