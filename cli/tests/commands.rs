//! The binary's commands and options, one command per run, and their exit codes.

mod support;
use support::*;

#[test]
fn put_then_get_in_every_format() {
    let s = Scratch::new();
    let db = s.db();
    assert_eq!(
        run(&[&db, "put", "user:1", r#"{"name": "Ada", "born": 1815}"#]).ok(),
        ""
    );
    assert_eq!(
        run(&[&db, "get", "user:1"]).ok(),
        r#"{"name":"Ada","born":1815}"#
    );
    assert_eq!(
        run(&[&db, "get", "user:1", "--format", "pretty"]).ok(),
        "{\n  \"name\": \"Ada\",\n  \"born\": 1815\n}"
    );
    assert_eq!(
        run(&[&db, "--format", "diag", "get", "user:1"]).ok(),
        r#"{"name": "Ada", "born": 1815}"#
    );
    assert_eq!(
        run(&[&db, "get", "user:1", "--format", "hex"]).ok(),
        "a2646e616d656341646164626f726e190717"
    );
    run(&[&db, "get", "user:1", "--format", "yaml"]).fails(2, "USAGE");
}

#[test]
fn integers_cover_the_full_64_bit_range_and_floats_stay_floats() {
    let s = Scratch::new();
    let db = s.db();
    for (json, hex) in [
        ("18446744073709551615", "1bffffffffffffffff"),
        ("-18446744073709551616", "3bffffffffffffffff"),
        ("9223372036854775807", "1b7fffffffffffffff"),
        ("-1", "20"),
        ("1.5", "f93e00"),
        ("1.0", "f93c00"),
        ("0.1", "fb3fb999999999999a"),
        ("\"text\"", "6474657874"),
        ("[true, false, null]", "83f5f4f6"),
    ] {
        run(&[&db, "put", "n", json]).ok();
        assert_eq!(
            run(&[&db, "get", "n", "--format", "hex"]).ok(),
            hex,
            "{json}"
        );
        let back = run(&[&db, "get", "n"]);
        assert_eq!(back.ok(), json.replace(", ", ","), "{json}");
    }
    let r = run(&[&db, "put", "n", "18446744073709551616"]);
    r.fails(14, "INVALID_VALUE");
    assert!(r.stderr.contains("outside CBOR's range"), "{r:?}");
}

#[test]
fn insert_update_delete_and_exists_follow_their_contracts() {
    let s = Scratch::new();
    let db = s.db();
    run(&[&db, "insert", "k", "1"]).ok();
    run(&[&db, "insert", "k", "2"]).fails(12, "ALREADY_EXISTS");
    assert_eq!(run(&[&db, "get", "k"]).ok(), "1");
    run(&[&db, "update", "absent", "1"]).fails(11, "NOT_FOUND");
    assert_eq!(run(&[&db, "exists", "absent"]).ok(), "false");
    run(&[&db, "update", "k", "3"]).ok();
    assert_eq!(run(&[&db, "get", "k"]).ok(), "3");
    assert_eq!(run(&[&db, "exists", "k"]).ok(), "true");
    run(&[&db, "delete", "k"]).ok();
    run(&[&db, "delete", "k"]).fails(11, "NOT_FOUND");
    run(&[&db, "get", "k"]).fails(11, "NOT_FOUND");
    assert_eq!(run(&[&db, "count"]).ok(), "0");
}

#[test]
fn keys_and_scan_list_everything_or_a_prefix() {
    let s = Scratch::new();
    let db = s.db();
    for (k, v) in [("user:1", "1"), ("user:2", "[2]"), ("item:1", "\"x\"")] {
        run(&[&db, "put", k, v]).ok();
    }
    assert_eq!(run(&[&db, "count"]).ok(), "3");
    assert_eq!(
        sorted(run(&[&db, "keys"]).ok()),
        ["item:1", "user:1", "user:2"]
    );
    assert_eq!(
        sorted(run(&[&db, "keys", "--prefix", "user:"]).ok()),
        ["user:1", "user:2"]
    );
    assert_eq!(
        sorted(run(&[&db, "scan", "--prefix", "user:"]).ok()),
        ["user:1\t1", "user:2\t[2]"]
    );
    assert_eq!(run(&[&db, "keys", "--prefix", "none"]).ok(), "");
    assert_eq!(
        sorted(
            run(&[
                &db,
                "scan",
                "--format",
                "hex",
                "--hex-key",
                "--prefix",
                "6974"
            ])
            .ok()
        ),
        ["6974656d3a31\t6178"]
    );
}

#[test]
fn binary_keys_and_cbor_values_print_in_diagnostic_notation() {
    let s = Scratch::new();
    let db = s.db();
    run(&[&db, "--hex-key", "put", "00ff", "1"]).ok();
    assert_eq!(run(&[&db, "keys"]).ok(), "h'00ff'");
    assert_eq!(run(&[&db, "keys", "--hex-key"]).ok(), "00ff");
    run(&[&db, "--hex-key", "get", "0g"]).fails(13, "INVALID_ARGUMENT");
    // A byte string, a tag, a map with an integer key: JSON cannot show them.
    run(&[&db, "put", "b", "43010203", "--cbor-hex"]).ok();
    assert_eq!(run(&[&db, "get", "b"]).ok(), "h'010203'");
    run(&[&db, "put", "t", "c11a514b67b0", "--cbor-hex"]).ok();
    assert_eq!(run(&[&db, "get", "t"]).ok(), "1(1363896240)");
    run(&[&db, "put", "m", "a10161", "--cbor-hex"]).fails(14, "INVALID_VALUE");
    run(&[&db, "get", "m"]).fails(11, "NOT_FOUND");
    run(&[&db, "put", "m", "a1016161", "--cbor-hex"]).ok();
    assert_eq!(run(&[&db, "get", "m"]).ok(), "{1: \"a\"}");
    assert_eq!(
        run(&[&db, "get", "m", "--format", "pretty"]).ok(),
        "{\n  1: \"a\"\n}"
    );
    run(&[&db, "put", "u", "f7", "--cbor-hex"]).ok();
    assert_eq!(run(&[&db, "get", "u"]).ok(), "undefined");
    run(&[&db, "put", "bad", "0102", "--cbor-hex"]).fails(14, "INVALID_VALUE");
    assert_eq!(run(&[&db, "exists", "bad"]).ok(), "false");
}

#[test]
fn values_come_from_stdin_or_a_file() {
    let s = Scratch::new();
    let db = s.db();
    assert_eq!(
        run_with(&[&db, "put", "a", "-"], "{\"from\":\n \"stdin\"}\n").ok(),
        ""
    );
    assert_eq!(run(&[&db, "get", "a"]).ok(), r#"{"from":"stdin"}"#);
    let file = s.path("value.json");
    write(&file, "[1, 2, 3]\n");
    run(&[&db, "put", "b", &format!("@{file}")]).ok();
    assert_eq!(run(&[&db, "get", "b"]).ok(), "[1,2,3]");
    let hex = s.path("value.hex");
    write(&hex, "43 01 02 03\n");
    run(&[&db, "put", "c", &format!("@{hex}"), "--cbor-hex"]).ok();
    assert_eq!(run(&[&db, "get", "c"]).ok(), "h'010203'");
    run(&[&db, "put", "d", &format!("@{}", s.path("missing"))]).fails(19, "IO");
}

#[test]
fn malformed_json_changes_nothing_and_says_where() {
    let s = Scratch::new();
    let db = s.db();
    run(&[&db, "put", "k", "1"]).ok();
    for bad in [
        r#"{"a": 1,}"#,
        "hello",
        "[1, 2",
        r#"{"a":1,"a":2}"#,
        "01",
        "",
    ] {
        let r = run(&[&db, "put", "k", bad]);
        r.fails(14, "INVALID_VALUE");
        assert!(
            r.stderr.contains("malformed JSON") || r.stderr.contains("empty"),
            "{r:?}"
        );
        assert_eq!(r.stderr.lines().count(), 1, "one line: {r:?}");
    }
    assert_eq!(run(&[&db, "get", "k"]).ok(), "1");
    assert_eq!(run(&[&db, "count"]).ok(), "1");
}

#[test]
fn usage_errors_exit_2_with_one_clear_line() {
    let s = Scratch::new();
    let db = s.db();
    let r = run(&[]);
    r.fails(2, "USAGE");
    let r = run(&[&db, "frobnicate"]);
    r.fails(2, "USAGE");
    assert!(r.stderr.contains("unknown command \"frobnicate\""), "{r:?}");
    run(&[&db, "get"]).fails(2, "USAGE");
    run(&[&db, "put", "k"]).fails(2, "USAGE");
    let r = run(&[&db, "get", "a", "b"]);
    r.fails(2, "USAGE");
    assert!(r.stderr.contains("unexpected argument 'b'"), "{r:?}");
    let r = run(&[&db, "--format", "hex", "frob"]);
    assert!(r.stderr.contains("unknown command \"frob\""), "{r:?}");
    run(&[&db, "import", "x", "--batch-size", "0"]).fails(2, "USAGE");
    run(&[&db, "--no-such-option", "count"]).fails(2, "USAGE");
}

#[test]
fn no_create_refuses_a_missing_file_and_read_only_refuses_writes() {
    let s = Scratch::new();
    let db = s.db();
    let r = run(&[&db, "--no-create", "count"]);
    r.fails(11, "NOT_FOUND");
    assert!(r.stderr.contains("--no-create"), "{r:?}");
    assert!(!std::path::Path::new(&db).exists());
    run(&[&db, "put", "k", "1"]).ok();
    run(&[&db, "--read-only", "put", "k", "2"]).fails(20, "READ_ONLY");
    assert_eq!(
        run(&[&db, "--read-only", "--no-create", "get", "k"]).ok(),
        "1"
    );
}

#[test]
fn a_damaged_file_is_corrupted_and_left_alone() {
    let s = Scratch::new();
    let db = s.db();
    let garbage: Vec<u8> = (0..20_000u32).map(|i| (i * 7 + 3) as u8).collect();
    write(&db, &garbage);
    let r = run(&[&db, "count"]);
    r.fails(18, "CORRUPTED");
    assert_eq!(r.stderr.lines().count(), 1, "{r:?}");
    run(&[&db, "put", "k", "1"]).fails(18, "CORRUPTED");
    assert_eq!(
        std::fs::read(&db).unwrap(),
        garbage,
        "the file must not be changed"
    );
}

#[test]
fn a_file_open_in_another_process_is_locked() {
    let s = Scratch::new();
    let db = s.db();
    run(&[&db, "put", "k", "1"]).ok();
    // A batch-mode nook holds the database open while its stdin stays open.
    let mut holder = command()
        .arg(&db)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = holder.stdin.take().unwrap();
    {
        use std::io::{BufRead, Write};
        writeln!(stdin, "echo ready").unwrap();
        let mut line = String::new();
        std::io::BufReader::new(holder.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line, "ready\n");
    }
    let r = run(&[&db, "get", "k"]);
    drop(stdin);
    holder.wait().unwrap();
    r.fails(17, "LOCKED");
    assert_eq!(run(&[&db, "get", "k"]).ok(), "1");
}

#[test]
fn keys_over_the_limit_are_refused() {
    let s = Scratch::new();
    let db = s.db();
    let key = "k".repeat(4097);
    run(&[&db, "put", &key, "1"]).fails(15, "KEY_TOO_LARGE");
    run(&[&db, "put", "", "1"]).fails(13, "INVALID_ARGUMENT");
}

#[test]
fn memory_databases_work_for_one_command() {
    assert_eq!(run(&[":memory:", "count"]).ok(), "0");
    assert_eq!(run_with(&[":memory:"], "put a 1\nget a\n").ok(), "OK\n1");
}

#[test]
fn check_stats_compact_and_backup() {
    let s = Scratch::new();
    let db = s.db();
    let script: String = (0..50).map(|i| format!("put k{i} {i}\n")).collect();
    run_with(&[&db], &script).ok();
    assert!(run(&[&db, "check"]).ok().starts_with("ok: 50 keys"));
    let stats = run(&[&db, "stats"]);
    assert!(stats.ok().lines().any(|l| l == "key_count 50"), "{stats:?}");
    assert!(run(&[&db, "compact"]).ok().starts_with("compacted: "));
    let copy = s.path("copy.nook");
    run(&[&db, "backup", &copy]).ok();
    assert_eq!(run(&[&copy, "count"]).ok(), "50");
    assert_eq!(run(&[&copy, "get", "k7"]).ok(), "7");
    run(&[&db, "backup", &s.path("no/such/dir/x.nook")]).fails(19, "IO");
}

#[test]
fn help_explains_commands_formats_and_exit_codes() {
    let help = run(&["--help"]);
    let text = help.ok();
    for needle in [
        "Exit status:",
        "NOT_FOUND",
        "LOCKED",
        "--format",
        "batch mode",
        "Examples:",
        "import",
        "backup",
    ] {
        assert!(text.contains(needle), "--help lacks {needle:?}");
    }
    let put = run(&["help", "put"]);
    assert!(put.ok().contains("Examples:"), "{put:?}");
    assert!(run(&["help", "begin"]).ok().contains("commit"));
    assert!(run(&["help"]).ok().contains("Exit status:"));
    run(&["help", "nope"]).fails(2, "USAGE");
    assert!(run(&["--version"]).ok().starts_with("nook "));
}

#[test]
fn closing_the_pipe_early_is_not_an_error() {
    let s = Scratch::new();
    let db = s.db();
    let mut script = String::from("begin\n");
    for i in 0..3000 {
        script.push_str(&format!("put key{i} {i}\n"));
    }
    script.push_str("commit\n");
    run_with(&[&db], &script).ok();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("'{NOOK}' '{db}' keys | head -1"))
        .env("NOOK_HISTORY", "")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

/// An I/O failure names the operating system's error code, so a user can
/// tell a full disk from a permission problem or a failing device.
#[test]
fn an_io_error_names_the_os_error_code() {
    let s = Scratch::new();
    let folder = s.path("folder");
    std::fs::create_dir(&folder).unwrap();
    let run = run(&[&folder, "get", "k"]);
    run.fails(19, "IO");
    assert!(
        run.stderr.contains("(os error 21)"),
        "EISDIR not named: {run:?}"
    );
}
