//! The Dutch web pages, rendered on the server with NL Design System styling. They work
//! without JavaScript; every form posts with a CSRF token and comes back with what the user
//! typed and the reason next to each invalid field.

mod account;
mod admin;
mod admission;
mod charter;
mod contracts;
mod exchange;
mod health;
mod home;
mod login;
mod members;
mod norm;
mod procurement;
mod production;
mod proposals;
mod provider_side;
mod providers;
mod reference;
mod risk_analysis;
mod risk_sharing;
mod users;

use crate::auth::CurrentUser;
use crate::error::{title_for, AppError};
use crate::AppState;
use askama::Template;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use samenspel_domain::access::RegionAccess;
use samenspel_domain::Invalid;
use samenspel_store::regions::RegionRow;
use samenspel_store::StoreError;

pub use charter::outsiders as charter_outsiders;
pub use health::new_round as new_survey_round;
pub use proposals::{download_response, media_type as attachment_media_type};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home::start))
        .route("/assets/{*file}", get(assets))
        .route("/inloggen", get(login::form).post(login::submit))
        .route("/uitloggen", post(login::logout))
        .route("/account", get(account::page))
        .route("/account/wachtwoord", post(account::change_password))
        .route("/account/tokens", post(account::create_token))
        .route("/account/tokens/{id}/intrekken", post(account::revoke_token))
        .route("/gemeenten", get(reference::municipalities))
        .route("/regios", get(home::regions).post(home::create_region))
        .route("/regios/{code}", get(home::overview))
        .route("/regios/{code}/leden", get(members::page).post(members::add))
        .route("/regios/{code}/leden/{id}/beeindigen", post(members::end))
        .route("/regios/{code}/instellingen", post(members::settings))
        .route("/regios/{code}/kerncijfers", get(members::figures))
        .route("/regios/{code}/kerncijfers/invoer", post(members::save_figures))
        .route(
            "/regios/{code}/kerncijfers/import",
            post(members::import_figures)
                .layer(axum::extract::DefaultBodyLimit::max(crate::security::MAX_UPLOAD_BYTES)),
        )
        .route("/regios/{code}/aanbieders", get(providers::list).post(providers::create))
        .route("/regios/{code}/aanbieders/{id}", get(providers::detail).post(providers::update))
        .route("/regios/{code}/gebruikers", get(users::list).post(users::create))
        .route("/regios/{code}/gebruikers/{id}", get(users::detail).post(users::update))
        .route("/regios/{code}/gebruikers/{id}/rollen", post(users::add_role))
        .route("/regios/{code}/gebruikers/{id}/rollen/{rol_id}/intrekken", post(users::remove_role))
        .route("/regios/{code}/gebruikers/{id}/wachtwoord", post(users::reset_password))
        .route("/regios/{code}/auditlog", get(admin::audit_log))
        .route("/regios/{code}/producten", get(procurement::products).post(procurement::create_product))
        .route("/regios/{code}/producten/{id}", get(procurement::product).post(procurement::update_product))
        .route("/regios/{code}/percelen", get(procurement::lots).post(procurement::create_lot))
        .route("/regios/{code}/percelen/{id}", get(procurement::lot).post(procurement::update_lot))
        .route("/regios/{code}/percelen/{id}/vormen", post(procurement::set_form))
        .route("/regios/{code}/percelen/{id}/sturing", post(procurement::add_steering))
        .route("/regios/{code}/percelen/{id}/voorwaarden", post(procurement::add_condition))
        .route(
            "/regios/{code}/percelen/{id}/voorwaarden/{voorwaarde_id}/verwijderen",
            post(procurement::remove_condition),
        )
        .route("/regios/{code}/percelen/{id}/toelating", post(procurement::toggle_admission))
        .route("/regios/{code}/contracten", get(contracts::list).post(contracts::create))
        .route("/regios/{code}/contracten/{id}", get(contracts::detail).post(contracts::update))
        .route("/regios/{code}/contracten/{id}/tarieven", post(contracts::add_tariff))
        .route("/regios/{code}/contracten/{id}/tarieven/{tarief_id}/verwijderen", post(contracts::remove_tariff))
        .route("/regios/{code}/contracten/{id}/indexeren", post(contracts::index))
        .route("/regios/{code}/toelating", get(admission::list).post(admission::apply))
        .route("/regios/{code}/toelating/{id}", get(admission::detail))
        .route("/regios/{code}/toelating/{id}/besluit", post(admission::decide))
        .route("/regios/{code}/toelating/{id}/beeindiging", post(admission::end))
        .route("/regios/{code}/administratieve-lasten", get(admission::burden))
        .route("/regios/{code}/administratieve-lasten/uren", post(admission::set_hours))
        .route("/regios/{code}/uitgaven", get(production::spend))
        .route("/regios/{code}/signalen", get(production::signals))
        .route(
            "/regios/{code}/importen",
            get(production::imports)
                .post(production::upload)
                .layer(axum::extract::DefaultBodyLimit::max(crate::security::MAX_MESSAGE_BYTES)),
        )
        .route("/regios/{code}/importen/{id}", get(production::import))
        .route("/regios/{code}/quarantaine/herverwerken", post(production::reprocess))
        .route("/regios/{code}/toewijzingen", get(production::assignments))
        .route("/regios/{code}/declaraties", get(production::claim_lines))
        .route("/regios/{code}/handvest", get(charter::page).post(charter::save))
        .route("/regios/{code}/norm", get(norm::page).post(norm::save))
        .route("/regios/{code}/voorstellen", get(proposals::list).post(proposals::create))
        .route("/regios/{code}/voorstellen/{id}", get(proposals::show))
        .route("/regios/{code}/voorstellen/{id}/tekst", post(proposals::update_text))
        .route("/regios/{code}/voorstellen/{id}/stap", post(proposals::step))
        .route(
            "/regios/{code}/voorstellen/{id}/bijlagen",
            post(proposals::upload).layer(axum::extract::DefaultBodyLimit::max(
                samenspel_store::proposals::MAX_ATTACHMENT_BYTES + 64 * 1024,
            )),
        )
        .route("/regios/{code}/voorstellen/{id}/bijlagen/{bijlage}", get(proposals::attachment))
        .route("/regios/{code}/voorstellen/{id}/zienswijzen", post(proposals::give_input))
        .route("/regios/{code}/voorstellen/{id}/zienswijzen/{zienswijze}/reactie", post(proposals::respond))
        .route("/regios/{code}/voorstellen/{id}/stem", post(proposals::vote))
        .route("/regios/{code}/besluiten", get(proposals::decisions))
        .route("/regios/{code}/inspraak", get(proposals::voice))
        .route("/regios/{code}/vertegenwoordigers", get(proposals::representatives).post(proposals::add_representative))
        .route("/regios/{code}/vertegenwoordigers/{id}/einde", post(proposals::end_representative))
        .route("/regios/{code}/gezondheid", get(health::overview))
        .route("/regios/{code}/gezondheid/rondes", post(health::create_round))
        .route("/regios/{code}/gezondheid/rondes/{id}", get(health::round))
        .route("/regios/{code}/gezondheid/rondes/{id}/status", post(health::set_status))
        .route("/regios/{code}/gezondheid/rondes/{id}/uitnodigingen", post(health::create_invitations))
        .route("/regios/{code}/gezondheid/rondes/{id}/uitkomsten", get(health::round_results))
        .route("/regios/{code}/gezondheid/instrumenten", post(health::create_instrument))
        .route("/regios/{code}/gezondheid/instrumenten/{ref}", get(health::instrument).post(health::save_instrument))
        .route("/regios/{code}/gezondheid/waarschuwingen", get(health::warnings))
        .route("/regios/{code}/gezondheid/dossier", get(health::dossier).post(health::save_conclusions))
        .route("/vragenlijst/{token}", get(health::questionnaire).post(health::answer))
        .route("/regios/{code}/loket", get(provider_side::portal))
        .route("/regios/{code}/wisselstages", get(exchange::rounds).post(exchange::create_round))
        .route("/regios/{code}/wisselstages/{id}", get(exchange::round))
        .route("/regios/{code}/wisselstages/{id}/plekken", post(exchange::offer_place))
        .route("/regios/{code}/wisselstages/{id}/plekken/intrekken", post(exchange::withdraw_place))
        .route("/regios/{code}/wisselstages/{id}/deelnemers", post(exchange::register))
        .route("/regios/{code}/wisselstages/{id}/genereren", post(exchange::generate))
        .route("/regios/{code}/wisselstages/{id}/voorstel", post(exchange::propose_matching))
        .route("/regios/{code}/wisselstages/{id}/indeling", post(exchange::adjust))
        .route("/regios/{code}/wisselstages/{id}/bevestigen", post(exchange::confirm))
        .route("/regios/{code}/wisselstages/{id}/lessen", post(exchange::record_lesson))
        .route("/regios/{code}/wisselstages/{id}/lessen/{les}/publiceren", post(exchange::publish_lesson))
        .route("/regios/{code}/mededelingen", post(provider_side::publish))
        .route("/regios/{code}/vragen", get(provider_side::questions).post(provider_side::ask))
        .route("/regios/{code}/vragen/{id}/antwoord", post(provider_side::answer))
        .route("/regios/{code}/verantwoording", get(provider_side::requests).post(provider_side::create_request))
        .route("/regios/{code}/verantwoording/{id}", get(provider_side::request).post(provider_side::update_request))
        .route("/regios/{code}/verantwoording/{id}/status", post(provider_side::set_status))
        .route("/regios/{code}/verantwoording/{id}/inzending", post(provider_side::submit_form))
        .route(
            "/regios/{code}/verantwoording/{id}/bestand",
            post(provider_side::submit_file)
                .layer(axum::extract::DefaultBodyLimit::max(crate::security::MAX_UPLOAD_BYTES)),
        )
        .route("/regios/{code}/verantwoording/{id}/export.csv", get(provider_side::export))
        .route("/regios/{code}/verevening", get(risk_sharing::agreements).post(risk_sharing::create_agreement))
        .route("/regios/{code}/verevening/afspraken/{id}", get(risk_sharing::agreement).post(risk_sharing::add_version))
        .route("/regios/{code}/verevening/afspraken/{id}/status", post(risk_sharing::set_status))
        .route("/regios/{code}/verevening/afrekening", get(risk_sharing::settlement))
        .route("/regios/{code}/verevening/shapley", get(risk_analysis::fair))
        .route("/regios/{code}/verevening/uittreden", get(risk_analysis::leave))
        .route("/regios/{code}/verevening/budgetrisico", get(risk_analysis::budget_risk))
}

/// An error answered with a Dutch page.
pub struct PageError(Box<Response>);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        *self.0
    }
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError(Box::new(error_page(e.status, &e.detail)))
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        AppError::from(e).into()
    }
}

impl From<Response> for PageError {
    fn from(r: Response) -> Self {
        PageError(Box::new(r))
    }
}

/// The request context of a page inside a region.
#[derive(Clone, Copy)]
pub struct RegionCtx<'a> {
    pub state: &'a AppState,
    pub user: &'a CurrentUser,
    pub region: &'a RegionRow,
    pub access: &'a RegionAccess,
}

/// For a failed form: the reasons to show next to the fields. Errors that are not about
/// the input (no access, not found, server trouble) pass on as an error page.
pub fn form_problem(e: AppError) -> Result<Invalid, PageError> {
    if !e.status.is_client_error() || matches!(e.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND) {
        return Err(e.into());
    }
    let mut invalid = Invalid { errors: e.invalid };
    if invalid.is_empty() {
        invalid.push("", "error", e.detail);
    }
    Ok(invalid)
}

pub type PageResult = Result<Response, PageError>;

/// A link in the main navigation.
pub struct NavItem {
    pub href: String,
    pub label: &'static str,
    pub current: bool,
}

/// A message at the top of the page.
pub struct Notice {
    /// `ok`, `info`, `warning` or `error` (the Utrecht alert variants).
    pub kind: &'static str,
    pub text: String,
}

/// What every page's frame needs.
pub struct Layout {
    pub title: String,
    pub user: Option<String>,
    pub csrf: String,
    pub nav: Vec<NavItem>,
    pub region_name: Option<String>,
    pub notice: Option<Notice>,
}

impl Layout {
    pub fn anonymous(title: &str) -> Layout {
        Layout {
            title: title.to_string(),
            user: None,
            csrf: String::new(),
            nav: Vec::new(),
            region_name: None,
            notice: None,
        }
    }

    /// Pages outside a region: the user's regions, the reference list, the account.
    pub fn for_user(title: &str, user: &CurrentUser, current: &str) -> Layout {
        let nav = [("/regios", "Regio's"), ("/gemeenten", "Gemeenten"), ("/account", "Mijn account")]
            .into_iter()
            .map(|(href, label)| NavItem { href: href.to_string(), label, current: href == current })
            .collect();
        Layout {
            title: title.to_string(),
            user: Some(user.user.display_name.clone()),
            csrf: user.csrf().to_string(),
            nav,
            region_name: None,
            notice: None,
        }
    }

    /// Pages of one region, with the menu this user's roles there allow.
    pub fn for_region(
        title: &str,
        user: &CurrentUser,
        region: &RegionRow,
        access: &RegionAccess,
        current: &str,
    ) -> Layout {
        let base = format!("/regios/{}", region.code);
        let mut items: Vec<(String, &'static str)> = vec![
            (base.clone(), "Overzicht"),
            (format!("{base}/leden"), "Leden"),
            (format!("{base}/kerncijfers"), "Kerncijfers"),
            (format!("{base}/aanbieders"), "Zorgaanbieders"),
            (format!("{base}/percelen"), "Inkoop"),
            (format!("{base}/uitgaven"), "Uitgaven"),
        ];
        if access.can_view_risk_sharing() {
            items.push((format!("{base}/verevening"), "Verevening"));
        }
        if access.can_view_proposals() {
            items.push((format!("{base}/voorstellen"), "Bestuur"));
        } else if access.can_view_charter() {
            items.push((format!("{base}/besluiten"), "Bestuur"));
        }
        if access.can_view_health_results() {
            items.push((format!("{base}/gezondheid"), "Gezondheid"));
        }
        if access.can_view_provider_side() {
            items.push((format!("{base}/loket"), "Aanbiedersloket"));
        }
        if access.can_view_roles_overview() || !access.providers.is_empty() {
            items.push((format!("{base}/gebruikers"), "Gebruikers en rollen"));
        }
        if access.can_view_audit_log() {
            items.push((format!("{base}/auditlog"), "Auditlog"));
        }
        items.push(("/regios".into(), "Regio's"));
        items.push(("/account".into(), "Mijn account"));
        // The procurement pages share one menu item; their own second menu tells them apart.
        let in_procurement = PROCUREMENT_PAGES.iter().any(|(path, _)| current.starts_with(&format!("{base}/{path}")));
        let nav = items
            .into_iter()
            .map(|(href, label)| NavItem {
                current: href == current
                    || (label == "Inkoop" && in_procurement)
                    || (label == "Bestuur" && proposals::is_governance_path(&base, current))
                    || (label == "Gezondheid" && current.starts_with(&format!("{base}/gezondheid")))
                    || (label == "Aanbiedersloket" && provider_side::is_provider_side_path(&base, current)),
                href,
                label,
            })
            .collect();
        Layout {
            title: title.to_string(),
            user: Some(user.user.display_name.clone()),
            csrf: user.csrf().to_string(),
            nav,
            region_name: Some(region.name.clone()),
            notice: None,
        }
    }

    pub fn with_notice(mut self, notice: Option<Notice>) -> Layout {
        self.notice = notice;
        self
    }
}

/// The procurement pages, shown as a second menu on each of them.
pub const PROCUREMENT_PAGES: [(&str, &str); 5] = [
    ("percelen", "Percelen en samenwerking"),
    ("producten", "Productcatalogus"),
    ("contracten", "Contracten en tarieven"),
    ("toelating", "Toelating"),
    ("administratieve-lasten", "Administratieve lasten"),
];

/// The second menu of the procurement pages, with the current one marked.
pub fn procurement_nav(region_code: &str, current: &str) -> Vec<NavItem> {
    PROCUREMENT_PAGES
        .iter()
        .map(|(path, label)| NavItem {
            href: format!("/regios/{region_code}/{path}"),
            label,
            current: *path == current,
        })
        .collect()
}

/// The confirmation for `?gelukt=…` after a successful form (post, redirect, get).
pub fn success_notice(code: Option<&str>, count: Option<&str>) -> Option<Notice> {
    let count = count.and_then(|c| c.parse::<u64>().ok());
    let text = match code? {
        "opgeslagen" => "De wijzigingen zijn opgeslagen.".to_string(),
        "regio-aangemaakt" => "De regio is aangemaakt.".to_string(),
        "lid-toegevoegd" => "Het lidmaatschap is toegevoegd.".to_string(),
        "lid-beeindigd" => "Het lidmaatschap is beëindigd.".to_string(),
        "aanbieder-toegevoegd" => "De zorgaanbieder is toegevoegd.".to_string(),
        "gebruiker-toegevoegd" => "De gebruiker is toegevoegd.".to_string(),
        "rol-toegevoegd" => "De rol is toegekend.".to_string(),
        "rol-ingetrokken" => "De rol is ingetrokken.".to_string(),
        "wachtwoord-gewijzigd" => "Het wachtwoord is gewijzigd; andere sessies zijn beëindigd.".to_string(),
        "token-ingetrokken" => "Het API-token is ingetrokken.".to_string(),
        "product-toegevoegd" => "Het product staat in de catalogus.".to_string(),
        "perceel-aangemaakt" => "Het perceel is aangemaakt.".to_string(),
        "vorm-vastgelegd" => "De samenwerkingsvorm is vastgelegd.".to_string(),
        "sturing-vastgelegd" => "De sturingskeuzes zijn vastgelegd als nieuwe versie.".to_string(),
        "voorwaarde-toegevoegd" => "De voorwaarde is toegevoegd.".to_string(),
        "voorwaarde-verwijderd" => "De voorwaarde is verwijderd.".to_string(),
        "toelating-open" => "Het perceel staat open voor toelating; aanbieders zien de voorwaarden.".to_string(),
        "toelating-dicht" => "Het perceel is gesloten voor nieuwe aanvragen.".to_string(),
        "contract-aangemaakt" => "Het contract is aangemaakt.".to_string(),
        "tarief-toegevoegd" => "Het tarief is toegevoegd.".to_string(),
        "tarief-verwijderd" => "Het tarief is verwijderd.".to_string(),
        "geindexeerd" => format!(
            "{} {} geïndexeerd naar het volgende jaar.",
            count.unwrap_or(0),
            if count == Some(1) { "tarief" } else { "tarieven" }
        ),
        "aanvraag-ingediend" => "Uw aanvraag is ingediend. De regio toetst haar aan de voorwaarden.".to_string(),
        "besluit-vastgelegd" => "Het besluit is vastgelegd; de aanbieder ziet het met de reden.".to_string(),
        "toelating-beeindigd" => "De toelating en het contract zijn beëindigd.".to_string(),
        "kerncijfers-geimporteerd" => format!(
            "Het bestand is ingelezen: {} {} bijgewerkt.",
            count.unwrap_or(0),
            if count == Some(1) { "regel" } else { "regels" }
        ),
        _ => return None,
    };
    Some(Notice { kind: "ok", text })
}

/// Previous and next links for a paged list.
pub struct Pager {
    pub page: u32,
    pub pages: i64,
    pub prev: String,
    pub next: String,
    pub prev_label: &'static str,
    pub next_label: &'static str,
}

impl Pager {
    /// `href(n)` gives the address of page n.
    pub fn new(page: u32, total: i64, page_size: u32, href: impl Fn(u32) -> String) -> Pager {
        Pager {
            page,
            pages: ((total + i64::from(page_size) - 1) / i64::from(page_size)).max(1),
            prev: href(page.saturating_sub(1).max(1)),
            next: href(page.saturating_add(1)),
            prev_label: "Vorige",
            next_label: "Volgende",
        }
    }
}

/// One form field as shown.
#[derive(Clone)]
pub struct Field {
    pub name: &'static str,
    pub label: String,
    /// `text`, `email`, `password`, `date`, `number`, `select`, `checkbox`, `hidden`, `file`.
    pub kind: &'static str,
    pub value: String,
    pub required: bool,
    pub hint: Option<String>,
    pub error: Option<String>,
    pub options: Vec<(String, String)>,
    /// For `checkboxes`: the values that are ticked.
    pub selected: Vec<String>,
    pub autocomplete: Option<&'static str>,
    pub described_by: String,
    /// For `file`: the types the file picker offers.
    pub accept: &'static str,
}

impl Field {
    pub fn is_selected(&self, value: &str) -> bool {
        self.selected.iter().any(|s| s == value)
    }
}

/// A form with its values and errors, rendered by `form.html`.
#[derive(Clone)]
pub struct FormView {
    /// Unique on the page: the fields' ids start with it.
    pub id: String,
    pub action: String,
    pub submit: &'static str,
    pub csrf: String,
    pub multipart: bool,
    pub fields: Vec<Field>,
    pub errors: Vec<(String, String)>,
}

impl FormView {
    pub fn new(id: impl Into<String>, action: impl Into<String>, submit: &'static str, csrf: &str) -> FormView {
        FormView {
            id: id.into(),
            action: action.into(),
            submit,
            csrf: csrf.to_string(),
            multipart: false,
            fields: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// Adds a field; `hint` and `autocomplete` can be set on the returned form afterwards.
    pub fn field(
        mut self,
        name: &'static str,
        label: &str,
        kind: &'static str,
        value: &str,
        required: bool,
    ) -> FormView {
        self.fields.push(Field {
            name,
            label: label.to_string(),
            kind,
            value: value.to_string(),
            required,
            hint: None,
            error: None,
            options: Vec::new(),
            selected: Vec::new(),
            autocomplete: None,
            described_by: String::new(),
            accept: ".csv,text/csv",
        });
        self
    }

    /// A group of checkboxes sharing one name; the form posts the name once per ticked box.
    pub fn checkboxes(
        mut self,
        name: &'static str,
        label: &str,
        selected: &[String],
        options: Vec<(String, String)>,
        required: bool,
    ) -> FormView {
        self = self.field(name, label, "checkboxes", "", required);
        if let Some(f) = self.fields.last_mut() {
            f.options = options;
            f.selected = selected.to_vec();
        }
        self
    }

    pub fn select(
        mut self,
        name: &'static str,
        label: &str,
        value: &str,
        options: Vec<(String, String)>,
        required: bool,
    ) -> FormView {
        self = self.field(name, label, "select", value, required);
        if let Some(f) = self.fields.last_mut() {
            f.options = options;
        }
        self
    }

    pub fn hint(mut self, text: &str) -> FormView {
        if let Some(f) = self.fields.last_mut() {
            f.hint = Some(text.to_string());
        }
        self
    }

    pub fn autocomplete(mut self, value: &'static str) -> FormView {
        if let Some(f) = self.fields.last_mut() {
            f.autocomplete = Some(value);
        }
        self
    }

    /// For the last `file` field: the types the picker offers (empty: any).
    pub fn accept(mut self, types: &'static str) -> FormView {
        if let Some(f) = self.fields.last_mut() {
            f.accept = types;
        }
        self
    }

    pub fn multipart(mut self) -> FormView {
        self.multipart = true;
        self
    }

    /// Puts each error next to its field and in the summary; errors for fields the form
    /// does not show go in the summary only.
    pub fn with_errors(mut self, invalid: &Invalid) -> FormView {
        for e in &invalid.errors {
            match self.fields.iter_mut().find(|f| f.name == e.name) {
                Some(f) if f.error.is_none() => f.error = Some(e.reason.clone()),
                _ => {}
            }
            let target = if self.fields.iter().any(|f| f.name == e.name) { e.name.clone() } else { String::new() };
            self.errors.push((target, e.reason.clone()));
        }
        self
    }

    /// Fills in `aria-describedby`; call last.
    pub fn done(mut self) -> FormView {
        let id = self.id.clone();
        for f in &mut self.fields {
            let mut ids = Vec::new();
            if f.hint.is_some() {
                ids.push(format!("{id}-{}-hint", f.name));
            }
            if f.error.is_some() {
                ids.push(format!("{id}-{}-fout", f.name));
            }
            f.described_by = ids.join(" ");
        }
        self
    }
}

/// Renders a template as an HTML response with the given status.
pub fn render(template: &impl Template, status: StatusCode) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template");
            (StatusCode::INTERNAL_SERVER_ERROR, "Er ging iets mis bij het tonen van deze pagina.").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    layout: Layout,
    detail: &'a str,
}

/// A Dutch error page, for use where no user context is at hand.
pub fn error_page(status: StatusCode, detail: &str) -> Response {
    let page = ErrorPage { layout: Layout::anonymous(title_for(status)), detail };
    render(&page, status)
}

/// A redirect after a successful form: 303 See Other, so the browser fetches with GET.
pub fn see_other(location: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, location.to_string())]).into_response()
}

const UTRECHT_CSS: &str = include_str!("../../assets/vendor/utrecht-component-library.css");
const THEME_CSS: &str = include_str!("../../assets/vendor/voorbeeld-theme.css");
const SAMENSPEL_CSS: &str = include_str!("../../assets/samenspel.css");
const PROGRESS_JS: &str = include_str!("../../assets/voortgang.js");

/// Static assets, compiled into the binary so it runs from anywhere.
async fn assets(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    let (body, kind) = match file.as_str() {
        "vendor/utrecht-component-library.css" => (UTRECHT_CSS, "text/css; charset=utf-8"),
        "vendor/voorbeeld-theme.css" => (THEME_CSS, "text/css; charset=utf-8"),
        "samenspel.css" => (SAMENSPEL_CSS, "text/css; charset=utf-8"),
        "voortgang.js" => (PROGRESS_JS, "text/javascript; charset=utf-8"),
        _ => return error_page(StatusCode::NOT_FOUND, &AppError::not_found().detail),
    };
    ([(header::CONTENT_TYPE, kind)], body).into_response()
}

/// Dutch display helpers for templates.
pub mod show {
    use samenspel_domain::nl;

    pub fn count(n: Option<i64>) -> String {
        n.map(nl::integer).unwrap_or_else(|| "ontbreekt".into())
    }

    pub fn money(cents: Option<i64>) -> String {
        cents.map(|c| samenspel_domain::Cents(c).to_string()).unwrap_or_else(|| "ontbreekt".into())
    }

    pub fn date(d: Option<time::Date>) -> String {
        d.map(nl::date).unwrap_or_default()
    }

    /// Dutch time (CET/CEST).
    pub fn datetime(t: time::OffsetDateTime) -> String {
        nl::date_time(t)
    }
}
