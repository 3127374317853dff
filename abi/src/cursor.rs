//! Cursors: batched iteration over all pairs or the pairs under a key prefix,
//! on a snapshot of the database or inside a transaction. One
//! `nook_cursor_next` call packs as many pairs as fit in the caller's buffer,
//! to cut FFI crossings.

use crate::args;
use crate::codes;
use crate::data::Target;
use crate::failure::{call, call_plain, store, Failure};
use crate::handles::{self, Kind, Object};
use crate::objects::{self, Cursor, CursorState, Source, Transaction, TxnState};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// Bytes before the key in a `nook_cursor_next` record: u32 key length, u32
/// value length (little-endian).
pub const NOOK_RECORD_HEADER_LEN: usize = 8;

/// Pairs fetched from the engine per refill of a cursor's queue.
const FETCH_PAIRS: usize = 256;

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
    call("nook_cursor_open", error, || {
        args::required(cursor, "cursor")?;
        let prefix = args::prefix(prefix, prefix_len)?;
        let state = |snapshot| {
            Mutex::new(CursorState {
                snapshot,
                position: engine::Cursor::new(prefix.unwrap_or_default()),
                pending: VecDeque::new(),
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
        store(cursor, handle);
        Ok(())
    })
}

/// Refills `state.pending` from the engine when it is empty; leaves it empty
/// only at the end of the scan.
fn refill(source: &Source, state: &mut CursorState) -> Result<(), Failure> {
    if state.matches_nothing {
        return Ok(());
    }
    while state.pending.is_empty() && !state.position.is_done() {
        let mut out = Vec::new();
        match (source, &state.snapshot) {
            (Source::Snapshot(_), Some(snapshot)) => {
                snapshot.next_batch(&mut state.position, FETCH_PAIRS, &mut out)?
            }
            (Source::Transaction(txn), _) => {
                let inner = txn.lock()?;
                match &inner.state {
                    TxnState::Read(r) => {
                        r.next_batch(&mut state.position, FETCH_PAIRS, &mut out)?
                    }
                    TxnState::Write(w, _) => {
                        w.next_batch(&mut state.position, FETCH_PAIRS, &mut out)?
                    }
                    TxnState::Finished => return Err(Transaction::finished_failure()),
                }
            }
            (Source::Snapshot(_), None) => {
                return Err(Failure::internal("a snapshot cursor lost its snapshot"))
            }
        }
        state.pending.extend(out);
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
    call("nook_cursor_next", error, || {
        args::required(count, "count")?;
        args::required(len, "len")?;
        args::out_buffer(buf, cap)?;
        store(count, 0);
        store(len, 0);
        let cursor = handles::cursor(cursor, "cursor")?;
        let mut state = cursor
            .state
            .lock()
            .map_err(|_| Failure::poisoned("cursor"))?;
        let (mut pairs, mut used) = (0usize, 0usize);
        loop {
            refill(&cursor.source, &mut state)?;
            let Some((key, value)) = state.pending.front() else {
                break;
            };
            let need = NOOK_RECORD_HEADER_LEN + key.len() + value.len();
            if need > cap - used {
                if pairs == 0 {
                    store(len, need);
                    return Err(Failure::quiet(codes::NOOK_BUFFER_TOO_SMALL));
                }
                break;
            }
            // SAFETY: buf holds cap bytes (caller contract) and used + need <= cap.
            let out = std::slice::from_raw_parts_mut(buf.add(used), need);
            out[..4].copy_from_slice(&(key.len() as u32).to_le_bytes());
            out[4..8].copy_from_slice(&(value.len() as u32).to_le_bytes());
            out[8..8 + key.len()].copy_from_slice(key);
            out[8 + key.len()..].copy_from_slice(value);
            state.pending.pop_front();
            pairs += 1;
            used += need;
            store(count, pairs);
            store(len, used);
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
