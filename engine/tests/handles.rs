//! What every handle to one database may and may not differ in, and that a
//! write never waits for its own thread.

use nookdb::{Database, Durability, ErrorKind, Options};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Runs `f` on a thread and fails the test if it has not returned after
/// `limit` (a hang would otherwise stop the whole test run).
fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("the call did not return within {limit:?}: it hangs"))
}

/// Fails before the fix: the second open shared the relaxed instance and its
/// commits were not durable, although it asked for immediate durability.
#[test]
fn a_second_open_with_other_durability_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.nook");
    let relaxed = Options::new().durability(Durability::Relaxed);
    let first = Database::open_with(&path, &relaxed).unwrap();
    let err = Database::open(&path).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert!(err.message().contains("Relaxed"), "{err}");
    // The same durability shares the instance; other per-handle options may differ.
    let second = Database::open_with(&path, &relaxed.clone().cache_size(1 << 20)).unwrap();
    second.put(b"k", &[0x01]).unwrap();
    assert_eq!(first.get(b"k").unwrap(), Some(vec![0x01]));
    drop((first, second));
    // Once every handle is closed, any durability opens.
    let db = Database::open(&path).unwrap();
    assert_eq!(db.get(b"k").unwrap(), Some(vec![0x01]));
}

/// Fails before the fix (hangs): an auto-commit write waited for the write
/// transaction its own thread holds.
#[test]
fn a_write_on_the_thread_that_holds_the_write_transaction_gets_busy() {
    let timeout = Duration::from_millis(300);
    within(Duration::from_secs(30), move || {
        let db = Database::memory_with(&Options::new().busy_timeout(timeout)).unwrap();
        let mut txn = db.begin_write().unwrap();
        txn.put(b"in-txn", &[0x01]).unwrap();
        let started = Instant::now();
        for result in [
            db.put(b"k", &[0x01]),
            db.insert(b"k", &[0x01]),
            db.delete(b"k").map(|_| ()),
            db.begin_write().map(|_| ()),
            db.sync(),
        ] {
            assert_eq!(result.unwrap_err().kind(), ErrorKind::Busy);
        }
        let waited = started.elapsed();
        assert!(waited >= timeout * 5, "gave up too early: {waited:?}");
        txn.commit().unwrap();
        db.put(b"k", &[0x02]).unwrap();
        assert_eq!(db.len(), 2);
    });
}

#[test]
fn each_handle_keeps_its_own_busy_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.nook");
    let patient = Database::open(&path).unwrap();
    let hasty = Database::open_with(&path, &Options::new().busy_timeout(Duration::ZERO)).unwrap();
    let txn = patient.begin_write().unwrap();
    let started = Instant::now();
    let put = within(Duration::from_secs(30), {
        let hasty = hasty.clone();
        move || hasty.put(b"k", &[0x01])
    });
    assert_eq!(put.unwrap_err().kind(), ErrorKind::Busy);
    assert!(started.elapsed() < Duration::from_secs(2));
    // The patient handle waits, and gets the slot when the transaction ends.
    let waiter = std::thread::spawn(move || patient.put(b"k", &[0x02]));
    std::thread::sleep(Duration::from_millis(100));
    txn.commit().unwrap();
    waiter.join().unwrap().unwrap();
    assert_eq!(hasty.get(b"k").unwrap(), Some(vec![0x02]));
}
