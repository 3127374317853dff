//! Files move between machines: a database written on one platform (say
//! little-endian x86-64) opens and reads correctly on another (big-endian
//! s390x), and the reverse. The format is defined byte by byte
//! (`spec/format.md`, little-endian fields), so this is the test that the
//! engine never writes or reads a field in native byte order.
//!
//! Driven by the environment, so the writer and the reader can be different
//! builds (see CONTRIBUTING.md, "Cross-endian file exchange"):
//! - `NOOK_EXCHANGE_WRITE=<dir>`: write the databases and `manifest.txt`
//!   (the expected contents) into `<dir>` (created, must be empty);
//! - `NOOK_EXCHANGE_READ=<dir>`: open the databases in `<dir>` and check them
//!   against its manifest;
//! - neither: both, in a temporary directory.
//!
//! The databases cover every on-disk structure: inline values, overflow
//! values and keys, enough keys for inner pages below the root, removed keys
//! (free pages in the queue), both durability modes, a non-default page size,
//! and a compacted file.

mod support;

use nookdb::{Database, Durability, Options, MAX_KEY_LEN};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use support::cbor_bytes;

const MANIFEST: &str = "manifest.txt";

struct Spec {
    file: &'static str,
    durability: Durability,
    page_size: u32,
    keys: u32,
    compact: bool,
}

const SPECS: [Spec; 3] = [
    Spec {
        file: "immediate-4k.nook",
        durability: Durability::Immediate,
        page_size: 4096,
        keys: 3000,
        compact: false,
    },
    Spec {
        file: "relaxed-16k.nook",
        durability: Durability::Relaxed,
        page_size: 16384,
        keys: 6000,
        compact: false,
    },
    Spec {
        file: "compacted-8k.nook",
        durability: Durability::Immediate,
        page_size: 8192,
        keys: 2000,
        compact: true,
    },
];

fn options(spec: &Spec) -> Options {
    Options::new()
        .durability(spec.durability)
        .page_size(spec.page_size)
}

/// The pairs a database ends with, and the keys it removed on the way.
type Contents = BTreeMap<Vec<u8>, Vec<u8>>;

/// Writes one database of `spec` into `dir`; returns what it holds and the
/// keys it removed.
fn write_one(dir: &Path, spec: &Spec) -> (Contents, Vec<Vec<u8>>) {
    let db = Database::open_with(dir.join(spec.file), &options(spec)).unwrap();
    let mut expected = Contents::new();
    let mut removed = Vec::new();
    let mut txn = db.begin_write().unwrap();
    for i in 0..spec.keys {
        let key = format!("key-{i:06}").into_bytes();
        // Mostly small inline values; every 97th overflows a leaf, every
        // 1000th spans many overflow pages.
        let len = match i {
            _ if i % 1000 == 7 => 300_000 + i as usize,
            _ if i % 97 == 3 => 3 * spec.page_size as usize + i as usize % 500,
            _ => (i as usize * 7) % 200,
        };
        let value = cbor_bytes(len, (i % 251) as u8);
        txn.put(&key, &value).unwrap();
        expected.insert(key, value);
        if i % 500 == 499 {
            txn.commit().unwrap();
            txn = db.begin_write().unwrap();
        }
    }
    // Keys too long for a leaf, and a key that is every byte value.
    for (n, len) in [(0u8, 1500), (1, MAX_KEY_LEN)] {
        let key = vec![b'L' ^ n; len];
        let value = cbor_bytes(40, n);
        txn.put(&key, &value).unwrap();
        expected.insert(key, value);
    }
    let every_byte: Vec<u8> = (0..=255u8).collect();
    txn.put(&every_byte, &[0x1b, 1, 2, 3, 4, 5, 6, 7, 8])
        .unwrap();
    expected.insert(every_byte, vec![0x1b, 1, 2, 3, 4, 5, 6, 7, 8]);
    txn.commit().unwrap();
    // Remove a third of the keys (big values among them) and rewrite some,
    // so the file has free pages queued for reuse.
    let mut txn = db.begin_write().unwrap();
    for i in (0..spec.keys).filter(|i| i % 3 == 1) {
        let key = format!("key-{i:06}").into_bytes();
        assert!(txn.delete(&key).unwrap());
        expected.remove(&key);
        removed.push(key);
    }
    for i in (0..spec.keys).filter(|i| i % 10 == 0 && i % 3 != 1) {
        let key = format!("key-{i:06}").into_bytes();
        let value = cbor_bytes(i as usize % 60, 0xee);
        txn.put(&key, &value).unwrap();
        expected.insert(key, value);
    }
    txn.commit().unwrap();
    if spec.compact {
        db.compact().unwrap();
        db.put(b"after-compact", &[0xf5]).unwrap();
        expected.insert(b"after-compact".to_vec(), vec![0xf5]);
    }
    db.sync().unwrap();
    (expected, removed)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// Writes every database and the manifest: one `db <file>` line, then a
/// `pair <key> <value>` line per pair and a `removed <key>` line per removed
/// key, in hex.
fn write_all(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    assert!(
        std::fs::read_dir(dir).unwrap().next().is_none(),
        "{} must be empty",
        dir.display()
    );
    let mut manifest = String::new();
    for spec in &SPECS {
        let (expected, removed) = write_one(dir, spec);
        let _ = writeln!(manifest, "db {}", spec.file);
        for (k, v) in &expected {
            let _ = writeln!(manifest, "pair {} {}", hex(k), hex(v));
        }
        for k in &removed {
            let _ = writeln!(manifest, "removed {}", hex(k));
        }
    }
    std::fs::write(dir.join(MANIFEST), manifest).unwrap();
}

struct Expected {
    file: String,
    pairs: Contents,
    removed: Vec<Vec<u8>>,
}

fn read_manifest(dir: &Path) -> Vec<Expected> {
    let text = std::fs::read_to_string(dir.join(MANIFEST)).unwrap();
    let mut dbs: Vec<Expected> = Vec::new();
    for line in text.lines() {
        let mut words = line.split(' ');
        match (words.next(), words.next(), words.next()) {
            (Some("db"), Some(file), None) => dbs.push(Expected {
                file: file.to_string(),
                pairs: Contents::new(),
                removed: Vec::new(),
            }),
            (Some("pair"), Some(k), Some(v)) => {
                dbs.last_mut().unwrap().pairs.insert(unhex(k), unhex(v));
            }
            (Some("removed"), Some(k), None) => dbs.last_mut().unwrap().removed.push(unhex(k)),
            _ => panic!("bad manifest line: {line:.80}"),
        }
    }
    assert_eq!(dbs.len(), SPECS.len(), "the manifest lists every database");
    dbs
}

/// Opens every database of `dir` and checks it against the manifest; returns
/// the number of checks made.
fn read_all(dir: &Path) -> u64 {
    let mut checks = 0u64;
    for expected in read_manifest(dir) {
        let path = dir.join(&expected.file);
        let file = &expected.file;
        // Read-only first: the file as the other platform left it.
        let db = Database::open_with(&path, &Options::new().read_only(true)).unwrap();
        let report = db.check().unwrap();
        assert_eq!(report.keys_checked, expected.pairs.len() as u64, "{file}");
        assert_eq!(report.leaked_pages, 0, "{file}");
        assert_eq!(db.len(), expected.pairs.len() as u64, "{file}");
        checks += 3;
        for (k, v) in &expected.pairs {
            assert_eq!(db.get(k).unwrap().as_ref(), Some(v), "{file}: {}", hex(k));
            checks += 1;
        }
        for k in &expected.removed {
            assert_eq!(db.get(k).unwrap(), None, "{file}: removed {}", hex(k));
            checks += 1;
        }
        let scanned: Contents = db.iter().unwrap().map(Result::unwrap).collect();
        assert!(scanned == expected.pairs, "{file}: a full scan");
        let prefixed = db.scan_prefix(b"key-0001").unwrap().count();
        let want = expected.pairs.keys().filter(|k| k.starts_with(b"key-0001"));
        assert_eq!(prefixed, want.count(), "{file}: a prefix scan");
        checks += 2;
        drop(db);
        // Then written here: a copy takes new pairs (reusing the other
        // platform's free pages), compacts and reopens.
        let copy = tempfile::tempdir().unwrap();
        let copy_path = copy.path().join(file);
        std::fs::copy(&path, &copy_path).unwrap();
        let db = Database::open(&copy_path).unwrap();
        db.put(b"written-here", &cbor_bytes(70_000, 1)).unwrap();
        db.delete(expected.pairs.keys().next().unwrap()).unwrap();
        db.compact().unwrap();
        drop(db);
        let db = Database::open(&copy_path).unwrap();
        assert_eq!(db.check().unwrap().leaked_pages, 0, "{file}: written here");
        assert_eq!(
            db.len(),
            expected.pairs.len() as u64,
            "{file}: written here"
        );
        assert_eq!(
            db.get(b"written-here").unwrap(),
            Some(cbor_bytes(70_000, 1)),
            "{file}: written here"
        );
        checks += 3;
    }
    checks
}

#[test]
fn files_open_and_read_on_another_platform() {
    let write = std::env::var_os("NOOK_EXCHANGE_WRITE");
    let read = std::env::var_os("NOOK_EXCHANGE_READ");
    if write.is_none() && read.is_none() {
        let dir = tempfile::tempdir().unwrap();
        write_all(dir.path());
        let checks = read_all(dir.path());
        eprintln!("exchange: wrote and read back, {checks} checks passed");
        return;
    }
    if let Some(dir) = write {
        write_all(Path::new(&dir));
        eprintln!("exchange: wrote {}", Path::new(&dir).display());
    }
    if let Some(dir) = read {
        let checks = read_all(Path::new(&dir));
        eprintln!(
            "exchange: read {}, {checks} checks passed",
            Path::new(&dir).display()
        );
    }
}
