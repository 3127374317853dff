//! Compaction and backup keep what users rely on: the transaction id never
//! goes backwards, the data stays where the user put it, and a failed
//! maintenance call leaves the database as it was.

mod support;

use nookdb::{Database, Durability, ErrorKind, Options};
use support::SimDisk;

fn txid(db: &Database) -> u64 {
    db.begin_read().unwrap().txid()
}

fn fill(db: &Database, commits: u32) {
    for i in 0..commits {
        db.put(format!("k{i}").as_bytes(), &[0x18, (i % 200) as u8 + 24])
            .unwrap();
    }
    for i in 0..commits / 2 {
        db.delete(format!("k{i}").as_bytes()).unwrap();
    }
}

/// Fails before the fix: compact restarted the file at txid 1 (50 → 1).
#[test]
fn compact_never_moves_the_transaction_id_backwards() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.nook");
    for durability in [Durability::Immediate, Durability::Relaxed] {
        let _ = std::fs::remove_file(&path);
        let opts = Options::new().durability(durability);
        let db = Database::open_with(&path, &opts).unwrap();
        fill(&db, 50);
        let before = txid(&db);
        assert_eq!(before, 75);
        db.compact().unwrap();
        assert_eq!(txid(&db), before, "{durability:?}: txid after compact");
        assert_eq!(db.stats().unwrap().txid, before);
        db.put(b"next", &[0x01]).unwrap();
        assert_eq!(txid(&db), before + 1);
        drop(db);
        let db = Database::open_with(&path, &opts).unwrap();
        assert_eq!(txid(&db), before + 1, "{durability:?}: txid after reopen");
        db.check().unwrap();
        assert_eq!(db.len(), 26);
    }
    // In memory too.
    let db = Database::memory();
    fill(&db, 40);
    let before = txid(&db);
    db.compact().unwrap();
    assert_eq!(txid(&db), before);
}

#[test]
fn a_backup_keeps_the_transaction_id() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("a.nook")).unwrap();
    fill(&db, 30);
    let copy_path = dir.path().join("b.nook");
    db.backup(&copy_path).unwrap();
    let copy = Database::open(&copy_path).unwrap();
    assert_eq!(txid(&copy), txid(&db));
    assert_eq!(copy.len(), db.len());
}

/// Fails before the fix: compact swapped a custom backend for a memory one,
/// so every later commit was lost when the database closed.
#[test]
fn compact_refuses_a_custom_backend_and_keeps_writing_to_it() {
    let disk = SimDisk::new();
    let db = Database::open_backend(disk.backend(), &Options::new()).unwrap();
    fill(&db, 10);
    let err = db.compact().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    db.put(b"after", &[0x01]).unwrap();
    drop(db);
    let db = Database::open_backend(disk.backend(), &Options::new()).unwrap();
    assert_eq!(db.get(b"after").unwrap(), Some(vec![0x01]));
    assert_eq!(db.len(), 6);
}

/// A compacted file is complete on disk before it replaces the old one: the
/// state read back by another open is the compacted one, and writes after
/// compact reach the file at the path, not an unlinked one.
#[test]
fn writes_after_compact_reach_the_file_at_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.nook");
    let db = Database::open(&path).unwrap();
    fill(&db, 200);
    let report = db.compact().unwrap();
    assert!(report.size_after <= report.size_before, "{report:?}");
    assert_eq!(
        std::fs::metadata(&path).unwrap().len(),
        report.size_after,
        "the file at the path is the compacted one"
    );
    for i in 0..50u32 {
        db.put(format!("after{i}").as_bytes(), &[0x01]).unwrap();
    }
    drop(db);
    let db = Database::open(&path).unwrap();
    assert_eq!(db.len(), 150);
    db.check().unwrap();
    // No temporary file is left behind.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

fn contents(db: &Database) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut pairs: Vec<_> = db.iter().unwrap().map(|r| r.unwrap()).collect();
    pairs.sort();
    pairs
}

/// Backups, and compaction, which writes its copy the same way before it
/// renames it into place: at every write and fsync of the copy an injected
/// fault (an I/O error, a full disk, a power cut) makes the call fail, never
/// return with an incomplete copy; without a fault, what is on stable storage
/// when the call returns is the whole state, with its transaction id.
#[test]
fn a_backup_is_durable_when_it_returns_and_every_io_failure_is_reported() {
    use support::Fault;
    let src = Database::memory();
    let mut txn = src.begin_write().unwrap();
    for i in 0..400u32 {
        let len = if i % 40 == 0 { 9000 } else { 30 };
        let mut value = vec![0x59, (len >> 8) as u8, len as u8]; // CBOR byte string
        value.extend(std::iter::repeat_n((i % 251) as u8, len));
        txn.put(format!("key-{i}").as_bytes(), &value).unwrap();
    }
    txn.commit().unwrap();
    for i in 0..100u32 {
        src.delete(format!("key-{i}").as_bytes()).unwrap();
    }
    let expected = contents(&src);

    let disk = SimDisk::new();
    disk.arm(None, false);
    src.backup_to(disk.backend()).unwrap();
    let total = disk.ops();
    let copy = Database::open_backend(
        SimDisk::from_image(disk.durable_image()).backend(),
        &Options::new(),
    )
    .unwrap();
    copy.check().unwrap();
    assert_eq!(contents(&copy), expected);
    assert_eq!(txid(&copy), txid(&src));
    assert_eq!(
        src.backup_to(disk.backend()).unwrap_err().kind(),
        ErrorKind::AlreadyExists
    );

    assert!(total > 10, "the backup made only {total} I/Os");
    for n in 1..=total {
        for fault in [Fault::Transient, Fault::DiskFull, Fault::PowerCut] {
            let disk = SimDisk::new();
            disk.arm(Some((n, fault)), false);
            let result = src.backup_to(disk.backend());
            // (The copy commits in relaxed mode, so a slow run may make one
            // more durable point, and a faster one fewer I/Os than `total`.)
            let fired = disk.faults_fired() > 0;
            assert_eq!(
                result.is_err(),
                fired,
                "{fault:?} at I/O {n}/{total} of the backup: fired {fired}, result {result:?}"
            );
        }
    }
    assert_eq!(contents(&src), expected, "the source is unchanged");
}
