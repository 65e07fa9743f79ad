//! The signed-in user's own account: password and API tokens.

use super::home::NoticeQuery;
use super::{render, see_other, show, success_notice, FormView, Layout, Notice, PageResult};
use crate::auth::login::{verify_with_limit, Verdict};
use crate::auth::secrets::{hash_password, new_api_token, token_hash};
use crate::auth::{CurrentUser, PageUser};
use crate::error::AppError;
use crate::forms::CsrfForm;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use samenspel_domain::account::check_password;
use samenspel_domain::validation::required_text;
use samenspel_domain::Invalid;
use serde::Deserialize;

pub struct TokenLine {
    pub id: i64,
    pub name: String,
    pub created: String,
    pub last_used: String,
    pub revoked: bool,
}

pub struct RoleLine {
    pub region: String,
    pub region_name: String,
    pub role: String,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    layout: Layout,
    name: String,
    login: String,
    email: String,
    platform_admin: bool,
    roles: Vec<RoleLine>,
    tokens: Vec<TokenLine>,
    new_token: Option<String>,
    csrf: String,
    password_form: FormView,
    token_form: FormView,
}

fn password_form(csrf: &str) -> FormView {
    FormView::new("wachtwoord", "/account/wachtwoord", "Wachtwoord wijzigen", csrf)
        .field("huidig", "Huidig wachtwoord", "password", "", true)
        .autocomplete("current-password")
        .field("nieuw", "Nieuw wachtwoord", "password", "", true)
        .autocomplete("new-password")
        .hint("Minstens 12 tekens; een zin van een paar woorden werkt goed.")
}

fn token_form(csrf: &str, name: &str) -> FormView {
    FormView::new("token", "/account/tokens", "API-token aanmaken", csrf)
        .field("naam", "Waarvoor is het token?", "text", name, true)
        .hint("Bijvoorbeeld 'maandelijkse export'. Het token kan alles wat u kunt.")
}

async fn account_page(
    state: &AppState,
    user: &CurrentUser,
    forms: (Option<FormView>, Option<FormView>),
    new_token: Option<String>,
    notice: Option<Notice>,
    status: StatusCode,
) -> PageResult {
    let tokens = state
        .store
        .api_tokens_of(user.user.id)
        .await?
        .into_iter()
        .map(|t| TokenLine {
            id: t.id,
            name: t.name,
            created: show::datetime(t.created_at),
            last_used: t.last_used_at.map(show::datetime).unwrap_or_else(|| "nooit".into()),
            revoked: t.revoked_at.is_some(),
        })
        .collect();
    let roles = state
        .store
        .grants_of(user.user.id)
        .await?
        .into_iter()
        .map(|g| RoleLine {
            role: g.kind().map(|k| k.label()).unwrap_or("?").to_string()
                + &g.municipality_name
                    .map(|m| format!(" ({m})"))
                    .or(g.provider_name.map(|p| format!(" ({p})")))
                    .unwrap_or_default(),
            region: g.region_code,
            region_name: g.region_name,
        })
        .collect();
    let view = AccountPage {
        layout: Layout::for_user("Mijn account", user, "/account").with_notice(notice),
        name: user.user.display_name.clone(),
        login: user.user.login.clone(),
        email: user.user.email.clone().unwrap_or_default(),
        platform_admin: user.user.platform_admin,
        roles,
        tokens,
        new_token,
        csrf: user.csrf().to_string(),
        password_form: forms.0.unwrap_or_else(|| password_form(user.csrf())).done(),
        token_form: forms.1.unwrap_or_else(|| token_form(user.csrf(), "")).done(),
    };
    Ok(render(&view, status))
}

pub async fn page(State(state): State<AppState>, PageUser(user): PageUser, Query(q): Query<NoticeQuery>) -> PageResult {
    account_page(&state, &user, (None, None), None, success_notice(q.gelukt.as_deref(), None), StatusCode::OK).await
}

#[derive(Deserialize, Default)]
pub struct PasswordChange {
    #[serde(default)]
    huidig: String,
    #[serde(default)]
    nieuw: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    CsrfForm(user, form): CsrfForm<PasswordChange>,
) -> PageResult {
    let mut invalid = Invalid::new();
    // The same limit as logging in, so a stolen session cannot be used to guess the password.
    match verify_with_limit(&state, &user.user.login, &form.huidig, &user.client_ip).await? {
        Verdict::Correct { .. } => {}
        Verdict::Wrong => invalid.push("huidig", "mismatch", "Het huidige wachtwoord klopt niet."),
        Verdict::Locked { minutes } => invalid.push(
            "huidig",
            "locked",
            format!("Er is te vaak een verkeerd wachtwoord ingevuld. Probeer het over {minutes} minuten opnieuw."),
        ),
    }
    invalid.check("nieuw", check_password(&form.nieuw, &user.user.login));
    if !invalid.is_empty() {
        let f = password_form(user.csrf()).with_errors(&invalid);
        return account_page(&state, &user, (Some(f), None), None, None, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let new_hash = hash_password(form.nieuw).await.map_err(AppError::internal)?;
    // Ends every session of this user, this one included: they log in again with the new password.
    state.store.set_password(user.user.id, &new_hash, false, None, &user.actor("web")).await?;
    Ok(see_other("/inloggen?terug=/account"))
}

#[derive(Deserialize, Default)]
pub struct TokenRequest {
    #[serde(default)]
    naam: String,
}

pub async fn create_token(State(state): State<AppState>, CsrfForm(user, form): CsrfForm<TokenRequest>) -> PageResult {
    let name = match required_text(&form.naam, 2, 100) {
        Ok(n) => n,
        Err(e) => {
            let f = token_form(user.csrf(), &form.naam).with_errors(&Invalid::single("naam", &e.code, e.reason));
            return account_page(&state, &user, (None, Some(f)), None, None, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let token = new_api_token();
    state.store.create_api_token(user.user.id, &token_hash(&token), &name, &user.actor("web")).await?;
    let notice = Notice {
        kind: "ok",
        text: "Het API-token is aangemaakt. Kopieer het nu: het wordt maar één keer getoond.".into(),
    };
    account_page(&state, &user, (None, None), Some(token), Some(notice), StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn revoke_token(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(user, _): CsrfForm<Empty>,
) -> PageResult {
    state.store.revoke_api_token(user.user.id, id, &user.actor("web")).await?;
    Ok(see_other("/account?gelukt=token-ingetrokken"))
}
