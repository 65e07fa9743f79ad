//! Pagination for every collection: `page` (from 1) and `pageSize` (1–100, default 20) in
//! the query, the page in the body, and an RFC 8288 `Link` header with first, prev, next
//! and last.

use axum::http::{header, HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use samenspel_domain::Invalid;
use samenspel_store::{PageRequest, Paged};
use serde::{Deserialize, Serialize};

pub const DEFAULT_PAGE_SIZE: u32 = 20;

/// The pagination part of a query string.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page number, from 1.
    #[param(minimum = 1, default = 1)]
    pub page: Option<String>,
    /// Items per page, 1 to 100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub page_size: Option<String>,
}

impl PageQuery {
    pub fn request(&self) -> Result<PageRequest, Invalid> {
        let mut invalid = Invalid::new();
        let page = match self.page.as_deref().map(str::parse::<u32>) {
            None => 1,
            Some(Ok(p)) if p >= 1 => p,
            Some(_) => {
                invalid.push("page", "range", "page is een geheel getal van 1 of meer.");
                1
            }
        };
        let page_size = match self.page_size.as_deref().map(str::parse::<u32>) {
            None => DEFAULT_PAGE_SIZE,
            Some(Ok(s)) if (1..=PageRequest::MAX_PAGE_SIZE).contains(&s) => s,
            Some(_) => {
                invalid.push("pageSize", "range", "pageSize is een geheel getal van 1 tot en met 100.");
                DEFAULT_PAGE_SIZE
            }
        };
        invalid.finish(|| PageRequest { page, page_size })
    }
}

/// One page of a collection.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    pub items: Vec<T>,
    /// This page's number (from 1).
    pub page: u32,
    pub page_size: u32,
    /// Items in the whole collection.
    pub total_items: i64,
    pub total_pages: i64,
}

/// A page plus the request URI to build the `Link` header from.
pub struct PageResponse<T> {
    pub page: Page<T>,
    pub uri: Uri,
}

pub fn page<R, T>(paged: Paged<R>, request: PageRequest, uri: &Uri, map: impl FnMut(R) -> T) -> PageResponse<T> {
    let total_pages = ((paged.total + i64::from(request.page_size) - 1) / i64::from(request.page_size)).max(1);
    PageResponse {
        page: Page {
            items: paged.items.into_iter().map(map).collect(),
            page: request.page,
            page_size: request.page_size,
            total_items: paged.total,
            total_pages,
        },
        uri: uri.clone(),
    }
}

/// A whole (small) list as one page, for collections that are bounded by nature.
pub fn single_page<T>(items: Vec<T>, request: PageRequest, uri: &Uri) -> PageResponse<T> {
    let total = items.len() as i64;
    let start = (request.offset() as usize).min(items.len());
    let items: Vec<T> = items.into_iter().skip(start).take(request.page_size as usize).collect();
    page(Paged { items, total }, request, uri, |t| t)
}

fn link_to(uri: &Uri, page: i64, page_size: u32) -> String {
    let kept: Vec<(String, String)> = uri
        .query()
        .map(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).unwrap_or_default())
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| k != "page" && k != "pageSize")
        .collect();
    let mut query = kept;
    query.push(("page".into(), page.to_string()));
    query.push(("pageSize".into(), page_size.to_string()));
    format!("{}?{}", uri.path(), serde_urlencoded::to_string(query).unwrap_or_default())
}

impl<T: Serialize> IntoResponse for PageResponse<T> {
    fn into_response(self) -> Response {
        let p = &self.page;
        let current = i64::from(p.page);
        let mut links = vec![
            format!("<{}>; rel=\"first\"", link_to(&self.uri, 1, p.page_size)),
            format!("<{}>; rel=\"last\"", link_to(&self.uri, p.total_pages, p.page_size)),
        ];
        if current > 1 {
            links
                .push(format!("<{}>; rel=\"prev\"", link_to(&self.uri, (current - 1).min(p.total_pages), p.page_size)));
        }
        if current < p.total_pages {
            links.push(format!("<{}>; rel=\"next\"", link_to(&self.uri, current + 1, p.page_size)));
        }
        let mut response = Json(self.page).into_response();
        if let Ok(value) = HeaderValue::from_str(&links.join(", ")) {
            response.headers_mut().insert(header::LINK, value);
        }
        response
    }
}
