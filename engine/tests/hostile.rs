//! Hostile files: pages that pass every checksum but whose fields are chosen
//! to make Nook allocate without bound, walk forever or spin. Each must give
//! `CORRUPTED` quickly and with little memory; `catch_unwind` cannot catch an
//! allocation failure or a hang, so an application embedding Nook would die.
//!
//! Every test runs its body in a child process (this test binary, re-run for
//! that one test) under an address-space limit and a time limit, so that an
//! abort, an out-of-memory or a hang fails the test instead of taking the
//! test runner down with it.
#![cfg(unix)]

mod support;

use nookdb::{Cursor, Database, ErrorKind, Options};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{get_u64, put_u64, reseal_page as reseal};

const PS: usize = 4096;
/// What a child may use: enough for any honest operation here.
const MEMORY_LIMIT_KIB: u64 = 3 << 20;
/// What a child may take: far more than any of these operations needs.
const TIME_LIMIT: Duration = Duration::from_secs(10);
const CHILD_ENV: &str = "NOOK_HOSTILE_CHILD";

/// Runs `body` in a child process limited to [`MEMORY_LIMIT_KIB`] of address
/// space and [`TIME_LIMIT`]; fails if it panics, aborts or runs out of time.
fn isolated(test_name: &str, body: impl FnOnce()) {
    if std::env::var_os(CHILD_ENV).is_some() {
        body();
        return;
    }
    let mut child = Command::new("sh")
        .arg("-c")
        // Where the limit cannot be set, the time limit still holds.
        .arg(format!(
            r#"ulimit -v {MEMORY_LIMIT_KIB} 2>/dev/null; exec "$0" "$@""#
        ))
        .args(nook_testkit::self_invocation())
        .args([test_name, "--exact", "--test-threads=1", "--nocapture"])
        .env(CHILD_ENV, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > TIME_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{test_name}: still running after {TIME_LIMIT:?} (a hang)");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = child.wait_with_output().unwrap();
    assert!(
        status.success(),
        "{test_name}: the child process failed ({status}):\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Page `id` of a file image.
fn page(image: &mut [u8], id: u64) -> &mut [u8] {
    let at = id as usize * PS;
    &mut image[at..at + PS]
}

/// A page image of `kind` with its id and txid filled in (checksum not yet).
fn new_page(kind: u8, id: u64) -> Vec<u8> {
    let mut p = vec![0u8; PS];
    p[8] = kind;
    put_u64(&mut p, 16, id);
    p
}

/// An inner page at `level` whose 512 slots all point to `child` with `depth`.
fn inner_page(id: u64, level: u8, child: u64, depth: u8) -> Vec<u8> {
    let mut p = new_page(1, id);
    p[9] = level;
    for i in 0..512 {
        p[32 + 6 * i..32 + 6 * i + 6].copy_from_slice(&child.to_le_bytes()[..6]);
        p[32 + 6 * 512 + i] = depth;
    }
    reseal(&mut p);
    p
}

/// Meta page fields (byte offsets).
const META_ROOT: usize = 32;
const META_PAGE_COUNT: usize = 48;
const META_FREE_HEAD: usize = 56;
const META_FREE_TAIL: usize = 64;

/// Changes the meta slots that hold a commit (kind byte 6) with `edit`, and
/// empties their manifests (which list the checksums of the pages the commit
/// wrote: a forger rewrites them too).
fn edit_metas(image: &mut [u8], edit: impl Fn(&mut [u8])) {
    for slot in [1, 2] {
        let p = page(image, slot);
        if p[8] == 6 {
            edit(p);
            p[76..80].fill(0);
            reseal(p);
        }
    }
}

/// The meta slot of the last commit.
fn newest_slot(image: &[u8]) -> u64 {
    let txid = |slot: usize| {
        let p = &image[slot * PS..(slot + 1) * PS];
        (p[8] == 6).then(|| get_u64(p, 24))
    };
    if txid(2) > txid(1) {
        2
    } else {
        1
    }
}

/// The image of a database file after `fill` ran on it.
fn image_after(fill: impl FnOnce(&Database)) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seed.nook");
    let db = Database::open(&path).unwrap();
    fill(&db);
    drop(db);
    std::fs::read(&path).unwrap()
}

fn open_image(image: Vec<u8>) -> nookdb::Result<Database> {
    Database::open_backend(
        Box::new(nookdb::MemoryBackend::from_bytes(image)),
        &Options::new().create(false).cache_size(1 << 20),
    )
}

fn open_path(path: &Path) -> nookdb::Result<Database> {
    Database::open_with(path, &Options::new().create(false))
}

fn assert_corrupted<T: std::fmt::Debug>(what: &str, result: nookdb::Result<T>) {
    match result {
        Err(e) => assert_eq!(e.kind(), ErrorKind::Corrupted, "{what}: {e}"),
        Ok(v) => panic!("{what}: accepted a hostile file ({v:?})"),
    }
}

/// Every way of reading and writing a database: each must report
/// `CORRUPTED` (and must return).
fn assert_every_operation_corrupted(db: &Database) {
    assert_corrupted("stats", db.stats());
    assert_corrupted("check", db.check());
    assert_corrupted(
        "iter",
        db.iter().unwrap().collect::<nookdb::Result<Vec<_>>>(),
    );
    let mut pairs = Vec::new();
    assert_corrupted(
        "a cursor step",
        db.begin_read()
            .unwrap()
            .next_batch(&mut Cursor::all(), 100, &mut pairs),
    );
    let dir = tempfile::tempdir().unwrap();
    assert_corrupted("backup", db.backup(dir.path().join("copy.nook")));
    if db.path().is_some() {
        assert_corrupted("compact", db.compact());
    } else {
        // An image in a custom backend has no file to compact into.
        assert_eq!(db.compact().unwrap_err().kind(), ErrorKind::InvalidArgument);
    }
}

/// A meta page counting 2^48 − 1 pages in a file of a few pages: `check`
/// asked for 32 TiB up front and aborted, and writes extended the (memory)
/// file to the claimed size. Open now compares the count with the file.
#[test]
fn a_page_count_beyond_the_file_is_corrupted_at_open() {
    isolated("a_page_count_beyond_the_file_is_corrupted_at_open", || {
        let mut image = image_after(|db| db.put(b"k", &[0x01]).unwrap());
        edit_metas(&mut image, |m| put_u64(m, META_PAGE_COUNT, (1 << 48) - 1));
        match open_image(image) {
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Corrupted, "{e}");
                assert!(e.message().contains("page count"), "{e}");
            }
            Ok(db) => {
                // What the code before the fix did with it.
                let _ = db.check();
                let _ = db.put(b"new", &[0x02]);
                panic!("a page count of 2^48 - 1 in a short file was accepted");
            }
        }
    });
}

/// Only the newest slot lies: open falls back to the previous commit.
#[test]
fn a_slot_with_an_impossible_page_count_is_skipped() {
    isolated("a_slot_with_an_impossible_page_count_is_skipped", || {
        let mut image = image_after(|db| {
            db.put(b"a", &[0x01]).unwrap();
            db.put(b"b", &[0x02]).unwrap();
        });
        let newest = newest_slot(&image);
        let p = page(&mut image, newest);
        put_u64(p, META_PAGE_COUNT, 1 << 40);
        reseal(p);
        let db = open_image(image).unwrap();
        assert_eq!(db.get(b"a").unwrap(), Some(vec![0x01]));
        assert_eq!(db.get(b"b").unwrap(), None, "the damaged newest commit");
        db.check().unwrap();
        db.put(b"c", &[0x03]).unwrap();
        db.check().unwrap();
    });
}

/// A transaction that allocates pages at the end of the file and frees them
/// before commit never writes them; the file must still reach the page count
/// its meta page records, or the stricter open would refuse an honest file.
#[test]
fn every_commit_leaves_the_file_as_long_as_its_page_count() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.nook");
    let db = Database::open(&path).unwrap();
    let stats = db.stats().unwrap();
    assert!(
        stats.file_size >= stats.page_count * stats.page_size as u64,
        "a new file: {stats:?}"
    );
    let mut t = db.begin_write().unwrap();
    for i in 0..3000u32 {
        t.put(format!("key {i}").as_bytes(), &[0x01]).unwrap();
    }
    for i in 0..3000u32 {
        t.delete(format!("key {i}").as_bytes()).unwrap();
    }
    t.commit().unwrap();
    let stats = db.stats().unwrap();
    assert!(
        stats.file_size >= stats.page_count * stats.page_size as u64,
        "after pages were allocated and freed in one transaction: {stats:?}"
    );
    drop(db);
    let db = open_path(&path).unwrap();
    db.check().unwrap();
    assert_eq!(db.len(), 0);
}

/// A trie whose inner nodes all point to the next one, down to level 6,
/// over one shared empty leaf: 7 pages that every per-page check accepts,
/// but 512^6 leaves for a walk. Scans, cursors, stats, backup and compact
/// walked them (a hang holding an epoch pin); each must now stop.
#[test]
fn a_trie_whose_nodes_share_children_is_corrupted_not_a_hang() {
    isolated(
        "a_trie_whose_nodes_share_children_is_corrupted_not_a_hang",
        || {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("dag.nook");
            let mut image = image_after(|_| {});
            // The empty database: root 3, empty leaf 4. Append inner nodes
            // at levels 0..=6, each pointing 512 times at the next.
            let first = 6;
            for level in 0..=6u8 {
                let id = first + level as u64;
                let child = if level == 6 { 4 } else { id + 1 };
                image.resize((id as usize + 1) * PS, 0);
                page(&mut image, id).copy_from_slice(&inner_page(id, level, child, 9));
            }
            let page_count = first + 7;
            image.resize(page_count as usize * PS, 0);
            edit_metas(&mut image, |m| {
                put_u64(m, META_ROOT, first);
                put_u64(m, META_PAGE_COUNT, page_count);
            });
            std::fs::write(&path, &image).unwrap();
            let db = open_path(&path).unwrap();
            assert_every_operation_corrupted(&db);
        },
    );
}

/// One leaf (holding a key) under both halves of the root: each range is
/// well formed, but a scan returned the key twice. Entries must route to the
/// range the walk reached their leaf from.
#[test]
fn a_leaf_under_two_ranges_is_corrupted_not_read_twice() {
    let mut image = image_after(|db| db.put(b"k", &[0x01]).unwrap());
    let newest = newest_slot(&image);
    let root = get_u64(page(&mut image, newest), META_ROOT);
    // The root's single leaf fills all 512 slots with depth 0; make it fill
    // each half with depth 1, both halves pointing to the same leaf.
    let p = page(&mut image, root);
    for i in 0..512 {
        p[32 + 6 * 512 + i] = 1;
    }
    reseal(p);
    edit_metas(&mut image, |_| {});
    let db = open_image(image).unwrap();
    assert_corrupted(
        "iter",
        db.iter().unwrap().collect::<nookdb::Result<Vec<_>>>(),
    );
    assert_corrupted("check", db.check());
}

/// The root points to itself: a walk that does not check levels never ends.
#[test]
fn an_inner_node_that_is_its_own_child_is_corrupted() {
    isolated("an_inner_node_that_is_its_own_child_is_corrupted", || {
        let mut image = image_after(|_| {});
        let root = get_u64(page(&mut image, 1), META_ROOT);
        page(&mut image, root).copy_from_slice(&inner_page(root, 0, root, 9));
        let db = open_image(image).unwrap();
        assert_every_operation_corrupted(&db);
        assert_corrupted("get", db.get(b"k"));
        assert_corrupted("put", db.put(b"k", &[0x01]));
    });
}

/// A free-list page at the head of the queue that links to itself, in a
/// (sparse) file large enough for its page count: the first write turned
/// round it `page_count` times, collecting every turn in memory, until out
/// of memory. The queue must be walked with its loops detected.
#[test]
fn a_free_list_page_linked_to_itself_is_corrupted_not_a_spin() {
    isolated(
        "a_free_list_page_linked_to_itself_is_corrupted_not_a_spin",
        || {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("loop.nook");
            let mut image = image_after(|_| {});
            // 2^30 pages (a 4 TiB sparse file).
            let page_count: u64 = 1 << 30;
            let (looping, tail) = (5u64, 6u64);
            image.resize(7 * PS, 0);
            let mut p = new_page(3, looping);
            put_u64(&mut p, 32, looping); // next: itself
            reseal(&mut p);
            page(&mut image, looping).copy_from_slice(&p);
            edit_metas(&mut image, |m| {
                put_u64(m, META_PAGE_COUNT, page_count);
                put_u64(m, META_FREE_HEAD, looping);
                put_u64(m, META_FREE_TAIL, tail);
            });
            std::fs::write(&path, &image).unwrap();
            let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
            file.set_len(page_count * PS as u64).unwrap();
            drop(file);
            let db = open_path(&path).unwrap();
            assert_corrupted("put", db.put(b"k", &[0x01]));
            assert_corrupted("check", db.check());
        },
    );
}

/// Found by the `forged_pages` fuzz target: a meta page counting 0 keys in a
/// database that holds some. Deleting one subtracted from 0 (a panic with
/// overflow checks, a count of 2^64 − 1 without); a count of 2^64 − 1 and
/// an insert overflowed the other way.
#[test]
fn a_key_count_the_index_contradicts_is_corrupted_not_an_overflow() {
    for (forged, what) in [(0u64, "delete"), (u64::MAX, "put")] {
        let mut image = image_after(|db| db.put(b"k", &[0x01]).unwrap());
        edit_metas(&mut image, |m| put_u64(m, 40, forged));
        let db = open_image(image).unwrap();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match what {
            "delete" => db.delete(b"k").map(|_| ()),
            _ => db.put(b"new", &[0x02]),
        }));
        let result =
            result.unwrap_or_else(|_| panic!("{what} with a key count of {forged} panicked"));
        assert_corrupted(what, result);
        assert_corrupted("check", db.check());
    }
}

/// Found by the `model` fuzz target. A crash kept a commit's meta page and
/// pages but not the file's extension to its page count: open rightly
/// ignores that slot. But the slot stayed on disk, and once a later write
/// extended the file (a commit cut short before its own meta page), the
/// ignored commit, which the reopened database had shown as absent, came
/// back. A writable open now erases a slot it rejects.
#[test]
fn a_rejected_commit_never_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.nook");
    drop(Database::open(&path).unwrap());
    let before = std::fs::read(&path).unwrap();
    let db = Database::open(&path).unwrap();
    db.put(b"lost", &[0x01]).unwrap();
    drop(db);
    let mut image = std::fs::read(&path).unwrap();
    // The commit's last page is its reserved queue tail, which it extended
    // the file to but never wrote: the crash lost that extension.
    assert!(image.len() > before.len());
    assert!(image[image.len() - PS..].iter().all(|&b| b == 0));
    image.truncate(image.len() - PS);
    std::fs::write(&path, &image).unwrap();
    let db = Database::open(&path).unwrap();
    assert_eq!(
        db.get(b"lost").unwrap(),
        None,
        "the commit's extension was lost"
    );
    drop(db);
    // A later commit extends the file, then the power is cut before its
    // meta page is written.
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len((image.len() + PS) as u64).unwrap();
    drop(file);
    let db = open_path(&path).unwrap();
    assert_eq!(
        db.get(b"lost").unwrap(),
        None,
        "a commit the database had shown as absent came back"
    );
    db.check().unwrap();
}
