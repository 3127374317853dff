//! Explicit transactions: begin (read or write), commit, rollback. The data
//! operations inside a transaction are those of `data.rs`, given the
//! transaction's handle as their target.

use crate::failure::{call, call_plain, store, ErrorOut, Failure};
use crate::handles::{self, Kind, Object};
use crate::objects::{Transaction, TxnState};
use crate::{args, objects};
use std::sync::Arc;

/// Begins a read transaction on `db`: a stable snapshot of the last commit,
/// unaffected by later writes. Writes its TRANSACTION handle to `*txn`. End it
/// with `nook_txn_rollback` (or `nook_txn_commit`, which does the same).
///
/// Statuses: OK; INVALID_ARGUMENT; INVALID_HANDLE; CLOSED; IO; INTERNAL.
#[no_mangle]
pub unsafe extern "C" fn nook_begin_read(db: u64, txn: *mut u64, error: *mut u64) -> i32 {
    // SAFETY: `error` is the caller's out-pointer: NULL or writable.
    call("nook_begin_read", unsafe { ErrorOut::new(error) }, || {
        args::required(txn, "txn")?;
        let db = handles::database(db, "db")?;
        let read = db.engine.begin_read()?;
        let object =
            Object::Transaction(Arc::new(Transaction::new(db.clone(), TxnState::Read(read))));
        // SAFETY: not NULL (checked above), so writable by the caller's
        // contract.
        unsafe { store(txn, db.adopt(object)?) };
        Ok(())
    })
}

/// Begins the write transaction of `db` (one at a time per database), waiting
/// for the writer slot up to the database's busy timeout. Writes its
/// TRANSACTION handle to `*txn`. Its changes are visible only inside it until
/// `nook_txn_commit`; `nook_txn_rollback` discards them.
///
/// Statuses: OK; INVALID_ARGUMENT; INVALID_HANDLE; READ_ONLY; BUSY (the slot
/// stayed taken); CLOSED; IO; INTERNAL.
#[no_mangle]
pub unsafe extern "C" fn nook_begin_write(db: u64, txn: *mut u64, error: *mut u64) -> i32 {
    // SAFETY: `error` is the caller's out-pointer: NULL or writable.
    call("nook_begin_write", unsafe { ErrorOut::new(error) }, || {
        args::required(txn, "txn")?;
        let db = handles::database(db, "db")?;
        // The engine handle waits up to this handle's busy timeout.
        let write = db.engine.begin_write()?;
        let ticket = db.write_ticket()?;
        let state = TxnState::Write(Box::new(write), ticket);
        let object = Object::Transaction(Arc::new(Transaction::new(db.clone(), state)));
        // SAFETY: not NULL (checked above), so writable by the caller's
        // contract.
        unsafe { store(txn, db.adopt(object)?) };
        Ok(())
    })
}

/// Commits the transaction `txn` and releases its handle and its cursors'
/// handles, whatever the outcome (except INVALID_HANDLE: nothing happened).
/// On any failure nothing of the transaction was committed. Committing a read
/// transaction just ends it. A write transaction poisoned by an earlier
/// failure is refused with that failure's status (spec/abi.md, section 5.5).
///
/// Statuses: OK; INVALID_HANDLE; CLOSED (a concurrent call ended it first);
/// IO; DISK_FULL; CORRUPTED (poisoned); INTERNAL.
#[no_mangle]
pub unsafe extern "C" fn nook_txn_commit(txn: u64, error: *mut u64) -> i32 {
    // SAFETY: `error` is the caller's out-pointer: NULL or writable.
    call("nook_txn_commit", unsafe { ErrorOut::new(error) }, || {
        let object = handles::remove(txn, "txn", &[Kind::Transaction])?;
        let Object::Transaction(transaction) = object else {
            unreachable!("kind checked")
        };
        match transaction.finish(txn) {
            TxnState::Write(write, _ticket) => Ok((*write).commit()?),
            TxnState::Read(_) => Ok(()),
            TxnState::Finished => Err(Failure::closed(
                "the transaction was already ended by a concurrent call",
            )),
        }
    })
}

/// Rolls back (write) or ends (read) the transaction `txn`, and releases its
/// handle and its cursors' handles.
///
/// Statuses: OK; INVALID_HANDLE.
#[no_mangle]
pub unsafe extern "C" fn nook_txn_rollback(txn: u64) -> i32 {
    call_plain("nook_txn_rollback", || {
        objects::close(txn, "txn", &[Kind::Transaction])
    })
}
