//! One database transaction on either backend, with the writes the importer makes. Each
//! method is written once; the `on_tx!` macro instantiates it for both connection types.

use crate::{Result, Store, StoreError};
use samenspel_istd::checks::{AssignmentFact, Facts};
use samenspel_istd::{Pseudonym, Standard};
use time::Date;

pub(crate) enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(PgTx),
}

/// Runs `$body` with `$conn` bound to the transaction's connection of either backend (on
/// PostgreSQL after a `COPY` still running in the background has finished).
macro_rules! on_tx {
    ($tx:expr, |$conn:ident| $body:expr) => {
        match $tx {
            $crate::production::tx::Tx::Sqlite(t) => {
                let $conn = &mut **t;
                $body
            }
            $crate::production::tx::Tx::Postgres(t) => {
                let $conn = t.conn().await?;
                $body
            }
        }
    };
}
pub(crate) use on_tx;

type PgTransaction = sqlx::Transaction<'static, sqlx::Postgres>;

/// A PostgreSQL transaction that can be lent to a task sending a `COPY`, so the importer reads
/// and checks the next records while the server stores the previous ones. Every use of the
/// connection ([`PgTx::conn`]) first waits for that task and takes the transaction back, with
/// the `COPY`'s outcome.
pub(crate) struct PgTx(PgSlot);

enum PgSlot {
    Ready(PgTransaction),
    Copying(tokio::task::JoinHandle<(PgTransaction, Result<()>)>),
    /// The task that held the transaction failed; the transaction rolled back when it was dropped.
    Lost,
}

impl PgTx {
    /// The connection, once no `COPY` runs on it any more; the error of a `COPY` that failed.
    pub(crate) async fn conn(&mut self) -> Result<&mut sqlx::PgConnection> {
        if let PgSlot::Copying(task) = &mut self.0 {
            let joined = task.await;
            self.0 = PgSlot::Lost;
            let (tx, outcome) = joined
                .map_err(|e| StoreError::conflict("declaratieregel", format!("het wegschrijven is afgebroken: {e}")))?;
            self.0 = PgSlot::Ready(tx);
            outcome?;
        }
        match &mut self.0 {
            PgSlot::Ready(tx) => Ok(&mut **tx),
            _ => Err(lost()),
        }
    }

    /// Starts `COPY statement` with `data` in a task of its own and returns at once; the next
    /// use of the connection reports how it went.
    pub(crate) async fn copy_in_background(&mut self, statement: String, data: Vec<u8>) -> Result<()> {
        self.conn().await?;
        let PgSlot::Ready(mut tx) = std::mem::replace(&mut self.0, PgSlot::Lost) else {
            return Err(lost());
        };
        self.0 = PgSlot::Copying(tokio::spawn(async move {
            let outcome = async {
                let mut copy = tx.copy_in_raw(&statement).await?;
                if let Err(e) = copy.send(data).await {
                    copy.abort("verzenden mislukt").await.ok();
                    return Err(e.into());
                }
                copy.finish().await?;
                Ok(())
            }
            .await;
            (tx, outcome)
        }));
        Ok(())
    }

    async fn into_transaction(mut self) -> Result<PgTransaction> {
        self.conn().await?;
        match self.0 {
            PgSlot::Ready(tx) => Ok(tx),
            _ => Err(lost()),
        }
    }
}

fn lost() -> StoreError {
    StoreError::conflict("declaratieregel", "het wegschrijven is eerder afgebroken; er is niets opgeslagen")
}

impl Store {
    pub(crate) async fn begin_tx(&self) -> Result<Tx> {
        Ok(match self {
            // The import reads before it writes: a deferred transaction would fail at its first
            // write when another import wrote in between, instead of waiting for the lock.
            Store::Sqlite(pool) => Tx::Sqlite(crate::WritePool::begin_write(pool).await?),
            // Distinct clients are counted from the packed money per client in Rust, so the
            // import sorts nothing large on the server (it once set 64 MB of sort memory here).
            Store::Postgres(pool) => Tx::Postgres(PgTx(PgSlot::Ready(pool.begin().await?))),
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
            Tx::Postgres(t) => t.into_transaction().await?.commit().await?,
        }
        Ok(())
    }

    pub(crate) async fn rollback(self) -> Result<()> {
        match self {
            Tx::Sqlite(t) => t.rollback().await?,
            // A failed COPY already aborted the transaction; rolling back ends it. A transaction
            // lost with its task was rolled back as it was dropped.
            Tx::Postgres(mut t) => {
                let _ = t.conn().await;
                if let PgSlot::Ready(tx) = t.0 {
                    tx.rollback().await?;
                }
            }
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
