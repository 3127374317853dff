//! The key-value operations. Each takes a *target*: a DATABASE handle (a read
//! sees the last commit; a write is its own auto-committed transaction) or a
//! TRANSACTION handle (the operation runs inside it). [`Target`] hides the
//! difference from the functions below.

use crate::args;
use crate::codes;
use crate::failure::{call, store, ErrorOut, Failure};
use crate::handles::{self, Kind, Object};
use crate::objects::{Database, Transaction, TxnState};
use std::sync::Arc;

/// `nook_write_batch` record operation: put the record's key and value.
pub const NOOK_BATCH_PUT: u8 = 1;
/// `nook_write_batch` record operation: delete the record's key (its value
/// length must be 0).
pub const NOOK_BATCH_DELETE: u8 = 2;
/// Bytes before the key in a `nook_write_batch` record: u8 op, u32 key length,
/// u32 value length (little-endian).
pub const NOOK_BATCH_HEADER_LEN: usize = 9;

/// What a data operation acts on.
pub(crate) enum Target {
    Database(Arc<Database>),
    Transaction(Arc<Transaction>),
}

/// Something that reads: the database's last commit, or a transaction.
pub(crate) enum Reader<'a> {
    Database(&'a engine::Database),
    Read(&'a engine::ReadTxn),
    Write(&'a engine::WriteTxn),
}

/// Something that writes: the database (auto-commit) or a write transaction.
enum Writer<'a> {
    Database(&'a engine::Database),
    Write(&'a mut engine::WriteTxn),
}

impl Target {
    /// The database or transaction named by `handle`.
    pub(crate) fn get(handle: u64) -> Result<Target, Failure> {
        handles::with(
            handle,
            "target",
            &[Kind::Database, Kind::Transaction],
            |o| match o {
                Object::Database(db) => Target::Database(db.clone()),
                Object::Transaction(txn) => Target::Transaction(txn.clone()),
                _ => unreachable!("kind checked"),
            },
        )
    }

    pub(crate) fn read<R>(
        &self,
        f: impl FnOnce(Reader<'_>) -> Result<R, Failure>,
    ) -> Result<R, Failure> {
        match self {
            Target::Database(db) => f(Reader::Database(&db.engine)),
            Target::Transaction(txn) => {
                let inner = txn.lock()?;
                match &inner.state {
                    TxnState::Read(r) => f(Reader::Read(r)),
                    TxnState::Write(w, _) => f(Reader::Write(w)),
                    TxnState::Finished => Err(Transaction::finished_failure()),
                }
            }
        }
    }

    fn write<R>(&self, f: impl FnOnce(Writer<'_>) -> engine::Result<R>) -> Result<R, Failure> {
        match self {
            Target::Database(db) => {
                db.wait_for_writers()?;
                Ok(f(Writer::Database(&db.engine))?)
            }
            Target::Transaction(txn) => {
                let mut inner = txn.lock()?;
                match &mut inner.state {
                    TxnState::Write(w, _) => Ok(f(Writer::Write(w))?),
                    TxnState::Read(_) => Err(Failure::new(
                        codes::NOOK_READ_ONLY,
                        "target is a read transaction; write in a transaction from \
                         nook_begin_write, or through the database handle",
                    )),
                    TxnState::Finished => Err(Transaction::finished_failure()),
                }
            }
        }
    }
}

impl Reader<'_> {
    fn get_with<R>(&self, key: &[u8], f: impl FnOnce(Option<&[u8]>) -> R) -> engine::Result<R> {
        match self {
            Reader::Database(db) => db.get_with(key, f),
            Reader::Read(r) => r.get_with(key, f),
            Reader::Write(w) => w.get_with(key, f),
        }
    }

    fn contains(&self, key: &[u8]) -> engine::Result<bool> {
        match self {
            Reader::Database(db) => db.contains(key),
            Reader::Read(r) => r.contains(key),
            Reader::Write(w) => w.contains(key),
        }
    }

    fn len(&self) -> u64 {
        match self {
            Reader::Database(db) => db.len(),
            Reader::Read(r) => r.len(),
            Reader::Write(w) => w.len(),
        }
    }
}

/// Copies the value of `key` into `buf` (capacity `cap`) and writes its length
/// to `*value_len`. When the value is longer than `cap`, nothing is copied,
/// `*value_len` receives the needed length and the status is BUFFER_TOO_SMALL
/// (a probe with `cap` 0 and `buf` NULL is allowed). When the key is absent
/// the status is NOT_FOUND and `*value_len` is 0. Neither of these two creates
/// an ERROR handle (`*error` is 0).
///
/// Statuses: OK; NOT_FOUND; BUFFER_TOO_SMALL; INVALID_ARGUMENT; KEY_TOO_LARGE;
/// INVALID_HANDLE; CLOSED; IO; CORRUPTED; INTERNAL.
#[no_mangle]
pub unsafe extern "C" fn nook_get(
    target: u64,
    key: *const u8,
    key_len: usize,
    buf: *mut u8,
    cap: usize,
    value_len: *mut usize,
    error: *mut u64,
) -> i32 {
    // SAFETY: `error` is the caller's out-pointer: NULL or writable.
    call("nook_get", unsafe { ErrorOut::new(error) }, || {
        args::required(value_len, "value_len")?;
        args::out_buffer(buf, cap)?;
        // SAFETY: the caller's contract: `key_len` readable bytes at `key`.
        let key = unsafe { args::key(key, key_len) }?;
        let target = Target::get(target)?;
        let outcome = target.read(|r| {
            Ok(r.get_with(key, |value| match value {
                None => codes::NOOK_NOT_FOUND,
                Some(v) if v.len() > cap => {
                    // SAFETY: not NULL (checked above), so writable by the
                    // caller's contract; the same below.
                    unsafe { store(value_len, v.len()) };
                    codes::NOOK_BUFFER_TOO_SMALL
                }
                Some(v) => {
                    // SAFETY: `buf` holds `cap` >= v.len() writable bytes
                    // (the caller's contract) that cannot overlap the
                    // engine's value, or v is empty and buf may be NULL
                    // (copy_out then does not touch it).
                    unsafe { args::copy_out(v, buf) };
                    // SAFETY: `value_len` is the caller's out-pointer, checked non-NULL.
                    unsafe { store(value_len, v.len()) };
                    codes::NOOK_OK
                }
            })?)
        })?;
        match outcome {
            codes::NOOK_OK => Ok(()),
            codes::NOOK_NOT_FOUND => {
                // SAFETY: as above.
                unsafe { store(value_len, 0) };
                Err(Failure::quiet(outcome))
            }
            _ => Err(Failure::quiet(outcome)),
        }
    })
}

/// Reads the value of `key` into a new library-owned BUFFER handle written to
/// `*buffer`; read it with `nook_buffer_data`, release it with
/// `nook_buffer_close`. When the key is absent the status is NOT_FOUND,
/// `*buffer` is 0 and no ERROR handle is created.
///
/// Statuses: OK; NOT_FOUND; INVALID_ARGUMENT; KEY_TOO_LARGE; INVALID_HANDLE;
/// CLOSED; IO; CORRUPTED; INTERNAL.
#[no_mangle]
pub unsafe extern "C" fn nook_get_buffer(
    target: u64,
    key: *const u8,
    key_len: usize,
    buffer: *mut u64,
    error: *mut u64,
) -> i32 {
    // SAFETY: `error` is the caller's out-pointer: NULL or writable.
    call("nook_get_buffer", unsafe { ErrorOut::new(error) }, || {
        args::required(buffer, "buffer")?;
        // SAFETY: not NULL (checked above), so writable by the caller's
        // contract; the same below.
        unsafe { store(buffer, 0) };
        // SAFETY: the caller's contract: `key_len` readable bytes at `key`.
        let key = unsafe { args::key(key, key_len) }?;
        let target = Target::get(target)?;
        let value = target.read(|r| Ok(r.get_with(key, |v| v.map(Box::<[u8]>::from))?))?;
        let value = value.ok_or(Failure::quiet(codes::NOOK_NOT_FOUND))?;
        // SAFETY: as above.
        unsafe { store(buffer, handles::insert(Object::Buffer(value))?) };
        Ok(())
    })
}

/// Writes 1 to `*found` when `key` is present, else 0.
///
/// Statuses: OK; INVALID_ARGUMENT; KEY_TOO_LARGE; INVALID_HANDLE; CLOSED; IO;
/// CORRUPTED; INTERNAL.
#[no_mangle]
pub unsafe extern "C" fn nook_contains(
    target: u64,
    key: *const u8,
    key_len: usize,
    found: *mut u32,
    error: *mut u64,
) -> i32 {
    // SAFETY: `error` is the caller's out-pointer: NULL or writable.
    call("nook_contains", unsafe { ErrorOut::new(error) }, || {
        args::required(found, "found")?;
        // SAFETY: the caller's contract: `key_len` readable bytes at `key`.
        let key = unsafe { args::key(key, key_len) }?;
        let present = Target::get(target)?.read(|r| Ok(r.contains(key)?))?;
        // SAFETY: not NULL (checked above), so writable by the caller's
        // contract.
        unsafe { store(found, u32::from(present)) };
        Ok(())
    })
}

/// Writes the number of keys to `*count`.
///
/// Statuses: OK; INVALID_ARGUMENT; INVALID_HANDLE; CLOSED; INTERNAL.
#[no_mangle]
pub unsafe extern "C" fn nook_count(target: u64, count: *mut u64, error: *mut u64) -> i32 {
    // SAFETY: `error` is the caller's out-pointer: NULL or writable.
    call("nook_count", unsafe { ErrorOut::new(error) }, || {
        args::required(count, "count")?;
        let n = Target::get(target)?.read(|r| Ok(r.len()))?;
        // SAFETY: not NULL (checked above), so writable by the caller's
        // contract.
        unsafe { store(count, n) };
        Ok(())
    })
}

/// Which of put, insert and update.
#[derive(Clone, Copy)]
enum Store {
    Put,
    Insert,
    Update,
}

/// # Safety
/// `key` and `value` point to `key_len` and `value_len` readable bytes (or
/// are NULL with a length of 0), unchanged during the call.
unsafe fn store_value(
    target: u64,
    key: *const u8,
    key_len: usize,
    value: *const u8,
    value_len: usize,
    how: Store,
) -> Result<(), Failure> {
    // SAFETY: our contract is that of `args::bytes`, for both.
    let key = unsafe { args::key(key, key_len) }?;
    // SAFETY: as above.
    let value = unsafe { args::value(value, value_len) }?;
    let written = Target::get(target)?.write(|w| match (w, how) {
        (Writer::Database(db), Store::Put) => db.put(key, value),
        (Writer::Database(db), Store::Insert) => db.insert(key, value),
        (Writer::Database(db), Store::Update) => db.update(key, value),
        (Writer::Write(t), Store::Put) => t.put(key, value),
        (Writer::Write(t), Store::Insert) => t.insert(key, value),
        (Writer::Write(t), Store::Update) => t.update(key, value),
    });
    // The engine's CBOR message gives the byte offset; say which argument.
    written.map_err(|mut failure| {
        if failure.code == codes::NOOK_INVALID_VALUE {
            failure.message = format!("value: {}", failure.message);
        }
        failure
    })
}

/// Sets `key` to `value` (one CBOR data item), whether or not it exists.
/// In a write transaction a failure other than a clean refusal (NOT_FOUND,
/// ALREADY_EXISTS, INVALID_*, *_TOO_LARGE) poisons it: every later call on it
/// returns that status (spec/abi.md, section 5.5).
///
/// Statuses: OK; INVALID_ARGUMENT (empty key, NULL with a length);
/// KEY_TOO_LARGE; VALUE_TOO_LARGE; INVALID_VALUE; READ_ONLY; BUSY;
/// INVALID_HANDLE; CLOSED; IO; DISK_FULL; CORRUPTED; INTERNAL.
#[no_mangle]
pub unsafe extern "C" fn nook_put(
    target: u64,
    key: *const u8,
    key_len: usize,
    value: *const u8,
    value_len: usize,
    error: *mut u64,
) -> i32 {
    // SAFETY: `error` is the caller's out-pointer: NULL or writable.
    call("nook_put", unsafe { ErrorOut::new(error) }, || {
        // SAFETY: the caller's contract: `key_len` and `value_len`
        // readable bytes at `key` and `value`.
        unsafe { store_value(target, key, key_len, value, value_len, Store::Put) }
    })
}

/// Adds `key` with `value`; ALREADY_EXISTS (nothing changed) when present.
///
/// Statuses: those of `nook_put`, and ALREADY_EXISTS.
#[no_mangle]
pub unsafe extern "C" fn nook_insert(
    target: u64,
    key: *const u8,
    key_len: usize,
    value: *const u8,
    value_len: usize,
    error: *mut u64,
) -> i32 {
    // SAFETY: `error` is the caller's out-pointer: NULL or writable.
    call("nook_insert", unsafe { ErrorOut::new(error) }, || {
        // SAFETY: the caller's contract: `key_len` and `value_len`
        // readable bytes at `key` and `value`.
        unsafe { store_value(target, key, key_len, value, value_len, Store::Insert) }
    })
}

/// Replaces the value of an existing `key`; NOT_FOUND (nothing changed) when absent.
///
/// Statuses: those of `nook_put`, and NOT_FOUND.
#[no_mangle]
pub unsafe extern "C" fn nook_update(
    target: u64,
    key: *const u8,
    key_len: usize,
    value: *const u8,
    value_len: usize,
    error: *mut u64,
) -> i32 {
    // SAFETY: `error` is the caller's out-pointer: NULL or writable.
    call("nook_update", unsafe { ErrorOut::new(error) }, || {
        // SAFETY: the caller's contract: `key_len` and `value_len`
        // readable bytes at `key` and `value`.
        unsafe { store_value(target, key, key_len, value, value_len, Store::Update) }
    })
}

/// Deletes `key`; writes 1 to `*existed` when it was present, else 0
/// (`existed` may be NULL). Deleting an absent key is OK. In a write
/// transaction a failure poisons it, as for `nook_put`.
///
/// Statuses: OK; INVALID_ARGUMENT; KEY_TOO_LARGE; READ_ONLY; BUSY;
/// INVALID_HANDLE; CLOSED; IO; DISK_FULL; CORRUPTED; INTERNAL.
#[no_mangle]
pub unsafe extern "C" fn nook_delete(
    target: u64,
    key: *const u8,
    key_len: usize,
    existed: *mut u32,
    error: *mut u64,
) -> i32 {
    // SAFETY: `error` is the caller's out-pointer: NULL or writable.
    call("nook_delete", unsafe { ErrorOut::new(error) }, || {
        // SAFETY: the caller's contract: `key_len` readable bytes at `key`.
        let key = unsafe { args::key(key, key_len) }?;
        let was = Target::get(target)?.write(|w| match w {
            Writer::Database(db) => db.delete(key),
            Writer::Write(t) => t.delete(key),
        })?;
        // SAFETY: an optional out-pointer: NULL (skipped) or writable.
        unsafe { store(existed, u32::from(was)) };
        Ok(())
    })
}

/// Applies the packed records in `records` (`len` bytes) atomically: all or
/// none. Each record is `u8 op, u32 key_len, u32 value_len` (little-endian,
/// NOOK_BATCH_HEADER_LEN bytes), then the key, then the value; op is
/// NOOK_BATCH_PUT or NOOK_BATCH_DELETE (value_len 0). Records apply in order.
/// Malformed records and bad keys or values refuse the whole batch first; in
/// a write transaction a failure while applying the records poisons it, so
/// that none of them can be committed (spec/abi.md, section 5.5).
///
/// Statuses: OK; INVALID_ARGUMENT (malformed records: the message gives the
/// record's index and byte offset; an empty key); KEY_TOO_LARGE;
/// VALUE_TOO_LARGE; INVALID_VALUE; READ_ONLY; BUSY; INVALID_HANDLE; CLOSED;
/// IO; DISK_FULL; CORRUPTED; INTERNAL.
#[no_mangle]
pub unsafe extern "C" fn nook_write_batch(
    target: u64,
    records: *const u8,
    len: usize,
    error: *mut u64,
) -> i32 {
    // SAFETY: `error` is the caller's out-pointer: NULL or writable.
    call("nook_write_batch", unsafe { ErrorOut::new(error) }, || {
        // SAFETY: the caller's contract: `len` readable bytes at `records`.
        let records = unsafe { args::bytes(records, len, "records") }?;
        let batch = parse_batch(records)?;
        Target::get(target)?.write(|w| match w {
            Writer::Database(db) => db.write_batch(&batch),
            Writer::Write(t) => t.write_batch(&batch),
        })
    })
}

fn read_u32(bytes: &[u8], at: usize) -> usize {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as usize
}

/// Decodes `nook_write_batch` records; every malformed record is refused.
fn parse_batch(mut rest: &[u8]) -> Result<engine::WriteBatch, Failure> {
    let mut batch = engine::WriteBatch::new();
    let mut offset = 0;
    let mut index = 0;
    while !rest.is_empty() {
        let bad = |why: String| {
            Failure::invalid_argument(format!("records: record {index} at byte {offset} {why}"))
        };
        if rest.len() < NOOK_BATCH_HEADER_LEN {
            return Err(bad(format!(
                "has {} bytes, shorter than its 9-byte header",
                rest.len()
            )));
        }
        let (op, key_len, value_len) = (rest[0], read_u32(rest, 1), read_u32(rest, 5));
        let body = &rest[NOOK_BATCH_HEADER_LEN..];
        if key_len.saturating_add(value_len) > body.len() {
            return Err(bad(format!(
                "declares {key_len} key and {value_len} value bytes but only {} remain",
                body.len()
            )));
        }
        let (key, value) = (&body[..key_len], &body[key_len..key_len + value_len]);
        match op {
            NOOK_BATCH_PUT => batch.put(key, value),
            NOOK_BATCH_DELETE if value_len == 0 => batch.delete(key),
            NOOK_BATCH_DELETE => {
                return Err(bad(format!("is a delete with a {value_len}-byte value")))
            }
            _ => {
                return Err(bad(format!(
                    "has op {op}; use NOOK_BATCH_PUT (1) or NOOK_BATCH_DELETE (2)"
                )))
            }
        };
        let size = NOOK_BATCH_HEADER_LEN + key_len + value_len;
        rest = &rest[size..];
        offset += size;
        index += 1;
    }
    Ok(batch)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(op: u8, key: &[u8], value: &[u8]) -> Vec<u8> {
        let mut r = vec![op];
        r.extend_from_slice(&(key.len() as u32).to_le_bytes());
        r.extend_from_slice(&(value.len() as u32).to_le_bytes());
        r.extend_from_slice(key);
        r.extend_from_slice(value);
        r
    }

    #[test]
    fn batch_records_parse_in_order() {
        let mut bytes = record(NOOK_BATCH_PUT, b"a", &[0x01]);
        bytes.extend(record(NOOK_BATCH_DELETE, b"b", b""));
        assert_eq!(parse_batch(&bytes).unwrap().len(), 2);
        assert_eq!(parse_batch(&[]).unwrap().len(), 0);
    }

    #[test]
    fn malformed_batch_records_name_the_record_and_offset() {
        let mut bytes = record(NOOK_BATCH_PUT, b"a", &[0x01]);
        let second = bytes.len();
        bytes.extend(record(NOOK_BATCH_PUT, b"key", &[0x01]));
        bytes.pop();
        let err = parse_batch(&bytes).unwrap_err();
        assert_eq!(err.code, codes::NOOK_INVALID_ARGUMENT);
        assert!(
            err.message.contains(&format!("record 1 at byte {second}")),
            "{}",
            err.message
        );
        for bad in [
            record(7, b"a", &[0x01]),
            record(NOOK_BATCH_DELETE, b"a", &[0x01]),
            vec![
                NOOK_BATCH_PUT,
                0xff,
                0xff,
                0xff,
                0xff,
                0xff,
                0xff,
                0xff,
                0xff,
            ],
            vec![NOOK_BATCH_PUT, 1, 0],
        ] {
            assert_eq!(
                parse_batch(&bad).unwrap_err().code,
                codes::NOOK_INVALID_ARGUMENT
            );
        }
    }
}
