//! Transactions: [`ReadTxn`], a pinned snapshot, and [`WriteTxn`], the single
//! writer, which copies the trie path it changes into memory (copy-on-write)
//! and hands its dirty pages to the commit protocol in `commit.rs`.

use crate::alloc::Allocator;
use crate::db::{Shared, WriterState};
use crate::error::{Error, ErrorKind, Result};
use crate::node::{
    InnerNode, LeafEntry, Node, Slot, ENTRY_OVERHEAD, FANOUT, FULL_DEPTH, MAX_LEVEL,
};
use crate::overflow;
use crate::page::{PageId, TxId, PAGE_HEADER_LEN};
use crate::scan::{self, Cursor, PairBatch, ScanSink};
use crate::store::Store;
use crate::trie::{self, IndexNode, LeafRef, NodeRef, NodeSource};
use crate::{cbor, typed, WriteBatch, MAX_KEY_LEN, MAX_VALUE_LEN};
use crossbeam_epoch::Guard;
use hashbrown::HashMap;
use parking_lot::{ArcMutexGuard, RawMutex};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::Arc;

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

    /// Whether `key` is present.
    pub fn contains(&self, key: &[u8]) -> Result<bool> {
        self.get_with(key, |v| v.is_some())
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
        check_key(key)?;
        trie::lookup(self, self.root, self.store.hash(key), key, f)
    }

    /// The value of `key` decoded from CBOR into a `T`.
    pub fn get_value<T: DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>> {
        self.get(key)?.map(|v| typed::from_cbor(&v)).transpose()
    }

    /// Whether `key` is present.
    pub fn contains(&self, key: &[u8]) -> Result<bool> {
        self.get_with(key, |v| v.is_some())
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
        let mut batch = PairBatch::new(out, max_pairs);
        scan::scan(self, self.root, cursor, &mut batch)
    }

    /// Hands the pairs after `cursor`, as this transaction sees them, to
    /// `sink` without copying them (see [`ReadTxn::scan_into`]).
    pub fn scan_into(&self, cursor: &mut Cursor, sink: &mut dyn ScanSink) -> Result<()> {
        scan::scan(self, self.root, cursor, sink)
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
        check_key(key)?;
        self.check_writable()?;
        let hash = self.store.hash(key);
        if !trie::lookup(self, self.root, hash, key, |v| v.is_some())? {
            return Ok(false);
        }
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
        self.free_entry(&old)?;
        self.key_count -= 1;
        self.changed = true;
        self.merge_after_delete(&path, leaf_id)?;
        Ok(true)
    }

    /// Applies every write of `batch`, in order; on any error none of them.
    pub fn write_batch(&mut self, batch: &WriteBatch) -> Result<()> {
        batch.validate()?;
        for op in batch.ops() {
            match op {
                (k, Some(v)) => self.put(k, v)?,
                (k, None) => {
                    self.delete(k)?;
                }
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

    fn check_writable(&self) -> Result<()> {
        match &self.state.poisoned {
            Some(e) => Err(Error::new(
                e.kind(),
                format!("the database refuses writes after an earlier failure ({}); close and reopen it", e.message()),
            )),
            None => Ok(()),
        }
    }

    fn write(&mut self, key: &[u8], value: &[u8], mode: WriteMode) -> Result<()> {
        check_key(key)?;
        check_value(value)?;
        self.check_writable()?;
        let hash = self.store.hash(key);
        // Insert and update look first, so that a refusal changes nothing
        // (not even a copied page); put goes straight to the leaf.
        if mode != WriteMode::Put {
            let exists = trie::lookup(self, self.root, hash, key, |v| v.is_some())?;
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
        let entry = self.make_entry(hash, key, value)?;
        if !self.set_entry(hash, key, entry)? {
            self.key_count += 1;
        }
        self.changed = true;
        Ok(())
    }

    /// Builds the leaf entry for a pair, writing an overflow record if the
    /// pair is too large to sit in a leaf (more than a quarter of a page).
    fn make_entry(&mut self, hash: u64, key: &[u8], value: &[u8]) -> Result<LeafEntry> {
        let max_inline = (self.store.page_size - PAGE_HEADER_LEN) / 4;
        if ENTRY_OVERHEAD + key.len() + value.len() <= max_inline {
            return Ok(LeafEntry::inline(hash, key, value));
        }
        let key_inline = ENTRY_OVERHEAD + key.len() + 8 <= max_inline;
        let parts: &[&[u8]] = if key_inline { &[value] } else { &[key, value] };
        let store = self.store.clone();
        let alloc = &mut self.alloc;
        let head = overflow::write(
            &store,
            self.txid,
            parts,
            || alloc.alloc(&store),
            &mut self.overflow_written,
        )?;
        Ok(LeafEntry::in_overflow(
            hash,
            key,
            key_inline,
            head,
            value.len() as u32,
        ))
    }

    fn free_entry(&mut self, entry: &LeafEntry) -> Result<()> {
        let entry = entry.view();
        if let Some((head, value_len)) = entry.overflow {
            let len = entry.overflow_skip() + value_len as usize;
            for p in overflow::pages(&self.store, head, len, self.alloc.page_count)? {
                self.alloc.free(p);
            }
        }
        Ok(())
    }

    /// Makes page `id` writable in this transaction: a page already written by
    /// it is used as is; a committed page is copied to a newly allocated page.
    fn cow(&mut self, id: PageId) -> Result<PageId> {
        if self.dirty.contains_key(&id) {
            return Ok(id);
        }
        let node = self.store.node(id, self.alloc.page_count)?;
        let new_id = self.alloc.alloc(&self.store)?;
        self.alloc.free(id);
        self.dirty.insert(new_id, node);
        Ok(new_id)
    }

    fn inner_mut(&mut self, id: PageId) -> Result<&mut InnerNode> {
        match self.dirty.get_mut(&id) {
            Some(Node::Inner(n)) => Ok(n),
            _ => Err(Error::corrupted(format!(
                "page {id}: expected an inner node of the index"
            ))),
        }
    }

    /// Copies the path from the root to the leaf of `hash` into this
    /// transaction. Returns the (inner page, slot index) pairs and the leaf.
    fn cow_path(&mut self, hash: u64) -> Result<(Vec<(PageId, usize)>, PageId)> {
        self.root = self.cow(self.root)?;
        let mut path = Vec::new();
        let mut cur = self.root;
        loop {
            let (level, index, slot) = match self.dirty.get(&cur) {
                Some(Node::Inner(n)) => {
                    let i = trie::route(hash, n.level);
                    (n.level, i, n.slots[i])
                }
                Some(Node::Leaf(_)) => return Ok((path, cur)),
                _ => return Err(Error::corrupted(format!("page {cur}: not an index page"))),
            };
            let child = self.cow(slot.child)?;
            match self.dirty.get(&child) {
                Some(Node::Inner(c)) if c.level == level + 1 && slot.depth == FULL_DEPTH => {}
                Some(Node::Leaf(_)) => {}
                _ => {
                    let old = slot.child;
                    return Err(Error::corrupted(format!(
                        "page {old}: misplaced in the index"
                    )));
                }
            }
            if child != slot.child {
                let (start, width) = slot.range(index);
                for s in &mut self.inner_mut(cur)?.slots[start..start + width] {
                    s.child = child;
                }
            }
            path.push((cur, index));
            cur = child;
        }
    }

    /// Puts `entry` in its leaf, splitting leaves until it fits. Returns
    /// whether it replaced an entry with the same key.
    fn set_entry(&mut self, hash: u64, key: &[u8], entry: LeafEntry) -> Result<bool> {
        let page_size = self.store.page_size;
        loop {
            let (path, leaf_id) = self.cow_path(hash)?;
            let Some(Node::Leaf(leaf)) = self.dirty.get(&leaf_id) else {
                return Err(Error::internal("cow_path did not end at a leaf"));
            };
            let position = trie::find_in_leaf(self, LeafRef::Node(leaf), hash, key)?;
            let old_len = match position {
                Ok(i) => leaf.entries()[i].encoded_len(),
                Err(_) => 0,
            };
            if leaf.encoded_len() - old_len + entry.encoded_len() <= page_size {
                let Some(Node::Leaf(leaf)) = self.dirty.get_mut(&leaf_id) else {
                    unreachable!()
                };
                return match position {
                    Ok(i) => {
                        let old = leaf.replace(i, entry);
                        self.free_entry(&old)?;
                        Ok(true)
                    }
                    Err(i) => {
                        leaf.insert(i, entry);
                        Ok(false)
                    }
                };
            }
            let &(parent, index) = path
                .last()
                .ok_or_else(|| Error::internal("a leaf without a parent"))?;
            self.split(parent, index, leaf_id)?;
        }
    }

    /// Splits the full leaf at `parent.slots[index]` in two by the next bit of
    /// the hash, or pushes it one level down when it already fills one slot.
    fn split(&mut self, parent: PageId, index: usize, leaf_id: PageId) -> Result<()> {
        let inner = self.inner_mut(parent)?;
        let (level, slot) = (inner.level, inner.slots[index]);
        if slot.depth >= FULL_DEPTH {
            if level == MAX_LEVEL {
                return Err(Error::new(
                    ErrorKind::Internal,
                    "too many keys share the top 63 bits of one keyed hash (odds below 2^-200 for honest keys); this leaf cannot split",
                ));
            }
            let child = InnerNode {
                level: level + 1,
                slots: Box::new(
                    [Slot {
                        child: leaf_id,
                        depth: 0,
                    }; FANOUT],
                ),
            };
            let child_id = self.alloc.alloc(&self.store)?;
            self.dirty.insert(child_id, Node::Inner(child));
            self.inner_mut(parent)?.slots[index] = Slot {
                child: child_id,
                depth: FULL_DEPTH,
            };
            return Ok(());
        }
        let (start, width) = slot.range(index);
        let mid = start + width / 2;
        let right_id = self.alloc.alloc(&self.store)?;
        let Some(Node::Leaf(leaf)) = self.dirty.get_mut(&leaf_id) else {
            return Err(Error::internal("split of a non-leaf"));
        };
        let cut = leaf
            .entries()
            .partition_point(|e| trie::route(e.hash, level) < mid);
        let right = leaf.split_off(cut);
        self.dirty.insert(right_id, Node::Leaf(right));
        let depth = slot.depth + 1;
        let slots = &mut self.inner_mut(parent)?.slots;
        for s in &mut slots[start..mid] {
            *s = Slot {
                child: leaf_id,
                depth,
            };
        }
        for s in &mut slots[mid..start + width] {
            *s = Slot {
                child: right_id,
                depth,
            };
        }
        Ok(())
    }

    /// After a delete, merges the leaf with its buddy while both fit in three
    /// quarters of a page (the slack avoids split/merge ping-pong), and folds
    /// an inner node that is down to one leaf back into its parent.
    fn merge_after_delete(&mut self, path: &[(PageId, usize)], leaf_id: PageId) -> Result<()> {
        let budget = self.store.page_size * 3 / 4;
        let mut level_index = path.len();
        while level_index > 0 {
            let (parent, index) = path[level_index - 1];
            let slot = self.inner_mut(parent)?.slots[index];
            if slot.depth == 0 {
                // The leaf fills its parent alone: replace the parent by the leaf.
                if level_index < 2 {
                    return Ok(());
                }
                let (grand, gindex) = path[level_index - 2];
                self.inner_mut(grand)?.slots[gindex] = Slot {
                    child: leaf_id,
                    depth: FULL_DEPTH,
                };
                self.dirty.remove(&parent);
                self.alloc.free(parent);
                level_index -= 1;
                continue;
            }
            let (start, width) = slot.range(index);
            let buddy_start = start ^ width;
            let buddy = self.inner_mut(parent)?.slots[buddy_start];
            if buddy.depth != slot.depth {
                return Ok(());
            }
            let buddy_id = buddy.child;
            let Some(Node::Leaf(leaf)) = self.dirty.get(&leaf_id) else {
                return Err(Error::internal("merge of a non-leaf"));
            };
            let leaf_len = leaf.encoded_len();
            // Size the buddy in place: most buddies are not merged, so
            // decoding each one would be wasted.
            let fits = {
                let guard = crossbeam_epoch::pin();
                let node = self.node(buddy_id, &guard)?;
                match node.index(buddy_id)? {
                    IndexNode::Leaf(b) => leaf_len + b.encoded_len() - PAGE_HEADER_LEN <= budget,
                    IndexNode::Inner(_) => return Ok(()),
                }
            };
            if !fits {
                return Ok(());
            }
            let buddy_leaf = match self.dirty.get(&buddy_id) {
                Some(Node::Leaf(n)) => n.clone(),
                _ => match self.store.node(buddy_id, self.alloc.page_count)? {
                    Node::Leaf(n) => n,
                    _ => return Err(Error::internal("a buddy leaf changed kind")),
                },
            };
            let Some(Node::Leaf(leaf)) = self.dirty.get_mut(&leaf_id) else {
                unreachable!()
            };
            leaf.join(&buddy_leaf, buddy_start < start);
            self.dirty.remove(&buddy_id);
            self.alloc.free(buddy.child);
            let lo = start.min(buddy_start);
            let depth = slot.depth - 1;
            for s in &mut self.inner_mut(parent)?.slots[lo..lo + 2 * width] {
                *s = Slot {
                    child: leaf_id,
                    depth,
                };
            }
        }
        Ok(())
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
