//! Shared parts of Nook's fuzz targets: the forging of checksum-valid pages
//! ([`forge`]); the fault-injecting simulated disk is the engine tests' own
//! ([`nook_testkit::SimDisk`]).

pub mod forge;

pub use nook_testkit::{cbor_bytes, Fault, SimDisk};
