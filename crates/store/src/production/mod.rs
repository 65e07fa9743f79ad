//! Production data: imports with their reports and quarantine, assignments, starts and stops,
//! claims and their lines, and the spend aggregates the views read.

mod client_money;
mod copy;
mod counts;
mod facts;
pub mod import;
pub mod quarantine;
pub mod spend;
pub(crate) mod tx;
pub mod views;

pub use import::{ImportCounts, ImportProgress, ImportRequest, ImportSession, ImportSource, PreparedImport};
pub use quarantine::ReprocessOutcome;
pub use spend::{ClientCell, ClientMoney, Dimension, SpendCell, SpendFilter};
pub use views::{AssignmentRow, ClaimLineRow, ClientRowFilter, ImportRow, ProblemRow};
