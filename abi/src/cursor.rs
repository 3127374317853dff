//! Cursors: batched iteration over all pairs or the pairs under a key prefix,
//! on a snapshot of the database or inside a transaction. One
//! `nook_cursor_next` call packs as many pairs as fit in the caller's buffer,
//! to cut FFI crossings; the engine's scan writes them there straight from
//! its page images.

use crate::args;
use crate::codes;
use crate::data::Target;
use crate::failure::{call, call_plain, store, ErrorOut, Failure};
use crate::handles::{self, Kind, Object};
use crate::objects::{self, Cursor, CursorState, Source, Transaction, TxnState};
use std::sync::{Arc, Mutex};

/// Bytes before the key in a `nook_cursor_next` record: u32 key length, u32
/// value length (little-endian).
pub const NOOK_RECORD_HEADER_LEN: usize = 8;

/// Opens a cursor over the pairs whose key starts with `prefix` (`prefix_len`
/// 0: every pair; longer than 4096 bytes: no pair) and writes its CURSOR
/// handle to `*cursor`. On a DATABASE
/// target the cursor reads a snapshot taken now; on a TRANSACTION target it
/// reads the transaction (closed with it). Pairs come in no particular order;
/// each pair of the snapshot comes exactly once.
///
/// Statuses: OK; INVALID_ARGUMENT; INVALID_HANDLE; CLOSED; IO; INTERNAL.
#[no_mangle]
pub unsafe extern "C" fn nook_cursor_open(
    target: u64,
    prefix: *const u8,
    prefix_len: usize,
    cursor: *mut u64,
    error: *mut u64,
) -> i32 {
    // SAFETY: `error` is the caller's out-pointer: NULL or writable.
    call("nook_cursor_open", unsafe { ErrorOut::new(error) }, || {
        args::required(cursor, "cursor")?;
        // SAFETY: the caller's contract: `prefix_len` readable bytes at
        // `prefix` during the call (the cursor keeps a copy, not the slice).
        let prefix = unsafe { args::prefix(prefix, prefix_len) }?;
        let state = |snapshot| {
            Mutex::new(CursorState {
                snapshot,
                position: engine::Cursor::new(prefix.unwrap_or_default()),
                matches_nothing: prefix.is_none(),
            })
        };
        let handle = match Target::get(target)? {
            Target::Database(db) => {
                let snapshot = db.engine.begin_read()?;
                let object = Cursor {
                    source: Source::Snapshot(db.clone()),
                    state: state(Some(snapshot)),
                };
                db.adopt(Object::Cursor(Arc::new(object)))?
            }
            Target::Transaction(txn) => {
                let object = Cursor {
                    source: Source::Transaction(txn.clone()),
                    state: state(None),
                };
                txn.adopt_cursor(Object::Cursor(Arc::new(object)))?
            }
        };
        // SAFETY: not NULL (checked above), so writable by the caller's
        // contract.
        unsafe { store(cursor, handle) };
        Ok(())
    })
}

/// Packs records into the caller's buffer; remembers what the first pair
/// needed when not even it fits.
struct RecordPacker<'b> {
    buf: &'b mut [u8],
    used: usize,
    pairs: usize,
    first_need: Option<usize>,
}

impl engine::ScanSink for RecordPacker<'_> {
    fn fits(&mut self, key_len: usize, value_len: usize) -> bool {
        let need = NOOK_RECORD_HEADER_LEN + key_len + value_len;
        if need > self.buf.len() - self.used {
            if self.pairs == 0 {
                self.first_need = Some(need);
            }
            return false;
        }
        true
    }

    fn take(&mut self, key: &[u8], value: &[u8]) {
        let out = &mut self.buf[self.used..];
        out[..4].copy_from_slice(&(key.len() as u32).to_le_bytes());
        out[4..8].copy_from_slice(&(value.len() as u32).to_le_bytes());
        out[8..8 + key.len()].copy_from_slice(key);
        out[8 + key.len()..8 + key.len() + value.len()].copy_from_slice(value);
        self.used += NOOK_RECORD_HEADER_LEN + key.len() + value.len();
        self.pairs += 1;
    }
}

/// Scans the next pairs of a cursor into `packer`.
fn scan(
    source: &Source,
    state: &mut CursorState,
    packer: &mut RecordPacker,
) -> Result<(), Failure> {
    if state.matches_nothing {
        return Ok(());
    }
    match (source, &state.snapshot) {
        (Source::Snapshot(_), Some(snapshot)) => snapshot.scan_into(&mut state.position, packer)?,
        (Source::Transaction(txn), _) => {
            let inner = txn.lock()?;
            match &inner.state {
                TxnState::Read(r) => r.scan_into(&mut state.position, packer)?,
                TxnState::Write(w, _) => w.scan_into(&mut state.position, packer)?,
                TxnState::Finished => return Err(Transaction::finished_failure()),
            }
        }
        (Source::Snapshot(_), None) => {
            return Err(Failure::internal("a snapshot cursor lost its snapshot"))
        }
    }
    Ok(())
}

/// Packs the next pairs of `cursor` into `buf` (capacity `cap`) as records
/// `u32 key_len, u32 value_len` (little-endian), key bytes, value bytes, back
/// to back with no padding; writes the number of pairs to `*count` and the
/// bytes used to `*len`. OK with `*count` 0 means the cursor is at its end
/// (every later call returns the same). When even the next pair does not fit,
/// nothing is consumed, `*count` is 0, `*len` receives the bytes that pair
/// needs and the status is BUFFER_TOO_SMALL (no ERROR handle).
///
/// Statuses: OK; BUFFER_TOO_SMALL; INVALID_ARGUMENT; INVALID_HANDLE; CLOSED
/// (its transaction ended during the call); IO; CORRUPTED; INTERNAL.
#[no_mangle]
pub unsafe extern "C" fn nook_cursor_next(
    cursor: u64,
    buf: *mut u8,
    cap: usize,
    count: *mut usize,
    len: *mut usize,
    error: *mut u64,
) -> i32 {
    // SAFETY: `error` is the caller's out-pointer: NULL or writable.
    call("nook_cursor_next", unsafe { ErrorOut::new(error) }, || {
        args::required(count, "count")?;
        args::required(len, "len")?;
        args::out_buffer(buf, cap)?;
        // SAFETY: `count` and `len` are not NULL (checked above), so
        // writable by the caller's contract; the same below.
        unsafe {
            store(count, 0);
            store(len, 0);
        }
        let cursor = handles::cursor(cursor, "cursor")?;
        let mut state = cursor
            .state
            .lock()
            .map_err(|_| Failure::poisoned("cursor"))?;
        let mut packer = RecordPacker {
            // SAFETY: `buf` holds `cap` writable bytes that nothing else uses
            // during the call (the caller's contract), or cap is 0 and buf may
            // be NULL (out_slice then makes no slice from it).
            buf: unsafe { args::out_slice(buf, cap) },
            used: 0,
            pairs: 0,
            first_need: None,
        };
        scan(&cursor.source, &mut state, &mut packer)?;
        if let Some(need) = packer.first_need {
            // SAFETY: as above.
            unsafe { store(len, need) };
            return Err(Failure::quiet(codes::NOOK_BUFFER_TOO_SMALL));
        }
        // SAFETY: as above.
        unsafe {
            store(count, packer.pairs);
            store(len, packer.used);
        }
        Ok(())
    })
}

/// Closes the cursor `cursor` and releases its handle.
///
/// Statuses: OK; INVALID_HANDLE.
#[no_mangle]
pub unsafe extern "C" fn nook_cursor_close(cursor: u64) -> i32 {
    call_plain("nook_cursor_close", || {
        objects::close(cursor, "cursor", &[Kind::Cursor])
    })
}
