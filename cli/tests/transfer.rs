//! import and export: JSON lines and CBOR sequences, batching, bad rows.

mod support;
use support::*;

/// Every pair of `db` as sorted `KEYHEX\tVALUEHEX` lines: the exact bytes.
fn exact(db: &str) -> Vec<String> {
    sorted(run(&[db, "scan", "--hex-key", "--format", "hex"]).ok())
}

fn fill(db: &str) {
    let script =
        "put user:1 {\"name\": \"Ada\", \"born\": 1815}\nput big 18446744073709551615\nput f 0.1\n";
    run_with(&[db], script).ok();
    run(&[db, "--hex-key", "--cbor-hex", "put", "00ff", "43010203"]).ok(); // binary key, byte string
    run(&[db, "--cbor-hex", "put", "wide", "fb3ff8000000000000"]).ok(); // 1.5 as a double
    run(&[db, "--cbor-hex", "put", "indef", "9f0102ff"]).ok();
}

#[test]
fn json_lines_export_then_import_gives_back_the_same_bytes() {
    let s = Scratch::new();
    let (a, b) = (s.path("a.nook"), s.path("b.nook"));
    fill(&a);
    let dump = run(&[&a, "export"]);
    let text = dump.ok();
    assert_eq!(text.lines().count(), 6);
    assert!(
        text.contains(r#"{"key":"user:1","value":{"name":"Ada","born":1815}}"#),
        "{text}"
    );
    assert!(
        text.contains(r#"{"key_hex":"00ff","value_hex":"43010203"}"#),
        "{text}"
    );
    assert!(
        text.contains(r#"{"key":"wide","value_hex":"fb3ff8000000000000"}"#),
        "{text}"
    );
    let file = s.path("dump.jsonl");
    write(&file, text);
    run(&[&b, "import", &file]).ok();
    assert_eq!(exact(&a), exact(&b));
    // Import from stdin too, into a third database.
    let c = s.path("c.nook");
    run_with(&[&c, "import", "-"], text).ok();
    assert_eq!(exact(&a), exact(&c));
}

#[test]
fn cbor_sequence_export_then_import_gives_back_the_same_bytes() {
    let s = Scratch::new();
    let (a, b) = (s.path("a.nook"), s.path("b.nook"));
    fill(&a);
    let file = s.path("dump.cbor");
    run(&[&a, "export", &file, "--cbor"]).ok();
    let bytes = std::fs::read(&file).unwrap();
    assert_eq!(bytes[0], 0x82, "each record is a 2-element array");
    run(&[&b, "import", &file, "--cbor"]).ok();
    assert_eq!(exact(&a), exact(&b));
    // A truncated sequence is refused at the broken record.
    write(&file, &bytes[..bytes.len() - 1]);
    let c = s.path("c.nook");
    let r = run(&[&c, "import", &file, "--cbor", "--batch-size", "1"]);
    r.fails(14, "INVALID_VALUE");
    assert!(r.stderr.contains("record 6"), "{r:?}");
    assert_eq!(run(&[&c, "count"]).ok(), "5");
}

#[test]
fn a_bad_row_keeps_whole_batches_only_and_says_where() {
    let s = Scratch::new();
    let db = s.db();
    let mut text = String::new();
    for i in 0..7 {
        text.push_str(&format!("{{\"key\": \"k{i}\", \"value\": {i}}}\n"));
    }
    text.push_str("{\"key\": \"k7\", \"value\": [1, }\n");
    text.push_str("{\"key\": \"k8\", \"value\": 8}\n");
    let file = s.path("rows.jsonl");
    write(&file, &text);
    let r = run(&[&db, "import", &file, "--batch-size", "3"]);
    r.fails(14, "INVALID_VALUE");
    assert!(r.stderr.contains("line 8"), "{r:?}");
    assert!(r.stderr.contains("6 rows were imported"), "{r:?}");
    assert_eq!(r.stderr.lines().count(), 1, "{r:?}");
    assert_eq!(
        sorted(run(&[&db, "keys"]).ok()),
        ["k0", "k1", "k2", "k3", "k4", "k5"]
    );
    // Rows refused by the engine (an empty key) are handled the same way.
    let db2 = s.path("two.nook");
    write(
        &file,
        "{\"key\":\"a\",\"value\":1}\n{\"key\":\"\",\"value\":1}\n",
    );
    run(&[&db2, "import", &file]).fails(13, "INVALID_ARGUMENT");
    assert_eq!(run(&[&db2, "count"]).ok(), "0");
}

#[test]
fn import_replaces_existing_keys_so_it_can_be_repeated() {
    let s = Scratch::new();
    let db = s.db();
    run(&[&db, "put", "a", "0"]).ok();
    let file = s.path("rows.jsonl");
    write(
        &file,
        "{\"key\":\"a\",\"value\":1}\n\n{\"key\":\"b\",\"value\":2}\n",
    );
    run(&[&db, "import", &file]).ok();
    let r = run(&[&db, "import", &file]);
    r.ok();
    // One summary line, and no progress bar when stderr is not a terminal.
    assert_eq!(r.stderr, "imported 2 rows in 1 transaction\n");
    assert_eq!(run(&[&db, "get", "a"]).ok(), "1");
    assert_eq!(run(&[&db, "count"]).ok(), "2");
}

#[test]
fn missing_files_and_batch_mode_output() {
    let s = Scratch::new();
    let db = s.db();
    run(&[&db, "import", &s.path("absent.jsonl")]).fails(19, "IO");
    run(&[&db, "export", &s.path("no/dir/out.jsonl")]).fails(19, "IO");
    let out = s.path("out.jsonl");
    let r = run_with(&[&db], &format!("put a 1\nexport {out}\nexport\n"));
    assert_eq!(r.ok(), "OK\nOK\n{\"key\":\"a\",\"value\":1}");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "{\"key\":\"a\",\"value\":1}\n"
    );
}

#[test]
fn export_inside_a_transaction_sees_its_writes() {
    let s = Scratch::new();
    let db = s.db();
    let r = run_with(
        &[&db],
        "put a 1\nbegin\nput b 2\ndelete a\nexport\nrollback\nexport\n",
    );
    assert_eq!(
        r.ok(),
        "OK\nOK\nOK\nOK\n{\"key\":\"b\",\"value\":2}\nOK\n{\"key\":\"a\",\"value\":1}"
    );
}

#[test]
fn cbor_import_accepts_text_keys_and_refuses_other_shapes() {
    let s = Scratch::new();
    let db = s.db();
    let file = s.path("in.cbor");
    // ["a", 1] with a text key, then [h'62', 2] with a byte string key.
    write(&file, [0x82, 0x61, b'a', 0x01, 0x82, 0x41, b'b', 0x02]);
    run(&[&db, "import", &file, "--cbor"]).ok();
    assert_eq!(sorted(run(&[&db, "scan"]).ok()), ["a\t1", "b\t2"]);
    // A map is not a record.
    write(&file, [0xa1, 0x61, b'k', 0x01]);
    let r = run(&[&db, "import", &file, "--cbor"]);
    r.fails(14, "INVALID_VALUE");
    assert!(r.stderr.contains("[key, value]"), "{r:?}");
}
