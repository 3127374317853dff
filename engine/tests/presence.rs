//! Presence checks (`contains`, `delete`, the refusals of `insert` and
//! `update`) must not read a large value: they learn whether the key exists
//! from its leaf entry, and freeing an overflow record reads only its index
//! pages. A backend that counts the bytes read shows it.

mod support;

use nookdb::{Database, ErrorKind, MemoryBackend, Options, StorageBackend};
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use support::cbor_bytes;

/// A memory backend that counts the bytes read through it.
struct CountingBackend {
    inner: MemoryBackend,
    bytes_read: Arc<AtomicU64>,
}

impl StorageBackend for CountingBackend {
    fn len(&self) -> io::Result<u64> {
        self.inner.len()
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        self.bytes_read
            .fetch_add(buf.len() as u64, Ordering::Relaxed);
        self.inner.read_at(offset, buf)
    }
    fn write_at(&self, offset: u64, buf: &[u8]) -> io::Result<()> {
        self.inner.write_at(offset, buf)
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        self.inner.set_len(len)
    }
    fn sync_data(&self) -> io::Result<()> {
        self.inner.sync_data()
    }
}

const BIG: usize = 8 << 20;
/// A few index and leaf pages, far below the 8 MiB of the value.
const BUDGET: u64 = 64 << 10;

/// A database holding `big` (8 MiB value) under a short and under a long key
/// (a key too long for a leaf lives in the overflow record with the value),
/// and a counter of the bytes read from its backend.
fn database() -> (Database, Arc<AtomicU64>, Vec<Vec<u8>>) {
    let bytes_read = Arc::new(AtomicU64::new(0));
    let backend = CountingBackend {
        inner: MemoryBackend::new(),
        bytes_read: bytes_read.clone(),
    };
    let db = Database::open_backend(
        Box::new(backend),
        &Options::new().cache_size(64 << 10).create(true),
    )
    .unwrap();
    let keys = vec![b"big".to_vec(), vec![b'L'; 3000]];
    for key in &keys {
        db.put(key, &cbor_bytes(BIG, 0xab)).unwrap();
    }
    db.put(b"small", &[0x01]).unwrap();
    (db, bytes_read, keys)
}

/// Bytes read by `f`.
fn read_by(counter: &AtomicU64, f: impl FnOnce()) -> u64 {
    let before = counter.load(Ordering::Relaxed);
    f();
    counter.load(Ordering::Relaxed) - before
}

#[test]
fn contains_reads_no_value() {
    let (db, bytes_read, keys) = database();
    for key in &keys {
        let read = read_by(&bytes_read, || assert!(db.contains(key).unwrap()));
        assert!(read < BUDGET, "Database::contains read {read} bytes");
        let snapshot = db.begin_read().unwrap();
        let read = read_by(&bytes_read, || assert!(snapshot.contains(key).unwrap()));
        assert!(read < BUDGET, "ReadTxn::contains read {read} bytes");
        drop(snapshot);
        let txn = db.begin_write().unwrap();
        let read = read_by(&bytes_read, || assert!(txn.contains(key).unwrap()));
        assert!(read < BUDGET, "WriteTxn::contains read {read} bytes");
    }
}

#[test]
fn insert_refusal_reads_no_value() {
    let (db, bytes_read, keys) = database();
    for key in &keys {
        let read = read_by(&bytes_read, || {
            let err = db.insert(key, &[0x02]).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::AlreadyExists);
        });
        assert!(read < BUDGET, "a refused insert read {read} bytes");
    }
    // An update looks first too (and then replaces the value: freeing the
    // old record reads only its index pages).
    for key in &keys {
        let read = read_by(&bytes_read, || db.update(key, &[0x03]).unwrap());
        assert!(
            read < BUDGET,
            "an update of an 8 MiB value read {read} bytes"
        );
        assert_eq!(db.get(key).unwrap(), Some(vec![0x03]));
    }
    db.check().unwrap();
}

#[test]
fn delete_reads_no_value() {
    let (db, bytes_read, keys) = database();
    for key in &keys {
        let read = read_by(&bytes_read, || assert!(db.delete(key).unwrap()));
        assert!(
            read < BUDGET,
            "a delete of an 8 MiB value read {read} bytes"
        );
        assert!(!db.contains(key).unwrap());
    }
    let report = db.check().unwrap();
    assert_eq!(report.leaked_pages, 0);
    assert_eq!(db.len(), 1);
}
