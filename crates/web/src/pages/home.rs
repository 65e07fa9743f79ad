//! The start page, the list of regions (and setting one up), and a region's overview.

use super::{render, see_other, show, success_notice, FormView, Layout, PageError, PageResult};
use crate::api::regions::{figures_table, new_region, NieuweRegio};
use crate::auth::{region_for, PageUser};
use crate::forms::CsrfForm;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use samenspel_domain::access::RoleKind;
use samenspel_domain::region::Domain;
use samenspel_domain::Invalid;
use samenspel_store::PageRequest;
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct NoticeQuery {
    pub gelukt: Option<String>,
}

/// `/`: straight to the region when the user has one, else the list.
pub async fn start(State(state): State<AppState>, PageUser(user): PageUser) -> PageResult {
    let regions = state.store.regions().await?;
    let mine: Vec<_> = regions.iter().filter(|r| user.in_region(r).any()).collect();
    Ok(match mine.as_slice() {
        [only] if !user.principal.platform_admin => see_other(&format!("/regios/{}", only.code)),
        _ => see_other("/regios"),
    })
}

pub struct RegionLine {
    pub code: String,
    pub name: String,
    pub domain: &'static str,
    pub roles: String,
}

#[derive(Template)]
#[template(path = "regions.html")]
struct RegionsPage {
    layout: Layout,
    regions: Vec<RegionLine>,
    form: Option<FormView>,
}

fn domain_options() -> Vec<(String, String)> {
    Domain::ALL.iter().map(|d| (d.code().to_string(), d.label().to_string())).collect()
}

async fn create_form(state: &AppState, csrf: &str, values: &RegionForm) -> Result<FormView, PageError> {
    let mut options = vec![(String::new(), "— geen: ik noem de leden zelf —".to_string())];
    for y in state.store.youth_regions().await? {
        options.push((y.code.clone(), format!("{} {} ({} gemeenten)", y.code, y.name, y.member_count)));
    }
    Ok(FormView::new("nieuwe-regio", "/regios", "Regio aanmaken", csrf)
        .select("jeugdregio", "Uitgaan van jeugdregio (CBS-indeling)", &values.jeugdregio, options, false)
        .hint("Naam en leden worden dan overgenomen uit de CBS-indeling; u kunt ze daarna aanpassen.")
        .select("domein", "Domein", &values.domein, domain_options(), true)
        .field("naam", "Naam", "text", &values.naam, false)
        .hint("Laat leeg om de naam van de jeugdregio te gebruiken.")
        .field("code", "Code in de adresbalk", "text", &values.code, false)
        .hint(
            "Kleine letters, cijfers en streepjes, zoals holland-rijnland. Laat leeg om hem uit de naam af te leiden.",
        )
        .field("leden", "Leden (CBS-codes)", "text", &values.leden, false)
        .hint("Alleen zonder jeugdregio: CBS-codes gescheiden door komma's, zoals GM0518, GM0503.")
        .field("lidVanaf", "Leden vanaf", "date", &values.lid_vanaf, false)
        .hint("Standaard 1 januari van dit jaar."))
}

async fn regions_page(
    state: &AppState,
    user: &crate::auth::CurrentUser,
    form: Option<FormView>,
    notice: Option<super::Notice>,
    status: StatusCode,
) -> PageResult {
    let mut lines = Vec::new();
    for r in state.store.regions().await? {
        let access = user.in_region(&r);
        if !access.any() {
            continue;
        }
        let mut roles: Vec<&str> =
            user.principal.grants.iter().filter(|g| g.region_id == r.id).map(|g| g.role.kind().label()).collect();
        if user.principal.platform_admin {
            roles.push("Platformbeheerder");
        }
        roles.dedup();
        lines.push(RegionLine { domain: r.domain().label(), code: r.code, name: r.name, roles: roles.join(", ") });
    }
    let form = match form {
        Some(f) => Some(f),
        None if user.principal.can_create_regions() => {
            Some(create_form(state, user.csrf(), &RegionForm::default()).await?)
        }
        None => None,
    };
    let page = RegionsPage {
        layout: Layout::for_user("Regio's", user, "/regios").with_notice(notice),
        regions: lines,
        form: form.map(FormView::done),
    };
    Ok(render(&page, status))
}

pub async fn regions(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    regions_page(&state, &user, None, success_notice(q.gelukt.as_deref(), None), StatusCode::OK).await
}

#[derive(Deserialize, Default)]
pub struct RegionForm {
    #[serde(default)]
    jeugdregio: String,
    #[serde(default)]
    domein: String,
    #[serde(default)]
    naam: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    leden: String,
    #[serde(default, rename = "lidVanaf")]
    lid_vanaf: String,
}

pub async fn create_region(State(state): State<AppState>, CsrfForm(user, form): CsrfForm<RegionForm>) -> PageResult {
    if !user.principal.can_create_regions() {
        return Err(crate::error::AppError::forbidden().into());
    }
    let blank = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
    let request = NieuweRegio {
        jeugdregio: blank(&form.jeugdregio),
        code: blank(&form.code),
        naam: blank(&form.naam),
        domein: blank(&form.domein),
        leden: blank(&form.leden)
            .map(|l| l.split([',', ';', ' ']).filter(|s| !s.is_empty()).map(str::to_string).collect()),
        centrumgemeente: None,
        lid_vanaf: blank(&form.lid_vanaf),
    };
    let result = match new_region(&state, &request).await {
        Ok(new) => state.store.create_region(&new, &user.actor("web")).await.map_err(crate::error::AppError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(region) => Ok(see_other(&format!("/regios/{}?gelukt=regio-aangemaakt", region.code))),
        Err(e) if e.status.is_client_error() => {
            let mut invalid = Invalid { errors: e.invalid.clone() };
            if invalid.is_empty() {
                invalid.push("", "error", e.detail.clone());
            }
            let form = create_form(&state, user.csrf(), &form).await?.with_errors(&invalid);
            regions_page(&state, &user, Some(form), None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

pub struct MemberLine {
    pub name: String,
    pub code: String,
    pub province: String,
    pub inhabitants: String,
    pub youths: String,
    pub youths_missing: bool,
    pub centre: bool,
}

pub struct ProviderLine {
    pub id: i64,
    pub name: String,
    pub agb: String,
    pub city: String,
}

pub struct RoleLine {
    pub name: String,
    pub roles: String,
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    layout: Layout,
    /// What awaits this user: input asked, votes to cast, steps due (text, link).
    awaiting: Vec<(String, String)>,
    code: String,
    domain: &'static str,
    centre: String,
    youth_region: String,
    year: i32,
    reference_year: i32,
    members: Vec<MemberLine>,
    total_inhabitants: String,
    total_youths: String,
    providers: Vec<ProviderLine>,
    provider_total: i64,
    roles: Option<Vec<RoleLine>>,
}

pub async fn overview(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(code): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    let year = samenspel_store::now().year();
    let figures = figures_table(&state, &region, year).await?;
    let centre_name = figures
        .iter()
        .find(|f| Some(&f.gemeentecode) == region.centre_municipality.as_ref())
        .map(|f| f.gemeente.clone());
    let today = samenspel_store::today();
    let current: Vec<String> = state
        .store
        .memberships(region.id)
        .await?
        .into_iter()
        .filter(|m| m.is_active_on(today))
        .map(|m| m.municipality_code)
        .collect();
    let mut members = Vec::new();
    let (mut inhabitants, mut youths, mut youths_complete) = (0i64, 0i64, true);
    for f in figures.into_iter().filter(|f| current.contains(&f.gemeentecode)) {
        inhabitants += f.inwoners;
        match f.jeugdigen {
            Some(y) => youths += y,
            None => youths_complete = false,
        }
        let province = state
            .store
            .municipality(
                &samenspel_domain::MunicipalityCode::parse(&f.gemeentecode)
                    .map_err(|_| crate::error::AppError::not_found())?,
            )
            .await?
            .map(|m| m.province_name)
            .unwrap_or_default();
        members.push(MemberLine {
            centre: Some(&f.gemeentecode) == region.centre_municipality.as_ref(),
            youths_missing: f.jeugdigen.is_none(),
            youths: show::count(f.jeugdigen),
            inhabitants: samenspel_domain::nl::integer(f.inwoners),
            name: f.gemeente,
            code: f.gemeentecode,
            province,
        });
    }
    let providers = state.store.providers(region.id, false, PageRequest { page: 1, page_size: 10 }).await?;
    let roles = if access.can_view_roles_overview() {
        let grants = state.store.grants_in_region(region.id).await?;
        let users = state.store.users_in_region(region.id, PageRequest::all()).await?.items;
        Some(
            users
                .into_iter()
                .map(|u| RoleLine {
                    roles: grants
                        .iter()
                        .filter(|g| g.user_id == u.id)
                        .map(|g| {
                            let label = g.kind().map(RoleKind::label).unwrap_or("?");
                            match (&g.municipality_name, &g.provider_name) {
                                (Some(m), _) => format!("{label} ({m})"),
                                (_, Some(p)) => format!("{label} ({p})"),
                                _ => label.to_string(),
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(", "),
                    name: u.display_name,
                })
                .collect(),
        )
    } else {
        None
    };
    let page = OverviewPage {
        layout: Layout::for_region(&region.name, &user, &region, &access, &format!("/regios/{}", region.code))
            .with_notice(success_notice(q.gelukt.as_deref(), None)),
        awaiting: {
            let mut awaiting = crate::governance::awaiting(&state, &region, &access, user.user.id).await?;
            awaiting.extend(crate::provider_side::awaiting(&state, &region, &access).await?);
            awaiting.sort_by_key(|a| (a.due.is_none(), a.due));
            awaiting.into_iter().map(|a| (a.text, a.href)).collect()
        },
        code: region.code.clone(),
        domain: region.domain().label(),
        centre: centre_name.unwrap_or_else(|| "nog niet vastgelegd".into()),
        youth_region: region.youth_region_code.clone().unwrap_or_else(|| "geen".into()),
        year,
        reference_year: state.store.reference_year().await?.unwrap_or(0),
        total_inhabitants: samenspel_domain::nl::integer(inhabitants),
        total_youths: if youths_complete && !members.is_empty() {
            samenspel_domain::nl::integer(youths)
        } else {
            "onvolledig".into()
        },
        members,
        provider_total: providers.total,
        providers: providers
            .items
            .into_iter()
            .map(|p| ProviderLine {
                id: p.id,
                name: p.name,
                agb: p.agb_code.unwrap_or_default(),
                city: p.city.unwrap_or_default(),
            })
            .collect(),
        roles,
    };
    Ok(render(&page, StatusCode::OK))
}
