//! The objects behind DATABASE, TRANSACTION and CURSOR handles, their
//! parent/child links, and closing (with the cascade from a database to its
//! transactions and cursors, and from a transaction to its cursors).
//!
//! Lock order (never taken the other way round): cursor state → transaction
//! state → database state → handle table. Children are closed only after the
//! parent's lock is released.

use crate::codes;
use crate::failure::Failure;
use crate::handles::{self, Kind, Object};
use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// An open database and the handles made from it.
pub(crate) struct Database {
    pub engine: engine::Database,
    /// How long a writer waits for the writer slot; `None` waits forever.
    pub busy_timeout: Option<Duration>,
    state: Mutex<DbState>,
    /// Signalled whenever a write transaction of this database ends.
    writer_freed: Condvar,
}

struct DbState {
    closed: bool,
    /// Open transactions and snapshot cursors made from this database.
    children: HashSet<u64>,
    /// Write transactions open through the ABI on this database.
    open_write_txns: usize,
}

impl Database {
    pub(crate) fn new(engine: engine::Database, busy_timeout: Option<Duration>) -> Database {
        Database {
            engine,
            busy_timeout,
            state: Mutex::new(DbState {
                closed: false,
                children: HashSet::new(),
                open_write_txns: 0,
            }),
            writer_freed: Condvar::new(),
        }
    }

    fn lock(&self) -> Result<MutexGuard<'_, DbState>, Failure> {
        self.state.lock().map_err(|_| Failure::poisoned("database"))
    }

    fn closed_failure() -> Failure {
        Failure::closed("the database was closed while this call was running")
    }

    /// Puts `object` (a transaction or a cursor of this database) in the handle
    /// table and records it as a child, unless the database was closed.
    pub(crate) fn adopt(&self, object: Object) -> Result<u64, Failure> {
        let mut state = self.lock()?;
        if state.closed {
            return Err(Database::closed_failure());
        }
        let handle = handles::insert(object)?;
        state.children.insert(handle);
        Ok(handle)
    }

    /// Forgets the child `handle` (it was closed).
    fn forget(&self, handle: u64) {
        if let Ok(mut state) = self.state.lock() {
            state.children.remove(&handle);
        }
    }

    /// Counts a new write transaction; the count drops with the ticket.
    pub(crate) fn write_ticket(self: &Arc<Database>) -> Result<WriteTicket, Failure> {
        let mut state = self.lock()?;
        if state.closed {
            return Err(Database::closed_failure());
        }
        state.open_write_txns += 1;
        Ok(WriteTicket { db: self.clone() })
    }

    /// Waits, up to the busy timeout, until no write transaction opened through
    /// the ABI is open on this database. Auto-commit writes call this first so
    /// that a thread holding a write transaction gets BUSY instead of waiting
    /// on itself forever (see spec/abi.md, "Writers").
    pub(crate) fn wait_for_writers(&self) -> Result<(), Failure> {
        let deadline = self.busy_timeout.map(|t| Instant::now() + t);
        let mut state = self.lock()?;
        while state.open_write_txns > 0 && !state.closed {
            let now = Instant::now();
            state = match deadline {
                Some(deadline) if now >= deadline => {
                    return Err(Failure::new(
                        codes::NOOK_BUSY,
                        "a write transaction is open on this database; write through it, \
                         or commit or roll it back first (or open with a longer busy timeout)",
                    ))
                }
                Some(deadline) => {
                    let (guard, _) = self
                        .writer_freed
                        .wait_timeout(state, deadline - now)
                        .map_err(|_| Failure::poisoned("database"))?;
                    guard
                }
                None => self
                    .writer_freed
                    .wait(state)
                    .map_err(|_| Failure::poisoned("database"))?,
            };
        }
        if state.closed {
            return Err(Database::closed_failure());
        }
        Ok(())
    }

    /// Marks the database closed and returns its children, which the caller closes.
    fn close(&self) -> Vec<u64> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.closed = true;
        self.writer_freed.notify_all();
        state.children.drain().collect()
    }
}

/// Proof that a write transaction is counted in its database's
/// `open_write_txns`; dropping it uncounts it and wakes waiting writers.
pub(crate) struct WriteTicket {
    db: Arc<Database>,
}

impl Drop for WriteTicket {
    fn drop(&mut self) {
        let mut state = self.db.state.lock().unwrap_or_else(|p| p.into_inner());
        state.open_write_txns -= 1;
        self.db.writer_freed.notify_all();
    }
}

/// An explicit transaction.
pub(crate) struct Transaction {
    pub db: Arc<Database>,
    inner: Mutex<TxnInner>,
}

/// The mutable part of a transaction, behind its lock.
pub(crate) struct TxnInner {
    pub state: TxnState,
    /// Cursors opened inside this transaction.
    cursors: HashSet<u64>,
}

/// Where a transaction is in its life.
pub(crate) enum TxnState {
    Read(engine::ReadTxn),
    /// The engine transaction is declared first so that it is dropped (its
    /// writer slot released) before the ticket wakes the waiting writers.
    Write(Box<engine::WriteTxn>, WriteTicket),
    /// Committed or rolled back by a call that raced with this one.
    Finished,
}

impl Transaction {
    pub(crate) fn new(db: Arc<Database>, state: TxnState) -> Transaction {
        Transaction {
            db,
            inner: Mutex::new(TxnInner {
                state,
                cursors: HashSet::new(),
            }),
        }
    }

    /// Locks the transaction; concurrent calls on one transaction run one at a time.
    pub(crate) fn lock(&self) -> Result<MutexGuard<'_, TxnInner>, Failure> {
        self.inner
            .lock()
            .map_err(|_| Failure::poisoned("transaction"))
    }

    /// The failure of a call on a transaction that another call just ended.
    pub(crate) fn finished_failure() -> Failure {
        Failure::closed("the transaction was committed or rolled back by a concurrent call")
    }

    /// Puts a cursor of this transaction in the handle table, unless it ended.
    pub(crate) fn adopt_cursor(&self, object: Object) -> Result<u64, Failure> {
        let mut inner = self.lock()?;
        if matches!(inner.state, TxnState::Finished) {
            return Err(Transaction::finished_failure());
        }
        let handle = handles::insert(object)?;
        inner.cursors.insert(handle);
        Ok(handle)
    }

    fn forget_cursor(&self, handle: u64) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.cursors.remove(&handle);
        }
    }

    /// Ends the transaction's life: returns its state (for commit or rollback)
    /// after closing its cursors and detaching it from its database.
    pub(crate) fn finish(&self, handle: u64) -> TxnState {
        let (state, cursors) = {
            let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
            let state = std::mem::replace(&mut inner.state, TxnState::Finished);
            (state, std::mem::take(&mut inner.cursors))
        };
        for cursor in cursors {
            let _ = close(cursor, "cursor", &[Kind::Cursor]);
        }
        self.db.forget(handle);
        state
    }
}

/// An open cursor.
pub(crate) struct Cursor {
    pub source: Source,
    pub state: Mutex<CursorState>,
}

/// What a cursor reads.
pub(crate) enum Source {
    /// A snapshot of the database taken when the cursor was opened (the
    /// snapshot itself is in [`CursorState::snapshot`]).
    Snapshot(Arc<Database>),
    /// The current state of an explicit transaction.
    Transaction(Arc<Transaction>),
}

/// The mutable part of a cursor, behind its lock.
pub(crate) struct CursorState {
    /// The snapshot read by a [`Source::Snapshot`] cursor.
    pub snapshot: Option<engine::ReadTxn>,
    pub position: engine::Cursor,
    /// Pairs fetched from the engine but not yet handed to the caller.
    pub pending: VecDeque<(Vec<u8>, Vec<u8>)>,
    /// The prefix is longer than any key: the cursor returns nothing.
    pub matches_nothing: bool,
}

/// Closes the object named by `handle` (of one of the `expected` kinds):
/// removes it from the handle table, then tears it down. A write transaction
/// is rolled back; a database closes its transactions and cursors first.
pub(crate) fn close(handle: u64, what: &str, expected: &[Kind]) -> Result<(), Failure> {
    let object = handles::remove(handle, what, expected)?;
    teardown(handle, object);
    Ok(())
}

fn teardown(handle: u64, object: Object) {
    match object {
        Object::Database(db) => {
            for child in db.close() {
                let _ = close(child, "child", &[Kind::Transaction, Kind::Cursor]);
            }
        }
        Object::Transaction(txn) => drop(txn.finish(handle)),
        Object::Cursor(cursor) => match &cursor.source {
            Source::Snapshot(db) => db.forget(handle),
            Source::Transaction(txn) => txn.forget_cursor(handle),
        },
        Object::Buffer(_) | Object::Error { .. } => {}
    }
}
