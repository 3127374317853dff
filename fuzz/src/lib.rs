//! Shared parts of Nook's fuzz targets: a fault-injecting simulated disk
//! ([`SimDisk`]) and the forging of checksum-valid pages ([`forge`]).

pub mod forge;
pub mod sim_disk;

pub use sim_disk::SimDisk;

/// A small deterministic bit source (xorshift64*), seeded from the fuzz
/// input, for the choices a crash makes (which unsynced writes survive).
pub struct Bits(u64);

impl Bits {
    pub fn new(seed: u64) -> Bits {
        Bits(seed | 1)
    }

    pub fn draw(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// True with probability 1/2.
    pub fn coin(&mut self) -> bool {
        self.draw() >> 63 == 1
    }
}

/// A CBOR byte string of `len` bytes of `fill`: a valid value of any size.
pub fn cbor_bytes(len: usize, fill: u8) -> Vec<u8> {
    let mut v = Vec::with_capacity(len + 5);
    match len {
        0..=23 => v.push(0x40 | len as u8),
        24..=0xff => v.extend([0x58, len as u8]),
        0x100..=0xffff => {
            v.push(0x59);
            v.extend((len as u16).to_be_bytes());
        }
        _ => {
            v.push(0x5a);
            v.extend((len as u32).to_be_bytes());
        }
    }
    v.resize(v.len() + len, fill);
    v
}
