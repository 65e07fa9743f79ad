//! The CBS reference list of municipalities, searchable.

use super::{render, Layout, PageResult, Pager};
use crate::auth::PageUser;
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use samenspel_store::reference::MunicipalityFilter;
use samenspel_store::PageRequest;
use serde::Deserialize;

pub struct Line {
    pub code: String,
    pub name: String,
    pub province: String,
    pub inhabitants: String,
}

#[derive(Template)]
#[template(path = "municipalities.html")]
struct MunicipalitiesPage {
    layout: Layout,
    search: String,
    lines: Vec<Line>,
    pager: Pager,
    total: i64,
    year: i32,
}

#[derive(Deserialize, Default)]
pub struct SearchQuery {
    naam: Option<String>,
    page: Option<u32>,
}

const PAGE_SIZE: u32 = 50;

pub async fn municipalities(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Query(q): Query<SearchQuery>,
) -> PageResult {
    let search = q.naam.unwrap_or_default();
    let request = PageRequest { page: q.page.unwrap_or(1).max(1), page_size: PAGE_SIZE };
    let filter =
        MunicipalityFilter { name: Some(search.clone()).filter(|s| !s.trim().is_empty()), ..Default::default() };
    let paged = state.store.municipalities(&filter, request).await?;
    let query = |page: u32| {
        serde_urlencoded::to_string([("naam", search.as_str()), ("page", &page.to_string())]).unwrap_or_default()
    };
    let view = MunicipalitiesPage {
        layout: Layout::for_user("Gemeenten", &user, "/gemeenten"),
        lines: paged
            .items
            .into_iter()
            .map(|m| Line {
                inhabitants: samenspel_domain::nl::integer(m.inhabitants),
                code: m.code,
                name: m.name,
                province: m.province_name,
            })
            .collect(),
        pager: Pager::new(request.page, paged.total, PAGE_SIZE, |p| format!("/gemeenten?{}", query(p))),
        total: paged.total,
        year: state.store.reference_year().await?.unwrap_or(0),
        search,
    };
    Ok(render(&view, StatusCode::OK))
}
