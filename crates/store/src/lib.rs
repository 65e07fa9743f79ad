//! Persistence for Samenspel, on SQLite (the embedded default) and PostgreSQL.
//!
//! Both backends run the same SQL where the dialects agree (`$1` placeholders, `RETURNING`,
//! `ON CONFLICT`); the schema differs only in column types and lives in two migration trees.
//! The [`on_pool!`] macro writes a query once and instantiates it for both pool types, so
//! dialect differences never leak into callers.
//!
//! `$N` placeholders bind the N-th argument on both backends (sqlx maps them on SQLite;
//! a test checks it).
//!
//! Every change goes through a method that takes an [`Actor`] and writes an audit entry in
//! the same transaction as the change itself.

pub mod accountability;
pub mod admission;
pub mod audit;
pub mod catalogue;
pub mod charter;
pub mod contracts;
pub mod dialogue;
pub mod exchange;
pub mod figures;
pub mod health;
pub mod keys;
pub mod lots;
pub mod norm;
pub mod production;
pub mod proposals;
pub mod providers;
pub mod reference;
pub mod regions;
pub mod risk_sharing;
pub mod sessions;
pub mod testing;
pub mod users;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use std::str::FromStr;
use std::time::Duration;
use time::OffsetDateTime;

pub use audit::{Actor, AuditEntry};

/// Runs `$body` with `$pool` bound to the concrete pool of either backend.
#[macro_export]
macro_rules! on_pool {
    ($store:expr, |$pool:ident| $body:expr) => {
        match $store {
            $crate::Store::Sqlite($pool) => $body,
            $crate::Store::Postgres($pool) => $body,
        }
    };
}

/// A handle on the database; cheap to clone.
#[derive(Clone, Debug)]
pub enum Store {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database-URL '{0}' wordt niet herkend; gebruik sqlite://PAD of postgres://GEBRUIKER@HOST/DATABASE")]
    BadUrl(String),
    #[error("database {url} is niet bereikbaar: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("database bijwerken (migratie) mislukt: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("niet gevonden")]
    NotFound,
    /// A change that conflicts with existing data, with a Dutch explanation.
    #[error("{message}")]
    Conflict { field: String, message: String },
    /// A change that breaks a domain rule that needs the database to check.
    #[error("{0}")]
    Invalid(#[from] samenspel_domain::Invalid),
    #[error("databasefout: {0}")]
    Database(#[from] sqlx::Error),
    /// Stored data that cannot be read as written (a packed column of the wrong shape).
    #[error("opgeslagen gegevens zijn beschadigd: {0}")]
    Damaged(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

impl StoreError {
    pub fn conflict(field: &str, message: impl Into<String>) -> StoreError {
        StoreError::Conflict { field: field.to_string(), message: message.into() }
    }

    pub fn invalid(field: &str, code: &str, reason: impl Into<String>) -> StoreError {
        StoreError::Invalid(samenspel_domain::Invalid::single(field, code, reason))
    }
}

/// A transaction that reads and then writes, without losing a race. SQLite starts it with
/// `BEGIN IMMEDIATE`, taking the single write lock at once (a deferred transaction that read an
/// older snapshot would fail when it tries to write); PostgreSQL starts an ordinary one and the
/// caller locks the rows it depends on with [`WritePool::FOR_UPDATE`].
pub trait WritePool {
    type Db: sqlx::Database;
    /// Appended to a `SELECT` that the rest of the transaction depends on.
    const FOR_UPDATE: &'static str;
    /// The same for a row others only refer to (a region): inserts that reference it go on.
    const FOR_NO_KEY_UPDATE: &'static str;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = std::result::Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>> + Send;
}

/// [`WritePool::FOR_NO_KEY_UPDATE`] of the pool at hand, for code written once for both.
pub fn no_key_update_clause<P: WritePool>(_: &P) -> &'static str {
    P::FOR_NO_KEY_UPDATE
}

impl WritePool for SqlitePool {
    type Db = sqlx::Sqlite;
    const FOR_UPDATE: &'static str = "";
    const FOR_NO_KEY_UPDATE: &'static str = "";
    async fn begin_write(&self) -> std::result::Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

impl WritePool for PgPool {
    type Db = sqlx::Postgres;
    const FOR_UPDATE: &'static str = " FOR UPDATE";
    const FOR_NO_KEY_UPDATE: &'static str = " FOR NO KEY UPDATE";
    async fn begin_write(&self) -> std::result::Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        self.begin().await
    }
}

/// Turns a unique-constraint violation into a conflict with a message; other errors pass.
pub(crate) fn on_unique(field: &str, message: &str) -> impl FnOnce(sqlx::Error) -> StoreError {
    let (field, message) = (field.to_string(), message.to_string());
    move |e| match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict { field, message },
        _ => StoreError::Database(e),
    }
}

/// The current time as stored: UTC, whole seconds (see the migration's header).
pub fn now() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc();
    t.replace_nanosecond(0).unwrap_or(t)
}

/// The day it is in the Netherlands: what "today" means for dates users enter and read. The
/// UTC date is still yesterday's for the first hour or two of a Dutch day.
pub fn today() -> time::Date {
    samenspel_domain::nl::dutch_date(now())
}

/// A database URL with any password replaced, safe for logs and error messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            if userinfo.contains(':') {
                format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..])
            } else {
                url.to_string()
            }
        }
        _ => url.to_string(),
    }
}

/// One page of a collection plus the size of the whole collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: i64,
}

/// Which page of a collection to fetch (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u32,
    pub page_size: u32,
}

impl PageRequest {
    pub const MAX_PAGE_SIZE: u32 = 100;

    pub fn all() -> PageRequest {
        PageRequest { page: 1, page_size: 10_000 }
    }

    pub fn limit(&self) -> i64 {
        i64::from(self.page_size)
    }

    pub fn offset(&self) -> i64 {
        i64::from(self.page.saturating_sub(1)) * i64::from(self.page_size)
    }
}

impl Store {
    /// Opens the database the URL names: `sqlite://PATH` (created if missing),
    /// `sqlite::memory:`, or `postgres://…`. Fails with one clear line when unreachable.
    pub async fn connect(url: &str) -> Result<Store> {
        let shown = redact_url(url);
        let unreachable =
            |e: sqlx::Error| StoreError::Unreachable { url: shown.clone(), reason: describe_connect_error(&e) };
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|_| StoreError::BadUrl(shown.clone()))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // With a write-ahead log, NORMAL cannot corrupt the database; it only syncs at
                // checkpoints, which keeps a batch of small imports fast.
                .synchronous(SqliteSynchronous::Normal)
                // An import writes hundreds of thousands of rows in one transaction; with the
                // default 2 MB page cache SQLite spills and rereads pages all the time.
                .pragma("cache_size", "-65536")
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let in_memory = url.contains(":memory:") || url.contains("mode=memory");
            let pool = SqlitePoolOptions::new()
                // An in-memory database exists per connection, so keep exactly one.
                .max_connections(if in_memory { 1 } else { 8 })
                .min_connections(if in_memory { 1 } else { 0 })
                .idle_timeout(if in_memory { None } else { Some(Duration::from_secs(600)) })
                .max_lifetime(if in_memory { None } else { Some(Duration::from_secs(1800)) })
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await
                .map_err(unreachable)?;
            Ok(Store::Sqlite(pool))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url).map_err(|_| StoreError::BadUrl(shown.clone()))?;
            // One direct attempt first: the pool would retry until its timeout, while an
            // unreachable server should be reported at once.
            let probe = <sqlx::PgConnection as sqlx::Connection>::connect_with(&options).await.map_err(unreachable)?;
            sqlx::Connection::close(probe).await.ok();
            let pool = PgPoolOptions::new()
                .max_connections(10)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await
                .map_err(unreachable)?;
            Ok(Store::Postgres(pool))
        } else {
            Err(StoreError::BadUrl(shown))
        }
    }

    /// Brings the schema up to date. Safe to run from several processes at once: on
    /// PostgreSQL the migrator holds an advisory lock.
    pub async fn migrate(&self) -> Result<()> {
        match self {
            Store::Sqlite(pool) => sqlx::migrate!("./migrations/sqlite").run(pool).await?,
            Store::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// Everything a fresh or older database needs before serving: the schema, the CBS
    /// reference data and the national product code lists.
    pub async fn prepare(&self) -> Result<Option<reference::LoadSummary>> {
        self.migrate().await?;
        let loaded = self.ensure_reference_data().await?;
        self.ensure_code_lists().await?;
        Ok(loaded)
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "SQLite",
            Store::Postgres(_) => "PostgreSQL",
        }
    }

    pub async fn close(&self) {
        on_pool!(self, |pool| pool.close().await)
    }
}

fn describe_connect_error(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Io(io) => io.to_string(),
        sqlx::Error::Database(db) => db.message().to_string(),
        sqlx::Error::PoolTimedOut => "geen verbinding binnen 10 seconden".to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords_only() {
        assert_eq!(redact_url("postgres://app:geheim@db:5432/samenspel"), "postgres://app:***@db:5432/samenspel");
        assert_eq!(redact_url("postgres://app@db/samenspel"), "postgres://app@db/samenspel");
        assert_eq!(redact_url("sqlite://samenspel.db"), "sqlite://samenspel.db");
    }

    #[test]
    fn page_offsets() {
        let p = PageRequest { page: 3, page_size: 20 };
        assert_eq!((p.limit(), p.offset()), (20, 40));
        assert_eq!(PageRequest { page: 0, page_size: 5 }.offset(), 0);
    }

    #[tokio::test]
    async fn unreachable_database_names_the_url() {
        let err = Store::connect("postgres://app:geheim@127.0.0.1:1/samenspel").await.unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("database postgres://app:***@127.0.0.1:1/samenspel is niet bereikbaar: "), "{text}");
        assert!(!text.contains("geheim"));
        assert!(matches!(Store::connect("mysql://x").await, Err(StoreError::BadUrl(_))));
    }
}
