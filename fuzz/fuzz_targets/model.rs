//! A stateful target: a sequence of operations (put, insert, update, delete,
//! batches, transactions committed or rolled back, reopen, check, sync, and
//! in relaxed mode the one-second timer on a manual clock),
//! each possibly cut short by a power cut at a chosen I/O, run against a
//! BTreeMap model. After every acknowledged commit the database equals the
//! model; after a crash the reopened database is one of the states that may
//! survive, and `check` passes.
//!
//! Run: `cargo +nightly fuzz run model` from the repository root (see
//! fuzz/README.md).
#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use nook_fuzz::{cbor_bytes, Fault, SimDisk};
use nookdb::{Database, Durability, ErrorKind, ManualClock, Options, WriteBatch};
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

/// The durability modes the scenarios run in (the input picks one). A commit
/// that returned is the only state a crash may leave in immediate mode; in
/// relaxed mode, any state committed since the last durable point (a sync, a
/// clean close, or the first commit after the timer ran out).
const DURABILITIES: &[Durability] = &[Durability::Immediate, Durability::Relaxed];

#[derive(Arbitrary, Debug)]
struct Key(u8);

impl Key {
    /// 40 short keys, and a few long ones that go to overflow records.
    fn bytes(&self) -> Vec<u8> {
        let n = self.0 % 44;
        if n < 40 {
            format!("k{n}").into_bytes()
        } else {
            vec![b'L' + n - 40; 1500 + n as usize]
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Value {
    size: u8,
    fill: u8,
}

impl Value {
    /// Inline values of several sizes, and overflow records of one and of
    /// several pages.
    fn bytes(&self) -> Vec<u8> {
        let len = match self.size % 8 {
            0..=3 => self.size as usize % 24,
            4 | 5 => 100 + self.size as usize,
            6 => 1500,
            _ => 9000,
        };
        cbor_bytes(len, self.fill)
    }
}

#[derive(Arbitrary, Debug)]
enum Write {
    Put(Key, Value),
    Insert(Key, Value),
    Update(Key, Value),
    Delete(Key),
    Batch(Vec<(Key, Option<Value>)>),
}

#[derive(Arbitrary, Debug)]
enum Op {
    /// One write, committed on its own.
    Auto(Write),
    /// Writes in one transaction, then commit or rollback.
    Txn {
        writes: Vec<Write>,
        commit: bool,
    },
    Reopen,
    // No compact: on a custom backend it moves the database into memory
    // (`Database::compact`, the `path() == None` case), so the simulated
    // disk would stop seeing writes.
    Check,
    Sync,
    /// Relaxed durability's interval passes: the next commit is durable.
    Tick,
}

#[derive(Arbitrary, Debug)]
struct Step {
    op: Op,
    /// Cut the power at this write, sync or resize of the step (1-based), or
    /// after the step if it does fewer; then reopen what the disk kept.
    power_cut: Option<u8>,
}

#[derive(Arbitrary, Debug)]
struct Scenario {
    durability: u8,
    crash_seed: u64,
    steps: Vec<Step>,
}

fn batch_of(records: &[(Key, Option<Value>)]) -> WriteBatch {
    let mut batch = WriteBatch::new();
    for (key, value) in records.iter().take(16) {
        match value {
            Some(v) => batch.put(&key.bytes(), &v.bytes()),
            None => batch.delete(&key.bytes()),
        };
    }
    batch
}

/// Applies `write` to `model` as the engine must: `Ok` when it applies,
/// `Err(kind)` for a clean refusal (which changes nothing).
fn expected(model: &mut Model, write: &Write) -> Result<(), ErrorKind> {
    match write {
        Write::Put(k, v) => {
            model.insert(k.bytes(), v.bytes());
        }
        Write::Insert(k, v) => {
            if model.contains_key(&k.bytes()) {
                return Err(ErrorKind::AlreadyExists);
            }
            model.insert(k.bytes(), v.bytes());
        }
        Write::Update(k, v) => {
            if !model.contains_key(&k.bytes()) {
                return Err(ErrorKind::NotFound);
            }
            model.insert(k.bytes(), v.bytes());
        }
        Write::Delete(k) => {
            model.remove(&k.bytes());
        }
        Write::Batch(records) => {
            for (k, v) in records.iter().take(16) {
                match v {
                    Some(v) => model.insert(k.bytes(), v.bytes()),
                    None => model.remove(&k.bytes()),
                };
            }
        }
    }
    Ok(())
}

fn contents(db: &Database) -> nookdb::Result<Model> {
    let model: Model = db.iter()?.collect::<nookdb::Result<_>>()?;
    assert_eq!(model.len() as u64, db.len(), "len() disagrees with a scan");
    Ok(model)
}

struct Run {
    disk: SimDisk,
    db: Option<Database>,
    options: Options,
    durability: Durability,
    clock: ManualClock,
    /// The interval has passed since the last durable point.
    timer_due: bool,
    /// The acknowledged state.
    model: Model,
    /// The states a crash may leave: every state committed since the last
    /// durable point (just `model` in immediate mode).
    survivors: Vec<Model>,
}

impl Run {
    fn db(&self) -> &Database {
        self.db.as_ref().expect("the database is open")
    }

    fn open(&mut self) {
        let db = Database::open_backend(self.disk.backend(), &self.options)
            .unwrap_or_else(|e| panic!("reopening after a clean close or a crash: {e}"));
        self.db = Some(db);
        self.timer_due = false; // the interval starts at open
    }

    fn txid(&self) -> u64 {
        self.db().begin_read().map_or(0, |r| r.txid())
    }

    /// A call that may commit `state` returned Ok; `txid_before` says
    /// whether it really committed (a write that changes nothing does not).
    fn committed(&mut self, state: Model, txid_before: u64) {
        let made_a_commit = self.txid() != txid_before;
        if self.durability == Durability::Immediate || (made_a_commit && self.timer_due) {
            self.survivors.clear();
            self.timer_due = false;
        }
        self.survivors.push(state.clone());
        self.model = state;
    }

    /// Everything committed so far is durable.
    fn durable_point(&mut self) {
        self.survivors = vec![self.model.clone()];
    }

    /// Runs `op`; returns the state it meant to commit if it may have
    /// committed without saying so (it failed after starting to write).
    fn run(&mut self, op: &Op, faulty: bool) -> Option<Model> {
        let db = self.db().clone();
        let txid_before = self.txid();
        // An I/O error is acceptable only once the power is cut.
        let io_failed = |e: &nookdb::Error| {
            assert!(faulty, "an operation failed with no fault injected: {e}");
        };
        match op {
            Op::Auto(write) => {
                let mut intended = self.model.clone();
                let refusal = expected(&mut intended, write);
                let result = match write {
                    Write::Put(k, v) => db.put(&k.bytes(), &v.bytes()),
                    Write::Insert(k, v) => db.insert(&k.bytes(), &v.bytes()),
                    Write::Update(k, v) => db.update(&k.bytes(), &v.bytes()),
                    Write::Delete(k) => db.delete(&k.bytes()).map(|_| ()),
                    Write::Batch(records) => db.write_batch(&batch_of(records)),
                };
                match (result, refusal) {
                    (Ok(()), Ok(())) => self.committed(intended, txid_before),
                    (Err(e), Err(kind)) if e.kind() == kind => {}
                    (Err(e), _) => {
                        io_failed(&e);
                        return Some(intended);
                    }
                    (Ok(()), Err(kind)) => panic!("{write:?} succeeded; expected {kind:?}"),
                }
            }
            Op::Txn { writes, commit } => {
                let mut txn = match db.begin_write() {
                    Ok(t) => t,
                    Err(e) => {
                        io_failed(&e);
                        return None;
                    }
                };
                let mut intended = self.model.clone();
                for write in writes.iter().take(32) {
                    let refusal = expected(&mut intended, write);
                    let result = match write {
                        Write::Put(k, v) => txn.put(&k.bytes(), &v.bytes()),
                        Write::Insert(k, v) => txn.insert(&k.bytes(), &v.bytes()),
                        Write::Update(k, v) => txn.update(&k.bytes(), &v.bytes()),
                        Write::Delete(k) => txn.delete(&k.bytes()).map(|_| ()),
                        Write::Batch(records) => txn.write_batch(&batch_of(records)),
                    };
                    match (result, refusal) {
                        (Ok(()), Ok(())) => {}
                        (Err(e), Err(kind)) if e.kind() == kind => {}
                        (Err(e), _) => {
                            // The power is cut: nothing more reaches the disk.
                            io_failed(&e);
                            return None;
                        }
                        (Ok(()), Err(kind)) => panic!("{write:?} succeeded; expected {kind:?}"),
                    }
                }
                if !*commit {
                    txn.rollback();
                    return None;
                }
                match txn.commit() {
                    Ok(()) => self.committed(intended, txid_before),
                    Err(e) => {
                        io_failed(&e);
                        return Some(intended);
                    }
                }
            }
            Op::Reopen => {
                drop(db);
                self.db = None;
                // Open writes too (it erases a slot a crash left behind), so
                // the power may be cut here as well.
                match Database::open_backend(self.disk.backend(), &self.options) {
                    Ok(db) => {
                        // The close made every commit durable.
                        self.db = Some(db);
                        self.timer_due = false;
                        self.durable_point();
                    }
                    Err(e) => io_failed(&e),
                }
            }
            Op::Check => {
                if let Err(e) = db.check() {
                    io_failed(&e);
                }
            }
            Op::Sync => {
                let ios = self.disk.ops();
                match db.sync() {
                    Ok(()) => self.durable_point(),
                    Err(e) => io_failed(&e),
                }
                // A sync that wrote restarted the interval.
                if self.disk.ops() != ios {
                    self.timer_due = false;
                }
            }
            Op::Tick => {
                self.clock.advance(std::time::Duration::from_millis(1100));
                self.timer_due = true;
            }
        }
        None
    }
}

fuzz_target!(|scenario: Scenario| {
    let durability = DURABILITIES[scenario.durability as usize % DURABILITIES.len()];
    let clock = ManualClock::new();
    let options = Options::new()
        .durability(durability)
        .cache_size(64 << 10)
        .manual_clock(clock.clone());
    let mut run = Run {
        disk: SimDisk::new(),
        db: None,
        options: options.clone(),
        durability,
        clock,
        timer_due: false,
        model: Model::new(),
        survivors: vec![Model::new()],
    };
    run.open();
    run.options = options.create(false);
    let mut crash_choices = rand::rngs::StdRng::seed_from_u64(scenario.crash_seed);
    for step in scenario.steps.iter().take(48) {
        let cut = step.power_cut.map(|n| (n as u64 % 64) + 1);
        run.disk.arm(cut.map(|n| (n, Fault::PowerCut)), false);
        let in_doubt = run.run(&step.op, cut.is_some());
        if cut.is_none() {
            let state = contents(run.db()).expect("a read with no fault injected");
            assert_eq!(state, run.model, "after {:?}", step.op);
            continue;
        }
        // The power is cut (during the step, or right after it): reopen
        // what the disk kept.
        run.db = None;
        // One of the images the crash could leave, chosen by the input.
        let mut images = run.disk.crash_images(&mut crash_choices);
        images.extend(run.disk.crash_images_one_apart(2, &mut crash_choices));
        let image = images.swap_remove(crash_choices.random_range(0..images.len()));
        run.disk = SimDisk::from_image(image);
        run.open();
        let db = run.db();
        let state = contents(db).unwrap_or_else(|e| panic!("reading after a crash: {e}"));
        db.check()
            .unwrap_or_else(|e| panic!("check after a crash in {:?}: {e}", step.op));
        let acceptable = run.survivors.contains(&state) || in_doubt.as_ref() == Some(&state);
        assert!(
            acceptable,
            "after a crash in {:?}: a state that was never committed ({} keys; the model has {})",
            step.op,
            state.len(),
            run.model.len()
        );
        run.model = state.clone();
        run.survivors = vec![state];
    }
});
