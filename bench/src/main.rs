//! Nook, LMDB (through heed) and redb on the same workloads, in one run, with
//! ratios. Run: `cargo run --release --manifest-path bench/Cargo.toml [N]`
//! (N pairs, default 1,000,000). The figures are in docs/benchmarks.md.
//!
//! Workloads (after redb's benchmark): bulk load of N pairs (24-byte keys,
//! 150-byte values) in one transaction; 1,000 individual durable commits of
//! one pair; 100 durable commits of 1,000 pairs; N random reads on 1 and 2
//! threads; random reads on one thread while a writer commits 100-pair
//! transactions; removal of half the keys in one transaction; the file size.
//! Each read workload runs three times per engine, the engines taking turns,
//! and reports the median.
//!
//! `unsafe` is denied except in `open_all`, for the one call heed marks
//! unsafe (opening an LMDB environment, whose memory map must not be changed
//! behind its back); its `// SAFETY:` comment says why that holds here.

#![deny(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const KEY_LEN: usize = 24;
const VALUE_LEN: usize = 150;

/// What every engine must do; each call is one transaction.
trait Engine: Sync {
    fn name(&self) -> &'static str;
    fn write(&self, pairs: &[(Vec<u8>, Vec<u8>)]);
    fn remove(&self, keys: &[Vec<u8>]);
    /// Looks up every key; returns how many were found.
    fn read(&self, keys: &[[u8; KEY_LEN]]) -> usize;
    fn file_size(&self) -> u64;
}

/// A 150-byte value that is one CBOR byte string (2-byte head + 148 bytes),
/// so every engine stores exactly the same bytes.
fn value(rng: &mut impl Rng) -> Vec<u8> {
    let mut v = vec![0x58, (VALUE_LEN - 2) as u8];
    v.extend((0..VALUE_LEN - 2).map(|_| rng.random::<u8>()));
    v
}

fn key(rng: &mut impl Rng) -> Vec<u8> {
    (0..KEY_LEN).map(|_| rng.random::<u8>()).collect()
}

fn dir_size(path: &Path) -> u64 {
    std::fs::read_dir(path)
        .map(|d| {
            d.filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

struct Nook(nookdb::Database, std::path::PathBuf);

impl Engine for Nook {
    fn name(&self) -> &'static str {
        "nook"
    }
    fn write(&self, pairs: &[(Vec<u8>, Vec<u8>)]) {
        if let [(k, v)] = pairs {
            return self.0.put(k, v).unwrap();
        }
        let mut t = self.0.begin_write().unwrap();
        for (k, v) in pairs {
            t.put(k, v).unwrap();
        }
        t.commit().unwrap();
    }
    fn remove(&self, keys: &[Vec<u8>]) {
        let mut t = self.0.begin_write().unwrap();
        for k in keys {
            t.delete(k).unwrap();
        }
        t.commit().unwrap();
    }
    fn read(&self, keys: &[[u8; KEY_LEN]]) -> usize {
        let r = self.0.begin_read().unwrap();
        keys.iter()
            .filter(|k| {
                r.get_with(&k[..], |v| v.map(|v| v.len()))
                    .unwrap()
                    .is_some()
            })
            .count()
    }
    fn file_size(&self) -> u64 {
        std::fs::metadata(&self.1).unwrap().len()
    }
}

struct Lmdb(
    heed::Env,
    heed::Database<heed::types::Bytes, heed::types::Bytes>,
    std::path::PathBuf,
);

impl Engine for Lmdb {
    fn name(&self) -> &'static str {
        "lmdb"
    }
    fn write(&self, pairs: &[(Vec<u8>, Vec<u8>)]) {
        let mut t = self.0.write_txn().unwrap();
        for (k, v) in pairs {
            self.1.put(&mut t, k, v).unwrap();
        }
        t.commit().unwrap();
    }
    fn remove(&self, keys: &[Vec<u8>]) {
        let mut t = self.0.write_txn().unwrap();
        for k in keys {
            self.1.delete(&mut t, k).unwrap();
        }
        t.commit().unwrap();
    }
    fn read(&self, keys: &[[u8; KEY_LEN]]) -> usize {
        let t = self.0.read_txn().unwrap();
        keys.iter()
            .filter(|k| self.1.get(&t, &k[..]).unwrap().map(|v| v.len()).is_some())
            .count()
    }
    fn file_size(&self) -> u64 {
        dir_size(&self.2)
    }
}

const REDB_TABLE: redb::TableDefinition<&[u8], &[u8]> = redb::TableDefinition::new("bench");

struct Redb(redb::Database, std::path::PathBuf);

impl Engine for Redb {
    fn name(&self) -> &'static str {
        "redb"
    }
    fn write(&self, pairs: &[(Vec<u8>, Vec<u8>)]) {
        let t = self.0.begin_write().unwrap();
        {
            let mut table = t.open_table(REDB_TABLE).unwrap();
            for (k, v) in pairs {
                table.insert(k.as_slice(), v.as_slice()).unwrap();
            }
        }
        t.commit().unwrap();
    }
    fn remove(&self, keys: &[Vec<u8>]) {
        let t = self.0.begin_write().unwrap();
        {
            let mut table = t.open_table(REDB_TABLE).unwrap();
            for k in keys {
                table.remove(k.as_slice()).unwrap();
            }
        }
        t.commit().unwrap();
    }
    fn read(&self, keys: &[[u8; KEY_LEN]]) -> usize {
        let t = self.0.begin_read().unwrap();
        let table = t.open_table(REDB_TABLE).unwrap();
        keys.iter()
            .filter(|k| {
                table
                    .get(&k[..])
                    .unwrap()
                    .map(|v| v.value().len())
                    .is_some()
            })
            .count()
    }
    fn file_size(&self) -> u64 {
        std::fs::metadata(&self.1).unwrap().len()
    }
}

const CACHE: usize = 1 << 30;

#[allow(unsafe_code)]
fn open_all(dir: &Path) -> Vec<Box<dyn Engine>> {
    let nook_path = dir.join("bench.nook");
    let nook =
        nookdb::Database::open_with(&nook_path, &nookdb::Options::new().cache_size(CACHE)).unwrap();
    let lmdb_dir = dir.join("lmdb");
    std::fs::create_dir_all(&lmdb_dir).unwrap();
    // SAFETY: heed requires that the environment's files are not opened
    // twice in this process nor changed by anything else while mapped: the
    // directory was just created in this run's temporary directory and is
    // opened once, here.
    let env = unsafe {
        heed::EnvOpenOptions::new()
            .map_size(8 << 30)
            .open(&lmdb_dir)
            .unwrap()
    };
    let mut t = env.write_txn().unwrap();
    let db = env.create_database(&mut t, None).unwrap();
    t.commit().unwrap();
    let redb_path = dir.join("bench.redb");
    let redb = redb::Builder::new()
        .set_cache_size(CACHE)
        .create(&redb_path)
        .unwrap();
    let all: Vec<Box<dyn Engine>> = vec![
        Box::new(Nook(nook, nook_path)),
        Box::new(Lmdb(env, db, lmdb_dir)),
        Box::new(Redb(redb, redb_path)),
    ];
    // NOOK_BENCH_ONLY=nook runs one engine (for profiling; ratios need all three).
    match std::env::var("NOOK_BENCH_ONLY") {
        Ok(only) => all.into_iter().filter(|e| e.name() == only).collect(),
        Err(_) => all,
    }
}

struct Table {
    rows: Vec<(String, Vec<f64>, &'static str)>,
}

impl Table {
    fn add(&mut self, name: &str, figures: Vec<f64>, unit: &'static str) {
        let cells: Vec<String> = figures.iter().map(|f| format!("{f:.0}")).collect();
        eprintln!("{name}: {} {unit}", cells.join(" / "));
        self.rows.push((name.to_string(), figures, unit));
    }

    fn print(&self, names: &[&str]) {
        println!(
            "| workload | {} | nook vs lmdb | nook vs redb |",
            names.join(" | ")
        );
        println!("|---|{}---|---|", "---|".repeat(names.len()));
        for (name, f, unit) in &self.rows {
            let cells: Vec<String> = f.iter().map(|x| format!("{x:.0} {unit}")).collect();
            // Lower is better for times and sizes, higher for throughput.
            let ratio = |other: f64| {
                if *unit == "ops/s" {
                    f[0] / other
                } else {
                    other / f[0]
                }
            };
            match f.len() {
                3 => println!(
                    "| {name} | {} | {:.2}× | {:.2}× |",
                    cells.join(" | "),
                    ratio(f[1]),
                    ratio(f[2])
                ),
                _ => println!("| {name} | {} |", cells.join(" | ")),
            }
        }
        println!("\nRatios above 1 mean Nook is better (faster, or smaller).");
    }
}

/// Rounds of each read workload: reads are measured this many times per
/// engine, the engines taking turns, and the median is reported (this VM's
/// memory latency drifts by tens of percent over a minute).
const READ_ROUNDS: usize = 3;

fn median_of_rounds(engines: &[Box<dyn Engine>], f: impl Fn(&dyn Engine) -> f64) -> Vec<f64> {
    let mut samples = vec![Vec::new(); engines.len()];
    for _ in 0..READ_ROUNDS {
        for (e, s) in engines.iter().zip(&mut samples) {
            s.push(f(&**e));
        }
    }
    samples
        .into_iter()
        .map(|mut s| {
            s.sort_by(f64::total_cmp);
            s[s.len() / 2]
        })
        .collect()
}

fn time(f: impl FnOnce()) -> f64 {
    let start = Instant::now();
    f();
    start.elapsed().as_secs_f64() * 1000.0
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let base = std::env::var("NOOK_BENCH_DIR").unwrap_or_else(|_| ".".into());
    let dir = tempfile::tempdir_in(base).unwrap();
    let engines = open_all(dir.path());
    let names: Vec<&str> = engines.iter().map(|e| e.name()).collect();
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let pairs: Vec<(Vec<u8>, Vec<u8>)> = (0..n).map(|_| (key(&mut rng), value(&mut rng))).collect();
    let mut table = Table { rows: Vec::new() };

    table.add(
        &format!("bulk load of {n} pairs (ms)"),
        engines.iter().map(|e| time(|| e.write(&pairs))).collect(),
        "ms",
    );

    let singles: Vec<_> = (0..1000)
        .map(|_| (key(&mut rng), value(&mut rng)))
        .collect();
    table.add(
        "1,000 individual durable commits (ms)",
        engines
            .iter()
            .map(|e| {
                time(|| {
                    singles
                        .iter()
                        .for_each(|p| e.write(std::slice::from_ref(p)))
                })
            })
            .collect(),
        "ms",
    );

    let batches: Vec<Vec<_>> = (0..100)
        .map(|_| {
            (0..1000)
                .map(|_| (key(&mut rng), value(&mut rng)))
                .collect()
        })
        .collect();
    table.add(
        "100 × 1,000-pair durable commits (ms)",
        engines
            .iter()
            .map(|e| time(|| batches.iter().for_each(|b| e.write(b))))
            .collect(),
        "ms",
    );

    // Keys to look up sit in one array, as keys an application computes
    // would: the harness should not add a cache miss per read of its own.
    let mut lookups: Vec<[u8; KEY_LEN]> = pairs
        .iter()
        .map(|(k, _)| k.as_slice().try_into().unwrap())
        .collect();
    lookups.shuffle(&mut rng);
    for e in &engines {
        assert_eq!(e.read(&lookups[..10_000]), 10_000, "{} lost keys", e.name());
        // and warm up
    }
    for threads in [1usize, 2] {
        let figures = median_of_rounds(&engines, |e| {
            let start = Instant::now();
            std::thread::scope(|s| {
                for t in 0..threads {
                    let part = &lookups[t * n / threads..(t + 1) * n / threads];
                    s.spawn(move || assert_eq!(e.read(part), part.len()));
                }
            });
            n as f64 / start.elapsed().as_secs_f64()
        });
        table.add(
            &format!("{n} random reads, {threads} thread(s) (ops/s)"),
            figures,
            "ops/s",
        );
    }

    let writes = batches[0][..100].to_vec();
    let figures = median_of_rounds(&engines, |e| {
        let stop = AtomicBool::new(false);
        let reads = AtomicU64::new(0);
        std::thread::scope(|s| {
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    e.write(&writes);
                }
            });
            s.spawn(|| {
                for chunk in lookups.chunks(10_000).cycle() {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    e.read(chunk);
                    reads.fetch_add(chunk.len() as u64, Ordering::Relaxed);
                }
            });
            std::thread::sleep(Duration::from_secs(2));
            stop.store(true, Ordering::Relaxed);
        });
        reads.load(Ordering::Relaxed) as f64 / 2.0
    });
    table.add(
        "random reads while a writer commits (ops/s)",
        figures,
        "ops/s",
    );

    let half: Vec<Vec<u8>> = pairs[..n / 2].iter().map(|(k, _)| k.clone()).collect();
    table.add(
        "removal of half the keys (ms)",
        engines.iter().map(|e| time(|| e.remove(&half))).collect(),
        "ms",
    );
    table.add(
        "file size after all of the above (MiB)",
        engines
            .iter()
            .map(|e| e.file_size() as f64 / 1048576.0)
            .collect(),
        "MiB",
    );

    println!();
    table.print(&names);
}
