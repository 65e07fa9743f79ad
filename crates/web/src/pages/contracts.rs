//! Contracts and their tariffs: the list, one contract with its tariffs (member deviations,
//! cost build-up), adding and removing tariffs, and yearly indexation.

use super::home::NoticeQuery;
use super::{
    procurement_nav, render, see_other, show, success_notice, FormView, Layout, NavItem, Notice, PageError, PageResult,
    RegionCtx,
};
use crate::api::contracts::visible_contract;
use crate::auth::{region_for, PageUser};
use crate::error::AppError;
use crate::forms::{CsrfForm, FormPairs};
use crate::input::{self, TariffText};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use samenspel_domain::procurement::{parse_percentage, CollaborationForm, ContractStatus, CostBuildUp, Unit};
use samenspel_domain::{Cents, Invalid};
use samenspel_store::contracts::ContractRow;
use samenspel_store::PageRequest;

pub struct ContractLine {
    pub id: i64,
    pub provider: String,
    pub lot: String,
    pub period: String,
    pub status: String,
}

fn period(c: &ContractRow) -> String {
    format!(
        "{} t/m {}",
        show::date(Some(c.starts_on)),
        c.ends_on.map(samenspel_domain::nl::date).unwrap_or_else(|| "onbepaald".into())
    )
}

fn status_label(code: &str) -> String {
    ContractStatus::parse(code).map(|s| s.label()).unwrap_or(code).to_string()
}

#[derive(Template)]
#[template(path = "contracts.html")]
struct ContractsPage {
    layout: Layout,
    subnav: Vec<NavItem>,
    code: String,
    contracts: Vec<ContractLine>,
    form: Option<FormView>,
}

async fn contract_form(ctx: &RegionCtx<'_>, v: &FormPairs) -> Result<FormView, PageError> {
    let mut providers = vec![(String::new(), "— kies een zorgaanbieder —".to_string())];
    providers.extend(
        ctx.state
            .store
            .providers(ctx.region.id, false, PageRequest::all())
            .await?
            .items
            .into_iter()
            .map(|p| (p.id.to_string(), p.name)),
    );
    let mut lots = vec![(String::new(), "— kies een perceel —".to_string())];
    lots.extend(ctx.state.store.lots(ctx.region.id).await?.into_iter().map(|l| (l.id.to_string(), l.name)));
    Ok(FormView::new(
        "nieuw-contract",
        format!("/regios/{}/contracten", ctx.region.code),
        "Contract aanmaken",
        ctx.user.csrf(),
    )
    .select("aanbiederId", "Zorgaanbieder", v.get("aanbiederId"), providers, true)
    .select("perceelId", "Perceel", v.get("perceelId"), lots, true)
    .field("begindatum", "Begindatum", "date", v.get("begindatum"), true)
    .field("einddatum", "Einddatum (laatste dag)", "date", v.get("einddatum"), false)
    .select("status", "Status", v.get("status"), ContractStatus::options(), true)
    .field("kenmerk", "Kenmerk (bijvoorbeeld het TenderNed-dossier)", "text", v.get("kenmerk"), false))
}

async fn contracts_page(
    ctx: &RegionCtx<'_>,
    form: Option<FormView>,
    notice: Option<Notice>,
    status: StatusCode,
) -> PageResult {
    let RegionCtx { state, user, region, access } = *ctx;
    let contracts = state
        .store
        .contracts(region.id, None)
        .await?
        .into_iter()
        .filter(|c| access.can_view_contracts_of(c.provider_id))
        .map(|c| ContractLine {
            id: c.id,
            period: period(&c),
            status: status_label(&c.status),
            provider: c.provider_name,
            lot: c.lot_name,
        })
        .collect();
    let form = match form {
        Some(f) => Some(f),
        None if access.can_manage_procurement() => {
            Some(contract_form(ctx, &FormPairs(vec![("status".into(), "actief".into())])).await?)
        }
        None => None,
    };
    let page = ContractsPage {
        layout: Layout::for_region(
            "Contracten en tarieven",
            user,
            region,
            access,
            &format!("/regios/{}/contracten", region.code),
        )
        .with_notice(notice),
        subnav: procurement_nav(&region.code, "contracten"),
        code: region.code.clone(),
        contracts,
        form: form.map(FormView::done),
    };
    Ok(render(&page, status))
}

pub async fn list(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(code): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    contracts_page(&ctx, None, success_notice(q.gelukt.as_deref(), None), StatusCode::OK).await
}

fn contract_input(v: &FormPairs) -> Result<samenspel_store::contracts::ContractDetails, Invalid> {
    input::contract(
        v.get("aanbiederId"),
        v.get("perceelId"),
        v.get("begindatum"),
        v.get("einddatum"),
        v.get("status"),
        v.get("kenmerk"),
    )
}

pub async fn create(
    State(state): State<AppState>,
    Path(code): Path<String>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_procurement() {
        return Err(AppError::forbidden().into());
    }
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let result = match contract_input(&form) {
        Ok(d) => state.store.create_contract(region.id, &d, &user.actor("web")).await.map_err(AppError::from),
        Err(i) => Err(AppError::invalid(i)),
    };
    match result {
        Ok(c) => Ok(see_other(&format!("/regios/{}/contracten/{}?gelukt=contract-aangemaakt", region.code, c.id))),
        Err(e) => {
            let invalid = super::form_problem(e)?;
            let f = contract_form(&ctx, &form).await?.with_errors(&invalid);
            contracts_page(&ctx, Some(f), None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

pub struct TariffLine {
    pub id: i64,
    pub year: i32,
    pub product: String,
    pub member: String,
    pub amount: String,
    pub unit: String,
    pub build_up: String,
}

#[derive(Template)]
#[template(path = "contract.html")]
struct ContractPage {
    layout: Layout,
    subnav: Vec<NavItem>,
    code: String,
    id: i64,
    lot_id: i64,
    provider: String,
    lot: String,
    period: String,
    status: String,
    reference: String,
    admin: bool,
    csrf: String,
    tariffs: Vec<TariffLine>,
    edit_form: Option<FormView>,
    tariff_form: Option<FormView>,
    index_form: Option<FormView>,
}

#[derive(Default)]
struct ContractForms {
    edit: Option<FormView>,
    tariff: Option<FormView>,
    index: Option<FormView>,
}

async fn tariff_form(ctx: &RegionCtx<'_>, contract: &ContractRow, v: &FormPairs) -> Result<FormView, PageError> {
    let store = &ctx.state.store;
    let products =
        store.lot_products(contract.lot_id).await?.into_iter().map(|p| (p.id.to_string(), p.label())).collect();
    let today = samenspel_store::today();
    let history = store.participation(ctx.region.id).await?;
    let mut members = vec![(String::new(), "— regionaal tarief (alle leden) —".to_string())];
    let names = store.memberships(ctx.region.id).await?;
    for (lot, code, form) in samenspel_store::lots::forms_on(&history, today) {
        if lot == contract.lot_id && form == CollaborationForm::Convoy {
            let name = names
                .iter()
                .find(|m| m.municipality_code == code)
                .map(|m| m.municipality_name.clone())
                .unwrap_or_else(|| code.clone());
            members.push((code, format!("{name} (in konvooi)")));
        }
    }
    let mut f = FormView::new(
        "tarief",
        format!("/regios/{}/contracten/{}/tarieven", ctx.region.code, contract.id),
        "Tarief toevoegen",
        ctx.user.csrf(),
    )
    .select("productId", "Product", v.get("productId"), products, true)
    .field("jaar", "Jaar", "number", v.get("jaar"), true)
    .select("gemeentecode", "Voor", v.get("gemeentecode"), members, false)
    .hint("Een eigen tarief kan alleen voor een lid dat in dit perceel in konvooi meedoet.")
    .field("bedrag", "Tarief per eenheid", "text", v.get("bedrag"), true)
    .hint("In euro, bijvoorbeeld 78,12.")
    .select(
        "eenheid",
        "Eenheid",
        v.get("eenheid"),
        std::iter::once((String::new(), "— kies —".to_string())).chain(Unit::options()).collect(),
        true,
    );
    for (name, label) in CostBuildUp::PARTS {
        f = f.field(name, &format!("Kostenopbouw: {label}"), "text", v.get(name), false);
    }
    Ok(f.hint("Vul alle zes onderdelen in (in euro, 0 mag) of geen; samen zijn ze het tarief."))
}

fn index_form(ctx: &RegionCtx<'_>, id: i64, v: &FormPairs) -> FormView {
    FormView::new(
        "indexatie",
        format!("/regios/{}/contracten/{id}/indexeren", ctx.region.code),
        "Tarieven indexeren",
        ctx.user.csrf(),
    )
    .field("jaar", "Tarieven van jaar", "number", v.get("jaar"), true)
    .field("percentage", "Indexatie (%)", "text", v.get("percentage"), true)
    .hint("Bijvoorbeeld 3,25. De tarieven van het volgende jaar worden berekend en afgerond op hele centen.")
}

async fn contract_page(
    ctx: &RegionCtx<'_>,
    id: i64,
    forms: ContractForms,
    notice: Option<Notice>,
    status: StatusCode,
) -> PageResult {
    let RegionCtx { state, user, region, access } = *ctx;
    let contract = visible_contract(state, access, region.id, id).await?;
    let names = state.store.memberships(region.id).await?;
    let tariffs = state
        .store
        .tariffs(id)
        .await?
        .into_iter()
        .map(|t| {
            let build_up = t
                .build_up()
                .map(|b| {
                    b.parts()
                        .iter()
                        .zip(CostBuildUp::PARTS)
                        .map(|(c, (_, label))| format!("{label} {c}"))
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_default();
            TariffLine {
                id: t.id,
                year: t.year,
                product: t
                    .product_code
                    .clone()
                    .map(|c| format!("{c} {}", t.product_name))
                    .unwrap_or(t.product_name.clone()),
                member: t
                    .municipality_code
                    .as_ref()
                    .map(|m| {
                        names
                            .iter()
                            .find(|n| &n.municipality_code == m)
                            .map(|n| n.municipality_name.clone())
                            .unwrap_or(m.clone())
                    })
                    .unwrap_or_else(|| "regionaal".into()),
                amount: Cents(t.amount_cents).to_string(),
                unit: Unit::parse(&t.unit).map(|u| u.label()).unwrap_or("?").to_string(),
                build_up,
            }
        })
        .collect();
    let admin = access.can_manage_procurement();
    let this_year = samenspel_store::now().year().to_string();
    let (edit, tariff, index) = if admin {
        let values = FormPairs(vec![
            ("aanbiederId".into(), contract.provider_id.to_string()),
            ("perceelId".into(), contract.lot_id.to_string()),
            ("begindatum".into(), contract.starts_on.to_string()),
            ("einddatum".into(), contract.ends_on.map(|d| d.to_string()).unwrap_or_default()),
            ("status".into(), contract.status.clone()),
            ("kenmerk".into(), contract.reference.clone().unwrap_or_default()),
        ]);
        let edit = match forms.edit {
            Some(f) => f,
            None => edit_form(ctx, id, &values),
        };
        let tariff = match forms.tariff {
            Some(f) => f,
            None => tariff_form(ctx, &contract, &FormPairs(vec![("jaar".into(), this_year.clone())])).await?,
        };
        let index = forms.index.unwrap_or_else(|| index_form(ctx, id, &FormPairs(vec![("jaar".into(), this_year)])));
        (Some(edit), Some(tariff), Some(index))
    } else {
        (None, None, None)
    };
    let page = ContractPage {
        layout: Layout::for_region(
            &format!("Contract {} – {}", contract.provider_name, contract.lot_name),
            user,
            region,
            access,
            &format!("/regios/{}/contracten", region.code),
        )
        .with_notice(notice),
        subnav: procurement_nav(&region.code, "contracten"),
        code: region.code.clone(),
        id,
        lot_id: contract.lot_id,
        period: period(&contract),
        status: status_label(&contract.status),
        reference: contract.reference.clone().unwrap_or_default(),
        provider: contract.provider_name,
        lot: contract.lot_name,
        admin,
        csrf: user.csrf().to_string(),
        tariffs,
        edit_form: edit.map(FormView::done),
        tariff_form: tariff.map(FormView::done),
        index_form: index.map(FormView::done),
    };
    Ok(render(&page, status))
}

fn edit_form(ctx: &RegionCtx<'_>, id: i64, v: &FormPairs) -> FormView {
    FormView::new(
        "contract",
        format!("/regios/{}/contracten/{id}", ctx.region.code),
        "Contract opslaan",
        ctx.user.csrf(),
    )
    .field("aanbiederId", "", "hidden", v.get("aanbiederId"), true)
    .field("perceelId", "", "hidden", v.get("perceelId"), true)
    .field("begindatum", "Begindatum", "date", v.get("begindatum"), true)
    .field("einddatum", "Einddatum (laatste dag)", "date", v.get("einddatum"), false)
    .select("status", "Status", v.get("status"), ContractStatus::options(), true)
    .field("kenmerk", "Kenmerk", "text", v.get("kenmerk"), false)
}

pub async fn detail(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path((code, id)): Path<(String, i64)>,
    Query(q): Query<super::members::CountQuery>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let mut notice = success_notice(q.gelukt.as_deref(), q.aantal.as_deref());
    let skipped = q.overgeslagen.as_deref().and_then(|s| s.parse::<u32>().ok()).filter(|s| *s > 0);
    if let (Some(n), Some(skipped)) = (notice.as_mut(), skipped) {
        n.text.push_str(&format!(
            " {skipped} {} niet meegenomen: het product hoort niet meer bij het perceel, of het lid doet niet meer in konvooi mee.",
            if skipped == 1 { "tarief is" } else { "tarieven zijn" }
        ));
    }
    contract_page(&ctx, id, ContractForms::default(), notice, StatusCode::OK).await
}

async fn contract_action(
    ctx: &RegionCtx<'_>,
    id: i64,
    result: Result<String, AppError>,
    failed: impl FnOnce(&Invalid) -> ContractForms,
) -> PageResult {
    match result {
        Ok(success) => Ok(see_other(&format!("/regios/{}/contracten/{id}?gelukt={success}", ctx.region.code))),
        Err(e) => {
            let invalid = super::form_problem(e)?;
            let forms = failed(&invalid);
            if forms.edit.is_none() && forms.tariff.is_none() && forms.index.is_none() {
                let text = invalid.errors.iter().map(|e| e.reason.as_str()).collect::<Vec<_>>().join(" ");
                return contract_page(
                    ctx,
                    id,
                    forms,
                    Some(Notice { kind: "error", text }),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            }
            contract_page(ctx, id, forms, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

macro_rules! admin_contract {
    ($state:ident, $user:ident, $code:ident, $id:ident, $region:ident, $access:ident, $ctx:ident, $contract:ident) => {
        let ($region, $access) = region_for(&$state, &$user, &$code).await?;
        let $contract = visible_contract(&$state, &$access, $region.id, $id).await?;
        if !$access.can_manage_procurement() {
            return Err(AppError::forbidden().into());
        }
        let $ctx = RegionCtx { state: &$state, user: &$user, region: &$region, access: &$access };
    };
}

pub async fn update(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    admin_contract!(state, user, code, id, region, access, ctx, _contract);
    let result = match contract_input(&form) {
        Ok(d) => state
            .store
            .update_contract(region.id, id, &d, &user.actor("web"))
            .await
            .map(|_| "opgeslagen".to_string())
            .map_err(AppError::from),
        Err(i) => Err(AppError::invalid(i)),
    };
    let failed = edit_form(&ctx, id, &form);
    contract_action(&ctx, id, result, |i| ContractForms { edit: Some(failed.with_errors(i)), ..Default::default() })
        .await
}

pub async fn add_tariff(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    admin_contract!(state, user, code, id, region, access, ctx, contract);
    let parts: Vec<&str> = CostBuildUp::PARTS.iter().map(|(name, _)| form.get(name)).collect();
    let text = TariffText {
        product: form.get("productId"),
        jaar: form.get("jaar"),
        gemeentecode: form.get("gemeentecode"),
        bedrag: form.get("bedrag"),
        eenheid: form.get("eenheid"),
        opbouw: [parts[0], parts[1], parts[2], parts[3], parts[4], parts[5]],
    };
    let result = match input::tariff(&text) {
        Ok(t) => state
            .store
            .add_tariff(region.id, id, &t, &user.actor("web"))
            .await
            .map(|_| "tarief-toegevoegd".to_string())
            .map_err(AppError::from),
        Err(i) => Err(AppError::invalid(i)),
    };
    let failed = match &result {
        Err(_) => Some(tariff_form(&ctx, &contract, &form).await?),
        Ok(_) => None,
    };
    contract_action(&ctx, id, result, |i| ContractForms {
        tariff: failed.map(|f| f.with_errors(i)),
        ..Default::default()
    })
    .await
}

#[derive(serde::Deserialize)]
pub struct Empty {}

pub async fn remove_tariff(
    State(state): State<AppState>,
    Path((code, id, tariff)): Path<(String, i64, i64)>,
    CsrfForm(user, _): CsrfForm<Empty>,
) -> PageResult {
    admin_contract!(state, user, code, id, region, access, ctx, _contract);
    let result = state
        .store
        .remove_tariff(region.id, id, tariff, &user.actor("web"))
        .await
        .map(|_| "tarief-verwijderd".to_string())
        .map_err(AppError::from);
    contract_action(&ctx, id, result, |_| ContractForms::default()).await
}

pub async fn index(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    admin_contract!(state, user, code, id, region, access, ctx, _contract);
    let mut invalid = Invalid::new();
    let year = invalid.check("jaar", input::year(form.get("jaar")).map_err(|e| e.errors[0].clone()));
    let bp = invalid.check("percentage", parse_percentage(form.get("percentage")));
    let result = match (year, bp) {
        (Some(y), Some(bp)) if invalid.is_empty() => state
            .store
            .index_tariffs(region.id, id, y, bp, &user.actor("web"))
            .await
            .map(|o| format!("geindexeerd&aantal={}&overgeslagen={}", o.made, o.skipped))
            .map_err(AppError::from),
        _ => Err(AppError::invalid(invalid)),
    };
    let failed = index_form(&ctx, id, &form);
    contract_action(&ctx, id, result, |i| ContractForms { index: Some(failed.with_errors(i)), ..Default::default() })
        .await
}
