//! Calculations over domain facts, without I/O: what users argue about, computed exactly and
//! explained. Property-tested.

pub mod burden;
pub mod signals;
pub mod spend;
