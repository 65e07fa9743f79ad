//! `/audit-log`: who changed what, readable by region admins (their region) and platform
//! administrators (everything).

use super::pagination::{page, PageQuery, PageResponse};
use crate::auth::{region_for, ApiUser};
use crate::error::{AppError, AppResult, Problem};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::Uri;
use samenspel_store::audit::{AuditRow, AuditScope};
use serde::Serialize;

/// One audit entry (BIO 8.15.01: action, object, result, origin, actor, timestamp).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditRegel {
    pub id: i64,
    #[schema(format = DateTime)]
    pub tijdstip: String,
    /// Login of who acted (`cli`, `systeem` for the command line and start-up).
    pub actor: String,
    /// Door and client address, e.g. `web 192.0.2.1`.
    pub herkomst: String,
    pub actie: String,
    pub object_type: String,
    pub object_id: String,
    /// `gelukt` or `mislukt`.
    pub resultaat: String,
    /// The object before the change.
    #[schema(value_type = Option<Object>)]
    pub voor: Option<serde_json::Value>,
    /// The object after the change.
    #[schema(value_type = Option<Object>)]
    pub na: Option<serde_json::Value>,
}

impl From<AuditRow> for AuditRegel {
    fn from(r: AuditRow) -> Self {
        let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        AuditRegel {
            id: r.id,
            tijdstip: super::timestamp(r.at),
            actor: r.actor_login,
            herkomst: r.origin,
            actie: r.action,
            object_type: r.object_type,
            object_id: r.object_id,
            resultaat: r.result,
            voor: parse(r.before_json),
            na: parse(r.after_json),
        }
    }
}

#[utoipa::path(get, path = "/regios/{code}/audit-log", tag = "audit-log", params(("code" = String, Path), PageQuery),
    responses((status = 200, description = "Newest first", body = super::pagination::Page<AuditRegel>),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn region_log(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    uri: Uri,
    Query(q): Query<PageQuery>,
) -> AppResult<PageResponse<AuditRegel>> {
    let request = q.request()?;
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_view_audit_log() {
        return Err(AppError::forbidden());
    }
    let paged = state.store.audit_log(AuditScope::Region(region.id), request).await?;
    Ok(page(paged, request, &uri, AuditRegel::from))
}

#[utoipa::path(get, path = "/audit-log", tag = "audit-log", params(PageQuery),
    responses((status = 200, description = "The whole log, newest first (platform administrators)", body = super::pagination::Page<AuditRegel>),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn platform_log(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    uri: Uri,
    Query(q): Query<PageQuery>,
) -> AppResult<PageResponse<AuditRegel>> {
    let request = q.request()?;
    if !user.principal.platform_admin {
        return Err(AppError::forbidden());
    }
    let paged = state.store.audit_log(AuditScope::All, request).await?;
    Ok(page(paged, request, &uri, AuditRegel::from))
}
