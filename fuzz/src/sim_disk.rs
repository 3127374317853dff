//! A storage backend that can cut power (dropping, keeping or tearing
//! unsynced writes) or fail the n-th I/O: a copy of the engine tests' SimDisk
//! (`engine/tests/support/mod.rs`), with crash choices drawn from the fuzz
//! input instead of a random generator.

use nook::StorageBackend;
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

#[derive(Default)]
struct State {
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
        s.fault_at = at;
        s.failing = None;
        s.faults_fired = 0;
        s.count_reads = count_reads;
    }

    pub fn ops(&self) -> u64 {
        self.state.lock().ops
    }

    pub fn faults_fired(&self) -> u64 {
        self.state.lock().faults_fired
    }

    pub fn live_image(&self) -> Vec<u8> {
        self.state.lock().live.clone()
    }

    /// An image a power cut now could leave: the synced data, plus the
    /// unsynced writes `bits` keeps, some of them torn at 512-byte sectors.
    pub fn crash_image(&self, bits: &mut crate::Bits) -> Vec<u8> {
        let s = self.state.lock();
        let mut img = s.durable.clone();
        let mode = bits.draw() % 3; // 0: synced data only; 1: a subset; 2: a torn subset
        if mode == 0 {
            return img;
        }
        for (off, data) in &s.pending {
            if !bits.coin() {
                continue;
            }
            let off = *off as usize;
            if img.len() < off + data.len() {
                img.resize(off + data.len(), 0);
            }
            if mode == 2 && bits.draw().is_multiple_of(3) {
                for (i, chunk) in data.chunks(512).enumerate() {
                    if bits.coin() {
                        img[off + i * 512..off + i * 512 + chunk.len()].copy_from_slice(chunk);
                    }
                }
            } else {
                img[off..off + data.len()].copy_from_slice(data);
            }
        }
        img
    }

    fn step(&self, s: &mut State, is_read: bool) -> io::Result<()> {
        if is_read && !s.count_reads {
            return match s.failing {
                Some(Fault::PowerCut) => Err(io::Error::other("simulated power cut")),
                _ => Ok(()),
            };
        }
        s.ops += 1;
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
        self.step(&mut s, true)?;
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
        self.step(&mut s, false)?;
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
        self.step(&mut s, false)?;
        let old = s.live.len();
        s.live.resize(len as usize, 0);
        // An extension may reach the disk or not, like a write of zeros.
        if len as usize > old {
            s.pending.push((old as u64, vec![0; len as usize - old]));
        }
        Ok(())
    }

    fn sync_data(&self) -> io::Result<()> {
        let mut s = self.state.lock();
        self.step(&mut s, false)?;
        s.durable = s.live.clone();
        s.pending.clear();
        Ok(())
    }
}
