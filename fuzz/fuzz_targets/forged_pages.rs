//! Mutates pages of a valid database, re-seals their checksums (and the
//! manifests that list them), then opens, checks, reads, scans, writes and
//! compacts it. A forged file must give errors, never a panic, an abort, a
//! hang or a huge allocation; a file `check` accepts must read consistently.
//!
//! Run: `cargo +nightly fuzz run forged_pages` from the repository root
//! (see fuzz/README.md).
#![no_main]

use libfuzzer_sys::fuzz_target;
use nook_fuzz::forge::{exercise, sample_image, Forgery};

fuzz_target!(|forgery: Forgery| {
    exercise(forgery.apply(sample_image()));
});
