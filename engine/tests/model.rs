//! Model-based property test: random sequences of every operation, explicit
//! transactions (committed and rolled back), snapshots, scans and reopenings,
//! on files and in memory, checked step by step against a `BTreeMap`.

use nook::{Database, ErrorKind, Options, WriteBatch};
use proptest::prelude::*;
use std::collections::BTreeMap;

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

/// A sink that takes pairs while they fit in `budget` bytes (and always one
/// pair per step, so that every step makes progress).
struct Budget {
    budget: usize,
    used: usize,
    pairs: Vec<(Vec<u8>, Vec<u8>)>,
}

impl nook::ScanSink for Budget {
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
    let mut cursor = nook::Cursor::new(prefix);
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

fn on_txn(txn: &mut nook::WriteTxn, op: &Op) -> Result<Option<Vec<u8>>, ErrorKind> {
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

fn run(actions: Vec<Action>, in_file: bool) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.nook");
    let options = Options::new().cache_size(256 << 10);
    let open = || {
        if in_file {
            Database::open_with(&path, &options).unwrap()
        } else {
            Database::memory_with(&options).unwrap()
        }
    };
    let mut db = open();
    let mut model = Model::new();
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
            Action::Txn(ops, commit) => {
                let mut txn = db.begin_write().unwrap();
                let mut next = model.clone();
                for op in &ops {
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
                    model = next;
                } else {
                    txn.rollback();
                }
            }
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
                if in_file {
                    drop(db);
                    db = open();
                }
            }
        }
        assert_eq!(db.len(), model.len() as u64);
    }
    assert_eq!(all(&db), model);
    let report = db.check().unwrap();
    assert_eq!(report.leaked_pages, 0);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn file_database_matches_model(actions in proptest::collection::vec(action(), 1..60)) {
        run(actions, true);
    }

    #[test]
    fn memory_database_matches_model(actions in proptest::collection::vec(action(), 1..60)) {
        run(actions, false);
    }
}
