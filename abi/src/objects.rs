//! The objects behind DATABASE, TRANSACTION and CURSOR handles, their
//! parent/child links, and closing (with the cascade from a database to its
//! transactions and cursors, and from a transaction to its cursors).
//!
//! Lock order (never taken the other way round): cursor state → transaction
//! state → database children → writer gate → handle table. Children are closed only after the
//! parent's lock is released.

use crate::failure::Failure;
use crate::handles::{self, Kind, Object};
use crate::writers::{self, WriteTicket, WriterGate};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// An open database and the handles made from it.
pub(crate) struct Database {
    pub engine: engine::Database,
    /// How long a writer waits for the writer slot; `None` waits forever.
    pub busy_timeout: Option<Duration>,
    /// Set (under `children`'s lock) when the handle is closed.
    closed: AtomicBool,
    /// Open transactions and snapshot cursors made from this database.
    children: Mutex<HashSet<u64>>,
    /// The write transactions open on this database's file.
    gate: Arc<WriterGate>,
}

impl Database {
    pub(crate) fn new(engine: engine::Database, busy_timeout: Option<Duration>) -> Database {
        Database {
            gate: writers::gate_for(&engine),
            engine,
            busy_timeout,
            closed: AtomicBool::new(false),
            children: Mutex::new(HashSet::new()),
        }
    }

    fn closed_failure() -> Failure {
        Failure::closed("the database was closed while this call was running")
    }

    /// Puts `object` (a transaction or a cursor of this database) in the handle
    /// table and records it as a child, unless the database was closed.
    pub(crate) fn adopt(&self, object: Object) -> Result<u64, Failure> {
        let mut children = self
            .children
            .lock()
            .map_err(|_| Failure::poisoned("database"))?;
        if self.closed.load(Ordering::Acquire) {
            return Err(Database::closed_failure());
        }
        let handle = handles::insert(object)?;
        children.insert(handle);
        Ok(handle)
    }

    /// Forgets the child `handle` (it was closed).
    fn forget(&self, handle: u64) {
        if let Ok(mut children) = self.children.lock() {
            children.remove(&handle);
        }
    }

    /// Counts a new write transaction; the count drops with the ticket.
    pub(crate) fn write_ticket(&self) -> Result<WriteTicket, Failure> {
        if self.closed.load(Ordering::Acquire) {
            return Err(Database::closed_failure());
        }
        Ok(self.gate.ticket())
    }

    /// Waits, up to the busy timeout, until no write transaction opened through
    /// the ABI is open on this database's file. Auto-commit writes and compact
    /// call this first so that a thread holding a write transaction gets BUSY
    /// instead of waiting on itself forever (spec/abi.md, section 4). A
    /// read-only handle does not wait: the engine refuses its write at once.
    pub(crate) fn wait_for_writers(&self) -> Result<(), Failure> {
        if self.engine.is_read_only() {
            return Ok(());
        }
        self.gate.wait(self.busy_timeout, &self.closed)
    }

    /// Marks the database closed and returns its children, which the caller closes.
    fn close(&self) -> Vec<u64> {
        let mut children = self.children.lock().unwrap_or_else(|p| p.into_inner());
        self.closed.store(true, Ordering::Release);
        self.gate.wake_all();
        children.drain().collect()
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
