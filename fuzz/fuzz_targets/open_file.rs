//! Opens arbitrary bytes as a database file and reads everything in every
//! way: any outcome but a panic, an abort, a hang or a huge allocation is fine.
//!
//! Run: `cargo +nightly fuzz run open_file` from the repository root (see
//! fuzz/README.md).
#![no_main]

use libfuzzer_sys::fuzz_target;
use nookdb::{Database, MemoryBackend, Options};

fuzz_target!(|data: &[u8]| {
    let options = Options::new().create(false).cache_size(64 << 10);
    let Ok(db) =
        Database::open_backend(Box::new(MemoryBackend::from_bytes(data.to_vec())), &options)
    else {
        return;
    };
    let _ = db.stats();
    if let Ok(iter) = db.iter() {
        for pair in iter.take(10_000) {
            let Ok((key, _)) = pair else { break };
            let _ = db.get(&key);
        }
    }
    let _ = db.check();
    let _ = db.put(b"fuzz", &[0xf6]);
    let _ = db.delete(b"fuzz");
});
