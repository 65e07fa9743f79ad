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

/// Inserts an audit entry through any executor of either backend (a transaction, usually).
#[macro_export]
macro_rules! insert_audit {
    ($executor:expr, $actor:expr, $entry:expr) => {{
        let (actor, entry): (&$crate::Actor, &$crate::AuditEntry) = ($actor, $entry);
        sqlx::query(
            "INSERT INTO audit_log (at, actor_user_id, actor_login, origin, region_id, action, \
             object_type, object_id, result, before_json, after_json) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind($crate::now())
        .bind(actor.user_id)
        .bind(&actor.login)
        .bind(&actor.origin)
        .bind(entry.region_id)
        .bind(entry.action)
        .bind(entry.object_type)
        .bind(&entry.object_id)
        .bind(if entry.succeeded { "gelukt" } else { "mislukt" })
        .bind(&entry.before)
        .bind(&entry.after)
        .execute($executor)
        .await
        .map(|_| ())
    }};
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
        on_pool!(self, |pool| insert_audit!(pool, actor, entry))?;
        Ok(())
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
