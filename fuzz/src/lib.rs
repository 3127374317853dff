//! Shared parts of Nook's fuzz targets: the forging of checksum-valid pages
//! ([`forge`]); the fault-injecting simulated disk is the engine tests' own
//! ([`nook_testkit::SimDisk`]).

pub mod forge;

pub use nook_testkit::{Fault, SimDisk};

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
