//! Reads `spec/errors.toml` and writes `lib/src/errors.g.dart`: one
//! `NookException` subclass per error NAME, the code constants, and the
//! code-to-exception switch. The file is a `part of 'errors.dart'`, because the
//! subclasses of a sealed class must live in the library that declares it.

use crate::bindings::{write_doc, GENERATED_MARK};
use crate::ffi_types::{camel, pascal};
use serde::Deserialize;
use std::fmt::Write;

/// One row of the error table.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct ErrorRow {
    pub code: i32,
    pub name: String,
    pub since: String,
    pub meaning: String,
}

#[derive(Deserialize)]
struct Table {
    error: Vec<ErrorRow>,
}

/// Parses the error table and checks its own invariants (unique codes and
/// names, codes from 1 up, upper-case names).
pub fn parse(text: &str) -> Result<Vec<ErrorRow>, String> {
    let table: Table = toml::from_str(text).map_err(|e| format!("spec/errors.toml: {e}"))?;
    let rows = table.error;
    for (i, r) in rows.iter().enumerate() {
        if r.code <= 0 {
            return Err(format!(
                "spec/errors.toml: {} has code {}; codes start at 1 (0 is OK)",
                r.name, r.code
            ));
        }
        if r.name.is_empty()
            || !r
                .name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(format!(
                "spec/errors.toml: `{}` is not an UPPER_SNAKE name",
                r.name
            ));
        }
        if rows[..i]
            .iter()
            .any(|o| o.code == r.code || o.name == r.name)
        {
            return Err(format!(
                "spec/errors.toml: code {} or name {} appears twice",
                r.code, r.name
            ));
        }
    }
    Ok(rows)
}

/// The Dart class name for an error NAME: `NOT_FOUND` -> `NotFoundException`.
pub fn class_name(name: &str) -> String {
    format!("{}Exception", pascal(name))
}

/// Generates the Dart source of `lib/src/errors.g.dart`.
pub fn generate(rows: &[ErrorRow]) -> String {
    let mut out = String::new();
    let w = &mut out;
    writeln!(w, "{GENERATED_MARK} regenerate with").unwrap();
    writeln!(w, "//   cargo run -p nook-dart-tool -- generate").unwrap();
    writeln!(
        w,
        "// from spec/errors.toml. `nook-dart-tool check` fails when it is stale."
    )
    .unwrap();
    writeln!(w).unwrap();
    writeln!(w, "part of 'errors.dart';").unwrap();
    writeln!(w).unwrap();
    writeln!(
        w,
        "/// The stable error codes of `spec/errors.toml` (0 is OK and not an error)."
    )
    .unwrap();
    writeln!(w, "abstract final class NookErrorCode {{").unwrap();
    for r in rows {
        writeln!(w, "  /// `{}`.", r.name).unwrap();
        writeln!(
            w,
            "  static const int {} = {};",
            camel(&r.name.to_ascii_lowercase()),
            r.code
        )
        .unwrap();
        writeln!(w).unwrap();
    }
    writeln!(
        w,
        "  /// The NAME of every known code, e.g. `{{1: 'NOT_FOUND'}}`."
    )
    .unwrap();
    writeln!(w, "  static const Map<int, String> names = {{").unwrap();
    for r in rows {
        writeln!(w, "    {}: '{}',", r.code, r.name).unwrap();
    }
    writeln!(w, "  }};").unwrap();
    writeln!(w, "}}").unwrap();
    for r in rows {
        let class = class_name(&r.name);
        writeln!(w).unwrap();
        let meaning = vec![
            format!("`{}` (code {}, since ABI {}).", r.name, r.code, r.since),
            String::new(),
            r.meaning.clone(),
        ];
        write_doc(w, "", &meaning, "");
        writeln!(w, "final class {class} extends NookException {{").unwrap();
        writeln!(
            w,
            "  /// An error with the library's [message] (what went wrong and what to do)\n  /// and the operating system's [osErrorCode] (0 when none)."
        )
        .unwrap();
        writeln!(
            w,
            "  const {class}(String message, {{int osErrorCode = 0}})\n      : super._({}, '{}', message, osErrorCode);",
            r.code, r.name
        )
        .unwrap();
        writeln!(w, "}}").unwrap();
    }
    writeln!(w).unwrap();
    writeln!(
        w,
        "/// The exception for [code], or [UnknownCodeException] for a code this"
    )
    .unwrap();
    writeln!(
        w,
        "/// package does not know (a newer library may append codes)."
    )
    .unwrap();
    writeln!(
        w,
        "NookException _exceptionForCode(int code, String message, int osErrorCode) =>\n    switch (code) {{"
    )
    .unwrap();
    for r in rows {
        writeln!(
            w,
            "      {} => {}(message, osErrorCode: osErrorCode),",
            r.code,
            class_name(&r.name)
        )
        .unwrap();
    }
    writeln!(
        w,
        "      _ => UnknownCodeException(code, message, osErrorCode: osErrorCode),"
    )
    .unwrap();
    writeln!(w, "    }};").unwrap();
    out
}

/// Checks the error classes in the Dart source against the table: every row
/// has its class with the right code and NAME, and there is no other.
pub fn check_dart(rows: &[ErrorRow], dart: &str) -> Result<(), String> {
    let mut found: Vec<(String, i32, String)> = Vec::new();
    let mut rest = dart;
    while let Some(at) = rest.find("final class ") {
        rest = &rest[at + "final class ".len()..];
        let class: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        // The class ends at a `}` at the start of a line (braces inside it,
        // such as `{int osErrorCode = 0}`, are indented).
        let decl_end = rest.find("\n}").unwrap_or(rest.len());
        let decl = &rest[..decl_end];
        if !decl.contains("extends NookException") {
            continue;
        }
        let sup = decl
            .find("super._(")
            .ok_or_else(|| format!("{class}: no `super._(code, 'NAME', message)`"))?;
        let args = &decl[sup + "super._(".len()..];
        let mut parts = args.splitn(3, ',');
        let code = parts
            .next()
            .unwrap_or_default()
            .trim()
            .parse::<i32>()
            .map_err(|_| format!("{class}: the code is not an integer literal"))?;
        let name = parts
            .next()
            .unwrap_or_default()
            .trim()
            .trim_matches('\'')
            .to_string();
        found.push((class, code, name));
    }
    let mut problems = Vec::new();
    for r in rows {
        let want = class_name(&r.name);
        match found.iter().find(|(c, _, _)| *c == want) {
            None => problems.push(format!("no class {want} for {} (code {})", r.name, r.code)),
            Some((_, code, name)) if *code != r.code || *name != r.name => problems.push(format!(
                "{want} has ({code}, {name}); spec/errors.toml says ({}, {})",
                r.code, r.name
            )),
            Some(_) => {}
        }
        let constant = format!(
            "static const int {} = {};",
            camel(&r.name.to_ascii_lowercase()),
            r.code
        );
        if !dart.contains(&constant) {
            problems.push(format!("NookErrorCode lacks `{constant}`"));
        }
        if !dart.contains(&format!(
            "{} => {}(message, osErrorCode: osErrorCode)",
            r.code, want
        )) {
            problems.push(format!(
                "_exceptionForCode does not map {} to {want}",
                r.code
            ));
        }
    }
    for (class, code, name) in &found {
        if !rows.iter().any(|r| class_name(&r.name) == *class) {
            problems.push(format!(
                "{class} ({code}, {name}) is not in spec/errors.toml"
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> String {
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../spec/errors.toml"
        ))
        .unwrap()
    }

    #[test]
    fn generated_errors_pass_the_checker_and_a_changed_row_fails_it() {
        let rows = parse(&spec()).unwrap();
        assert!(rows.len() >= 17);
        let dart = generate(&rows);
        check_dart(&rows, &dart).unwrap();
        assert!(dart.contains("final class NotFoundException extends NookException"));
        assert!(dart.contains(
            "const IoException(String message, {int osErrorCode = 0})\n      : super._(9, 'IO', message, osErrorCode);"
        ));

        let wrong = dart.replace("super._(7, 'LOCKED'", "super._(70, 'LOCKED'");
        assert!(check_dart(&rows, &wrong)
            .unwrap_err()
            .contains("LockedException"));
        let missing = dart.replace("final class BusyException", "final class BusyThing");
        assert!(check_dart(&rows, &missing).is_err());
        let mut extra_rows = rows.clone();
        extra_rows.push(ErrorRow {
            code: 99,
            name: "NEW_ONE".into(),
            since: "1.1".into(),
            meaning: "x".into(),
        });
        assert!(check_dart(&extra_rows, &dart)
            .unwrap_err()
            .contains("NewOneException"));
    }

    #[test]
    fn refuses_a_table_with_duplicates() {
        let dup = "[[error]]\ncode = 1\nname = \"A\"\nsince = \"1.0\"\nmeaning = \"m\"\n[[error]]\ncode = 1\nname = \"B\"\nsince = \"1.0\"\nmeaning = \"m\"\n";
        assert!(parse(dup).is_err());
    }
}
