//! Collaboration health over HTTP: the demo's generated rounds with the decline flagged where
//! it was generated and nowhere else, a round run by the coach from creation to close with a
//! respondent answering through a personal link, the refusals, who may see what, and that no
//! small group can be found by subtracting two views.

use crate::common::{client, spawn, TestApp};
use reqwest::{Method, StatusCode};
use samenspel_calc::health::GeneratedGroup;
use samenspel_domain::instrument::{answer_key, Instrument, Party, TRUST};
use serde_json::{json, Value};

const BASE: &str = "/regios/haaglanden/gezondheid";

fn round_id(location: &str) -> i64 {
    location.split("/rondes/").nth(1).unwrap().split('?').next().unwrap().parse().unwrap()
}

async fn rounds(app: &TestApp, token: &str) -> Vec<Value> {
    let body: Value = app.api_get(token, "/api/v1/regios/haaglanden/meetrondes").await.json().await.unwrap();
    body["items"].as_array().unwrap().clone()
}

async fn round_by_title(app: &TestApp, token: &str, title: &str) -> i64 {
    rounds(app, token).await.iter().find(|r| r["titel"] == title).unwrap()["id"].as_i64().unwrap()
}

#[tokio::test]
async fn the_demo_decline_is_flagged_where_it_was_generated_and_nowhere_else() {
    let app = spawn().await;
    let coach = app.token("coach").await;
    let second = round_by_title(&app, &coach, "Meting vertrouwen najaar").await;
    let body: Value = app
        .api_get(&coach, &format!("/api/v1/regios/haaglanden/meetrondes/{second}/resultaten"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["meetronde"]["gegenereerd"], true);
    let trends = body["verloop"].as_array().unwrap();
    let declines: Vec<(String, String, String)> = trends
        .iter()
        .filter(|t| t["change"]["decline"] == true)
        .map(|t| {
            (
                t["dimension"].as_str().unwrap().into(),
                t["party"].as_str().unwrap().into(),
                t["group"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(!declines.is_empty());
    // Every flagged decline is the small members' trust in the regional team (or a whole that
    // contains it); nothing about the other parties moved.
    for (dimension, party, group) in &declines {
        assert_eq!(party, "regio", "{dimension} {group}");
        assert!(["kleine-gemeenten", "gemeenten", "iedereen"].contains(&group.as_str()), "{group}");
    }
    assert!(declines.iter().any(|(d, _, g)| d == "totaal" && g == "kleine-gemeenten"), "{declines:?}");
    assert!(!trends.iter().any(|t| t["group"] == "grote-gemeenten" && t["change"]["decline"] == true));

    // The page says the same in words, and the warnings reach the small members.
    let mut browser = app.login("coach").await;
    let (status, page) = browser.page(&format!("{BASE}/rondes/{second}/uitkomsten")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Wie vertrouwt wie") && page.contains("gedaald: groter dan de ruis"), "{page}");
    assert!(page.contains("Gegenereerde antwoorden (demonstratie)"));
    assert!(page.contains("<svg") && page.contains("Cronbachs alfa"));
    let (status, page) = browser.page(&format!("{BASE}/waarschuwingen")).await;
    assert_eq!(status, StatusCode::OK);
    let midden_delfland = page.split("Midden-Delfland").nth(1).unwrap().split("<h3").next().unwrap();
    assert!(
        midden_delfland.contains("volgens de kleine gemeenten, over het regionale team: gedaald"),
        "{midden_delfland}"
    );
    let den_haag = page.split("&#39;s-Gravenhage").nth(1).unwrap().split("<h3").next().unwrap();
    assert!(!den_haag.contains("gedaald"), "{den_haag}");
    // The value round's generated gap: integrated care matters more than it is realised.
    assert!(page.contains("Integrale zorg en transformatie volgens"), "{page}");

    // The dossier prints with the region's conclusions.
    let (status, page) = browser.page(&format!("{BASE}/dossier")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("samenspel-print-only") && page.contains("Beoogde tegenover ervaren waarde"));
    let response = browser
        .submit(
            &format!("{BASE}/dossier"),
            &[("conclusies", "Blijven, met een gesprek over de rol van het regionale team.")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, page) = browser.page(&format!("{BASE}/dossier")).await;
    assert!(page.contains("Blijven, met een gesprek over de rol van het regionale team."));
}

/// Every statement of the trust instrument answered with `value`, as form fields.
fn trust_form(parties: &[Party], value: &str) -> Vec<(String, String)> {
    let instrument = Instrument::parse(TRUST).unwrap();
    let mut out = Vec::new();
    for pass in instrument.passes(parties) {
        for d in &instrument.dimensions {
            for i in &d.items {
                out.push((answer_key(pass, &i.key), value.to_string()));
            }
        }
    }
    out
}

async fn post(app: &TestApp, path: &str, fields: &[(String, String)]) -> reqwest::Response {
    client().post(app.url(path)).form(fields).send().await.unwrap()
}

#[tokio::test]
async fn a_coach_runs_a_round_and_a_respondent_answers_with_a_personal_link() {
    let app = spawn().await;
    let mut coach = app.login("coach").await;
    // A round with mistakes keeps what was typed and names the fields.
    let response = coach
        .submit(
            &format!("{BASE}/rondes"),
            &[("titel", "Voorjaar"), ("soort", "nulmeting"), ("instrument", ""), ("sluit", "gisteren")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(page.contains("Kies een instrument uit de lijst") && page.contains("value=\"Voorjaar\""), "{page}");

    let closes = samenspel_domain::nl::date_time_input(samenspel_store::now() + time::Duration::days(5));
    let response = coach
        .submit(
            &format!("{BASE}/rondes"),
            &[
                ("titel", "Vertrouwen voorjaar"),
                ("soort", "periodiek"),
                ("instrument", "samenspel:vertrouwen"),
                ("partijen", "regio"),
                ("partijen", "aanbieders"),
                ("sluit", &closes),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let id = round_id(response.headers()["location"].to_str().unwrap());
    let round = format!("{BASE}/rondes/{id}");

    // A bad line is named and nothing is issued.
    let response =
        coach.submit(&format!("{round}/uitnodigingen"), &[("uitgenodigden", "gemeente;GM0518;\nwethouder;;\n")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("Regel 2: &#39;wethouder&#39; is geen groep"));
    let response = coach
        .submit(
            &format!("{round}/uitnodigingen"),
            &[("uitgenodigden", "gemeente;GM1842;\ngemeente;GM0518;\nregio;;\naanbieder;;jan@example.org")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let page = response.text().await.unwrap();
    let links: Vec<String> = page
        .split("<code class=\"samenspel-hash\">")
        .skip(1)
        .map(|s| s.split('<').next().unwrap().to_string())
        .collect();
    assert_eq!(links.len(), 4);
    assert!(links.iter().all(|l| l.starts_with("/vragenlijst/") && l.len() > 50));
    // Shown once: the round page does not have them again.
    let (_, page) = coach.page(&round).await;
    assert!(!page.contains(&links[0]));

    // Before the round opens the link says so.
    let response = client().get(app.url(&links[0])).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert_eq!(coach.submit(&format!("{round}/status"), &[("actie", "openen")]).await.status(), StatusCode::SEE_OTHER);

    let link = &links[0];
    let response = client().get(app.url(link)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let page = response.text().await.unwrap();
    assert!(page.contains("Wat er met uw antwoorden gebeurt") && page.contains("Over het regionale team"));
    assert!(!page.contains("Over de gemeenten in de regio"), "only the parties the round names");

    // Saved halfway: the answers come back on the next visit.
    let parties = [Party::Region, Party::Providers];
    let mut fields = trust_form(&parties, "6");
    let first_missing = fields.remove(3);
    let mut save = fields.clone();
    save.push(("actie".into(), "opslaan".into()));
    save.push(("open0".into(), "Meer tijd voor overleg.".into()));
    let response = post(&app, link, &save).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().contains("tussentijds opgeslagen"));
    let page = client().get(app.url(link)).send().await.unwrap().text().await.unwrap();
    assert_eq!(page.matches("value=\"6\" checked").count(), fields.len());
    assert!(page.contains("Meer tijd voor overleg."));

    // Submitting with one answer missing and one off the scale: refused, named, kept.
    let mut broken = fields.clone();
    broken[0].1 = "9".into();
    broken.push(("actie".into(), "versturen".into()));
    let response = post(&app, link, &broken).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(page.contains("Nog niet verstuurd") && page.contains("van 1 tot 7"), "{page}");
    assert!(page.contains(&format!("href=\"#v-{}\"", first_missing.0.replace(':', "-"))), "{page}");
    assert_eq!(page.matches("value=\"6\" checked").count(), fields.len() - 1);

    let mut complete = trust_form(&parties, "6");
    complete.push(("open0".into(), "Meer tijd voor overleg.".into()));
    complete.push(("actie".into(), "versturen".into()));
    let response = post(&app, link, &complete).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().contains("Dank u wel"));
    // Single use.
    let response = post(&app, link, &complete).await;
    assert_eq!(response.status(), StatusCode::GONE);
    assert!(response.text().await.unwrap().contains("al ingevuld en verstuurd"));
    let response = client().get(app.url("/vragenlijst/bestaat-niet")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // No results while the round runs.
    let (_, page) = coach.page(&format!("{round}/uitkomsten")).await;
    assert!(page.contains("De uitkomsten verschijnen als de meetronde sluit"), "{page}");
    // The coach sees the response rate per group, not who.
    let (_, page) = coach.page(&round).await;
    assert!(page.contains("Gemeenten (leden): kleine gemeenten"), "{page}");
    let rates: Value = app
        .api_get(&app.token("coach").await, &format!("/api/v1/regios/haaglanden/meetrondes/{id}/uitnodigingen"))
        .await
        .json()
        .await
        .unwrap();
    let submitted: i64 = rates.as_array().unwrap().iter().map(|r| r["ingevuld"].as_i64().unwrap()).sum();
    assert_eq!(submitted, 1);

    // Closed: the other links have expired; what a late respondent sends is given back.
    assert_eq!(coach.submit(&format!("{round}/status"), &[("actie", "sluiten")]).await.status(), StatusCode::SEE_OTHER);
    let response = client().get(app.url(&links[1])).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::GONE);
    assert!(response.text().await.unwrap().contains("verlopen"));
    let response = post(&app, &links[1], &complete).await;
    assert_eq!(response.status(), StatusCode::GONE);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("Wat u invulde") && page.contains("Meer tijd voor overleg.") && page.contains("<dd>Eens</dd>"),
        "{page}"
    );
    let (status, page) = coach.page(&format!("{round}/uitkomsten")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("minder dan 5 respondenten: geen cijfer"));
    assert!(!page.contains("6,00"), "no figure for a single respondent");
    // Nor its open answer: with fewer than five respondents it would be theirs.
    assert!(!page.contains("Meer tijd voor overleg."));
}

#[tokio::test]
async fn a_small_group_is_not_found_by_subtracting_two_views() {
    let app = spawn().await;
    let coach = app.token("coach").await;
    let closes = (samenspel_store::now() + time::Duration::days(3))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let response = app
        .api_send(
            Method::POST,
            &coach,
            "/api/v1/regios/haaglanden/meetrondes",
            json!({
                "titel": "Kleine regio-groep", "soort": "periodiek", "instrument": "samenspel:vertrouwen",
                "partijen": ["regio"], "sluit": closes
            }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let round: Value = response.json().await.unwrap();
    let id = round["id"].as_i64().unwrap();
    let response = app
        .api_send(
            Method::POST,
            &coach,
            &format!("/api/v1/regios/haaglanden/meetrondes/{id}/status"),
            json!({"actie": "openen"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    // Ten members, eight providers, and a regional team of three that rates itself low.
    let instrument = Instrument::parse(TRUST).unwrap();
    let level = |x: f64| vec![(Some(Party::Region), x)];
    let groups = [
        GeneratedGroup { group: Party::Members, large_member: Some(true), count: 5, levels: level(5.0) },
        GeneratedGroup { group: Party::Members, large_member: Some(false), count: 5, levels: level(5.0) },
        GeneratedGroup { group: Party::Providers, large_member: None, count: 8, levels: level(5.0) },
        GeneratedGroup { group: Party::Region, large_member: None, count: 3, levels: level(1.5) },
    ];
    let respondents = samenspel_calc::health::generate(&instrument, &groups, 5);
    let region_id = app.store.region_by_code("haaglanden").await.unwrap().unwrap().id;
    app.store.add_generated_responses(region_id, id, &respondents, &samenspel_store::Actor::cli()).await.unwrap();
    // While the round runs there are no results: each new figure would show one response.
    let response = app.api_get(&coach, &format!("/api/v1/regios/haaglanden/meetrondes/{id}/resultaten")).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let response = app
        .api_send(
            Method::POST,
            &coach,
            &format!("/api/v1/regios/haaglanden/meetrondes/{id}/status"),
            json!({"actie": "sluiten"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    for viewer in ["coach", "gemeente", "aanbieder", "waarnemer"] {
        let token = app.token(viewer).await;
        let response = app.api_get(&token, &format!("/api/v1/regios/haaglanden/meetrondes/{id}/resultaten")).await;
        assert_eq!(response.status(), StatusCode::OK, "{viewer}");
        let body: Value = response.json().await.unwrap();
        let text = body.to_string();
        // No raw answers, ever.
        assert!(!text.contains("regio:toezeggingen_nakomen"), "{viewer}");
        let report = &body["uitkomsten"];
        let hidden = |group: &str| {
            report["groups"].as_array().unwrap().iter().find(|g| g["group"] == group).unwrap()["hidden"].clone()
        };
        assert_eq!(hidden("regio"), "te-klein");
        // The total is hidden too: total minus members minus providers would be the team.
        assert_eq!(hidden("iedereen"), "ter-bescherming");
        assert_eq!(hidden("gemeenten"), Value::Null);
        assert_eq!(hidden("aanbieders"), Value::Null);
        for score in report["scores"].as_array().unwrap() {
            if ["regio", "iedereen"].contains(&score["group"].as_str().unwrap()) {
                assert_eq!(score["estimate"], Value::Null, "{score}");
            }
        }
        // The shown figures of the members and providers are there.
        assert!(report["scores"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["group"] == "aanbieders" && s["estimate"]["n"] == 8));
    }
    // The page shows the same.
    let mut browser = app.login("waarnemer").await;
    let (_, page) = browser.page(&format!("{BASE}/rondes/{id}/uitkomsten")).await;
    assert!(page.contains("verborgen, zodat een kleine groep niet door aftrekken te vinden is"), "{page}");
}

#[tokio::test]
async fn who_may_see_and_change_what() {
    let app = spawn().await;
    let first = round_by_title(&app, &app.token("coach").await, "Nulmeting vertrouwen").await;
    // Providers see the aggregated results; warnings and dossier hold members' money and voice.
    let mut provider = app.login("aanbieder").await;
    assert_eq!(provider.page(&format!("{BASE}/rondes/{first}/uitkomsten")).await.0, StatusCode::OK);
    assert_eq!(provider.page(&format!("{BASE}/waarschuwingen")).await.0, StatusCode::FORBIDDEN);
    assert_eq!(provider.page(&format!("{BASE}/dossier")).await.0, StatusCode::FORBIDDEN);
    let token = app.token("aanbieder").await;
    assert_eq!(app.api_get(&token, "/api/v1/regios/haaglanden/vroegsignalen").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.api_get(&token, &format!("/api/v1/regios/haaglanden/meetrondes/{first}/uitnodigingen")).await.status(),
        StatusCode::FORBIDDEN
    );
    // Members and observers do not run rounds or write conclusions.
    for login in ["gemeente", "waarnemer", "aanbieder"] {
        let mut browser = app.login(login).await;
        let response = browser.submit(&format!("{BASE}/rondes"), &[("titel", "x")]).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{login}");
        let response =
            browser.submit(&format!("{BASE}/rondes/{first}/uitnodigingen"), &[("uitgenodigden", "regio;;")]).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{login}");
        let response = browser.submit(&format!("{BASE}/dossier"), &[("conclusies", "x")]).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{login}");
        let token = app.token(login).await;
        let response = app
            .api_send(Method::POST, &token, "/api/v1/regios/haaglanden/instrumenten", json!({"instrument": {}}))
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{login}");
    }
    // A member sees the early warnings of its own municipality only.
    let body: Value = app
        .api_get(&app.token("gemeente").await, "/api/v1/regios/haaglanden/vroegsignalen")
        .await
        .json()
        .await
        .unwrap();
    let members: Vec<&str> =
        body["leden"].as_array().unwrap().iter().map(|m| m["gemeente"].as_str().unwrap()).collect();
    assert_eq!(members, ["GM1842"]);
    // Not logged in: the region's pages are closed; only a questionnaire link opens without account.
    let response = client().get(app.url(BASE)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn an_instrument_changed_after_a_round_opened_becomes_a_new_version() {
    let app = spawn().await;
    let coach = app.token("coach").await;
    let mut document: Value = serde_json::from_str(samenspel_domain::instrument::VALUE).unwrap();
    let response = app
        .api_send(Method::POST, &coach, "/api/v1/regios/haaglanden/instrumenten", json!({"instrument": document}))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    // A broken one is refused with every problem named.
    let response = app
        .api_send(
            Method::POST,
            &coach,
            "/api/v1/regios/haaglanden/instrumenten",
            json!({"instrument": {"naam": "", "bron": "", "schaal": 4, "dimensies": []}}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let problem = response.text().await.unwrap();
    assert!(problem.contains("schaal 4") && problem.contains("geen dimensies"), "{problem}");

    let closes = (samenspel_store::now() + time::Duration::days(3))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let response = app
        .api_send(
            Method::POST,
            &coach,
            "/api/v1/regios/haaglanden/meetrondes",
            json!({
                "titel": "Waarde", "soort": "periodiek", "instrument": format!("regio:{id}"), "sluit": closes
            }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let round: Value = response.json().await.unwrap();
    let round_id = round["id"].as_i64().unwrap();
    // Still in preparation: a change is made in place.
    document["naam"] = json!("Waarde (regio)");
    let response = app
        .api_send(
            Method::PUT,
            &coach,
            &format!("/api/v1/regios/haaglanden/instrumenten/{id}"),
            json!({"instrument": document}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    app.api_send(
        Method::POST,
        &coach,
        &format!("/api/v1/regios/haaglanden/meetrondes/{round_id}/status"),
        json!({"actie": "openen"}),
    )
    .await;
    document["naam"] = json!("Waarde (regio, herzien)");
    let response = app
        .api_send(
            Method::PUT,
            &coach,
            &format!("/api/v1/regios/haaglanden/instrumenten/{id}"),
            json!({"instrument": document}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let new_version: Value = response.json().await.unwrap();
    assert_eq!(new_version["versie"], 2);
    assert_ne!(new_version["id"].as_str().unwrap(), id);
    let round: Value =
        app.api_get(&coach, &format!("/api/v1/regios/haaglanden/meetrondes/{round_id}")).await.json().await.unwrap();
    assert_eq!(round["instrument"], "Waarde (regio) (versie 1)");
    // The page says what happened.
    let mut browser = app.login("coach").await;
    let response = browser.submit(&format!("{BASE}/instrumenten/{id}"), &[("document", &document.to_string())]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let (_, page) = browser.page(&location).await;
    assert!(page.contains("opgeslagen als nieuwe versie"), "{page}");
}
