//! The audit log: who changed what, when, from where, with what result, and the object
//! before and after. Written in the same transaction as the change it records.

use crate::{on_pool, PageRequest, Paged, Result, Store};
use serde::Serialize;
use time::OffsetDateTime;

/// Who is making a change and through which door.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub login: String,
    /// `web 192.0.2.1`, `api 192.0.2.1`, `cli`, `systeem`.
    pub origin: String,
}

impl Actor {
    pub fn cli() -> Actor {
        Actor { user_id: None, login: "cli".into(), origin: "cli".into() }
    }

    pub fn system() -> Actor {
        Actor { user_id: None, login: "systeem".into(), origin: "systeem".into() }
    }

    pub fn user(user_id: i64, login: &str, origin: String) -> Actor {
        Actor { user_id: Some(user_id), login: login.to_string(), origin }
    }
}

/// One change to record.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub region_id: Option<i64>,
    pub action: &'static str,
    pub object_type: &'static str,
    pub object_id: String,
    pub succeeded: bool,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl AuditEntry {
    pub fn new(action: &'static str, object_type: &'static str, object_id: impl ToString) -> Self {
        AuditEntry {
            region_id: None,
            action,
            object_type,
            object_id: object_id.to_string(),
            succeeded: true,
            before: None,
            after: None,
        }
    }

    pub fn region(mut self, region_id: i64) -> Self {
        self.region_id = Some(region_id);
        self
    }

    pub fn before(mut self, value: &impl Serialize) -> Self {
        self.before = serde_json::to_string(value).ok();
        self
    }

    pub fn after(mut self, value: &impl Serialize) -> Self {
        self.after = serde_json::to_string(value).ok();
        self
    }

    pub fn failed(mut self) -> Self {
        self.succeeded = false;
        self
    }
}

/// Appends an audit entry inside a transaction of either backend (`&mut *tx`), chained to the
/// entry before it.
#[macro_export]
macro_rules! insert_audit {
    ($conn:expr, $actor:expr, $entry:expr) => {{
        let (actor, entry): (&$crate::Actor, &$crate::AuditEntry) = ($actor, $entry);
        $crate::audit::AppendAudit::append_audit($conn, actor, entry).await
    }};
}

/// The hash before the first entry of the chain.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields of an entry that its hash covers, as stored.
#[derive(Debug, Clone, Copy)]
pub struct ChainedFields<'a> {
    pub at: OffsetDateTime,
    pub actor_user_id: Option<i64>,
    pub actor_login: &'a str,
    pub origin: &'a str,
    pub region_id: Option<i64>,
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: &'a str,
    pub result: &'a str,
    pub before_json: Option<&'a str>,
    pub after_json: Option<&'a str>,
}

/// SHA-256 over the previous hash and the entry's fields, as lowercase hex. The fields are
/// serialised as one JSON array, so no field can run into the next.
pub fn entry_hash(prev_hash: &str, fields: &ChainedFields<'_>) -> String {
    use sha2::{Digest, Sha256};
    let at = fields
        .at
        .to_offset(time::UtcOffset::UTC)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let canonical = serde_json::json!([
        prev_hash,
        at,
        fields.actor_user_id,
        fields.actor_login,
        fields.origin,
        fields.region_id,
        fields.action,
        fields.object_type,
        fields.object_id,
        fields.result,
        fields.before_json,
        fields.after_json,
    ]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

/// Appending to the chain: read the newest hash and insert after it, with nobody else
/// appending in between. On PostgreSQL a transaction-scoped advisory lock serialises the
/// appenders until commit; SQLite has one writer at a time, and a transaction that has not
/// written yet fails rather than forks when another wrote first (callers that only log begin
/// with `BEGIN IMMEDIATE`).
pub trait AppendAudit {
    fn append_audit(
        &mut self,
        actor: &Actor,
        entry: &AuditEntry,
    ) -> impl std::future::Future<Output = std::result::Result<(), sqlx::Error>> + Send;
}

/// Any number that other advisory locks in this database do not use.
const AUDIT_CHAIN_LOCK: i64 = 0x5a_4d_45_4e_53_50_45_4c;

macro_rules! impl_append_audit {
    ($connection:ty, $lock:expr) => {
        impl AppendAudit for $connection {
            async fn append_audit(
                &mut self,
                actor: &Actor,
                entry: &AuditEntry,
            ) -> std::result::Result<(), sqlx::Error> {
                if let Some(lock) = $lock {
                    sqlx::query(lock).bind(AUDIT_CHAIN_LOCK).execute(&mut *self).await?;
                }
                let prev: Option<Option<String>> =
                    sqlx::query_scalar("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")
                        .fetch_optional(&mut *self)
                        .await?;
                let prev = prev.flatten().unwrap_or_else(|| GENESIS_HASH.to_string());
                let at = crate::now();
                let result = if entry.succeeded { "gelukt" } else { "mislukt" };
                let hash = entry_hash(
                    &prev,
                    &ChainedFields {
                        at,
                        actor_user_id: actor.user_id,
                        actor_login: &actor.login,
                        origin: &actor.origin,
                        region_id: entry.region_id,
                        action: entry.action,
                        object_type: entry.object_type,
                        object_id: &entry.object_id,
                        result,
                        before_json: entry.before.as_deref(),
                        after_json: entry.after.as_deref(),
                    },
                );
                sqlx::query(
                    "INSERT INTO audit_log (at, actor_user_id, actor_login, origin, region_id, action, \
                     object_type, object_id, result, before_json, after_json, prev_hash, hash) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                )
                .bind(at)
                .bind(actor.user_id)
                .bind(&actor.login)
                .bind(&actor.origin)
                .bind(entry.region_id)
                .bind(entry.action)
                .bind(entry.object_type)
                .bind(&entry.object_id)
                .bind(result)
                .bind(&entry.before)
                .bind(&entry.after)
                .bind(&prev)
                .bind(&hash)
                .execute(&mut *self)
                .await?;
                Ok(())
            }
        }
    };
}

impl_append_audit!(sqlx::SqliteConnection, None::<&str>);
impl_append_audit!(sqlx::PgConnection, Some("SELECT pg_advisory_xact_lock($1)"));

/// What `samenspel audit verify` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainReport {
    /// Entries whose hash and link checked out.
    pub verified: u64,
    /// Entries from before the chain existed (no hash), at the start of the log.
    pub unchained: u64,
    /// The hash of the newest entry: keep it elsewhere (in the minutes, say) to detect later
    /// that entries were removed from the end.
    pub head: Option<String>,
    /// Each break, with the entry id and what is wrong, in Dutch.
    pub breaks: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct ChainRow {
    id: i64,
    at: OffsetDateTime,
    actor_user_id: Option<i64>,
    actor_login: String,
    origin: String,
    region_id: Option<i64>,
    action: String,
    object_type: String,
    object_id: String,
    result: String,
    before_json: Option<String>,
    after_json: Option<String>,
    prev_hash: Option<String>,
    hash: Option<String>,
}

/// Checks one entry after `previous` (the hash of the entry before, if chained). Entries up to
/// `last_unchained` predate the chain and may lack a hash.
fn check_link(row: &ChainRow, previous: Option<&str>, last_unchained: i64, report: &mut ChainReport) -> Option<String> {
    let (Some(prev_hash), Some(hash)) = (&row.prev_hash, &row.hash) else {
        if previous.is_some() || row.id > last_unchained {
            report.breaks.push(format!("regel {}: heeft geen hash, maar hoort bij de keten", row.id));
        } else {
            report.unchained += 1;
        }
        return previous.map(str::to_string);
    };
    let expected_prev = previous.unwrap_or(GENESIS_HASH);
    if prev_hash != expected_prev {
        report.breaks.push(format!(
            "regel {}: verwijst naar een andere vorige regel dan die ervoor staat (er is een regel verwijderd, \
             ingevoegd of gewijzigd)",
            row.id
        ));
    }
    let recomputed = entry_hash(
        prev_hash,
        &ChainedFields {
            at: row.at,
            actor_user_id: row.actor_user_id,
            actor_login: &row.actor_login,
            origin: &row.origin,
            region_id: row.region_id,
            action: &row.action,
            object_type: &row.object_type,
            object_id: &row.object_id,
            result: &row.result,
            before_json: row.before_json.as_deref(),
            after_json: row.after_json.as_deref(),
        },
    );
    if &recomputed != hash {
        report.breaks.push(format!("regel {}: de inhoud past niet bij de hash (de regel is gewijzigd)", row.id));
    } else if prev_hash == expected_prev {
        report.verified += 1;
    }
    Some(hash.clone())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AuditRow {
    pub id: i64,
    pub at: OffsetDateTime,
    pub actor_user_id: Option<i64>,
    pub actor_login: String,
    pub origin: String,
    pub region_id: Option<i64>,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub result: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
}

/// Which part of the log to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditScope {
    /// Entries about one region.
    Region(i64),
    /// Everything, for platform administrators.
    All,
}

impl Store {
    /// Records an event that is not itself a stored change (a login, a failed login).
    pub async fn record(&self, actor: &Actor, entry: &AuditEntry) -> Result<()> {
        on_pool!(self, |pool| {
            let mut tx = crate::WritePool::begin_write(pool).await?;
            insert_audit!(&mut *tx, actor, entry)?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// The hash of the newest entry (to print with a decision list, say).
    pub async fn audit_head(&self) -> Result<Option<String>> {
        let sql = "SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1";
        let head: Option<Option<String>> = on_pool!(self, |pool| sqlx::query_scalar(sql).fetch_optional(pool).await)?;
        Ok(head.flatten())
    }

    /// Whether an entry with this hash is in the log (a head recorded earlier).
    pub async fn audit_hash_present(&self, hash: &str) -> Result<bool> {
        let sql = "SELECT COUNT(*) FROM audit_log WHERE hash = $1";
        let n: i64 = on_pool!(self, |pool| sqlx::query_scalar(sql).bind(hash).fetch_one(pool).await)?;
        Ok(n > 0)
    }

    /// Walks the whole log in order and checks every link of the hash chain.
    pub async fn verify_audit_chain(&self) -> Result<ChainReport> {
        const SQL: &str = "SELECT id, at, actor_user_id, actor_login, origin, region_id, action, object_type, \
                           object_id, result, before_json, after_json, prev_hash, hash FROM audit_log \
                           WHERE id > $1 ORDER BY id LIMIT 2000";
        let mut report = ChainReport { verified: 0, unchained: 0, head: None, breaks: Vec::new() };
        let mut previous: Option<String> = None;
        let mut after_id = i64::MIN;
        let last_unchained: i64 = on_pool!(self, |pool| sqlx::query_scalar(
            "SELECT COALESCE(MAX(last_unchained_id), 0) FROM audit_chain_start"
        )
        .fetch_one(pool)
        .await)?;
        // In batches by id, so a long log is checked in constant memory.
        loop {
            let batch: Vec<ChainRow> = on_pool!(self, |pool| sqlx::query_as(SQL).bind(after_id).fetch_all(pool).await)?;
            let Some(last) = batch.last() else { break };
            after_id = last.id;
            for row in &batch {
                previous = check_link(row, previous.as_deref(), last_unchained, &mut report);
            }
        }
        report.head = previous;
        Ok(report)
    }

    /// The log, newest first.
    pub async fn audit_log(&self, scope: AuditScope, page: PageRequest) -> Result<Paged<AuditRow>> {
        let (filter, region) = match scope {
            AuditScope::Region(id) => ("WHERE region_id = $1", id),
            AuditScope::All => ("WHERE $1 = $1", 0),
        };
        let list = format!(
            "SELECT id, at, actor_user_id, actor_login, origin, region_id, action, object_type, object_id, \
             result, before_json, after_json FROM audit_log {filter} ORDER BY id DESC LIMIT $2 OFFSET $3"
        );
        let count = format!("SELECT COUNT(*) FROM audit_log {filter}");
        on_pool!(self, |pool| {
            let items = sqlx::query_as::<_, AuditRow>(&list)
                .bind(region)
                .bind(page.limit())
                .bind(page.offset())
                .fetch_all(pool)
                .await?;
            let total: i64 = sqlx::query_scalar(&count).bind(region).fetch_one(pool).await?;
            Ok(Paged { items, total })
        })
    }

    /// Used by the CLI and tests to see that something was recorded.
    pub async fn audit_count(&self) -> Result<i64> {
        on_pool!(self, |pool| Ok(sqlx::query_scalar("SELECT COUNT(*) FROM audit_log").fetch_one(pool).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(login: &str) -> ChainedFields<'_> {
        ChainedFields {
            at: time::macros::datetime!(2026-11-23 07:00:00 UTC),
            actor_user_id: Some(3),
            actor_login: login,
            origin: "web 192.0.2.1",
            region_id: Some(1),
            action: "stemmen",
            object_type: "voorstel",
            object_id: "7",
            result: "gelukt",
            before_json: None,
            after_json: Some("{\"stem\":\"voor\"}"),
        }
    }

    #[test]
    fn the_hash_covers_every_field_and_the_previous_hash() {
        let base = entry_hash(GENESIS_HASH, &fields("anna"));
        assert_eq!(base.len(), 64);
        assert_eq!(base, entry_hash(GENESIS_HASH, &fields("anna")), "deterministic");
        assert_ne!(base, entry_hash(GENESIS_HASH, &fields("anne")));
        assert_ne!(base, entry_hash(&"1".repeat(64), &fields("anna")));
        let mut moved = fields("anna");
        moved.after_json = None;
        moved.before_json = Some("{\"stem\":\"voor\"}");
        assert_ne!(base, entry_hash(GENESIS_HASH, &moved), "a value cannot move to another field unseen");
        let mut later = fields("anna");
        later.at += time::Duration::seconds(1);
        assert_ne!(base, entry_hash(GENESIS_HASH, &later));
    }
}
