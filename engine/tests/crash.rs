//! Crash simulation and I/O-error sweeps through a fault-injecting backend.
//!
//! For seeded workloads (splits, merges, overflow records, frees, both
//! durability modes) the power is cut at every write and every fsync; the
//! images a crash could leave (only synced data; plus a random subset of
//! unsynced writes; plus torn sectors) must open, pass `check` with no leaked
//! page, and hold exactly the state after the last acknowledged commit or the
//! one in flight. The I/O-error sweep fails the n-th I/O (reads included) for
//! every n: a call errors iff a fault was injected, and the state afterwards is
//! the state before or after that call.

mod support;

use nook::{Database, Durability, ErrorKind, Options};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use support::{Fault, SimDisk};

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

#[derive(Clone, Debug)]
enum Op {
    Put(Vec<u8>, Vec<u8>),
    Delete(Vec<u8>),
}

#[derive(Clone, Debug)]
enum Step {
    Txn(Vec<Op>),
    Auto(Op),
    Sync,
}

fn cbor_bytes(len: usize, fill: u8) -> Vec<u8> {
    let mut v = Vec::new();
    ciborium::into_writer(&ciborium::Value::Bytes(vec![fill; len]), &mut v).unwrap();
    v
}

fn workload(seed: u64, steps: usize) -> Vec<Step> {
    let mut rng = StdRng::seed_from_u64(seed);
    let op = |rng: &mut StdRng| {
        let key = format!("key-{}", rng.random_range(0..80u32)).into_bytes();
        if rng.random_bool(0.25) {
            Op::Delete(key)
        } else {
            let len = if rng.random_bool(0.08) {
                rng.random_range(1500..9000)
            } else {
                rng.random_range(0..120)
            };
            Op::Put(key, cbor_bytes(len, rng.random()))
        }
    };
    (0..steps)
        .map(|_| match rng.random_range(0..10) {
            0..=5 => {
                let n = rng.random_range(1..25);
                Step::Txn((0..n).map(|_| op(&mut rng)).collect())
            }
            6..=8 => Step::Auto(op(&mut rng)),
            _ => Step::Sync,
        })
        .collect()
}

fn apply(model: &mut Model, op: &Op) {
    match op {
        Op::Put(k, v) => {
            model.insert(k.clone(), v.clone());
        }
        Op::Delete(k) => {
            model.remove(k);
        }
    }
}

/// Runs one step on `db`, applying it to `model` too (the model says what the
/// state is if the step succeeds).
fn execute(db: &Database, step: &Step, model: &mut Model) -> nook::Result<()> {
    match step {
        Step::Txn(ops) => {
            let mut txn = db.begin_write()?;
            for op in ops {
                apply(model, op);
                match op {
                    Op::Put(k, v) => txn.put(k, v)?,
                    Op::Delete(k) => {
                        txn.delete(k)?;
                    }
                }
            }
            txn.commit()
        }
        Step::Auto(op) => {
            apply(model, op);
            match op {
                Op::Put(k, v) => db.put(k, v),
                Op::Delete(k) => db.delete(k).map(|_| ()),
            }
        }
        Step::Sync => db.sync(),
    }
}

fn options(durability: Durability) -> Options {
    // A tiny cache so that reads go to the backend too.
    Options::new().cache_size(64 << 10).durability(durability)
}

/// What a run acknowledged: the model after each acknowledged commit, the
/// index from which the disk may hold any of them, and the commit in flight.
struct Outcome {
    history: Vec<Model>,
    floor: usize,
    in_flight: Option<Model>,
}

fn run(db: &Database, steps: &[Step], durability: Durability) -> Outcome {
    let mut history = vec![Model::new()];
    let mut floor = 0;
    for step in steps {
        let mut next = history.last().unwrap().clone();
        let result = match step {
            Step::Txn(_) | Step::Auto(_) => execute(db, step, &mut next),
            Step::Sync => match db.sync() {
                Ok(()) => {
                    floor = history.len() - 1;
                    continue;
                }
                Err(_) => {
                    return Outcome {
                        history,
                        floor,
                        in_flight: None,
                    }
                }
            },
        };
        match result {
            Ok(()) => {
                history.push(next);
                if durability == Durability::Immediate {
                    floor = history.len() - 1;
                }
            }
            Err(_) => {
                return Outcome {
                    history,
                    floor,
                    in_flight: Some(next),
                }
            }
        }
    }
    Outcome {
        history,
        floor,
        in_flight: None,
    }
}

fn contents(db: &Database) -> Model {
    db.iter().unwrap().map(|r| r.unwrap()).collect()
}

fn fresh(durability: Durability) -> (SimDisk, Database) {
    let disk = SimDisk::new();
    let db = Database::open_backend(disk.backend(), &options(durability)).unwrap();
    (disk, db)
}

fn crash_sweep(seed: u64, steps: usize, durability: Durability) -> usize {
    let work = workload(seed, steps);
    let total = {
        let (disk, db) = fresh(durability);
        disk.arm(None, false);
        let outcome = run(&db, &work, durability);
        assert!(outcome.in_flight.is_none());
        disk.ops()
    };
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed);
    let mut images_checked = 0;
    for cut in 1..=total {
        let (disk, db) = fresh(durability);
        disk.arm(Some((cut, Fault::PowerCut)), false);
        let outcome = run(&db, &work, durability);
        drop(db);
        for (model_no, image) in disk.crash_images(&mut rng).into_iter().enumerate() {
            let ctx = format!("seed {seed} {durability:?}, power cut at I/O {cut}/{total}, crash model {model_no}");
            let reopened =
                Database::open_backend(SimDisk::from_image(image).backend(), &options(durability))
                    .unwrap_or_else(|e| panic!("{ctx}: reopen failed: {e}"));
            let report = reopened
                .check()
                .unwrap_or_else(|e| panic!("{ctx}: check failed: {e}"));
            assert_eq!(report.leaked_pages, 0, "{ctx}: leaked pages");
            let got = contents(&reopened);
            let acceptable = outcome.history[outcome.floor..]
                .iter()
                .chain(outcome.in_flight.iter());
            let matches = acceptable.into_iter().any(|m| *m == got);
            assert!(
                matches,
                "{ctx}: recovered {} keys, which is no acknowledged state (last acknowledged has {})",
                got.len(),
                outcome.history.last().unwrap().len()
            );
            images_checked += 1;
        }
    }
    images_checked
}

#[test]
fn power_cut_at_every_write_and_fsync_immediate() {
    let mut images = 0;
    for seed in 0..6 {
        images += crash_sweep(seed, 24, Durability::Immediate);
    }
    assert!(images > 1000, "only {images} crash images were checked");
}

#[test]
fn power_cut_at_every_write_and_fsync_relaxed() {
    for seed in 100..104 {
        crash_sweep(seed, 24, Durability::Relaxed);
    }
}

/// Runs `work` step by step with fault `kind` at I/O number `n` (reads
/// included); each call must fail iff a fault fired during it; afterwards the
/// state must be the one before or after the failed call.
fn io_error_run(work: &[Step], n: u64, kind: Fault) -> bool {
    let (disk, db) = fresh(Durability::Immediate);
    disk.arm(Some((n, kind)), true);
    let mut model = Model::new();
    for step in work {
        let before = model.clone();
        let fired_before = disk.faults_fired();
        let mut after = model.clone();
        let result = execute(&db, step, &mut after);
        let fired = disk.faults_fired() > fired_before;
        let ctx = format!("fault {kind:?} at I/O {n}, step {step:?}");
        match result {
            Ok(()) => {
                assert!(!fired, "{ctx}: a fault fired but the call succeeded");
                model = after;
            }
            Err(e) => {
                assert!(fired, "{ctx}: the call failed without a fault: {e}");
                if kind == Fault::DiskFull {
                    assert_eq!(e.kind(), ErrorKind::DiskFull, "{ctx}");
                }
                // The handle still reads a consistent state...
                disk.arm(None, false);
                let seen = contents(&db);
                assert!(
                    seen == before || seen == after,
                    "{ctx}: the handle shows neither state"
                );
                // ...and so does the file, reopened.
                drop(db);
                let reopened = Database::open_backend(
                    SimDisk::from_image(disk.live_image()).backend(),
                    &options(Durability::Immediate),
                )
                .unwrap();
                reopened
                    .check()
                    .unwrap_or_else(|e| panic!("{ctx}: check after the error: {e}"));
                let on_disk = contents(&reopened);
                assert!(
                    on_disk == before || on_disk == after,
                    "{ctx}: the file holds neither state"
                );
                return true;
            }
        }
    }
    false
}

#[test]
fn io_error_sweep_every_operation() {
    for seed in 200..203 {
        let work = workload(seed, 14);
        let mut n = 1;
        // Until a run completes without reaching the n-th I/O.
        while io_error_run(&work, n, Fault::Transient) {
            n += 1;
        }
        assert!(n > 50, "the workload made only {n} I/Os");
        for n in (1..n).step_by(7) {
            io_error_run(&work, n, Fault::DiskFull);
        }
    }
}
