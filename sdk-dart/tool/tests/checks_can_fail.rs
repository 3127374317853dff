//! Proves that every check of `nook-dart-tool check` can fail: copies the
//! checked files (sdk-dart's Dart sources, nook.h, spec/errors.toml) into a
//! scratch root, breaks one thing at a time, and expects the check to fail
//! with a message that names the problem (and to pass again once restored).

use std::path::{Path, PathBuf};
use std::process::Command;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if matches!(name.as_ref(), "tool" | ".dart_tool" | "build") {
            continue;
        }
        let target = to.join(&*name);
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

struct Scratch {
    root: PathBuf,
}

impl Scratch {
    fn new() -> Scratch {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let root =
            std::env::temp_dir().join(format!("nook-dart-tool-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(root.join("abi/include")).unwrap();
        std::fs::create_dir_all(root.join("spec")).unwrap();
        std::fs::copy(
            repo.join("abi/include/nook.h"),
            root.join("abi/include/nook.h"),
        )
        .unwrap();
        std::fs::copy(repo.join("spec/errors.toml"), root.join("spec/errors.toml")).unwrap();
        copy_dir(&repo.join("sdk-dart"), &root.join("sdk-dart"));
        Scratch { root }
    }

    /// Runs the check; returns (success, stdout).
    fn check(&self) -> (bool, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_nook-dart-tool"))
            .arg("--root")
            .arg(&self.root)
            .arg("check")
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    }

    /// Applies `edit` to `rel`, expects the check to fail mentioning `want`,
    /// then restores the file.
    fn breaks(&self, rel: &str, edit: impl FnOnce(&str) -> String, want: &str) {
        let path = self.root.join(rel);
        let original = std::fs::read_to_string(&path).unwrap();
        let broken = edit(&original);
        assert_ne!(broken, original, "the edit of {rel} changed nothing");
        std::fs::write(&path, &broken).unwrap();
        let (ok, out) = self.check();
        assert!(!ok, "the check passed with a broken {rel}:\n{out}");
        assert!(
            out.contains(want),
            "the failure does not mention `{want}`:\n{out}"
        );
        std::fs::write(&path, original).unwrap();
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

#[test]
fn every_check_fails_on_a_broken_file() {
    let s = Scratch::new();
    let (ok, out) = s.check();
    assert!(ok, "the unbroken tree does not pass:\n{out}");

    // 1. Syntax: an unbalanced brace, and a missing semicolon.
    s.breaks(
        "sdk-dart/lib/src/cursor.dart",
        |t| {
            t.replacen(
                "extends Iterable<NookEntry> {",
                "extends Iterable<NookEntry> {{",
                1,
            )
        },
        "sdk-dart/lib/src/cursor.dart",
    );
    s.breaks(
        "sdk-dart/lib/src/cursor.dart",
        |t| t.replacen("_pos = valueAt + valueLen;", "_pos = valueAt + valueLen", 1),
        "lib/src/cursor.dart:",
    );
    // 2. An import of a package the pubspec does not declare.
    s.breaks(
        "sdk-dart/lib/src/cbor.dart",
        |t| {
            t.replacen(
                "import 'errors.dart';",
                "import 'errors.dart';\nimport 'package:meta/meta.dart';",
                1,
            )
        },
        "package:meta",
    );
    // 3. Freshness: the header gains a function the bindings lack.
    s.breaks(
        "abi/include/nook.h",
        |t| {
            t.replacen(
                "int32_t nook_buffer_close(uint64_t buffer);",
                "int32_t nook_buffer_close(uint64_t buffer);\nint32_t nook_new_thing(uint64_t db);",
                1,
            )
        },
        "nook_new_thing: no @Native binding",
    );
    // 4. A binding whose native signature differs from the header.
    s.breaks(
        "sdk-dart/lib/src/bindings.g.dart",
        |t| {
            let at = t.find("(symbol: 'nook_get')").unwrap();
            let start = t[..at].rfind("@ffi.Native<").unwrap();
            let fixed = t[start..at].replacen(
                "ffi.Size, ffi.Pointer<ffi.Uint8>, ffi.Size",
                "ffi.Uint32, ffi.Pointer<ffi.Uint8>, ffi.Size",
                1,
            );
            format!("{}{}{}", &t[..start], fixed, &t[at..])
        },
        "nook_get: @Native<",
    );
    // 5. SDK code that calls a binding the header does not have.
    s.breaks(
        "sdk-dart/lib/src/calls.dart",
        |t| t.replacen("bindings.nookCount(", "bindings.nookCountKeys(", 1),
        "`nookCountKeys` is not declared",
    );
    // 6. An error class whose code differs from spec/errors.toml.
    s.breaks(
        "sdk-dart/lib/src/errors.g.dart",
        |t| {
            t.replacen(
                "super._(11, 'BUSY', message, osErrorCode)",
                "super._(111, 'BUSY', message, osErrorCode)",
                1,
            )
        },
        "BusyException has (111, BUSY)",
    );
    // 7. nook.h and spec/errors.toml disagree on a status code.
    s.breaks(
        "abi/include/nook.h",
        |t| t.replacen("#define NOOK_BUSY 11", "#define NOOK_BUSY 12", 1),
        "NOOK_BUSY is 12 in nook.h",
    );
    // 8. spec/errors.toml gains a code the Dart classes lack.
    s.breaks(
        "spec/errors.toml",
        |t| format!("{t}\n[[error]]\ncode = 18\nname = \"NEW_CODE\"\nsince = \"1.1\"\nmeaning = \"New.\"\n"),
        "no class NewCodeException",
    );

    let (ok, out) = s.check();
    assert!(ok, "the check fails after every file was restored:\n{out}");
}

#[test]
fn generate_check_fails_only_when_stale() {
    let s = Scratch::new();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_nook-dart-tool"))
            .arg("--root")
            .arg(&s.root)
            .args(args)
            .output()
            .unwrap()
    };
    assert!(run(&["generate", "--check"]).status.success());
    let path = s.root.join("sdk-dart/lib/src/errors.g.dart");
    let original = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{original}\n// edited by hand\n")).unwrap();
    let out = run(&["generate", "--check"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("errors.g.dart is stale"));
    assert!(run(&["generate"]).status.success());
    assert!(run(&["generate", "--check"]).status.success());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), original);
}
