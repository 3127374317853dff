//! Behaviour a user relies on, through the public API, on files and in memory.

use nookdb::{Database, Durability, ErrorKind, Options, WriteBatch};

fn cbor_text(s: &str) -> Vec<u8> {
    let mut v = Vec::new();
    ciborium::into_writer(&s, &mut v).unwrap();
    v
}

#[test]
fn crud_and_errors() {
    for db in [
        Database::memory(),
        Database::open(tempfile::tempdir().unwrap().keep().join("a.nook")).unwrap(),
    ] {
        let v = cbor_text("hello");
        db.put(b"k1", &v).unwrap();
        assert_eq!(db.get(b"k1").unwrap(), Some(v.clone()));
        assert_eq!(
            db.insert(b"k1", &v).unwrap_err().kind(),
            ErrorKind::AlreadyExists
        );
        assert_eq!(
            db.update(b"nope", &v).unwrap_err().kind(),
            ErrorKind::NotFound
        );
        assert_eq!(
            db.put(b"", &v).unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
        assert_eq!(
            db.put(&[7u8; 4097], &v).unwrap_err().kind(),
            ErrorKind::KeyTooLarge
        );
        assert_eq!(
            db.put(b"k", &[0x18]).unwrap_err().kind(),
            ErrorKind::InvalidValue
        );
        assert_eq!(
            db.put(b"k", &[]).unwrap_err().kind(),
            ErrorKind::InvalidValue
        );
        assert!(db.contains(b"k1").unwrap());
        assert_eq!(db.len(), 1);
        assert!(db.delete(b"k1").unwrap());
        assert!(!db.delete(b"k1").unwrap());
        assert_eq!(db.len(), 0);
        db.check().unwrap();
    }
}

#[test]
fn many_keys_large_values_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.nook");
    let big: Vec<u8> = {
        let payload = vec![0xabu8; 200_000];
        let mut v = Vec::new();
        ciborium::into_writer(&serde_bytes_like(&payload), &mut v).unwrap();
        v
    };
    {
        let db = Database::open(&path).unwrap();
        let mut txn = db.begin_write().unwrap();
        for i in 0..20_000u32 {
            txn.put(
                format!("key-{i}").as_bytes(),
                &cbor_text(&format!("value-{i}")),
            )
            .unwrap();
        }
        txn.put(b"big", &big).unwrap();
        txn.put(&[b'L'; 4000], &big).unwrap();
        txn.commit().unwrap();
        let report = db.check().unwrap();
        assert_eq!(report.keys_checked, 20_002);
        assert_eq!(report.leaked_pages, 0);
    }
    let db = Database::open(&path).unwrap();
    assert_eq!(db.len(), 20_002);
    assert_eq!(db.get(b"key-777").unwrap(), Some(cbor_text("value-777")));
    assert_eq!(db.get(b"big").unwrap(), Some(big.clone()));
    assert_eq!(db.get(&[b'L'; 4000]).unwrap(), Some(big));
    assert_eq!(db.iter().unwrap().count(), 20_002);
    assert_eq!(db.scan_prefix(b"key-19").unwrap().count(), 1111);
    let mut txn = db.begin_write().unwrap();
    for i in 0..20_000u32 {
        assert!(txn.delete(format!("key-{i}").as_bytes()).unwrap());
    }
    txn.commit().unwrap();
    assert_eq!(db.len(), 2);
    let report = db.check().unwrap();
    assert_eq!(report.leaked_pages, 0);
}

fn serde_bytes_like(b: &[u8]) -> ciborium::Value {
    ciborium::Value::Bytes(b.to_vec())
}

#[test]
fn overwriting_does_not_grow_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("o.nook")).unwrap();
    let write_all = |round: u32| {
        let mut t = db.begin_write().unwrap();
        // NOOK_TEST_SCALE shrinks it on emulated targets (CONTRIBUTING.md).
        for i in 0..nook_testkit::scaled(100_000, 5_000) as u32 {
            t.put(
                format!("k{i}").as_bytes(),
                &cbor_text(&format!("round {round:03} {i}")), // fixed width: the data does not grow
            )
            .unwrap();
        }
        t.commit().unwrap();
    };
    for round in 0..3 {
        write_all(round);
    }
    let after_three = db.stats().unwrap().page_count;
    for round in 3..15 {
        write_all(round);
    }
    let after_fifteen = db.stats().unwrap().page_count;
    assert!(
        after_fifteen <= after_three + 8,
        "file grew from {after_three} to {after_fifteen} pages"
    );
    db.check().unwrap();
}

#[test]
fn snapshots_are_stable_and_rollback_discards() {
    let db = Database::memory();
    db.put(b"a", &[0x01]).unwrap();
    let snap = db.begin_read().unwrap();
    let mut w = db.begin_write().unwrap();
    w.put(b"a", &[0x02]).unwrap();
    w.put(b"b", &[0x03]).unwrap();
    assert_eq!(w.get(b"a").unwrap(), Some(vec![0x02]));
    assert_eq!(snap.get(b"a").unwrap(), Some(vec![0x01]));
    w.rollback();
    assert_eq!(db.get(b"b").unwrap(), None);
    let mut w = db.begin_write().unwrap();
    w.put(b"a", &[0x04]).unwrap();
    w.commit().unwrap();
    assert_eq!(snap.get(b"a").unwrap(), Some(vec![0x01]));
    assert_eq!(db.get(b"a").unwrap(), Some(vec![0x04]));
}

#[test]
fn second_process_style_lock_and_same_process_sharing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.nook");
    let a = Database::open(&path).unwrap();
    let b = Database::open(&path).unwrap();
    a.put(b"x", &[0x01]).unwrap();
    assert_eq!(b.get(b"x").unwrap(), Some(vec![0x01]));
    // A second open file description (as another process would have) is refused.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    assert!(!fs4::fs_std::FileExt::try_lock_exclusive(&file).unwrap());
}

#[test]
fn batches_relaxed_mode_and_group_commit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.nook");
    {
        let db =
            Database::open_with(&path, &Options::new().durability(Durability::Relaxed)).unwrap();
        let mut batch = WriteBatch::new();
        for i in 0..100u32 {
            batch.put(format!("b{i}").as_bytes(), &[0x01]);
        }
        batch.delete(b"b5");
        db.write_batch(&batch).unwrap();
        assert_eq!(db.len(), 99);
        std::thread::scope(|s| {
            for t in 0..8 {
                let db = db.clone();
                s.spawn(move || {
                    for i in 0..200u32 {
                        db.put(format!("t{t}-{i}").as_bytes(), &[0x02]).unwrap();
                    }
                });
            }
        });
        assert_eq!(db.len(), 99 + 1600);
    }
    let db = Database::open(&path).unwrap();
    assert_eq!(
        db.len(),
        1699,
        "closing a relaxed database makes its commits durable"
    );
    assert_eq!(db.check().unwrap().leaked_pages, 0);
}

#[test]
fn compact_and_backup() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.nook");
    let db = Database::open(&path).unwrap();
    let mut t = db.begin_write().unwrap();
    for i in 0..20_000u32 {
        t.put(format!("k{i}").as_bytes(), &cbor_text("some value text"))
            .unwrap();
    }
    t.commit().unwrap();
    let mut t = db.begin_write().unwrap();
    for i in 0..19_000u32 {
        t.delete(format!("k{i}").as_bytes()).unwrap();
    }
    t.commit().unwrap();
    let old = db.begin_read().unwrap();
    let report = db.compact().unwrap();
    assert!(report.size_after < report.size_before / 4, "{report:?}");
    assert_eq!(db.len(), 1000);
    assert_eq!(old.len(), 1000);
    db.put(b"after", &[0x01]).unwrap();
    db.check().unwrap();
    db.backup(dir.path().join("copy.nook")).unwrap();
    assert_eq!(
        db.backup(dir.path().join("copy.nook")).unwrap_err().kind(),
        ErrorKind::AlreadyExists
    );
    drop(db);
    drop(old);
    let copy = Database::open(dir.path().join("copy.nook")).unwrap();
    assert_eq!(copy.len(), 1001);
    let db = Database::open(&path).unwrap();
    assert_eq!(db.get(b"after").unwrap(), Some(vec![0x01]));
}

#[test]
fn maintenance_with_an_open_write_transaction_never_deadlocks() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("m.nook")).unwrap();
    db.put(b"a", &[0x01]).unwrap();
    let mut txn = db.begin_write().unwrap();
    txn.put(b"b", &[0x02]).unwrap();
    // Same thread, writer slot taken: check and stats work on a snapshot...
    assert_eq!(db.check().unwrap().keys_checked, 1);
    assert_eq!(db.stats().unwrap().key_count, 1);
    // ...and what needs the writer says BUSY instead of hanging.
    assert_eq!(
        db.try_begin_write(std::time::Duration::from_millis(10))
            .err()
            .unwrap()
            .kind(),
        ErrorKind::Busy
    );
    assert_eq!(db.compact().unwrap_err().kind(), ErrorKind::Busy);
    txn.commit().unwrap();
    db.compact().unwrap();
    assert_eq!(db.len(), 2);
}

#[test]
fn dropping_the_last_handle_before_a_write_transaction_does_not_hang() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("order.nook");
    let (done, finished) = std::sync::mpsc::channel();
    let p = path.clone();
    std::thread::spawn(move || {
        let db = Database::open(&p).unwrap();
        db.put(b"kept", &[0x01]).unwrap();
        let mut txn = db.begin_write().unwrap();
        txn.put(b"dropped", &[0x02]).unwrap();
        drop(db); // the transaction is now the last owner
        drop(txn); // rolls back, then closes the database
        done.send(()).unwrap();
    });
    finished
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("closing through a transaction's drop hung");
    let db = Database::open(&path).unwrap();
    assert_eq!(db.get(b"kept").unwrap(), Some(vec![0x01]));
    assert_eq!(db.get(b"dropped").unwrap(), None);
}
