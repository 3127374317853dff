//! Readers racing a writer through a cache far smaller than the data, so
//! that cached page images are evicted, their frames reused and pages
//! replaced while readers are inside them. Every value names its key and
//! version: a reader that saw a recycled frame would read another key's
//! value, a torn one, or a version older than its snapshot allows.

use nookdb::{Database, Options};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const KEYS: u32 = 3_000;

fn key(i: u32) -> Vec<u8> {
    format!("key-{i:06}").into_bytes()
}

/// A CBOR byte string holding the key number and a version, padded so that
/// leaves hold few entries and the trie has many pages.
fn value(i: u32, version: u32) -> Vec<u8> {
    let mut body = Vec::with_capacity(100);
    body.extend_from_slice(&i.to_le_bytes());
    body.extend_from_slice(&version.to_le_bytes());
    body.resize(100, (i ^ version) as u8);
    let mut v = vec![0x58, body.len() as u8];
    v.extend_from_slice(&body);
    v
}

/// Checks a value read for key `i` and returns its version.
fn check(i: u32, v: &[u8]) -> u32 {
    assert_eq!(v.len(), 102, "key {i}: a value of the wrong length");
    let body = &v[2..];
    assert_eq!(
        u32::from_le_bytes(body[..4].try_into().unwrap()),
        i,
        "key {i}: another key's value"
    );
    let version = u32::from_le_bytes(body[4..8].try_into().unwrap());
    assert!(
        body[8..].iter().all(|&b| b == (i ^ version) as u8),
        "key {i}: a torn value"
    );
    version
}

#[test]
fn readers_see_whole_snapshots_while_a_tiny_cache_churns() {
    let dir = tempfile::tempdir().unwrap();
    let options = Options::new()
        .cache_size(64 << 10)
        .durability(nookdb::Durability::Relaxed);
    let db = Database::open_with(dir.path().join("c.nook"), &options).unwrap();
    let mut t = db.begin_write().unwrap();
    for i in 0..KEYS {
        t.put(&key(i), &value(i, 0)).unwrap();
    }
    t.commit().unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let deadline = Instant::now() + Duration::from_secs(3);
    std::thread::scope(|s| {
        // The writer: rounds of updates, each round one version higher for
        // a stripe of keys, committed in small transactions.
        s.spawn(|| {
            let mut version = 0;
            while Instant::now() < deadline {
                version += 1;
                for chunk in (0..KEYS).step_by(7).collect::<Vec<_>>().chunks(50) {
                    let mut t = db.begin_write().unwrap();
                    for &i in chunk {
                        t.put(&key(i), &value(i, version)).unwrap();
                    }
                    t.commit().unwrap();
                }
            }
            stop.store(true, Ordering::Relaxed);
        });
        for r in 0..3u32 {
            let (db, stop) = (&db, &stop);
            s.spawn(move || {
                let mut n = r;
                while !stop.load(Ordering::Relaxed) {
                    let snap = db.begin_read().unwrap();
                    // Point reads: versions never go back within a snapshot's
                    // view of one key.
                    for _ in 0..200 {
                        n = n.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                        let i = n % KEYS;
                        let first = snap.get_with(&key(i), |v| check(i, v.unwrap())).unwrap();
                        let again = snap.get_with(&key(i), |v| check(i, v.unwrap())).unwrap();
                        assert_eq!(first, again, "key {i}: a snapshot changed");
                    }
                    // A full scan sees every key exactly once.
                    let mut seen = vec![false; KEYS as usize];
                    for pair in snap.iter() {
                        let (k, v) = pair.unwrap();
                        let i: u32 = std::str::from_utf8(&k[4..]).unwrap().parse().unwrap();
                        check(i, &v);
                        assert!(
                            !std::mem::replace(&mut seen[i as usize], true),
                            "key {i} twice"
                        );
                    }
                    assert!(seen.iter().all(|&s| s), "a scan missed keys");
                }
            });
        }
    });
    let report = db.check().unwrap();
    assert_eq!(report.keys_checked, KEYS as u64);
    let stats = db.stats().unwrap();
    assert!(stats.cache_used <= 64 << 10, "{stats:?}");
}
