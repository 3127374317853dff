//! Crash simulation and I/O-error sweeps through a fault-injecting backend.
//!
//! For seeded workloads (splits, merges, overflow records, frees, both
//! durability modes, relaxed mode's timed durable points on a manual clock,
//! syncs, closes and reopens) the power is cut at every write and every fsync;
//! the images a crash could leave (only synced data; plus a random subset of
//! unsynced writes; plus torn sectors; plus every unsynced write but one, and
//! each one alone) must open, pass `check` with no leaked page, and hold
//! exactly a state the durability mode allows: for immediate durability the
//! last acknowledged commit or the one in flight, for relaxed durability any
//! commit from the last durable point on. A coverage check makes sure every
//! way a commit becomes durable was cut at least once. The I/O-error sweep
//! fails the n-th I/O (reads included) for every n: a call errors iff a fault
//! was injected, and the state afterwards is the state before or after that
//! call.

mod support;

use nookdb::{Database, Durability, ErrorKind, ManualClock, Options};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use support::{cbor_bytes, Fault, IoOp, SimDisk};

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
    /// Relaxed durability's interval passes: the next commit is durable.
    Tick,
    /// Close the database (relaxed commits become durable) and open it again.
    Reopen,
}

fn workload(seed: u64, steps: usize) -> Vec<Step> {
    let mut rng = StdRng::seed_from_u64(seed);
    let op = |rng: &mut StdRng, large: f64| {
        let key = format!("key-{}", rng.random_range(0..80u32)).into_bytes();
        if rng.random_bool(0.25) {
            Op::Delete(key)
        } else {
            let len = if rng.random_bool(large) {
                rng.random_range(1500..9000)
            } else {
                rng.random_range(0..120)
            };
            Op::Put(key, cbor_bytes(len, rng.random()))
        }
    };
    (0..steps)
        .map(|_| match rng.random_range(0..14) {
            0..=5 => {
                let n = rng.random_range(1..25);
                Step::Txn((0..n).map(|_| op(&mut rng, 0.08)).collect())
            }
            6..=8 => Step::Auto(op(&mut rng, 0.08)),
            9 => Step::Sync,
            10 | 11 => Step::Tick,
            12 => Step::Reopen,
            _ => Step::Auto(op(&mut rng, 0.08)),
        })
        .collect()
}

/// A short workload around one commit too large for a manifest (two
/// fsyncs), made durable by the timer in relaxed mode, and one made durable
/// by a sync.
fn large_commit_workload() -> Vec<Step> {
    let large = |round: u8| {
        Step::Txn(
            (0..22u32)
                .map(|i| Op::Put(format!("big-{i}").into_bytes(), cbor_bytes(48_000, round)))
                .collect(),
        )
    };
    vec![
        Step::Auto(Op::Put(b"small".to_vec(), cbor_bytes(10, 1))),
        Step::Tick,
        large(1),
        large(2),
        Step::Sync,
        Step::Auto(Op::Delete(b"small".to_vec())),
    ]
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

/// Runs one write step on `db`, applying it to `model` too (the model says
/// what the state is if the step succeeds).
fn execute(db: &Database, step: &Step, model: &mut Model) -> nookdb::Result<()> {
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
        Step::Tick | Step::Reopen => Ok(()),
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

/// One database on one simulated disk, as a workload drives it.
struct Run {
    disk: SimDisk,
    opts: Options,
    clock: ManualClock,
}

impl Run {
    /// A new database on a new disk, and the disk's run.
    fn new(durability: Durability) -> (Run, Database) {
        let clock = ManualClock::new();
        let run = Run {
            disk: SimDisk::new(),
            opts: options(durability).manual_clock(clock.clone()),
            clock,
        };
        let db = run.open().expect("creating the database");
        (run, db)
    }

    fn open(&self) -> nookdb::Result<Database> {
        Database::open_backend(self.disk.backend(), &self.opts)
    }

    /// Runs `steps`, stopping at the first failure. `spans` receives, for
    /// each step started, the I/O count when it started.
    fn run(&self, db: Database, steps: &[Step], spans: &mut Vec<u64>) -> Outcome {
        let relaxed = self.opts.durability == Durability::Relaxed;
        let mut db = Some(db);
        let mut history = vec![Model::new()];
        let mut floor = 0;
        let mut timer_due = false;
        let stop = |history, floor, in_flight| Outcome {
            history,
            floor,
            in_flight,
        };
        for step in steps {
            spans.push(self.disk.ops());
            let last = history.len() - 1;
            let handle = db.as_ref().unwrap();
            match step {
                Step::Tick => {
                    self.clock.advance(Duration::from_millis(1100));
                    timer_due = true;
                }
                Step::Sync => {
                    let ios = self.disk.ops();
                    match handle.sync() {
                        Ok(()) => floor = last,
                        Err(_) => return stop(history, floor, None),
                    }
                    // A sync that wrote restarted relaxed mode's interval.
                    if self.disk.ops() != ios {
                        timer_due = false;
                    }
                }
                Step::Reopen => {
                    drop(db.take()); // a failed close shows in the open that follows
                    timer_due = false; // the interval starts at open
                    match self.open() {
                        Ok(reopened) => {
                            assert_eq!(contents(&reopened), history[last], "state after reopen");
                            db = Some(reopened);
                            floor = last;
                        }
                        Err(_) => return stop(history, floor, None),
                    }
                }
                Step::Txn(_) | Step::Auto(_) => {
                    let txid_before = handle.begin_read().unwrap().txid();
                    let mut next = history[last].clone();
                    if execute(handle, step, &mut next).is_err() {
                        return stop(history, floor, Some(next));
                    }
                    history.push(next);
                    let committed = handle.begin_read().unwrap().txid() != txid_before;
                    if committed && (!relaxed || timer_due) {
                        floor = history.len() - 1;
                        timer_due = false;
                    }
                }
            }
        }
        stop(history, floor, None)
    }
}

fn contents(db: &Database) -> Model {
    db.iter().unwrap().map(|r| r.unwrap()).collect()
}

/// How a step that writes made its commit durable, for the coverage check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum DurablePath {
    /// Meta page written with a manifest, one fsync.
    SingleFsync,
    /// Pages fsynced, then the meta page, then a second fsync.
    TwoFsync,
    /// A relaxed commit made durable because the interval had passed.
    RelaxedTimer,
    Sync,
    Close,
}

/// The durable path of `step`, given the I/Os it made in an uncut run.
fn durable_path(step: &Step, ios: &[IoOp], relaxed_timer: bool) -> Option<DurablePath> {
    let is_meta =
        |op: &IoOp| matches!(op, IoOp::Write { offset } if *offset == 4096 || *offset == 8192);
    let meta_at = ios.iter().position(is_meta)?;
    Some(match step {
        Step::Sync => DurablePath::Sync,
        Step::Reopen => DurablePath::Close,
        _ if relaxed_timer => DurablePath::RelaxedTimer,
        _ if ios[..meta_at].contains(&IoOp::Sync) => DurablePath::TwoFsync,
        _ => DurablePath::SingleFsync,
    })
}

/// Cuts the power at every I/O of `work`, checks every crash image, and
/// returns the number of images checked and the durable paths that were cut.
fn crash_sweep(seed: u64, work: &[Step], durability: Durability) -> (usize, BTreeSet<DurablePath>) {
    // An uncut run: which I/Os each step makes, and how it became durable.
    let (total, paths) = {
        let (run, db) = Run::new(durability);
        run.disk.arm(None, false);
        let mut spans = Vec::new();
        let outcome = run.run(db, work, &mut spans);
        assert!(outcome.in_flight.is_none());
        let log = run.disk.op_log();
        spans.push(log.len() as u64);
        let mut timer_due = false;
        let mut paths = Vec::new();
        for (i, step) in work.iter().enumerate() {
            let ios = &log[spans[i] as usize..spans[i + 1] as usize];
            let timed = durability == Durability::Relaxed && timer_due;
            let path = durable_path(step, ios, timed);
            match step {
                Step::Tick => timer_due = true,
                Step::Reopen => timer_due = false,
                _ if path.is_some() => timer_due = false,
                _ => {}
            }
            for _ in ios {
                paths.push(path);
            }
        }
        (log.len() as u64, paths)
    };
    let mut cut_paths = BTreeSet::new();
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed);
    let mut images_checked = 0;
    for cut in 1..=total {
        let (run, db) = Run::new(durability);
        run.disk.arm(Some((cut, Fault::PowerCut)), false);
        let outcome = run.run(db, work, &mut Vec::new());
        cut_paths.extend(paths[cut as usize - 1]);
        let mut images = run.disk.crash_images(&mut rng);
        images.extend(run.disk.crash_images_one_apart(3, &mut rng));
        for (model_no, image) in images.into_iter().enumerate() {
            let ctx = format!("seed {seed} {durability:?}, power cut at I/O {cut}/{total} ({:?}), crash image {model_no}", paths[cut as usize - 1]);
            let reopened = Database::open_backend(SimDisk::from_image(image).backend(), &run.opts)
                .unwrap_or_else(|e| panic!("{ctx}: reopen failed: {e}"));
            let report = reopened
                .check()
                .unwrap_or_else(|e| panic!("{ctx}: check failed: {e}"));
            assert_eq!(report.leaked_pages, 0, "{ctx}: leaked pages");
            let got = contents(&reopened);
            assert_eq!(
                got.len() as u64,
                reopened.len(),
                "{ctx}: count and index disagree"
            );
            let acceptable = outcome.history[outcome.floor..]
                .iter()
                .chain(outcome.in_flight.iter());
            let matches = acceptable.into_iter().any(|m| *m == got);
            assert!(
                matches,
                "{ctx}: recovered {} keys, which is no state the mode allows (last acknowledged has {}, last durable {})",
                got.len(),
                outcome.history.last().unwrap().len(),
                outcome.history[outcome.floor].len(),
            );
            images_checked += 1;
        }
    }
    (images_checked, cut_paths)
}

#[test]
fn power_cut_at_every_write_and_fsync_immediate() {
    let (mut images, mut paths) =
        crash_sweep(1000, &large_commit_workload(), Durability::Immediate);
    for seed in 0..support::scaled(6, 1) {
        let (n, p) = crash_sweep(seed, &workload(seed, 24), Durability::Immediate);
        images += n;
        paths.extend(p);
    }
    assert!(images > 1000, "only {images} crash images were checked");
    for path in [DurablePath::SingleFsync, DurablePath::TwoFsync] {
        assert!(
            paths.contains(&path),
            "no power cut fell in a {path:?} commit"
        );
    }
}

#[test]
fn power_cut_at_every_write_and_fsync_relaxed() {
    let (_, mut paths) = crash_sweep(1001, &large_commit_workload(), Durability::Relaxed);
    for seed in 100..100 + support::scaled(6, 1) {
        paths.extend(crash_sweep(seed, &workload(seed, 30), Durability::Relaxed).1);
    }
    for path in [
        DurablePath::RelaxedTimer,
        DurablePath::Sync,
        DurablePath::Close,
    ] {
        assert!(
            paths.contains(&path),
            "no power cut fell in a {path:?} durable point"
        );
    }
}

/// Runs `work` step by step with fault `kind` at I/O number `n` (reads
/// included); each call must fail iff a fault fired during it; afterwards the
/// state must be the one before or after the failed call.
fn io_error_run(work: &[Step], n: u64, kind: Fault) -> bool {
    let disk = SimDisk::new();
    let db = Database::open_backend(disk.backend(), &options(Durability::Immediate)).unwrap();
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
    for seed in 200..200 + support::scaled(3, 1) {
        let work: Vec<Step> = workload(seed, 24)
            .into_iter()
            .filter(|s| !matches!(s, Step::Tick | Step::Reopen))
            .collect();
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

/// The reviewer's scenario for relaxed durability: commit 1 is made durable
/// by the timer, commit 2 is not and reuses pages commit 1 freed, and commit 3
/// is made durable by the timer again. A crash inside commit 3 must return
/// commit 1 or commit 3, never the state before commit 1 (the old rule wrote
/// commits 1 and 3 into the same slot, so the fallback was commit 0, whose
/// pages commit 2 had overwritten), and never a file whose count disagrees
/// with its index.
#[test]
fn relaxed_timed_durable_points_never_fall_back_past_the_last_durable_commit() {
    let clock = nookdb::ManualClock::new();
    let opts = options(Durability::Relaxed).manual_clock(clock.clone());
    let tick = || clock.advance(std::time::Duration::from_millis(1100));
    let value = |n: u8| cbor_bytes(40, n);
    // Enough keys that commit 1 frees pages (a leaf per key group).
    let keys: Vec<Vec<u8>> = (0..40u32).map(|i| format!("k{i}").into_bytes()).collect();
    let setup = |db: &Database| {
        tick();
        let mut t = db.begin_write().unwrap();
        for k in &keys {
            t.put(k, &value(1)).unwrap();
        }
        t.commit().unwrap(); // commit 1: durable (timer)
        let mut t = db.begin_write().unwrap();
        for k in &keys {
            t.put(k, &value(2)).unwrap();
        }
        t.commit().unwrap(); // commit 2: not durable
        tick();
    };
    let state = |n: u8| -> Model { keys.iter().map(|k| (k.clone(), value(n))).collect() };
    let total = {
        let disk = SimDisk::new();
        let db = Database::open_backend(disk.backend(), &opts).unwrap();
        setup(&db);
        disk.arm(None, false);
        db.put(b"c", &value(3)).unwrap(); // commit 3: durable (timer)
        disk.ops()
    };
    assert!(total >= 2, "commit 3 made {total} I/Os");
    let mut after = state(2);
    after.insert(b"c".to_vec(), value(3));
    let mut images = 0;
    let mut rng = StdRng::seed_from_u64(7);
    for cut in 1..=total {
        let disk = SimDisk::new();
        let db = Database::open_backend(disk.backend(), &opts).unwrap();
        setup(&db);
        disk.arm(Some((cut, Fault::PowerCut)), false);
        assert!(db.put(b"c", &value(3)).is_err());
        drop(db);
        let mut crash_images = vec![disk.crash_images(&mut rng)[0].clone()];
        crash_images.extend(disk.crash_images_one_apart(usize::MAX, &mut rng));
        for (n, image) in crash_images.into_iter().enumerate() {
            let ctx = format!("power cut at I/O {cut}/{total} of commit 3, image {n}");
            let reopened = Database::open_backend(SimDisk::from_image(image).backend(), &opts)
                .unwrap_or_else(|e| panic!("{ctx}: reopen failed: {e}"));
            reopened
                .check()
                .unwrap_or_else(|e| panic!("{ctx}: check failed: {e}"));
            let got = contents(&reopened);
            assert_eq!(
                got.len() as u64,
                reopened.len(),
                "{ctx}: count and index disagree"
            );
            assert!(
                got == state(1) || got == after,
                "{ctx}: recovered {} keys, neither commit 1 nor commit 3",
                got.len()
            );
            images += 1;
        }
    }
    assert!(images > 4);
}
