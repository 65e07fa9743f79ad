//! Who is asking: sessions (browser) and bearer tokens (machine clients), resolved once per
//! request by [`authenticate`] and handed to handlers through extractors.

pub mod login;
pub mod secrets;

use crate::error::AppError;
use crate::AppState;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use samenspel_domain::access::{Principal, RegionAccess};
use samenspel_store::regions::RegionRow;
use samenspel_store::users::UserRow;
use samenspel_store::Actor;
use secrets::{constant_time_eq, token_hash};
use std::net::SocketAddr;

pub const SESSION_COOKIE: &str = "samenspel_sessie";
pub const LOGIN_CSRF_COOKIE: &str = "samenspel_csrf";
/// Header that API clients using the session cookie send on writes.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How the user proved who they are.
#[derive(Debug, Clone)]
pub enum Via {
    Session { token_hash: String, csrf: String },
    ApiToken,
}

/// A signed-in user with their roles.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: UserRow,
    pub principal: Principal,
    pub via: Via,
    pub client_ip: String,
}

impl CurrentUser {
    /// The actor for audit entries; `door` is `web` or `api`.
    pub fn actor(&self, door: &str) -> Actor {
        Actor::user(self.user.id, &self.user.login, format!("{door} {}", self.client_ip))
    }

    pub fn csrf(&self) -> &str {
        match &self.via {
            Via::Session { csrf, .. } => csrf,
            Via::ApiToken => "",
        }
    }

    pub fn in_region(&self, region: &RegionRow) -> RegionAccess {
        self.principal.in_region(region.id)
    }
}

/// What the authentication layer found, stored in the request extensions.
#[derive(Debug, Clone)]
pub enum Auth {
    Anonymous,
    /// A session cookie was sent but the session ended (timed out, logged out elsewhere).
    Expired,
    /// A bearer token was sent but is unknown or revoked.
    BadToken,
    User(Box<CurrentUser>),
}

/// The client's address. Behind a trusted proxy, the address that proxy saw: the last entry
/// of `X-Forwarded-For`, because entries before it are whatever the client chose to send.
pub fn client_ip(headers: &HeaderMap, peer: Option<SocketAddr>, trust_forwarded_for: bool) -> String {
    let forwarded = trust_forwarded_for
        .then(|| headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).next_back())
        .flatten()
        .and_then(|v| v.rsplit(',').next())
        .map(|v| v.trim().to_string())
        .filter(|v| v.parse::<std::net::IpAddr>().is_ok());
    forwarded.or_else(|| peer.map(|p| p.ip().to_string())).unwrap_or_else(|| "onbekend".into())
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Resolves the session cookie or bearer token of every request.
pub async fn authenticate(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    let ip = client_ip(request.headers(), peer, state.settings.trust_forwarded_for);
    let auth = match resolve(&state, request.headers(), &ip).await {
        Ok(auth) => auth,
        Err(e) => return e.into_response(),
    };
    // Session-authenticated API writes must echo the CSRF token in a header.
    if let Auth::User(user) = &auth {
        let path = request.uri().path();
        let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
        if crate::security::is_api(path) && !safe {
            if let Via::Session { csrf, .. } = &user.via {
                let sent = request.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
                if !constant_time_eq(sent, csrf) {
                    return AppError::new(
                        axum::http::StatusCode::FORBIDDEN,
                        "Schrijven met een sessiecookie vraagt de kop X-CSRF-Token; machines gebruiken een API-token.",
                    )
                    .into_response();
                }
            }
        }
    }
    request.extensions_mut().insert(auth);
    next.run(request).await
}

async fn resolve(state: &AppState, headers: &HeaderMap, ip: &str) -> Result<Auth, AppError> {
    let store = &state.store;
    if let Some(value) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let token = value.strip_prefix("Bearer ").unwrap_or("").trim();
        let Some(user_id) = store.api_token_user(&token_hash(token)).await? else {
            return Ok(Auth::BadToken);
        };
        return Ok(load_user(state, user_id, Via::ApiToken, ip).await?.map_or(Auth::BadToken, Auth::User));
    }
    let Some(token) = cookie(headers, SESSION_COOKIE).filter(|t| !t.is_empty()) else {
        return Ok(Auth::Anonymous);
    };
    let hash = token_hash(&token);
    let Some(session) = store.session(&hash).await? else {
        return Ok(Auth::Expired);
    };
    let now = samenspel_store::now();
    if session.expires_at <= now || session.created_at + state.settings.session_max <= now {
        store.delete_session(&hash).await?;
        return Ok(Auth::Expired);
    }
    // Extend the idle timeout, at most once a minute to spare the database.
    if now - session.last_seen_at >= time::Duration::minutes(1) {
        let idle_end = now + state.settings.session_idle;
        let hard_end = session.created_at + state.settings.session_max;
        store.touch_session(&hash, idle_end.min(hard_end)).await?;
    }
    let via = Via::Session { token_hash: hash, csrf: session.csrf_token };
    Ok(load_user(state, session.user_id, via, ip).await?.map_or(Auth::Expired, Auth::User))
}

async fn load_user(state: &AppState, user_id: i64, via: Via, ip: &str) -> Result<Option<Box<CurrentUser>>, AppError> {
    let user = state.store.user(user_id).await?;
    if !user.active {
        return Ok(None);
    }
    let principal = state.store.principal(user_id).await?;
    Ok(Some(Box::new(CurrentUser { user, principal, via, client_ip: ip.to_string() })))
}

fn auth_of(parts: &Parts) -> Auth {
    parts.extensions.get::<Auth>().cloned().unwrap_or(Auth::Anonymous)
}

/// A signed-in API client; otherwise 401 problem+json.
pub struct ApiUser(pub CurrentUser);

impl<S: Send + Sync> FromRequestParts<S> for ApiUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        match auth_of(parts) {
            Auth::User(user) => Ok(ApiUser(*user)),
            Auth::Expired => Err(AppError::unauthorized("Uw sessie is verlopen; log opnieuw in.")),
            Auth::BadToken => Err(AppError::unauthorized("Het API-token is onbekend of ingetrokken.")),
            Auth::Anonymous => Err(AppError::unauthorized(
                "Log in of stuur een API-token mee in de kop Authorization: Bearer <token>.",
            )),
        }
    }
}

/// A signed-in browser user; otherwise a redirect to the login page that comes back here.
pub struct PageUser(pub CurrentUser);

impl<S: Send + Sync> FromRequestParts<S> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Response> {
        match auth_of(parts) {
            Auth::User(user) => Ok(PageUser(*user)),
            other => {
                let back = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
                let back = if parts.method == Method::GET { back } else { "/" };
                let expired = if matches!(other, Auth::Expired) { "&verlopen=1" } else { "" };
                let target = format!(
                    "/inloggen?terug={}{expired}",
                    serde_urlencoded::to_string([("", back)]).unwrap_or_default().trim_start_matches('=')
                );
                Err(Redirect::to(&target).into_response())
            }
        }
    }
}

/// The region in the path, if the user holds any role in it. A region the user has no role
/// in is reported as not found, so its existence is not revealed.
pub async fn region_for(
    state: &AppState,
    user: &CurrentUser,
    code: &str,
) -> Result<(RegionRow, RegionAccess), AppError> {
    let region = state.store.region_by_code(code).await?.ok_or_else(AppError::not_found)?;
    let access = user.in_region(&region);
    if !access.any() {
        return Err(AppError::not_found());
    }
    Ok((region, access))
}

/// Builds a `Set-Cookie` value with the attributes every Samenspel cookie carries.
pub fn cookie_header(name: &str, value: &str, max_age_seconds: i64, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_seconds}{}",
        if secure { "; Secure" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_is_read_from_the_proxy_end() {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "1.2.3.4, 198.51.100.7".parse().unwrap());
        let peer = Some("10.0.0.1:5000".parse().unwrap());
        assert_eq!(client_ip(&headers, peer, true), "198.51.100.7");
        assert_eq!(client_ip(&headers, peer, false), "10.0.0.1");
        headers.insert("x-forwarded-for", "geen adres".parse().unwrap());
        assert_eq!(client_ip(&headers, peer, true), "10.0.0.1");
    }
}
