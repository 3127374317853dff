//! Parses Dart files with the tree-sitter Dart grammar (which follows the Dart
//! analyzer's syntax, Dart 3 included) and reports every ERROR or MISSING node as
//! `file:line:column`. Also checks that every `package:` import is declared in
//! the nearest `pubspec.yaml`, which a Dart toolchain would otherwise be the
//! first to notice.

use std::path::{Path, PathBuf};
use tree_sitter::{Node, Parser};

/// Every `.dart` file under `root`, skipping tool output folders.
pub fn dart_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    walk(root, &mut out);
    out.sort();
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().to_string();
        if p.is_dir() {
            if !matches!(
                name.as_str(),
                ".dart_tool" | "build" | "target" | ".git" | "node_modules"
            ) {
                walk(&p, out);
            }
        } else if name.ends_with(".dart") {
            out.push(p);
        }
    }
}

/// Syntax problems of one Dart source, as `line:column: what` (1-based).
pub fn syntax_errors(source: &str) -> Result<Vec<String>, String> {
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_dart::LANGUAGE.into())
        .map_err(|e| format!("loading the Dart grammar: {e}"))?;
    let tree = parser.parse(source, None).ok_or("the parser gave up")?;
    let mut problems = Vec::new();
    collect(tree.root_node(), source, &mut problems);
    Ok(problems)
}

fn collect(node: Node, source: &str, problems: &mut Vec<String>) {
    if node.is_error() || node.is_missing() {
        let p = node.start_position();
        let what = if node.is_missing() {
            format!("missing `{}`", node.kind())
        } else {
            let text = node.utf8_text(source.as_bytes()).unwrap_or("");
            let snippet: String = text.chars().take(40).collect();
            format!("syntax error near `{}`", snippet.replace('\n', " "))
        };
        problems.push(format!("{}:{}: {what}", p.row + 1, p.column + 1));
        if node.is_error() {
            // One report per error region; its children are part of the same mistake.
            return;
        }
    }
    if !node.has_error() {
        return;
    }
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        collect(child, source, problems);
    }
}

/// The `package:` names imported or exported by a Dart source.
pub fn imported_packages(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in source.lines() {
        let t = line.trim_start();
        if !(t.starts_with("import ") || t.starts_with("export ")) {
            continue;
        }
        for quote in ['\'', '"'] {
            let needle = format!("{quote}package:");
            if let Some(at) = t.find(&needle) {
                let rest = &t[at + needle.len()..];
                if let Some(slash) = rest.find('/') {
                    out.push(rest[..slash].to_string());
                }
            }
        }
    }
    out
}

/// The package name and the dependency names (with dev dependencies) of a
/// `pubspec.yaml`. A small reader for the block style pub itself writes.
pub fn pubspec_packages(text: &str) -> (String, Vec<String>, Vec<String>) {
    let mut name = String::new();
    let mut deps = Vec::new();
    let mut dev = Vec::new();
    let mut section = "";
    for line in text.lines() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if !line.starts_with(' ') {
            section = if line.starts_with("dependencies:") {
                "deps"
            } else if line.starts_with("dev_dependencies:") {
                "dev"
            } else {
                ""
            };
            if let Some(n) = line.strip_prefix("name:") {
                name = n.trim().to_string();
            }
            continue;
        }
        // A dependency is a key indented by exactly two spaces.
        if line.starts_with("  ") && !line.starts_with("   ") {
            if let Some(key) = line.trim().split(':').next() {
                match section {
                    "deps" => deps.push(key.to_string()),
                    "dev" => dev.push(key.to_string()),
                    _ => {}
                }
            }
        }
    }
    (name, deps, dev)
}

/// Checks every `.dart` file under `root`: syntax, and `package:` imports
/// against the nearest pubspec (files under `lib/` and `hook/` may use only
/// `dependencies`; tests, tools and examples may also use `dev_dependencies`).
/// Paths in messages are `label/` + the path under `root`.
pub fn check_tree(root: &Path, label: &str) -> Result<usize, Vec<String>> {
    let files = dart_files(root);
    let mut problems = Vec::new();
    for file in &files {
        let rel = format!(
            "{label}/{}",
            file.strip_prefix(root).unwrap_or(file).display()
        );
        let source = match std::fs::read_to_string(file) {
            Ok(s) => s,
            Err(e) => {
                problems.push(format!("{rel}: {e}"));
                continue;
            }
        };
        match syntax_errors(&source) {
            Ok(errs) => problems.extend(errs.into_iter().map(|e| format!("{rel}:{e}"))),
            Err(e) => problems.push(format!("{rel}: {e}")),
        }
        let Some((pubspec_dir, pubspec)) = nearest_pubspec(file, root) else {
            problems.push(format!("{rel}: no pubspec.yaml above this file"));
            continue;
        };
        let (name, deps, dev) = pubspec_packages(&pubspec);
        let inside = file.strip_prefix(&pubspec_dir).unwrap_or(file);
        let shipped = inside.starts_with("lib") || inside.starts_with("hook");
        for pkg in imported_packages(&source) {
            let ok = pkg == name || deps.contains(&pkg) || (!shipped && dev.contains(&pkg));
            if !ok {
                let which = if shipped {
                    "dependencies"
                } else {
                    "dependencies or dev_dependencies"
                };
                problems.push(format!(
                    "{rel}: imports package:{pkg}, which is not in the {which} of {}",
                    Path::new(label)
                        .join(pubspec_dir.strip_prefix(root).unwrap_or(&pubspec_dir))
                        .join("pubspec.yaml")
                        .display()
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(files.len())
    } else {
        Err(problems)
    }
}

fn nearest_pubspec(file: &Path, root: &Path) -> Option<(PathBuf, String)> {
    let mut dir = file.parent()?;
    loop {
        if let Ok(text) = std::fs::read_to_string(dir.join("pubspec.yaml")) {
            return Some((dir.to_path_buf(), text));
        }
        if dir == root {
            return None;
        }
        dir = dir.parent()?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_dart_3_syntax() {
        let src = r#"
sealed class Shape {}
final class Circle extends Shape { Circle(this.r); final double r; }
base mixin M {}
extension type Id(int value) {}
double area(Shape s) => switch (s) { Circle(:final r) => 3.14 * r * r };
(int, String) pair() => (1, 'a');
void main() {
  final (a, b) = pair();
  if (a case > 0) print(b);
  final xs = [for (var i = 0; i < 3; i++) if (i.isOdd) i];
  print(xs);
}
"#;
        assert_eq!(syntax_errors(src).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn reports_errors_with_line_numbers() {
        let errs = syntax_errors("void main() {\n  final x = ;\n}\n").unwrap();
        assert!(!errs.is_empty());
        assert!(errs[0].starts_with("2:"), "{errs:?}");
        let missing = syntax_errors("void main() {\n  print('a')\n}\n").unwrap();
        assert!(!missing.is_empty(), "a missing semicolon must be reported");
        assert!(!syntax_errors("class A {").unwrap().is_empty());
    }

    #[test]
    fn reads_imports_and_pubspec() {
        let src = "import 'dart:ffi';\nimport 'package:ffi/ffi.dart';\nexport \"package:nook/src/x.dart\";\n";
        assert_eq!(imported_packages(src), ["ffi", "nook"]);
        let (name, deps, dev) = pubspec_packages("name: nook\nenvironment:\n  sdk: ^3.10.0\ndependencies:\n  ffi: ^2.1.0\n  hooks:\n    version: ^1.0.0\ndev_dependencies:\n  test: ^1.25.0\n");
        assert_eq!(name, "nook");
        assert_eq!(deps, ["ffi", "hooks"]);
        assert_eq!(dev, ["test"]);
    }
}
