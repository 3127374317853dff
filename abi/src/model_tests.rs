//! A model-based test of the exported functions: long random sequences of
//! operations (auto-commit writes, batches, write and read transactions,
//! cursors read through random buffer sizes) run through the C entry points
//! and against a `BTreeMap` model, which must agree after every step.

use crate::codes::*;
use crate::cursor::*;
use crate::data::*;
use crate::database::*;
use crate::txn::*;
use std::collections::BTreeMap;
use std::ptr::null_mut;

type Map = BTreeMap<Vec<u8>, Vec<u8>>;

/// A small deterministic generator (xorshift64*), so failures replay.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A key from a small space, so that operations collide often.
    fn key(&mut self) -> Vec<u8> {
        let n = self.below(40);
        if n < 4 {
            vec![n as u8; 1 + n as usize * 300] // long keys too
        } else {
            format!("k{n}").into_bytes()
        }
    }

    /// A valid CBOR value: a byte string of random length.
    fn value(&mut self) -> Vec<u8> {
        let len = [0usize, 1, 23, 24, 200, 5000][self.below(6) as usize];
        let mut v = match len {
            0..=23 => vec![0x40 | len as u8],
            24..=255 => vec![0x58, len as u8],
            _ => vec![0x59, (len >> 8) as u8, len as u8],
        };
        let fill = self.below(256) as u8;
        v.resize(v.len() + len, fill);
        v
    }
}

fn get(target: u64, key: &[u8]) -> Option<Vec<u8>> {
    let mut len = 0;
    let mut buf = vec![0u8; 8];
    // SAFETY: every pointer is to a live local or slice, with its length.
    let mut status = unsafe {
        nook_get(
            target,
            key.as_ptr(),
            key.len(),
            buf.as_mut_ptr(),
            buf.len(),
            &mut len,
            null_mut(),
        )
    };
    if status == NOOK_BUFFER_TOO_SMALL {
        buf = vec![0u8; len];
        // SAFETY: every pointer is to a live local or slice, with its length.
        status = unsafe {
            nook_get(
                target,
                key.as_ptr(),
                key.len(),
                buf.as_mut_ptr(),
                buf.len(),
                &mut len,
                null_mut(),
            )
        };
    }
    match status {
        NOOK_OK => Some(buf[..len].to_vec()),
        NOOK_NOT_FOUND => None,
        other => panic!("nook_get returned {other}"),
    }
}

/// Every pair under `prefix`, read through buffers of random sizes.
fn scan(target: u64, prefix: &[u8], rng: &mut Rng) -> Map {
    let mut cursor = 0;
    // SAFETY: every pointer is to a live local or slice, with its length.
    let status = unsafe {
        nook_cursor_open(
            target,
            prefix.as_ptr(),
            prefix.len(),
            &mut cursor,
            null_mut(),
        )
    };
    assert_eq!(status, NOOK_OK);
    let mut out = Map::new();
    let mut buf = vec![0u8; 1 + rng.below(64) as usize];
    loop {
        let (mut count, mut len) = (0, 0);
        // SAFETY: every pointer is to a live local or slice, with its length.
        let status = unsafe {
            nook_cursor_next(
                cursor,
                buf.as_mut_ptr(),
                buf.len(),
                &mut count,
                &mut len,
                null_mut(),
            )
        };
        if status == NOOK_BUFFER_TOO_SMALL {
            assert!(len > buf.len() && count == 0);
            buf = vec![0u8; len + rng.below(100) as usize];
            continue;
        }
        assert_eq!(status, NOOK_OK);
        if count == 0 {
            break;
        }
        let mut at = 0;
        for _ in 0..count {
            let klen = u32::from_le_bytes(buf[at..at + 4].try_into().unwrap()) as usize;
            let vlen = u32::from_le_bytes(buf[at + 4..at + 8].try_into().unwrap()) as usize;
            let key = buf[at + 8..at + 8 + klen].to_vec();
            let value = buf[at + 8 + klen..at + 8 + klen + vlen].to_vec();
            assert!(
                out.insert(key, value).is_none(),
                "a cursor returned a key twice"
            );
            at += NOOK_RECORD_HEADER_LEN + klen + vlen;
        }
        assert_eq!(at, len);
    }
    // SAFETY: no pointer arguments.
    assert_eq!(unsafe { nook_cursor_close(cursor) }, NOOK_OK);
    out
}

fn expected_scan(model: &Map, prefix: &[u8]) -> Map {
    model
        .iter()
        .filter(|(k, _)| k.starts_with(prefix))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// One random write on `target`, mirrored on `model`.
fn random_write(target: u64, model: &mut Map, rng: &mut Rng) {
    let (key, value) = (rng.key(), rng.value());
    let (k, v) = ((key.as_ptr(), key.len()), (value.as_ptr(), value.len()));
    match rng.below(5) {
        0 => {
            assert_eq!(
                // SAFETY: every pointer is to a live local or slice, with its length.
                unsafe { nook_put(target, k.0, k.1, v.0, v.1, null_mut()) },
                NOOK_OK
            );
            model.insert(key, value);
        }
        1 => {
            let want = if model.contains_key(&key) {
                NOOK_ALREADY_EXISTS
            } else {
                NOOK_OK
            };
            assert_eq!(
                // SAFETY: every pointer is to a live local or slice, with its length.
                unsafe { nook_insert(target, k.0, k.1, v.0, v.1, null_mut()) },
                want
            );
            model.entry(key).or_insert(value);
        }
        2 => {
            let want = if model.contains_key(&key) {
                NOOK_OK
            } else {
                NOOK_NOT_FOUND
            };
            assert_eq!(
                // SAFETY: every pointer is to a live local or slice, with its length.
                unsafe { nook_update(target, k.0, k.1, v.0, v.1, null_mut()) },
                want
            );
            if let Some(old) = model.get_mut(&key) {
                *old = value;
            }
        }
        3 => {
            let mut existed = 9;
            assert_eq!(
                // SAFETY: every pointer is to a live local or slice, with its length.
                unsafe { nook_delete(target, k.0, k.1, &mut existed, null_mut()) },
                NOOK_OK
            );
            assert_eq!(existed == 1, model.remove(&key).is_some());
        }
        _ => {
            let mut records = Vec::new();
            for _ in 0..rng.below(6) {
                let (key, value) = (rng.key(), rng.value());
                let put = rng.below(3) > 0;
                records.push(if put {
                    NOOK_BATCH_PUT
                } else {
                    NOOK_BATCH_DELETE
                });
                records.extend_from_slice(&(key.len() as u32).to_le_bytes());
                records
                    .extend_from_slice(&(if put { value.len() as u32 } else { 0 }).to_le_bytes());
                records.extend_from_slice(&key);
                if put {
                    records.extend_from_slice(&value);
                    model.insert(key, value);
                } else {
                    model.remove(&key);
                }
            }
            // SAFETY: every pointer is to a live local or slice, with its length.
            let status =
                unsafe { nook_write_batch(target, records.as_ptr(), records.len(), null_mut()) };
            assert_eq!(status, NOOK_OK);
        }
    }
}

/// Checks a few reads of `target` against `model`.
fn random_reads(target: u64, model: &Map, rng: &mut Rng) {
    for _ in 0..3 {
        let key = rng.key();
        assert_eq!(get(target, &key), model.get(&key).cloned(), "get {key:?}");
        let mut found = 9;
        // SAFETY: every pointer is to a live local or slice, with its length.
        let status =
            unsafe { nook_contains(target, key.as_ptr(), key.len(), &mut found, null_mut()) };
        assert_eq!((status, found == 1), (NOOK_OK, model.contains_key(&key)));
    }
    let mut count = 0;
    assert_eq!(
        // SAFETY: every pointer is to a live local or slice, with its length.
        unsafe { nook_count(target, &mut count, null_mut()) },
        NOOK_OK
    );
    assert_eq!(count, model.len() as u64);
    if rng.below(4) == 0 {
        let prefix: &[u8] = [&b""[..], b"k", b"k1", b"k3", &[2u8]][rng.below(5) as usize];
        assert_eq!(scan(target, prefix, rng), expected_scan(model, prefix));
    }
}

#[test]
fn random_operations_agree_with_a_model() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut db = 0;
    assert_eq!(
        // SAFETY: every pointer is to a live local or slice, with its length.
        unsafe { nook_open_memory(0, 0, 0, &mut db, null_mut()) },
        NOOK_OK
    );
    let mut model = Map::new();
    for _ in 0..1500 {
        match rng.below(10) {
            0..=4 => random_write(db, &mut model, &mut rng),
            5 | 6 => random_reads(db, &model, &mut rng),
            7 | 8 => {
                // A write transaction: its writes are visible inside only,
                // then committed or rolled back.
                let mut txn = 0;
                assert_eq!(
                    // SAFETY: every pointer is to a live local or slice, with its length.
                    unsafe { nook_begin_write(db, &mut txn, null_mut()) },
                    NOOK_OK
                );
                let mut inside = model.clone();
                for _ in 0..rng.below(8) {
                    random_write(txn, &mut inside, &mut rng);
                    random_reads(txn, &inside, &mut rng);
                }
                random_reads(db, &model, &mut rng);
                if rng.below(2) == 0 {
                    // SAFETY: no pointer arguments but a NULL `error`.
                    assert_eq!(unsafe { nook_txn_commit(txn, null_mut()) }, NOOK_OK);
                    model = inside;
                } else {
                    // SAFETY: no pointer arguments.
                    assert_eq!(unsafe { nook_txn_rollback(txn) }, NOOK_OK);
                }
            }
            _ => {
                // A read transaction keeps its snapshot across later writes.
                let mut txn = 0;
                assert_eq!(
                    // SAFETY: every pointer is to a live local or slice, with its length.
                    unsafe { nook_begin_read(db, &mut txn, null_mut()) },
                    NOOK_OK
                );
                let snapshot = model.clone();
                random_write(db, &mut model, &mut rng);
                random_reads(txn, &snapshot, &mut rng);
                assert_eq!(scan(txn, b"", &mut rng), snapshot);
                // SAFETY: no pointer arguments.
                assert_eq!(unsafe { nook_txn_rollback(txn) }, NOOK_OK);
            }
        }
    }
    assert_eq!(scan(db, b"", &mut rng), model);
    // SAFETY: no pointer arguments.
    assert_eq!(unsafe { nook_close(db) }, NOOK_OK);
}
