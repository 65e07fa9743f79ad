//! Calculations over domain facts, without I/O: what users argue about, computed exactly and
//! explained. Property-tested.

pub mod allocation;
pub mod burden;
pub mod exchange;
pub mod health;
pub mod risk_sharing;
pub mod shapley;
pub mod signals;
pub mod simulation;
pub mod spend;
pub mod survey;
pub mod voice;
pub mod voting;
