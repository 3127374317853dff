//! Transactions: [`ReadTxn`], a pinned snapshot, and [`WriteTxn`], the single
//! writer, which copies the trie path it changes into memory (copy-on-write,
//! in `cow.rs`) and hands its dirty pages to the commit protocol in
//! `commit.rs`.

use crate::alloc::Allocator;
use crate::db::{Shared, WriterState};
use crate::error::{Error, ErrorKind, Result};
use crate::node::Node;
use crate::page::{PageId, TxId};
use crate::scan::{self, Cursor, PairBatch, ScanSink};
use crate::store::Store;
use crate::trie::{self, LeafRef, NodeRef, NodeSource};
use crate::{cbor, typed, WriteBatch, MAX_KEY_LEN, MAX_VALUE_LEN};
use crossbeam_epoch::Guard;
use hashbrown::HashMap;
use parking_lot::{ArcMutexGuard, RawMutex};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::{Arc, OnceLock};

/// A committed state of the database, pinned while anyone holds it: the pages
/// it reaches are not reused until the last holder lets go.
pub(crate) struct Snapshot {
    /// The commit record of this state (root, key count, page count, queue).
    pub meta: crate::page::MetaPage,
    pub store: Arc<Store>,
}

impl Snapshot {
    pub fn new(meta: crate::page::MetaPage, store: Arc<Store>) -> Snapshot {
        Snapshot { meta, store }
    }
}

impl NodeSource for Snapshot {
    #[inline]
    fn node<'a>(&'a self, id: PageId, guard: &'a Guard) -> Result<NodeRef<'a>> {
        Ok(NodeRef::Page(self.store.page(
            id,
            self.meta.page_count,
            guard,
        )?))
    }
    fn store(&self) -> &Store {
        &self.store
    }
    fn page_count(&self) -> u64 {
        self.meta.page_count
    }
}

/// A key count that the index contradicts (a forged or damaged meta page):
/// refused before it could wrap around.
fn miscounted(key_count: u64) -> Error {
    Error::corrupted(format!(
        "the meta page counts {key_count} keys, which the index contradicts; run check"
    ))
}

pub(crate) fn check_key(key: &[u8]) -> Result<()> {
    if key.is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            "the key is empty; keys must be 1 to 4096 bytes",
        ));
    }
    if key.len() > MAX_KEY_LEN {
        return Err(Error::new(
            ErrorKind::KeyTooLarge,
            format!(
                "the key is {} bytes; keys may be at most {MAX_KEY_LEN} bytes",
                key.len()
            ),
        ));
    }
    Ok(())
}

pub(crate) fn check_value(value: &[u8]) -> Result<()> {
    if value.len() > MAX_VALUE_LEN {
        return Err(Error::new(
            ErrorKind::ValueTooLarge,
            format!(
                "the value is {} bytes; values may be at most {MAX_VALUE_LEN} bytes (64 MiB): split it over several keys",
                value.len()
            ),
        ));
    }
    cbor::validate(value)
}

/// A read transaction: a stable snapshot of the database. It never blocks the
/// writer and is never blocked by it. `Send + Sync`; not tied to a thread.
pub struct ReadTxn {
    pub(crate) snap: Arc<Snapshot>,
}

impl ReadTxn {
    /// The value of `key`, or `None`.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.get_with(key, |v| v.map(<[u8]>::to_vec))
    }

    /// Hands the value of `key` (or `None`) to `f` without copying it out.
    pub fn get_with<R>(&self, key: &[u8], f: impl FnOnce(Option<&[u8]>) -> R) -> Result<R> {
        check_key(key)?;
        let hash = self.snap.store.hash(key);
        trie::lookup(&*self.snap, self.snap.meta.root, hash, key, f)
    }

    /// The value of `key` decoded from CBOR into a `T`.
    pub fn get_value<T: DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>> {
        self.get(key)?.map(|v| typed::from_cbor(&v)).transpose()
    }

    /// Whether `key` is present (without reading its value).
    pub fn contains(&self, key: &[u8]) -> Result<bool> {
        check_key(key)?;
        let hash = self.snap.store.hash(key);
        trie::contains(&*self.snap, self.snap.meta.root, hash, key)
    }

    /// The number of keys in this snapshot, in O(1).
    pub fn len(&self) -> u64 {
        self.snap.meta.key_count
    }

    /// Whether this snapshot holds no keys.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The id of the commit this snapshot shows.
    pub fn txid(&self) -> u64 {
        self.snap.meta.txid
    }

    /// Every pair of this snapshot, in unspecified (hash) order.
    pub fn iter(&self) -> Iter {
        self.scan_prefix(&[])
    }

    /// The pairs whose key starts with `prefix`, in unspecified order.
    pub fn scan_prefix(&self, prefix: &[u8]) -> Iter {
        Iter::new(
            ReadTxn {
                snap: self.snap.clone(),
            },
            Cursor::new(prefix),
        )
    }

    /// Appends up to `max_pairs` pairs after `cursor` to `out` (the batched
    /// step behind iterators and ABI cursors).
    pub fn next_batch(
        &self,
        cursor: &mut Cursor,
        max_pairs: usize,
        out: &mut Vec<(Vec<u8>, Vec<u8>)>,
    ) -> Result<()> {
        let mut batch = PairBatch::new(out, max_pairs);
        scan::scan(&*self.snap, self.snap.meta.root, cursor, &mut batch)
    }

    /// Hands the pairs after `cursor` to `sink` without copying them, until
    /// the sink refuses one or the scan ends, and advances the cursor.
    pub fn scan_into(&self, cursor: &mut Cursor, sink: &mut dyn ScanSink) -> Result<()> {
        scan::scan(&*self.snap, self.snap.meta.root, cursor, sink)
    }
}

/// A cursor with a buffer of fetched pairs: the iteration logic shared by
/// [`Iter`] and [`TxnIter`].
struct Batches {
    cursor: Cursor,
    buffer: std::collections::VecDeque<(Vec<u8>, Vec<u8>)>,
    failed: bool,
}

impl Batches {
    fn new(cursor: Cursor) -> Batches {
        Batches {
            cursor,
            buffer: Default::default(),
            failed: false,
        }
    }

    /// The next pair, fetching 256 more with `fetch` when the buffer is empty.
    fn next(
        &mut self,
        fetch: impl FnOnce(&mut Cursor, &mut Vec<(Vec<u8>, Vec<u8>)>) -> Result<()>,
    ) -> Option<Result<(Vec<u8>, Vec<u8>)>> {
        if self.buffer.is_empty() && !self.cursor.is_done() && !self.failed {
            let mut out = Vec::new();
            if let Err(e) = fetch(&mut self.cursor, &mut out) {
                self.failed = true;
                return Some(Err(e));
            }
            self.buffer.extend(out);
        }
        self.buffer.pop_front().map(Ok)
    }
}

/// An iterator over the pairs of one snapshot, fetched in batches.
pub struct Iter {
    txn: ReadTxn,
    batches: Batches,
}

impl Iter {
    pub(crate) fn new(txn: ReadTxn, cursor: Cursor) -> Iter {
        Iter {
            txn,
            batches: Batches::new(cursor),
        }
    }
}

impl Iterator for Iter {
    type Item = Result<(Vec<u8>, Vec<u8>)>;

    fn next(&mut self) -> Option<Self::Item> {
        let txn = &self.txn;
        self.batches
            .next(|cursor, out| txn.next_batch(cursor, 256, out))
    }
}

/// What a write did to a key, for `insert`/`update`/`delete` semantics.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteMode {
    Put,
    Insert,
    Update,
}

/// The single write transaction. Its changes are visible only to itself until
/// [`WriteTxn::commit`]; dropping it without committing rolls it back.
/// `Send`: it may move between threads (it is not tied to the one that began it).
///
/// # Poisoning
///
/// An operation that fails with a *clean refusal* ([`ErrorKind::is_clean_refusal`]:
/// `NOT_FOUND`, `ALREADY_EXISTS`, `INVALID_ARGUMENT`, `INVALID_VALUE`,
/// `KEY_TOO_LARGE`, `VALUE_TOO_LARGE`) checked before changing anything: the
/// transaction goes on as if it had not been called. Any other failure (an
/// I/O error, a damaged page, a full disk…) may have left part of the
/// operation applied (a leaf entry removed but its pages not freed, half of a
/// batch), so it *poisons* the transaction: every later call on it, reads
/// included, and [`WriteTxn::commit`] return an error of the original kind
/// saying so, and only a rollback (or drop) remains. The database keeps the
/// state before the transaction, and the next transaction starts clean.
///
/// ```
/// # use nookdb::{Database, ErrorKind};
/// let db = Database::memory();
/// let mut txn = db.begin_write().unwrap();
/// txn.put(b"a", &[0x01]).unwrap();
/// // A clean refusal: the transaction goes on.
/// assert_eq!(txn.insert(b"a", &[0x02]).unwrap_err().kind(), ErrorKind::AlreadyExists);
/// txn.commit().unwrap();
/// ```
pub struct WriteTxn {
    pub(crate) state: ArcMutexGuard<RawMutex, WriterState>,
    pub(crate) store: Arc<Store>,
    pub(crate) txid: TxId,
    pub(crate) root: PageId,
    pub(crate) key_count: u64,
    pub(crate) dirty: HashMap<PageId, Node>,
    pub(crate) alloc: Allocator,
    pub(crate) changed: bool,
    /// Overflow pages this transaction wrote, with their checksums.
    pub(crate) overflow_written: Vec<(PageId, u64)>,
    /// The first failure that may have left this transaction half-applied
    /// (set once, from `&self` methods too).
    pub(crate) poisoned: OnceLock<Error>,
    /// Last, so that it drops after the writer lock above: if this is the
    /// last handle, closing the database takes that lock.
    pub(crate) shared: Arc<Shared>,
}

impl NodeSource for WriteTxn {
    fn node<'a>(&'a self, id: PageId, guard: &'a Guard) -> Result<NodeRef<'a>> {
        match self.dirty.get(&id) {
            Some(n) => Ok(NodeRef::Dirty(n)),
            None => Ok(NodeRef::Page(self.store.page(
                id,
                self.alloc.page_count,
                guard,
            )?)),
        }
    }
    fn store(&self) -> &Store {
        &self.store
    }
    fn page_count(&self) -> u64 {
        self.alloc.page_count
    }
}

impl WriteTxn {
    /// The value of `key` as this transaction sees it.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.get_with(key, |v| v.map(<[u8]>::to_vec))
    }

    /// Hands the value of `key` (or `None`) to `f` without copying it out.
    pub fn get_with<R>(&self, key: &[u8], f: impl FnOnce(Option<&[u8]>) -> R) -> Result<R> {
        self.check_not_poisoned()?;
        check_key(key)?;
        let found = trie::lookup(self, self.root, self.store.hash(key), key, f);
        self.poison_on_failure(found)
    }

    /// The value of `key` decoded from CBOR into a `T`.
    pub fn get_value<T: DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>> {
        self.get(key)?.map(|v| typed::from_cbor(&v)).transpose()
    }

    /// Whether `key` is present (without reading its value).
    pub fn contains(&self, key: &[u8]) -> Result<bool> {
        self.check_not_poisoned()?;
        check_key(key)?;
        let found = trie::contains(self, self.root, self.store.hash(key), key);
        self.poison_on_failure(found)
    }

    /// The number of keys, including this transaction's changes, in O(1).
    pub fn len(&self) -> u64 {
        self.key_count
    }

    /// Whether the database (as this transaction sees it) is empty.
    pub fn is_empty(&self) -> bool {
        self.key_count == 0
    }

    /// Appends up to `max_pairs` pairs after `cursor` to `out`, as this
    /// transaction sees them (its own writes included).
    pub fn next_batch(
        &self,
        cursor: &mut Cursor,
        max_pairs: usize,
        out: &mut Vec<(Vec<u8>, Vec<u8>)>,
    ) -> Result<()> {
        self.scan_into(cursor, &mut PairBatch::new(out, max_pairs))
    }

    /// Hands the pairs after `cursor`, as this transaction sees them, to
    /// `sink` without copying them (see [`ReadTxn::scan_into`]).
    pub fn scan_into(&self, cursor: &mut Cursor, sink: &mut dyn ScanSink) -> Result<()> {
        self.check_not_poisoned()?;
        let scanned = scan::scan(self, self.root, cursor, sink);
        self.poison_on_failure(scanned)
    }

    /// Every pair as this transaction sees it, in unspecified order.
    pub fn iter(&self) -> TxnIter<'_> {
        self.scan_prefix(&[])
    }

    /// The pairs whose key starts with `prefix`, as this transaction sees them.
    pub fn scan_prefix(&self, prefix: &[u8]) -> TxnIter<'_> {
        TxnIter {
            txn: self,
            batches: Batches::new(Cursor::new(prefix)),
        }
    }

    /// Inserts or replaces `key`.
    pub fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        self.write(key, value, WriteMode::Put)
    }

    /// Inserts `key`; `ALREADY_EXISTS` if it is present.
    pub fn insert(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        self.write(key, value, WriteMode::Insert)
    }

    /// Replaces the value of `key`; `NOT_FOUND` if it is absent.
    pub fn update(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        self.write(key, value, WriteMode::Update)
    }

    /// Encodes `value` as CBOR and puts it under `key`.
    pub fn put_value<T: Serialize + ?Sized>(&mut self, key: &[u8], value: &T) -> Result<()> {
        self.put(key, &typed::to_cbor(value)?)
    }

    /// Removes `key`; returns whether it was present.
    pub fn delete(&mut self, key: &[u8]) -> Result<bool> {
        self.check_not_poisoned()?;
        check_key(key)?;
        let removed = self.remove(key);
        self.poison_on_failure(removed)
    }

    /// Applies every write of `batch`, in order. A batch with a bad key or
    /// value is refused whole before anything is applied; a failure while
    /// applying it poisons the transaction (see [`WriteTxn`]), so that none
    /// of the batch can be committed.
    pub fn write_batch(&mut self, batch: &WriteBatch) -> Result<()> {
        self.check_not_poisoned()?;
        batch.validate()?;
        for op in batch.ops() {
            let applied = match op {
                (k, Some(v)) => self.apply_write(k, v, WriteMode::Put),
                (k, None) => self.remove(k).map(drop),
            };
            if let Err(e) = applied {
                // Earlier items are applied: even a refusal here is half a batch.
                let _ = self.poisoned.set(e.clone());
                return Err(e);
            }
        }
        Ok(())
    }

    /// The id this transaction will commit as.
    pub fn txid(&self) -> u64 {
        self.txid
    }

    /// Discards every change.
    pub fn rollback(self) {}

    /// The error for any call on a poisoned transaction: the kind of the
    /// failure that poisoned it.
    pub(crate) fn check_not_poisoned(&self) -> Result<()> {
        match self.poisoned.get() {
            Some(e) => Err(e.reworded(format!(
                "this write transaction failed earlier ({}) and must be rolled back; nothing of it can be committed",
                e.message()
            ))),
            None => Ok(()),
        }
    }

    /// Poisons the transaction if `result` is a failure other than a clean
    /// refusal, which may have left part of an operation applied.
    fn poison_on_failure<R>(&self, result: Result<R>) -> Result<R> {
        if let Err(e) = &result {
            if !e.kind().is_clean_refusal() {
                let _ = self.poisoned.set(e.clone());
            }
        }
        result
    }

    fn check_writable(&self) -> Result<()> {
        match &self.state.poisoned {
            Some(e) => Err(e.reworded(format!(
                "the database refuses writes after an earlier failure ({}); close and reopen it",
                e.message()
            ))),
            None => Ok(()),
        }
    }

    fn write(&mut self, key: &[u8], value: &[u8], mode: WriteMode) -> Result<()> {
        self.check_not_poisoned()?;
        check_key(key)?;
        check_value(value)?;
        let written = self.apply_write(key, value, mode);
        self.poison_on_failure(written)
    }

    /// Puts a checked pair in the trie. Insert and update refuse before they
    /// change anything (not even a copied page); a later failure may leave
    /// the change half-applied.
    fn apply_write(&mut self, key: &[u8], value: &[u8], mode: WriteMode) -> Result<()> {
        self.check_writable()?;
        let hash = self.store.hash(key);
        if mode != WriteMode::Put {
            let exists = trie::contains(self, self.root, hash, key)?;
            match (mode, exists) {
                (WriteMode::Insert, true) => {
                    return Err(Error::new(
                        ErrorKind::AlreadyExists,
                        "the key already exists; use put to replace its value",
                    ))
                }
                (WriteMode::Update, false) => {
                    return Err(Error::new(
                        ErrorKind::NotFound,
                        "the key does not exist; use put or insert to create it",
                    ))
                }
                _ => {}
            }
        }
        if self.key_count == u64::MAX {
            return Err(miscounted(self.key_count));
        }
        let entry = self.make_entry(hash, key, value)?;
        // From here on the trie changes: mark the transaction changed first,
        // so that nothing half-applied can pass for an empty transaction.
        self.changed = true;
        if !self.set_entry(hash, key, entry)? {
            self.key_count += 1;
        }
        Ok(())
    }

    /// Removes a checked key: looks first (an absent key changes nothing),
    /// then removes its entry, frees its overflow record and merges leaves.
    fn remove(&mut self, key: &[u8]) -> Result<bool> {
        self.check_writable()?;
        let hash = self.store.hash(key);
        if !trie::contains(self, self.root, hash, key)? {
            return Ok(false);
        }
        if self.key_count == 0 {
            return Err(miscounted(self.key_count));
        }
        self.changed = true;
        let (path, leaf_id) = self.cow_path(hash)?;
        let Some(Node::Leaf(leaf)) = self.dirty.get(&leaf_id) else {
            return Err(Error::internal("cow_path did not end at a leaf"));
        };
        let index = trie::find_in_leaf(self, LeafRef::Node(leaf), hash, key)?
            .map_err(|_| Error::internal("a key found by lookup is missing from its leaf"))?;
        let Some(Node::Leaf(leaf)) = self.dirty.get_mut(&leaf_id) else {
            unreachable!()
        };
        let old = leaf.remove(index);
        self.key_count -= 1;
        self.free_entry(&old)?;
        self.merge_after_delete(&path, leaf_id)?;
        Ok(true)
    }
}

/// An iterator over the pairs a write transaction sees.
pub struct TxnIter<'t> {
    txn: &'t WriteTxn,
    batches: Batches,
}

impl Iterator for TxnIter<'_> {
    type Item = Result<(Vec<u8>, Vec<u8>)>;

    fn next(&mut self) -> Option<Self::Item> {
        let txn = self.txn;
        self.batches
            .next(|cursor, out| txn.next_batch(cursor, 256, out))
    }
}
