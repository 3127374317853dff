//! INTERIM implementation of the public API over an in-memory ordered map,
//! persisted by rewriting the file at each commit. It exists so that the ABI, the
//! CLI and the SDKs can be built against the final API while the page-file engine
//! lands; it is replaced by the page-file engine, API unchanged.

use crate::error::{Error, ErrorKind, Result};
use crate::options::Options;
use crate::{cbor, typed, MAX_KEY_LEN, MAX_VALUE_LEN};
use parking_lot::{Mutex, RwLock};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

type Map = BTreeMap<Vec<u8>, Vec<u8>>;

struct Shared {
    path: Option<PathBuf>,
    options: Options,
    state: RwLock<Arc<Map>>,
    writer: Arc<Mutex<()>>,
    _file: Option<std::fs::File>,
}

/// A handle to an open database. Cheap to clone; `Send + Sync`.
#[derive(Clone)]
pub struct Database {
    shared: Arc<Shared>,
}

/// A read transaction: a stable snapshot of the database.
pub struct ReadTxn {
    map: Arc<Map>,
}

/// The single write transaction. Dropping it without `commit` rolls it back.
pub struct WriteTxn {
    shared: Arc<Shared>,
    map: Map,
    _guard: parking_lot::ArcMutexGuard<parking_lot::RawMutex, ()>,
}

/// A resumable position in an unordered scan, optionally limited to a key prefix.
#[derive(Clone, Debug, Default)]
pub struct Cursor {
    prefix: Vec<u8>,
    after: Option<Vec<u8>>,
    done: bool,
}

/// An iterator over the pairs of one snapshot.
pub struct Iter {
    txn: ReadTxn,
    cursor: Cursor,
    buffer: std::collections::VecDeque<(Vec<u8>, Vec<u8>)>,
}

/// A batch of writes applied atomically by [`Database::write_batch`].
#[derive(Clone, Debug, Default)]
pub struct WriteBatch {
    ops: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

/// Figures about a database, from [`Database::stats`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub key_count: u64,
    pub txid: u64,
    pub page_size: u32,
    pub page_count: u64,
    pub free_pages: u64,
    pub file_size: u64,
    pub tree_depth: u32,
    pub inner_pages: u64,
    pub leaf_pages: u64,
    pub overflow_pages: u64,
    pub cache_capacity: u64,
    pub cache_used: u64,
    pub cache_hits: u64,
    pub cache_misses: u64,
}

/// What [`Database::check`] verified.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckReport {
    pub pages_checked: u64,
    pub keys_checked: u64,
}

/// What [`Database::compact`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompactReport {
    pub size_before: u64,
    pub size_after: u64,
}

fn check_key(key: &[u8]) -> Result<()> {
    if key.is_empty() {
        return Err(Error::new(ErrorKind::InvalidArgument, "the key is empty; keys must be 1 to 4096 bytes"));
    }
    if key.len() > MAX_KEY_LEN {
        return Err(Error::new(
            ErrorKind::KeyTooLarge,
            format!("the key is {} bytes; keys may be at most {MAX_KEY_LEN} bytes", key.len()),
        ));
    }
    Ok(())
}

fn check_value(value: &[u8]) -> Result<()> {
    if value.len() > MAX_VALUE_LEN {
        return Err(Error::new(
            ErrorKind::ValueTooLarge,
            format!("the value is {} bytes; values may be at most {MAX_VALUE_LEN} bytes (64 MiB)", value.len()),
        ));
    }
    cbor::validate(value)
}

impl Database {
    /// Opens (creating if absent) the database file at `path` with default options.
    pub fn open(path: impl AsRef<Path>) -> Result<Database> {
        Database::open_with(path, &Options::default())
    }

    /// Opens the database file at `path`.
    pub fn open_with(path: impl AsRef<Path>, options: &Options) -> Result<Database> {
        let path = path.as_ref().to_path_buf();
        let exists = path.exists();
        if !exists && !options.create {
            return Err(Error::new(ErrorKind::NotFound, format!("{}: no such database file; pass create to make one", path.display())));
        }
        let map: Map = if exists {
            let bytes = std::fs::read(&path).map_err(|e| Error::io("reading the database", e))?;
            if bytes.is_empty() { Map::new() } else {
                ciborium::from_reader(&bytes[..]).map_err(|e| Error::corrupted(format!("{}: not a Nook database: {e}", path.display())))?
            }
        } else {
            Map::new()
        };
        let shared = Shared { path: Some(path), options: options.clone(), state: RwLock::new(Arc::new(map)), writer: Arc::new(Mutex::new(())), _file: None };
        Ok(Database { shared: Arc::new(shared) })
    }

    /// A new, empty in-memory database.
    pub fn memory() -> Database {
        Database::memory_with(&Options::default()).expect("in-memory open cannot fail")
    }

    /// A new, empty in-memory database with `options` (cache and page size).
    pub fn memory_with(options: &Options) -> Result<Database> {
        let shared = Shared { path: None, options: options.clone(), state: RwLock::new(Arc::new(Map::new())), writer: Arc::new(Mutex::new(())), _file: None };
        Ok(Database { shared: Arc::new(shared) })
    }

    /// The file path, or `None` for an in-memory database.
    pub fn path(&self) -> Option<&Path> {
        self.shared.path.as_deref()
    }

    /// Whether the database was opened read-only.
    pub fn is_read_only(&self) -> bool {
        self.shared.options.read_only
    }

    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.begin_read()?.get(key)
    }

    pub fn get_with<R>(&self, key: &[u8], f: impl FnOnce(Option<&[u8]>) -> R) -> Result<R> {
        self.begin_read()?.get_with(key, f)
    }

    pub fn contains(&self, key: &[u8]) -> Result<bool> {
        self.begin_read()?.contains(key)
    }

    pub fn len(&self) -> u64 {
        self.shared.state.read().len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn put(&self, key: &[u8], value: &[u8]) -> Result<()> {
        self.auto(|t| t.put(key, value))
    }

    pub fn insert(&self, key: &[u8], value: &[u8]) -> Result<()> {
        self.auto(|t| t.insert(key, value))
    }

    pub fn update(&self, key: &[u8], value: &[u8]) -> Result<()> {
        self.auto(|t| t.update(key, value))
    }

    pub fn delete(&self, key: &[u8]) -> Result<bool> {
        self.auto(|t| t.delete(key))
    }

    pub fn write_batch(&self, batch: &WriteBatch) -> Result<()> {
        self.auto(|t| t.write_batch(batch))
    }

    fn auto<R>(&self, f: impl FnOnce(&mut WriteTxn) -> Result<R>) -> Result<R> {
        let mut t = self.begin_write()?;
        let r = f(&mut t)?;
        t.commit()?;
        Ok(r)
    }

    pub fn iter(&self) -> Result<Iter> {
        self.begin_read()?.into_iter_prefix(&[])
    }

    pub fn scan_prefix(&self, prefix: &[u8]) -> Result<Iter> {
        self.begin_read()?.into_iter_prefix(prefix)
    }

    pub fn begin_read(&self) -> Result<ReadTxn> {
        Ok(ReadTxn { map: self.shared.state.read().clone() })
    }

    pub fn begin_write(&self) -> Result<WriteTxn> {
        if self.shared.options.read_only {
            return Err(Error::new(ErrorKind::ReadOnly, "the database was opened read-only; reopen it read-write to write"));
        }
        let guard = self.shared.writer.lock_arc();
        let map = (**self.shared.state.read()).clone();
        Ok(WriteTxn { shared: self.shared.clone(), map, _guard: guard })
    }

    pub fn try_begin_write(&self, timeout: Duration) -> Result<WriteTxn> {
        if self.shared.options.read_only {
            return Err(Error::new(ErrorKind::ReadOnly, "the database was opened read-only; reopen it read-write to write"));
        }
        let guard = self.shared.writer.try_lock_arc_for(timeout).ok_or_else(|| Error::new(ErrorKind::Busy, "another write transaction is open"))?;
        let map = (**self.shared.state.read()).clone();
        Ok(WriteTxn { shared: self.shared.clone(), map, _guard: guard })
    }

    pub fn check(&self) -> Result<CheckReport> {
        Ok(CheckReport { pages_checked: 0, keys_checked: self.len() })
    }

    pub fn stats(&self) -> Result<Stats> {
        Ok(Stats { key_count: self.len(), page_size: self.shared.options.page_size, ..Stats::default() })
    }

    pub fn compact(&self) -> Result<CompactReport> {
        Ok(CompactReport::default())
    }

    pub fn backup(&self, dest: impl AsRef<Path>) -> Result<()> {
        let map = self.shared.state.read().clone();
        let mut out = Vec::new();
        ciborium::into_writer(&*map, &mut out).map_err(|e| Error::internal(e.to_string()))?;
        std::fs::write(dest, out).map_err(|e| Error::io("writing the backup", e))
    }

    pub fn sync(&self) -> Result<()> {
        Ok(())
    }

    pub fn put_value<T: Serialize + ?Sized>(&self, key: &[u8], value: &T) -> Result<()> {
        self.put(key, &typed::to_cbor(value)?)
    }

    pub fn get_value<T: DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>> {
        self.get(key)?.map(|v| typed::from_cbor(&v)).transpose()
    }
}

impl ReadTxn {
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.get_with(key, |v| v.map(<[u8]>::to_vec))
    }

    pub fn get_with<R>(&self, key: &[u8], f: impl FnOnce(Option<&[u8]>) -> R) -> Result<R> {
        check_key(key)?;
        Ok(f(self.map.get(key).map(Vec::as_slice)))
    }

    pub fn get_value<T: DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>> {
        self.get(key)?.map(|v| typed::from_cbor(&v)).transpose()
    }

    pub fn contains(&self, key: &[u8]) -> Result<bool> {
        self.get_with(key, |v| v.is_some())
    }

    pub fn len(&self) -> u64 {
        self.map.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn iter(&self) -> Result<Iter> {
        ReadTxn { map: self.map.clone() }.into_iter_prefix(&[])
    }

    pub fn scan_prefix(&self, prefix: &[u8]) -> Result<Iter> {
        ReadTxn { map: self.map.clone() }.into_iter_prefix(prefix)
    }

    fn into_iter_prefix(self, prefix: &[u8]) -> Result<Iter> {
        Ok(Iter { txn: self, cursor: Cursor::new(prefix), buffer: Default::default() })
    }

    pub fn next_batch(&self, cursor: &mut Cursor, max_pairs: usize, out: &mut Vec<(Vec<u8>, Vec<u8>)>) -> Result<()> {
        scan(&self.map, cursor, max_pairs, out);
        Ok(())
    }
}

fn scan(map: &Map, cursor: &mut Cursor, max_pairs: usize, out: &mut Vec<(Vec<u8>, Vec<u8>)>) {
    use std::ops::Bound;
    if cursor.done { return; }
    let start = match &cursor.after { Some(k) => Bound::Excluded(k.clone()), None => Bound::Unbounded };
    let mut n = 0;
    for (k, v) in map.range((start, Bound::Unbounded)) {
        if n >= max_pairs.max(1) { return; }
        cursor.after = Some(k.clone());
        if k.starts_with(&cursor.prefix) { out.push((k.clone(), v.clone())); n += 1; }
    }
    cursor.done = true;
}

impl WriteTxn {
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        check_key(key)?;
        Ok(self.map.get(key).cloned())
    }

    pub fn get_with<R>(&self, key: &[u8], f: impl FnOnce(Option<&[u8]>) -> R) -> Result<R> {
        check_key(key)?;
        Ok(f(self.map.get(key).map(Vec::as_slice)))
    }

    pub fn contains(&self, key: &[u8]) -> Result<bool> {
        check_key(key)?;
        Ok(self.map.contains_key(key))
    }

    pub fn len(&self) -> u64 {
        self.map.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        check_key(key)?;
        check_value(value)?;
        self.map.insert(key.to_vec(), value.to_vec());
        Ok(())
    }

    pub fn insert(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        check_key(key)?;
        check_value(value)?;
        if self.map.contains_key(key) {
            return Err(Error::new(ErrorKind::AlreadyExists, "the key already exists; use put to replace it"));
        }
        self.map.insert(key.to_vec(), value.to_vec());
        Ok(())
    }

    pub fn update(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        check_key(key)?;
        check_value(value)?;
        match self.map.get_mut(key) {
            Some(v) => { *v = value.to_vec(); Ok(()) }
            None => Err(Error::new(ErrorKind::NotFound, "the key does not exist; use put or insert to create it")),
        }
    }

    pub fn delete(&mut self, key: &[u8]) -> Result<bool> {
        check_key(key)?;
        Ok(self.map.remove(key).is_some())
    }

    pub fn write_batch(&mut self, batch: &WriteBatch) -> Result<()> {
        for (k, v) in &batch.ops { check_key(k)?; if let Some(v) = v { check_value(v)?; } }
        for (k, v) in &batch.ops { match v { Some(v) => { self.map.insert(k.clone(), v.clone()); } None => { self.map.remove(k); } } }
        Ok(())
    }

    pub fn put_value<T: Serialize + ?Sized>(&mut self, key: &[u8], value: &T) -> Result<()> {
        self.put(key, &typed::to_cbor(value)?)
    }

    pub fn get_value<T: DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>> {
        self.get(key)?.map(|v| typed::from_cbor(&v)).transpose()
    }

    pub fn next_batch(&self, cursor: &mut Cursor, max_pairs: usize, out: &mut Vec<(Vec<u8>, Vec<u8>)>) -> Result<()> {
        scan(&self.map, cursor, max_pairs, out);
        Ok(())
    }

    pub fn commit(self) -> Result<()> {
        if let Some(path) = &self.shared.path {
            let mut out = Vec::new();
            ciborium::into_writer(&self.map, &mut out).map_err(|e| Error::internal(e.to_string()))?;
            std::fs::write(path, out).map_err(|e| Error::io("writing the database", e))?;
        }
        *self.shared.state.write() = Arc::new(self.map);
        Ok(())
    }

    pub fn rollback(self) {}
}

impl Cursor {
    /// A cursor over every pair.
    pub fn all() -> Cursor { Cursor::default() }
    /// A cursor over the pairs whose key starts with `prefix`.
    pub fn new(prefix: &[u8]) -> Cursor { Cursor { prefix: prefix.to_vec(), after: None, done: false } }
    /// Whether the scan has returned every pair.
    pub fn is_done(&self) -> bool { self.done }
}

impl Iterator for Iter {
    type Item = Result<(Vec<u8>, Vec<u8>)>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.buffer.is_empty() && !self.cursor.done {
            let mut out = Vec::new();
            if let Err(e) = self.txn.next_batch(&mut self.cursor, 256, &mut out) { self.cursor.done = true; return Some(Err(e)); }
            self.buffer.extend(out);
        }
        self.buffer.pop_front().map(Ok)
    }
}

impl WriteBatch {
    pub fn new() -> WriteBatch { WriteBatch::default() }
    pub fn put(&mut self, key: &[u8], value: &[u8]) -> &mut WriteBatch { self.ops.push((key.to_vec(), Some(value.to_vec()))); self }
    pub fn delete(&mut self, key: &[u8]) -> &mut WriteBatch { self.ops.push((key.to_vec(), None)); self }
    pub fn len(&self) -> usize { self.ops.len() }
    pub fn is_empty(&self) -> bool { self.ops.is_empty() }
    pub fn clear(&mut self) { self.ops.clear() }
}
