//! Tests that keep the generated files fresh: `src/codes.rs` and the user
//! guide's error table `docs/guide/src/concepts/error-codes.g.md` (both from
//! `spec/errors.toml`) and `include/nook.h` (cbindgen over this crate). Each
//! regenerates its file and fails on any difference; run
//! `NOOK_REGENERATE=1 cargo test -p nook-abi generated` to rewrite them.

use std::path::{Path, PathBuf};

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One row of spec/errors.toml.
#[derive(Debug, Default)]
struct Row {
    code: i32,
    name: String,
    since: String,
    meaning: String,
}

/// Reads a TOML basic string value (`"..."` with `\"` and `\\` escapes).
fn toml_string(raw: &str, line: &str) -> String {
    let inner = raw
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or_else(|| panic!("spec/errors.toml: expected a \"string\" in: {line}"));
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('"') => out.push('"'),
                Some('\\') => out.push('\\'),
                other => panic!("spec/errors.toml: unsupported escape \\{other:?} in: {line}"),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Parses the `[[error]]` rows of spec/errors.toml (the subset of TOML it uses).
fn error_rows() -> Vec<Row> {
    let path = crate_dir().join("../spec/errors.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut rows: Vec<Row> = Vec::new();
    for line in text.lines().map(str::trim) {
        if line == "[[error]]" {
            rows.push(Row::default());
            continue;
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (field, value) = line
            .split_once(" = ")
            .unwrap_or_else(|| panic!("bad line: {line}"));
        let row = rows
            .last_mut()
            .unwrap_or_else(|| panic!("a field before [[error]]: {line}"));
        match field {
            "code" => row.code = value.parse().unwrap(),
            "name" => row.name = toml_string(value, line),
            "since" => row.since = toml_string(value, line),
            "meaning" => row.meaning = toml_string(value, line),
            other => panic!("spec/errors.toml: unknown field {other}"),
        }
    }
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(
            row.code,
            i as i32 + 1,
            "codes must be 1, 2, 3... in order: {row:?}"
        );
        assert!(
            !row.name.is_empty() && !row.meaning.is_empty() && !row.since.is_empty(),
            "{row:?}"
        );
    }
    rows
}

fn render_codes() -> String {
    let mut out = String::from(
        "//! The status codes of the ABI. GENERATED from spec/errors.toml by\n\
         //! `NOOK_REGENERATE=1 cargo test -p nook-abi generated`; do not edit (a test\n\
         //! fails when this file is stale).\n\n\
         /// Status 0: success.\n\
         pub const NOOK_OK: i32 = 0;\n",
    );
    for row in error_rows() {
        out += &format!(
            "\n/// Status {}, {} (since ABI {}): {}\npub const NOOK_{}: i32 = {};\n",
            row.code, row.name, row.since, row.meaning, row.name, row.code
        );
    }
    out += "\n/// Every error status as (code, name, meaning), in code order.\n";
    out += "pub(crate) const CODES: &[(i32, &str, &str)] = &[\n";
    for row in error_rows() {
        out += &format!("    ({}, {:?}, {:?}),\n", row.code, row.name, row.meaning);
    }
    out += "];\n";
    out
}

/// The error table of the user guide (`docs/guide/src/concepts/errors.md`
/// includes it), so that the guide never lists codes by hand.
fn render_guide_errors() -> String {
    let mut out = String::from(
        "<!-- GENERATED from spec/errors.toml by \
         `NOOK_REGENERATE=1 cargo test -p nook-abi generated`; do not edit \
         (a test fails when this file is stale). -->\n\n\
         | code | name | since ABI | meaning |\n\
         |---:|---|---|---|\n",
    );
    for row in error_rows() {
        let meaning = row.meaning.replace('|', "\\|");
        out += &format!(
            "| {} | `{}` | {} | {} |\n",
            row.code, row.name, row.since, meaning
        );
    }
    out
}

fn render_header() -> String {
    let dir = crate_dir();
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).unwrap();
    let mut out = Vec::new();
    cbindgen::Builder::new()
        .with_crate(&dir)
        .with_config(config)
        .generate()
        .expect("cbindgen could not generate the header")
        .write(&mut out);
    String::from_utf8(out).unwrap()
}

/// Compares `path` with `fresh`, or rewrites it under NOOK_REGENERATE=1.
fn check_fresh(path: &Path, fresh: &str) {
    let current = std::fs::read_to_string(path).unwrap_or_default();
    if std::env::var_os("NOOK_REGENERATE").is_some() {
        if current != fresh {
            std::fs::write(path, fresh).unwrap();
        }
        return;
    }
    assert!(
        current == fresh,
        "{} is stale; run `NOOK_REGENERATE=1 cargo test -p nook-abi generated` and commit it",
        path.display()
    );
}

#[test]
fn codes_rs_is_generated_from_errors_toml() {
    check_fresh(&crate_dir().join("src/codes.rs"), &render_codes());
}

#[test]
fn guide_error_table_is_generated_from_errors_toml() {
    check_fresh(
        &crate_dir().join("../docs/guide/src/concepts/error-codes.g.md"),
        &render_guide_errors(),
    );
}

#[test]
fn nook_h_is_generated_by_cbindgen() {
    check_fresh(&crate_dir().join("include/nook.h"), &render_header());
}

#[test]
fn every_error_code_is_in_the_header_and_the_engine() {
    let header = render_header();
    for row in error_rows() {
        let define = format!("#define NOOK_{} {}", row.name, row.code);
        assert!(header.contains(&define), "nook.h lacks `{define}`");
    }
    // Every engine error kind is a row of the table (the engine may know fewer).
    let rows = error_rows();
    for kind in engine::ErrorKind::ALL {
        assert!(
            rows.iter()
                .any(|r| r.code == kind.code() && r.name == kind.name()),
            "{kind:?}"
        );
    }
}

/// Every exported function runs its body inside `call` or `call_plain` (which
/// catch panics) under its own name, so messages name the right function.
#[test]
fn every_exported_function_catches_panics_under_its_own_name() {
    let mut exported = 0;
    for entry in std::fs::read_dir(crate_dir().join("src")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let mut rest = text.as_str();
        while let Some(at) = rest.find("extern \"C\" fn ") {
            let after = &rest[at + "extern \"C\" fn ".len()..];
            let name = &after[..after.find('(').unwrap()];
            let body_end = after.find("\n}\n").unwrap_or(after.len());
            let body = &after[..body_end];
            let wrapped = [format!("call(\"{name}\""), format!("call_plain(\"{name}\"")];
            assert!(
                wrapped.iter().any(|w| body.contains(w.as_str())),
                "{name} in {} does not run inside call(\"{name}\", ..) or call_plain(\"{name}\", ..)",
                path.display()
            );
            exported += 1;
            rest = &after[body_end..];
        }
    }
    let header = render_header();
    let declared =
        header.matches("\nint32_t nook_").count() + header.matches("\nvoid nook_").count();
    assert_eq!(
        exported, declared,
        "every exported function is declared in nook.h"
    );
    assert!(exported >= 34, "found only {exported} exported functions");
}
