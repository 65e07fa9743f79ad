//! Care providers in a region: the register, one provider's page, adding and editing.

use super::home::NoticeQuery;
use super::{render, see_other, success_notice, FormView, Layout, Notice, PageResult, Pager, RegionCtx};
use crate::auth::{region_for, PageUser};
use crate::error::AppError;
use crate::forms::CsrfForm;
use crate::input::{self, ProviderText};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use samenspel_store::providers::ProviderRow;
use samenspel_store::PageRequest;
use serde::Deserialize;

pub struct ProviderLine {
    pub id: i64,
    pub name: String,
    pub agb: String,
    pub kvk: String,
    pub city: String,
    pub active: bool,
}

impl From<ProviderRow> for ProviderLine {
    fn from(p: ProviderRow) -> Self {
        ProviderLine {
            id: p.id,
            name: p.name,
            agb: p.agb_code.unwrap_or_default(),
            kvk: p.kvk_number.unwrap_or_default(),
            city: p.city.unwrap_or_default(),
            active: p.active,
        }
    }
}

#[derive(Template)]
#[template(path = "providers.html")]
struct ProvidersPage {
    layout: Layout,
    code: String,
    providers: Vec<ProviderLine>,
    pager: Pager,
    total: i64,
    form: Option<FormView>,
}

#[derive(Deserialize, Default, Clone)]
pub struct ProviderForm {
    #[serde(default)]
    naam: String,
    #[serde(default, rename = "agbCode")]
    agb_code: String,
    #[serde(default, rename = "kvkNummer")]
    kvk_nummer: String,
    #[serde(default)]
    plaats: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    telefoon: String,
    /// Checkbox: present ("on") when ticked.
    #[serde(default)]
    actief: String,
}

impl ProviderForm {
    fn from_row(p: &ProviderRow) -> Self {
        ProviderForm {
            naam: p.name.clone(),
            agb_code: p.agb_code.clone().unwrap_or_default(),
            kvk_nummer: p.kvk_number.clone().unwrap_or_default(),
            plaats: p.city.clone().unwrap_or_default(),
            email: p.email.clone().unwrap_or_default(),
            telefoon: p.phone.clone().unwrap_or_default(),
            actief: if p.active { "on".into() } else { String::new() },
        }
    }

    fn text(&self) -> ProviderText<'_> {
        ProviderText {
            naam: &self.naam,
            agb_code: &self.agb_code,
            kvk_nummer: &self.kvk_nummer,
            plaats: &self.plaats,
            email: &self.email,
            telefoon: &self.telefoon,
            actief: self.actief == "on",
        }
    }
}

fn provider_form(
    id: &'static str,
    action: String,
    submit: &'static str,
    csrf: &str,
    v: &ProviderForm,
    with_active: bool,
) -> FormView {
    let mut f = FormView::new(id, action, submit, csrf)
        .field("naam", "Naam", "text", &v.naam, true)
        .autocomplete("organization")
        .field("agbCode", "AGB-code", "text", &v.agb_code, false)
        .hint("Acht cijfers, uit het AGB-register van Vektis.")
        .field("kvkNummer", "KvK-nummer", "text", &v.kvk_nummer, false)
        .hint("Acht cijfers.")
        .field("plaats", "Vestigingsplaats", "text", &v.plaats, false)
        .field("email", "E-mailadres", "email", &v.email, false)
        .autocomplete("email")
        .field("telefoon", "Telefoonnummer", "tel", &v.telefoon, false)
        .autocomplete("tel");
    if with_active {
        f = f.field("actief", "Actief in deze regio", "checkbox", &v.actief, false);
    }
    f
}

fn contact_form(action: String, csrf: &str, v: &ProviderForm) -> FormView {
    FormView::new("contact", action, "Contactgegevens opslaan", csrf)
        .field("email", "E-mailadres", "email", &v.email, false)
        .autocomplete("email")
        .field("telefoon", "Telefoonnummer", "tel", &v.telefoon, false)
        .autocomplete("tel")
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    page: Option<u32>,
    gelukt: Option<String>,
}

async fn list_page(
    ctx: &RegionCtx<'_>,
    page: u32,
    form: Option<FormView>,
    notice: Option<Notice>,
    status: StatusCode,
) -> PageResult {
    let RegionCtx { state, user, region, access } = *ctx;
    let request = PageRequest { page: page.max(1), page_size: 50 };
    let paged = state.store.providers(region.id, access.can_manage_providers(), request).await?;
    let form = match form {
        Some(f) => Some(f),
        None if access.can_manage_providers() => Some(provider_form(
            "nieuwe-aanbieder",
            format!("/regios/{}/aanbieders", region.code),
            "Zorgaanbieder toevoegen",
            user.csrf(),
            &ProviderForm { actief: "on".into(), ..Default::default() },
            false,
        )),
        None => None,
    };
    let view = ProvidersPage {
        layout: Layout::for_region(
            "Zorgaanbieders",
            user,
            region,
            access,
            &format!("/regios/{}/aanbieders", region.code),
        )
        .with_notice(notice),
        code: region.code.clone(),
        pager: Pager::new(request.page, paged.total, 50, |p| format!("/regios/{}/aanbieders?page={p}", region.code)),
        total: paged.total,
        providers: paged.items.into_iter().map(ProviderLine::from).collect(),
        form: form.map(FormView::done),
    };
    Ok(render(&view, status))
}

pub async fn list(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(code): Path<String>,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    list_page(
        &RegionCtx { state: &state, user: &user, region: &region, access: &access },
        q.page.unwrap_or(1),
        None,
        success_notice(q.gelukt.as_deref(), None),
        StatusCode::OK,
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    Path(code): Path<String>,
    CsrfForm(user, form): CsrfForm<ProviderForm>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_providers() {
        return Err(AppError::forbidden().into());
    }
    let text = ProviderText { actief: true, ..form.text() };
    let result = match input::provider_details(&text) {
        Ok(details) => {
            state.store.create_provider(region.id, &details, &user.actor("web")).await.map_err(AppError::from)
        }
        Err(invalid) => Err(AppError::invalid(invalid)),
    };
    match result {
        Ok(p) => Ok(see_other(&format!("/regios/{}/aanbieders/{}?gelukt=aanbieder-toegevoegd", region.code, p.id))),
        Err(e) => {
            let invalid = super::form_problem(e)?;
            let f = provider_form(
                "nieuwe-aanbieder",
                format!("/regios/{}/aanbieders", region.code),
                "Zorgaanbieder toevoegen",
                user.csrf(),
                &form,
                false,
            )
            .with_errors(&invalid);
            list_page(
                &RegionCtx { state: &state, user: &user, region: &region, access: &access },
                1,
                Some(f),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Template)]
#[template(path = "provider.html")]
struct ProviderPage {
    layout: Layout,
    code: String,
    provider: ProviderLine,
    email: String,
    phone: String,
    staff: Option<Vec<String>>,
    form: Option<FormView>,
}

async fn detail_page(
    ctx: &RegionCtx<'_>,
    provider: ProviderRow,
    form: Option<FormView>,
    notice: Option<Notice>,
    status: StatusCode,
) -> PageResult {
    let RegionCtx { state, user, region, access } = *ctx;
    let action = format!("/regios/{}/aanbieders/{}", region.code, provider.id);
    let values = ProviderForm::from_row(&provider);
    let form = match form {
        Some(f) => Some(f),
        None if access.can_manage_providers() => {
            Some(provider_form("aanbieder", action, "Wijzigingen opslaan", user.csrf(), &values, true))
        }
        None if access.can_edit_provider_contact(provider.id) => Some(contact_form(action, user.csrf(), &values)),
        None => None,
    };
    let staff = if access.can_view_provider_staff(provider.id) {
        let grants = state.store.grants_in_region(region.id).await?;
        let users = state.store.users_in_region(region.id, PageRequest::all()).await?.items;
        Some(
            users
                .into_iter()
                .filter(|u| grants.iter().any(|g| g.user_id == u.id && g.provider_id == Some(provider.id)))
                .map(|u| u.display_name)
                .collect(),
        )
    } else {
        None
    };
    let view = ProviderPage {
        layout: Layout::for_region(
            &provider.name,
            user,
            region,
            access,
            &format!("/regios/{}/aanbieders", region.code),
        )
        .with_notice(notice),
        code: region.code.clone(),
        email: provider.email.clone().unwrap_or_default(),
        phone: provider.phone.clone().unwrap_or_default(),
        provider: ProviderLine::from(provider),
        staff,
        form: form.map(FormView::done),
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
    let provider = state.store.provider(region.id, id).await?;
    detail_page(
        &RegionCtx { state: &state, user: &user, region: &region, access: &access },
        provider,
        None,
        success_notice(q.gelukt.as_deref(), None),
        StatusCode::OK,
    )
    .await
}

pub async fn update(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(user, form): CsrfForm<ProviderForm>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    let provider = state.store.provider(region.id, id).await?;
    let action = format!("/regios/{}/aanbieders/{id}", region.code);
    let actor = user.actor("web");
    let (result, form_view) = if access.can_manage_providers() {
        let result = match input::provider_details(&form.text()) {
            Ok(d) => state.store.update_provider(region.id, id, &d, &actor).await.map_err(AppError::from),
            Err(i) => Err(AppError::invalid(i)),
        };
        (result, provider_form("aanbieder", action, "Wijzigingen opslaan", user.csrf(), &form, true))
    } else if access.can_edit_provider_contact(id) {
        let result = match input::provider_contact(&form.email, &form.telefoon) {
            Ok(c) => state.store.update_provider_contact(region.id, id, &c, &actor).await.map_err(AppError::from),
            Err(i) => Err(AppError::invalid(i)),
        };
        (result, contact_form(action, user.csrf(), &form))
    } else {
        return Err(AppError::forbidden().into());
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/regios/{}/aanbieders/{id}?gelukt=opgeslagen", region.code))),
        Err(e) => {
            let invalid = super::form_problem(e)?;
            detail_page(
                &RegionCtx { state: &state, user: &user, region: &region, access: &access },
                provider,
                Some(form_view.with_errors(&invalid)),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}
