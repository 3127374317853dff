//! # Nook
//!
//! An embedded key-value database: byte-string keys, CBOR values, ACID
//! transactions, one crash-safe file of checksummed pages indexed by a
//! copy-on-write hash trie. This crate is the engine itself; the C library,
//! the `nook` CLI and the Go and Dart SDKs are built on it, and all of them
//! read the same files.
//!
//! ## Quick start
//!
//! ```
//! use nookdb::{Database, ErrorKind};
//! # let dir = tempfile::tempdir().unwrap();
//! # let path = dir.path().join("app.nook");
//!
//! let db = Database::open(&path)?; // created if absent; Database::memory() has no file
//!
//! // Values are exactly one CBOR item each: raw bytes, or any serde type.
//! db.put(b"answer", &[0x18, 0x2a])?; // the CBOR integer 42
//! db.put_value(b"greeting", "hello")?;
//! assert_eq!(db.get_value::<String>(b"greeting")?.as_deref(), Some("hello"));
//!
//! // Every error has a stable kind.
//! assert_eq!(db.insert(b"answer", &[0xf6]).unwrap_err().kind(), ErrorKind::AlreadyExists);
//!
//! // A write transaction: all of it or none, durable when commit returns.
//! let mut txn = db.begin_write()?;
//! txn.put(b"user:1", &[0xf6])?;
//! txn.delete(b"answer")?;
//! txn.commit()?;
//!
//! // Scans read one snapshot, in no particular order.
//! for pair in db.scan_prefix(b"user:")? {
//!     let (key, value) = pair?;
//!     assert_eq!((key.as_slice(), value.as_slice()), (&b"user:1"[..], &[0xf6][..]));
//! }
//! # Ok::<(), nookdb::Error>(())
//! ```
//!
//! Where to go next:
//!
//! - [`Database`]: opening, single operations, scans, transactions and
//!   maintenance ([`Database::check`], [`Database::backup`],
//!   [`Database::compact`]);
//! - [`Options`] and [`Durability`]: read-only, relaxed durability, cache
//!   size, busy timeout;
//! - [`ReadTxn`] (a snapshot) and [`WriteTxn`] (the single writer, and when a
//!   failure poisons it);
//! - [`Error`] and [`ErrorKind`]: the stable error codes, shared with every
//!   other front end;
//! - the user guide (`docs/guide` in the repository) for concepts,
//!   durability promises, operations and platforms.
//!
//! ## Map of the crate (for contributors)
//!
//! | module | responsibility |
//! |---|---|
//! | [`db`] | [`Database`]: the shared handle, snapshots for readers, auto-commit writes with group commit |
//! | `open` | creating files atomically, locking, choosing the newest valid meta slot, the in-process registry |
//! | `txn` | [`ReadTxn`] (a pinned snapshot) and [`WriteTxn`] (copy-on-write of the trie path, splits, merges) |
//! | `cow` | the writer's copy-on-write changes to the trie: entries, splits, merges |
//! | `commit` | the commit protocol: free-page queueing, page writes, fsync, meta slot |
//! | `flush`, `clock` | relaxed durability's background flush thread and the time it reads |
//! | `trie` | node access and lookups over the hash trie, for snapshots and write transactions alike |
//! | `scan` | resumable scans ([`Cursor`]) into a [`ScanSink`] |
//! | `view` | validated index and free-list page images, searched in place by readers |
//! | `node` | the same pages decoded for the writer to change, and their encoding |
//! | `page` | page ids, page headers and checksums, the file header and the meta slots |
//! | `alloc` | page allocation from the free-page queue for one write transaction |
//! | `overflow` | values and keys too large for a leaf |
//! | `store`, `cache` | reading, verifying, caching and writing pages; the keyed hash |
//! | [`storage`] | the I/O trait and its file and memory backends |
//! | `check`, `replace` | integrity check, stats, backup and compaction; moving a compacted file into place and repairing a crash during the move |
//! | `platform` | every OS-specific call (positional I/O, fsync, directory fsync, rename over an open file, locking) and what each guarantees per OS |
//! | [`cbor`], [`typed`] | value validation, and serde helpers |
//! | [`error`], [`options`] | stable error kinds; open options |
//!
//! A write: `Database::put` → group-commit queue → `WriteTxn` → the path from
//! the root to the key's leaf is copied into the transaction → `commit` writes
//! the new pages to unused locations, then the meta slot (fsync) → the new
//! snapshot is published to readers. A read: the current snapshot → the root
//! page's cached image → 9 hash bits per level → a leaf image, binary-searched
//! in place → the value.
//!
//! The file format is specified byte by byte in `spec/format.md`.
//!
//! ## Durability rests on the platform
//!
//! A commit is durable because `platform::sync_file` returns only once the
//! data is on stable storage (`fdatasync`; `F_FULLFSYNC` on Apple systems;
//! `FlushFileBuffers` on Windows); a new or replaced file's name is durable
//! because `platform::sync_dir` fsyncs its folder on Unix (Windows journals
//! names itself); one writer per file holds because `platform::try_lock`
//! (`flock` / `LockFileEx`) excludes other processes; compaction keeps the
//! old or the new file at the path through any crash because
//! `platform::rename_over` is atomic where it succeeds and `replace` repairs
//! the two-rename fallback. `platform.rs` writes down each guarantee per OS;
//! `docs/durability.md` states what the user is promised.
//!
//! ## Where `unsafe` lives
//!
//! Unsafe code is denied crate-wide and allowed in one module, `cache`: its
//! readers take page images without locks or reference counts (frames in
//! mapped slabs, freed through an epoch), which safe Rust cannot express.
//! Its protocol is written at the top of `cache.rs`, every `unsafe` block
//! states the invariant it relies on in a `// SAFETY:` comment, and a loom
//! model check (`cache/model.rs`) explores it. The only other exception is
//! one prefetch hint in `trie` (it reads nothing). `unsafe_op_in_unsafe_fn`
//! is denied too, so the body of an `unsafe fn` names each unsafe step.

#![deny(missing_docs)]
#![deny(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]
// Every unsafe block names the invariant it relies on (clippy checks it).
#![warn(clippy::undocumented_unsafe_blocks)]

mod alloc;
#[allow(unsafe_code)]
mod cache;
pub mod cbor;
mod check;
mod clock;
mod commit;
mod cow;
pub mod db;
pub mod error;
mod flush;
mod node;
mod open;
pub mod options;
mod overflow;
mod page;
mod platform;
mod replace;
mod scan;
pub mod storage;
mod store;
mod trie;
mod txn;
pub mod typed;
mod view;

pub use check::{CheckReport, CompactReport, Stats};
#[doc(hidden)]
pub use clock::ManualClock;
pub use db::{Database, WriteBatch};
pub use error::{Error, ErrorKind, Result};
pub use options::{Durability, Options};
pub use scan::{Cursor, ScanSink};
pub use storage::{FileBackend, MemoryBackend, StorageBackend};
pub use txn::{Iter, ReadTxn, TxnIter, WriteTxn};

/// Longest key accepted, in bytes.
pub const MAX_KEY_LEN: usize = 4096;
/// Longest value accepted, in bytes (64 MiB).
pub const MAX_VALUE_LEN: usize = 64 << 20;
/// The file format version this build reads and writes.
pub const FORMAT_VERSION: u32 = 2;
