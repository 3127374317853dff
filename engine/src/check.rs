//! Maintenance: [`Database::check`] (verify every reachable page and the index
//! structure), [`Database::stats`], [`Database::backup`] and
//! [`Database::compact`] (rewrite into a near-minimal file).

use crate::db::{Database, Location};
use crate::error::{Error, ErrorKind, Result};
use crate::node::{Node, FANOUT, FULL_DEPTH, MAX_LEVEL};
use crate::open;
use crate::overflow;
use crate::page::{PageId, PageKind, TxId};
use crate::platform::{self, Lock};
use crate::replace;
use crate::scan::Cursor;
use crate::storage::{FileBackend, MemoryBackend, StorageBackend};
use crate::trie;
use crate::txn::ReadTxn;
use crate::view::PageView;
use crate::{Durability, Options};
use std::fs::{self, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Figures about a database, from [`Database::stats`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Keys in the database.
    pub key_count: u64,
    /// Id of the last commit.
    pub txid: u64,
    /// Bytes per page, fixed when the file was created.
    pub page_size: u32,
    /// Pages the database uses, free ones included.
    pub page_count: u64,
    /// Pages waiting in the free-page queue for reuse.
    pub free_pages: u64,
    /// Bytes of the file; for an in-memory database, of its image in memory.
    pub file_size: u64,
    /// Levels of inner nodes on the longest path (1 for a small database).
    pub tree_depth: u32,
    /// Index pages that point to other index pages.
    pub inner_pages: u64,
    /// Index pages that hold keys (or refer to their overflow records).
    pub leaf_pages: u64,
    /// Pages of overflow records and of free-page queue bookkeeping.
    pub overflow_pages: u64,
    /// Bytes the page cache may hold ([`crate::Options::cache_size`], bounded).
    pub cache_capacity: u64,
    /// Bytes the page cache holds now.
    pub cache_used: u64,
    /// Page reads served from the page cache (a running count).
    pub cache_hits: u64,
    /// Page reads that missed the page cache and went to storage (a running count).
    pub cache_misses: u64,
}

/// What [`Database::check`] verified.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Pages read from disk and verified.
    pub pages_checked: u64,
    /// Keys found in the index (equal to the stored key count).
    pub keys_checked: u64,
    /// Pages neither reachable nor free: space lost, not data.
    pub leaked_pages: u64,
}

/// What [`Database::compact`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompactReport {
    /// Bytes of the file before compaction.
    pub size_before: u64,
    /// Bytes of the file after compaction.
    pub size_after: u64,
}

struct Checker<'a> {
    txn: &'a ReadTxn,
    seen: Vec<u64>,
    pages: u64,
    keys: u64,
}

impl Checker<'_> {
    fn mark(&mut self, id: PageId, what: &str) -> Result<()> {
        let (word, bit) = ((id / 64) as usize, id % 64);
        if id >= self.txn.snap.meta.page_count {
            return Err(Error::corrupted(format!(
                "page {id} ({what}) is outside the database"
            )));
        }
        if self.seen[word] & (1 << bit) != 0 {
            return Err(Error::corrupted(format!(
                "page {id} ({what}) is used twice"
            )));
        }
        self.seen[word] |= 1 << bit;
        self.pages += 1;
        Ok(())
    }

    /// Reads page `id` straight from the disk (not the cache) and decodes it.
    fn read(&self, id: PageId) -> Result<Node> {
        let store = &self.txn.snap.store;
        let raw = store
            .read_page(id, PageKind::Leaf)
            .or_else(|_| store.read_page(id, PageKind::Inner));
        let raw = match raw {
            Ok(r) => r,
            Err(_) => store.read_page(id, PageKind::Leaf)?, // report the leaf-shaped error
        };
        crate::view::validate(&raw, id, self.txn.snap.meta.page_count)?;
        Ok(Node::decode(PageView::of(&raw)))
    }

    /// Checks the subtree at `id`, whose hashes all start with `prefix` (the
    /// top `8 * level` bits) and route into `range` at the parent's level.
    fn visit(&mut self, id: PageId, level: u8, prefix: u64, range: (usize, usize)) -> Result<()> {
        let node = self.read(id)?;
        match node {
            Node::Inner(inner) => {
                self.mark(id, "inner node")?;
                if inner.level != level {
                    return Err(Error::corrupted(format!(
                        "page {id}: inner node at the wrong level"
                    )));
                }
                let mut i = 0;
                while i < inner.slots.len() {
                    let slot = inner.slots[i];
                    let (start, width) = slot.range(i);
                    let child_prefix = prefix | (start as u64) << trie::level_shift(level);
                    if slot.depth == FULL_DEPTH && level < MAX_LEVEL {
                        // An inner child routes by the next 9 bits; a leaf child of full depth covers one slot.
                        match self.read(slot.child)? {
                            Node::Inner(_) => {
                                self.visit(slot.child, level + 1, child_prefix, (0, FANOUT))?
                            }
                            _ => {
                                self.visit_leaf(slot.child, level, prefix, (start, start + width))?
                            }
                        }
                    } else {
                        self.visit_leaf(slot.child, level, prefix, (start, start + width))?;
                    }
                    i = start + width;
                }
                let _ = range;
                Ok(())
            }
            Node::Leaf(_) => Err(Error::corrupted(format!(
                "page {id}: a leaf where an inner node belongs"
            ))),
            Node::FreeList(_) => Err(Error::corrupted(format!(
                "page {id}: a free-list page inside the index"
            ))),
        }
    }

    fn visit_leaf(
        &mut self,
        id: PageId,
        level: u8,
        prefix: u64,
        range: (usize, usize),
    ) -> Result<()> {
        let Node::Leaf(leaf) = self.read(id)? else {
            return Err(Error::corrupted(format!("page {id}: expected a leaf")));
        };
        self.mark(id, "leaf")?;
        let high_mask = if level == 0 {
            0
        } else {
            !0u64 << trie::level_shift(level - 1)
        };
        let mut previous: Option<(u64, Vec<u8>)> = None;
        for e in leaf.entries().iter().map(|e| e.view()) {
            let r = trie::route(e.hash, level);
            if e.hash & high_mask != prefix || r < range.0 || r >= range.1 {
                return Err(Error::corrupted(format!(
                    "page {id}: a key sits in the wrong leaf"
                )));
            }
            let key = trie::entry_key(&*self.txn.snap, &e)?.into_owned();
            if self.txn.snap.store.hash(&key) != e.hash {
                return Err(Error::corrupted(format!(
                    "page {id}: a stored hash does not match its key"
                )));
            }
            if let Some(p) = &previous {
                if (p.0, &p.1) >= (e.hash, &key) {
                    return Err(Error::corrupted(format!(
                        "page {id}: entries out of order or duplicated"
                    )));
                }
            }
            if let Some((head, value_len)) = e.overflow {
                let skip = e.overflow_skip();
                let len = skip + value_len as usize;
                let store = &self.txn.snap.store;
                for p in overflow::pages(store, head, len, self.txn.snap.meta.page_count)? {
                    self.mark(p, "overflow record")?;
                }
                let value = overflow::read(
                    store,
                    head,
                    len,
                    skip,
                    value_len as usize,
                    self.txn.snap.meta.page_count,
                )?;
                crate::cbor::validate(&value).map_err(|_| {
                    Error::corrupted(format!("page {id}: a stored value is not CBOR"))
                })?;
            } else if let Some(v) = e.value {
                crate::cbor::validate(v).map_err(|_| {
                    Error::corrupted(format!("page {id}: a stored value is not CBOR"))
                })?;
            }
            previous = Some((e.hash, key));
            self.keys += 1;
        }
        Ok(())
    }
}

impl Database {
    /// Verifies every reachable page's checksum (read from disk, not the
    /// cache), the index structure, every value's CBOR and the free-page
    /// queue. Returns `CORRUPTED` naming the first bad page. It checks one
    /// snapshot and never blocks writers.
    ///
    /// ```
    /// let db = nookdb::Database::memory();
    /// db.put(b"k", &[0xf6])?;
    /// let report = db.check()?;
    /// assert_eq!(report.keys_checked, 1);
    /// assert_eq!(report.leaked_pages, 0);
    /// # Ok::<(), nookdb::Error>(())
    /// ```
    pub fn check(&self) -> Result<CheckReport> {
        let txn = self.begin_read()?;
        let meta = txn.snap.meta;
        let mut c = Checker {
            txn: &txn,
            seen: vec![0; meta.page_count.div_ceil(64) as usize],
            pages: 0,
            keys: 0,
        };
        for id in 0..3 {
            c.mark(id, "header")?;
        }
        c.visit(meta.root, 0, 0, (0, FANOUT))?;
        if c.keys != meta.key_count {
            return Err(Error::corrupted(format!(
                "the index holds {} keys but the meta page counts {}",
                c.keys, meta.key_count
            )));
        }
        // The free-page queue: every queued id free, none used twice.
        let store = txn.snap.store.clone();
        let (mut id, mut skip, mut queued) = (meta.free_head, meta.free_head_skip as usize, 0u64);
        while id != meta.free_tail {
            let raw = store.read_page(id, PageKind::FreeList)?;
            crate::view::validate(&raw, id, meta.page_count)?;
            let Node::FreeList(page) = Node::decode(PageView::of(&raw)) else {
                unreachable!()
            };
            c.mark(id, "free-list page")?;
            for &free in page.ids.iter().skip(skip) {
                c.mark(free, "free page")?;
                queued += 1;
            }
            skip = 0;
            id = page.next;
        }
        c.mark(meta.free_tail, "free-queue tail")?;
        if queued != meta.free_count {
            return Err(Error::corrupted(format!(
                "the free-page queue holds {queued} pages but the meta page counts {}",
                meta.free_count
            )));
        }
        let used: u64 = c.seen.iter().map(|w| w.count_ones() as u64).sum();
        Ok(CheckReport {
            pages_checked: c.pages,
            keys_checked: c.keys,
            leaked_pages: meta.page_count - used,
        })
    }

    /// Figures about the database; cheap (reads only cached inner nodes).
    ///
    /// ```
    /// let db = nookdb::Database::memory();
    /// db.put(b"k", &[0xf6])?;
    /// let stats = db.stats()?;
    /// assert_eq!((stats.key_count, stats.page_size), (1, 4096));
    /// # Ok::<(), nookdb::Error>(())
    /// ```
    pub fn stats(&self) -> Result<Stats> {
        let txn = self.begin_read()?;
        let snap = &txn.snap;
        let store = &snap.store;
        let meta = snap.meta;
        let (mut inner, mut leaves, mut depth) = (0u64, 0u64, 0u32);
        let mut stack = vec![(snap.meta.root, 0u8)];
        let guard = crossbeam_epoch::pin();
        // An honest trie is a tree of at most `page_count` pages; a forged
        // one whose nodes share children or loop is not walked without end.
        let too_many = || {
            Error::corrupted(
                "the index reaches more pages than the database holds (its nodes share children or loop)",
            )
        };
        while let Some((id, level)) = stack.pop() {
            let page = store.page(id, snap.meta.page_count, &guard)?;
            let PageView::Inner(n) = page.view() else {
                continue;
            };
            if n.level() != level {
                return Err(Error::corrupted(format!(
                    "page {id}: inner node at the wrong level"
                )));
            }
            inner += 1;
            depth = depth.max(level as u32 + 1);
            let mut i = 0;
            while i < FANOUT {
                let slot = n.slot(i);
                let (start, width) = slot.range(i);
                if slot.depth == FULL_DEPTH
                    && matches!(
                        store.page(slot.child, snap.meta.page_count, &guard)?.view(),
                        PageView::Inner(_)
                    )
                {
                    stack.push((slot.child, level + 1));
                } else {
                    leaves += 1;
                }
                if inner + leaves + stack.len() as u64 > meta.page_count {
                    return Err(too_many());
                }
                i = start + width;
            }
        }
        let (hits, misses) = store.cache.hits_and_misses();
        let ps = store.page_size as u64;
        Ok(Stats {
            key_count: snap.meta.key_count,
            txid: snap.meta.txid,
            page_size: store.page_size as u32,
            page_count: snap.meta.page_count,
            free_pages: meta.free_count,
            file_size: store.file_len()?,
            tree_depth: depth,
            inner_pages: inner,
            leaf_pages: leaves,
            overflow_pages: meta
                .page_count
                .saturating_sub(3 + inner + leaves + meta.free_count),
            cache_capacity: store.cache.capacity() as u64 * ps,
            cache_used: store.cache.len() as u64 * ps,
            cache_hits: hits,
            cache_misses: misses,
        })
    }

    /// Writes a consistent, compact copy of the current state to a new file
    /// at `dest` (which must not exist: `ALREADY_EXISTS`). Writers are not
    /// blocked. The copy is written under a temporary name, synced and
    /// renamed into place, so `dest` is either complete or absent. Works on
    /// read-only and in-memory databases too. Other errors: `IO`, `DISK_FULL`.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// let db = nookdb::Database::memory();
    /// db.put(b"k", &[0xf6])?;
    /// let dest = dir.path().join("backup.nook");
    /// db.backup(&dest)?;
    /// assert_eq!(nookdb::Database::open(&dest)?.get(b"k")?, Some(vec![0xf6]));
    /// // A backup never overwrites a file.
    /// assert_eq!(db.backup(&dest).unwrap_err().kind(), nookdb::ErrorKind::AlreadyExists);
    /// # Ok::<(), nookdb::Error>(())
    /// ```
    pub fn backup(&self, dest: impl AsRef<Path>) -> Result<()> {
        let dest = dest.as_ref();
        if dest.exists() {
            return Err(Error::new(
                ErrorKind::AlreadyExists,
                format!(
                    "{} already exists; choose a new path or remove it first",
                    dest.display()
                ),
            ));
        }
        let txn = self.begin_read()?;
        let tmp = temp_path(dest)?;
        let result = write_copy(&txn, &tmp, txn.snap.store.page_size as u32).and_then(|_| {
            fs::rename(&tmp, dest).map_err(|e| Error::io("renaming the backup into place", e))
        });
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        platform::sync_dir(dest);
        result
    }

    /// Writes a consistent, compact copy of the current state into `dest`, an
    /// empty [`StorageBackend`] (fails with `ALREADY_EXISTS` if it holds
    /// anything), and returns once the copy is durable there. Writers are not
    /// blocked.
    pub fn backup_to(&self, dest: Box<dyn StorageBackend>) -> Result<()> {
        let len = dest
            .len()
            .map_err(|e| Error::io("reading the backup's size", e))?;
        if len != 0 {
            return Err(Error::new(
                ErrorKind::AlreadyExists,
                "the backup destination is not empty; give an empty one",
            ));
        }
        let txn = self.begin_read()?;
        copy_into(&txn, dest, txn.snap.store.page_size as u32)
    }

    /// Rewrites the database into a near-minimal file and switches to it.
    /// Readers that started before keep their snapshot of the old file.
    /// Writers wait while it runs. The transaction id carries on: it never
    /// goes backwards (the compacted state keeps the id of the state it
    /// copies, unless copying took more commits than that).
    ///
    /// The new file is written under a temporary name, synced and opened
    /// (validated) before it is renamed over the old one, so a failure at any
    /// point before the rename leaves the database as it was, and nothing
    /// that can fail comes after it. Where an open file cannot be replaced
    /// (Windows without POSIX rename semantics), the old file is moved aside
    /// first and a crash between the two renames is repaired by the next
    /// open (see `replace`). A database on a custom
    /// [`crate::StorageBackend`] cannot be compacted (there is no file to
    /// swap); use [`Database::backup`] or copy it.
    ///
    /// Errors: `READ_ONLY`, `BUSY` (a write transaction stayed open past the
    /// busy timeout), `IO`, `DISK_FULL`.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("app.nook");
    /// let db = nookdb::Database::open(&path)?;
    /// for i in 0..1000u32 {
    ///     db.put(&i.to_be_bytes(), &[0xf6])?;
    /// }
    /// for i in 0..1000u32 {
    ///     db.delete(&i.to_be_bytes())?;
    /// }
    /// let report = db.compact()?;
    /// assert!(report.size_after < report.size_before);
    /// # Ok::<(), nookdb::Error>(())
    /// ```
    pub fn compact(&self) -> Result<CompactReport> {
        if self.is_read_only() {
            return Err(Error::new(
                ErrorKind::ReadOnly,
                "compact rewrites the file; open the database read-write",
            ));
        }
        if self.shared.location == Location::Custom {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "a database on a custom storage backend cannot be compacted in place; copy its pairs into a new database instead",
            ));
        }
        let mut state = self.writer_for_maintenance()?;
        if let Some(e) = &state.poisoned {
            return Err(e.clone());
        }
        if state.durable_txid < state.meta.txid {
            crate::db::make_durable(&mut state)?;
        }
        let txn = self.begin_read()?;
        let size_before = txn.snap.store.file_len()?;
        let page_size = txn.snap.store.page_size as u32;
        let options = Options {
            cache_size: self.shared.options.cache_size,
            page_size,
            ..Options::default()
        };
        let fresh = match self.path() {
            Some(path) => {
                let tmp = replace::new_path(path);
                // Left by a compaction that crashed before its move: we hold
                // the database's lock, so no other compaction is writing it.
                let _ = fs::remove_file(&tmp);
                let opened = write_copy(&txn, &tmp, page_size).and_then(|file| {
                    let fresh = open::open_backend(
                        Box::new(FileBackend::new(file)),
                        &options,
                        Location::File(path.to_path_buf()),
                    )?;
                    replace::replace(path)?;
                    Ok(fresh)
                });
                match opened {
                    Ok(fresh) => fresh,
                    Err(e) => {
                        let _ = fs::remove_file(&tmp);
                        return Err(e);
                    }
                }
            }
            None => {
                let copy = Database::open_backend(Box::new(MemoryBackend::new()), &options)?;
                copy_pairs(&txn, &copy)?;
                keep_txid(&copy, txn.txid())?;
                let bytes = copy_image(&copy)?;
                open::open_backend(
                    Box::new(MemoryBackend::from_bytes(bytes)),
                    &options,
                    Location::Memory,
                )?
            }
        };
        // Infallible from here on: the switch is a few assignments.
        let fresh_state = fresh.shared.writer.lock();
        let size_after = fresh_state.store.file_len().unwrap_or(0);
        state.store = fresh_state.store.clone();
        state.meta = fresh_state.meta;
        state.durable_txid = fresh_state.durable_txid;
        state.durable_slot = fresh_state.durable_slot;
        state.live.clear();
        let snapshot = fresh.shared.current.load_full();
        state.live.push(Arc::downgrade(&snapshot));
        self.shared.current.store(snapshot);
        drop(fresh_state);
        Ok(CompactReport {
            size_before,
            size_after,
        })
    }
}

/// Makes the last commit of the copy `copy` carry at least `txid` (and makes
/// it durable), so that a copy never shows an older transaction id than the
/// state it copies. Every page of the copy has a smaller or equal txid, so
/// the free-page queue's reuse rule still holds.
fn keep_txid(copy: &Database, txid: TxId) -> Result<()> {
    let mut state = copy.shared.writer.lock();
    if state.meta.txid < txid {
        state.meta.txid = txid;
        crate::db::make_durable(&mut state)?;
    }
    Ok(())
}

fn temp_path(path: &Path) -> Result<PathBuf> {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    let nonce = platform::nonce().map_err(|e| Error::io("naming a temporary file", e))?;
    name.push(format!(".{nonce:016x}.tmp"));
    Ok(path.with_file_name(name))
}

/// Writes every pair of `txn` into a new, locked database file at `path` and
/// returns the open file (still locked).
fn write_copy(txn: &ReadTxn, path: &Path, page_size: u32) -> Result<fs::File> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| Error::io(&format!("creating {}", path.display()), e))?;
    platform::try_lock(&file, Lock::Exclusive).map_err(|e| Error::io("locking the new file", e))?;
    let handle = file
        .try_clone()
        .map_err(|e| Error::io("opening the new file", e))?;
    copy_into(txn, Box::new(FileBackend::new(file)), page_size)?;
    Ok(handle)
}

/// Writes every pair of `txn` into the empty `backend` as a new database with
/// the same transaction id, and returns once all of it is durable there (the
/// copy commits in relaxed mode and syncs once at the end).
fn copy_into(txn: &ReadTxn, backend: Box<dyn StorageBackend>, page_size: u32) -> Result<()> {
    let options = Options {
        durability: Durability::Relaxed,
        page_size,
        ..Options::default()
    };
    let copy = Database::open_backend(backend, &options)?;
    copy_pairs(txn, &copy)?;
    keep_txid(&copy, txn.txid())?;
    copy.sync()
}

/// Copies every pair in transactions of about 16 MiB each.
fn copy_pairs(txn: &ReadTxn, dest: &Database) -> Result<()> {
    let mut cursor = Cursor::all();
    let mut out = Vec::new();
    let mut w = dest.begin_write()?;
    let mut pending = 0usize;
    while !cursor.is_done() {
        out.clear();
        txn.next_batch(&mut cursor, 1024, &mut out)?;
        for (k, v) in &out {
            w.put(k, v)?;
            pending += k.len() + v.len();
        }
        if pending > 16 << 20 {
            w.commit()?;
            w = dest.begin_write()?;
            pending = 0;
        }
    }
    w.commit()?;
    dest.sync()
}

fn copy_image(db: &Database) -> Result<Vec<u8>> {
    let state = db.shared.writer.lock();
    let len = state.store.file_len()?;
    let mut bytes = vec![0u8; len as usize];
    state
        .store
        .backend()
        .read_at(0, &mut bytes)
        .map_err(|e| Error::io("copying the database", e))?;
    Ok(bytes)
}
