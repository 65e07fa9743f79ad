//! Users and their roles in a region: who has access, adding people, granting and
//! withdrawing roles, and account changes by the region admin.

use super::home::NoticeQuery;
use super::{render, see_other, success_notice, FormView, Layout, Notice, PageError, PageResult, RegionCtx};
use crate::api::users::{create_with_role, withdraw_role};
use crate::auth::secrets::hash_password;
use crate::auth::{region_for, CurrentUser, PageUser};
use crate::error::AppError;
use crate::forms::CsrfForm;
use crate::input;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use samenspel_domain::access::{RegionAccess, RoleKind};
use samenspel_domain::account::{check_email, check_password, NewAccount};
use samenspel_domain::validation::required_text;
use samenspel_domain::Invalid;
use samenspel_store::regions::RegionRow;
use samenspel_store::users::GrantRow;
use samenspel_store::PageRequest;
use serde::Deserialize;

pub struct UserLine {
    pub id: i64,
    pub name: String,
    pub login: String,
    pub email: String,
    pub active: bool,
    pub roles: String,
}

fn describe(g: &GrantRow) -> String {
    let label = g.kind().map(RoleKind::label).unwrap_or("?");
    match (&g.municipality_name, &g.provider_name) {
        (Some(m), _) => format!("{label} ({m})"),
        (_, Some(p)) => format!("{label} ({p})"),
        _ => label.to_string(),
    }
}

/// Whether the viewer may see this user (same rule as the API).
fn visible(access: &RegionAccess, grants: &[GrantRow], user_id: i64) -> bool {
    access.can_view_roles_overview()
        || grants
            .iter()
            .any(|g| g.user_id == user_id && g.provider_id.is_some_and(|p| access.can_view_provider_staff(p)))
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    layout: Layout,
    code: String,
    admin: bool,
    users: Vec<UserLine>,
    form: Option<FormView>,
}

#[derive(Deserialize, Default, Clone)]
pub struct NewUserForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    naam: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    wachtwoord: String,
    #[serde(default)]
    rol: String,
    #[serde(default)]
    gemeentecode: String,
    #[serde(default, rename = "aanbiederId")]
    aanbieder_id: String,
}

async fn role_options(
    state: &AppState,
    region: &RegionRow,
) -> Result<(Vec<(String, String)>, Vec<(String, String)>, Vec<(String, String)>), PageError> {
    let roles = RoleKind::ALL.iter().map(|r| (r.code().to_string(), r.label().to_string())).collect();
    let today = samenspel_store::today();
    let mut municipalities = vec![(String::new(), "— alleen bij de rol Gemeente —".to_string())];
    municipalities.extend(
        state
            .store
            .memberships(region.id)
            .await?
            .into_iter()
            .filter(|m| m.is_active_on(today))
            .map(|m| (m.municipality_code, m.municipality_name)),
    );
    let mut providers = vec![(String::new(), "— alleen bij de rol Zorgaanbieder —".to_string())];
    providers.extend(
        state
            .store
            .providers(region.id, false, PageRequest::all())
            .await?
            .items
            .into_iter()
            .map(|p| (p.id.to_string(), p.name)),
    );
    Ok((roles, municipalities, providers))
}

async fn new_user_form(
    state: &AppState,
    user: &CurrentUser,
    region: &RegionRow,
    v: &NewUserForm,
) -> Result<FormView, PageError> {
    let (roles, municipalities, providers) = role_options(state, region).await?;
    Ok(FormView::new("nieuwe-gebruiker", format!("/regios/{}/gebruikers", region.code), "Gebruiker toevoegen", user.csrf())
        .field("naam", "Naam", "text", &v.naam, true)
        .autocomplete("off")
        .field("login", "Gebruikersnaam", "text", &v.login, true)
        .hint("3 tot 64 tekens: kleine letters, cijfers, punt of streepje.")
        .field("email", "E-mailadres", "email", &v.email, false)
        .field("wachtwoord", "Eerste wachtwoord", "password", "", false)
        .autocomplete("new-password")
        .hint("Minstens 12 tekens. Geef het de gebruiker op een veilige manier door. Zonder wachtwoord kan de gebruiker nog niet inloggen.")
        .select("rol", "Rol", &v.rol, roles, true)
        .select("gemeentecode", "Gemeente", &v.gemeentecode, municipalities, false)
        .select("aanbiederId", "Zorgaanbieder", &v.aanbieder_id, providers, false))
}

async fn list_page(
    ctx: &RegionCtx<'_>,
    form: Option<FormView>,
    notice: Option<Notice>,
    status: StatusCode,
) -> PageResult {
    let RegionCtx { state, user, region, access } = *ctx;
    if !access.can_view_roles_overview() && access.providers.is_empty() {
        return Err(AppError::forbidden().into());
    }
    let grants = state.store.grants_in_region(region.id).await?;
    let admin = access.can_manage_users();
    let users = state
        .store
        .users_in_region(region.id, PageRequest::all())
        .await?
        .items
        .into_iter()
        .filter(|u| visible(access, &grants, u.id))
        .map(|u| UserLine {
            roles: grants.iter().filter(|g| g.user_id == u.id).map(describe).collect::<Vec<_>>().join(", "),
            id: u.id,
            login: u.login,
            email: if admin { u.email.unwrap_or_default() } else { String::new() },
            active: u.active,
            name: u.display_name,
        })
        .collect();
    let form = match form {
        Some(f) => Some(f),
        None if admin => Some(
            new_user_form(state, user, region, &NewUserForm { rol: "gemeente".into(), ..Default::default() }).await?,
        ),
        None => None,
    };
    let view = UsersPage {
        layout: Layout::for_region(
            "Gebruikers en rollen",
            user,
            region,
            access,
            &format!("/regios/{}/gebruikers", region.code),
        )
        .with_notice(notice),
        code: region.code.clone(),
        admin,
        users,
        form: form.map(FormView::done),
    };
    Ok(render(&view, status))
}

pub async fn list(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(code): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    list_page(
        &RegionCtx { state: &state, user: &user, region: &region, access: &access },
        None,
        success_notice(q.gelukt.as_deref(), None),
        StatusCode::OK,
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    Path(code): Path<String>,
    CsrfForm(user, form): CsrfForm<NewUserForm>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_users() {
        return Err(AppError::forbidden().into());
    }
    let mut invalid = Invalid::new();
    let account =
        NewAccount::parse(&form.login, &form.naam, &form.email).map_err(|e| invalid.errors.extend(e.errors)).ok();
    let role = input::role(&form.rol, &form.gemeentecode, &form.aanbieder_id)
        .map_err(|e| invalid.errors.extend(e.errors))
        .ok();
    let password = (!form.wachtwoord.is_empty()).then(|| form.wachtwoord.clone());
    if let Some(p) = &password {
        invalid.check("wachtwoord", check_password(p, &form.login));
    }
    let result = match (account, role) {
        (Some(a), Some(r)) if invalid.is_empty() => {
            create_with_role(&state, &user, &region, &a, &r, password, "web").await
        }
        _ => Err(AppError::invalid(invalid)),
    };
    match result {
        Ok(created) => {
            Ok(see_other(&format!("/regios/{}/gebruikers/{}?gelukt=gebruiker-toegevoegd", region.code, created.id)))
        }
        Err(e) => {
            let invalid = super::form_problem(e)?;
            let f = new_user_form(&state, &user, &region, &form).await?.with_errors(&invalid);
            list_page(
                &RegionCtx { state: &state, user: &user, region: &region, access: &access },
                Some(f),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

pub struct GrantLine {
    pub id: i64,
    pub label: String,
}

#[derive(Template)]
#[template(path = "user.html")]
struct UserPage {
    layout: Layout,
    code: String,
    id: i64,
    name: String,
    login: String,
    email: String,
    active: bool,
    admin: bool,
    csrf: String,
    grants: Vec<GrantLine>,
    role_form: Option<FormView>,
    account_form: Option<FormView>,
    password_form: Option<FormView>,
}

#[derive(Deserialize, Default, Clone)]
pub struct AccountForm {
    #[serde(default)]
    naam: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    actief: String,
}

#[derive(Deserialize, Default, Clone)]
pub struct RoleForm {
    #[serde(default)]
    rol: String,
    #[serde(default)]
    gemeentecode: String,
    #[serde(default, rename = "aanbiederId")]
    aanbieder_id: String,
}

#[derive(Deserialize, Default, Clone)]
pub struct PasswordForm {
    #[serde(default)]
    wachtwoord: String,
}

async fn role_form(ctx: &RegionCtx<'_>, id: i64, v: &RoleForm) -> Result<FormView, PageError> {
    let (roles, municipalities, providers) = role_options(ctx.state, ctx.region).await?;
    Ok(FormView::new(
        "rol",
        format!("/regios/{}/gebruikers/{id}/rollen", ctx.region.code),
        "Rol toekennen",
        ctx.user.csrf(),
    )
    .select("rol", "Rol", &v.rol, roles, true)
    .select("gemeentecode", "Gemeente", &v.gemeentecode, municipalities, false)
    .select("aanbiederId", "Zorgaanbieder", &v.aanbieder_id, providers, false))
}

fn account_form(ctx: &RegionCtx<'_>, id: i64, v: &AccountForm) -> FormView {
    FormView::new(
        "account",
        format!("/regios/{}/gebruikers/{id}", ctx.region.code),
        "Gegevens opslaan",
        ctx.user.csrf(),
    )
    .field("naam", "Naam", "text", &v.naam, true)
    .field("email", "E-mailadres", "email", &v.email, false)
    .field("actief", "Account actief (kan inloggen)", "checkbox", &v.actief, false)
}

fn password_form(ctx: &RegionCtx<'_>, id: i64) -> FormView {
    FormView::new(
        "wachtwoord",
        format!("/regios/{}/gebruikers/{id}/wachtwoord", ctx.region.code),
        "Wachtwoord instellen",
        ctx.user.csrf(),
    )
    .field("wachtwoord", "Nieuw wachtwoord", "password", "", true)
    .autocomplete("new-password")
    .hint("Minstens 12 tekens. De sessies van de gebruiker worden beëindigd.")
}

#[derive(Default)]
struct UserForms {
    role: Option<FormView>,
    account: Option<FormView>,
    password: Option<FormView>,
}

async fn detail_page(
    ctx: &RegionCtx<'_>,
    id: i64,
    forms: UserForms,
    notice: Option<Notice>,
    status: StatusCode,
) -> PageResult {
    let RegionCtx { state, user, region, access } = *ctx;
    let grants = state.store.grants_in_region(region.id).await?;
    if !(grants.iter().any(|g| g.user_id == id) || user.principal.platform_admin) || !visible(access, &grants, id) {
        return Err(AppError::not_found().into());
    }
    let target = state.store.user(id).await?;
    let admin = access.can_manage_users();
    let may_manage_account = admin && user.principal.can_manage_account(&state.store.principal(id).await?);
    let role_form = match forms.role {
        Some(f) => Some(f),
        None if admin => Some(role_form(ctx, id, &RoleForm::default()).await?),
        None => None,
    };
    let current = AccountForm {
        naam: target.display_name.clone(),
        email: target.email.clone().unwrap_or_default(),
        actief: if target.active { "on".into() } else { String::new() },
    };
    let account_form = forms.account.or_else(|| may_manage_account.then(|| account_form(ctx, id, &current)));
    let password_form = forms.password.or_else(|| may_manage_account.then(|| password_form(ctx, id)));
    let view = UserPage {
        layout: Layout::for_region(
            &target.display_name,
            user,
            region,
            access,
            &format!("/regios/{}/gebruikers", region.code),
        )
        .with_notice(notice),
        code: region.code.clone(),
        id,
        name: target.display_name,
        login: target.login,
        email: if admin { target.email.unwrap_or_default() } else { String::new() },
        active: target.active,
        admin,
        csrf: user.csrf().to_string(),
        grants: grants.iter().filter(|g| g.user_id == id).map(|g| GrantLine { id: g.id, label: describe(g) }).collect(),
        role_form: role_form.map(FormView::done),
        account_form: account_form.map(FormView::done),
        password_form: password_form.map(FormView::done),
    };
    Ok(render(&view, status))
}

pub async fn detail(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path((code, id)): Path<(String, i64)>,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    detail_page(
        &RegionCtx { state: &state, user: &user, region: &region, access: &access },
        id,
        UserForms::default(),
        success_notice(q.gelukt.as_deref(), None),
        StatusCode::OK,
    )
    .await
}

/// Checks that the viewer may manage this account (see `Principal::can_manage_account`).
async fn may_manage(ctx: &RegionCtx<'_>, id: i64) -> Result<(), PageError> {
    let RegionCtx { state, user, region, access } = *ctx;
    let grants = state.store.grants_in_region(region.id).await?;
    if !(grants.iter().any(|g| g.user_id == id) || user.principal.platform_admin) {
        return Err(AppError::not_found().into());
    }
    if !access.can_manage_users() || !user.principal.can_manage_account(&state.store.principal(id).await?) {
        return Err(AppError::forbidden().into());
    }
    Ok(())
}

pub async fn update(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(user, form): CsrfForm<AccountForm>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    may_manage(&RegionCtx { state: &state, user: &user, region: &region, access: &access }, id).await?;
    let mut invalid = Invalid::new();
    let name = invalid.check("naam", required_text(&form.naam, 2, 120));
    let email = if form.email.trim().is_empty() {
        Some(None)
    } else {
        invalid.check("email", check_email(&form.email)).map(Some)
    };
    let active = form.actief == "on";
    if !active && id == user.user.id {
        invalid.push("actief", "self", "U kunt uw eigen account niet uitzetten.");
    }
    let result = match (name, email) {
        (Some(n), Some(e)) if invalid.is_empty() => state
            .store
            .update_user(id, &n, e.as_deref(), active, Some(region.id), &user.actor("web"))
            .await
            .map_err(AppError::from),
        _ => Err(AppError::invalid(invalid)),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/regios/{}/gebruikers/{id}?gelukt=opgeslagen", region.code))),
        Err(e) => {
            let invalid = super::form_problem(e)?;
            let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
            let f = account_form(&ctx, id, &form).with_errors(&invalid);
            let forms = UserForms { account: Some(f), ..Default::default() };
            detail_page(&ctx, id, forms, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

pub async fn reset_password(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(user, form): CsrfForm<PasswordForm>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    may_manage(&RegionCtx { state: &state, user: &user, region: &region, access: &access }, id).await?;
    let target = state.store.user(id).await?;
    if let Err(e) = check_password(&form.wachtwoord, &target.login) {
        let invalid = Invalid::single("wachtwoord", &e.code, e.reason);
        let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
        let f = password_form(&ctx, id).with_errors(&invalid);
        let forms = UserForms { password: Some(f), ..Default::default() };
        return detail_page(&ctx, id, forms, None, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let hash = hash_password(form.wachtwoord).await.map_err(AppError::internal)?;
    state.store.set_password(id, &hash, id != user.user.id, Some(region.id), &user.actor("web")).await?;
    Ok(see_other(&format!("/regios/{}/gebruikers/{id}?gelukt=wachtwoord-gewijzigd", region.code)))
}

pub async fn add_role(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(user, form): CsrfForm<RoleForm>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_users() {
        return Err(AppError::forbidden().into());
    }
    let grants = state.store.grants_in_region(region.id).await?;
    if !(grants.iter().any(|g| g.user_id == id) || user.principal.platform_admin) {
        return Err(AppError::not_found().into());
    }
    let result = match input::role(&form.rol, &form.gemeentecode, &form.aanbieder_id) {
        Ok(role) => state.store.add_grant(id, region.id, &role, &user.actor("web")).await.map_err(AppError::from),
        Err(invalid) => Err(AppError::invalid(invalid)),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/regios/{}/gebruikers/{id}?gelukt=rol-toegevoegd", region.code))),
        Err(e) => {
            let invalid = super::form_problem(e)?;
            let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
            let f = role_form(&ctx, id, &form).await?.with_errors(&invalid);
            let forms = UserForms { role: Some(f), ..Default::default() };
            detail_page(&ctx, id, forms, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn remove_role(
    State(state): State<AppState>,
    Path((code, id, grant_id)): Path<(String, i64, i64)>,
    CsrfForm(user, _): CsrfForm<Empty>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_users() {
        return Err(AppError::forbidden().into());
    }
    match withdraw_role(&state, &user, &region, id, grant_id, "web").await {
        Ok(()) => Ok(see_other(&format!("/regios/{}/gebruikers/{id}?gelukt=rol-ingetrokken", region.code))),
        Err(e) => {
            let invalid = super::form_problem(e)?;
            let text = invalid.errors.iter().map(|e| e.reason.as_str()).collect::<Vec<_>>().join(" ");
            let notice = Some(Notice { kind: "error", text });
            detail_page(
                &RegionCtx { state: &state, user: &user, region: &region, access: &access },
                id,
                UserForms::default(),
                notice,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}
