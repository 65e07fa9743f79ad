//! The vocabulary of Samenspel and the rules that hold for it, independent of storage and
//! transport. Everything here is pure: no I/O, no async, no database types, so it can be
//! tested directly and reused by the calculation, storage and web layers.

pub mod access;
pub mod account;
pub mod accountability;
pub mod charter;
pub mod codes;
pub mod exchange;
pub mod figures;
pub mod governance;
pub mod instrument;
pub mod money;
pub mod nl;
pub mod norm;
pub mod procurement;
pub mod proposal;
pub mod region;
pub mod risk_sharing;
pub mod validation;

pub use codes::{AgbCode, KvkNumber, MunicipalityCode, RegionCode, YouthRegionCode};
pub use money::Cents;
pub use validation::{FieldError, Invalid};
