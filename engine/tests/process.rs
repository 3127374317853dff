//! Real processes and real files: a second process is refused with LOCKED at
//! once, and a writer killed with SIGKILL at a random instant loses no
//! acknowledged commit.
//!
//! The child processes are this test binary run again with NOOK_TEST_CHILD set.

use nookdb::{Database, ErrorKind};
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

fn child_role() -> Option<(String, String)> {
    let role = std::env::var("NOOK_TEST_CHILD").ok()?;
    let path = std::env::var("NOOK_TEST_PATH").ok()?;
    Some((role, path))
}

fn spawn(role: &str, path: &std::path::Path, test: &str) -> std::process::Child {
    nook_testkit::self_command()
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env("NOOK_TEST_CHILD", role)
        .env("NOOK_TEST_PATH", path)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

/// Child: writes commit after commit, printing the number of each one after
/// `commit` returned (that is, after it was acknowledged as durable).
fn writer_child(path: &str) {
    let db = Database::open(path).unwrap();
    let start = db.len();
    for i in start.. {
        let mut txn = db.begin_write().unwrap();
        for j in 0..20u64 {
            let key = format!("c{i}-{j}");
            let value = vec![0x58, 100]
                .into_iter()
                .chain(std::iter::repeat_n((i % 251) as u8, 100))
                .collect::<Vec<_>>();
            txn.put(key.as_bytes(), &value).unwrap();
        }
        txn.put(b"last", &cbor_u64(i)).unwrap();
        txn.commit().unwrap();
        println!("acked {i}");
    }
}

fn cbor_u64(n: u64) -> Vec<u8> {
    let mut v = vec![0x1b];
    v.extend_from_slice(&n.to_be_bytes());
    v
}

#[test]
fn sigkill_during_commits_loses_no_acknowledged_commit() {
    if let Some((role, path)) = child_role() {
        if role == "writer" {
            writer_child(&path);
        }
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kill.nook");
    let mut acked_total = 0u64;
    for round in 0..6u64 {
        let mut child = spawn(
            "writer",
            &path,
            "sigkill_during_commits_loses_no_acknowledged_commit",
        );
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let deadline = Instant::now() + Duration::from_millis(150 + round * 97);
        let mut last_acked: Option<u64> = None;
        while Instant::now() < deadline {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(n) = line.strip_prefix("acked ") {
                        last_acked = Some(n.parse().unwrap());
                    }
                }
                _ => break,
            }
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let db = Database::open(&path).unwrap();
        let report = db.check().unwrap();
        assert_eq!(report.leaked_pages, 0);
        if let Some(n) = last_acked {
            let last: u64 = db.get_value::<u64>(b"last").unwrap().unwrap();
            assert!(
                last >= n,
                "round {round}: commit {n} was acknowledged but the file ends at {last}"
            );
            for j in 0..20 {
                assert!(db.contains(format!("c{n}-{j}").as_bytes()).unwrap());
            }
            acked_total += 1;
        }
        // Whole transactions only: every commit has all 20 keys or none.
        let keys = db.len() - u64::from(db.contains(b"last").unwrap());
        assert_eq!(
            keys % 20,
            0,
            "round {round}: a partial transaction is visible"
        );
    }
    assert!(
        acked_total > 0,
        "no child acknowledged a commit before it was killed"
    );
}

#[test]
fn a_second_process_is_refused_with_locked_at_once() {
    if let Some((role, path)) = child_role() {
        if role == "opener" {
            let start = Instant::now();
            let err = Database::open(&path).expect_err("the second process must not open the file");
            assert_eq!(err.kind(), ErrorKind::Locked);
            assert!(
                err.message().contains("kill2.nook"),
                "the message names the file: {err}"
            );
            assert!(
                start.elapsed() < Duration::from_secs(2),
                "LOCKED must come at once"
            );
            println!("locked ok");
        }
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kill2.nook");
    let db = Database::open(&path).unwrap();
    db.put(b"k", &[0x01]).unwrap();
    let out = spawn(
        "opener",
        &path,
        "a_second_process_is_refused_with_locked_at_once",
    )
    .wait_with_output()
    .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("locked ok"));
    drop(db);
    // Once the holder is gone, the file opens again.
    assert_eq!(
        Database::open(&path).unwrap().get(b"k").unwrap(),
        Some(vec![0x01])
    );
}

#[test]
fn a_relaxed_commit_is_durable_about_a_second_later_without_another_commit() {
    if let Some((role, path)) = child_role() {
        if role == "relaxed" {
            let options = nookdb::Options::new().durability(nookdb::Durability::Relaxed);
            let db = Database::open_with(&path, &options).unwrap();
            db.put(b"once", &[0x01]).unwrap();
            println!("committed");
            // Idle, as an app does after one write, until killed.
            std::thread::sleep(Duration::from_secs(60));
        }
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("relaxed.nook");
    drop(Database::open(&path).unwrap()); // the file exists before the child starts
    let mut child = spawn(
        "relaxed",
        &path,
        "a_relaxed_commit_is_durable_about_a_second_later_without_another_commit",
    );
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert!(lines.any(|l| l.unwrap().contains("committed")));
    std::thread::sleep(Duration::from_millis(2500));
    child.kill().unwrap(); // SIGKILL: no close, no flush on the way out
    child.wait().unwrap();
    let db = Database::open(&path).unwrap();
    assert_eq!(
        db.get(b"once").unwrap(),
        Some(vec![0x01]),
        "the relaxed commit was not made durable within a second"
    );
    assert!(db.check().is_ok());
}
