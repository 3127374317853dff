//! Damaged, truncated and hostile files: every outcome is `CORRUPTED` (or a
//! state that was committed), never a panic, a hang or a huge allocation.

mod support;

use nookdb::{Database, ErrorKind, MemoryBackend, Options};
use std::collections::BTreeMap;
use support::cbor_bytes;

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

/// A database image with inner nodes, leaves, overflow records and a
/// non-empty free-page queue, and its last two committed states.
fn sample_image() -> (Vec<u8>, Model, Model) {
    let db = Database::memory();
    let mut t = db.begin_write().unwrap();
    for i in 0..600u32 {
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
    for i in 0..100u32 {
        t.delete(format!("key-{i}").as_bytes()).unwrap();
    }
    t.commit().unwrap();
    let previous: Model = db.iter().unwrap().map(|r| r.unwrap()).collect();
    db.put(b"last", &cbor_bytes(3, 3)).unwrap();
    let last: Model = db.iter().unwrap().map(|r| r.unwrap()).collect();
    let image = image_of(&db);
    (image, last, previous)
}

fn image_of(db: &Database) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("img.nook");
    db.backup(&path).unwrap();
    // backup writes a fresh compact file; reopen it to add one more commit so
    // that both meta slots are in use.
    let copy = Database::open(&path).unwrap();
    let k = b"last".to_vec();
    let v = copy.get(&k).unwrap().unwrap();
    copy.put(&k, &v).unwrap();
    drop(copy);
    std::fs::read(&path).unwrap()
}

/// Opens `image` and reads everything in every way; returns the contents if
/// nothing reported damage.
fn exercise(image: Vec<u8>) -> Result<Model, nookdb::Error> {
    let db = Database::open_backend(
        Box::new(MemoryBackend::from_bytes(image)),
        &Options::new().create(false).cache_size(64 << 10),
    )?;
    let _ = db.stats();
    let scanned: Result<Model, _> = db.iter()?.collect();
    let scanned = scanned?;
    for k in scanned.keys() {
        db.get(k)?;
    }
    db.check()?;
    // Writing to a damaged file must fail cleanly too, or succeed.
    let _ = db.put(b"new key", &[0x01]);
    let _ = db.delete(b"key-300");
    Ok(scanned)
}

#[test]
fn flipped_bytes_give_corrupted_or_a_committed_state() {
    let (image, last, previous) = sample_image();
    let page = 4096;
    let pages = image.len() / page;
    let mut corrupted = 0;
    for p in 0..pages {
        for offset in [
            0usize, 5, 8, 9, 12, 16, 24, 31, 32, 33, 40, 47, 48, 100, 700, 2100, 4095,
        ] {
            let mut damaged = image.clone();
            damaged[p * page + offset] ^= 0x5a;
            match exercise(damaged) {
                Ok(state) => {
                    let with_new = |m: &Model| {
                        let mut m = m.clone();
                        m.insert(b"new key".to_vec(), vec![0x01]);
                        m.remove(b"key-300".as_slice());
                        m
                    };
                    assert!(
                        state == last || state == previous || state == with_new(&last),
                        "page {p} offset {offset}: an undetected flip changed the data"
                    );
                }
                Err(e) => {
                    assert_eq!(
                        e.kind(),
                        ErrorKind::Corrupted,
                        "page {p} offset {offset}: {e}"
                    );
                    corrupted += 1;
                }
            }
        }
    }
    assert!(corrupted > pages, "only {corrupted} flips were detected");
}

#[test]
fn truncations_give_corrupted_or_a_committed_state() {
    let (image, last, previous) = sample_image();
    for len in (0..image.len())
        .step_by(509)
        .chain([1, 7, 47, 48, 4095, 4096, 8191, 12288])
    {
        match exercise(image[..len.min(image.len())].to_vec()) {
            Ok(state) => assert!(state == last || state == previous, "truncated to {len}"),
            Err(e) => assert_eq!(e.kind(), ErrorKind::Corrupted, "truncated to {len}: {e}"),
        }
    }
}

#[test]
fn random_garbage_never_panics() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let (image, ..) = sample_image();
    for round in 0..300 {
        let mut bytes = image.clone();
        // Rewrite a random run with random bytes, then fix nothing: checksums
        // must catch it. Every 10th round also forges valid checksums by
        // reusing whole pages from elsewhere in the file (misplaced pages).
        let start = rng.random_range(0..bytes.len());
        let len = rng.random_range(1..64).min(bytes.len() - start);
        rng.fill(&mut bytes[start..start + len]);
        if round % 10 == 0 {
            let pages = bytes.len() / 4096;
            let (a, b) = (rng.random_range(3..pages), rng.random_range(3..pages));
            let src = bytes[a * 4096..(a + 1) * 4096].to_vec();
            bytes[b * 4096..(b + 1) * 4096].copy_from_slice(&src);
        }
        let _ = exercise(bytes);
    }
}

/// Pages forged with valid checksums (what a hostile file holds): structure
/// validation and the bounds checks of in-place reads must hold, whatever
/// the counts, offsets, lengths and page ids say.
#[test]
fn forged_index_pages_with_valid_checksums_never_panic() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let (image, ..) = sample_image();
    let page = 4096;
    // Index and free-list pages (kinds 1, 2, 3).
    let targets: Vec<usize> = (3..image.len() / page)
        .filter(|p| matches!(image[p * page + 8], 1..=3))
        .collect();
    assert!(targets.len() >= 10, "{} index pages", targets.len());
    let mut refused = 0;
    for round in 0..1500 {
        let p = targets[round % targets.len()];
        let mut bytes = image.clone();
        let body = &mut bytes[p * page..(p + 1) * page];
        for _ in 0..rng.random_range(1..6) {
            // Aim at the header's counts and the front of the page (hashes,
            // offsets, slots) most of the time.
            let at = if rng.random_bool(0.7) {
                rng.random_range(9..160)
            } else {
                rng.random_range(9..page)
            };
            body[at] = match rng.random_range(0..4) {
                0 => 0xff,
                1 => 0,
                _ => rng.random(),
            };
        }
        support::reseal_page(body);
        if let Err(e) = exercise(bytes) {
            assert!(
                matches!(e.kind(), ErrorKind::Corrupted | ErrorKind::InvalidValue),
                "round {round}, page {p}: {e}"
            );
            refused += 1;
        }
    }
    assert!(refused > 300, "only {refused} forged pages were refused");
}
