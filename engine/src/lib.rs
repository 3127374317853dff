//! # Nook
//!
//! An embedded key-value store: byte-string keys, CBOR values, ACID transactions,
//! one file of checksummed pages indexed by a copy-on-write hash trie.
//!
//! ```
//! let db = nook::Database::memory();
//! db.put(b"answer", &[0x18, 0x2a]).unwrap(); // the CBOR integer 42
//! assert_eq!(db.get(b"answer").unwrap(), Some(vec![0x18, 0x2a]));
//! db.put_value(b"greeting", &"hello").unwrap();
//! assert_eq!(db.get_value::<String>(b"greeting").unwrap().as_deref(), Some("hello"));
//! ```
//!
//! ## Map of the crate
//!
//! Public surface:
//! - [`db`]: [`Database`], the shared handle; auto-commit operations and group commit.
//! - `txn`: [`ReadTxn`] (a pinned snapshot) and [`WriteTxn`] (the single writer).
//! - [`options`], [`error`], [`cbor`] (value validation), [`typed`] (serde helpers).
//!
//! The data flow of a write: `Database::put` → commit queue → `WriteTxn` →
//! copy-on-write of the trie path in memory → commit writes dirty pages, fsync,
//! meta page, fsync → the new snapshot is published to readers.
//!
//! The file format is specified byte by byte in `spec/format.md`.

mod alloc;
mod cache;
pub mod cbor;
mod check;
mod commit;
pub mod db;
pub mod error;
mod node;
mod open;
pub mod options;
mod overflow;
mod page;
pub mod storage;
mod store;
mod trie;
mod txn;
pub mod typed;

pub use check::{CheckReport, CompactReport, Stats};
pub use db::{Database, WriteBatch};
pub use error::{Error, ErrorKind, Result};
pub use options::{Durability, Options};
pub use storage::{FileBackend, MemoryBackend, StorageBackend};
pub use trie::Cursor;
pub use txn::{Iter, ReadTxn, TxnIter, WriteTxn};

/// Longest key accepted, in bytes.
pub const MAX_KEY_LEN: usize = 4096;
/// Longest value accepted, in bytes (64 MiB).
pub const MAX_VALUE_LEN: usize = 64 << 20;
/// The file format version this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;
