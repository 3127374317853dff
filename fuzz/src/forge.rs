//! Forging checksum-valid pages: a deterministic sample database, edits to
//! its pages that re-seal every checksum (and the manifests that list them),
//! and a workout that uses the result in every way.
//!
//! A mutation of raw bytes dies at the first checksum; a forger recomputes
//! it, and that is what reaches the structure checks, walks and allocations.

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use nook_testkit::{cbor_bytes, get_u64, put_u64, reseal_header, reseal_page, SimDisk};
use nookdb::{Database, MemoryBackend, Options};
use std::sync::OnceLock;

pub const PAGE_SIZE: usize = 4096;
/// Where a meta page's manifest starts, and its entry count.
const MANIFEST_AT: usize = 96;
const MANIFEST_LEN_AT: usize = 76;

/// Recomputes the checksum of page `id` of `image` (page 0: the header's).
pub fn reseal(image: &mut [u8], id: usize) {
    let page = &mut image[id * PAGE_SIZE..(id + 1) * PAGE_SIZE];
    if id == 0 {
        reseal_header(page);
    } else {
        reseal_page(page);
    }
}

/// Rewrites the checksums the meta slots' manifests list, so that edited
/// pages do not merely make open fall back to the other slot.
pub fn reseal_manifests(image: &mut [u8]) {
    let pages = image.len() / PAGE_SIZE;
    for slot in [1, 2] {
        if pages <= slot || image[slot * PAGE_SIZE + 8] != 6 {
            continue;
        }
        let meta = slot * PAGE_SIZE;
        let count = u32::from_le_bytes(
            image[meta + MANIFEST_LEN_AT..meta + MANIFEST_LEN_AT + 4]
                .try_into()
                .unwrap(),
        ) as usize;
        for i in 0..count.min((PAGE_SIZE - MANIFEST_AT) / 16) {
            let at = meta + MANIFEST_AT + i * 16;
            let id = get_u64(image, at);
            if (id as usize) < pages {
                let sum = get_u64(image, id as usize * PAGE_SIZE);
                put_u64(image, at + 8, sum);
            }
        }
        reseal(image, slot);
    }
}

/// The sample database: inner nodes, leaves, overflow records (a long value
/// and a long key), a non-empty free-page queue, both meta slots in use. It
/// is the same in every run (fixed hash seed), so a crash reproduces.
pub fn sample_image() -> &'static [u8] {
    static IMAGE: OnceLock<Vec<u8>> = OnceLock::new();
    IMAGE.get_or_init(|| {
        // An empty database does not depend on its seed: fix the seed (and
        // the creation time) before any key is placed.
        let empty = SimDisk::new();
        drop(Database::open_backend(empty.backend(), &Options::new()).unwrap());
        let mut image = empty.live_image();
        image[16..40].fill(7);
        reseal(&mut image, 0);
        let disk = SimDisk::from_image(image);
        let db = Database::open_backend(disk.backend(), &Options::new().create(false)).unwrap();
        let mut t = db.begin_write().unwrap();
        for i in 0..700u32 {
            t.put(
                format!("key-{i}").as_bytes(),
                &cbor_bytes(i as usize % 90, i as u8),
            )
            .unwrap();
        }
        t.put(b"big", &cbor_bytes(20_000, 7)).unwrap();
        t.put(&[b'L'; 3000], &cbor_bytes(10, 1)).unwrap();
        t.commit().unwrap();
        let mut t = db.begin_write().unwrap();
        for i in 0..150u32 {
            t.delete(format!("key-{i}").as_bytes()).unwrap();
        }
        t.commit().unwrap();
        db.put(b"last", &cbor_bytes(3, 3)).unwrap();
        drop(db);
        disk.live_image()
    })
}

/// One change a forger makes to a page (page numbers and offsets are taken
/// modulo the file's page count and page size).
#[derive(Arbitrary, Debug)]
pub enum Edit {
    Byte {
        page: u16,
        at: u16,
        value: u8,
    },
    U16 {
        page: u16,
        at: u16,
        value: u16,
    },
    U32 {
        page: u16,
        at: u16,
        value: u32,
    },
    U64 {
        page: u16,
        at: u16,
        value: u64,
    },
    /// A page id of this file, as a trie slot (6 bytes) or elsewhere (8).
    PageId {
        page: u16,
        at: u16,
        target: u16,
        wide: bool,
    },
    /// A copy of another page, with its self id fixed.
    CopyPage {
        from: u16,
        to: u16,
    },
    /// Pages appended (zeros) or cut off the end.
    Resize {
        pages: i8,
    },
}

/// A forged database: edits, then checksums (and, unless told not to, the
/// manifests) re-sealed.
#[derive(Arbitrary, Debug)]
pub struct Forgery {
    pub edits: Vec<Edit>,
    pub leave_manifests: bool,
}

impl Forgery {
    pub fn apply(&self, base: &[u8]) -> Vec<u8> {
        let mut image = base.to_vec();
        for edit in self.edits.iter().take(64) {
            let pages = image.len() / PAGE_SIZE;
            if pages == 0 {
                break;
            }
            let page = |p: u16| p as usize % pages;
            let at = |a: u16, width: usize| a as usize % (PAGE_SIZE - width + 1);
            let mut write = |p: u16, a: u16, bytes: &[u8]| {
                let id = page(p);
                let offset = id * PAGE_SIZE + at(a, bytes.len());
                image[offset..offset + bytes.len()].copy_from_slice(bytes);
                reseal(&mut image, id);
            };
            match *edit {
                Edit::Byte { page, at, value } => write(page, at, &[value]),
                Edit::U16 { page, at, value } => write(page, at, &value.to_le_bytes()),
                Edit::U32 { page, at, value } => write(page, at, &value.to_le_bytes()),
                Edit::U64 { page, at, value } => write(page, at, &value.to_le_bytes()),
                Edit::PageId {
                    page,
                    at,
                    target,
                    wide,
                } => {
                    let id = (target as usize % pages) as u64;
                    let width = if wide { 8 } else { 6 };
                    write(page, at, &id.to_le_bytes()[..width]);
                }
                Edit::CopyPage { from, to } => {
                    let (from, to) = (page(from), page(to));
                    let src = image[from * PAGE_SIZE..(from + 1) * PAGE_SIZE].to_vec();
                    image[to * PAGE_SIZE..(to + 1) * PAGE_SIZE].copy_from_slice(&src);
                    if to != 0 {
                        put_u64(&mut image, to * PAGE_SIZE + 16, to as u64);
                    }
                    reseal(&mut image, to);
                }
                Edit::Resize { pages: delta } => {
                    let new = (pages as isize + delta as isize).clamp(0, pages as isize + 64);
                    image.resize(new as usize * PAGE_SIZE, 0);
                }
            }
        }
        if !self.leave_manifests {
            reseal_manifests(&mut image);
        }
        image
    }
}

/// Opens `image` and uses it in every way. Errors are fine; a panic, an
/// abort, a hang or a huge allocation is a bug. A file that `check` accepts
/// must also read consistently.
pub fn exercise(image: Vec<u8>) {
    let options = Options::new().create(false).cache_size(256 << 10);
    let Ok(db) = Database::open_backend(Box::new(MemoryBackend::from_bytes(image)), &options)
    else {
        return;
    };
    let _ = db.stats();
    let mut keys = Vec::new();
    if let Ok(iter) = db.iter() {
        for pair in iter.take(5_000) {
            let Ok((key, _)) = pair else { break };
            let _ = db.get(&key);
            keys.push(key);
        }
    }
    for probe in [&b"big"[..], b"last", b"key-500", b"absent", &[b'L'; 3000]] {
        let _ = db.get(probe);
        let _ = db.contains(probe);
    }
    let mut cursor = nookdb::Cursor::new(b"key-3");
    let mut out = Vec::new();
    if let Ok(txn) = db.begin_read() {
        let _ = txn.next_batch(&mut cursor, 7, &mut out);
        let _ = txn.next_batch(&mut cursor, 7, &mut out);
    }
    if db.check().is_ok() {
        assert_consistent(&db);
    }
    // Writes through every path: auto-commit, overflow, delete, a
    // transaction, a batch.
    let _ = db.put(b"new", &cbor_bytes(5, 1));
    let _ = db.put(b"new big", &cbor_bytes(9_000, 2));
    for key in keys.iter().take(20) {
        let _ = db.delete(key);
    }
    if let Ok(mut t) = db.begin_write() {
        for i in 0..50u32 {
            let _ = t.put(
                format!("txn-{i}").as_bytes(),
                &cbor_bytes(i as usize * 7, 3),
            );
        }
        let _ = t.delete(b"key-400");
        let _ = t.commit();
    }
    let mut batch = nookdb::WriteBatch::new();
    batch.put(b"batch", &cbor_bytes(1, 1)).delete(b"key-600");
    let _ = db.write_batch(&batch);
    let _ = db.compact();
    if db.check().is_ok() {
        assert_consistent(&db);
    }
}

/// A database that passed `check` reads every key it lists, once each, and
/// counts them right.
fn assert_consistent(db: &Database) {
    let pairs: Vec<_> = db
        .iter()
        .expect("begin a read")
        .collect::<nookdb::Result<_>>()
        .expect("check passed, so a scan must succeed");
    assert_eq!(
        pairs.len() as u64,
        db.len(),
        "check passed but the key count differs"
    );
    let mut keys: Vec<&[u8]> = pairs.iter().map(|(k, _)| k.as_slice()).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(
        keys.len(),
        pairs.len(),
        "check passed but a scan repeats a key"
    );
    for (key, value) in &pairs {
        assert_eq!(
            db.get(key)
                .expect("check passed, so a get must succeed")
                .as_ref(),
            Some(value),
            "check passed but get disagrees with the scan"
        );
    }
}
