//! Logging in and out.

use super::{render, see_other, FormView, Layout, Notice};
use crate::auth::login::{attempt_login, LoginOutcome};
use crate::auth::secrets::{constant_time_eq, random_token};
use crate::auth::{client_ip, cookie, cookie_header, Auth, Via, LOGIN_CSRF_COOKIE, SESSION_COOKIE};
use crate::forms::CsrfForm;
use crate::AppState;
use askama::Template;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form};
use samenspel_domain::Invalid;
use serde::Deserialize;
use std::net::SocketAddr;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    form: FormView,
}

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    terug: Option<String>,
    verlopen: Option<String>,
    uitgelogd: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    wachtwoord: String,
    #[serde(default)]
    terug: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

/// Only paths on this site, so the login cannot be used to send people elsewhere. Browsers
/// drop tabs and newlines from URLs and read `\` as `/`, so only plain path characters pass.
pub fn safe_return(path: &str) -> &str {
    let plain = path.bytes().all(|b| b.is_ascii_alphanumeric() || b"/-_.~?=&%+".contains(&b));
    if plain && path.starts_with('/') && !path.starts_with("//") {
        path
    } else {
        "/"
    }
}

#[cfg(test)]
mod tests {
    use super::safe_return;

    #[test]
    fn only_local_paths_come_back() {
        assert_eq!(safe_return("/regios/haaglanden?jaar=2026"), "/regios/haaglanden?jaar=2026");
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil",
            "https://evil.example",
            "",
            "evil",
            "/%0a",
        ] {
            let expected = if bad == "/%0a" { "/%0a" } else { "/" };
            assert_eq!(safe_return(bad), expected, "{bad:?}");
        }
    }
}

fn login_form(csrf: &str, login: &str, back: &str) -> FormView {
    FormView::new("inloggen", "/inloggen", "Inloggen", csrf)
        .field("login", "Gebruikersnaam", "text", login, true)
        .autocomplete("username")
        .field("wachtwoord", "Wachtwoord", "password", "", true)
        .autocomplete("current-password")
        .field("terug", "", "hidden", back, false)
}

fn page(state: &AppState, csrf: &str, form: FormView, notice: Option<Notice>, status: StatusCode) -> Response {
    let page = LoginPage { layout: Layout::anonymous("Inloggen").with_notice(notice), form: form.done() };
    let mut response = render(&page, status);
    let value = cookie_header(LOGIN_CSRF_COOKIE, csrf, 3600, state.settings.secure_cookies);
    if let Ok(v) = value.parse() {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

pub async fn form(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Response {
    if matches!(auth, Auth::User(_)) {
        return see_other(safe_return(q.terug.as_deref().unwrap_or("/")));
    }
    let csrf = cookie(&headers, LOGIN_CSRF_COOKIE).filter(|c| c.len() >= 32).unwrap_or_else(random_token);
    let notice = if q.verlopen.is_some() || matches!(auth, Auth::Expired) {
        Some(Notice { kind: "warning", text: "Uw sessie is verlopen. Log opnieuw in.".into() })
    } else if q.uitgelogd.is_some() {
        Some(Notice { kind: "ok", text: "U bent uitgelogd.".into() })
    } else {
        None
    };
    let back = safe_return(q.terug.as_deref().unwrap_or("/")).to_string();
    page(&state, &csrf, login_form(&csrf, "", &back), notice, StatusCode::OK)
}

pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    let fresh = random_token();
    if expected.is_empty() || !constant_time_eq(&form.csrf, &expected) {
        let notice = Notice { kind: "error", text: "Het inlogformulier was verlopen. Probeer het nog eens.".into() };
        return page(&state, &fresh, login_form(&fresh, &form.login, &form.terug), Some(notice), StatusCode::FORBIDDEN);
    }
    let mut invalid = Invalid::new();
    if form.login.trim().is_empty() {
        invalid.push("login", "required", "Vul uw gebruikersnaam in.");
    }
    if form.wachtwoord.is_empty() {
        invalid.push("wachtwoord", "required", "Vul uw wachtwoord in.");
    }
    if !invalid.is_empty() {
        let f = login_form(&expected, &form.login, &form.terug).with_errors(&invalid);
        return page(&state, &expected, f, None, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let ip = client_ip(&headers, Some(peer), state.settings.trust_forwarded_for);
    let (status, reason) = match attempt_login(&state, &form.login, &form.wachtwoord, &ip).await {
        Ok(LoginOutcome::Success { session_token }) => {
            let max_age = state.settings.session_max.whole_seconds();
            let session = cookie_header(SESSION_COOKIE, &session_token, max_age, state.settings.secure_cookies);
            let clear_csrf = cookie_header(LOGIN_CSRF_COOKIE, "", 0, state.settings.secure_cookies);
            let mut response = see_other(safe_return(&form.terug));
            for value in [session, clear_csrf] {
                if let Ok(v) = value.parse() {
                    response.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            return response;
        }
        Ok(LoginOutcome::Failed) => {
            (StatusCode::UNAUTHORIZED, "De gebruikersnaam of het wachtwoord klopt niet.".to_string())
        }
        Ok(LoginOutcome::Locked { minutes }) => (
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "Er is te vaak een verkeerd wachtwoord ingevuld. Probeer het over {minutes} {} opnieuw.",
                if minutes == 1 { "minuut" } else { "minuten" }
            ),
        ),
        Err(e) => return super::PageError::from(e).into_response(),
    };
    let notice = Notice { kind: "error", text: reason };
    page(&state, &fresh, login_form(&fresh, &form.login, &form.terug), Some(notice), status)
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn logout(State(state): State<AppState>, CsrfForm(user, _): CsrfForm<Empty>) -> Response {
    if let Via::Session { token_hash: hash, .. } = &user.via {
        if let Err(e) = state.store.delete_session(hash).await {
            return super::PageError::from(e).into_response();
        }
        let actor = user.actor("web");
        let _ = state
            .store
            .record(&actor, &samenspel_store::AuditEntry::new("uitloggen", "sessie", &user.user.login))
            .await;
    }
    let mut response = see_other("/inloggen?uitgelogd=1");
    if let Ok(v) = cookie_header(SESSION_COOKIE, "", 0, state.settings.secure_cookies).parse() {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}
