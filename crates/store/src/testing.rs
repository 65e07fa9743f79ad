//! Fresh, migrated databases for tests: a temporary SQLite file by default, or a new
//! database in the PostgreSQL cluster named by `SAMENSPEL_TEST_POSTGRES_URL` (the test
//! script starts a throwaway cluster and sets it), so one suite runs on both backends.

use crate::{Result, Store};
use rand::Rng;

pub const POSTGRES_ENV: &str = "SAMENSPEL_TEST_POSTGRES_URL";

/// A database URL for a new, empty database on the backend under test.
pub async fn fresh_database_url() -> Result<String> {
    let suffix: String = rand::thread_rng()
        .sample_iter(rand::distributions::Alphanumeric)
        .take(12)
        .map(|c| char::from(c).to_ascii_lowercase())
        .collect();
    match std::env::var(POSTGRES_ENV) {
        Ok(admin_url) if !admin_url.is_empty() => {
            let name = format!("samenspel_test_{suffix}");
            let admin = Store::connect(&admin_url).await?;
            if let Store::Postgres(pool) = &admin {
                sqlx::query(&format!("CREATE DATABASE {name}")).execute(pool).await?;
            }
            admin.close().await;
            let (base, _) = admin_url.rsplit_once('/').unwrap_or((&admin_url, ""));
            Ok(format!("{base}/{name}"))
        }
        _ => {
            let path = std::env::temp_dir().join(format!("samenspel-test-{suffix}.db"));
            Ok(format!("sqlite://{}", path.display()))
        }
    }
}

/// A new, migrated store with the shipped reference data loaded.
pub async fn fresh_store() -> Result<Store> {
    let store = Store::connect(&fresh_database_url().await?).await?;
    store.prepare().await?;
    Ok(store)
}

/// Which backend the tests run on, for messages.
pub fn backend_under_test() -> &'static str {
    if std::env::var(POSTGRES_ENV).is_ok_and(|v| !v.is_empty()) {
        "PostgreSQL"
    } else {
        "SQLite"
    }
}

/// A new database with only the migrations up to and including `version` applied, to test a
/// later migration on data an older version stored; `Store::migrate` then applies the rest.
pub async fn store_migrated_to(version: i64) -> Result<Store> {
    let store = Store::connect(&fresh_database_url().await?).await?;
    let mut migrator = match &store {
        Store::Sqlite(_) => sqlx::migrate!("./migrations/sqlite"),
        Store::Postgres(_) => sqlx::migrate!("./migrations/postgres"),
    };
    migrator.migrations =
        migrator.migrations.iter().filter(|m| m.version <= version).cloned().collect::<Vec<_>>().into();
    match &store {
        Store::Sqlite(pool) => migrator.run(pool).await?,
        Store::Postgres(pool) => migrator.run(pool).await?,
    }
    Ok(store)
}
