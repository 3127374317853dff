//! Batch mode: commands from a non-terminal stdin, with the REPL's syntax.

mod support;
use support::*;

#[test]
fn writes_print_ok_reads_print_results_errors_go_to_stderr() {
    let s = Scratch::new();
    let db = s.db();
    let r = run_with(
        &[&db],
        "# a comment, then a blank line\n\nput a 1\nput \"b c\" {\"x\": [1, 2]}\nget \"b c\"\nget zz\ninsert a 2\ncount\nexists a\ndelete a\nkeys\n",
    );
    assert_eq!(
        r.lines(),
        ["OK", "OK", "{\"x\":[1,2]}", "2", "true", "OK", "b c"]
    );
    let errors: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(errors.len(), 2, "{r:?}");
    assert_eq!(
        errors[0],
        "error[NOT_FOUND]: line 6: the key does not exist"
    );
    assert!(
        errors[1].starts_with("error[ALREADY_EXISTS]: line 7: "),
        "{r:?}"
    );
    assert_eq!(r.code, 11, "the exit status is the first error's");
}

#[test]
fn bail_stops_at_the_first_error() {
    let s = Scratch::new();
    let db = s.db();
    let r = run_with(&[&db, "--bail"], "put a 1\ninsert a 2\nput b 2\n");
    assert_eq!(r.lines(), ["OK"]);
    r.fails(12, "ALREADY_EXISTS");
    assert_eq!(run(&[&db, "exists", "b"]).ok(), "false");
    // Without --bail the rest runs.
    let r = run_with(&[&db], "insert a 2\nput b 2\n");
    assert_eq!(r.lines(), ["OK"]);
    assert_eq!(r.code, 12);
    assert_eq!(run(&[&db, "get", "b"]).ok(), "2");
}

#[test]
fn values_continue_over_lines_while_brackets_are_open() {
    let s = Scratch::new();
    let db = s.db();
    let r = run_with(
        &[&db],
        "put doc {\n  \"name\": \"Ada\",\n  \"tags\": [\n    \"math\"\n  ]\n}\nget doc\n",
    );
    assert_eq!(r.ok(), "OK\n{\"name\":\"Ada\",\"tags\":[\"math\"]}");
    let r = run_with(&[&db], "put broken [1,\n2,\n");
    r.fails(14, "INVALID_VALUE");
    assert!(r.stderr.contains("line 1"), "{r:?}");
    assert_eq!(run(&[&db, "exists", "broken"]).ok(), "false");
}

#[test]
fn transactions_commit_roll_back_and_never_leak_at_the_end_of_input() {
    let s = Scratch::new();
    let db = s.db();
    let r = run_with(&[&db], "begin\nput a 1\nput b 2\ncount\ncommit\n");
    assert_eq!(r.ok(), "OK\nOK\nOK\n2\nOK");
    let r = run_with(&[&db], "begin\ndelete a\nexists a\nrollback\nexists a\n");
    assert_eq!(r.ok(), "OK\nOK\nfalse\nOK\ntrue");
    // Input that ends inside a transaction rolls it back and says so.
    let r = run_with(&[&db], "begin\nput c 3\n");
    r.fails(3, "ABORTED");
    assert_eq!(run(&[&db, "exists", "c"]).ok(), "false");
    // Transactions do not nest; commit needs one.
    let r = run_with(&[&db], "begin\nbegin\ncommit\ncommit\n");
    assert_eq!(r.lines(), ["OK", "OK"]);
    r.fails(2, "USAGE");
    assert_eq!(r.stderr.lines().count(), 2, "{r:?}");
}

#[test]
fn a_read_transaction_is_a_snapshot_that_refuses_writes() {
    let s = Scratch::new();
    let db = s.db();
    let r = run_with(&[&db], "put a 1\nbegin read\nput a 2\nget a\nrollback\n");
    assert_eq!(r.lines(), ["OK", "OK", "1", "OK"]);
    r.fails(20, "READ_ONLY");
    // A read transaction left open at the end loses nothing: not an error.
    let r = run_with(&[&db], "begin read\nget a\n");
    assert_eq!(r.ok(), "OK\n1");
}

#[test]
fn commands_that_cannot_run_in_batch_mode_say_why() {
    let s = Scratch::new();
    let db = s.db();
    let r = run_with(
        &[&db],
        "put a -\nimport -\nfrob\nget\nbegin\nimport x.jsonl\ncompact\ncheck\nbackup b.nook\nrollback\n",
    );
    assert_eq!(r.code, 2);
    let errors: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(errors.len(), 8, "{r:?}");
    assert!(
        errors.iter().all(|l| l.starts_with("error[USAGE]: line ")),
        "{r:?}"
    );
    assert!(errors[2].contains("unknown command \"frob\""), "{r:?}");
    assert!(errors[3].contains("type help get"), "{r:?}");
    assert!(errors[4].contains("inside a transaction"), "{r:?}");
}

#[test]
fn help_echo_and_exit() {
    let s = Scratch::new();
    let db = s.db();
    let r = run_with(
        &[&db],
        "help\nhelp scan\necho hello  there\nexit\nput never 1\n",
    );
    let out = r.ok();
    assert!(
        out.contains("Commands:") && out.contains("rollback"),
        "{out}"
    );
    assert!(out.contains("--prefix"), "{out}");
    assert!(out.contains("hello  there"), "{out}");
    assert!(!out.contains("OK"), "exit stops the batch: {out}");
    assert_eq!(run(&[&db, "exists", "never"]).ok(), "false");
}

#[test]
fn hex_keys_and_cbor_values_in_batch_mode() {
    let s = Scratch::new();
    let db = s.db();
    let r = run_with(
        &[&db, "--hex-key", "--cbor-hex", "--format", "hex"],
        "put 6b6579 182a\nget 6b6579\nput 00 \"\"\nput \"\" 01\nscan\n",
    );
    assert_eq!(r.lines(), ["OK", "182a", "6b6579\t182a"]);
    let errors: Vec<&str> = r.stderr.lines().collect();
    assert!(
        errors[0].starts_with("error[INVALID_VALUE]: line 3"),
        "{r:?}"
    );
    assert!(
        errors[1].starts_with("error[INVALID_ARGUMENT]: line 4"),
        "{r:?}"
    );
}

#[test]
fn crlf_line_ends_and_invalid_utf8_lines() {
    let s = Scratch::new();
    let db = s.db();
    let mut input = b"put a 1\r\nget a\r\nput \xff 2\nget a\n".to_vec();
    input.extend_from_slice(b"count\n");
    let r = run_bytes(&[&db], &input);
    assert_eq!(r.lines(), ["OK", "1", "1", "1"]);
    r.fails(13, "INVALID_ARGUMENT");
    assert!(
        r.stderr.contains("line 3: the line is not valid UTF-8"),
        "{r:?}"
    );
}

#[test]
fn stats_inside_a_write_transaction_shows_the_committed_state() {
    let s = Scratch::new();
    let db = s.db();
    let r = run_with(&[&db], "put a 1\nbegin\nput b 2\nstats\ncommit\n");
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("key_count 1"), "{r:?}");
}
