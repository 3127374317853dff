//! The interactive REPL in a real pseudo-terminal: prompt, history,
//! completion, multi-line values, Ctrl-C and Ctrl-D.

mod support;
use rexpect::session::{spawn_command, PtySession};
use std::path::Path;
use support::*;

const UP: &str = "\x1b[A";

/// Starts the REPL on `db`, with its data directory (history) in `data`.
fn repl(db: &str, data: &Path) -> PtySession {
    let mut cmd = std::process::Command::new(NOOK);
    cmd.arg(db)
        .env("XDG_DATA_HOME", data)
        .env_remove("NOOK_HISTORY")
        .env("TERM", "xterm");
    let mut p = spawn_command(cmd, Some(10_000)).expect("spawn the REPL in a pty");
    p.exp_string("Type help for commands").unwrap();
    p.exp_string("test.nook> ").unwrap();
    p
}

/// Types `keys` without Enter.
fn type_keys(p: &mut PtySession, keys: &str) {
    p.send(keys).unwrap();
    p.flush().unwrap();
}

/// Sends a line, waits for `expect` in its output and then for the next
/// prompt (input typed before the editor is ready again may be dropped).
fn line(p: &mut PtySession, text: &str, expect: &str) {
    p.send_line(text).unwrap();
    output(p, expect);
    prompt(p);
}

/// Waits for an output line that starts with `start`.
fn output(p: &mut PtySession, start: &str) {
    p.exp_string(&format!("\r\n{start}")).unwrap();
}

/// Waits for a prompt, with or without an open transaction.
fn prompt(p: &mut PtySession) {
    p.exp_regex(r"test\.nook( \[[a-z ]+\])?> ").unwrap();
}

#[test]
fn prompt_shows_a_transaction_and_ctrl_d_rolls_it_back() {
    let s = Scratch::new();
    let db = s.db();
    let mut p = repl(&db, &s.root());
    line(&mut p, "put kept 1", "OK\r\n");
    p.send_line("begin").unwrap();
    p.exp_string("test.nook [txn]> ").unwrap();
    line(&mut p, "put pending 2", "OK\r\n");
    p.send_control('d').unwrap();
    p.exp_string("rolled back the open transaction").unwrap();
    p.exp_eof().unwrap();
    assert_eq!(run(&[&db, "exists", "pending"]).ok(), "false");
    assert_eq!(run(&[&db, "exists", "kept"]).ok(), "true");
}

#[test]
fn history_persists_in_the_data_directory() {
    let s = Scratch::new();
    let db = s.db();
    let mut p = repl(&db, &s.root());
    line(&mut p, "echo history-works", "history-works");
    line(&mut p, "count", "0\r\n");
    p.send_line("exit").unwrap();
    p.exp_eof().unwrap();
    let history = std::fs::read_to_string(s.root().join("nook").join("history")).unwrap();
    assert!(history.contains("echo history-works"), "{history}");
    // A new session recalls the lines with the Up arrow, newest first.
    let mut p = repl(&db, &s.root());
    type_keys(&mut p, UP);
    p.exp_string("exit").unwrap();
    type_keys(&mut p, UP);
    p.exp_string("count").unwrap();
    type_keys(&mut p, UP);
    p.exp_string("echo history-works").unwrap();
    type_keys(&mut p, "\r");
    output(&mut p, "history-works\r\n");
    prompt(&mut p);
    p.send_control('d').unwrap();
    p.exp_eof().unwrap();
}

#[test]
fn tab_completes_commands_and_keys() {
    let s = Scratch::new();
    let db = s.db();
    run(&[&db, "put", "user:alpha", r#"{"v": "completed"}"#]).ok();
    let mut p = repl(&db, &s.root());
    type_keys(&mut p, "cou\t");
    p.exp_string("count").unwrap();
    type_keys(&mut p, "\r");
    output(&mut p, "1\r\n");
    prompt(&mut p);
    type_keys(&mut p, "keys --pr\t");
    p.exp_string("--prefix").unwrap();
    type_keys(&mut p, "user:\r");
    output(&mut p, "user:alpha\r\n");
    prompt(&mut p);
    type_keys(&mut p, "get user:a\t");
    p.exp_string("user:alpha").unwrap();
    type_keys(&mut p, "\r");
    output(&mut p, r#"{"v":"completed"}"#);
    prompt(&mut p);
    p.send_control('d').unwrap();
    p.exp_eof().unwrap();
}

#[test]
fn values_continue_while_brackets_are_open() {
    let s = Scratch::new();
    let db = s.db();
    let mut p = repl(&db, &s.root());
    p.send_line(r#"put doc {"a":"#).unwrap();
    p.exp_string(r#"put doc {"a":"#).unwrap();
    p.send_line("  [1, 2],").unwrap();
    p.exp_string("[1, 2],").unwrap();
    p.send_line(r#"  "b": "x"}"#).unwrap();
    output(&mut p, "OK\r\n");
    prompt(&mut p);
    line(&mut p, "get doc", r#"{"a":[1,2],"b":"x"}"#);
    p.send_control('d').unwrap();
    p.exp_eof().unwrap();
}

#[test]
fn ctrl_c_cancels_the_line_and_errors_keep_the_repl_going() {
    let s = Scratch::new();
    let db = s.db();
    let mut p = repl(&db, &s.root());
    type_keys(&mut p, "put cancelled 1");
    p.exp_string("put cancelled 1").unwrap();
    p.send_control('c').unwrap();
    prompt(&mut p);
    line(&mut p, "exists cancelled", "false");
    line(
        &mut p,
        "get nothing",
        "error[NOT_FOUND]: the key does not exist",
    );
    line(&mut p, "frob", "error[USAGE]: unknown command \"frob\"");
    line(&mut p, "help", "Commands:");
    p.send_control('d').unwrap();
    p.exp_eof().unwrap();
}

#[test]
fn long_work_shows_a_progress_bar_on_a_terminal() {
    let s = Scratch::new();
    let db = s.db();
    let file = s.path("rows.jsonl");
    let rows: String = (0..3000)
        .map(|i| format!("{{\"key\":\"k{i}\",\"value\":{i}}}\n"))
        .collect();
    write(&file, rows);
    let mut cmd = std::process::Command::new(NOOK);
    cmd.args([db.as_str(), "import", file.as_str(), "--batch-size", "100"])
        .env("NOOK_HISTORY", "")
        .env("TERM", "xterm");
    let mut p = spawn_command(cmd, Some(20_000)).unwrap();
    p.exp_string("importing [").unwrap();
    p.exp_string("imported 3000 rows in 30 transactions")
        .unwrap();
    p.exp_eof().unwrap();
    // Piped, the same import prints only its summary (see tests/transfer.rs).
    assert_eq!(run(&[&db, "count"]).ok(), "3000");
}

#[test]
fn ctrl_c_stops_a_running_command_but_not_the_repl() {
    let s = Scratch::new();
    let db = s.db();
    let file = s.path("rows.jsonl");
    let rows: String = (0..20_000)
        .map(|i| format!("{{\"key\":\"k{i}\",\"value\":{i}}}\n"))
        .collect();
    write(&file, rows);
    let mut p = repl(&db, &s.root());
    p.send_line(&format!("import {file} --batch-size 10"))
        .unwrap();
    p.exp_string("importing [").unwrap();
    p.send_control('c').unwrap();
    p.exp_string("error[ABORTED]: import stopped: stopped by Ctrl-C")
        .unwrap();
    p.exp_string("Run the same import again to finish it")
        .unwrap();
    prompt(&mut p);
    // The REPL goes on, with whole batches only.
    p.send_line("count").unwrap();
    let (_, count) = p.exp_regex(r"\r\n\d+\r\n").unwrap();
    let count: usize = count.trim().parse().unwrap();
    assert!(count < 20_000 && count % 10 == 0, "{count}");
    prompt(&mut p);
    p.send_control('d').unwrap();
    p.exp_eof().unwrap();
}

#[test]
fn the_prompt_shows_read_only_and_read_transactions() {
    let s = Scratch::new();
    let db = s.db();
    run(&[&db, "put", "k", "1"]).ok();
    let mut cmd = std::process::Command::new(NOOK);
    cmd.args([db.as_str(), "--read-only"])
        .env("NOOK_HISTORY", "")
        .env("TERM", "xterm");
    let mut p = spawn_command(cmd, Some(10_000)).unwrap();
    p.exp_string("test.nook (read-only)> ").unwrap();
    p.send_line("begin read").unwrap();
    p.exp_string("test.nook (read-only) [read txn]> ").unwrap();
    p.send_line("put k 2").unwrap();
    p.exp_string("error[READ_ONLY]").unwrap();
    p.exp_string("[read txn]> ").unwrap();
    p.send_control('d').unwrap();
    p.exp_string("ended the open read transaction").unwrap();
    p.exp_eof().unwrap();
}
