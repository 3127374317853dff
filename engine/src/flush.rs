//! Relaxed durability's background flush: a thread per relaxed file database
//! that makes the last commit durable about a second after it, even when no
//! later commit comes to do it (an app that writes once and idles).
//!
//! The thread holds only a weak reference to the writer state and is stopped
//! and joined when the database closes, so it never keeps a file open or
//! locked after the last handle is gone.

use crate::commit::RELAXED_SYNC_INTERVAL;
use crate::db::{make_durable, WriterState};
use parking_lot::{Condvar, Mutex};
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;

/// The running flush thread of one database.
pub(crate) struct Flusher {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl Flusher {
    /// Starts the thread; `None` if the system refuses a thread (commits
    /// then become durable at the next commit, sync or close, as before).
    pub fn start(writer: Weak<Mutex<WriterState>>) -> Option<Flusher> {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let signal = stop.clone();
        let thread = std::thread::Builder::new()
            .name("nook-flush".into())
            .spawn(move || run(&signal, &writer))
            .ok()?;
        Some(Flusher {
            stop,
            thread: Some(thread),
        })
    }
}

fn run(stop: &(Mutex<bool>, Condvar), writer: &Weak<Mutex<WriterState>>) {
    loop {
        {
            let mut stopped = stop.0.lock();
            if !*stopped {
                stop.1.wait_for(&mut stopped, RELAXED_SYNC_INTERVAL);
            }
            if *stopped {
                return;
            }
        }
        let Some(writer) = writer.upgrade() else {
            return;
        };
        // A write transaction holds the lock for its whole life; try again
        // next time rather than wait behind it.
        if let Some(mut state) = writer.try_lock() {
            if state.poisoned.is_none()
                && state.durable_txid < state.meta.txid
                && state.durability_due()
            {
                // A failure poisons the writer; the next write reports it.
                let _ = make_durable(&mut state);
            }
        };
    }
}

impl Drop for Flusher {
    fn drop(&mut self) {
        *self.stop.0.lock() = true;
        self.stop.1.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
