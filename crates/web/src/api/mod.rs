//! The JSON API under `/api/v1`, following the Dutch API Design Rules: Dutch plural
//! kebab-case resources, camelCase fields, pagination on every collection, problem+json
//! errors that list every invalid field, and an OpenAPI 3 document generated from this code.

pub mod admission;
pub mod audit;
pub mod catalogue;
pub mod charter;
pub mod contracts;
pub mod exchange;
pub mod health;
pub mod json;
pub mod lots;
pub mod norm;
pub mod openapi;
pub mod pagination;
pub mod production;
pub mod proposals;
pub mod provider_side;
pub mod providers;
pub mod reference;
pub mod regions;
pub mod risk_sharing;
pub mod users;

use crate::error::AppError;
use crate::AppState;
use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post, put};
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi::document))
        .route("/mij", get(users::me))
        .route("/gemeenten", get(reference::list_municipalities))
        .route("/gemeenten/{code}", get(reference::get_municipality))
        .route("/jeugdregios", get(reference::list_youth_regions))
        .route("/jeugdregios/{code}", get(reference::get_youth_region))
        .route("/regios", get(regions::list).post(regions::create))
        .route("/regios/{code}", get(regions::get).patch(regions::update))
        .route("/regios/{code}/leden", get(regions::list_members).post(regions::add_member))
        .route("/regios/{code}/leden/{id}", patch(regions::end_member))
        .route("/regios/{code}/kerncijfers", get(regions::list_figures))
        .route("/regios/{code}/kerncijfers/{jaar}/{gemeentecode}", put(regions::put_figures))
        .route("/regios/{code}/aanbieders", get(providers::list).post(providers::create))
        .route("/regios/{code}/aanbieders/{id}", get(providers::get).patch(providers::update))
        .route("/regios/{code}/gebruikers", get(users::list).post(users::create))
        .route("/regios/{code}/gebruikers/{id}", get(users::get).patch(users::update))
        .route("/regios/{code}/gebruikers/{id}/rollen", post(users::add_role))
        .route("/regios/{code}/gebruikers/{id}/rollen/{rol_id}", axum::routing::delete(users::remove_role))
        .route("/regios/{code}/audit-log", get(audit::region_log))
        .route("/audit-log", get(audit::platform_log))
        .route("/productcategorieen", get(catalogue::categories))
        .route("/productcodes", get(catalogue::codes))
        .route("/regios/{code}/producten", get(catalogue::list).post(catalogue::create))
        .route("/regios/{code}/producten/{id}", get(catalogue::get).patch(catalogue::update))
        .route("/regios/{code}/percelen", get(lots::list).post(lots::create))
        .route("/regios/{code}/percelen/{id}", get(lots::get).patch(lots::update))
        .route("/regios/{code}/percelen/{id}/samenwerkingsvormen", get(lots::forms).post(lots::set_form))
        .route("/regios/{code}/percelen/{id}/sturing", get(lots::steering).post(lots::add_steering))
        .route("/regios/{code}/percelen/{id}/voorwaarden", get(lots::conditions).post(lots::add_condition))
        .route(
            "/regios/{code}/percelen/{id}/voorwaarden/{voorwaarde_id}",
            axum::routing::delete(lots::remove_condition),
        )
        .route("/regios/{code}/samenwerkingsmatrix", get(lots::collaboration_matrix))
        .route("/regios/{code}/contracten", get(contracts::list).post(contracts::create))
        .route("/regios/{code}/contracten/{id}", get(contracts::get).patch(contracts::update))
        .route("/regios/{code}/contracten/{id}/tarieven", get(contracts::tariffs).post(contracts::add_tariff))
        .route("/regios/{code}/contracten/{id}/tarieven/{tarief_id}", axum::routing::delete(contracts::remove_tariff))
        .route("/regios/{code}/contracten/{id}/_indexeer", post(contracts::index))
        .route("/regios/{code}/toelatingen", get(admission::list).post(admission::apply))
        .route("/regios/{code}/toelatingen/{id}", get(admission::get))
        .route("/regios/{code}/toelatingen/{id}/besluit", post(admission::decide))
        .route("/regios/{code}/toelatingen/{id}/beeindiging", post(admission::end))
        .route("/regios/{code}/administratieve-lasten", get(admission::burden))
        .route("/regios/{code}/administratieve-lasten/uren", get(admission::hours).put(admission::set_hours))
        .route(
            "/regios/{code}/importen",
            get(production::list_imports)
                .post(production::upload)
                .layer(axum::extract::DefaultBodyLimit::max(crate::security::MAX_MESSAGE_BYTES)),
        )
        .route("/regios/{code}/importen/{id}", get(production::get_import))
        .route("/regios/{code}/importen/{id}/problemen", get(production::import_problems))
        .route("/regios/{code}/quarantaine/_herverwerk", post(production::reprocess))
        .route("/regios/{code}/toewijzingen", get(production::assignments))
        .route("/regios/{code}/declaraties", get(production::claim_lines))
        .route("/regios/{code}/budgetten", get(production::budgets))
        .route("/regios/{code}/uitgaven", get(production::spend))
        .route("/regios/{code}/uitgaven/prognose", get(production::outlook))
        .route("/regios/{code}/signalen", get(production::signals))
        .route("/regios/{code}/handvesten", get(charter::list).post(charter::create))
        .route("/regios/{code}/norm-zelfevaluaties", get(norm::list).post(norm::create))
        .route("/regios/{code}/instrumenten", get(health::instruments).post(health::create_instrument))
        .route("/regios/{code}/instrumenten/{id}", get(health::instrument).put(health::update_instrument))
        .route("/regios/{code}/meetrondes", get(health::rounds).post(health::create_round))
        .route("/regios/{code}/meetrondes/{id}", get(health::round))
        .route("/regios/{code}/meetrondes/{id}/status", post(health::set_status))
        .route(
            "/regios/{code}/meetrondes/{id}/uitnodigingen",
            get(health::response_rates).post(health::create_invitations),
        )
        .route("/regios/{code}/meetrondes/{id}/resultaten", get(health::round_results))
        .route("/regios/{code}/vroegsignalen", get(health::warnings))
        .route("/regios/{code}/verantwoordingsverzoeken", get(provider_side::list).post(provider_side::create))
        .route("/regios/{code}/verantwoordingsverzoeken/{id}", get(provider_side::get).put(provider_side::update))
        .route("/regios/{code}/verantwoordingsverzoeken/{id}/status", post(provider_side::set_status))
        .route(
            "/regios/{code}/verantwoordingsverzoeken/{id}/inzendingen",
            get(provider_side::submissions)
                .post(provider_side::submit)
                .layer(axum::extract::DefaultBodyLimit::max(crate::security::MAX_UPLOAD_BYTES)),
        )
        .route("/regios/{code}/verantwoordingsverzoeken/{id}/stand", get(provider_side::standing))
        .route("/regios/{code}/mededelingen", get(provider_side::announcements).post(provider_side::publish))
        .route("/regios/{code}/vragen", get(provider_side::questions).post(provider_side::ask))
        .route("/regios/{code}/vragen/{id}/antwoord", post(provider_side::answer))
        .route("/regios/{code}/loket", get(provider_side::portal))
        .route("/regios/{code}/voorstellen", get(proposals::list).post(proposals::create))
        .route("/regios/{code}/voorstellen/{id}", get(proposals::get).put(proposals::update))
        .route("/regios/{code}/voorstellen/{id}/stappen", post(proposals::step))
        .route(
            "/regios/{code}/voorstellen/{id}/bijlagen",
            post(proposals::add_attachment)
                .layer(axum::extract::DefaultBodyLimit::max(samenspel_store::proposals::MAX_ATTACHMENT_BYTES + 1)),
        )
        .route("/regios/{code}/voorstellen/{id}/bijlagen/{bijlage}", get(proposals::attachment))
        .route("/regios/{code}/voorstellen/{id}/zienswijzen", get(proposals::inputs).post(proposals::give_input))
        .route("/regios/{code}/voorstellen/{id}/zienswijzen/{zienswijze}/reactie", put(proposals::respond))
        .route("/regios/{code}/stemmingen/{id}", get(proposals::vote_state))
        .route("/regios/{code}/stemmingen/{id}/stemmen", post(proposals::cast))
        .route("/regios/{code}/stemmingen/{id}/stemmen/{gemeentecode}", put(proposals::change))
        .route("/regios/{code}/besluiten", get(proposals::decisions))
        .route("/regios/{code}/inspraak", get(proposals::voice))
        .route("/regios/{code}/vertegenwoordigers", get(proposals::representatives).post(proposals::add_representative))
        .route("/regios/{code}/vereveningsafspraken", get(risk_sharing::list).post(risk_sharing::create))
        .route("/regios/{code}/vereveningsafspraken/{id}", get(risk_sharing::get).patch(risk_sharing::set_status))
        .route("/regios/{code}/vereveningsafspraken/{id}/versies", post(risk_sharing::add_version))
        .route("/regios/{code}/verevening", get(risk_sharing::settlement))
        .route("/regios/{code}/verevening/shapley", get(risk_sharing::shapley))
        .route("/regios/{code}/verevening/uittreden", get(risk_sharing::leave))
        .route("/regios/{code}/verevening/budgetrisico", get(risk_sharing::budget_risk))
        .route("/regios/{code}/wisselstages", get(exchange::list).post(exchange::create))
        .route("/regios/{code}/wisselstages/{id}", get(exchange::get))
        .route("/regios/{code}/wisselstages/{id}/plekken", post(exchange::offer_place))
        .route("/regios/{code}/wisselstages/{id}/plekken/{plek_id}/intrekken", post(exchange::withdraw_place))
        .route("/regios/{code}/wisselstages/{id}/deelnemers", post(exchange::register))
        .route("/regios/{code}/wisselstages/{id}/deelnemers/genereren", post(exchange::generate))
        .route("/regios/{code}/wisselstages/{id}/deelnemers/{deelnemer_id}/lessen", post(exchange::record_lesson))
        .route(
            "/regios/{code}/wisselstages/{id}/indeling",
            post(exchange::propose_assignment).put(exchange::adjust_assignment),
        )
        .route("/regios/{code}/wisselstages/{id}/bevestigen", post(exchange::confirm))
        .route("/regios/{code}/wisselstages/{id}/lessen/{les_id}/publiceren", post(exchange::publish_lesson))
        .fallback(crate::security::not_found)
        .layer(axum::middleware::from_fn(negotiate))
}

/// The API speaks JSON only: a client that accepts no JSON gets 406.
async fn negotiate(request: Request, next: Next) -> Response {
    let accept = request.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).map(str::to_ascii_lowercase);
    if let Some(accept) = accept {
        let acceptable = accept.split(',').any(|part| {
            let mime = part.split(';').next().unwrap_or("").trim();
            mime.is_empty() || mime == "*/*" || mime == "application/*" || mime.ends_with("json")
        });
        if !acceptable {
            return AppError::new(StatusCode::NOT_ACCEPTABLE, "Deze API levert alleen JSON (application/json).")
                .into_response();
        }
    }
    next.run(request).await
}

/// Formats a timestamp as RFC 3339 for JSON.
pub fn timestamp(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}
