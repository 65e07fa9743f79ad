//! Samenspel over HTTP: the JSON API under `/api/v1` (Dutch API Design Rules), the Dutch
//! server-rendered pages, sessions and authorisation.
//!
//! Handlers stay thin: parse the request, ask [`samenspel_domain::access`] whether the user
//! may do it, call the store, render. The server keeps no state of its own: sessions,
//! rate-limit counters and everything else live in the database, so several processes can
//! share one PostgreSQL.

pub mod api;
pub mod auth;
pub mod chart;
pub mod demo;
pub mod error;
pub mod exchange;
pub mod forms;
pub mod governance;
pub mod health;
pub mod input;
pub mod mail;
pub mod pages;
pub mod procurement;
pub mod production;
pub mod provider_side;
pub mod risk_analysis;
pub mod risk_sharing;
pub mod security;

use axum::Router;
use samenspel_store::keys::RegionKeys;
use samenspel_store::production::ImportProgress;
use samenspel_store::Store;
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use time::Duration;
use tokio::net::TcpListener;

/// Settings that shape how the server treats requests.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Mark cookies `Secure`. Browsers accept secure cookies from `http://localhost` too,
    /// so this stays on unless a deployment serves plain HTTP on another host name.
    pub secure_cookies: bool,
    /// A session ends after this long without activity.
    pub session_idle: Duration,
    /// And at the latest this long after login.
    pub session_max: Duration,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_forwarded_for: bool,
    /// Where the region keys that pseudonymise the BSN are kept, outside the database.
    pub keys: RegionKeys,
    /// The shortest consultation or vote a region may open (an hour; tests shorten it so a
    /// deadline passes while they run).
    pub min_deadline: Duration,
    /// E-mail notifications; off (`None`) unless an SMTP server is configured.
    pub mailer: Option<mail::Mailer>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            secure_cookies: true,
            session_idle: Duration::minutes(30),
            session_max: Duration::hours(12),
            trust_forwarded_for: false,
            keys: RegionKeys::new(DEFAULT_KEY_DIR),
            min_deadline: samenspel_domain::proposal::MIN_OPEN,
            mailer: None,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub settings: Arc<Settings>,
    /// Imports running in this process, for their progress bars.
    pub imports: Arc<std::sync::Mutex<HashMap<i64, Arc<ImportProgress>>>>,
}

impl AppState {
    pub fn new(store: Store, settings: Settings) -> AppState {
        AppState { store, settings: Arc::new(settings), imports: Arc::default() }
    }

    /// The progress of an import running here, if it is.
    pub fn import_progress(&self, id: i64) -> Option<Arc<ImportProgress>> {
        self.imports.lock().ok()?.get(&id).cloned()
    }
}

/// The default directory of the region keys, relative to the working directory.
pub const DEFAULT_KEY_DIR: &str = "samenspel-sleutels";

/// The whole application: API, pages, static assets, with the security layers around them.
pub fn router(state: AppState) -> Router {
    Router::new()
        .nest("/api/v1", api::router())
        .merge(pages::router())
        .fallback(security::not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth::authenticate))
        .layer(axum::middleware::from_fn(security::reject_cross_site_writes))
        .layer(axum::middleware::from_fn(security::problem_responses))
        .layer(axum::extract::DefaultBodyLimit::max(security::MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(security::headers))
        .layer(axum::middleware::from_fn(security::reject_trailing_slash))
        .with_state(state)
}

/// Serves until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}
