//! Test doubles shared by the engine's integration tests and the fuzz
//! targets: [`SimDisk`], a storage backend that can cut power (dropping,
//! keeping or tearing unsynced writes) or fail the n-th I/O, and that lists
//! the images a crash at that instant could leave; and [`self_command`], which
//! re-runs the current test binary through the target's runner.

mod bytes;
mod rerun;

pub use bytes::{cbor_bytes, get_u64, put_u64, reseal_header, reseal_page};
pub use rerun::{scaled, self_command, self_invocation};

use nookdb::StorageBackend;
use parking_lot::Mutex;
use std::io;
use std::sync::Arc;

/// How an injected fault behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Power is cut at this operation: it and everything after fails.
    PowerCut,
    /// This one operation fails with EIO; later ones succeed.
    Transient,
    /// This and every later operation fails with ENOSPC.
    DiskFull,
}

/// One counted operation, as the log records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IoOp {
    Read,
    Write { offset: u64 },
    SetLen,
    Sync,
}

#[derive(Default)]
struct State {
    /// Every counted operation since `arm`, in order (`log[n - 1]` is op n).
    log: Vec<IoOp>,
    durable: Vec<u8>,
    live: Vec<u8>,
    pending: Vec<(u64, Vec<u8>)>,
    /// Writes, syncs, set_lens and reads counted since `arm`.
    ops: u64,
    fault_at: Option<(u64, Fault)>,
    failing: Option<Fault>,
    faults_fired: u64,
    count_reads: bool,
}

/// A simulated disk: `live` is what reads see, `durable` what survives a power
/// cut, `pending` the writes since the last sync, in order.
#[derive(Clone, Default)]
pub struct SimDisk {
    state: Arc<Mutex<State>>,
}

impl SimDisk {
    pub fn new() -> SimDisk {
        SimDisk::default()
    }

    pub fn from_image(image: Vec<u8>) -> SimDisk {
        let disk = SimDisk::default();
        {
            let mut s = disk.state.lock();
            s.durable = image.clone();
            s.live = image;
        }
        disk
    }

    pub fn backend(&self) -> Box<dyn StorageBackend> {
        Box::new(self.clone())
    }

    /// Starts counting operations from zero and injects `fault` at operation
    /// `at` (1-based). Reads count only if `count_reads`.
    pub fn arm(&self, at: Option<(u64, Fault)>, count_reads: bool) {
        let mut s = self.state.lock();
        s.ops = 0;
        s.log.clear();
        s.fault_at = at;
        s.failing = None;
        s.faults_fired = 0;
        s.count_reads = count_reads;
    }

    pub fn ops(&self) -> u64 {
        self.state.lock().ops
    }

    /// The operations counted since `arm`.
    pub fn op_log(&self) -> Vec<IoOp> {
        self.state.lock().log.clone()
    }

    pub fn faults_fired(&self) -> u64 {
        self.state.lock().faults_fired
    }

    pub fn live_image(&self) -> Vec<u8> {
        self.state.lock().live.clone()
    }

    /// What survives a power cut now: the image as of the last sync.
    pub fn durable_image(&self) -> Vec<u8> {
        self.state.lock().durable.clone()
    }

    /// The images a power cut now could leave, per crash model:
    /// only synced data; synced data plus a random subset of unsynced writes;
    /// and that subset with some writes torn at 512-byte sectors.
    pub fn crash_images(&self, rng: &mut impl rand::Rng) -> Vec<Vec<u8>> {
        let s = self.state.lock();
        let mut images = vec![s.durable.clone()];
        for torn in [false, true] {
            let mut img = s.durable.clone();
            for (off, data) in &s.pending {
                if !rng.random_bool(0.5) {
                    continue;
                }
                let off = *off as usize;
                if img.len() < off + data.len() {
                    img.resize(off + data.len(), 0);
                }
                if torn && rng.random_bool(0.3) {
                    // Keep a random subset of the write's sectors.
                    for (i, chunk) in data.chunks(512).enumerate() {
                        if rng.random_bool(0.5) {
                            img[off + i * 512..off + i * 512 + chunk.len()].copy_from_slice(chunk);
                        }
                    }
                } else {
                    img[off..off + data.len()].copy_from_slice(data);
                }
            }
            images.push(img);
        }
        images
    }

    /// More images a power cut now could leave: synced data plus every
    /// unsynced write but one, and synced data plus that one write alone,
    /// for up to `max` of the unsynced writes (the last one, often a commit
    /// record, and a random choice of the others); and every unsynced write
    /// with the last one torn. The first family catches a commit record that
    /// reached the disk without a page it relies on, the last one a torn
    /// commit record.
    pub fn crash_images_one_apart(&self, max: usize, rng: &mut impl rand::Rng) -> Vec<Vec<u8>> {
        let s = self.state.lock();
        let apply = |img: &mut Vec<u8>, (off, data): &(u64, Vec<u8>)| {
            let off = *off as usize;
            if img.len() < off + data.len() {
                img.resize(off + data.len(), 0);
            }
            img[off..off + data.len()].copy_from_slice(data);
        };
        let n = s.pending.len();
        let mut chosen: Vec<usize> = (0..n).collect();
        if n > max {
            let last = n - 1;
            chosen = rand::seq::index::sample(rng, last, max - 1).into_vec();
            chosen.push(last);
        }
        let mut images = Vec::new();
        for skip in chosen {
            let mut all_but = s.durable.clone();
            let mut only = s.durable.clone();
            for (i, write) in s.pending.iter().enumerate() {
                if i == skip {
                    apply(&mut only, write);
                } else {
                    apply(&mut all_but, write);
                }
            }
            images.push(all_but);
            images.push(only);
        }
        // Every unsynced write, the last one torn inside its first sector (a
        // commit record cut short, the case a fallback slot exists for; a
        // tear at a sector boundary may leave a valid record when the rest of
        // the page is unchanged, as a short manifest's zeros are).
        if let Some((last, rest)) = s.pending.split_last() {
            if last.1.len() > 8 {
                let mut torn = s.durable.clone();
                rest.iter().for_each(|w| apply(&mut torn, w));
                apply(&mut torn, &(last.0, last.1[..8].to_vec()));
                images.push(torn);
            }
        }
        images
    }

    fn step(&self, s: &mut State, op: IoOp) -> io::Result<()> {
        if op == IoOp::Read && !s.count_reads {
            return match s.failing {
                Some(Fault::PowerCut) => Err(io::Error::other("simulated power cut")),
                _ => Ok(()),
            };
        }
        s.ops += 1;
        s.log.push(op);
        if let Some((at, fault)) = s.fault_at {
            if s.ops == at {
                s.failing = Some(fault);
            }
        }
        match s.failing {
            None => Ok(()),
            Some(fault) => {
                if fault == Fault::Transient {
                    s.failing = None;
                    s.fault_at = None;
                }
                s.faults_fired += 1;
                Err(match fault {
                    Fault::DiskFull => io::Error::from_raw_os_error(28),
                    Fault::PowerCut => io::Error::other("simulated power cut"),
                    Fault::Transient => io::Error::other("simulated I/O error"),
                })
            }
        }
    }
}

impl StorageBackend for SimDisk {
    fn len(&self) -> io::Result<u64> {
        Ok(self.state.lock().live.len() as u64)
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let mut s = self.state.lock();
        self.step(&mut s, IoOp::Read)?;
        let start = offset as usize;
        let end = start + buf.len();
        if end > s.live.len() {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        buf.copy_from_slice(&s.live[start..end]);
        Ok(())
    }

    fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        let mut s = self.state.lock();
        self.step(&mut s, IoOp::Write { offset })?;
        let start = offset as usize;
        if s.live.len() < start + data.len() {
            s.live.resize(start + data.len(), 0);
        }
        s.live[start..start + data.len()].copy_from_slice(data);
        s.pending.push((offset, data.to_vec()));
        Ok(())
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        let mut s = self.state.lock();
        self.step(&mut s, IoOp::SetLen)?;
        s.live.resize(len as usize, 0);
        Ok(())
    }

    fn sync_data(&self) -> io::Result<()> {
        let mut s = self.state.lock();
        self.step(&mut s, IoOp::Sync)?;
        s.durable = s.live.clone();
        s.pending.clear();
        Ok(())
    }
}
