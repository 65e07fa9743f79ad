//! The procurement pages: the product catalogue, lots with the collaboration matrix, and one
//! lot with its members' forms, steering choices and admission conditions.

use super::home::NoticeQuery;
use super::{
    procurement_nav, render, see_other, show, success_notice, FormView, Layout, NavItem, Notice, PageResult, RegionCtx,
};
use crate::auth::{region_for, PageUser};
use crate::error::AppError;
use crate::forms::{CsrfForm, FormPairs};
use crate::input::{self, ProductText, SteeringText};
use crate::procurement::matrix;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use samenspel_domain::nl::parse_date;
use samenspel_domain::procurement::{Cadence, CollaborationForm, FundingVariant, Law, Referrer, Route, Unit};
use samenspel_domain::validation::required_text;
use samenspel_domain::Invalid;
use samenspel_store::catalogue::ProductRow;
use samenspel_store::lots::LotRow;
use samenspel_store::PageRequest;
use serde::Deserialize;

fn label_of<T: Copy>(
    parse: impl Fn(&str) -> Result<T, samenspel_domain::FieldError>,
    label: impl Fn(T) -> &'static str,
    code: &str,
) -> String {
    parse(code).map(label).unwrap_or(code).to_string()
}

pub struct ProductLine {
    pub id: i64,
    pub code: String,
    pub category: String,
    pub name: String,
    pub law: String,
    pub unit: String,
    pub variant: String,
    pub national: bool,
    pub active: bool,
}

impl From<ProductRow> for ProductLine {
    fn from(p: ProductRow) -> Self {
        ProductLine {
            id: p.id,
            code: p.code.clone().unwrap_or_else(|| "aspecifiek".into()),
            category: p.category,
            name: p.name,
            law: label_of(Law::parse, Law::label, &p.law),
            unit: label_of(Unit::parse, Unit::label, &p.unit),
            variant: p.funding_variant,
            national: p.national,
            active: p.active,
        }
    }
}

pub struct NationalLine {
    pub law: String,
    pub code: String,
    pub description: String,
    pub category: String,
    pub list: String,
}

#[derive(Template)]
#[template(path = "products.html")]
struct ProductsPage {
    layout: Layout,
    subnav: Vec<NavItem>,
    code: String,
    products: Vec<ProductLine>,
    search: String,
    law: String,
    results: Vec<NationalLine>,
    result_total: i64,
    searched: bool,
    form: Option<FormView>,
}

#[derive(Deserialize, Default, Clone)]
pub struct ProductForm {
    #[serde(default)]
    wet: String,
    #[serde(default)]
    categorie: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    naam: String,
    #[serde(default)]
    eenheid: String,
    #[serde(default)]
    uitvoeringsvariant: String,
    #[serde(default, rename = "eigenCode")]
    eigen_code: String,
    #[serde(default)]
    actief: String,
}

impl ProductForm {
    fn text(&self) -> ProductText<'_> {
        ProductText {
            wet: &self.wet,
            categorie: &self.categorie,
            code: &self.code,
            naam: &self.naam,
            eenheid: &self.eenheid,
            uitvoeringsvariant: &self.uitvoeringsvariant,
            eigen_code: self.eigen_code == "on",
            actief: self.actief == "on",
        }
    }

    fn from_row(p: &ProductRow) -> Self {
        ProductForm {
            wet: p.law.clone(),
            categorie: p.category.clone(),
            code: p.code.clone().unwrap_or_default(),
            naam: p.name.clone(),
            eenheid: p.unit.clone(),
            uitvoeringsvariant: p.funding_variant.clone(),
            eigen_code: if !p.national && p.code.is_some() { "on".into() } else { String::new() },
            actief: if p.active { "on".into() } else { String::new() },
        }
    }
}

async fn product_form(
    ctx: &RegionCtx<'_>,
    id: &'static str,
    action: String,
    submit: &'static str,
    v: &ProductForm,
) -> Result<FormView, super::PageError> {
    let categories = ctx
        .state
        .store
        .product_categories(None)
        .await?
        .into_iter()
        .map(|c| (c.code.clone(), format!("{} {} ({})", c.code, c.name, c.law)))
        .collect();
    Ok(FormView::new(id, action, submit, ctx.user.csrf())
        .select("wet", "Wet", &v.wet, Law::options(), true)
        .select("categorie", "Productcategorie", &v.categorie, categories, true)
        .field("code", "Productcode", "text", &v.code, false)
        .hint("Van de landelijke codelijst, zoals 45A04. Leeg voor een aspecifiek product (alleen de categorie).")
        .field("eigenCode", "Dit is een eigen code van de regio (niet landelijk)", "checkbox", &v.eigen_code, false)
        .field("naam", "Naam in de catalogus", "text", &v.naam, true)
        .select("eenheid", "Eenheid", &v.eenheid, Unit::options(), true)
        .select("uitvoeringsvariant", "Uitvoeringsvariant", &v.uitvoeringsvariant, FundingVariant::options(), true)
        .field("actief", "In gebruik", "checkbox", &v.actief, false))
}

#[derive(Deserialize, Default)]
pub struct ProductsQuery {
    zoek: Option<String>,
    wet: Option<String>,
    code: Option<String>,
    gelukt: Option<String>,
}

async fn products_page(
    ctx: &RegionCtx<'_>,
    q: &ProductsQuery,
    form: Option<FormView>,
    notice: Option<Notice>,
    status: StatusCode,
) -> PageResult {
    let RegionCtx { state, user, region, access } = *ctx;
    let search = q.zoek.clone().unwrap_or_default();
    let law = q.wet.clone().filter(|w| Law::parse(w).is_ok()).unwrap_or_default();
    let searched = !search.trim().is_empty();
    let (results, result_total) = if searched {
        let found = state
            .store
            .national_products(Law::parse(&law).ok(), None, Some(&search), PageRequest { page: 1, page_size: 25 })
            .await?;
        let lines = found
            .items
            .into_iter()
            .map(|p| NationalLine {
                law: p.law,
                category: p.category.unwrap_or_else(|| "?".into()),
                code: p.code,
                description: p.description,
                list: p.list_name,
            })
            .collect();
        (lines, found.total)
    } else {
        (Vec::new(), 0)
    };
    let form = match form {
        Some(f) => Some(f),
        None if access.can_manage_procurement() => {
            // `?code=` (from the search results) fills the form with that national code.
            let mut v = ProductForm {
                wet: "jeugd".into(),
                eenheid: "04".into(),
                uitvoeringsvariant: "inspanningsgericht".into(),
                actief: "on".into(),
                ..Default::default()
            };
            if let Some(code) = q.code.as_deref() {
                let law = Law::parse(q.wet.as_deref().unwrap_or("jeugd")).unwrap_or(Law::Youth);
                if let Ok(Some(n)) = state.store.national_product(law, code).await {
                    {
                        v.wet = n.law.clone();
                        v.categorie = n.category.clone().unwrap_or_default();
                        v.naam = n.description.split(':').next().unwrap_or(&n.description).trim().to_string();
                        if let Some(variant) = samenspel_domain::procurement::variant_from_description(&n.description) {
                            v.uitvoeringsvariant = variant.code().into();
                        }
                        v.code = n.code;
                    }
                }
            }
            Some(
                product_form(
                    ctx,
                    "nieuw-product",
                    format!("/regios/{}/producten", region.code),
                    "Product toevoegen",
                    &v,
                )
                .await?,
            )
        }
        None => None,
    };
    let page = ProductsPage {
        layout: Layout::for_region(
            "Productcatalogus",
            user,
            region,
            access,
            &format!("/regios/{}/producten", region.code),
        )
        .with_notice(notice),
        subnav: procurement_nav(&region.code, "producten"),
        code: region.code.clone(),
        products: state.store.products(region.id, true).await?.into_iter().map(ProductLine::from).collect(),
        search,
        law,
        results,
        result_total,
        searched,
        form: form.map(FormView::done),
    };
    Ok(render(&page, status))
}

pub async fn products(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(code): Path<String>,
    Query(q): Query<ProductsQuery>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let notice = success_notice(q.gelukt.as_deref(), None);
    products_page(&ctx, &q, None, notice, StatusCode::OK).await
}

pub async fn create_product(
    State(state): State<AppState>,
    Path(code): Path<String>,
    CsrfForm(user, form): CsrfForm<ProductForm>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_procurement() {
        return Err(AppError::forbidden().into());
    }
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let result = match input::product_details(&form.text()) {
        Ok(d) => state.store.create_product(region.id, &d, &user.actor("web")).await.map_err(AppError::from),
        Err(i) => Err(AppError::invalid(i)),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/regios/{}/producten?gelukt=product-toegevoegd", region.code))),
        Err(e) => {
            let invalid = super::form_problem(e)?;
            let f = product_form(
                &ctx,
                "nieuw-product",
                format!("/regios/{}/producten", region.code),
                "Product toevoegen",
                &form,
            )
            .await?
            .with_errors(&invalid);
            products_page(&ctx, &ProductsQuery::default(), Some(f), None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

#[derive(Template)]
#[template(path = "product.html")]
struct ProductPage {
    layout: Layout,
    subnav: Vec<NavItem>,
    code: String,
    product: ProductLine,
    form: Option<FormView>,
}

async fn product_page(
    ctx: &RegionCtx<'_>,
    id: i64,
    form: Option<FormView>,
    notice: Option<Notice>,
    status: StatusCode,
) -> PageResult {
    let RegionCtx { state, user, region, access } = *ctx;
    let row = state.store.product(region.id, id).await?;
    let form = match form {
        Some(f) => Some(f),
        None if access.can_manage_procurement() => {
            let action = format!("/regios/{}/producten/{id}", region.code);
            Some(product_form(ctx, "product", action, "Wijzigingen opslaan", &ProductForm::from_row(&row)).await?)
        }
        None => None,
    };
    let page = ProductPage {
        layout: Layout::for_region(&row.label(), user, region, access, &format!("/regios/{}/producten", region.code))
            .with_notice(notice),
        subnav: procurement_nav(&region.code, "producten"),
        code: region.code.clone(),
        product: row.into(),
        form: form.map(FormView::done),
    };
    Ok(render(&page, status))
}

pub async fn product(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path((code, id)): Path<(String, i64)>,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    product_page(&ctx, id, None, success_notice(q.gelukt.as_deref(), None), StatusCode::OK).await
}

pub async fn update_product(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(user, form): CsrfForm<ProductForm>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_procurement() {
        return Err(AppError::forbidden().into());
    }
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let result = match input::product_details(&form.text()) {
        Ok(d) => state.store.update_product(region.id, id, &d, &user.actor("web")).await.map_err(AppError::from),
        Err(i) => Err(AppError::invalid(i)),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/regios/{}/producten/{id}?gelukt=opgeslagen", region.code))),
        Err(e) => {
            let invalid = super::form_problem(e)?;
            let action = format!("/regios/{}/producten/{id}", region.code);
            let f = product_form(&ctx, "product", action, "Wijzigingen opslaan", &form).await?.with_errors(&invalid);
            product_page(&ctx, id, Some(f), None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

pub struct LotLine {
    pub id: i64,
    pub name: String,
    pub route: String,
    pub period: String,
    pub products: usize,
    pub admission_open: bool,
}

pub struct MatrixLine {
    pub name: String,
    pub cells: Vec<String>,
}

#[derive(Template)]
#[template(path = "lots.html")]
struct LotsPage {
    layout: Layout,
    subnav: Vec<NavItem>,
    code: String,
    lots: Vec<LotLine>,
    day: String,
    day_iso: String,
    matrix_lots: Vec<String>,
    matrix: Vec<MatrixLine>,
    form: Option<FormView>,
}

fn period_text(lot: &LotRow) -> String {
    format!(
        "{} t/m {}",
        show::date(Some(lot.starts_on)),
        lot.ends_on.map(samenspel_domain::nl::date).unwrap_or_else(|| "onbepaald".into())
    )
}

async fn lot_form(
    ctx: &RegionCtx<'_>,
    id: &'static str,
    action: String,
    submit: &'static str,
    v: &FormPairs,
) -> Result<FormView, super::PageError> {
    let products = ctx
        .state
        .store
        .products(ctx.region.id, false)
        .await?
        .into_iter()
        .map(|p| (p.id.to_string(), p.label()))
        .collect();
    Ok(FormView::new(id, action, submit, ctx.user.csrf())
        .field("naam", "Naam van het perceel", "text", v.get("naam"), true)
        .field("omschrijving", "Omschrijving", "textarea", v.get("omschrijving"), false)
        .select("route", "Inkoopvorm", v.get("route"), Route::options(), true)
        .field("begindatum", "Begindatum", "date", v.get("begindatum"), true)
        .field("einddatum", "Einddatum (laatste dag)", "date", v.get("einddatum"), false)
        .checkboxes("producten", "Producten in dit perceel", &v.all("producten"), products, true)
        .hint("Producten uit de catalogus van de regio; minstens één."))
}

#[derive(Deserialize, Default)]
pub struct LotsQuery {
    datum: Option<String>,
    gelukt: Option<String>,
}

async fn lots_page(
    ctx: &RegionCtx<'_>,
    datum: Option<&str>,
    form: Option<FormView>,
    notice: Option<Notice>,
    status: StatusCode,
) -> PageResult {
    let RegionCtx { state, user, region, access } = *ctx;
    let day = datum.and_then(|d| parse_date(d).ok()).unwrap_or_else(samenspel_store::today);
    let mut lots = Vec::new();
    for lot in state.store.lots(region.id).await? {
        lots.push(LotLine {
            id: lot.id,
            route: label_of(Route::parse, Route::label, &lot.route),
            period: period_text(&lot),
            products: state.store.lot_products(lot.id).await?.len(),
            admission_open: lot.admission_open,
            name: lot.name,
        });
    }
    let m = matrix(state, region, day).await?;
    let form = match form {
        Some(f) => Some(f),
        None if access.can_manage_procurement() => {
            let defaults = FormPairs(vec![("route".into(), "open-house".into())]);
            Some(
                lot_form(
                    ctx,
                    "nieuw-perceel",
                    format!("/regios/{}/percelen", region.code),
                    "Perceel aanmaken",
                    &defaults,
                )
                .await?,
            )
        }
        None => None,
    };
    let page = LotsPage {
        layout: Layout::for_region(
            "Percelen en samenwerking",
            user,
            region,
            access,
            &format!("/regios/{}/percelen", region.code),
        )
        .with_notice(notice),
        subnav: procurement_nav(&region.code, "percelen"),
        code: region.code.clone(),
        lots,
        day: samenspel_domain::nl::date(day),
        day_iso: day.to_string(),
        matrix_lots: m.lots.iter().map(|l| l.name.clone()).collect(),
        matrix: m
            .rows
            .into_iter()
            .map(|r| MatrixLine {
                name: r.municipality_name,
                cells: r
                    .forms
                    .into_iter()
                    .map(|f| f.map(|f| f.label().to_string()).unwrap_or_else(|| "–".into()))
                    .collect(),
            })
            .collect(),
        form: form.map(FormView::done),
    };
    Ok(render(&page, status))
}

pub async fn lots(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(code): Path<String>,
    Query(q): Query<LotsQuery>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    lots_page(&ctx, q.datum.as_deref(), None, success_notice(q.gelukt.as_deref(), None), StatusCode::OK).await
}

fn lot_input(v: &FormPairs) -> Result<samenspel_store::lots::LotDetails, Invalid> {
    input::lot_details(
        v.get("naam"),
        v.get("omschrijving"),
        v.get("route"),
        v.get("begindatum"),
        v.get("einddatum"),
        &v.all("producten"),
    )
}

pub async fn create_lot(
    State(state): State<AppState>,
    Path(code): Path<String>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_procurement() {
        return Err(AppError::forbidden().into());
    }
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let result = match lot_input(&form) {
        Ok(d) => state.store.create_lot(region.id, &d, &user.actor("web")).await.map_err(AppError::from),
        Err(i) => Err(AppError::invalid(i)),
    };
    match result {
        Ok(lot) => Ok(see_other(&format!("/regios/{}/percelen/{}?gelukt=perceel-aangemaakt", region.code, lot.id))),
        Err(e) => {
            let invalid = super::form_problem(e)?;
            let f =
                lot_form(&ctx, "nieuw-perceel", format!("/regios/{}/percelen", region.code), "Perceel aanmaken", &form)
                    .await?
                    .with_errors(&invalid);
            lots_page(&ctx, None, Some(f), None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

pub struct FormLine {
    pub name: String,
    pub form: String,
    pub since: String,
}

pub struct HistoryLine {
    pub name: String,
    pub form: String,
    pub from: String,
    pub reason: String,
}

pub struct SteeringLine {
    pub from: String,
    pub reason: String,
    pub referrers: String,
    pub variant: String,
    pub ceiling: String,
    pub cadence: String,
    pub indicators: String,
    pub pilot: String,
    pub by: String,
}

pub struct ConditionLine {
    pub id: i64,
    pub position: i32,
    pub text: String,
}

pub struct LotContractLine {
    pub id: i64,
    pub provider: String,
    pub period: String,
    pub status: String,
}

#[derive(Template)]
#[template(path = "lot.html")]
struct LotPage {
    layout: Layout,
    subnav: Vec<NavItem>,
    code: String,
    id: i64,
    route: String,
    period: String,
    description: String,
    products: Vec<String>,
    open_house: bool,
    admission_open: bool,
    admin: bool,
    csrf: String,
    forms: Vec<FormLine>,
    history: Vec<HistoryLine>,
    steering: Vec<SteeringLine>,
    conditions: Vec<ConditionLine>,
    contracts: Vec<LotContractLine>,
    lot_form: Option<FormView>,
    form_form: Option<FormView>,
    steering_form: Option<FormView>,
    condition_form: Option<FormView>,
}

#[derive(Default)]
struct LotForms {
    lot: Option<FormView>,
    form: Option<FormView>,
    steering: Option<FormView>,
    condition: Option<FormView>,
}

async fn form_change_form(ctx: &RegionCtx<'_>, id: i64, v: &FormPairs) -> Result<FormView, super::PageError> {
    let today = samenspel_store::today();
    let mut members = vec![(String::new(), "— kies een gemeente —".to_string())];
    members.extend(
        ctx.state
            .store
            .memberships(ctx.region.id)
            .await?
            .into_iter()
            .filter(|m| m.is_active_on(today))
            .map(|m| (m.municipality_code, m.municipality_name)),
    );
    Ok(FormView::new(
        "vorm",
        format!("/regios/{}/percelen/{id}/vormen", ctx.region.code),
        "Samenwerkingsvorm vastleggen",
        ctx.user.csrf(),
    )
    .select("gemeentecode", "Gemeente", v.get("gemeentecode"), members, true)
    .select("vorm", "Samenwerkingsvorm", v.get("vorm"), CollaborationForm::options(), true)
    .field("vanaf", "Geldt vanaf", "date", v.get("vanaf"), true)
    .field("reden", "Reden of toelichting", "text", v.get("reden"), false))
}

fn steering_form(ctx: &RegionCtx<'_>, id: i64, v: &FormPairs) -> FormView {
    FormView::new(
        "sturing",
        format!("/regios/{}/percelen/{id}/sturing", ctx.region.code),
        "Sturingskeuzes vastleggen",
        ctx.user.csrf(),
    )
    .checkboxes("verwijzers", "Toegang: wie verwijst naar deze zorg?", &v.all("verwijzers"), Referrer::options(), true)
    .select(
        "uitvoeringsvariant",
        "Bekostiging: uitvoeringsvariant",
        v.get("uitvoeringsvariant"),
        FundingVariant::options(),
        true,
    )
    .field("budgetplafond", "Budgetplafond (alleen bij taakgericht)", "text", v.get("budgetplafond"), false)
    .hint("In euro, bijvoorbeeld 2.400.000,00.")
    .select("frequentie", "Contractmanagement: gesprekken", v.get("frequentie"), Cadence::options(), true)
    .field("indicatorVolume", "Indicator volume", "text", v.get("indicatorVolume"), false)
    .field("indicatorGeld", "Indicator geld", "text", v.get("indicatorGeld"), false)
    .field("indicatorKwaliteit", "Indicator kwaliteit", "text", v.get("indicatorKwaliteit"), false)
    .field("pilot", "Dit is een pilot", "checkbox", v.get("pilot"), false)
    .field("evaluatiedatum", "Evaluatiedatum (bij een pilot)", "date", v.get("evaluatiedatum"), false)
    .field("vanaf", "Geldt vanaf", "date", v.get("vanaf"), true)
    .field("reden", "Reden van deze keuzes of wijziging", "textarea", v.get("reden"), true)
}

fn condition_form(ctx: &RegionCtx<'_>, id: i64, text: &str) -> FormView {
    FormView::new(
        "voorwaarde",
        format!("/regios/{}/percelen/{id}/voorwaarden", ctx.region.code),
        "Voorwaarde toevoegen",
        ctx.user.csrf(),
    )
    .field("tekst", "Nieuwe toelatingsvoorwaarde", "textarea", text, true)
}

async fn lot_page(
    ctx: &RegionCtx<'_>,
    id: i64,
    forms: LotForms,
    notice: Option<Notice>,
    status: StatusCode,
) -> PageResult {
    let RegionCtx { state, user, region, access } = *ctx;
    let lot = state.store.lot(region.id, id).await?;
    let products = state.store.lot_products(id).await?;
    let today = samenspel_store::today();
    let members = state.store.memberships(region.id).await?;
    let name_of = |code: &str| {
        members
            .iter()
            .find(|m| m.municipality_code == code)
            .map(|m| m.municipality_name.clone())
            .unwrap_or_else(|| code.to_string())
    };
    let history: Vec<_> = state.store.participation(region.id).await?.into_iter().filter(|p| p.lot_id == id).collect();
    let current = samenspel_store::lots::forms_on(&history, today);
    let mut form_lines = Vec::new();
    for m in members.iter().filter(|m| m.is_active_on(today)) {
        let form = current.iter().find(|(_, code, _)| *code == m.municipality_code).map(|(_, _, f)| *f);
        let since = history
            .iter()
            .filter(|h| h.municipality_code == m.municipality_code && h.valid_from <= today)
            .map(|h| h.valid_from)
            .max();
        form_lines.push(FormLine {
            name: m.municipality_name.clone(),
            form: form.map(|f| f.label().to_string()).unwrap_or_else(|| "niet vastgelegd".into()),
            since: show::date(since),
        });
    }
    let mut history_lines: Vec<HistoryLine> = history
        .iter()
        .map(|h| HistoryLine {
            name: name_of(&h.municipality_code),
            form: label_of(CollaborationForm::parse, CollaborationForm::label, &h.form),
            from: show::date(Some(h.valid_from)),
            reason: h.reason.clone().unwrap_or_default(),
        })
        .collect();
    history_lines.reverse();
    let steering = state
        .store
        .steering_history(id)
        .await?
        .into_iter()
        .map(|s| SteeringLine {
            from: show::date(Some(s.valid_from)),
            referrers: s.referrers().iter().map(|r| r.label()).collect::<Vec<_>>().join(", "),
            variant: s.funding_variant.clone(),
            ceiling: s.budget_ceiling().map(|c| c.to_string()).unwrap_or_default(),
            cadence: label_of(Cadence::parse, Cadence::label, &s.cadence),
            indicators: [&s.indicator_volume, &s.indicator_money, &s.indicator_quality]
                .iter()
                .filter_map(|i| i.as_deref())
                .collect::<Vec<_>>()
                .join("; "),
            pilot: if s.pilot { format!("ja, evaluatie {}", show::date(s.evaluation_on)) } else { "nee".into() },
            by: s.created_by.clone(),
            reason: s.reason,
        })
        .collect();
    let conditions = state
        .store
        .conditions(id)
        .await?
        .into_iter()
        .map(|c| ConditionLine { id: c.id, position: c.position, text: c.text })
        .collect();
    let contracts = state
        .store
        .contracts(region.id, None)
        .await?
        .into_iter()
        .filter(|c| c.lot_id == id && access.can_view_contracts_of(c.provider_id))
        .map(|c| LotContractLine {
            id: c.id,
            period: format!(
                "{} t/m {}",
                show::date(Some(c.starts_on)),
                c.ends_on.map(samenspel_domain::nl::date).unwrap_or_else(|| "onbepaald".into())
            ),
            status: c.status,
            provider: c.provider_name,
        })
        .collect();
    let admin = access.can_manage_procurement();
    let open_house = lot.route() == Some(Route::OpenAdmission);
    let mut lot_values = FormPairs(vec![
        ("naam".into(), lot.name.clone()),
        ("omschrijving".into(), lot.description.clone().unwrap_or_default()),
        ("route".into(), lot.route.clone()),
        ("begindatum".into(), lot.starts_on.to_string()),
        ("einddatum".into(), lot.ends_on.map(|d| d.to_string()).unwrap_or_default()),
    ]);
    lot_values.0.extend(products.iter().map(|p| ("producten".to_string(), p.id.to_string())));
    let (lot_form_view, form_form, steering_view, condition_view) = if admin {
        let lot_form_view = match forms.lot {
            Some(f) => f,
            None => {
                lot_form(
                    ctx,
                    "perceel",
                    format!("/regios/{}/percelen/{id}", region.code),
                    "Perceel opslaan",
                    &lot_values,
                )
                .await?
            }
        };
        let form_form = match forms.form {
            Some(f) => f,
            None => form_change_form(ctx, id, &FormPairs(vec![("vanaf".into(), today.to_string())])).await?,
        };
        let steering_view = forms.steering.unwrap_or_else(|| {
            let defaults =
                FormPairs(vec![("vanaf".into(), today.to_string()), ("frequentie".into(), "kwartaal".into())]);
            steering_form(ctx, id, &defaults)
        });
        let condition_view = open_house.then(|| forms.condition.unwrap_or_else(|| condition_form(ctx, id, "")));
        (Some(lot_form_view), Some(form_form), Some(steering_view), condition_view)
    } else {
        (None, None, None, None)
    };
    let page = LotPage {
        layout: Layout::for_region(&lot.name, user, region, access, &format!("/regios/{}/percelen", region.code))
            .with_notice(notice),
        subnav: procurement_nav(&region.code, "percelen"),
        code: region.code.clone(),
        id,
        route: label_of(Route::parse, Route::label, &lot.route),
        period: period_text(&lot),
        description: lot.description.clone().unwrap_or_default(),
        products: products.iter().map(ProductRow::label).collect(),
        open_house,
        admission_open: lot.admission_open,
        admin,
        csrf: user.csrf().to_string(),
        forms: form_lines,
        history: history_lines,
        steering,
        conditions,
        contracts,
        lot_form: lot_form_view.map(FormView::done),
        form_form: form_form.map(FormView::done),
        steering_form: steering_view.map(FormView::done),
        condition_form: condition_view.map(FormView::done),
    };
    Ok(render(&page, status))
}

pub async fn lot(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path((code, id)): Path<(String, i64)>,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    lot_page(&ctx, id, LotForms::default(), success_notice(q.gelukt.as_deref(), None), StatusCode::OK).await
}

/// Runs an admin action on a lot: on success back to the lot with a confirmation, on a
/// problem with the input the lot page again with the form that failed.
async fn lot_action(
    ctx: &RegionCtx<'_>,
    id: i64,
    result: Result<(), AppError>,
    success: &str,
    failed_form: impl FnOnce(&Invalid) -> LotForms,
) -> PageResult {
    match result {
        Ok(()) => Ok(see_other(&format!("/regios/{}/percelen/{id}?gelukt={success}", ctx.region.code))),
        Err(e) => {
            let invalid = super::form_problem(e)?;
            let forms = failed_form(&invalid);
            if forms.lot.is_none() && forms.form.is_none() && forms.steering.is_none() && forms.condition.is_none() {
                let text = invalid.errors.iter().map(|e| e.reason.as_str()).collect::<Vec<_>>().join(" ");
                return lot_page(
                    ctx,
                    id,
                    forms,
                    Some(Notice { kind: "error", text }),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            }
            lot_page(ctx, id, forms, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

macro_rules! admin_lot_ctx {
    ($state:ident, $user:ident, $code:ident, $region:ident, $access:ident, $ctx:ident) => {
        let ($region, $access) = region_for(&$state, &$user, &$code).await?;
        if !$access.can_manage_procurement() {
            return Err(AppError::forbidden().into());
        }
        let $ctx = RegionCtx { state: &$state, user: &$user, region: &$region, access: &$access };
    };
}

pub async fn update_lot(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    admin_lot_ctx!(state, user, code, region, access, ctx);
    let result = match lot_input(&form) {
        Ok(d) => state
            .store
            .update_lot(region.id, id, &d, None, &user.actor("web"))
            .await
            .map(|_| ())
            .map_err(AppError::from),
        Err(i) => Err(AppError::invalid(i)),
    };
    let failed = match &result {
        Err(_) => Some(
            lot_form(&ctx, "perceel", format!("/regios/{}/percelen/{id}", region.code), "Perceel opslaan", &form)
                .await?,
        ),
        Ok(_) => None,
    };
    lot_action(&ctx, id, result, "opgeslagen", |i| LotForms {
        lot: failed.map(|f| f.with_errors(i)),
        ..Default::default()
    })
    .await
}

pub async fn set_form(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    admin_lot_ctx!(state, user, code, region, access, ctx);
    let result =
        match input::form_change(form.get("gemeentecode"), form.get("vorm"), form.get("vanaf"), form.get("reden")) {
            Ok(change) => state
                .store
                .set_participation(region.id, id, &change, &user.actor("web"))
                .await
                .map(|_| ())
                .map_err(AppError::from),
            Err(i) => Err(AppError::invalid(i)),
        };
    let failed = match &result {
        Err(_) => Some(form_change_form(&ctx, id, &form).await?),
        Ok(_) => None,
    };
    lot_action(&ctx, id, result, "vorm-vastgelegd", |i| LotForms {
        form: failed.map(|f| f.with_errors(i)),
        ..Default::default()
    })
    .await
}

pub async fn add_steering(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    admin_lot_ctx!(state, user, code, region, access, ctx);
    let referrers = form.all("verwijzers");
    let parsed = input::steering(&SteeringText {
        verwijzers: &referrers,
        uitvoeringsvariant: form.get("uitvoeringsvariant"),
        budgetplafond: form.get("budgetplafond"),
        frequentie: form.get("frequentie"),
        indicator_volume: form.get("indicatorVolume"),
        indicator_geld: form.get("indicatorGeld"),
        indicator_kwaliteit: form.get("indicatorKwaliteit"),
        pilot: form.flag("pilot"),
        evaluatiedatum: form.get("evaluatiedatum"),
        vanaf: form.get("vanaf"),
        reden: form.get("reden"),
    });
    let result = match parsed {
        Ok((choices, from, reason)) => state
            .store
            .add_steering(region.id, id, &choices, from, &reason, &user.actor("web"))
            .await
            .map(|_| ())
            .map_err(AppError::from),
        Err(i) => Err(AppError::invalid(i)),
    };
    let failed = steering_form(&ctx, id, &form);
    lot_action(&ctx, id, result, "sturing-vastgelegd", |i| LotForms {
        steering: Some(failed.with_errors(i)),
        ..Default::default()
    })
    .await
}

#[derive(Deserialize, Default)]
pub struct ConditionForm {
    #[serde(default)]
    tekst: String,
}

pub async fn add_condition(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(user, form): CsrfForm<ConditionForm>,
) -> PageResult {
    admin_lot_ctx!(state, user, code, region, access, ctx);
    let result = match required_text(&form.tekst, 3, 1000) {
        Ok(text) => state
            .store
            .add_condition(region.id, id, &text, &user.actor("web"))
            .await
            .map(|_| ())
            .map_err(AppError::from),
        Err(e) => Err(AppError::invalid(Invalid::single("tekst", &e.code, e.reason))),
    };
    let failed = condition_form(&ctx, id, &form.tekst);
    lot_action(&ctx, id, result, "voorwaarde-toegevoegd", |i| LotForms {
        condition: Some(failed.with_errors(i)),
        ..Default::default()
    })
    .await
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn remove_condition(
    State(state): State<AppState>,
    Path((code, id, condition)): Path<(String, i64, i64)>,
    CsrfForm(user, _): CsrfForm<Empty>,
) -> PageResult {
    admin_lot_ctx!(state, user, code, region, access, ctx);
    let result =
        state.store.remove_condition(region.id, id, condition, &user.actor("web")).await.map_err(AppError::from);
    lot_action(&ctx, id, result, "voorwaarde-verwijderd", |_| LotForms::default()).await
}

#[derive(Deserialize, Default)]
pub struct AdmissionToggle {
    #[serde(default)]
    open: String,
}

pub async fn toggle_admission(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(user, form): CsrfForm<AdmissionToggle>,
) -> PageResult {
    admin_lot_ctx!(state, user, code, region, access, ctx);
    let open = form.open == "ja";
    let result = state
        .store
        .set_admission_open(region.id, id, open, &user.actor("web"))
        .await
        .map(|_| ())
        .map_err(AppError::from);
    lot_action(&ctx, id, result, if open { "toelating-open" } else { "toelating-dicht" }, |_| LotForms::default()).await
}
