//! Opening and closing databases, and the whole-database operations: sync,
//! check, stats, compact, backup.

use crate::args;
use crate::failure::{call, call_plain, store, ErrorOut, Failure};
use crate::handles::{self, Kind, Object};
use crate::objects::{self, Database};
use std::sync::Arc;
use std::time::Duration;

/// `nook_open` flag: create the file when it does not exist.
pub const NOOK_OPEN_CREATE: u32 = 1;
/// `nook_open` flag: open read-only (every write returns READ_ONLY; other
/// read-only opens of the same file may share it).
pub const NOOK_OPEN_READ_ONLY: u32 = 2;
/// `nook_open` flag: relaxed durability (a commit is durable only after the
/// next `nook_sync`, `nook_close`, or at least once a second).
pub const NOOK_OPEN_RELAXED: u32 = 4;
/// A busy timeout that waits for the writer slot forever.
pub const NOOK_WAIT_FOREVER: u32 = u32::MAX;

/// Number of fields `nook_stats` knows in this ABI version.
pub const NOOK_STATS_LEN: usize = 14;
/// `nook_stats` field: number of keys.
pub const NOOK_STAT_KEY_COUNT: usize = 0;
/// `nook_stats` field: id of the last committed transaction.
pub const NOOK_STAT_TXID: usize = 1;
/// `nook_stats` field: page size in bytes.
pub const NOOK_STAT_PAGE_SIZE: usize = 2;
/// `nook_stats` field: pages in the file.
pub const NOOK_STAT_PAGE_COUNT: usize = 3;
/// `nook_stats` field: free pages.
pub const NOOK_STAT_FREE_PAGES: usize = 4;
/// `nook_stats` field: file size in bytes.
pub const NOOK_STAT_FILE_SIZE: usize = 5;
/// `nook_stats` field: depth of the index trie.
pub const NOOK_STAT_TREE_DEPTH: usize = 6;
/// `nook_stats` field: inner pages.
pub const NOOK_STAT_INNER_PAGES: usize = 7;
/// `nook_stats` field: leaf pages.
pub const NOOK_STAT_LEAF_PAGES: usize = 8;
/// `nook_stats` field: overflow pages (large values).
pub const NOOK_STAT_OVERFLOW_PAGES: usize = 9;
/// `nook_stats` field: page cache capacity in bytes.
pub const NOOK_STAT_CACHE_CAPACITY: usize = 10;
/// `nook_stats` field: page cache bytes in use.
pub const NOOK_STAT_CACHE_USED: usize = 11;
/// `nook_stats` field: page cache hits.
pub const NOOK_STAT_CACHE_HITS: usize = 12;
/// `nook_stats` field: page cache misses.
pub const NOOK_STAT_CACHE_MISSES: usize = 13;

const KNOWN_FLAGS: u32 = NOOK_OPEN_CREATE | NOOK_OPEN_READ_ONLY | NOOK_OPEN_RELAXED;

/// Engine options from the ABI arguments (0 means the default size).
fn options(flags: u32, cache_size: u64, page_size: u32) -> Result<engine::Options, Failure> {
    if flags & !KNOWN_FLAGS != 0 {
        return Err(Failure::invalid_argument(format!(
            "flags has unknown bits {:#x}; use NOOK_OPEN_CREATE, NOOK_OPEN_READ_ONLY, NOOK_OPEN_RELAXED",
            flags & !KNOWN_FLAGS
        )));
    }
    let mut options = engine::Options::new()
        .create(flags & NOOK_OPEN_CREATE != 0)
        .read_only(flags & NOOK_OPEN_READ_ONLY != 0);
    if flags & NOOK_OPEN_RELAXED != 0 {
        options = options.durability(engine::Durability::Relaxed);
    }
    if cache_size != 0 {
        let bytes = usize::try_from(cache_size).map_err(|_| {
            Failure::invalid_argument(format!(
                "cache_size ({cache_size}) does not fit in this address space"
            ))
        })?;
        options = options.cache_size(bytes);
    }
    if page_size != 0 {
        if !page_size.is_power_of_two() || !(4096..=65536).contains(&page_size) {
            return Err(Failure::invalid_argument(format!(
                "page_size is {page_size}; use 0 (the default, 4096) or a power of two from 4096 to 65536"
            )));
        }
        options = options.page_size(page_size);
    }
    Ok(options)
}

fn busy_timeout(ms: u32) -> Option<Duration> {
    (ms != NOOK_WAIT_FOREVER).then(|| Duration::from_millis(u64::from(ms)))
}

/// The engine's form of the busy timeout (it waits forever for `Duration::MAX`).
fn engine_busy_timeout(ms: u32) -> Duration {
    busy_timeout(ms).unwrap_or(Duration::MAX)
}

/// Makes the DATABASE handle of `engine` and writes it to `*db`.
///
/// # Safety
/// `db` is NULL or valid for a write of a `u64` (the caller's out-pointer).
unsafe fn publish(
    db: *mut u64,
    engine: engine::Database,
    busy_timeout_ms: u32,
) -> Result<(), Failure> {
    let object = Object::Database(Arc::new(Database::new(
        engine,
        busy_timeout(busy_timeout_ms),
    )));
    let handle = handles::insert(object)?;
    // SAFETY: NULL or writable (our contract); the exported functions
    // refuse NULL before opening anything.
    unsafe { store(db, handle) };
    Ok(())
}

/// Opens the database file at `path` (`path_len` bytes, no NUL terminator;
/// any bytes but NUL on Unix, UTF-8 on Windows) and writes its DATABASE handle
/// to `*db`. `flags` is a sum of NOOK_OPEN_*; `cache_size` (bytes) and
/// `page_size` (a power of two from 4096 to 65536, used when the file is
/// created) are 0 for the defaults; `busy_timeout_ms` is how long a writer
/// waits for the writer slot (0: fail at once with BUSY; NOOK_WAIT_FOREVER).
///
/// Opening a file already open in this process gives another handle on the
/// same database (sharing its writer slot, page cache and durability): it
/// fails with INVALID_ARGUMENT if it asks for other durability
/// (NOOK_OPEN_RELAXED or not) than the open one; the cache size of the first
/// open applies; read-only and the busy timeout are per handle.
///
/// Statuses: OK; INVALID_ARGUMENT; NOT_FOUND (no file and no
/// NOOK_OPEN_CREATE); LOCKED; CORRUPTED; INCOMPATIBLE; IO; DISK_FULL; INTERNAL.
#[no_mangle]
pub unsafe extern "C" fn nook_open(
    path: *const u8,
    path_len: usize,
    flags: u32,
    cache_size: u64,
    page_size: u32,
    busy_timeout_ms: u32,
    db: *mut u64,
    error: *mut u64,
) -> i32 {
    // SAFETY: `error` is the caller's out-pointer: NULL or writable.
    call("nook_open", unsafe { ErrorOut::new(error) }, || {
        args::required(db, "db")?;
        // SAFETY: the caller's contract: `path_len` readable bytes at `path`.
        let path = unsafe { args::path(path, path_len, "path") }?;
        let options = options(flags, cache_size, page_size)?
            .busy_timeout(engine_busy_timeout(busy_timeout_ms));
        let engine = engine::Database::open_with(&path, &options)?;
        // SAFETY: `db` is the caller's out-pointer (NULL refused above).
        unsafe { publish(db, engine, busy_timeout_ms) }
    })
}

/// Opens a new, empty in-memory database and writes its DATABASE handle to
/// `*db`. Arguments as for `nook_open`; the data is gone when it is closed.
///
/// Statuses: OK; INVALID_ARGUMENT; INTERNAL.
#[no_mangle]
pub unsafe extern "C" fn nook_open_memory(
    cache_size: u64,
    page_size: u32,
    busy_timeout_ms: u32,
    db: *mut u64,
    error: *mut u64,
) -> i32 {
    // SAFETY: `error` is the caller's out-pointer: NULL or writable.
    call("nook_open_memory", unsafe { ErrorOut::new(error) }, || {
        args::required(db, "db")?;
        let options = options(NOOK_OPEN_CREATE, cache_size, page_size)?
            .busy_timeout(engine_busy_timeout(busy_timeout_ms));
        let engine = engine::Database::memory_with(&options)?;
        // SAFETY: `db` is the caller's out-pointer (NULL refused above).
        unsafe { publish(db, engine, busy_timeout_ms) }
    })
}

/// Closes the database `db`: rolls back its open write transaction, ends its
/// read transactions and closes its cursors (their handles become invalid),
/// then releases the handle. BUFFER and ERROR handles stay valid.
///
/// Statuses: OK; INVALID_HANDLE.
#[no_mangle]
pub unsafe extern "C" fn nook_close(db: u64) -> i32 {
    call_plain("nook_close", || objects::close(db, "db", &[Kind::Database]))
}

/// Makes every commit so far durable (useful with NOOK_OPEN_RELAXED). Waits
/// for open write transactions as an auto-commit write does.
///
/// Statuses: OK; INVALID_HANDLE; BUSY; CLOSED; IO; DISK_FULL; INTERNAL.
#[no_mangle]
pub unsafe extern "C" fn nook_sync(db: u64, error: *mut u64) -> i32 {
    // SAFETY: `error` is the caller's out-pointer: NULL or writable.
    call("nook_sync", unsafe { ErrorOut::new(error) }, || {
        let db = handles::database(db, "db")?;
        db.wait_for_writers()?;
        Ok(db.engine.sync()?)
    })
}

/// Verifies every page and key of the database. `pages_checked` and
/// `keys_checked` may be NULL.
///
/// Statuses: OK; INVALID_HANDLE; CORRUPTED (the message names the first bad
/// page); IO; INTERNAL.
#[no_mangle]
pub unsafe extern "C" fn nook_check(
    db: u64,
    pages_checked: *mut u64,
    keys_checked: *mut u64,
    error: *mut u64,
) -> i32 {
    // SAFETY: `error` is the caller's out-pointer: NULL or writable.
    call("nook_check", unsafe { ErrorOut::new(error) }, || {
        let db = handles::database(db, "db")?;
        let report = db.engine.check()?;
        // SAFETY: optional out-pointers: NULL (skipped by `store`) or
        // writable, by the caller's contract.
        unsafe {
            store(pages_checked, report.pages_checked);
            store(keys_checked, report.keys_checked);
        }
        Ok(())
    })
}

/// Writes the first `field_count` statistics of the database (in the order of
/// the NOOK_STAT_* indices) to `fields[0..field_count]`; writes the number of
/// fields this library knows (NOOK_STATS_LEN in its header) to `*available`
/// (may be NULL). Fields past `available` are set to 0. `fields` may be NULL
/// when `field_count` is 0.
///
/// Statuses: OK; INVALID_ARGUMENT; INVALID_HANDLE; IO; INTERNAL.
#[no_mangle]
pub unsafe extern "C" fn nook_stats(
    db: u64,
    fields: *mut u64,
    field_count: usize,
    available: *mut usize,
    error: *mut u64,
) -> i32 {
    // SAFETY: `error` is the caller's out-pointer: NULL or writable.
    call("nook_stats", unsafe { ErrorOut::new(error) }, || {
        if fields.is_null() && field_count > 0 {
            return Err(Failure::invalid_argument(format!(
                "fields is NULL but field_count is {field_count}"
            )));
        }
        let db = handles::database(db, "db")?;
        let s = db.engine.stats()?;
        let values: [u64; NOOK_STATS_LEN] = [
            s.key_count,
            s.txid,
            u64::from(s.page_size),
            s.page_count,
            s.free_pages,
            s.file_size,
            u64::from(s.tree_depth),
            s.inner_pages,
            s.leaf_pages,
            s.overflow_pages,
            s.cache_capacity,
            s.cache_used,
            s.cache_hits,
            s.cache_misses,
        ];
        for i in 0..field_count {
            // SAFETY: `fields` holds `field_count` writable u64s (the
            // caller's contract; not NULL when field_count > 0, checked
            // above), and i < field_count keeps `add` inside them.
            unsafe { store(fields.add(i), values.get(i).copied().unwrap_or(0)) };
        }
        // SAFETY: an optional out-pointer: NULL or writable.
        unsafe { store(available, NOOK_STATS_LEN) };
        Ok(())
    })
}

/// Rewrites the file without its free pages. Waits for open write
/// transactions as an auto-commit write does. `size_before` and `size_after`
/// (bytes) may be NULL.
///
/// Statuses: OK; INVALID_HANDLE; READ_ONLY; BUSY; CLOSED; IO; DISK_FULL; INTERNAL.
#[no_mangle]
pub unsafe extern "C" fn nook_compact(
    db: u64,
    size_before: *mut u64,
    size_after: *mut u64,
    error: *mut u64,
) -> i32 {
    // SAFETY: `error` is the caller's out-pointer: NULL or writable.
    call("nook_compact", unsafe { ErrorOut::new(error) }, || {
        let db = handles::database(db, "db")?;
        db.wait_for_writers()?;
        let report = db.engine.compact()?;
        // SAFETY: optional out-pointers: NULL (skipped by `store`) or
        // writable, by the caller's contract.
        unsafe {
            store(size_before, report.size_before);
            store(size_after, report.size_after);
        }
        Ok(())
    })
}

/// Writes a consistent, compact copy of the database (its last committed
/// state) to the new file at `path` (as for `nook_open`; it must not exist).
/// Works on read-only and in-memory databases.
///
/// Statuses: OK; INVALID_ARGUMENT; ALREADY_EXISTS (`path` exists);
/// INVALID_HANDLE; IO; DISK_FULL; INTERNAL.
#[no_mangle]
pub unsafe extern "C" fn nook_backup(
    db: u64,
    path: *const u8,
    path_len: usize,
    error: *mut u64,
) -> i32 {
    // SAFETY: `error` is the caller's out-pointer: NULL or writable.
    call("nook_backup", unsafe { ErrorOut::new(error) }, || {
        // SAFETY: the caller's contract: `path_len` readable bytes at `path`.
        let path = unsafe { args::path(path, path_len, "path") }?;
        let db = handles::database(db, "db")?;
        Ok(db.engine.backup(&path)?)
    })
}
