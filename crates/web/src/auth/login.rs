//! Logging in, with rate limiting that holds across all server processes because the
//! attempts are counted in the database.

use super::secrets::{random_token, token_hash, verify_password};
use crate::error::AppError;
use crate::AppState;
use samenspel_store::sessions::AttemptOutcome;
use samenspel_store::{Actor, AuditEntry};
use time::Duration;

/// Failed attempts for one login name before it is locked for a while (the next is refused).
pub const MAX_FAILURES_PER_LOGIN: i64 = 5;
/// Failed attempts from one address, over all login names, before it is locked.
pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;
/// The window in which failures count, and how long a lock lasts.
pub const LOCK_WINDOW: Duration = Duration::minutes(15);

#[derive(Debug)]
pub enum LoginOutcome {
    /// Logged in: the session token for the cookie.
    Success { session_token: String },
    /// Unknown user, wrong password or deactivated account: deliberately one answer.
    Failed,
    /// Too many failures; try again after this many minutes.
    Locked { minutes: i64 },
}

/// The verdict on a password, with the rate limit applied.
#[derive(Debug)]
pub enum Verdict {
    Correct { user_id: i64 },
    Wrong,
    Locked { minutes: i64 },
}

/// Checks a login name and password under the rate limit. The attempt is recorded as failed
/// *before* the slow password check, so that attempts sent in parallel all count against the
/// limit; it is marked as succeeded afterwards, or dropped when the lock refused it unchecked.
pub async fn verify_with_limit(
    state: &AppState,
    login: &str,
    password: &str,
    client_ip: &str,
) -> Result<Verdict, AppError> {
    let store = &state.store;
    let key: String = login.trim().to_lowercase().chars().take(64).collect();
    let now = samenspel_store::now();
    let attempt = store.begin_login_attempt(&key, client_ip).await?;
    let (by_login, by_address, oldest) = store.recent_failures(&key, client_ip, now - LOCK_WINDOW).await?;
    if by_login > MAX_FAILURES_PER_LOGIN || by_address > MAX_FAILURES_PER_ADDRESS {
        store.finish_login_attempt(attempt, AttemptOutcome::NotChecked).await?;
        let until = oldest.map(|t| t + LOCK_WINDOW).unwrap_or(now + LOCK_WINDOW);
        let minutes = ((until - now).whole_seconds() + 59) / 60;
        return Ok(Verdict::Locked { minutes: minutes.clamp(1, LOCK_WINDOW.whole_minutes()) });
    }
    let credentials = store.credentials(&key).await?;
    let hash = credentials.as_ref().and_then(|c| c.password_hash.clone());
    let password_ok = verify_password(password.chars().take(1024).collect(), hash).await;
    match credentials.filter(|c| password_ok && c.active) {
        Some(c) => {
            store.finish_login_attempt(attempt, AttemptOutcome::Succeeded).await?;
            Ok(Verdict::Correct { user_id: c.id })
        }
        None => Ok(Verdict::Wrong),
    }
}

pub async fn attempt_login(
    state: &AppState,
    login: &str,
    password: &str,
    client_ip: &str,
) -> Result<LoginOutcome, AppError> {
    let store = &state.store;
    let key: String = login.trim().to_lowercase().chars().take(64).collect();
    let verdict = verify_with_limit(state, login, password, client_ip).await?;
    let user_id = match &verdict {
        Verdict::Correct { user_id } => Some(*user_id),
        _ => store.credentials(&key).await?.map(|c| c.id),
    };
    let actor = Actor { user_id, login: key.clone(), origin: format!("web {client_ip}") };
    let entry = match verdict {
        Verdict::Correct { .. } => AuditEntry::new("inloggen", "sessie", &key),
        Verdict::Wrong => AuditEntry::new("inloggen", "sessie", &key).failed(),
        Verdict::Locked { .. } => AuditEntry::new("inloggen-geblokkeerd", "sessie", &key).failed(),
    };
    store.record(&actor, &entry).await?;
    match verdict {
        Verdict::Wrong => Ok(LoginOutcome::Failed),
        Verdict::Locked { minutes } => Ok(LoginOutcome::Locked { minutes }),
        Verdict::Correct { user_id } => {
            let session_token = random_token();
            let expires = samenspel_store::now() + state.settings.session_idle;
            store.create_session(&token_hash(&session_token), user_id, &random_token(), expires).await?;
            Ok(LoginOutcome::Success { session_token })
        }
    }
}
