//! The OpenAPI 3 document, generated from the handlers and types, served publicly at
//! `/api/v1/openapi.json`.

use super::{
    admission, audit, catalogue, charter, contracts, exchange, health, lots, norm, production, proposals,
    provider_side, providers, reference, regions, risk_sharing, users,
};
use crate::error::{InvalidParam, Problem};
use crate::security::API_VERSION;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Samenspel API",
        description = "Het platform waarop een regio van gemeenten samen jeugdhulp en Wmo-ondersteuning inkoopt. \
                       Volgt de NL API Design Rules. Alles wat een scherm toont, is ook via deze API te lezen.",
        contact(name = "Samenspel", url = "https://github.com/samenspel/samenspel"),
        license(name = "EUPL-1.2", identifier = "EUPL-1.2"),
    ),
    servers((url = "/api/v1", description = "Deze server")),
    paths(
        users::me,
        reference::list_municipalities, reference::get_municipality,
        reference::list_youth_regions, reference::get_youth_region,
        regions::list, regions::create, regions::get, regions::update,
        regions::list_members, regions::add_member, regions::end_member,
        regions::list_figures, regions::put_figures,
        providers::list, providers::create, providers::get, providers::update,
        users::list, users::create, users::get, users::update, users::add_role, users::remove_role,
        audit::region_log, audit::platform_log,
        catalogue::categories, catalogue::codes, catalogue::list, catalogue::create, catalogue::get, catalogue::update,
        lots::list, lots::create, lots::get, lots::update, lots::forms, lots::set_form, lots::collaboration_matrix,
        lots::steering, lots::add_steering, lots::conditions, lots::add_condition, lots::remove_condition,
        contracts::list, contracts::create, contracts::get, contracts::update,
        contracts::tariffs, contracts::add_tariff, contracts::remove_tariff, contracts::index,
        admission::list, admission::apply, admission::get, admission::decide, admission::end, admission::burden, admission::hours, admission::set_hours,
        production::list_imports, production::upload, production::get_import, production::import_problems,
        production::reprocess, production::assignments, production::claim_lines, production::budgets,
        production::spend, production::outlook, production::signals,
        risk_sharing::list, risk_sharing::create, risk_sharing::get, risk_sharing::set_status, risk_sharing::add_version,
        risk_sharing::settlement, risk_sharing::shapley, risk_sharing::leave, risk_sharing::budget_risk,
        charter::list, charter::create, norm::list, norm::create,
        proposals::list, proposals::create, proposals::get, proposals::update, proposals::step,
        proposals::add_attachment, proposals::attachment,
        proposals::inputs, proposals::give_input, proposals::respond,
        proposals::vote_state, proposals::cast, proposals::change,
        proposals::decisions, proposals::voice, proposals::representatives, proposals::add_representative,
        health::instruments, health::instrument, health::create_instrument, health::update_instrument,
        health::rounds, health::round, health::create_round, health::set_status,
        health::create_invitations, health::response_rates, health::round_results, health::warnings,
        provider_side::list, provider_side::create, provider_side::get, provider_side::update,
        provider_side::set_status, provider_side::submissions, provider_side::submit, provider_side::standing,
        provider_side::announcements, provider_side::publish, provider_side::questions, provider_side::ask,
        provider_side::answer, provider_side::portal,
        exchange::list, exchange::create, exchange::get, exchange::offer_place, exchange::withdraw_place,
        exchange::register, exchange::generate, exchange::propose_assignment, exchange::adjust_assignment,
        exchange::confirm, exchange::record_lesson, exchange::publish_lesson,
    ),
    components(schemas(Problem, InvalidParam)),
    modifiers(&Security),
    security(("bearer" = []), ("sessie" = [])),
    tags(
        (name = "referentie", description = "CBS-referentiegegevens: gemeenten en jeugdregio's (Bron: CBS, CC BY 4.0)"),
        (name = "regios", description = "Regio's, hun leden door de tijd en hun kerncijfers"),
        (name = "aanbieders", description = "Zorgaanbieders in een regio"),
        (name = "gebruikers", description = "Gebruikers en hun rollen"),
        (name = "audit-log", description = "Wie wijzigde wat, wanneer"),
        (name = "inkoop", description = "Productcatalogus, percelen, samenwerkingsvormen, sturing, contracten, tarieven, toelating en administratieve lasten"),
        (name = "productie", description = "Inlezen van iJw/iWmo-berichten en CSV, toewijzingen en declaraties (cliëntniveau, gepseudonimiseerd, alleen voor de eigen gemeente of aanbieder), budgetten, uitgaven, prognose en signalen"),
        (name = "bestuur", description = "Het handvest van de regio in versies (taken, besluitregels, toetreden en uittreden), voorstellen met consultatie (zienswijzen en de reactie van de regio), stemmingen, de besluitenlijst, inspraak per lid, vertegenwoordigers en de zelfevaluatie tegen de Norm voor Opdrachtgeverschap"),
        (name = "gezondheid", description = "Gezondheid van de samenwerking: vragenlijstinstrumenten in versies, meetrondes, persoonlijke uitnodigingen (links één keer getoond), resultaten als geaggregeerde cijfers van groepen van minstens vijf, en vroegsignalen per lid"),
        (name = "aanbiedersloket", description = "De kant van de zorgaanbieders: het loket per aanbieder, mededelingen en aanbestedingen, vragen met antwoorden die voor alle aanbieders gepubliceerd worden, verantwoordingsverzoeken die de regio één keer voor alle gemeenten uitzet, en de inzendingen (JSON of CSV) waarvan elke gemeente het deel ziet dat haar aangaat"),
        (name = "wisselstages", description = "Wisselstages: gemeenten en zorgaanbieders bieden plekken aan, medewerkers melden zich aan met hun wensen, Samenspel stelt een stabiele indeling voor die de coördinator kan aanpassen en bevestigt, en deelnemers leggen vast wat ze leerden"),
        (name = "verevening", description = "Risicoverevening: de afspraken van de regio met hun versies, de afrekening van een jaar en de vergelijking met profijtbeginsel, volledige solidariteit en een voorstel"),
    )
)]
pub struct ApiDoc;

struct Security;

/// The problem responses every operation can give, added here once instead of on each
/// handler: 400 (invalid query, path or body), 401, 404 and 406 everywhere; 413 and 415 where
/// a body is sent. Handlers document 403 and 409 themselves where those apply.
fn add_common_problems(openapi: &mut utoipa::openapi::OpenApi) {
    let problem = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build(),
            )
            .build()
    };
    for item in openapi.paths.paths.values_mut() {
        let operations = [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
        for operation in operations.into_iter().flatten() {
            let mut codes = vec![
                ("400", "Ongeldige invoer; invalidParams noemt elk ongeldig veld"),
                ("401", "Niet ingelogd, of het token is onbekend of ingetrokken"),
                ("404", "Bestaat niet, of u heeft er geen toegang toe"),
                ("406", "De client accepteert geen JSON"),
            ];
            if operation.request_body.is_some() {
                codes.push(("413", "Verzoek groter dan 1 MiB"));
                codes.push(("415", "Inhoud is geen application/json"));
            }
            for (code, description) in codes {
                operation.responses.responses.entry(code.to_string()).or_insert_with(|| problem(description).into());
            }
        }
    }
}

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        add_common_problems(openapi);
        openapi.info.version = API_VERSION.to_string();
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("API-token van `samenspel token create` of de accountpagina"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "sessie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::SESSION_COOKIE,
                "Sessiecookie van de webinterface; schrijven vraagt daarnaast de kop X-CSRF-Token",
            ))),
        );
    }
}

/// The document as JSON.
pub fn document_json() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_default()
}

/// GET /api/v1/openapi.json — public, and readable from any origin.
pub async fn document() -> Response {
    let mut response = ([(header::CONTENT_TYPE, "application/json")], document_json()).into_response();
    response.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    response
}
