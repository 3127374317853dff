//! [`Database`]: opening (files, memory, any backend), the in-process instance
//! registry, file locking, snapshots for readers, and auto-commit operations
//! with group commit.

use crate::alloc::Allocator;
use crate::clock::Clock;
use crate::commit::RELAXED_SYNC_INTERVAL;
use crate::error::{Error, ErrorKind, Result};
use crate::flush::Flusher;
use crate::open;
use crate::options::{Durability, Options};
use crate::page::{MetaPage, PageId, TxId};
use crate::scan::Cursor;
use crate::store::Store;
use crate::txn::{check_key, check_value, Iter, ReadTxn, Snapshot, WriteTxn};
use crate::typed;
use arc_swap::ArcSwap;
use parking_lot::Mutex;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};
use std::time::Duration;

/// Where a database's pages live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Location {
    /// A file, by canonical path (also its key in the process's registry).
    File(PathBuf),
    /// A [`crate::MemoryBackend`] this crate made for [`Database::memory`].
    Memory,
    /// A backend the caller passed to [`Database::open_backend`].
    Custom,
}

impl Location {
    pub fn path(&self) -> Option<&Path> {
        match self {
            Location::File(p) => Some(p),
            _ => None,
        }
    }
}

/// State shared by every handle to one open database.
pub(crate) struct Shared {
    pub options: Options,
    /// The latest committed state; readers clone it, the writer replaces it.
    pub current: ArcSwap<Snapshot>,
    /// The single writer slot.
    pub writer: Arc<Mutex<WriterState>>,
    /// Auto-commit writes waiting for a leader to commit them as a group.
    queue: Mutex<std::collections::VecDeque<Arc<QueuedWrite>>>,
    /// Signalled when a group commit finishes.
    group_done: parking_lot::Condvar,
    pub location: Location,
    /// Relaxed file databases: the thread that makes commits durable.
    flusher: Option<Flusher>,
}

/// What only the writer touches, behind the writer lock.
pub(crate) struct WriterState {
    pub store: Arc<Store>,
    /// The last committed state (durable, or in relaxed mode maybe not yet).
    pub meta: MetaPage,
    /// The last commit whose meta page is on disk and synced.
    pub durable_txid: TxId,
    /// The commit slot (1 or 2) that holds it: the next durable commit
    /// writes the other one.
    pub durable_slot: PageId,
    /// When it became durable, on `clock`.
    pub last_durable: Duration,
    pub clock: Clock,
    /// Snapshots published so far that may still be alive.
    pub live: Vec<Weak<Snapshot>>,
    /// Set when a failure left the disk state uncertain: writes are refused.
    pub poisoned: Option<Error>,
}

impl WriterState {
    /// Whether relaxed durability's interval has passed since the last
    /// durable commit.
    pub fn durability_due(&self) -> bool {
        self.clock.now().saturating_sub(self.last_durable) >= RELAXED_SYNC_INTERVAL
    }

    /// Records that commit `txid` is durable in `slot`.
    pub fn made_durable(&mut self, txid: TxId, slot: PageId) {
        self.durable_txid = txid;
        self.durable_slot = slot;
        self.last_durable = self.clock.now();
    }

    /// Pages freed by transactions up to this id can be reused now: no live
    /// snapshot can see them, and neither can the last durable state, the one
    /// a crash returns to (its slot is never overwritten before a newer state
    /// is durable in the other slot).
    fn reuse_limit(&mut self) -> TxId {
        self.live.retain(|w| w.strong_count() > 0);
        let oldest = self
            .live
            .iter()
            .filter_map(|w| w.upgrade())
            .map(|s| s.meta.txid)
            .min();
        oldest.unwrap_or(self.meta.txid).min(self.durable_txid)
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // Stop the flush thread first, so that nothing but us holds the
        // file when we return.
        drop(self.flusher.take());
        // Relaxed commits become durable when the last handle goes.
        let mut state = self.writer.lock();
        if state.poisoned.is_none() && state.durable_txid < state.meta.txid {
            let _ = make_durable(&mut state);
        }
        if let Some(key) = self.location.path() {
            open::forget(key);
        }
    }
}

/// Makes the last commit durable (relaxed mode's sync, timer and close):
/// syncs the pages of every commit since the last durable one, then writes
/// the meta page into the other slot and syncs again.
pub(crate) fn make_durable(state: &mut WriterState) -> Result<()> {
    let ps = state.store.page_size;
    state.store.sync()?;
    let slot = MetaPage::other_slot(state.durable_slot);
    let image = state.meta.encode(ps, slot, &[]);
    let result = state
        .store
        .write_raw(slot * ps as u64, &image)
        .and_then(|()| state.store.sync());
    match result {
        Ok(()) => {
            state.made_durable(state.meta.txid, slot);
            Ok(())
        }
        Err(e) => {
            state.poisoned = Some(e.clone());
            Err(e)
        }
    }
}

/// A handle to an open database. Cheap to clone, `Send + Sync`; the database
/// closes when the last handle, transaction and iterator are dropped.
///
/// - Open one with [`Database::open`] (a file, created if absent),
///   [`Database::open_with`] ([`Options`]: read-only, durability, cache size,
///   busy timeout) or [`Database::memory`].
/// - Single operations ([`get`](Database::get), [`put`](Database::put),
///   [`insert`](Database::insert), [`update`](Database::update),
///   [`delete`](Database::delete), [`write_batch`](Database::write_batch))
///   each run as one transaction; concurrent writes from many threads share
///   one commit (group commit).
/// - [`begin_read`](Database::begin_read) gives a snapshot,
///   [`begin_write`](Database::begin_write) the single write transaction.
/// - [`iter`](Database::iter) and [`scan_prefix`](Database::scan_prefix) walk
///   one snapshot, in no particular order (the index is a hash trie).
/// - Values are CBOR bytes; [`put_value`](Database::put_value) and
///   [`get_value`](Database::get_value) convert any `serde` type.
/// - Maintenance: [`check`](Database::check), [`stats`](Database::stats),
///   [`backup`](Database::backup), [`compact`](Database::compact),
///   [`sync`](Database::sync).
///
/// Every failure is an [`Error`] with a stable [`ErrorKind`]; no method panics
/// on bad input or a damaged file.
///
/// ```
/// let db = nookdb::Database::memory();
/// db.insert(b"k", &[0x01]).unwrap();
/// assert_eq!(db.insert(b"k", &[0x02]).unwrap_err().kind(), nookdb::ErrorKind::AlreadyExists);
/// assert!(db.delete(b"k").unwrap());
/// assert_eq!(db.len(), 0);
/// ```
#[derive(Clone)]
pub struct Database {
    pub(crate) shared: Arc<Shared>,
    read_only: bool,
    /// How long this handle's writes wait for the writer slot.
    busy_timeout: Duration,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("location", &self.shared.location)
            .field("durability", &self.shared.options.durability)
            .field("read_only", &self.read_only)
            .field("busy_timeout", &self.busy_timeout)
            .finish()
    }
}

/// A list of puts and deletes applied atomically, in order, by
/// [`Database::write_batch`] (one commit) or [`WriteTxn::write_batch`].
///
/// A batch with an invalid key or value is refused whole, before anything is
/// applied, with the error of the first bad item (its message names the item).
///
/// ```
/// use nookdb::{Database, WriteBatch};
///
/// let db = Database::memory();
/// db.put(b"old", &[0x01])?;
/// let mut batch = WriteBatch::new();
/// batch.put(b"a", &[0x01]).put(b"b", &[0x02]).delete(b"old");
/// assert_eq!(batch.len(), 3);
/// db.write_batch(&batch)?;
/// assert_eq!(db.len(), 2);
/// # Ok::<(), nookdb::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct WriteBatch {
    ops: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

impl WriteBatch {
    /// An empty batch.
    pub fn new() -> WriteBatch {
        WriteBatch::default()
    }
    /// Adds an insert-or-replace of `key`.
    pub fn put(&mut self, key: &[u8], value: &[u8]) -> &mut WriteBatch {
        self.ops.push((key.to_vec(), Some(value.to_vec())));
        self
    }
    /// Adds a removal of `key` (no error if it is absent).
    pub fn delete(&mut self, key: &[u8]) -> &mut WriteBatch {
        self.ops.push((key.to_vec(), None));
        self
    }
    /// The number of puts and deletes added so far.
    pub fn len(&self) -> usize {
        self.ops.len()
    }
    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
    /// Removes every put and delete, keeping the memory for reuse.
    pub fn clear(&mut self) {
        self.ops.clear()
    }
    pub(crate) fn ops(&self) -> &[(Vec<u8>, Option<Vec<u8>>)] {
        &self.ops
    }
    /// Checks every key and value, so that a bad one fails the batch before
    /// anything is applied.
    pub(crate) fn validate(&self) -> Result<()> {
        for (i, (k, v)) in self.ops.iter().enumerate() {
            let at = |e: Error| Error::new(e.kind(), format!("batch item {i}: {}", e.message()));
            check_key(k).map_err(at)?;
            if let Some(v) = v {
                check_value(v).map_err(at)?;
            }
        }
        Ok(())
    }
    fn payload_len(&self) -> usize {
        self.ops
            .iter()
            .map(|(k, v)| k.len() + v.as_ref().map_or(0, Vec::len))
            .sum()
    }
}

/// One auto-commit write waiting in the group-commit queue.
struct QueuedWrite {
    op: AutoOp,
    result: Mutex<Option<Result<bool>>>,
}

enum AutoOp {
    Put(Vec<u8>, Vec<u8>),
    Insert(Vec<u8>, Vec<u8>),
    Update(Vec<u8>, Vec<u8>),
    Delete(Vec<u8>),
    Batch(WriteBatch),
}

impl AutoOp {
    fn payload_len(&self) -> usize {
        match self {
            AutoOp::Put(k, v) | AutoOp::Insert(k, v) | AutoOp::Update(k, v) => k.len() + v.len(),
            AutoOp::Delete(k) => k.len(),
            AutoOp::Batch(b) => b.payload_len(),
        }
    }

    fn apply(&self, txn: &mut WriteTxn) -> Result<bool> {
        match self {
            AutoOp::Put(k, v) => txn.put(k, v).map(|()| true),
            AutoOp::Insert(k, v) => txn.insert(k, v).map(|()| true),
            AutoOp::Update(k, v) => txn.update(k, v).map(|()| true),
            AutoOp::Delete(k) => txn.delete(k),
            AutoOp::Batch(b) => txn.write_batch(b).map(|()| true),
        }
    }
}

/// Payload a group-commit leader takes at most (after the first write).
const GROUP_LIMIT: usize = 4 << 20;

impl Database {
    /// A new handle on `shared`, with the per-handle parts of `options`.
    pub(crate) fn from_shared(shared: Arc<Shared>, options: &Options) -> Database {
        Database {
            shared,
            read_only: options.read_only,
            busy_timeout: options.busy_timeout,
        }
    }

    /// The shared state of a database whose last durable commit is `meta`,
    /// read from commit slot `slot`.
    pub(crate) fn new_shared(
        store: Store,
        meta: MetaPage,
        slot: PageId,
        options: &Options,
        location: Location,
    ) -> Arc<Shared> {
        let store = Arc::new(store);
        let snapshot = Arc::new(Snapshot::new(meta, store.clone()));
        let clock = Clock::new(options.clock.as_ref());
        let state = WriterState {
            store,
            meta,
            durable_txid: meta.txid,
            durable_slot: slot,
            last_durable: clock.now(),
            clock,
            live: vec![Arc::downgrade(&snapshot)],
            poisoned: None,
        };
        let writer = Arc::new(Mutex::new(state));
        let flusher = (options.durability == Durability::Relaxed
            && !options.read_only
            && location.path().is_some())
        .then(|| Flusher::start(Arc::downgrade(&writer)))
        .flatten();
        Arc::new(Shared {
            options: options.clone(),
            current: ArcSwap::new(snapshot),
            writer,
            queue: Mutex::new(Default::default()),
            group_done: parking_lot::Condvar::new(),
            location,
            flusher,
        })
    }

    /// Opens the database file at `path` with default [`Options`], creating it
    /// if it does not exist: read-write, immediate durability (a commit is on
    /// disk when it returns), 64 MiB of page cache, a 5 s busy timeout.
    ///
    /// Errors: `LOCKED` when another process has the file open (at once, no
    /// waiting); `CORRUPTED` when it is not a Nook database or is damaged;
    /// `INCOMPATIBLE` for another file format version; `IO` (e.g. a folder or
    /// a permission problem). See [`Database::open_with`] for a path that this
    /// process already has open.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("app.nook");
    /// let db = nookdb::Database::open(&path)?;
    /// db.put(b"answer", &[0x18, 0x2a])?; // the CBOR integer 42
    /// drop(db);
    ///
    /// let db = nookdb::Database::open(&path)?; // the data is still there
    /// assert_eq!(db.get(b"answer")?, Some(vec![0x18, 0x2a]));
    /// # Ok::<(), nookdb::Error>(())
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<Database> {
        Database::open_with(path, &Options::default())
    }

    /// Opens the database file at `path`. Opening a path that is already open
    /// in this process returns a handle to the same instance, which keeps its
    /// durability, cache size and page size: asking for other durability
    /// fails with `INVALID_ARGUMENT` (its commits would not be what it asked
    /// for), while `read_only` and `busy_timeout` belong to each handle. A
    /// file locked by another process fails at once with `LOCKED`. With
    /// [`Options::create`] false, a missing file is `NOT_FOUND`; a bad
    /// option (e.g. a page size that is not a power of two from 4096 to
    /// 65536) is `INVALID_ARGUMENT`.
    ///
    /// ```
    /// use nookdb::{Database, Durability, ErrorKind, Options};
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("app.nook");
    ///
    /// // Relaxed durability: commits return at once and become durable about
    /// // a second later, at sync(), or when the database closes.
    /// let db = Database::open_with(&path, &Options::new().durability(Durability::Relaxed))?;
    /// db.put(b"k", &[0xf6])?;
    /// db.sync()?; // durable now
    ///
    /// // The same file opened again in this process is the same database,
    /// // and must be asked for with the same durability.
    /// let err = Database::open(&path).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    /// # Ok::<(), nookdb::Error>(())
    /// ```
    pub fn open_with(path: impl AsRef<Path>, options: &Options) -> Result<Database> {
        open::open_file(path.as_ref(), options)
    }

    /// A new, empty in-memory database (same semantics, no file): its data
    /// is gone when the last handle is dropped. Use [`Database::backup`] to
    /// save it to a file.
    pub fn memory() -> Database {
        Database::memory_with(&Options::default())
            .expect("an in-memory database cannot fail to open")
    }

    /// A new, empty in-memory database with `options` (cache and page size).
    pub fn memory_with(options: &Options) -> Result<Database> {
        let options = options.clone().read_only(false).create(true);
        open::open_backend(
            Box::new(crate::storage::MemoryBackend::new()),
            &options,
            Location::Memory,
        )
    }

    /// Opens a database stored in any [`crate::StorageBackend`] (tests use this
    /// for fault injection).
    pub fn open_backend(
        backend: Box<dyn crate::StorageBackend>,
        options: &Options,
    ) -> Result<Database> {
        open::open_backend(backend, options, Location::Custom)
    }

    /// The file path, or `None` for an in-memory database.
    pub fn path(&self) -> Option<&Path> {
        self.shared.location.path()
    }

    /// Whether this handle refuses writes.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        self.shared.current.load_full()
    }

    /// The value of `key` (its CBOR bytes), or `None`, from the latest
    /// committed state. Never waits for writers.
    ///
    /// Errors: `INVALID_ARGUMENT` for an empty key, `KEY_TOO_LARGE` for one
    /// over [`crate::MAX_KEY_LEN`] bytes; `CORRUPTED` or `IO` when a page
    /// cannot be read.
    ///
    /// ```
    /// let db = nookdb::Database::memory();
    /// assert_eq!(db.get(b"missing")?, None);
    /// db.put(b"k", &[0x63, b'a', b'b', b'c'])?; // the CBOR text "abc"
    /// assert_eq!(db.get(b"k")?.as_deref(), Some(&[0x63, b'a', b'b', b'c'][..]));
    /// # Ok::<(), nookdb::Error>(())
    /// ```
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.get_with(key, |v| v.map(<[u8]>::to_vec))
    }

    /// Hands the value of `key` (or `None`) to `f` without an extra copy.
    pub fn get_with<R>(&self, key: &[u8], f: impl FnOnce(Option<&[u8]>) -> R) -> Result<R> {
        check_key(key)?;
        // A guard, not a counted reference: readers on all threads would
        // otherwise contend on one reference count. It still pins the
        // snapshot: replacing it pays the guard's debt before the writer can
        // see the old snapshot's reference count.
        let snap = self.shared.current.load();
        crate::trie::lookup(&**snap, snap.meta.root, snap.store.hash(key), key, f)
    }

    /// Whether `key` is present (without reading its value).
    pub fn contains(&self, key: &[u8]) -> Result<bool> {
        check_key(key)?;
        let snap = self.shared.current.load();
        crate::trie::contains(&**snap, snap.meta.root, snap.store.hash(key), key)
    }

    /// The number of keys, in O(1).
    pub fn len(&self) -> u64 {
        self.shared.current.load().meta.key_count
    }

    /// Whether the database holds no keys.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Inserts or replaces `key` (auto-commit): when it returns, the write is
    /// committed, and durable unless the database uses
    /// [`Durability::Relaxed`]. Waits up to the busy timeout while a write
    /// transaction is open (`BUSY` after).
    ///
    /// Errors: `INVALID_ARGUMENT` (empty key), `KEY_TOO_LARGE`,
    /// `INVALID_VALUE` (not exactly one well-formed CBOR item; see
    /// [`crate::cbor::validate`]), `VALUE_TOO_LARGE` (over
    /// [`crate::MAX_VALUE_LEN`]), `READ_ONLY`, `BUSY`, `IO`, `DISK_FULL`.
    ///
    /// ```
    /// use nookdb::{Database, ErrorKind};
    ///
    /// let db = Database::memory();
    /// db.put(b"k", &[0x01])?;
    /// db.put(b"k", &[0x02])?; // replaces
    /// assert_eq!(db.get(b"k")?, Some(vec![0x02]));
    /// // A value must be exactly one CBOR item: 0x18 alone is truncated.
    /// assert_eq!(db.put(b"k", &[0x18]).unwrap_err().kind(), ErrorKind::InvalidValue);
    /// # Ok::<(), nookdb::Error>(())
    /// ```
    pub fn put(&self, key: &[u8], value: &[u8]) -> Result<()> {
        self.auto_commit(AutoOp::Put(key.to_vec(), value.to_vec()))
            .map(|_| ())
    }

    /// Inserts `key`; `ALREADY_EXISTS` if it is present, and nothing changes
    /// (auto-commit). Other errors as [`Database::put`].
    pub fn insert(&self, key: &[u8], value: &[u8]) -> Result<()> {
        self.auto_commit(AutoOp::Insert(key.to_vec(), value.to_vec()))
            .map(|_| ())
    }

    /// Replaces the value of `key`; `NOT_FOUND` if it is absent, and nothing
    /// changes (auto-commit). Other errors as [`Database::put`].
    pub fn update(&self, key: &[u8], value: &[u8]) -> Result<()> {
        self.auto_commit(AutoOp::Update(key.to_vec(), value.to_vec()))
            .map(|_| ())
    }

    /// Removes `key` and returns whether it was present (auto-commit). The
    /// errors are those of [`Database::put`] but the value's.
    ///
    /// ```
    /// let db = nookdb::Database::memory();
    /// db.put(b"k", &[0xf6])?;
    /// assert!(db.delete(b"k")?);
    /// assert!(!db.delete(b"k")?); // absent: not an error
    /// # Ok::<(), nookdb::Error>(())
    /// ```
    pub fn delete(&self, key: &[u8]) -> Result<bool> {
        check_key(key)?;
        self.auto_commit(AutoOp::Delete(key.to_vec()))
    }

    /// Applies every write of `batch` atomically, in order, as one commit
    /// (auto-commit). A bad key or value anywhere refuses the whole batch
    /// before anything is applied; other errors as [`Database::put`].
    pub fn write_batch(&self, batch: &WriteBatch) -> Result<()> {
        batch.validate()?;
        self.auto_commit(AutoOp::Batch(batch.clone())).map(|_| ())
    }

    /// Encodes `value` as CBOR (with `ciborium`) and puts it under `key`, as
    /// [`Database::put`].
    ///
    /// ```
    /// #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    /// struct User { name: String, born: u16 }
    ///
    /// let db = nookdb::Database::memory();
    /// db.put_value(b"user:1", &User { name: "Ada".into(), born: 1815 })?;
    /// let ada: Option<User> = db.get_value(b"user:1")?;
    /// assert_eq!(ada, Some(User { name: "Ada".into(), born: 1815 }));
    /// # Ok::<(), nookdb::Error>(())
    /// ```
    pub fn put_value<T: Serialize + ?Sized>(&self, key: &[u8], value: &T) -> Result<()> {
        self.put(key, &typed::to_cbor(value)?)
    }

    /// The value of `key` decoded from CBOR into a `T`, or `None`.
    /// `INVALID_VALUE` when the stored value does not decode as a `T`.
    pub fn get_value<T: DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>> {
        self.get(key)?.map(|v| typed::from_cbor(&v)).transpose()
    }

    /// Every `(key, value)` pair of the current snapshot, in unspecified
    /// (hash) order. The iterator holds its snapshot: it sees none of the
    /// commits made while it runs, and keeps the pages it needs alive until
    /// it is dropped.
    ///
    /// ```
    /// let db = nookdb::Database::memory();
    /// db.put(b"a", &[0x01])?;
    /// db.put(b"b", &[0x02])?;
    /// let mut pairs = db.iter()?.collect::<nookdb::Result<Vec<_>>>()?;
    /// pairs.sort(); // no particular order otherwise
    /// assert_eq!(pairs, [(b"a".to_vec(), vec![0x01]), (b"b".to_vec(), vec![0x02])]);
    /// # Ok::<(), nookdb::Error>(())
    /// ```
    pub fn iter(&self) -> Result<Iter> {
        Ok(Iter::new(
            ReadTxn {
                snap: self.snapshot(),
            },
            Cursor::all(),
        ))
    }

    /// The pairs whose key starts with `prefix`, from one snapshot, in
    /// unspecified order. It reads the whole index (its cost grows with the
    /// database, not with the number of pairs returned).
    ///
    /// ```
    /// let db = nookdb::Database::memory();
    /// for key in [&b"user:1"[..], b"user:2", b"order:1"] {
    ///     db.put(key, &[0xf6])?;
    /// }
    /// let mut keys = Vec::new();
    /// for pair in db.scan_prefix(b"user:")? {
    ///     let (key, _value) = pair?;
    ///     keys.push(key);
    /// }
    /// keys.sort();
    /// assert_eq!(keys, [b"user:1".to_vec(), b"user:2".to_vec()]);
    /// # Ok::<(), nookdb::Error>(())
    /// ```
    pub fn scan_prefix(&self, prefix: &[u8]) -> Result<Iter> {
        Ok(Iter::new(
            ReadTxn {
                snap: self.snapshot(),
            },
            Cursor::new(prefix),
        ))
    }

    /// Starts a read transaction on the latest committed state: a snapshot
    /// that never changes, never waits for the writer and never makes it
    /// wait. Drop it when done: it keeps the pages it sees from being reused.
    ///
    /// ```
    /// let db = nookdb::Database::memory();
    /// db.put(b"a", &[0x01])?;
    /// let snapshot = db.begin_read()?;
    /// db.put(b"b", &[0x02])?; // committed after the snapshot began
    /// assert_eq!(snapshot.get(b"b")?, None);
    /// assert_eq!((snapshot.len(), db.len()), (1, 2));
    /// # Ok::<(), nookdb::Error>(())
    /// ```
    pub fn begin_read(&self) -> Result<ReadTxn> {
        Ok(ReadTxn {
            snap: self.snapshot(),
        })
    }

    /// Starts the write transaction, waiting while another one is open, up
    /// to the busy timeout ([`Options::busy_timeout`]); `BUSY` after.
    /// `READ_ONLY` on a read-only handle. Its changes are seen by no one else
    /// until [`WriteTxn::commit`]; dropping it rolls them back.
    ///
    /// ```
    /// let db = nookdb::Database::memory();
    /// let mut txn = db.begin_write()?;
    /// txn.put(b"from", &[0x00])?;
    /// txn.put(b"to", &[0x18, 0x64])?;
    /// assert_eq!(db.get(b"to")?, None); // not committed yet
    /// txn.commit()?; // both or neither
    /// assert_eq!(db.get(b"to")?, Some(vec![0x18, 0x64]));
    ///
    /// let mut txn = db.begin_write()?;
    /// txn.delete(b"to")?;
    /// drop(txn); // rolled back
    /// assert!(db.contains(b"to")?);
    /// # Ok::<(), nookdb::Error>(())
    /// ```
    pub fn begin_write(&self) -> Result<WriteTxn> {
        self.try_begin_write(self.busy_timeout)
    }

    /// Starts the write transaction, waiting at most `timeout`; `BUSY` after.
    pub fn try_begin_write(&self, timeout: Duration) -> Result<WriteTxn> {
        self.check_writable()?;
        let guard = self
            .shared
            .writer
            .try_lock_arc_for(timeout)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Busy,
                    "another write transaction stayed open; commit or roll it back, or wait longer",
                )
            })?;
        self.start_write(guard)
    }

    fn check_writable(&self) -> Result<()> {
        if self.read_only {
            return Err(Error::new(
                ErrorKind::ReadOnly,
                "the database was opened read-only; reopen it without read_only to write",
            ));
        }
        Ok(())
    }

    fn start_write(
        &self,
        mut state: parking_lot::ArcMutexGuard<parking_lot::RawMutex, WriterState>,
    ) -> Result<WriteTxn> {
        if let Some(e) = &state.poisoned {
            return Err(e.reworded(format!(
                "the database refuses writes after an earlier failure ({}); close and reopen it",
                e.message()
            )));
        }
        let reuse_limit = state.reuse_limit();
        let meta = state.meta;
        let store = state.store.clone();
        Ok(WriteTxn {
            shared: self.shared.clone(),
            alloc: Allocator::new(&meta, reuse_limit),
            state,
            store,
            txid: meta.txid + 1,
            root: meta.root,
            key_count: meta.key_count,
            dirty: Default::default(),
            changed: false,
            overflow_written: Vec::new(),
            poisoned: Default::default(),
        })
    }

    /// Group commit (as in LevelDB): the write joins a queue; the write at
    /// the front leads: it commits a group of queued writes in one
    /// transaction (one fsync) while the rest wait, and each waiter gets its
    /// own result. Writes that arrive meanwhile form the next group.
    fn auto_commit(&self, op: AutoOp) -> Result<bool> {
        self.check_writable()?;
        let mine = Arc::new(QueuedWrite {
            op,
            result: Mutex::new(None),
        });
        let mut queue = self.shared.queue.lock();
        queue.push_back(mine.clone());
        loop {
            if let Some(result) = mine.result.lock().take() {
                return result;
            }
            if queue.front().is_some_and(|w| Arc::ptr_eq(w, &mine)) {
                break;
            }
            self.shared.group_done.wait(&mut queue);
        }
        // Lead: take a group from the front, leaving it queued so that no one
        // else leads until it is committed.
        let mut size = 0;
        let group: Vec<Arc<QueuedWrite>> = queue
            .iter()
            .take_while(|w| {
                let fits = size == 0 || size + w.op.payload_len() <= GROUP_LIMIT;
                size += w.op.payload_len();
                fits
            })
            .cloned()
            .collect();
        drop(queue);
        let outcome = self.begin_write().and_then(|mut txn| {
            let mut results = Vec::with_capacity(group.len());
            for w in &group {
                // A clean refusal left the transaction as it was, so the
                // group goes on; any other error poisoned it.
                match w.op.apply(&mut txn) {
                    Err(e) if !e.kind().is_clean_refusal() => return Err(e),
                    r => results.push(r),
                }
            }
            txn.commit().map(|()| results)
        });
        let results: Vec<Result<bool>> = match outcome {
            Ok(results) => results,
            Err(e) => group.iter().map(|_| Err(e.clone())).collect(),
        };
        let mut queue = self.shared.queue.lock();
        for (w, r) in group.iter().zip(results) {
            *w.result.lock() = Some(r);
            queue.pop_front();
        }
        self.shared.group_done.notify_all();
        drop(queue);
        let result = mine.result.lock().take();
        result.unwrap_or_else(|| Err(Error::internal("the group leader lost its own result")))
    }

    /// The writer lock for maintenance work, waiting up to the busy timeout:
    /// an open write transaction (perhaps on the caller's own thread) gives
    /// `BUSY` instead of a deadlock.
    pub(crate) fn writer_for_maintenance(
        &self,
    ) -> Result<parking_lot::MutexGuard<'_, WriterState>> {
        self.shared
            .writer
            .try_lock_for(self.busy_timeout)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Busy,
                    "a write transaction stayed open; commit or roll it back first",
                )
            })
    }

    /// Makes every commit durable now (useful with [`Durability::Relaxed`];
    /// with immediate durability they already are). Waits for an open write
    /// transaction like a write (`BUSY` after the busy timeout); does nothing
    /// on a read-only handle. Errors: `BUSY`, `IO`, `DISK_FULL`.
    pub fn sync(&self) -> Result<()> {
        if self.read_only {
            return Ok(());
        }
        let mut state = self.writer_for_maintenance()?;
        if let Some(e) = &state.poisoned {
            return Err(e.clone());
        }
        if state.durable_txid < state.meta.txid {
            make_durable(&mut state)?;
        }
        Ok(())
    }
}
