//! A region's members over time, its settings, and the members' figures per year.

use super::home::NoticeQuery;
use super::{render, see_other, show, success_notice, FormView, Layout, Notice, PageError, PageResult, RegionCtx};
use crate::api::regions::figures_table;
use crate::auth::{region_for, CurrentUser, PageUser};
use crate::error::AppError;
use crate::forms::{CsrfForm, CsrfMultipart};
use crate::input;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use samenspel_domain::access::RegionAccess;
use samenspel_domain::figures::{parse_figures_csv, RowError};
use samenspel_domain::nl::parse_date;
use samenspel_domain::region::Domain;
use samenspel_domain::{Invalid, MunicipalityCode};
use samenspel_store::figures::ImportFailure;
use samenspel_store::reference::MunicipalityFilter;
use samenspel_store::regions::RegionRow;
use samenspel_store::PageRequest;
use serde::Deserialize;

pub struct PeriodLine {
    pub id: i64,
    pub name: String,
    pub code: String,
    pub joined: String,
    pub left: String,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "members.html")]
struct MembersPage {
    layout: Layout,
    periods: Vec<PeriodLine>,
    can_manage: bool,
    csrf: String,
    code: String,
    settings_form: Option<FormView>,
    add_form: Option<FormView>,
}

/// `?gelukt=…&aantal=…` after an action that reports a count.
#[derive(Deserialize, Default)]
pub struct CountQuery {
    pub gelukt: Option<String>,
    pub aantal: Option<String>,
    pub overgeslagen: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct SettingsForm {
    #[serde(default)]
    naam: String,
    #[serde(default)]
    domein: String,
    #[serde(default)]
    centrumgemeente: String,
}

#[derive(Deserialize, Default)]
pub struct MemberForm {
    #[serde(default)]
    gemeentecode: String,
    #[serde(default, rename = "lidVanaf")]
    lid_vanaf: String,
    #[serde(default, rename = "lidTot")]
    lid_tot: String,
}

async fn settings_form(
    state: &AppState,
    user: &CurrentUser,
    region: &RegionRow,
    values: &SettingsForm,
) -> Result<FormView, PageError> {
    let today = samenspel_store::today();
    let mut members: Vec<(String, String)> = vec![(String::new(), "— nog niet vastgelegd —".into())];
    for m in state.store.memberships(region.id).await?.into_iter().filter(|m| m.is_active_on(today)) {
        members.push((m.municipality_code, m.municipality_name));
    }
    let domains = Domain::ALL.iter().map(|d| (d.code().to_string(), d.label().to_string())).collect();
    Ok(FormView::new(
        "instellingen",
        format!("/regios/{}/instellingen", region.code),
        "Instellingen opslaan",
        user.csrf(),
    )
    .field("naam", "Naam van de regio", "text", &values.naam, true)
    .select("domein", "Domein", &values.domein, domains, true)
    .select("centrumgemeente", "Centrumgemeente", &values.centrumgemeente, members, false)
    .hint("De gemeente die taken uitvoert namens de regio; zij moet lid zijn."))
}

async fn add_form(
    state: &AppState,
    user: &CurrentUser,
    region: &RegionRow,
    values: &MemberForm,
) -> Result<FormView, PageError> {
    let all = state.store.municipalities(&MunicipalityFilter::default(), PageRequest::all()).await?.items;
    let mut options = vec![(String::new(), "— kies een gemeente —".to_string())];
    options.extend(all.into_iter().map(|m| (m.code.clone(), format!("{} ({})", m.name, m.code))));
    Ok(FormView::new("nieuw-lid", format!("/regios/{}/leden", region.code), "Lid toevoegen", user.csrf())
        .select("gemeentecode", "Gemeente", &values.gemeentecode, options, true)
        .field("lidVanaf", "Lid vanaf", "date", &values.lid_vanaf, true)
        .field("lidTot", "Lid tot", "date", &values.lid_tot, false)
        .hint("De eerste dag waarop de gemeente geen lid meer is; leeg als dat nog niet vaststaat."))
}

async fn members_page(
    ctx: &RegionCtx<'_>,
    forms: (Option<FormView>, Option<FormView>),
    notice: Option<Notice>,
    status: StatusCode,
) -> PageResult {
    let RegionCtx { state, user, region, access } = *ctx;
    let today = samenspel_store::today();
    let periods = state
        .store
        .memberships(region.id)
        .await?
        .into_iter()
        .map(|m| PeriodLine {
            active: m.is_active_on(today),
            id: m.id,
            joined: show::date(Some(m.joined_on)),
            left: show::date(m.left_on),
            name: m.municipality_name,
            code: m.municipality_code,
        })
        .collect();
    let can_manage = access.can_manage_region();
    let (settings, add) = if can_manage {
        let settings = match forms.0 {
            Some(f) => f,
            None => {
                let values = SettingsForm {
                    naam: region.name.clone(),
                    domein: region.domain.clone(),
                    centrumgemeente: region.centre_municipality.clone().unwrap_or_default(),
                };
                settings_form(state, user, region, &values).await?
            }
        };
        let add = match forms.1 {
            Some(f) => f,
            None => add_form(state, user, region, &MemberForm::default()).await?,
        };
        (Some(settings.done()), Some(add.done()))
    } else {
        (None, None)
    };
    let page = MembersPage {
        layout: Layout::for_region("Leden", user, region, access, &format!("/regios/{}/leden", region.code))
            .with_notice(notice),
        periods,
        can_manage,
        csrf: user.csrf().to_string(),
        code: region.code.clone(),
        settings_form: settings,
        add_form: add,
    };
    Ok(render(&page, status))
}

pub async fn page(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(code): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    members_page(
        &RegionCtx { state: &state, user: &user, region: &region, access: &access },
        (None, None),
        success_notice(q.gelukt.as_deref(), None),
        StatusCode::OK,
    )
    .await
}

pub async fn add(
    State(state): State<AppState>,
    Path(code): Path<String>,
    CsrfForm(user, form): CsrfForm<MemberForm>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_region() {
        return Err(AppError::forbidden().into());
    }
    let result = match input::membership(&form.gemeentecode, &form.lid_vanaf, &form.lid_tot) {
        Ok((municipality, period)) => state
            .store
            .add_membership(region.id, &municipality, period, &user.actor("web"))
            .await
            .map_err(AppError::from),
        Err(invalid) => Err(AppError::invalid(invalid)),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/regios/{}/leden?gelukt=lid-toegevoegd", region.code))),
        Err(e) => {
            let invalid = super::form_problem(e)?;
            let f = add_form(&state, &user, &region, &form).await?.with_errors(&invalid);
            members_page(
                &RegionCtx { state: &state, user: &user, region: &region, access: &access },
                (None, Some(f)),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Deserialize, Default)]
pub struct EndForm {
    #[serde(default, rename = "lidTot")]
    lid_tot: String,
}

pub async fn end(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(user, form): CsrfForm<EndForm>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_region() {
        return Err(AppError::forbidden().into());
    }
    let result = match parse_date(&form.lid_tot) {
        Ok(left) => state.store.end_membership(region.id, id, left, &user.actor("web")).await.map_err(AppError::from),
        Err(e) => Err(AppError::invalid(Invalid::single("lidTot", &e.code, e.reason))),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/regios/{}/leden?gelukt=lid-beeindigd", region.code))),
        Err(e) => {
            let invalid = super::form_problem(e)?;
            let text = invalid.errors.iter().map(|e| e.reason.as_str()).collect::<Vec<_>>().join(" ");
            let notice = Some(Notice { kind: "error", text: format!("Het lidmaatschap is niet beëindigd: {text}") });
            members_page(
                &RegionCtx { state: &state, user: &user, region: &region, access: &access },
                (None, None),
                notice,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

pub async fn settings(
    State(state): State<AppState>,
    Path(code): Path<String>,
    CsrfForm(user, form): CsrfForm<SettingsForm>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_region() {
        return Err(AppError::forbidden().into());
    }
    let result = match input::region_changes(&form.naam, &form.domein, &form.centrumgemeente) {
        Ok(changes) => state.store.update_region(region.id, &changes, &user.actor("web")).await.map_err(AppError::from),
        Err(invalid) => Err(AppError::invalid(invalid)),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/regios/{}/leden?gelukt=opgeslagen", region.code))),
        Err(e) => {
            let invalid = super::form_problem(e)?;
            let f = settings_form(&state, &user, &region, &form).await?.with_errors(&invalid);
            members_page(
                &RegionCtx { state: &state, user: &user, region: &region, access: &access },
                (Some(f), None),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

pub struct FiguresLine {
    pub name: String,
    pub code: String,
    pub inhabitants: String,
    pub youths: String,
    pub budget_youth: String,
    pub budget_wmo: String,
    pub missing: [bool; 3],
    pub editable: bool,
}

#[derive(Template)]
#[template(path = "figures.html")]
struct FiguresPage {
    layout: Layout,
    code: String,
    year: i32,
    years: Vec<(i32, bool)>,
    lines: Vec<FiguresLine>,
    form: Option<FormView>,
    import_form: Option<FormView>,
    import_errors: Vec<RowError>,
}

#[derive(Deserialize, Default)]
pub struct FiguresQuery {
    jaar: Option<String>,
    gemeente: Option<String>,
    gelukt: Option<String>,
    aantal: Option<String>,
    formaat: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
pub struct FiguresForm {
    #[serde(default)]
    gemeentecode: String,
    #[serde(default)]
    jaar: String,
    #[serde(default)]
    jeugdigen: String,
    #[serde(default, rename = "budgetJeugd")]
    budget_jeugd: String,
    #[serde(default, rename = "budgetWmo")]
    budget_wmo: String,
}

fn figures_form(
    user: &CurrentUser,
    region: &RegionRow,
    access: &RegionAccess,
    members: &[(String, String)],
    values: &FiguresForm,
) -> Option<FormView> {
    let editable: Vec<(String, String)> = members
        .iter()
        .filter(|(code, _)| MunicipalityCode::parse(code).is_ok_and(|c| access.can_edit_member_figures(&c)))
        .cloned()
        .collect();
    if editable.is_empty() {
        return None;
    }
    Some(
        FormView::new(
            "kerncijfers",
            format!("/regios/{}/kerncijfers/invoer", region.code),
            "Kerncijfers opslaan",
            user.csrf(),
        )
        .select("gemeentecode", "Gemeente", &values.gemeentecode, editable, true)
        .field("jaar", "Jaar", "number", &values.jaar, true)
        .field("jeugdigen", "Jeugdigen 0–17", "text", &values.jeugdigen, false)
        .hint("Aantal op 1 januari van dat jaar, bijvoorbeeld 4.321. Leeg laten als het niet bekend is.")
        .field("budgetJeugd", "Budget jeugd", "text", &values.budget_jeugd, false)
        .hint("In euro, bijvoorbeeld 12.345.678,00.")
        .field("budgetWmo", "Budget Wmo", "text", &values.budget_wmo, false)
        .hint("In euro, bijvoorbeeld 9.876.543,21."),
    )
}

async fn figures_page(
    ctx: &RegionCtx<'_>,
    year: i32,
    form_override: Option<FormView>,
    import_errors: Vec<RowError>,
    notice: Option<Notice>,
    status: StatusCode,
) -> PageResult {
    let RegionCtx { state, user, region, access } = *ctx;
    let rows = figures_table(state, region, year).await?;
    let members: Vec<(String, String)> = rows.iter().map(|r| (r.gemeentecode.clone(), r.gemeente.clone())).collect();
    let lines = rows
        .into_iter()
        .map(|r| FiguresLine {
            editable: MunicipalityCode::parse(&r.gemeentecode).is_ok_and(|c| access.can_edit_member_figures(&c)),
            missing: [r.jeugdigen.is_none(), r.budget_jeugd_cent.is_none(), r.budget_wmo_cent.is_none()],
            inhabitants: samenspel_domain::nl::integer(r.inwoners),
            youths: show::count(r.jeugdigen),
            budget_youth: show::money(r.budget_jeugd_cent),
            budget_wmo: show::money(r.budget_wmo_cent),
            name: r.gemeente,
            code: r.gemeentecode,
        })
        .collect();
    let form = form_override.or_else(|| {
        let values = FiguresForm { jaar: year.to_string(), ..Default::default() };
        figures_form(user, region, access, &members, &values)
    });
    let import_form = access.can_manage_region().then(|| {
        FormView::new("import", format!("/regios/{}/kerncijfers/import", region.code), "Bestand inlezen", user.csrf())
            .multipart()
            .field("bestand", "CSV-bestand met kerncijfers", "file", "", true)
            .hint("Kolommen: gemeentecode, jaar, en een of meer van jeugdigen_0_17, budget_jeugd, budget_wmo; gescheiden door puntkomma's. Alle regels worden ingelezen, of geen.")
            .done()
    });
    let this_year = samenspel_store::now().year();
    let years = (this_year - 5..=this_year + 1).rev().map(|y| (y, y == year)).collect();
    let page = FiguresPage {
        layout: Layout::for_region(
            "Kerncijfers",
            user,
            region,
            access,
            &format!("/regios/{}/kerncijfers", region.code),
        )
        .with_notice(notice),
        code: region.code.clone(),
        year,
        years,
        lines,
        form: form.map(FormView::done),
        import_form,
        import_errors,
    };
    Ok(render(&page, status))
}

/// A year from the query, or this year.
fn year_of(value: Option<&str>) -> Result<i32, PageError> {
    match value.filter(|v| !v.is_empty()) {
        Some(v) => input::year(v).map_err(|i| AppError::invalid(i).into()),
        None => Ok(samenspel_store::now().year()),
    }
}

pub async fn figures(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(code): Path<String>,
    Query(q): Query<FiguresQuery>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    let year = year_of(q.jaar.as_deref())?;
    if q.formaat.as_deref() == Some("csv") {
        return figures_csv(&state, &region, year).await;
    }
    let rows = figures_table(&state, &region, year).await?;
    let members: Vec<(String, String)> = rows.iter().map(|r| (r.gemeentecode.clone(), r.gemeente.clone())).collect();
    // `?gemeente=` pre-fills the form with that member's current figures.
    let form = q.gemeente.as_deref().and_then(|g| rows.iter().find(|r| r.gemeentecode == g)).and_then(|r| {
        let amount =
            |c: Option<i64>| c.map(|c| samenspel_domain::Cents(c).to_string().replace("€ ", "")).unwrap_or_default();
        let values = FiguresForm {
            gemeentecode: r.gemeentecode.clone(),
            jaar: year.to_string(),
            jeugdigen: r.jeugdigen.map(samenspel_domain::nl::integer).unwrap_or_default(),
            budget_jeugd: amount(r.budget_jeugd_cent),
            budget_wmo: amount(r.budget_wmo_cent),
        };
        figures_form(&user, &region, &access, &members, &values)
    });
    let notice = success_notice(q.gelukt.as_deref(), q.aantal.as_deref());
    figures_page(
        &RegionCtx { state: &state, user: &user, region: &region, access: &access },
        year,
        form,
        Vec::new(),
        notice,
        StatusCode::OK,
    )
    .await
}

/// The figures as CSV in the import format, so they can be edited and read back in.
async fn figures_csv(state: &AppState, region: &RegionRow, year: i32) -> PageResult {
    let rows = figures_table(state, region, year).await?;
    let mut out = String::from("gemeentecode;gemeente;jaar;inwoners;jeugdigen_0_17;budget_jeugd;budget_wmo\r\n");
    let amount =
        |c: Option<i64>| c.map(|c| samenspel_domain::Cents(c).to_string().replace("€ ", "")).unwrap_or_default();
    for r in rows {
        out.push_str(&format!(
            "{};{};{};{};{};{};{}\r\n",
            r.gemeentecode,
            r.gemeente.replace(';', ","),
            r.jaar,
            r.inwoners,
            r.jeugdigen.map(|y| y.to_string()).unwrap_or_default(),
            amount(r.budget_jeugd_cent),
            amount(r.budget_wmo_cent)
        ));
    }
    let disposition = format!("attachment; filename=\"kerncijfers-{}-{year}.csv\"", region.code);
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)],
        out,
    )
        .into_response())
}

pub async fn save_figures(
    State(state): State<AppState>,
    Path(code): Path<String>,
    CsrfForm(user, form): CsrfForm<FiguresForm>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    let mut invalid = Invalid::new();
    let municipality =
        input::municipality("gemeentecode", &form.gemeentecode).map_err(|e| invalid.errors.extend(e.errors)).ok();
    if municipality.as_ref().is_some_and(|m| !access.can_edit_member_figures(m)) {
        return Err(AppError::forbidden().into());
    }
    let year = input::year(&form.jaar).map_err(|e| invalid.errors.extend(e.errors)).ok();
    let figures = input::figures_from_text(&form.jeugdigen, &form.budget_jeugd, &form.budget_wmo)
        .map_err(|e| invalid.errors.extend(e.errors))
        .ok();
    let result = match (municipality, year, figures) {
        (Some(m), Some(y), Some(f)) if invalid.is_empty() => {
            state.store.set_figures(region.id, &m, y, &f, &user.actor("web")).await.map(|_| y).map_err(AppError::from)
        }
        _ => Err(AppError::invalid(invalid)),
    };
    match result {
        Ok(year) => Ok(see_other(&format!("/regios/{}/kerncijfers?jaar={year}&gelukt=opgeslagen", region.code))),
        Err(e) => {
            let invalid = super::form_problem(e)?;
            let year = input::year(&form.jaar).unwrap_or_else(|_| samenspel_store::now().year());
            let rows = figures_table(&state, &region, year).await?;
            let members: Vec<(String, String)> =
                rows.iter().map(|r| (r.gemeentecode.clone(), r.gemeente.clone())).collect();
            let f = figures_form(&user, &region, &access, &members, &form).map(|f| f.with_errors(&invalid));
            figures_page(
                &RegionCtx { state: &state, user: &user, region: &region, access: &access },
                year,
                f,
                Vec::new(),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

pub async fn import_figures(
    State(state): State<AppState>,
    Path(code): Path<String>,
    upload: CsrfMultipart,
) -> PageResult {
    let user = upload.user;
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_region() {
        return Err(AppError::forbidden().into());
    }
    let this_year = samenspel_store::now().year();
    let Some(file) = upload.files.get("bestand").filter(|f| !f.bytes.is_empty()) else {
        let notice = Notice { kind: "error", text: "Kies een CSV-bestand om in te lezen.".into() };
        return figures_page(
            &RegionCtx { state: &state, user: &user, region: &region, access: &access },
            this_year,
            None,
            Vec::new(),
            Some(notice),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let outcome = match parse_figures_csv(&file.bytes) {
        Ok(rows) => match state.store.import_figures(region.id, &rows, &user.actor("web")).await {
            Ok(n) => Ok((n, rows.first().map(|r| r.year))),
            Err(ImportFailure::Rows(errors)) => Err(errors),
            Err(ImportFailure::Store(e)) => return Err(e.into()),
        },
        Err(errors) => Err(errors),
    };
    match outcome {
        Ok((n, year)) => Ok(see_other(&format!(
            "/regios/{}/kerncijfers?jaar={}&gelukt=kerncijfers-geimporteerd&aantal={n}",
            region.code,
            year.unwrap_or(this_year)
        ))),
        Err(errors) => {
            let notice = Notice {
                kind: "error",
                text: format!(
                    "Het bestand {} is niet ingelezen: {} {}. Er is niets opgeslagen; verbeter het bestand en lees het opnieuw in.",
                    file.file_name,
                    errors.len(),
                    if errors.len() == 1 { "fout" } else { "fouten" }
                ),
            };
            figures_page(
                &RegionCtx { state: &state, user: &user, region: &region, access: &access },
                this_year,
                None,
                errors,
                Some(notice),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}
