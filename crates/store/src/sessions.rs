//! Sessions, API tokens and login attempts. Only hashes of secrets are stored; the caller
//! hashes the cookie or token value before asking.

use crate::{insert_audit, now, on_pool, Actor, AuditEntry, Result, Store, StoreError};
use serde::Serialize;
use time::{Duration, OffsetDateTime};

/// What became of a login attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    Succeeded,
    Failed,
    /// Refused before the password was checked.
    NotChecked,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionRow {
    pub token_hash: String,
    pub user_id: i64,
    pub csrf_token: String,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ApiTokenRow {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
}

impl Store {
    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf_token: &str,
        expires_at: OffsetDateTime,
    ) -> Result<()> {
        let at = now();
        on_pool!(self, |pool| {
            sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)"
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(csrf_token)
        .bind(at)
        .bind(at)
        .bind(expires_at)
        .execute(pool)
        .await
        .map(|_| ())
        })?;
        Ok(())
    }

    /// The session for a token hash, expired or not (the caller tells the user which).
    pub async fn session(&self, token_hash: &str) -> Result<Option<SessionRow>> {
        on_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, SessionRow>(
            "SELECT token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at FROM sessions WHERE token_hash = $1"
        )
        .bind(token_hash)
        .fetch_optional(pool)
        .await?)
        })
    }

    /// Extends an idle timeout after activity.
    pub async fn touch_session(&self, token_hash: &str, expires_at: OffsetDateTime) -> Result<()> {
        on_pool!(self, |pool| sqlx::query(
            "UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE token_hash = $3"
        )
        .bind(now())
        .bind(expires_at)
        .bind(token_hash)
        .execute(pool)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        on_pool!(self, |pool| sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Removes sessions that expired more than a day ago (kept a day to say "expired").
    pub async fn purge_sessions(&self) -> Result<u64> {
        let cutoff = now() - Duration::days(1);
        let done = on_pool!(self, |pool| sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(cutoff)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(done)
    }

    pub async fn create_api_token(
        &self,
        user_id: i64,
        token_hash: &str,
        name: &str,
        actor: &Actor,
    ) -> Result<ApiTokenRow> {
        let login = self.user(user_id).await?.login;
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let row: ApiTokenRow = sqlx::query_as(
                "INSERT INTO api_tokens (user_id, token_hash, name, created_at) VALUES ($1, $2, $3, $4) \
                 RETURNING id, user_id, name, created_at, last_used_at, revoked_at",
            )
            .bind(user_id)
            .bind(token_hash)
            .bind(name)
            .bind(now())
            .fetch_one(&mut *tx)
            .await?;
            let entry = AuditEntry::new("aanmaken", "api-token", row.id)
                .after(&serde_json::json!({ "gebruiker": login, "naam": name }));
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(row)
        })
    }

    /// The user an unrevoked token belongs to; records its use.
    pub async fn api_token_user(&self, token_hash: &str) -> Result<Option<i64>> {
        let found: Option<(i64, i64)> = on_pool!(self, |pool| sqlx::query_as(
            "SELECT t.id, t.user_id FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.active"
        )
        .bind(token_hash)
        .fetch_optional(pool)
        .await?);
        if let Some((id, _)) = found {
            on_pool!(self, |pool| sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(now())
                .bind(id)
                .execute(pool)
                .await
                .map(|_| ()))?;
        }
        Ok(found.map(|(_, user)| user))
    }

    pub async fn api_tokens_of(&self, user_id: i64) -> Result<Vec<ApiTokenRow>> {
        on_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, ApiTokenRow>(
            "SELECT id, user_id, name, created_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY id"
        )
        .bind(user_id)
        .fetch_all(pool)
        .await?)
        })
    }

    pub async fn revoke_api_token(&self, user_id: i64, token_id: i64, actor: &Actor) -> Result<()> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let done = sqlx::query(
                "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
            )
            .bind(now())
            .bind(token_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            insert_audit!(&mut *tx, actor, &AuditEntry::new("intrekken", "api-token", token_id))?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Records a login attempt as failed before the password is checked, so that parallel
    /// attempts all count; [`Store::finish_login_attempt`] marks it afterwards. Returns its id.
    pub async fn begin_login_attempt(&self, login: &str, client_ip: &str) -> Result<i64> {
        on_pool!(self, |pool| {
            Ok(sqlx::query_scalar(
            "INSERT INTO login_attempts (login, client_ip, attempted_at, succeeded) VALUES ($1, $2, $3, FALSE) RETURNING id"
        )
        .bind(login)
        .bind(client_ip)
        .bind(now())
        .fetch_one(pool)
        .await?)
        })
    }

    /// Marks an attempt as succeeded, or removes it when the password was never checked
    /// (refused because of the lock), so that waiting out the lock works.
    pub async fn finish_login_attempt(&self, id: i64, outcome: AttemptOutcome) -> Result<()> {
        let sql = match outcome {
            AttemptOutcome::Succeeded => "UPDATE login_attempts SET succeeded = TRUE WHERE id = $1",
            AttemptOutcome::Failed => return Ok(()),
            AttemptOutcome::NotChecked => "DELETE FROM login_attempts WHERE id = $1",
        };
        on_pool!(self, |pool| sqlx::query(sql).bind(id).execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    /// Failed attempts since a moment, for a login and for a client address, and the time of
    /// the oldest failure for the login in that window (to say when the lock ends).
    pub async fn recent_failures(
        &self,
        login: &str,
        client_ip: &str,
        since: OffsetDateTime,
    ) -> Result<(i64, i64, Option<OffsetDateTime>)> {
        on_pool!(self, |pool| {
            let by_login: (i64, Option<OffsetDateTime>) = sqlx::query_as(
                "SELECT COUNT(*), MIN(attempted_at) FROM login_attempts WHERE login = $1 AND attempted_at >= $2 AND NOT succeeded \
                 AND id > COALESCE((SELECT MAX(id) FROM login_attempts WHERE login = $1 AND succeeded), 0)",
            )
            .bind(login)
            .bind(since)
            .fetch_one(pool)
            .await?;
            let by_ip: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM login_attempts WHERE client_ip = $1 AND attempted_at >= $2 AND NOT succeeded",
            )
            .bind(client_ip)
            .bind(since)
            .fetch_one(pool)
            .await?;
            Ok((by_login.0, by_ip, by_login.1))
        })
    }
}
