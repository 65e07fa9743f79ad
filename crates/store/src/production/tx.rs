//! One database transaction on either backend, with the writes the importer makes. Each
//! method is written once; the `on_tx!` macro instantiates it for both connection types.

use crate::{Result, Store};
use samenspel_istd::checks::{AssignmentFact, Facts};
use samenspel_istd::{Pseudonym, Standard};
use time::Date;

pub(crate) enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Runs `$body` with `$conn` bound to the transaction's connection of either backend.
macro_rules! on_tx {
    ($tx:expr, |$conn:ident| $body:expr) => {
        match $tx {
            $crate::production::tx::Tx::Sqlite(t) => {
                let $conn = &mut **t;
                $body
            }
            $crate::production::tx::Tx::Postgres(t) => {
                let $conn = &mut **t;
                $body
            }
        }
    };
}
pub(crate) use on_tx;

impl Store {
    pub(crate) async fn begin_tx(&self) -> Result<Tx> {
        Ok(match self {
            Store::Sqlite(pool) => Tx::Sqlite(pool.begin().await?),
            Store::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                // Recounting a year's distinct clients sorts all its client rows; with the
                // default 4 MB of sort memory that spilled to disk at every file of an import.
                sqlx::query("SET LOCAL work_mem = '64MB'").execute(&mut *tx).await?;
                Tx::Postgres(tx)
            }
        })
    }
}

type AssignmentTuple = (
    i64,
    String,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    Date,
    Option<Date>,
    Option<String>,
    Date,
    String,
);

impl Tx {
    pub(crate) async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    pub(crate) async fn rollback(self) -> Result<()> {
        match self {
            Tx::Sqlite(t) => t.rollback().await?,
            Tx::Postgres(t) => t.rollback().await?,
        }
        Ok(())
    }

    /// The assignments of one municipality under one law, into the facts.
    pub(crate) async fn load_assignments(
        &mut self,
        facts: &mut Facts,
        region_id: i64,
        standard: Standard,
        municipality: &str,
    ) -> Result<()> {
        let rows: Vec<AssignmentTuple> = on_tx!(self, |conn| sqlx::query_as(
            "SELECT number, client, provider_id, category, product_code, unit, starts_on, ends_on, change_reason, \
             assigned_on, assigned_at FROM assignments WHERE region_id = $1 AND law = $2 AND municipality_code = $3",
        )
        .bind(region_id)
        .bind(standard.law())
        .bind(format!("GM{municipality}"))
        .fetch_all(conn)
        .await)?;
        for (number, client, provider_id, category, code, unit, starts_on, ends_on, reason, assigned_on, assigned_at) in
            rows
        {
            // A version read earlier in this import may be newer than the stored one.
            facts.remember_assignment(
                standard,
                municipality,
                number,
                AssignmentFact {
                    client: Pseudonym(client),
                    provider_id,
                    category,
                    code,
                    unit,
                    starts_on,
                    ends_on,
                    deleted: reason.as_deref() == Some("13"),
                    version: (assigned_on, assigned_at),
                },
            );
        }
        Ok(())
    }
}
