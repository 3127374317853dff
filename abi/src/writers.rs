//! The writer gate: counts the write transactions open through the ABI on one
//! database *file*, so that an auto-commit write (or compact) can wait for them
//! with the busy timeout instead of blocking inside the engine.
//!
//! Why: the engine has one writer slot per file, and an auto-commit write
//! waits for it without limit. A thread that holds a write transaction and
//! then writes through the database handle would wait for itself forever; with
//! the gate it gets BUSY after the busy timeout (spec/abi.md, section 4).
//! The engine shares one instance between every handle opened on the same
//! file in a process, so gates are shared per canonical path too; each
//! in-memory database has its own.

use crate::codes;
use crate::failure::Failure;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

/// Write transactions open on one database file, and a signal when one ends.
pub(crate) struct WriterGate {
    open: Mutex<usize>,
    freed: Condvar,
}

/// The gates of the files open in this process, by canonical path.
static GATES: Mutex<Vec<(PathBuf, Weak<WriterGate>)>> = Mutex::new(Vec::new());

/// The gate of the database `engine` (shared by every handle on its file).
pub(crate) fn gate_for(engine: &engine::Database) -> Arc<WriterGate> {
    let fresh = || {
        Arc::new(WriterGate {
            open: Mutex::new(0),
            freed: Condvar::new(),
        })
    };
    let Some(path) = engine.path() else {
        return fresh();
    };
    let mut gates = GATES.lock().unwrap_or_else(|p| p.into_inner());
    gates.retain(|(_, gate)| gate.strong_count() > 0);
    if let Some(gate) = gates
        .iter()
        .find(|(p, _)| p == path)
        .and_then(|(_, g)| g.upgrade())
    {
        return gate;
    }
    let gate = fresh();
    gates.push((path.to_path_buf(), Arc::downgrade(&gate)));
    gate
}

impl WriterGate {
    fn lock(&self) -> MutexGuard<'_, usize> {
        // A counter cannot be left half-updated by a panic.
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts a new write transaction until the ticket is dropped.
    pub(crate) fn ticket(self: &Arc<WriterGate>) -> WriteTicket {
        *self.lock() += 1;
        WriteTicket { gate: self.clone() }
    }

    /// Waits until no write transaction is open, at most `timeout` (`None`:
    /// forever); gives up with CLOSED as soon as `closed` is set (the waiting
    /// handle was closed; its closer calls [`WriterGate::wake_all`]).
    pub(crate) fn wait(
        &self,
        timeout: Option<Duration>,
        closed: &AtomicBool,
    ) -> Result<(), Failure> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut open = self.lock();
        loop {
            if closed.load(Ordering::Acquire) {
                return Err(Failure::closed(
                    "the database was closed while this call waited for the writer",
                ));
            }
            if *open == 0 {
                return Ok(());
            }
            open = match deadline {
                None => self.freed.wait(open).unwrap_or_else(|p| p.into_inner()),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Err(Failure::new(
                            codes::NOOK_BUSY,
                            "a write transaction is open on this database; write through it, \
                             or commit or roll it back first (or open with a longer busy timeout)",
                        ));
                    }
                    self.freed
                        .wait_timeout(open, deadline - now)
                        .unwrap_or_else(|p| p.into_inner())
                        .0
                }
            };
        }
    }

    /// Wakes every waiter (so that it sees a `closed` flag just set).
    pub(crate) fn wake_all(&self) {
        let _open = self.lock();
        self.freed.notify_all();
    }
}

/// Proof that a write transaction is counted by its gate; dropping it
/// uncounts it and wakes the waiting writers.
pub(crate) struct WriteTicket {
    gate: Arc<WriterGate>,
}

impl Drop for WriteTicket {
    fn drop(&mut self) {
        *self.gate.lock() -= 1;
        self.gate.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticket_makes_waiters_wait_until_it_is_dropped() {
        let gate = gate_for(&engine::Database::memory());
        let closed = AtomicBool::new(false);
        gate.wait(Some(Duration::ZERO), &closed).unwrap();
        let ticket = gate.ticket();
        let err = gate
            .wait(Some(Duration::from_millis(20)), &closed)
            .unwrap_err();
        assert_eq!(err.code, codes::NOOK_BUSY);
        let waiter = {
            let gate = gate.clone();
            std::thread::spawn(move || gate.wait(None, &AtomicBool::new(false)))
        };
        std::thread::sleep(Duration::from_millis(20));
        drop(ticket);
        waiter.join().unwrap().unwrap();
    }

    #[test]
    fn closing_wakes_a_waiter_with_closed() {
        let gate = gate_for(&engine::Database::memory());
        let _ticket = gate.ticket();
        let closed = Arc::new(AtomicBool::new(false));
        let waiter = {
            let (gate, closed) = (gate.clone(), closed.clone());
            std::thread::spawn(move || gate.wait(None, &closed))
        };
        std::thread::sleep(Duration::from_millis(20));
        closed.store(true, Ordering::Release);
        gate.wake_all();
        assert_eq!(waiter.join().unwrap().unwrap_err().code, codes::NOOK_CLOSED);
    }

    #[test]
    fn handles_on_one_file_share_a_gate_and_memory_databases_do_not() {
        let dir = std::env::temp_dir().join(format!("nook-abi-gate-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("db.nook");
        let a = engine::Database::open(&path).unwrap();
        let b = engine::Database::open(&path).unwrap();
        let kept = gate_for(&a);
        assert!(Arc::ptr_eq(&kept, &gate_for(&b)));
        let m = engine::Database::memory();
        let kept = gate_for(&m);
        assert!(!Arc::ptr_eq(&kept, &gate_for(&m)));
        drop((a, b));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
