//! Risk sharing over the pages and the API: an agreement entered in the form, the settlement of
//! the imported year compared with the reference models, every column adding up to the cent,
//! versions by year, and who may see and change what.

use crate::common::{spawn_with_production, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const BASE: &str = "/regios/haaglanden/verevening";

fn year() -> i32 {
    samenspel_web::production::last_complete_month(samenspel_store::today()).0
}

/// The demo region's agreement as a region admin types it: residential care fully shared by
/// inhabitants above € 50.000 per client, the rest half shared by youths with a cap.
fn agreement_form(name: &str, status: &str) -> Vec<(&'static str, String)> {
    vec![
        ("naam", name.to_string()),
        ("status", status.to_string()),
        ("vanafJaar", "2020".to_string()),
        ("toelichting", "Besluit algemeen bestuur".to_string()),
        ("pot1Naam", "verblijf".to_string()),
        ("pot1Solidariteit", "100".to_string()),
        ("pot1Sleutel", "inwoners".to_string()),
        ("pot1Categorieen", "43, 48".to_string()),
        ("pot1Drempel", "50.000".to_string()),
        ("pot2Naam", "overig".to_string()),
        ("pot2Solidariteit", "50".to_string()),
        ("pot2Sleutel", "jeugdigen".to_string()),
        ("pot2MaxInleg", "1.000.000".to_string()),
        ("pot2Overgang", "2027: 25".to_string()),
    ]
}

async fn post(
    browser: &mut crate::common::Browser,
    path: &str,
    fields: &[(&'static str, String)],
) -> reqwest::Response {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    browser.submit(path, &pairs).await
}

/// Sums a CSV column per model: (model → (own, contribution, difference)).
fn csv_sums(csv: &str) -> std::collections::BTreeMap<String, (i64, i64, i64)> {
    let cents = |s: &str| -> i64 {
        let (euros, fraction) = s.split_once(',').unwrap_or((s, "00"));
        let sign = if euros.starts_with('-') { -1 } else { 1 };
        sign * (euros.trim_start_matches('-').parse::<i64>().unwrap() * 100 + fraction.parse::<i64>().unwrap())
    };
    let mut sums = std::collections::BTreeMap::new();
    let mut lines = csv.trim_start_matches('\u{feff}').lines();
    assert_eq!(lines.next().unwrap(), "jaar;model;pot;gemeentecode;gemeente;eigen_kosten;bijdrage;verschil;uitleg");
    for line in lines {
        let cells: Vec<&str> = line.split(';').collect();
        let e: &mut (i64, i64, i64) = sums.entry(cells[1].to_string()).or_default();
        e.0 += cents(cells[5]);
        e.1 += cents(cells[6]);
        e.2 += cents(cells[7]);
    }
    sums
}

/// The members enter their youths (0–17) for the year in their figures, as the key needs.
async fn members_enter_their_youths(app: &TestApp) {
    let year = year();
    for f in app.store.figures(1, year).await.unwrap() {
        let youths = Some(1_000 + i64::from(f.municipality_code[2..].parse::<i32>().unwrap()));
        let figures = samenspel_domain::figures::MemberFigures {
            youths,
            budget_youth: f.budget_youth_cents.map(samenspel_domain::Cents),
            budget_wmo: f.budget_wmo_cents.map(samenspel_domain::Cents),
        };
        let code = samenspel_domain::MunicipalityCode::parse(&f.municipality_code).unwrap();
        app.store.set_figures(1, &code, year, &figures, &samenspel_store::Actor::cli()).await.unwrap();
    }
}

async fn admin_enters_the_agreement(app: &TestApp) -> (crate::common::Browser, String) {
    members_enter_their_youths(app).await;
    let mut admin = app.login("beheerder").await;
    let (status, page) = admin.page(BASE).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Nieuwe afspraak") && page.contains("Pot 1: solidariteit in procenten"));
    let response = post(&mut admin, BASE, &agreement_form("Huidige afspraak", "vastgesteld")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert!(location.contains("/verevening/afspraken/"));
    let (status, page) = admin.page(&location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("De afspraak is opgeslagen"));
    assert!(page.contains("Versie 1: geldt vanaf 2020"));
    assert!(page.contains("solidariteit 100 %; sleutel inwoners; drempel € 50.000,00 per cliënt"), "{page}");
    assert!(page.contains("overgang: vanaf 2027 25 %"));
    let id = location.trim_start_matches(&format!("{BASE}/afspraken/")).split('?').next().unwrap().to_string();
    (admin, id)
}

#[tokio::test]
async fn an_admin_enters_the_agreement_and_settles_the_imported_year() {
    let app = spawn_with_production().await;
    let (mut admin, id) = admin_enters_the_agreement(&app).await;
    let year = year();

    // The settlement of the imported year under the adopted agreement, by default.
    let (status, page) = admin.page(&format!("{BASE}/afrekening?jaar={year}")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    for expected in
        ["profijtbeginsel", "volledig solidair naar inwoners", "Huidige afspraak", "Totaal", "<svg", "Uitleg"]
    {
        assert!(page.contains(expected), "{expected}");
    }
    assert!(page.contains("Midden-Delfland") && page.contains("&#39;s-Gravenhage"));

    // The CSV: per model every column adds up, own costs are the same in every model and the
    // differences are zero in total.
    let response = admin.get(&format!("{BASE}/afrekening?jaar={year}&afspraak={id}&formaat=csv")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let sums = csv_sums(&response.text().await.unwrap());
    assert!(sums.len() >= 3, "{sums:?}");
    let own = sums["profijtbeginsel"].0;
    assert!(own > 0, "the demo year has production");
    for (model, (o, contribution, difference)) in &sums {
        assert_eq!((*o, *contribution, *difference), (own, own, 0), "{model}");
    }

    // A proposal: entered as a second agreement, compared side by side. It shares the rest of
    // the care fully above € 1.000 per client (the test's few months of production), a threshold
    // the agreement does not have: its column is settled with its own clients above it.
    let mut proposal = agreement_form("Voorstel 2027", "voorstel");
    proposal[5].1 = "0".into();
    proposal[10].1 = "100".into();
    proposal[13].1 = String::new();
    proposal.push(("pot2Drempel", "1.000".into()));
    let response = post(&mut admin, BASE, &proposal).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let proposal_id = response.headers()["location"]
        .to_str()
        .unwrap()
        .split('/')
        .next_back()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let response = admin.get(&format!("{BASE}/afrekening?jaar={year}&voorstel={proposal_id}&formaat=csv")).await;
    let sums = csv_sums(&response.text().await.unwrap());
    assert!(sums.contains_key("Voorstel 2027") && sums.contains_key("Huidige afspraak"), "{sums:?}");
    assert_eq!(sums["Voorstel 2027"], (own, own, 0));
    let response = admin.get(&format!("{BASE}/afrekening?jaar={year}&voorstel={proposal_id}&formaat=csv")).await;
    let csv = response.text().await.unwrap();
    let moved = csv.lines().filter(|l| l.contains(";Voorstel 2027;overig;") && !l.contains(";0,00;")).count();
    assert!(moved > 0, "the proposal's threshold pools the expensive clients: {csv}");

    // A year without production is named, not settled as zero.
    let (status, page) = admin.page(&format!("{BASE}/afrekening?jaar=2021")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("geen ingelezen productie"), "{page}");
}

#[tokio::test]
async fn a_wrong_agreement_is_refused_and_keeps_what_was_typed() {
    let app = spawn_with_production().await;
    let (mut admin, id) = admin_enters_the_agreement(&app).await;

    let mut wrong = agreement_form("Te solidair", "voorstel");
    wrong[5].1 = "150".into();
    wrong.push(("pot3Naam", "vast".into()));
    wrong.push(("pot3Solidariteit", "100".into()));
    wrong.push(("pot3Sleutel", "vast".into()));
    wrong.push(("pot3Categorieen", "45".into()));
    wrong.push(("pot3Vast", "GM0518 60\nGM1842 30".into()));
    let response = post(&mut admin, BASE, &wrong).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(page.contains("Een percentage ligt tussen 0 en 100"), "{page}");
    assert!(page.contains("value=\"150\"") && page.contains("value=\"Te solidair\""));
    assert!(page.contains("GM0518 60\nGM1842 30"));

    // A threshold without a pot is not dropped silently.
    let mut orphan = agreement_form("Wees", "voorstel");
    orphan.push(("pot3Drempel", "10.000".into()));
    let response = post(&mut admin, BASE, &orphan).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("Geef deze pot een naam"));

    // The key vast needs its table of percentages.
    let mut no_table = agreement_form("Zonder tabel", "voorstel");
    no_table[11].1 = "vast".into();
    let response = post(&mut admin, BASE, &no_table).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("Vul de vaste verdeling in"));

    // Fixed percentages must add up to 100 %.
    wrong[5].1 = "100".into();
    let response = post(&mut admin, BASE, &wrong).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("tellen op tot 90,00 %, niet tot 100 %"));

    // A second adopted agreement is refused with the reason.
    let response = post(&mut admin, BASE, &agreement_form("Nog een", "vastgesteld")).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("al een vastgestelde afspraak"));

    // A new version from 2030 on leaves the years before under version 1.
    let mut next = agreement_form("", "");
    next[2].1 = "2030".into();
    next[5].1 = "80".into();
    let response = post(&mut admin, &format!("{BASE}/afspraken/{id}"), &next).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let id: i64 = id.parse().unwrap();
    assert_eq!(app.store.agreement_in_force(id, 2029).await.unwrap().unwrap().version, 1);
    let v2 = app.store.agreement_in_force(id, 2030).await.unwrap().unwrap();
    assert_eq!(v2.version, 2);
    assert_eq!(v2.agreement().unwrap().pools[0].solidarity_percent, 80.0);
    assert_eq!(v2.agreement().unwrap().name, "Huidige afspraak");
    assert!(app.store.agreement_in_force(id, 2019).await.unwrap().is_none());
    // A correction entered later from 2025 on applies to 2025–2029, and 2030 keeps version 2.
    let mut correction = agreement_form("", "");
    correction[2].1 = "2025".into();
    let response = post(&mut admin, &format!("{BASE}/afspraken/{id}"), &correction).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.store.agreement_in_force(id, 2027).await.unwrap().unwrap().version, 3);
    assert_eq!(app.store.agreement_in_force(id, 2031).await.unwrap().unwrap().version, 2);
}

#[tokio::test]
async fn who_may_see_and_change_the_risk_sharing() {
    let app = spawn_with_production().await;
    let (_, id) = admin_enters_the_agreement(&app).await;
    let year = year();
    for (login, view) in [("gemeente", true), ("coach", true), ("waarnemer", true), ("aanbieder", false)] {
        let mut browser = app.login(login).await;
        for path in [BASE.to_string(), format!("{BASE}/afspraken/{id}"), format!("{BASE}/afrekening?jaar={year}")] {
            let (status, page) = browser.page(&path).await;
            let expected = if view { StatusCode::OK } else { StatusCode::FORBIDDEN };
            assert_eq!(status, expected, "{login} {path}");
            if view {
                assert!(!page.contains("Nieuwe afspraak") && !page.contains("Nieuwe versie"), "{login}: no forms");
            }
        }
        let response = post(&mut browser, BASE, &agreement_form("Eigen afspraak", "voorstel")).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{login} creates");
        let response =
            post(&mut browser, &format!("{BASE}/afspraken/{id}/status"), &[("status", "vervallen".into())]).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{login} changes the status");
    }
    // Another region's agreement does not exist here.
    let mut admin = app.login("beheerder").await;
    let (status, _) = admin.page(&format!("{BASE}/afspraken/{}", id.parse::<i64>().unwrap() + 100)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The API gives the same to the same people.
    let provider = app.token("aanbieder").await;
    let response = app.api_get(&provider, "/api/v1/regios/haaglanden/vereveningsafspraken").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let member = app.token("gemeente").await;
    let response = app
        .api_send(
            Method::POST,
            &member,
            "/api/v1/regios/haaglanden/vereveningsafspraken",
            json!({"status": "voorstel"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = app.api_get(&member, &format!("/api/v1/regios/haaglanden/verevening?jaar={year}")).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_api_stores_agreements_and_settles() {
    let app = spawn_with_production().await;
    let admin = app.token("beheerder").await;
    let year = year();
    let model = json!({"naam": "API-afspraak", "potten": [
        {"naam": "alles", "solidariteit": 50, "sleutel": "inwoners", "drempel": 25000}
    ]});
    let path = "/api/v1/regios/haaglanden/vereveningsafspraken";
    let bad = app
        .api_send(
            Method::POST,
            &admin,
            path,
            json!({"status": "vastgesteld", "vanafJaar": 2020,
            "model": {"naam": "x", "potten": [{"naam": "a", "solidariteit": 101, "sleutel": "inwoners"}]}}),
        )
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let body: Value = bad.json().await.unwrap();
    assert!(body["invalidParams"][0]["reason"].as_str().unwrap().contains("solidariteit 101"), "{body}");
    assert_eq!(app.store.agreements(1).await.unwrap().len(), 0, "nothing saved half");

    let created = app
        .api_send(Method::POST, &admin, path, json!({"status": "vastgesteld", "vanafJaar": 2020, "model": model}))
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["naam"], "API-afspraak");
    assert_eq!(created["versies"][0]["model"]["potten"][0]["drempel"], 25000.0);
    let id = created["id"].as_i64().unwrap();

    let response =
        app.api_get(&admin, &format!("/api/v1/regios/haaglanden/verevening?jaar={year}&afspraak={id}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let models = body["modellen"].as_array().unwrap();
    assert_eq!(models[0]["naam"], "profijtbeginsel");
    for m in models {
        let members = m["gemeenten"].as_array().unwrap();
        let diff: i64 = members.iter().map(|g| g["verschilCent"].as_i64().unwrap()).sum();
        assert_eq!(diff, 0, "{}", m["naam"]);
    }
    assert!(body["modellen"][body["afspraakIndex"].as_u64().unwrap() as usize]["potten"][0]["gemeenten"][0]["uitleg"]
        .as_str()
        .unwrap()
        .contains("per cliënt blijft voor eigen rekening"));

    let response = app.api_get(&admin, "/api/v1/regios/haaglanden/verevening?jaar=2016").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn api_json(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    let response = app.api_get(token, path).await;
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn shapley_leave_or_remain_and_budget_risk_for_the_region() {
    let app = spawn_with_production().await;
    let (mut admin_browser, _) = admin_enters_the_agreement(&app).await;
    let admin = app.token("beheerder").await;
    let year = year();
    let api = "/api/v1/regios/haaglanden/verevening";

    // Shapley: efficient, and the agreement's charges add up to the same whole.
    let (status, body) = api_json(&app, &admin, &format!("{api}/shapley?jaar={year}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let members = body["gemeenten"].as_array().unwrap();
    assert_eq!(members.len(), 9);
    assert_eq!(body["exact"], true);
    let total = body["totaalCent"].as_i64().unwrap();
    let sum = |field: &str| members.iter().map(|m| m[field].as_i64().unwrap()).sum::<i64>();
    assert_eq!(sum("shapleyCent"), total);
    assert_eq!(sum("afspraakCent"), total);
    // Each member alone costs its care plus its overhead alone (€ 300.000 by default) plus risk.
    for m in members {
        assert!(m["alleenCent"].as_i64().unwrap() >= m["zorgkostenCent"].as_i64().unwrap() + 30_000_000);
    }
    // A very expensive regional team and nothing to gain alone: everyone is better off alone,
    // and the objections name them.
    let (_, costly) =
        api_json(&app, &admin, &format!("{api}/shapley?jaar={year}&team=50.000.000&overheadAlleen=0&risicoprijs=0"))
            .await;
    assert!(costly["aantalBezwaren"].as_u64().unwrap() > 0, "{costly}");
    assert!(costly["bezwaren"][0]["gemeenten"][0].as_str().unwrap().starts_with("GM"));
    assert!(costly["bezwaren"][0]["alleenCent"].as_i64() < costly["bezwaren"][0]["afspraakCent"].as_i64());
    let (status, _) = api_json(&app, &admin, &format!("{api}/shapley?jaar={year}&risicoprijs=120")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Leave or remain: Midden-Delfland leaves.
    let (status, leave) = api_json(&app, &admin, &format!("{api}/uittreden?jaar={year}&gemeente=GM1842")).await;
    assert_eq!(status, StatusCode::OK, "{leave}");
    let leaver = &leave["uittreders"][0];
    assert_eq!(leaver["gemeentecode"], "GM1842");
    assert!(leaver["clientenMetLopendeToewijzing"].as_i64().unwrap() > 0, "{leaver}");
    assert!(!leaver["aanbieders"].as_array().unwrap().is_empty());
    assert!(
        leaver["spreidingAlleen"].as_f64().unwrap() > 0.0 && leaver["var95Alleen"].as_f64().unwrap() > 0.0,
        "{leaver}"
    );
    let remaining = leave["blijvers"].as_array().unwrap();
    assert_eq!(remaining.len(), 8);
    // The others carry exactly their own costs between them after the leaver is gone.
    let (_, settlement) = api_json(&app, &admin, &format!("{api}?jaar={year}")).await;
    let own: i64 = settlement["modellen"][0]["gemeenten"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["gemeentecode"] != "GM1842")
        .map(|g| g["eigenKostenCent"].as_i64().unwrap())
        .sum();
    assert_eq!(remaining.iter().map(|r| r["bijdrageNaCent"].as_i64().unwrap()).sum::<i64>(), own);
    let team: i64 = remaining.iter().map(|r| r["teamaandeelNaCent"].as_i64().unwrap()).sum();
    assert_eq!(team, 100_000_000, "the default team of € 1 mln is carried by those who stay");
    let (_, twice) =
        api_json(&app, &admin, &format!("{api}/uittreden?jaar={year}&gemeente=GM1842&gemeente=GM1842")).await;
    assert_eq!(twice["uittreders"].as_array().unwrap().len(), 1);
    let (status, _) = api_json(&app, &admin, &format!("{api}/shapley?jaar={year}&team=99.999.999.999")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "at most € 10 billion");
    for (query, expected) in [("gemeente=GM0344", "GM0344 is in"), ("", "kies ten minste één gemeente")] {
        let response = app.api_get(&admin, &format!("{api}/uittreden?jaar={year}&{query}")).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: Value = response.json().await.unwrap();
        assert!(body["detail"].as_str().unwrap().contains(expected), "{body}");
    }

    // Budget risk: seeded and reproducible; limits on the number of years.
    let path = format!("{api}/budgetrisico?jaar={year}&jaren=2000&seed=3");
    let (status, first) = api_json(&app, &admin, &path).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first, api_json(&app, &admin, &path).await.1);
    assert_eq!(first["gemeenten"].as_array().unwrap().len(), 9);
    assert!(first["gemeenten"][0]["budgetCent"].as_i64().is_some(), "the demo has budgets");
    for years in ["0", "2000000", "veel"] {
        let (status, _) = api_json(&app, &admin, &format!("{api}/budgetrisico?jaar={year}&jaren={years}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{years}");
    }

    // The pages show the same, with their CSV.
    for (page, expected) in [
        ("shapley", "Shapley-waarde"),
        ("uittreden?gemeente=GM1842", "Gemeenten die blijven"),
        ("budgetrisico?jaren=2000", "Kans op overschrijding alleen"),
    ] {
        let sep = if page.contains('?') { '&' } else { '?' };
        let (status, html) = admin_browser.page(&format!("{BASE}/{page}{sep}jaar={year}")).await;
        assert_eq!(status, StatusCode::OK, "{page}: {html}");
        assert!(html.contains(expected) && html.contains("<svg"), "{page}");
        let response = admin_browser.get(&format!("{BASE}/{page}{sep}jaar={year}&formaat=csv")).await;
        assert_eq!(response.status(), StatusCode::OK, "{page} csv");
        let csv = response.text().await.unwrap();
        assert_eq!(csv.lines().count(), if page.starts_with("uittreden") { 9 } else { 10 }, "{page}: {csv}");
    }
    let (status, html) = admin_browser.page(&format!("{BASE}/uittreden?jaar={year}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Gemeenten die uittreden") && html.contains("Midden-Delfland"));

    // Providers reach none of it.
    let provider = app.token("aanbieder").await;
    let mut provider_browser = app.login("aanbieder").await;
    for page in ["shapley", "uittreden?gemeente=GM1842", "budgetrisico"] {
        let sep = if page.contains('?') { '&' } else { '?' };
        let (status, _) = api_json(&app, &provider, &format!("{api}/{page}{sep}jaar={year}")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
        let (status, _) = provider_browser.page(&format!("{BASE}/{page}")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
    }
}
