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

/// A crash state: its name, then the bytes at the path, `.compact-new` and
/// `.compact-old` (absent when `None`).
type CrashState<'a> = (
    &'a str,
    Option<&'a [u8]>,
    Option<&'a [u8]>,
    Option<&'a [u8]>,
);

/// `<file><suffix>` next to `path`.
fn sibling(path: &std::path::Path, suffix: &str) -> std::path::PathBuf {
    let mut name = path.file_name().unwrap().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

/// Compaction writes its copy at `<file>.compact-new`, then moves it over the
/// file in one rename, or, where an open file cannot be replaced (Windows on
/// FAT, shares, wine), in two: the old file to `<file>.compact-old`, then the
/// copy in. Every state a crash can leave on the way opens as one whole
/// database holding the data, and the leftovers go: a half-written copy
/// (crash while copying), no file at the path between the two renames (the
/// copy is complete there: it was synced first), the old file still aside
/// (crash before it was removed). Fails before the fix: between the renames,
/// open created a new, empty database at the path.
#[test]
fn a_crash_at_any_step_of_the_compaction_move_leaves_one_whole_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.nook");
    let db = Database::open(&path).unwrap();
    fill(&db, 300);
    let expected = contents(&db);
    drop(db);
    let old = std::fs::read(&path).unwrap();
    let db = Database::open(&path).unwrap();
    db.compact().unwrap();
    drop(db);
    let new = std::fs::read(&path).unwrap();
    assert!(
        new.len() < old.len(),
        "the test needs a compaction that shrinks"
    );
    let (new_name, old_name) = (
        sibling(&path, ".compact-new"),
        sibling(&path, ".compact-old"),
    );
    // (what the crash interrupted, at the path, at .compact-new, at .compact-old)
    let states: [CrashState; 5] = [
        (
            "copy half written",
            Some(&old),
            Some(&new[..new.len() / 2]),
            None,
        ),
        ("copy complete, not moved", Some(&old), Some(&new), None),
        ("between the two renames", None, Some(&new), Some(&old)),
        ("old file not yet removed", Some(&new), None, Some(&old)),
        ("copy removed by hand, old aside", None, None, Some(&old)),
    ];
    for read_only in [false, true] {
        for (state, at_path, at_new, at_old) in states {
            for (name, bytes) in [(&path, at_path), (&new_name, at_new), (&old_name, at_old)] {
                let _ = std::fs::remove_file(name);
                if let Some(bytes) = bytes {
                    std::fs::write(name, bytes).unwrap();
                }
            }
            let options = Options::new().read_only(read_only);
            let db =
                Database::open_with(&path, &options).unwrap_or_else(|e| panic!("{state}: {e}"));
            assert_eq!(contents(&db), expected, "{state}");
            db.check().unwrap();
            assert!(!old_name.exists(), "{state}: the old file is removed");
            if !read_only {
                // The next compaction is not stopped by a leftover copy.
                db.compact().unwrap_or_else(|e| panic!("{state}: {e}"));
                assert_eq!(contents(&db), expected, "{state}");
                let names = std::fs::read_dir(dir.path()).unwrap().count();
                assert_eq!(names, 1, "{state}: only the database is left");
            }
        }
    }
}

/// Between the two renames of another process's compaction, open must not
/// take the copy that process is still holding (and is about to move).
#[test]
fn open_between_the_renames_of_a_running_compaction_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.nook");
    drop(Database::open(&path).unwrap());
    let (new_name, old_name) = (
        sibling(&path, ".compact-new"),
        sibling(&path, ".compact-old"),
    );
    std::fs::rename(&path, &old_name).unwrap();
    let db = Database::open(&new_name).unwrap(); // holds the copy locked, as compaction does
    db.put(b"k", &[0x01]).unwrap();
    let err = Database::open(&path).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Locked, "{err}");
    assert!(old_name.exists() && new_name.exists() && !path.exists());
    drop(db);
    let db = Database::open(&path).unwrap();
    assert_eq!(db.get(b"k").unwrap(), Some(vec![0x01]));
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
