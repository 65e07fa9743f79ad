//! `/mij` and `/regios/{code}/gebruikers`: accounts and the roles they hold.

use super::json::ApiJson;
use super::pagination::{single_page, PageQuery, PageResponse};
use crate::auth::secrets::hash_password;
use crate::auth::{region_for, ApiUser, CurrentUser};
use crate::error::{AppError, AppResult, Problem};
use crate::input;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::Json;
use samenspel_domain::access::{RegionAccess, Role};
use samenspel_domain::account::{check_email, check_password, NewAccount};
use samenspel_domain::validation::required_text;
use samenspel_domain::Invalid;
use samenspel_store::regions::RegionRow;
use samenspel_store::users::{GrantRow, UserRow};
use serde::{Deserialize, Serialize};

/// A role held in a region.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Rol {
    pub id: i64,
    /// Region code.
    pub regio: String,
    /// `regiobeheerder`, `gemeente`, `aanbieder`, `coach` or `waarnemer`.
    pub rol: String,
    /// For `gemeente`: the municipality.
    pub gemeentecode: Option<String>,
    /// For `aanbieder`: the provider.
    pub aanbieder_id: Option<i64>,
}

impl From<&GrantRow> for Rol {
    fn from(g: &GrantRow) -> Self {
        Rol {
            id: g.id,
            regio: g.region_code.clone(),
            rol: g.role.clone(),
            gemeentecode: g.municipality_code.clone(),
            aanbieder_id: g.provider_id,
        }
    }
}

/// A user with their roles in this region. E-mail and account state only for region admins.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Gebruiker {
    pub id: i64,
    pub login: String,
    pub naam: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actief: Option<bool>,
    pub rollen: Vec<Rol>,
}

/// The signed-in user.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Mij {
    pub id: i64,
    pub login: String,
    pub naam: String,
    pub email: Option<String>,
    /// May set up regions and acts as region admin everywhere.
    pub platformbeheerder: bool,
    /// Roles in every region.
    pub rollen: Vec<Rol>,
}

/// A new account with its first role in this region.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct NieuweGebruiker {
    pub login: Option<String>,
    pub naam: Option<String>,
    pub email: Option<String>,
    /// Initial password (at least 12 characters); without one the account cannot log in yet.
    pub wachtwoord: Option<String>,
    pub rol: Option<String>,
    pub gemeentecode: Option<String>,
    pub aanbieder_id: Option<i64>,
}

/// Changes to an account; absent fields stay as they are.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct GebruikerWijziging {
    pub naam: Option<String>,
    pub email: Option<String>,
    pub actief: Option<bool>,
    /// A new password; ends the user's sessions.
    pub wachtwoord: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct NieuweRol {
    pub rol: Option<String>,
    pub gemeentecode: Option<String>,
    pub aanbieder_id: Option<i64>,
}

fn role_from(rol: &Option<String>, gemeentecode: &Option<String>, aanbieder_id: Option<i64>) -> Result<Role, Invalid> {
    let provider = aanbieder_id.map(|p| p.to_string()).unwrap_or_default();
    let mut role = input::role(rol.as_deref().unwrap_or(""), gemeentecode.as_deref().unwrap_or(""), &provider);
    if rol.is_none() {
        role = Err(Invalid::single("rol", "required", "Kies een rol."));
    }
    role
}

/// Which users of the region this viewer may see.
fn visible(access: &RegionAccess, grants: &[GrantRow], user_id: i64) -> bool {
    if access.can_view_roles_overview() {
        return true;
    }
    grants
        .iter()
        .filter(|g| g.user_id == user_id)
        .any(|g| g.provider_id.is_some_and(|p| access.can_view_provider_staff(p)))
}

fn gebruiker(user: UserRow, grants: &[GrantRow], access: &RegionAccess) -> Gebruiker {
    let admin = access.can_manage_users();
    Gebruiker {
        rollen: grants.iter().filter(|g| g.user_id == user.id).map(Rol::from).collect(),
        id: user.id,
        login: user.login,
        naam: user.display_name,
        email: if admin { user.email } else { None },
        actief: admin.then_some(user.active),
    }
}

#[utoipa::path(get, path = "/mij", tag = "gebruikers",
    responses((status = 200, body = Mij)))]
pub async fn me(State(state): State<AppState>, ApiUser(user): ApiUser) -> AppResult<Json<Mij>> {
    let grants = state.store.grants_of(user.user.id).await?;
    Ok(Json(Mij {
        id: user.user.id,
        login: user.user.login,
        naam: user.user.display_name,
        email: user.user.email,
        platformbeheerder: user.user.platform_admin,
        rollen: grants.iter().map(Rol::from).collect(),
    }))
}

#[utoipa::path(get, path = "/regios/{code}/gebruikers", tag = "gebruikers", params(("code" = String, Path), PageQuery),
    responses((status = 200, body = super::pagination::Page<Gebruiker>),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    uri: Uri,
    Query(q): Query<PageQuery>,
) -> AppResult<PageResponse<Gebruiker>> {
    let request = q.request()?;
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_view_roles_overview() && access.providers.is_empty() {
        return Err(AppError::forbidden());
    }
    let grants = state.store.grants_in_region(region.id).await?;
    let users = state.store.users_in_region(region.id, samenspel_store::PageRequest::all()).await?.items;
    let shown: Vec<Gebruiker> =
        users.into_iter().filter(|u| visible(&access, &grants, u.id)).map(|u| gebruiker(u, &grants, &access)).collect();
    Ok(single_page(shown, request, &uri))
}

/// A user of the region the viewer may see, with the region's grants.
async fn user_in_region(
    state: &AppState,
    viewer: &CurrentUser,
    region: &RegionRow,
    access: &RegionAccess,
    id: i64,
) -> AppResult<(UserRow, Vec<GrantRow>)> {
    let grants = state.store.grants_in_region(region.id).await?;
    let holds_role = grants.iter().any(|g| g.user_id == id);
    if !(holds_role || viewer.principal.platform_admin) || !visible(access, &grants, id) {
        return Err(AppError::not_found());
    }
    Ok((state.store.user(id).await?, grants))
}

#[utoipa::path(get, path = "/regios/{code}/gebruikers/{id}", tag = "gebruikers", params(("code" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = Gebruiker)))]
pub async fn get(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
) -> AppResult<Json<Gebruiker>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    let (target, grants) = user_in_region(&state, &user, &region, &access, id).await?;
    Ok(Json(gebruiker(target, &grants, &access)))
}

#[utoipa::path(post, path = "/regios/{code}/gebruikers", tag = "gebruikers", params(("code" = String, Path)), request_body = NieuweGebruiker,
    responses((status = 201, body = Gebruiker),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    body: ApiJson<NieuweGebruiker>,
) -> AppResult<(StatusCode, Json<Gebruiker>)> {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_users() {
        return Err(AppError::forbidden());
    }
    let (account, role, password) = body.check(|b| {
        let mut invalid = Invalid::new();
        let account = NewAccount::parse(
            b.login.as_deref().unwrap_or(""),
            b.naam.as_deref().unwrap_or(""),
            b.email.as_deref().unwrap_or(""),
        )
        .map_err(|e| invalid.errors.extend(e.errors))
        .ok();
        let role = role_from(&b.rol, &b.gemeentecode, b.aanbieder_id).map_err(|e| invalid.errors.extend(e.errors)).ok();
        if let Some(p) = &b.wachtwoord {
            invalid.check("wachtwoord", check_password(p, b.login.as_deref().unwrap_or("")));
        }
        match (account, role) {
            (Some(a), Some(r)) if invalid.is_empty() => Ok((a, r, b.wachtwoord.clone())),
            _ => Err(invalid),
        }
    })?;
    let created = create_with_role(&state, &user, &region, &account, &role, password, "api").await?;
    let grants = state.store.grants_in_region(region.id).await?;
    Ok((StatusCode::CREATED, Json(gebruiker(created, &grants, &access))))
}

/// Creates an account with its first role, in one transaction; shared with the pages.
pub async fn create_with_role(
    state: &AppState,
    actor_user: &CurrentUser,
    region: &RegionRow,
    account: &NewAccount,
    role: &Role,
    password: Option<String>,
    door: &str,
) -> AppResult<UserRow> {
    let hash = match password {
        Some(p) => Some(hash_password(p).await.map_err(AppError::internal)?),
        None => None,
    };
    let actor = actor_user.actor(door);
    Ok(state.store.create_user_in_region(account, hash.as_deref(), region.id, role, &actor).await?)
}

#[utoipa::path(patch, path = "/regios/{code}/gebruikers/{id}", tag = "gebruikers", params(("code" = String, Path), ("id" = i64, Path)),
    request_body = GebruikerWijziging,
    responses((status = 200, body = Gebruiker),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn update(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    body: ApiJson<GebruikerWijziging>,
) -> AppResult<Json<Gebruiker>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    let (target, _) = user_in_region(&state, &user, &region, &access, id).await?;
    let target_principal = state.store.principal(id).await?;
    if !access.can_manage_users() || !user.principal.can_manage_account(&target_principal) {
        return Err(AppError::forbidden());
    }
    let (name, email, active, password) = body.check(|b| {
        let mut invalid = Invalid::new();
        let name = invalid.check("naam", required_text(b.naam.as_deref().unwrap_or(&target.display_name), 2, 120));
        let email = match b.email.as_deref().or(target.email.as_deref()) {
            None | Some("") => Some(None),
            Some(e) => invalid.check("email", check_email(e)).map(Some),
        };
        if let Some(p) = &b.wachtwoord {
            invalid.check("wachtwoord", check_password(p, &target.login));
        }
        if b.actief == Some(false) && id == user.user.id {
            invalid.push("actief", "self", "U kunt uw eigen account niet uitzetten.");
        }
        match (name, email) {
            (Some(n), Some(e)) if invalid.is_empty() => {
                Ok((n, e, b.actief.unwrap_or(target.active), b.wachtwoord.clone()))
            }
            _ => Err(invalid),
        }
    })?;
    let actor = user.actor("api");
    state.store.update_user(id, &name, email.as_deref(), active, Some(region.id), &actor).await?;
    if let Some(password) = password {
        let hash = hash_password(password).await.map_err(AppError::internal)?;
        state.store.set_password(id, &hash, id != user.user.id, Some(region.id), &actor).await?;
    }
    let grants = state.store.grants_in_region(region.id).await?;
    Ok(Json(gebruiker(state.store.user(id).await?, &grants, &access)))
}

#[utoipa::path(post, path = "/regios/{code}/gebruikers/{id}/rollen", tag = "gebruikers", params(("code" = String, Path), ("id" = i64, Path)),
    request_body = NieuweRol,
    responses((status = 201, body = Rol),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn add_role(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    body: ApiJson<NieuweRol>,
) -> AppResult<(StatusCode, Json<Rol>)> {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_users() {
        return Err(AppError::forbidden());
    }
    user_in_region(&state, &user, &region, &access, id).await?;
    let role = body.check(|b| role_from(&b.rol, &b.gemeentecode, b.aanbieder_id))?;
    let grant = state.store.add_grant(id, region.id, &role, &user.actor("api")).await?;
    Ok((StatusCode::CREATED, Json(Rol::from(&grant))))
}

#[utoipa::path(delete, path = "/regios/{code}/gebruikers/{id}/rollen/{rol_id}", tag = "gebruikers",
    params(("code" = String, Path), ("id" = i64, Path), ("rol_id" = i64, Path)),
    responses((status = 204, description = "Role withdrawn"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn remove_role(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id, grant_id)): Path<(String, i64, i64)>,
) -> AppResult<StatusCode> {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_users() {
        return Err(AppError::forbidden());
    }
    withdraw_role(&state, &user, &region, id, grant_id, "api").await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Withdraws a role; shared with the pages. An admin cannot withdraw their own admin role,
/// so a region cannot lock itself out by accident.
pub async fn withdraw_role(
    state: &AppState,
    user: &CurrentUser,
    region: &RegionRow,
    user_id: i64,
    grant_id: i64,
    door: &str,
) -> AppResult<()> {
    let grants = state.store.grants_in_region(region.id).await?;
    let grant = grants.iter().find(|g| g.id == grant_id && g.user_id == user_id).ok_or_else(AppError::not_found)?;
    if user_id == user.user.id && grant.role == "regiobeheerder" {
        return Err(AppError::invalid(Invalid::single(
            "rol",
            "self",
            "U kunt uw eigen beheerdersrol niet intrekken; vraag een andere beheerder.",
        )));
    }
    state.store.remove_grant(region.id, grant_id, &user.actor(door)).await?;
    Ok(())
}
