//! The national message standards for youth care (iJw) and social support (iWmo), release 3.2,
//! as far as Samenspel reads them: assignments (301), start and stop of care (305, 307), claims
//! (323) and claim answers (325), bare or in the municipal GGK/StUF envelope; and Samenspel's
//! CSV format for the same facts.
//!
//! Readers stream over `io::BufRead` in constant memory and hand each record to a callback as
//! soon as it is complete, already pseudonymised: the BSN never leaves this crate in clear.
//! Each record is checked against the rules of the standard that need no database (the rule
//! codes of the iStandaarden: CS002, CS003, CS337, CS340, TR346, TR358, …); rules across
//! messages (a claim needs an assignment, a tariff must match the contract) are the importer's.

pub mod bsn;
pub mod checks;
pub mod csv_format;
pub mod envelope;
pub mod generator;
pub mod model;
pub mod rules;
pub mod sniff;
pub mod xml;

pub use bsn::{check_bsn, Pseudonym, Pseudonymiser};
pub use generator::{
    generate, generate_to_dir, world, write_large_claim, Care, Offer, Plan, PlanMunicipality, PlanTariff, Summary,
    World,
};
pub use model::*;
