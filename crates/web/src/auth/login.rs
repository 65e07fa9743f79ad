//! Logging in, with rate limiting that holds across all server processes because the
//! attempts are counted in the database.

use super::secrets::{random_token, token_hash, verify_password};
use crate::error::AppError;
use crate::AppState;
use samenspel_store::{Actor, AuditEntry};
use time::Duration;

/// Failed attempts for one login name before it is locked for a while.
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

pub async fn attempt_login(
    state: &AppState,
    login: &str,
    password: &str,
    client_ip: &str,
) -> Result<LoginOutcome, AppError> {
    let store = &state.store;
    let key: String = login.trim().to_lowercase().chars().take(64).collect();
    let now = samenspel_store::now();
    let (by_login, by_address, oldest) = store.recent_failures(&key, client_ip, now - LOCK_WINDOW).await?;
    if by_login >= MAX_FAILURES_PER_LOGIN || by_address >= MAX_FAILURES_PER_ADDRESS {
        let until = oldest.map(|t| t + LOCK_WINDOW).unwrap_or(now + LOCK_WINDOW);
        let minutes = ((until - now).whole_seconds() + 59) / 60;
        let actor = Actor { user_id: None, login: key.clone(), origin: format!("web {client_ip}") };
        store.record(&actor, &AuditEntry::new("inloggen-geblokkeerd", "sessie", &key).failed()).await?;
        return Ok(LoginOutcome::Locked { minutes: minutes.clamp(1, LOCK_WINDOW.whole_minutes()) });
    }
    let credentials = store.credentials(&key).await?;
    let hash = credentials.as_ref().and_then(|c| c.password_hash.clone());
    let password_ok = verify_password(password.chars().take(1024).collect(), hash).await;
    let ok = password_ok && credentials.as_ref().is_some_and(|c| c.active);
    store.record_login_attempt(&key, client_ip, ok).await?;
    let actor =
        Actor { user_id: credentials.as_ref().map(|c| c.id), login: key.clone(), origin: format!("web {client_ip}") };
    let entry = AuditEntry::new("inloggen", "sessie", &key);
    store.record(&actor, &if ok { entry } else { entry.failed() }).await?;
    let Some(credentials) = credentials.filter(|_| ok) else {
        return Ok(LoginOutcome::Failed);
    };
    let session_token = random_token();
    let expires = now + state.settings.session_idle;
    store.create_session(&token_hash(&session_token), credentials.id, &random_token(), expires).await?;
    Ok(LoginOutcome::Success { session_token })
}
