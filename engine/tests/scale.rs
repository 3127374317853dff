//! Scale properties: a one-key commit writes a bounded number of pages whatever
//! the database size, open reads a bounded number of pages, memory is bounded
//! by the cache, and values up to the 64 MiB limit round-trip.

use nookdb::{Database, ErrorKind, MemoryBackend, Options, StorageBackend};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A memory backend that counts page-sized writes and reads.
struct Counting {
    inner: MemoryBackend,
    writes: Arc<AtomicU64>,
    reads: Arc<AtomicU64>,
    syncs: Arc<AtomicU64>,
}

impl StorageBackend for Counting {
    fn len(&self) -> std::io::Result<u64> {
        self.inner.len()
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        self.reads
            .fetch_add(buf.len().div_ceil(4096) as u64, Ordering::Relaxed);
        self.inner.read_at(offset, buf)
    }
    fn write_at(&self, offset: u64, buf: &[u8]) -> std::io::Result<()> {
        self.writes
            .fetch_add(buf.len().div_ceil(4096) as u64, Ordering::Relaxed);
        self.inner.write_at(offset, buf)
    }
    fn set_len(&self, len: u64) -> std::io::Result<()> {
        self.inner.set_len(len)
    }
    fn sync_data(&self) -> std::io::Result<()> {
        self.syncs.fetch_add(1, Ordering::Relaxed);
        // A real fsync takes time; that is what lets writers queue up behind it.
        std::thread::sleep(std::time::Duration::from_micros(500));
        Ok(())
    }
}

fn pages_per_one_key_commit(keys: u32) -> (u64, u64) {
    let writes = Arc::new(AtomicU64::new(0));
    let reads = Arc::new(AtomicU64::new(0));
    let backend = Counting {
        inner: MemoryBackend::new(),
        writes: writes.clone(),
        reads: reads.clone(),
        syncs: Arc::default(),
    };
    let db = Database::open_backend(Box::new(backend), &Options::new()).unwrap();
    let mut t = db.begin_write().unwrap();
    for i in 0..keys {
        t.put(format!("key-{i}").as_bytes(), &[0x18, 0x2a]).unwrap();
    }
    t.commit().unwrap();
    let mut worst = 0;
    for i in 0..50u32 {
        let before = writes.load(Ordering::Relaxed);
        db.put(format!("key-{}", i * 7919 % keys).as_bytes(), &[0x01])
            .unwrap();
        worst = worst.max(writes.load(Ordering::Relaxed) - before);
    }
    (worst, db.stats().unwrap().page_count)
}

#[test]
fn a_one_key_commit_writes_a_bounded_number_of_pages() {
    let (small, small_pages) = pages_per_one_key_commit(1_000);
    let (large, large_pages) = pages_per_one_key_commit(1_000_000);
    assert!(
        large_pages > 50 * small_pages / 10,
        "the large database is not large: {large_pages} pages"
    );
    // leaf + inner nodes on the path + free-list page + meta page
    assert!(
        large <= 8,
        "a one-key commit into 1,000,000 keys wrote {large} pages"
    );
    assert!(
        large <= small + 2,
        "pages per commit grew with the database: {small} -> {large}"
    );
}

#[test]
fn open_reads_a_bounded_number_of_pages() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.nook");
    {
        let db = Database::open(&path).unwrap();
        let mut t = db.begin_write().unwrap();
        for i in 0..100_000u32 {
            t.put(format!("key-{i}").as_bytes(), &[0x18, 0x2a]).unwrap();
        }
        t.commit().unwrap();
        db.put(b"one more", &[0x01]).unwrap(); // a single-fsync commit with a manifest
    }
    let image = std::fs::read(&path).unwrap();
    let reads = Arc::new(AtomicU64::new(0));
    let backend = Counting {
        inner: MemoryBackend::from_bytes(image),
        writes: Arc::default(),
        reads: reads.clone(),
        syncs: Arc::default(),
    };
    let db = Database::open_backend(Box::new(backend), &Options::new()).unwrap();
    assert!(
        reads.load(Ordering::Relaxed) <= 3 + 250,
        "open read {} pages",
        reads.load(Ordering::Relaxed)
    );
    assert_eq!(db.len(), 100_001);
}

#[test]
fn the_cache_bounds_resident_pages() {
    let db = Database::memory_with(&Options::new().cache_size(1 << 20)).unwrap();
    let mut t = db.begin_write().unwrap();
    for i in 0..50_000u32 {
        t.put(
            format!("key-{i}").as_bytes(),
            &[0x58, 0x40]
                .iter()
                .copied()
                .chain([7u8; 64])
                .collect::<Vec<_>>(),
        )
        .unwrap();
    }
    t.commit().unwrap();
    for i in 0..50_000u32 {
        assert!(db.contains(format!("key-{i}").as_bytes()).unwrap());
    }
    let stats = db.stats().unwrap();
    assert!(stats.page_count > 1000);
    assert!(stats.cache_used <= 1 << 20, "{stats:?}");
}

#[test]
fn values_up_to_64_mib_round_trip_and_larger_ones_are_refused() {
    let db = Database::memory();
    let len = nookdb::MAX_VALUE_LEN - 9; // a byte-string head of 9 bytes
    let mut value = vec![0x5b];
    value.extend_from_slice(&(len as u64).to_be_bytes());
    value.resize(nookdb::MAX_VALUE_LEN, 0xab);
    db.put(b"huge", &value).unwrap();
    assert_eq!(db.get(b"huge").unwrap().as_deref(), Some(&value[..]));
    db.check().unwrap();
    value.push(0);
    assert_eq!(
        db.put(b"too big", &value).unwrap_err().kind(),
        ErrorKind::ValueTooLarge
    );
    assert!(db.delete(b"huge").unwrap());
    assert!(
        db.stats().unwrap().free_pages > 16_000,
        "the freed overflow pages are queued for reuse"
    );
}

#[test]
fn concurrent_auto_commit_writers_share_fsyncs() {
    let syncs = Arc::new(AtomicU64::new(0));
    let backend = Counting {
        inner: MemoryBackend::new(),
        writes: Arc::default(),
        reads: Arc::default(),
        syncs: syncs.clone(),
    };
    let db = Database::open_backend(Box::new(backend), &Options::new()).unwrap();
    let before = syncs.load(Ordering::Relaxed);
    std::thread::scope(|s| {
        for t in 0..8 {
            let db = db.clone();
            s.spawn(move || {
                for i in 0..50 {
                    db.put(format!("t{t}-{i}").as_bytes(), &[0x01]).unwrap();
                }
            });
        }
    });
    assert_eq!(db.len(), 400);
    let used = syncs.load(Ordering::Relaxed) - before;
    eprintln!("400 durable single-key commits from 8 threads took {used} fsyncs");
    assert!(
        used < 200,
        "400 durable single-key commits from 8 threads took {used} fsyncs"
    );
}

#[test]
fn a_scan_batch_of_large_values_stays_small() {
    let db = Database::memory();
    let mut value = vec![0x5a];
    value.extend_from_slice(&(3u32 << 20).to_be_bytes());
    value.resize(5 + (3 << 20), 1);
    for i in 0..4u8 {
        db.put(&[i + 1], &value).unwrap();
    }
    let txn = db.begin_read().unwrap();
    let mut cursor = nookdb::Cursor::all();
    let mut out = Vec::new();
    txn.next_batch(&mut cursor, 256, &mut out).unwrap();
    assert_eq!(out.len(), 2, "a batch stops after 4 MiB of values");
    let mut total = out.len();
    while !cursor.is_done() {
        out.clear();
        txn.next_batch(&mut cursor, 256, &mut out).unwrap();
        total += out.len();
    }
    assert_eq!(total, 4);
}

#[test]
fn the_cache_holds_live_pages_not_old_versions() {
    // A cache far larger than the data: nothing forces an eviction, so only
    // dropping old versions at commit keeps it to the live pages.
    let db = Database::memory_with(&Options::new().cache_size(256 << 20)).unwrap();
    for round in 0..10u8 {
        let mut t = db.begin_write().unwrap();
        for i in 0..20_000u32 {
            t.put(format!("key-{i}").as_bytes(), &[0x18, round])
                .unwrap();
        }
        t.commit().unwrap();
    }
    let stats = db.stats().unwrap();
    let live = stats.inner_pages + stats.leaf_pages;
    let cached = stats.cache_used / stats.page_size as u64;
    assert!(
        cached <= live + 16,
        "{cached} pages cached for {live} live index pages: {stats:?}"
    );
}
