//! The C ABI of Nook (being built; see spec/abi.md).
