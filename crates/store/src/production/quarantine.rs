//! Processing the quarantine again after a fix: the assignment arrived, the provider was
//! registered, the product was added to the catalogue. Each open record goes through the same
//! checks and writes as a fresh import, in one transaction; what passes counts for the import
//! it came from, what fails stays open with its current reasons.

use super::import::ImportState;
use crate::{insert_audit, now, on_pool, Actor, AuditEntry, Result, Store};
use samenspel_istd::checks::Context;
use samenspel_istd::{Header, Position, Record};
use std::collections::HashMap;
use time::Date;

/// What a re-processing achieved.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReprocessOutcome {
    /// Records tried.
    pub tried: i64,
    /// Records now imported (or found present already).
    pub resolved: i64,
    /// Records still in quarantine.
    pub still_open: i64,
}

/// Assignments before the lines that rest on them, debits before credits, claims before answers.
fn order(record: &Record) -> u8 {
    match record {
        Record::Assignment(_) => 0,
        Record::CareEvent(_) => 1,
        Record::ClaimLine(l) if l.amount_cents >= 0 => 2,
        Record::ClaimLine(_) => 3,
        Record::ClaimAnswer(_) => 4,
        Record::RejectedLine(_) => 5,
        Record::Header(_) | Record::Claim(_) => 6,
    }
}

struct Held {
    import_id: i64,
    offset: i64,
    line: Option<i64>,
    ctx: Context,
    record: Record,
}

impl Store {
    pub async fn open_quarantine(&self, region_id: i64) -> Result<i64> {
        on_pool!(self, |pool| Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM (SELECT DISTINCT import_id, byte_offset FROM import_problems \
             WHERE region_id = $1 AND status = 'open') AS held",
        )
        .bind(region_id)
        .fetch_one(pool)
        .await?))
    }

    /// Tries every open quarantined record of the region again.
    pub async fn reprocess_quarantine(&self, region_id: i64, today: Date, actor: &Actor) -> Result<ReprocessOutcome> {
        let _turn = self.import_turn().await;
        type Row = (i64, i64, Option<i64>, Option<String>, Option<String>);
        let rows: Vec<Row> = on_pool!(self, |pool| sqlx::query_as(
            "SELECT import_id, byte_offset, MIN(line), MIN(record_json), MIN(context_json) FROM import_problems \
             WHERE region_id = $1 AND status = 'open' GROUP BY import_id, byte_offset ORDER BY import_id, byte_offset",
        )
        .bind(region_id)
        .fetch_all(pool)
        .await)?;
        let mut held: Vec<Held> = rows
            .into_iter()
            .filter_map(|(import_id, offset, line, record, ctx)| {
                let record: Record = serde_json::from_str(record.as_deref()?).ok()?;
                let ctx: Context = serde_json::from_str(ctx.as_deref()?).ok()?;
                Some(Held { import_id, offset, line, ctx, record })
            })
            .collect();
        held.sort_by_key(|h| (order(&h.record), h.import_id, h.offset));

        let facts = self.load_facts(region_id, today, None).await?;
        let mut tx = self.begin_tx().await?;
        super::import::take_region_turn(&mut tx, region_id).await?;
        let run_at = now();
        let mut state = ImportState::new(region_id, 0, facts);
        let mut tried_per_import: HashMap<i64, i64> = HashMap::new();
        for h in &held {
            let claimed = super::tx::on_tx!(&mut tx, |conn| sqlx::query(
                "UPDATE import_problems SET status = 'verwerkt', resolved_at = $1 \
                 WHERE import_id = $2 AND byte_offset = $3 AND status = 'open'",
            )
            .bind(run_at)
            .bind(h.import_id)
            .bind(h.offset)
            .execute(&mut *conn)
            .await
            .map(|r| r.rows_affected()))?;
            // A run that had its turn before this one processed it already.
            if claimed == 0 {
                continue;
            }
            *tried_per_import.entry(h.import_id).or_default() += 1;
            state.import_id = h.import_id;
            let message_ctx = Context { claim: None, ..h.ctx.clone() };
            let header = Header {
                standard: message_ctx.standard,
                kind: message_ctx.kind,
                sender: message_ctx.municipality.clone(),
                receiver: message_ctx.provider_agb.clone(),
                message_id: String::new(),
                message_date: message_ctx.message_date,
            };
            let at = Position {
                offset: u64::try_from(h.offset).unwrap_or_default(),
                line: h.line.and_then(|l| u64::try_from(l).ok()),
            };
            state.take(&mut tx, Record::Header(header), at).await?;
            if let Some(claim) = &h.ctx.claim {
                state.take(&mut tx, Record::Claim(claim.clone()), at).await?;
            }
            state.take(&mut tx, h.record.clone(), at).await?;
            state.flush(&mut tx, false).await?;
        }
        state.flush(&mut tx, true).await?;
        // A record that failed again has new open rows; its old rows from this run go.
        let requarantined: Vec<(i64, i64)> = state.quarantined_keys.iter().copied().collect();
        for (import_id, offset) in &requarantined {
            super::tx::on_tx!(&mut tx, |conn| sqlx::query(
                "DELETE FROM import_problems WHERE import_id = $1 AND byte_offset = $2 AND status = 'verwerkt' \
                 AND resolved_at = $3",
            )
            .bind(import_id)
            .bind(offset)
            .bind(run_at)
            .execute(&mut *conn)
            .await
            .map(|_| ()))?;
        }
        state.write_problems(&mut tx).await?;
        state.write_rollups(&mut tx).await?;
        let mut still_per_import: HashMap<i64, i64> = HashMap::new();
        for (import_id, _) in &requarantined {
            *still_per_import.entry(*import_id).or_default() += 1;
        }
        for (import_id, tried) in &tried_per_import {
            let still = still_per_import.get(import_id).copied().unwrap_or(0);
            let accepted = state.accepted_per_import.get(import_id).copied().unwrap_or(0);
            super::tx::on_tx!(&mut tx, |conn| sqlx::query(
                "UPDATE imports SET accepted = accepted + $1, quarantined = quarantined - $2 WHERE id = $3",
            )
            .bind(accepted)
            .bind(tried - still)
            .bind(import_id)
            .execute(&mut *conn)
            .await
            .map(|_| ()))?;
        }
        let tried: i64 = tried_per_import.values().sum();
        let outcome = ReprocessOutcome {
            tried,
            resolved: tried - requarantined.len() as i64,
            still_open: requarantined.len() as i64,
        };
        let entry = AuditEntry::new("quarantaine herverwerken", "regio", region_id).region(region_id).after(&outcome);
        super::tx::on_tx!(&mut tx, |conn| insert_audit!(&mut *conn, actor, &entry))?;
        tx.commit().await?;
        Ok(outcome)
    }
}
