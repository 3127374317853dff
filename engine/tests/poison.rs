//! Poisoned write transactions: an operation inside a write transaction that
//! fails for any reason but a clean refusal (NOT_FOUND, ALREADY_EXISTS,
//! INVALID_*, *_TOO_LARGE) may have applied part of its change, so the
//! transaction refuses everything after it, `commit` included, with the
//! original error; only a rollback is left, and the file keeps the state
//! before the transaction.
//!
//! The sweep fails the n-th I/O (reads included) for every n inside explicit
//! transactions (several operations, overflow values, deletes, batches) and
//! then tries to go on and commit: either every call succeeded, or the
//! transaction is poisoned, the commit is refused, and the handle and the file
//! (reopened and checked) hold exactly the state before the transaction. A
//! second sweep does the same for auto-commit batches.

mod support;

use nookdb::{Database, ErrorKind, Options, WriteBatch, WriteTxn};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use support::{cbor_bytes, Fault, SimDisk};

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

fn options() -> Options {
    // A tiny cache, so that reads reach the backend (and can fail) too.
    Options::new().cache_size(64 << 10)
}

fn contents(db: &Database) -> Model {
    db.iter().unwrap().map(|r| r.unwrap()).collect()
}

/// A database on a simulated disk holding `model`.
fn database_with(model: &Model) -> (SimDisk, Database) {
    let disk = SimDisk::new();
    let db = Database::open_backend(disk.backend(), &options()).unwrap();
    let mut txn = db.begin_write().unwrap();
    for (k, v) in model {
        txn.put(k, v).unwrap();
    }
    txn.commit().unwrap();
    (disk, db)
}

/// The file left on `disk`, reopened: it must pass `check` with no leaked
/// page; returns its contents.
fn reopened(disk: &SimDisk, ctx: &str) -> Model {
    let db = Database::open_backend(SimDisk::from_image(disk.live_image()).backend(), &options())
        .unwrap_or_else(|e| panic!("{ctx}: reopen failed: {e}"));
    let report = db
        .check()
        .unwrap_or_else(|e| panic!("{ctx}: check failed: {e}"));
    assert_eq!(report.leaked_pages, 0, "{ctx}: leaked pages");
    assert_eq!(db.len(), contents(&db).len() as u64, "{ctx}: key count");
    contents(&db)
}

/// Asserts that `got` is `want`, naming only the first difference (the
/// values are too large to print).
fn assert_same(got: &Model, want: &Model, ctx: &str) {
    if got == want {
        return;
    }
    let keys: std::collections::BTreeSet<&Vec<u8>> = got.keys().chain(want.keys()).collect();
    let differing = keys
        .into_iter()
        .find(|k| got.get(*k) != want.get(*k))
        .unwrap();
    let short = |v: Option<&Vec<u8>>| v.map(|v| v.len());
    panic!(
        "{ctx} holds {} keys instead of {}; first difference at key {:?}: value of {:?} bytes instead of {:?}",
        got.len(),
        want.len(),
        String::from_utf8_lossy(&differing[..differing.len().min(16)]),
        short(got.get(differing)),
        short(want.get(differing)),
    );
}

/// Asserts that `txn` is poisoned by an error of `kind`: reads, writes and
/// the commit all return that kind, saying the transaction must be rolled back.
fn assert_poisoned(mut txn: WriteTxn, kind: ErrorKind, ctx: &str) {
    let refused = |r: nookdb::Result<()>, what: &str| {
        let e = r.expect_err(&format!(
            "{ctx}: {what} on a poisoned transaction succeeded"
        ));
        assert_eq!(e.kind(), kind, "{ctx}: {what}: {e}");
        assert!(
            e.message().contains("rolled back"),
            "{ctx}: {what}: the message does not say what to do: {e}"
        );
    };
    refused(txn.get(b"any").map(drop), "get");
    refused(txn.contains(b"any").map(drop), "contains");
    refused(txn.iter().next().unwrap().map(drop), "iter");
    refused(txn.put(b"any", &[0x01]), "put");
    refused(txn.insert(b"other", &[0x01]), "insert");
    refused(txn.delete(b"any").map(drop), "delete");
    refused(
        txn.write_batch(WriteBatch::new().put(b"x", &[0x01])),
        "write_batch",
    );
    refused(txn.commit(), "commit");
}

/// A pre-state with overflow values (and one overflow key), for the
/// single-operation regressions.
fn pre_state() -> Model {
    let mut model = Model::new();
    model.insert(b"big".to_vec(), cbor_bytes(20_000, 7));
    model.insert(vec![b'L'; 2000], cbor_bytes(9_000, 8));
    for i in 0..40u8 {
        model.insert(format!("k{i}").into_bytes(), cbor_bytes(i as usize, i));
    }
    model
}

/// Runs `op` in a write transaction with a transient I/O error at the n-th
/// I/O (after a first change), for every n until `op` succeeds: each failure
/// must poison the transaction, and the file must then hold `pre_state()` and
/// pass `check`.
/// Returns how many runs failed.
fn every_failure_of(name: &str, op: impl Fn(&mut WriteTxn) -> nookdb::Result<()>) -> u64 {
    let before = pre_state();
    let mut failures = 0;
    for n in 1.. {
        let (disk, db) = database_with(&before);
        let mut txn = db.begin_write().unwrap();
        // An earlier change in the same transaction, which a commit would
        // write together with whatever the failed operation left behind.
        txn.put(b"k0", &[0x00]).unwrap();
        disk.arm(Some((n, Fault::Transient)), true);
        let result = op(&mut txn);
        let ctx = format!("{name}, I/O error at I/O {n}");
        let Err(e) = result else {
            assert_eq!(
                disk.faults_fired(),
                0,
                "{ctx}: a fault fired, the call succeeded"
            );
            break;
        };
        assert_eq!(disk.faults_fired(), 1, "{ctx}: failed without a fault: {e}");
        failures += 1;
        assert_poisoned(txn, e.kind(), &ctx);
        disk.arm(None, false);
        assert_same(&contents(&db), &before, &format!("{ctx}: the handle"));
        drop(db);
        assert_same(&reopened(&disk, &ctx), &before, &format!("{ctx}: the file"));
    }
    assert!(failures > 0, "{name}: no I/O to fail");
    failures
}

#[test]
fn a_delete_whose_overflow_index_read_fails_poisons_the_transaction() {
    for key in [b"big".to_vec(), vec![b'L'; 2000]] {
        every_failure_of("delete", |txn| {
            assert!(txn.delete(&key)?);
            Ok(())
        });
    }
}

#[test]
fn a_replace_whose_old_record_cannot_be_freed_poisons_the_transaction() {
    for key in [b"big".to_vec(), vec![b'L'; 2000]] {
        every_failure_of("replace with a small value", |txn| txn.put(&key, &[0x01]));
        every_failure_of("replace with a large value", |txn| {
            txn.put(&key, &cbor_bytes(30_000, 9))
        });
        every_failure_of("update", |txn| txn.update(&key, &[0x02]));
    }
}

#[test]
fn a_batch_failing_midway_poisons_the_transaction() {
    let mut batch = WriteBatch::new();
    batch
        .put(b"new", &cbor_bytes(12_000, 1))
        .delete(b"k3")
        .put(b"k4", &[0x04])
        .delete(b"big")
        .put(&[b'L'; 2000], &[0x05])
        .put(b"last", &cbor_bytes(10_000, 2));
    let failures = every_failure_of("write_batch", |txn| txn.write_batch(&batch));
    assert!(failures > 5, "only {failures} I/Os of the batch failed");
}

#[test]
fn a_poisoned_transaction_returns_the_original_error() {
    let (disk, db) = database_with(&pre_state());
    let mut txn = db.begin_write().unwrap();
    // Fail the first I/O of the delete: the read of the overflow index page
    // (the leaf is cached by the lookup) or of an index page; either way the
    // error is IO, and everything after it must say so.
    disk.arm(Some((1, Fault::Transient)), true);
    let e = txn.delete(b"big").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
    disk.arm(None, false);
    let later = txn.get(b"k1").unwrap_err();
    assert_eq!(later.kind(), ErrorKind::Io);
    assert!(later.message().contains(e.message()), "{later}");
    assert_eq!(txn.put(b"k1", &[0x01]).unwrap_err().kind(), ErrorKind::Io);
    assert_eq!(txn.commit().unwrap_err().kind(), ErrorKind::Io);
    // The database itself is not poisoned: the next transaction works.
    let mut txn = db.begin_write().unwrap();
    assert!(txn.delete(b"big").unwrap());
    txn.commit().unwrap();
    assert!(!db.contains(b"big").unwrap());
    db.check().unwrap();
}

#[test]
fn clean_refusals_do_not_poison() {
    let (_disk, db) = database_with(&pre_state());
    let mut txn = db.begin_write().unwrap();
    txn.put(b"k1", &[0x0a]).unwrap();
    let kinds = [
        txn.insert(b"big", &[0x01]).unwrap_err().kind(),
        txn.update(b"absent", &[0x01]).unwrap_err().kind(),
        txn.put(b"", &[0x01]).unwrap_err().kind(),
        txn.put(&[1; 5000], &[0x01]).unwrap_err().kind(),
        txn.put(b"k", &[0xff, 0xff]).unwrap_err().kind(),
        txn.delete(b"").unwrap_err().kind(),
        txn.write_batch(WriteBatch::new().put(b"k2", &[0x02]).put(b"bad", &[0x1f]))
            .unwrap_err()
            .kind(),
    ];
    for kind in kinds {
        assert!(kind.is_clean_refusal(), "{kind}");
    }
    assert!(!txn.delete(b"absent").unwrap());
    // The refused batch changed nothing, the earlier put stays.
    assert_eq!(
        txn.get(b"k2").unwrap(),
        pre_state().get(&b"k2"[..]).cloned()
    );
    txn.commit().unwrap();
    let mut want = pre_state();
    want.insert(b"k1".to_vec(), vec![0x0a]);
    assert_same(&contents(&db), &want, "the database");
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

fn random_key(rng: &mut StdRng) -> Vec<u8> {
    match rng.random_range(0..20) {
        0 => vec![b'L'; 1500 + rng.random_range(0..3usize) * 700], // in overflow
        _ => format!("key-{}", rng.random_range(0..60u32)).into_bytes(),
    }
}

fn random_value(rng: &mut StdRng) -> Vec<u8> {
    let len = if rng.random_bool(0.15) {
        rng.random_range(1500..12_000)
    } else {
        rng.random_range(0..100)
    };
    cbor_bytes(len, rng.random())
}

fn random_op(rng: &mut StdRng) -> Op {
    match rng.random_range(0..12) {
        0..=3 => Op::Put(random_key(rng), random_value(rng)),
        4 => Op::Insert(random_key(rng), random_value(rng)),
        5 => Op::Update(random_key(rng), random_value(rng)),
        6..=8 => Op::Delete(random_key(rng)),
        9 => Op::Get(random_key(rng)),
        _ => Op::Batch(
            (0..rng.random_range(1..8))
                .map(|_| {
                    let k = random_key(rng);
                    (k, rng.random_bool(0.7).then(|| random_value(rng)))
                })
                .collect(),
        ),
    }
}

/// Runs `op` on `txn` and on `model`; the model changes only if the
/// transaction accepts the operation.
fn run_op(txn: &mut WriteTxn, model: &mut Model, op: &Op) -> nookdb::Result<()> {
    match op {
        Op::Put(k, v) => txn.put(k, v).map(|()| {
            model.insert(k.clone(), v.clone());
        }),
        Op::Insert(k, v) => txn.insert(k, v).map(|()| {
            model.insert(k.clone(), v.clone());
        }),
        Op::Update(k, v) => txn.update(k, v).map(|()| {
            model.insert(k.clone(), v.clone());
        }),
        Op::Delete(k) => txn.delete(k).map(|existed| {
            assert_eq!(existed, model.remove(k).is_some(), "delete of {k:?}");
        }),
        Op::Get(k) => txn.get(k).map(|v| {
            assert_eq!(v.as_ref(), model.get(k), "get of {k:?}");
        }),
        Op::Batch(items) => {
            let mut batch = WriteBatch::new();
            for (k, v) in items {
                match v {
                    Some(v) => batch.put(k, v),
                    None => batch.delete(k),
                };
            }
            txn.write_batch(&batch).map(|()| {
                for (k, v) in items {
                    match v {
                        Some(v) => model.insert(k.clone(), v.clone()),
                        None => model.remove(k),
                    };
                }
            })
        }
    }
}

/// One transaction of `ops` on a database holding `before`, with a transient
/// I/O error at I/O `n`. Returns whether the fault fired.
fn sweep_run(before: &Model, ops: &[Op], n: u64, seed: u64) -> bool {
    let (disk, db) = database_with(before);
    let mut txn = db.begin_write().unwrap();
    disk.arm(Some((n, Fault::Transient)), true);
    let ctx = format!("seed {seed}, I/O error at I/O {n}");
    let mut after = before.clone();
    let mut poison: Option<nookdb::Error> = None;
    for (i, op) in ops.iter().enumerate() {
        let fired_before = disk.faults_fired();
        let result = run_op(&mut txn, &mut after, op);
        let fired = disk.faults_fired() > fired_before;
        match (&poison, result) {
            (None, Ok(())) => assert!(!fired, "{ctx}, op {i}: a fault fired, the call succeeded"),
            (None, Err(e)) if e.kind().is_clean_refusal() => {
                assert!(
                    !fired,
                    "{ctx}, op {i} {op:?}: a fault ended in a clean refusal: {e}"
                )
            }
            (None, Err(e)) => {
                assert!(fired, "{ctx}, op {i}: failed without a fault: {e}");
                poison = Some(e);
            }
            // Going on after the failure: every call repeats the original error.
            (Some(p), result) => {
                let e =
                    result.expect_err(&format!("{ctx}, op {i}: a poisoned transaction went on"));
                assert_eq!(e.kind(), p.kind(), "{ctx}, op {i}: {e}");
            }
        }
    }
    let fired_before_commit = disk.faults_fired();
    let committed = txn.commit();
    let fired = disk.faults_fired() > 0;
    let ctx = format!("{ctx}, commit");
    let allowed: Vec<&Model> = match (&poison, committed) {
        (Some(p), Ok(())) => panic!("{ctx}: a poisoned transaction was committed after {p}"),
        (Some(p), Err(e)) => {
            assert_eq!(e.kind(), p.kind(), "{ctx}: {e}");
            vec![before]
        }
        (None, Ok(())) => {
            assert_eq!(
                fired_before_commit,
                disk.faults_fired(),
                "{ctx}: a fault fired"
            );
            vec![&after]
        }
        // The commit itself failed: nothing of it is visible, but the disk
        // may hold either state.
        (None, Err(e)) => {
            assert!(fired, "{ctx}: failed without a fault: {e}");
            vec![before, &after]
        }
    };
    disk.arm(None, false);
    let seen = contents(&db);
    if !allowed.contains(&&seen) {
        assert_same(&seen, allowed[0], &format!("{ctx}: the handle"));
    }
    drop(db);
    let on_disk = reopened(&disk, &ctx);
    if !allowed.contains(&&on_disk) {
        assert_same(&on_disk, allowed[0], &format!("{ctx}: the file"));
    }
    fired
}

#[test]
fn io_error_sweep_inside_transactions() {
    let mut runs = 0;
    let seeds = support::scaled(16, 2);
    for seed in 300..300 + seeds {
        let mut rng = StdRng::seed_from_u64(seed);
        let before: Model = (0..rng.random_range(100..400))
            .map(|_| (random_key(&mut rng), random_value(&mut rng)))
            .collect();
        let ops: Vec<Op> = (0..rng.random_range(10..40))
            .map(|_| random_op(&mut rng))
            .collect();
        let mut n = 1;
        while sweep_run(&before, &ops, n, seed) {
            n += 1;
        }
        runs += n;
    }
    assert!(runs > 250 * seeds / 16, "only {runs} runs");
}

/// An auto-commit batch is all or none too: with an I/O error at I/O `n`,
/// for every n, it either succeeds or leaves the state before it (or, when
/// the commit itself failed after its meta page was written, the state after
/// it on disk).
#[test]
fn io_error_sweep_of_auto_commit_batches() {
    for seed in 400..404 {
        let mut rng = StdRng::seed_from_u64(seed);
        let before: Model = (0..rng.random_range(100..300))
            .map(|_| (random_key(&mut rng), random_value(&mut rng)))
            .collect();
        let mut batch = WriteBatch::new();
        let mut after = before.clone();
        for _ in 0..rng.random_range(5..30) {
            let k = random_key(&mut rng);
            if rng.random_bool(0.3) {
                batch.delete(&k);
                after.remove(&k);
            } else {
                let v = random_value(&mut rng);
                batch.put(&k, &v);
                after.insert(k, v);
            }
        }
        for n in 1.. {
            let (disk, db) = database_with(&before);
            disk.arm(Some((n, Fault::Transient)), true);
            let result = db.write_batch(&batch);
            let fired = disk.faults_fired() > 0;
            disk.arm(None, false);
            let ctx = format!("seed {seed}, I/O error at I/O {n}");
            let allowed: Vec<&Model> = match result {
                Ok(()) => {
                    assert!(!fired, "{ctx}: a fault fired, the batch succeeded");
                    vec![&after]
                }
                Err(e) => {
                    assert!(fired, "{ctx}: failed without a fault: {e}");
                    let seen = contents(&db);
                    assert_same(&seen, &before, &format!("{ctx}: the handle"));
                    vec![&before, &after]
                }
            };
            drop(db);
            let on_disk = reopened(&disk, &ctx);
            if !allowed.contains(&&on_disk) {
                assert_same(&on_disk, allowed[0], &format!("{ctx}: the file"));
            }
            if !fired {
                break;
            }
        }
    }
}
