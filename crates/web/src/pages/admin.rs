//! The audit log of a region, for its admins.

use super::{render, show, Layout, PageResult, Pager};
use crate::auth::{region_for, PageUser};
use crate::error::AppError;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use samenspel_store::audit::AuditScope;
use samenspel_store::PageRequest;
use serde::Deserialize;

pub struct AuditLine {
    pub at: String,
    pub actor: String,
    pub origin: String,
    pub action: String,
    pub object: String,
    pub result: String,
    pub before: String,
    pub after: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    layout: Layout,
    lines: Vec<AuditLine>,
    pager: Pager,
    total: i64,
}

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    page: Option<u32>,
}

const PAGE_SIZE: u32 = 50;

pub async fn audit_log(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(code): Path<String>,
    Query(q): Query<AuditQuery>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_view_audit_log() {
        return Err(AppError::forbidden().into());
    }
    let request = PageRequest { page: q.page.unwrap_or(1).max(1), page_size: PAGE_SIZE };
    let paged = state.store.audit_log(AuditScope::Region(region.id), request).await?;
    let lines = paged
        .items
        .into_iter()
        .map(|r| AuditLine {
            at: show::datetime(r.at),
            actor: r.actor_login,
            origin: r.origin,
            action: r.action,
            object: format!("{} {}", r.object_type, r.object_id),
            result: r.result,
            before: r.before_json.unwrap_or_default(),
            after: r.after_json.unwrap_or_default(),
        })
        .collect();
    let view = AuditPage {
        layout: Layout::for_region("Auditlog", &user, &region, &access, &format!("/regios/{}/auditlog", region.code)),
        lines,
        pager: Pager {
            prev_label: "Nieuwere regels",
            next_label: "Oudere regels",
            ..Pager::new(request.page, paged.total, PAGE_SIZE, |p| format!("/regios/{}/auditlog?page={p}", region.code))
        },
        total: paged.total,
    };
    Ok(render(&view, StatusCode::OK))
}
