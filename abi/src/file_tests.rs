//! Statuses that need a crafted file or a failing disk, reached through the C
//! entry points: INCOMPATIBLE for a file of another format version (the C
//! tests cannot forge one: the header carries an XXH3 checksum), and the
//! status of an I/O error repeated by a poisoned write transaction.

use crate::codes::*;
use crate::database::*;
use crate::failure::*;
use std::ptr::null_mut;

fn open(path: &std::path::Path, error: &mut u64) -> (i32, u64) {
    let path = path.to_str().unwrap().as_bytes();
    let mut db = 0;
    // SAFETY: every pointer is to a live local or slice, with its length.
    let status = unsafe {
        nook_open(
            path.as_ptr(),
            path.len(),
            NOOK_OPEN_CREATE,
            0,
            0,
            0,
            &mut db,
            error,
        )
    };
    (status, db)
}

fn message_of(error: u64) -> String {
    let mut buf = vec![0u8; 512];
    let mut len = 0;
    // SAFETY: every pointer is to a live local or slice, with its length.
    let status = unsafe { nook_error_message(error, buf.as_mut_ptr(), buf.len(), &mut len) };
    assert_eq!(status, NOOK_OK);
    buf.truncate(len);
    String::from_utf8(buf).unwrap()
}

/// Rewrites the format version in the file header (bytes 8..12) and seals
/// the header again (XXH3-64 of bytes 0..40 at 40..48), as a build of
/// another version would have written it.
fn set_format_version(path: &std::path::Path, version: u32) {
    let mut bytes = std::fs::read(path).unwrap();
    bytes[8..12].copy_from_slice(&version.to_le_bytes());
    let sum = xxhash_rust::xxh3::xxh3_64(&bytes[..40]);
    bytes[40..48].copy_from_slice(&sum.to_le_bytes());
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn another_format_version_is_incompatible_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.nook");
    let mut error = 0;
    let (status, db) = open(&path, &mut error);
    assert_eq!(status, NOOK_OK);
    // SAFETY: no pointer arguments.
    assert_eq!(unsafe { nook_close(db) }, NOOK_OK);

    for version in [1, engine::FORMAT_VERSION + 1] {
        set_format_version(&path, version);
        let before = std::fs::read(&path).unwrap();
        let (status, _) = open(&path, &mut error);
        assert_eq!(status, NOOK_INCOMPATIBLE, "format version {version}");
        let message = message_of(error);
        assert!(
            message.contains(&format!("format version {version}")),
            "{message}"
        );
        // SAFETY: no pointer arguments.
        assert_eq!(unsafe { nook_error_close(error) }, NOOK_OK);
        assert_eq!(
            std::fs::read(&path).unwrap(),
            before,
            "the file was changed"
        );
    }
}

/// A memory backend whose next `fail_reads` reads fail with EIO.
struct FlakyBackend {
    inner: engine::MemoryBackend,
    fail_reads: std::sync::Arc<std::sync::atomic::AtomicU32>,
}

impl engine::StorageBackend for FlakyBackend {
    fn len(&self) -> std::io::Result<u64> {
        self.inner.len()
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        use std::sync::atomic::Ordering;
        let failing = self
            .fail_reads
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        if failing.is_ok() {
            return Err(std::io::Error::other("simulated I/O error"));
        }
        self.inner.read_at(offset, buf)
    }
    fn write_at(&self, offset: u64, buf: &[u8]) -> std::io::Result<()> {
        self.inner.write_at(offset, buf)
    }
    fn set_len(&self, len: u64) -> std::io::Result<()> {
        self.inner.set_len(len)
    }
    fn sync_data(&self) -> std::io::Result<()> {
        self.inner.sync_data()
    }
}

/// A CBOR byte string of `len` bytes: large ones live in overflow records,
/// whose pages bypass the cache, so deleting one reads the backend.
fn cbor_bytes(len: usize) -> Vec<u8> {
    let mut v = vec![0x59, (len >> 8) as u8, len as u8];
    v.resize(3 + len, 0x07);
    v
}

fn get_status(target: u64, key: &[u8], error: &mut u64) -> i32 {
    let (mut buf, mut len) = (vec![0u8; 64 << 10], 0);
    // SAFETY: the arguments are live locals and valid handles, as the ABI contract asks.
    unsafe {
        crate::data::nook_get(
            target,
            key.as_ptr(),
            key.len(),
            buf.as_mut_ptr(),
            buf.len(),
            &mut len,
            error,
        )
    }
}

/// An I/O error inside a write transaction poisons its handle: every later
/// call and the commit return IO, and nothing of it is committed (section
/// 5.5 of spec/abi.md); the database handle goes on.
#[test]
fn a_failed_write_poisons_its_transaction_handle() {
    use crate::data::*;
    use crate::txn::*;
    let fail_reads = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let backend = FlakyBackend {
        inner: engine::MemoryBackend::new(),
        fail_reads: fail_reads.clone(),
    };
    let options = engine::Options::new().cache_size(64 << 10).create(true);
    let engine = engine::Database::open_backend(Box::new(backend), &options).unwrap();
    let object = crate::handles::Object::Database(std::sync::Arc::new(
        crate::objects::Database::new(engine, None),
    ));
    let db = crate::handles::insert(object).unwrap();
    let big = cbor_bytes(20_000);
    let mut error = 0;
    // SAFETY: the arguments are live locals and valid handles, as the ABI contract asks.
    let put = |target: u64, key: &[u8], value: &[u8], error: &mut u64| unsafe {
        nook_put(
            target,
            key.as_ptr(),
            key.len(),
            value.as_ptr(),
            value.len(),
            error,
        )
    };
    assert_eq!(put(db, b"big", &big, &mut error), NOOK_OK);

    for failing_call in ["delete", "write_batch"] {
        let mut txn = 0;
        assert_eq!(
            // SAFETY: the arguments are live locals and valid handles, as the ABI contract asks.
            unsafe { nook_begin_write(db, &mut txn, &mut error) },
            NOOK_OK
        );
        assert_eq!(put(txn, b"new", &[0x01], &mut error), NOOK_OK);
        // Fail the reads of the delete (the overflow record's index page is
        // never cached, so at least that read fails).
        fail_reads.store(u32::MAX, std::sync::atomic::Ordering::SeqCst);
        let status = match failing_call {
            // SAFETY: the arguments are live locals and valid handles, as the ABI contract asks.
            "delete" => unsafe { nook_delete(txn, b"big".as_ptr(), 3, null_mut(), &mut error) },
            _ => {
                let mut record = vec![NOOK_BATCH_DELETE, 3, 0, 0, 0, 0, 0, 0, 0];
                record.extend_from_slice(b"big");
                // SAFETY: the arguments are live locals and valid handles, as the ABI contract asks.
                unsafe { nook_write_batch(txn, record.as_ptr(), record.len(), &mut error) }
            }
        };
        fail_reads.store(0, std::sync::atomic::Ordering::SeqCst);
        assert_eq!(status, NOOK_IO, "{failing_call}");
        // SAFETY: the arguments are live locals and valid handles, as the ABI contract asks.
        assert_eq!(unsafe { nook_error_close(error) }, NOOK_OK);

        assert_eq!(
            get_status(txn, b"new", &mut error),
            NOOK_IO,
            "{failing_call}"
        );
        let message = message_of(error);
        assert!(message.contains("must be rolled back"), "{message}");
        assert!(message.contains("simulated I/O error"), "{message}");
        // SAFETY: the arguments are live locals and valid handles, as the ABI contract asks.
        assert_eq!(unsafe { nook_error_close(error) }, NOOK_OK);
        assert_eq!(put(txn, b"other", &[0x02], &mut error), NOOK_IO);
        // SAFETY: the arguments are live locals and valid handles, as the ABI contract asks.
        assert_eq!(unsafe { nook_error_close(error) }, NOOK_OK);
        // SAFETY: the arguments are live locals and valid handles, as the ABI contract asks.
        assert_eq!(unsafe { nook_txn_commit(txn, &mut error) }, NOOK_IO);
        // SAFETY: the arguments are live locals and valid handles, as the ABI contract asks.
        assert_eq!(unsafe { nook_error_close(error) }, NOOK_OK);

        // Nothing of the transaction was committed; the database goes on.
        assert_eq!(get_status(db, b"big", &mut error), NOOK_OK);
        assert_eq!(get_status(db, b"new", &mut error), NOOK_NOT_FOUND);
    }
    assert_eq!(put(db, b"after", &[0x03], &mut error), NOOK_OK);
    // SAFETY: the arguments are live locals and valid handles, as the ABI contract asks.
    assert_eq!(unsafe { nook_close(db) }, NOOK_OK);
}
