//! Model-based property test: random sequences of every operation, explicit
//! transactions (committed and rolled back), snapshots, scans and reopenings,
//! on files, in memory and on a simulated disk, in both durability modes,
//! checked step by step against a `BTreeMap`.
//!
//! On the simulated disk, transactions also meet I/O errors (the n-th I/O,
//! reads included, fails once): the failed operation poisons the transaction,
//! which must then refuse the commit (error-then-commit) or every later call
//! (error-then-continue) with the original error, leave the database at the
//! state before it, and let the next transaction work. A reopening there
//! starts from what the disk has synced, so a clean close must have made the
//! last commit durable (relaxed mode included).
//!
//! Runs also compact, reopen with other options (durability, cache size),
//! open the file a second time (refused for the other durability), and check
//! that the transaction id never goes backwards.

mod support;

use nookdb::{Database, Durability, ErrorKind, Options, WriteBatch};
use proptest::prelude::*;
use std::collections::BTreeMap;
use support::{Fault, SimDisk};

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

/// A sink that takes pairs while they fit in `budget` bytes (and always one
/// pair per step, so that every step makes progress).
struct Budget {
    budget: usize,
    used: usize,
    pairs: Vec<(Vec<u8>, Vec<u8>)>,
}

impl nookdb::ScanSink for Budget {
    fn fits(&mut self, key_len: usize, value_len: usize) -> bool {
        self.pairs.is_empty() || self.used + key_len + value_len <= self.budget
    }
    fn take(&mut self, key: &[u8], value: &[u8]) {
        self.used += key.len() + value.len();
        self.pairs.push((key.to_vec(), value.to_vec()));
    }
}

/// Scans with `scan_into` in steps of at most `budget` bytes, checking that
/// no pair comes twice.
fn scan_in_steps(db: &Database, prefix: &[u8], budget: usize) -> Model {
    let txn = db.begin_read().unwrap();
    let mut cursor = nookdb::Cursor::new(prefix);
    let mut seen = Model::new();
    while !cursor.is_done() {
        let mut step = Budget {
            budget,
            used: 0,
            pairs: Vec::new(),
        };
        txn.scan_into(&mut cursor, &mut step).unwrap();
        assert!(
            !step.pairs.is_empty() || cursor.is_done(),
            "a step made no progress"
        );
        for (k, v) in step.pairs {
            assert!(seen.insert(k, v).is_none(), "a pair came twice");
        }
    }
    seen
}

#[derive(Clone, Debug)]
enum Op {
    Put(Vec<u8>, Vec<u8>),
    Insert(Vec<u8>, Vec<u8>),
    Update(Vec<u8>, Vec<u8>),
    Delete(Vec<u8>),
    Get(Vec<u8>),
    Batch(Vec<(Vec<u8>, Option<Vec<u8>>)>),
}

#[derive(Clone, Debug)]
enum Action {
    Auto(Op),
    Txn(Vec<Op>, bool),
    /// A prefix scan, then the same scan in steps of at most this many bytes.
    Scan(Vec<u8>, usize),
    SnapshotIsolation(Op),
    Reopen,
    /// Close and reopen with other options: the other durability mode if
    /// `flip`, and a cache of `cache_pages` pages.
    ReopenWith {
        flip: bool,
        cache_pages: usize,
    },
    /// A second open of the same file while it is open (files only): refused
    /// when it asks for the other durability, else sharing the instance.
    SecondOpen {
        flip: bool,
    },
    Compact,
    /// A transaction whose I/O number `at` fails (on the simulated disk;
    /// elsewhere a committed transaction): after the failure, either commit
    /// at once or go on with the remaining operations first.
    Faulty {
        ops: Vec<Op>,
        at: u64,
        go_on: bool,
    },
}

fn key() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        8 => (0u8..48).prop_map(|i| format!("k{i}").into_bytes()),
        1 => (0u8..4).prop_map(|i| vec![b'L'; 1200 + i as usize * 900]), // keys stored in overflow
        1 => proptest::collection::vec(any::<u8>(), 1..6),
    ]
}

fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => (0u64..1_000_000).prop_map(|n| cbor(&ciborium::Value::Integer(n.into()))),
        3 => proptest::collection::vec(any::<u8>(), 0..200).prop_map(|b| cbor(&ciborium::Value::Bytes(b))),
        1 => (1000usize..12_000, any::<u8>()).prop_map(|(n, b)| cbor(&ciborium::Value::Bytes(vec![b; n]))),
    ]
}

fn cbor(v: &ciborium::Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(v, &mut out).unwrap();
    out
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (key(), value()).prop_map(|(k, v)| Op::Put(k, v)),
        1 => (key(), value()).prop_map(|(k, v)| Op::Insert(k, v)),
        1 => (key(), value()).prop_map(|(k, v)| Op::Update(k, v)),
        2 => key().prop_map(Op::Delete),
        2 => key().prop_map(Op::Get),
        1 => proptest::collection::vec((key(), proptest::option::of(value())), 0..12).prop_map(Op::Batch),
    ]
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        6 => op().prop_map(Action::Auto),
        3 => (proptest::collection::vec(op(), 0..30), any::<bool>()).prop_map(|(ops, c)| Action::Txn(ops, c)),
        1 => (proptest::collection::vec(any::<u8>(), 0..2), 1usize..3000).prop_map(|(p, budget)| Action::Scan(if p.is_empty() { vec![] } else { b"k1".to_vec() }, budget)),
        1 => op().prop_map(Action::SnapshotIsolation),
        1 => Just(Action::Reopen),
        1 => (any::<bool>(), 16usize..200).prop_map(|(flip, cache_pages)| Action::ReopenWith { flip, cache_pages }),
        1 => any::<bool>().prop_map(|flip| Action::SecondOpen { flip }),
        1 => Just(Action::Compact),
        2 => (proptest::collection::vec(op(), 1..20), 1u64..12, any::<bool>())
            .prop_map(|(ops, at, go_on)| Action::Faulty { ops, at, go_on }),
    ]
}

/// Applies `op` to the model and says what the engine must answer.
fn expect(model: &mut Model, op: &Op) -> Result<Option<Vec<u8>>, ErrorKind> {
    match op {
        Op::Put(k, v) => {
            model.insert(k.clone(), v.clone());
            Ok(None)
        }
        Op::Insert(k, v) => {
            if model.contains_key(k) {
                return Err(ErrorKind::AlreadyExists);
            }
            model.insert(k.clone(), v.clone());
            Ok(None)
        }
        Op::Update(k, v) => match model.get_mut(k) {
            Some(slot) => {
                *slot = v.clone();
                Ok(None)
            }
            None => Err(ErrorKind::NotFound),
        },
        Op::Delete(k) => Ok(model.remove(k).map(|_| vec![1])),
        Op::Get(k) => Ok(model.get(k).cloned()),
        Op::Batch(items) => {
            for (k, v) in items {
                match v {
                    Some(v) => model.insert(k.clone(), v.clone()),
                    None => model.remove(k),
                };
            }
            Ok(None)
        }
    }
}

fn batch(items: &[(Vec<u8>, Option<Vec<u8>>)]) -> WriteBatch {
    let mut b = WriteBatch::new();
    for (k, v) in items {
        match v {
            Some(v) => b.put(k, v),
            None => b.delete(k),
        };
    }
    b
}

fn on_db(db: &Database, op: &Op) -> Result<Option<Vec<u8>>, ErrorKind> {
    let r = match op {
        Op::Put(k, v) => db.put(k, v).map(|()| None),
        Op::Insert(k, v) => db.insert(k, v).map(|()| None),
        Op::Update(k, v) => db.update(k, v).map(|()| None),
        Op::Delete(k) => db.delete(k).map(|d| d.then(|| vec![1])),
        Op::Get(k) => db.get(k),
        Op::Batch(items) => db.write_batch(&batch(items)).map(|()| None),
    };
    r.map_err(|e| e.kind())
}

fn on_txn(txn: &mut nookdb::WriteTxn, op: &Op) -> Result<Option<Vec<u8>>, ErrorKind> {
    let r = match op {
        Op::Put(k, v) => txn.put(k, v).map(|()| None),
        Op::Insert(k, v) => txn.insert(k, v).map(|()| None),
        Op::Update(k, v) => txn.update(k, v).map(|()| None),
        Op::Delete(k) => txn.delete(k).map(|d| d.then(|| vec![1])),
        Op::Get(k) => txn.get(k),
        Op::Batch(items) => txn.write_batch(&batch(items)).map(|()| None),
    };
    r.map_err(|e| e.kind())
}

fn all(db: &Database) -> Model {
    db.iter().unwrap().map(|r| r.unwrap()).collect()
}

/// Where the database lives.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Place {
    File,
    Memory,
    /// A simulated disk that can fail the n-th I/O.
    SimDisk,
}

/// Opens and reopens the database of one run.
struct Opener {
    place: Place,
    options: Options,
    dir: tempfile::TempDir,
    disk: SimDisk,
}

impl Opener {
    fn open(&self) -> Database {
        match self.place {
            Place::File => Database::open_with(self.dir.path().join("model.nook"), &self.options),
            Place::Memory => Database::memory_with(&self.options),
            Place::SimDisk => Database::open_backend(self.disk.backend(), &self.options),
        }
        .unwrap()
    }

    /// Closes `db` and opens the database again; on the simulated disk, from
    /// what it has synced only (as after a power cut following the close).
    fn reopen(&mut self, db: Database) -> Database {
        match self.place {
            Place::File => {
                drop(db);
                self.open()
            }
            Place::Memory => db,
            Place::SimDisk => {
                drop(db);
                self.disk = SimDisk::from_image(self.disk.durable_image());
                self.open()
            }
        }
    }
}

/// Runs a transaction of `ops`, then commits or rolls it back. Returns the
/// state the database must hold afterwards.
fn transaction(db: &Database, model: Model, ops: &[Op], commit: bool) -> Model {
    let mut txn = db.begin_write().unwrap();
    let mut next = model.clone();
    for op in ops {
        let mut trial = next.clone();
        let want = expect(&mut trial, op);
        assert_eq!(on_txn(&mut txn, op), want, "in txn: {op:?}");
        if want.is_ok() {
            next = trial;
        }
        assert_eq!(txn.len(), next.len() as u64);
    }
    let seen: Model = txn.iter().map(|r| r.unwrap()).collect();
    assert_eq!(seen, next, "a write transaction must see its own writes");
    if commit {
        txn.commit().unwrap();
        next
    } else {
        txn.rollback();
        model
    }
}

/// Runs a transaction of `ops` whose I/O number `at` fails. Returns the
/// state the database must hold afterwards.
fn faulty_transaction(
    db: &Database,
    disk: &SimDisk,
    model: &Model,
    ops: &[Op],
    at: u64,
    go_on: bool,
) -> Model {
    let mut txn = db.begin_write().unwrap();
    disk.arm(Some((at, Fault::Transient)), true);
    let mut next = model.clone();
    let mut ops = ops.iter();
    let mut failure = None;
    for op in ops.by_ref() {
        let fired_before = disk.faults_fired();
        let got = on_txn(&mut txn, op);
        if disk.faults_fired() > fired_before {
            let kind = got.expect_err(&format!("{op:?}: a fault fired, the call succeeded"));
            assert_eq!(kind, ErrorKind::Io, "{op:?}");
            failure = Some(kind);
            break;
        }
        let mut trial = next.clone();
        let want = expect(&mut trial, op);
        assert_eq!(got, want, "in a faulty txn: {op:?}");
        if want.is_ok() {
            next = trial;
        }
    }
    // Faults are for the operations: the commit's own failures are swept in
    // crash.rs and poison.rs.
    disk.arm(None, false);
    let Some(kind) = failure else {
        txn.commit().unwrap();
        return next;
    };
    if go_on {
        // Error-then-continue: everything after the failure repeats it.
        for op in ops {
            assert_eq!(on_txn(&mut txn, op), Err(kind), "after the failure: {op:?}");
        }
        assert_eq!(txn.get(b"k1").map_err(|e| e.kind()), Err(kind));
        assert_eq!(txn.iter().next().unwrap().map_err(|e| e.kind()), Err(kind));
        txn.rollback();
    } else {
        // Error-then-commit: the commit is refused.
        assert_eq!(txn.commit().map_err(|e| e.kind()), Err(kind));
    }
    model.clone()
}

fn run(actions: Vec<Action>, place: Place, durability: Durability) {
    let mut opener = Opener {
        place,
        options: Options::new()
            // On the simulated disk, a small cache lets reads fail too.
            .cache_size(if place == Place::SimDisk {
                64 << 10
            } else {
                256 << 10
            })
            .durability(durability),
        dir: tempfile::tempdir().unwrap(),
        disk: SimDisk::new(),
    };
    let mut db = opener.open();
    let mut model = Model::new();
    let mut last_txid = 0;
    for action in actions {
        match action {
            Action::Auto(op) => {
                let mut next = model.clone();
                let want = expect(&mut next, &op);
                assert_eq!(on_db(&db, &op), want, "{op:?}");
                if want.is_ok() {
                    model = next;
                }
            }
            Action::Txn(ops, commit) => model = transaction(&db, model, &ops, commit),
            Action::Scan(prefix, budget) => {
                let got: Model = db
                    .scan_prefix(&prefix)
                    .unwrap()
                    .map(|r| r.unwrap())
                    .collect();
                let want: Model = model
                    .iter()
                    .filter(|(k, _)| k.starts_with(&prefix))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                assert_eq!(got, want);
                assert_eq!(scan_in_steps(&db, &prefix, budget), want);
            }
            Action::SnapshotIsolation(op) => {
                let snap = db.begin_read().unwrap();
                let before = model.clone();
                let mut next = model.clone();
                if expect(&mut next, &op).is_ok() {
                    on_db(&db, &op).unwrap();
                    model = next;
                }
                let frozen: Model = snap.iter().map(|r| r.unwrap()).collect();
                assert_eq!(frozen, before, "a snapshot must not see later commits");
                assert_eq!(snap.len(), frozen.len() as u64);
                drop(snap);
            }
            Action::Reopen => {
                db = opener.reopen(db);
                // A clean close keeps the last commit, in every mode.
                assert!(all(&db) == model, "after a reopen: not the last commit");
            }
            Action::ReopenWith { flip, cache_pages } => {
                if flip {
                    opener.options.durability = other(opener.options.durability);
                }
                opener.options.cache_size = cache_pages * 4096;
                db = opener.reopen(db);
                assert!(all(&db) == model, "after a reopen with other options");
                assert_eq!(db.check().unwrap().leaked_pages, 0);
            }
            Action::SecondOpen { flip } => {
                if place == Place::File {
                    let mut options = opener.options.clone();
                    if flip {
                        options.durability = other(options.durability);
                    }
                    match Database::open_with(opener.dir.path().join("model.nook"), &options) {
                        Ok(second) => {
                            assert!(
                                !flip,
                                "a second open with the other durability was accepted"
                            );
                            assert!(
                                all(&second) == model,
                                "the second handle sees another state"
                            );
                        }
                        Err(e) => {
                            assert!(flip, "a second open failed: {e}");
                            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
                        }
                    }
                }
            }
            Action::Compact => match (place, db.compact()) {
                (Place::SimDisk, result) => {
                    // A custom backend has no file to swap.
                    assert_eq!(result.unwrap_err().kind(), ErrorKind::InvalidArgument);
                }
                (_, result) => {
                    result.unwrap();
                    assert!(all(&db) == model, "after compact");
                    assert_eq!(db.check().unwrap().leaked_pages, 0);
                }
            },
            Action::Faulty { ops, at, go_on } => {
                model = if place == Place::SimDisk {
                    let after = faulty_transaction(&db, &opener.disk, &model, &ops, at, go_on);
                    assert!(
                        all(&db) == after,
                        "after a faulty transaction: another state"
                    );
                    after
                } else {
                    transaction(&db, model, &ops, true)
                };
            }
        }
        assert_eq!(db.len(), model.len() as u64);
        let txid = db.begin_read().unwrap().txid();
        assert!(
            txid >= last_txid,
            "the txid went back from {last_txid} to {txid}"
        );
        last_txid = txid;
    }
    assert_eq!(all(&db), model);
    let report = db.check().unwrap();
    assert_eq!(report.leaked_pages, 0);
}

fn other(durability: Durability) -> Durability {
    match durability {
        Durability::Immediate => Durability::Relaxed,
        Durability::Relaxed => Durability::Immediate,
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: support::scaled(48, 4) as u32,
        ..ProptestConfig::default()
    })]

    #[test]
    fn file_database_matches_model(actions in proptest::collection::vec(action(), 1..60)) {
        run(actions, Place::File, Durability::Immediate);
    }

    #[test]
    fn relaxed_file_database_matches_model(actions in proptest::collection::vec(action(), 1..60)) {
        run(actions, Place::File, Durability::Relaxed);
    }

    #[test]
    fn memory_database_matches_model(actions in proptest::collection::vec(action(), 1..60)) {
        run(actions, Place::Memory, Durability::Immediate);
    }

    #[test]
    fn failing_disk_matches_model(actions in proptest::collection::vec(action(), 1..60)) {
        run(actions, Place::SimDisk, Durability::Immediate);
    }

    #[test]
    fn relaxed_failing_disk_matches_model(actions in proptest::collection::vec(action(), 1..60)) {
        run(actions, Place::SimDisk, Durability::Relaxed);
    }
}
