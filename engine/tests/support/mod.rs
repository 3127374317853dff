//! The integration tests' test doubles live in the `nook-testkit` crate
//! (`testkit/`), shared with the fuzz targets.

pub use nook_testkit::*;
