//! Proposals, consultation, answers, votes, the decision list and the voice indicators through
//! the pages and the API, as the demo's region admin, member staff, aldermen, coach, observer and
//! provider; on the backend the environment selects.

use crate::common::{spawn, Browser, TestApp};
use reqwest::{Method, StatusCode};
use samenspel_domain::charter::Charter;
use samenspel_store::Actor;
use serde_json::{json, Value};
use std::time::Duration as StdDuration;

const REGION: &str = "/regios/haaglanden";
const API: &str = "/api/v1/regios/haaglanden";

/// The example charter: a double majority by inhabitants for the budget, one member one vote
/// for the rest.
pub async fn with_charter(app: &TestApp) {
    let charter = Charter::parse(include_str!("../../../../docs/voorbeelden/bestuur/handvest.json")).unwrap();
    app.store.add_charter(1, &charter, time::macros::date!(2020 - 01 - 01), None, &Actor::cli()).await.unwrap();
}

/// A deadline `seconds` from now, as the API and the form accept it.
pub fn deadline_in(seconds: i64) -> (String, time::OffsetDateTime) {
    let at = samenspel_store::now() + time::Duration::seconds(seconds);
    (at.format(&time::format_description::well_known::Rfc3339).unwrap(), at)
}

pub async fn wait_past(at: time::OffsetDateTime) {
    let left = at - time::OffsetDateTime::now_utc();
    if left.is_positive() {
        tokio::time::sleep(StdDuration::from_millis(left.whole_milliseconds() as u64 + 1100)).await;
    }
}

/// A draft proposal through the API; its id.
pub async fn draft_via_api(app: &TestApp, admin: &str, kind: &str, title: &str) -> i64 {
    let response = app
        .api_send(
            Method::POST,
            admin,
            &format!("{API}/voorstellen"),
            json!({"soort": kind, "titel": title, "tekst": "Tekst."}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    created["id"].as_i64().unwrap()
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_string()
}

#[tokio::test]
async fn a_proposal_runs_through_consultation_response_and_vote_in_the_pages() {
    let app = spawn().await;
    with_charter(&app).await;
    let mut admin = app.login("beheerder").await;

    // A proposal without a kind is refused, and what was typed stays.
    let response = admin
        .submit(&format!("{REGION}/voorstellen"), &[("soort", ""), ("titel", "Inkoopplan 2027"), ("tekst", "Zo.")])
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(page.contains("Kies de soort besluit"), "{page}");
    assert!(page.contains("value=\"Inkoopplan 2027\""));
    assert!(app.store.proposals(1).await.unwrap().is_empty(), "nothing stored");

    let response = admin
        .submit(
            &format!("{REGION}/voorstellen"),
            &[("soort", "inkoopstrategie"), ("titel", "Inkoopplan 2027"), ("tekst", "Eén perceel verblijf.")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let proposal = location(&response);
    let path = proposal.split('?').next().unwrap().to_string();
    let id: i64 = path.rsplit('/').next().unwrap().parse().unwrap();

    // Members do not see drafts.
    let mut staff = app.login("gemeente").await;
    assert_eq!(staff.page(&path).await.0, StatusCode::NOT_FOUND);

    let (termijn, consultation_end) = deadline_in(3);
    let response =
        admin.submit(&format!("{path}/stap"), &[("stap", "consultatie-openen"), ("termijn", &termijn)]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{}", response.text().await.unwrap());

    // Staff of Midden-Delfland and Delft's alderman give input; neither sees the other's yet.
    let response = staff
        .submit(&format!("{path}/zienswijzen"), &[("gemeentecode", "GM1842"), ("tekst", "Houd ambulant lokaal.")])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let mut delft = app.login("wethouder-delft").await;
    let response = delft
        .submit(&format!("{path}/zienswijzen"), &[("gemeentecode", "GM0503"), ("tekst", "Meer inzet op preventie.")])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    // Not for another member.
    let response = delft
        .submit(&format!("{path}/zienswijzen"), &[("gemeentecode", "GM0518"), ("tekst", "Namens Den Haag.")])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let (_, page) = staff.page(&path).await;
    assert!(page.contains("Houd ambulant lokaal.") && !page.contains("Meer inzet op preventie."));
    assert!(page.contains("Andere leden gaven 1 zienswijze;"), "{page}");

    // The deadline passes: input is refused, the text stays; then the consultation closes.
    wait_past(consultation_end).await;
    let response =
        staff.submit(&format!("{path}/zienswijzen"), &[("gemeentecode", "GM1842"), ("tekst", "Nog iets.")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(page.contains("De termijn voor zienswijzen is verstreken"), "{page}");
    assert!(page.contains("Nog iets."), "what was typed stays");
    let response = admin.submit(&format!("{path}/stap"), &[("stap", "consultatie-sluiten")]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    // The region answers each input; the vote cannot open before that.
    let (termijn, vote_end) = deadline_in(4);
    let response = admin.submit(&format!("{path}/stap"), &[("stap", "stemming-openen"), ("termijn", &termijn)]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("Beantwoord eerst elke zienswijze (nog 2 zonder reactie)"));
    let inputs = app.store.inputs(id).await.unwrap();
    let small = inputs.iter().find(|i| i.municipality_code == "GM1842").unwrap().id;
    let other = inputs.iter().find(|i| i.municipality_code == "GM0503").unwrap().id;
    let response =
        admin.submit(&format!("{path}/zienswijzen/{small}/reactie"), &[("verwerking", "niet"), ("reactie", "")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("Leg uit waarom"));
    for (input, handling, reason) in [
        (small, "niet", "Ambulant blijft lokaal; dit plan gaat over verblijf."),
        (other, "deels", "Preventie krijgt een paragraaf."),
    ] {
        let response = admin
            .submit(&format!("{path}/zienswijzen/{input}/reactie"), &[("verwerking", handling), ("reactie", reason)])
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
    }
    let (termijn, vote_end) = if vote_end < samenspel_store::now() + time::Duration::seconds(3) {
        deadline_in(4)
    } else {
        (termijn, vote_end)
    };
    let response = admin.submit(&format!("{path}/stap"), &[("stap", "stemming-openen"), ("termijn", &termijn)]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    // Only representatives vote; each once, changeable until the deadline.
    let response = staff.submit(&format!("{path}/stem"), &[("gemeentecode", "GM1842"), ("stem", "voor")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("geen gemachtigde vertegenwoordiger van GM1842"));
    let mut the_hague = app.login("wethouder-denhaag").await;
    let mut small_alderman = app.login("wethouder-middendelfland").await;
    for (browser, member, choice) in
        [(&mut the_hague, "GM0518", "voor"), (&mut delft, "GM0503", "tegen"), (&mut small_alderman, "GM1842", "tegen")]
    {
        let response = browser.submit(&format!("{path}/stem"), &[("gemeentecode", member), ("stem", choice)]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{member}");
    }
    let response =
        small_alderman.submit(&format!("{path}/stem"), &[("gemeentecode", "GM1842"), ("stem", "voor")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("heeft al gestemd"));
    let response = delft
        .submit(&format!("{path}/stem"), &[("gemeentecode", "GM0503"), ("stem", "voor"), ("wijzigen", "ja")])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    // During the vote others see that a member voted, not how.
    let (_, page) = staff.page(&path).await;
    assert!(page.contains("3 van 9 leden hebben gestemd"), "{page}");
    assert!(page.contains("heeft gestemd") && !page.contains(">Voor<"), "{page}");
    let response = admin.submit(&format!("{path}/stap"), &[("stap", "stemming-sluiten")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "not before the deadline");

    wait_past(vote_end).await;
    let response = the_hague
        .submit(&format!("{path}/stem"), &[("gemeentecode", "GM0518"), ("stem", "tegen"), ("wijzigen", "ja")])
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("De stemming is gesloten"));
    let response = admin.submit(&format!("{path}/stap"), &[("stap", "stemming-sluiten")]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    // The outcome with its arithmetic; each member sees what became of its input.
    let (_, page) = staff.page(&path).await;
    assert!(page.contains("Uitslag: Aangenomen"), "{page}");
    assert!(
        page.contains("Gewone meerderheid van de uitgebrachte stemmen (voor en tegen): voor 2 van 3 stemmen"),
        "{page}"
    );
    assert!(page.contains("Niet overgenomen") && page.contains("Ambulant blijft lokaal"), "{page}");
    assert!(page.contains("Meer inzet op preventie."), "others' inputs are on the record after the consultation");

    // The decision list: observers too, printable, and as CSV and JSON.
    let mut observer = app.login("waarnemer").await;
    let (status, page) = observer.page(&format!("{REGION}/besluiten")).await;
    assert_eq!(status, StatusCode::OK);
    let year = samenspel_store::now().year();
    assert!(page.contains(&format!("Besluit {year}-001")) && page.contains("Inkoopplan 2027"), "{page}");
    assert!(page.contains("@media print") || page.contains("samenspel.css"), "print styles are linked");
    let response = observer.get(&format!("{REGION}/besluiten?formaat=csv")).await;
    assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = response.text().await.unwrap();
    assert!(csv.lines().nth(1).unwrap().starts_with(&format!("{year}-001;")), "{csv}");
    let inputs_csv =
        observer.get(&format!("{REGION}/besluiten?formaat=csv&deel=zienswijzen")).await.text().await.unwrap();
    assert!(
        inputs_csv.contains("Houd ambulant lokaal.;Niet overgenomen;\"Ambulant blijft lokaal; dit plan"),
        "{inputs_csv}"
    );
    let votes_csv = observer.get(&format!("{REGION}/besluiten?formaat=csv&deel=stemmen")).await.text().await.unwrap();
    assert!(votes_csv.contains(";GM1842;Midden-Delfland;1;tegen"), "{votes_csv}");
    assert!(votes_csv.contains(";GM0629;Wassenaar;1;niet gestemd"), "{votes_csv}");
    let response = observer.get(&format!("{REGION}/besluiten?formaat=json")).await;
    let record: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(record[0]["zienswijzen"].as_array().unwrap().len(), 2);
    assert_eq!(record[0]["stemming"]["uitgebracht"], 3);
    // Observers see the decided proposal, but no running ones; providers see none.
    assert_eq!(observer.page(&path).await.0, StatusCode::OK);
    let mut provider = app.login("aanbieder").await;
    assert_eq!(provider.page(&path).await.0, StatusCode::FORBIDDEN);
    assert_eq!(provider.page(&format!("{REGION}/besluiten")).await.0, StatusCode::FORBIDDEN);
    assert_eq!(provider.page(&format!("{REGION}/voorstellen")).await.0, StatusCode::FORBIDDEN);

    let chain = app.store.verify_audit_chain().await.unwrap();
    assert!(chain.breaks.is_empty(), "{:?}", chain.breaks);
}

/// Runs a proposal through the API with the given votes and closes it; returns its id.
async fn decide(app: &TestApp, admin: &str, kind: &str, votes: &[(&str, &str, &str)]) -> i64 {
    let id = draft_via_api(app, admin, kind, &format!("Besluit over {kind}")).await;
    let steps = format!("{API}/voorstellen/{id}/stappen");
    let step = |stap: &'static str, termijn: Option<String>| {
        let body = match termijn {
            Some(t) => json!({"stap": stap, "termijn": t}),
            None => json!({"stap": stap}),
        };
        app.api_send(Method::POST, admin, &steps, body)
    };
    let (termijn, end) = deadline_in(2);
    assert_eq!(step("consultatie-openen", Some(termijn)).await.status(), StatusCode::OK);
    wait_past(end).await;
    assert_eq!(step("consultatie-sluiten", None).await.status(), StatusCode::OK);
    let (termijn, end) = deadline_in(2);
    let response = step("stemming-openen", Some(termijn)).await;
    assert_eq!(response.status(), StatusCode::OK, "{}", response.text().await.unwrap());
    for (token, member, choice) in votes {
        let response = app
            .api_send(
                Method::POST,
                token,
                &format!("{API}/stemmingen/{id}/stemmen"),
                json!({"gemeentecode": member, "stem": choice}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "{}", response.text().await.unwrap());
    }
    wait_past(end).await;
    let response = step("stemming-sluiten", None).await;
    assert_eq!(response.status(), StatusCode::OK, "{}", response.text().await.unwrap());
    id
}

#[tokio::test]
async fn a_small_member_outvoted_again_and_again_shows_in_the_voice_indicators() {
    let app = spawn().await;
    with_charter(&app).await;
    let admin = app.token("beheerder").await;
    let the_hague = app.token("wethouder-denhaag").await;
    let delft = app.token("wethouder-delft").await;
    let small = app.token("wethouder-middendelfland").await;
    let votes = [
        (the_hague.as_str(), "GM0518", "voor"),
        (delft.as_str(), "GM0503", "voor"),
        (small.as_str(), "GM1842", "tegen"),
    ];
    let (a, b, c) = tokio::join!(
        decide(&app, &admin, "inkoopstrategie", &votes),
        decide(&app, &admin, "overig", &votes),
        decide(&app, &admin, "verevening", &votes),
    );
    for id in [a, b, c] {
        let decided: Value = app.api_get(&admin, &format!("{API}/voorstellen/{id}")).await.json().await.unwrap();
        assert_eq!(decided["fase"], "aangenomen", "{decided}");
    }

    // The coach sees every member; the small member is flagged, with the reason.
    let coach = app.token("coach").await;
    let voice: Value = app.api_get(&coach, &format!("{API}/inspraak")).await.json().await.unwrap();
    let members = voice.as_array().unwrap();
    assert_eq!(members.len(), 9);
    let midden = members.iter().find(|m| m["gemeentecode"] == "GM1842").unwrap();
    assert_eq!(midden["totaal"]["verliezendeKant"], 3);
    assert!(midden["signalen"].to_string().contains("Vaak overstemd: 3 van 3 open stemmingen"), "{midden}");
    let hague = members.iter().find(|m| m["gemeentecode"] == "GM0518").unwrap();
    assert_eq!(hague["totaal"]["verliezendeKant"], 0);
    assert!(!hague["signalen"].to_string().contains("overstemd"));

    // A member sees its own indicators only; providers none; the page says the same.
    let staff = app.token("gemeente").await;
    let own: Value = app.api_get(&staff, &format!("{API}/inspraak")).await.json().await.unwrap();
    assert_eq!(own.as_array().unwrap().len(), 1);
    assert_eq!(own[0]["gemeentecode"], "GM1842");
    let provider = app.token("aanbieder").await;
    assert_eq!(app.api_get(&provider, &format!("{API}/inspraak")).await.status(), StatusCode::FORBIDDEN);
    let mut browser: Browser = app.login("wethouder-denhaag").await;
    let (_, page) = browser.page(&format!("{REGION}/inspraak")).await;
    assert!(page.contains("&#39;s-Gravenhage") && !page.contains("Midden-Delfland"), "{page}");
    let mut coach_browser = app.login("coach").await;
    let (_, page) = coach_browser.page(&format!("{REGION}/inspraak")).await;
    assert!(page.contains("Vaak overstemd"), "{page}");
}

#[tokio::test]
async fn bad_governance_input_gets_a_clear_message_and_changes_nothing() {
    let app = spawn().await;
    let admin = app.token("beheerder").await;
    // No charter yet: a proposal can be written but not put to the vote.
    let response = app
        .api_send(Method::POST, &admin, &format!("{API}/voorstellen"), json!({"titel": "Zonder soort", "tekst": "x"}))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.text().await.unwrap().contains("Kies de soort besluit"));
    let id = draft_via_api(&app, &admin, "begroting", "Begroting").await;
    let small = app.token("wethouder-middendelfland").await;
    // Attachments through the API: stored as sent, listed, downloaded; an empty one refused.
    let upload = |body: Vec<u8>| {
        crate::common::client()
            .post(app.url(&format!("{API}/voorstellen/{id}/bijlagen?bestandsnaam=begroting%202027.pdf")))
            .bearer_auth(&admin)
            .header("content-type", "application/octet-stream")
            .body(body)
            .send()
    };
    let response = upload(b"%PDF-1.4 begroting".to_vec()).await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let attached: Value = response.json().await.unwrap();
    assert_eq!(attached["bestandsnaam"], "begroting 2027.pdf");
    let response = upload(Vec::new()).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.text().await.unwrap().contains("is leeg"));
    let full: Value = app.api_get(&admin, &format!("{API}/voorstellen/{id}")).await.json().await.unwrap();
    assert_eq!(full["bijlagen"].as_array().unwrap().len(), 1);
    let file = format!("{API}/voorstellen/{id}/bijlagen/{}", attached["id"]);
    let response = app.api_get(&admin, &file).await;
    assert_eq!(response.headers()["content-disposition"], "attachment; filename=\"begroting 2027.pdf\"");
    assert_eq!(response.bytes().await.unwrap().as_ref(), b"%PDF-1.4 begroting");
    assert_eq!(app.api_get(&small, &file).await.status(), StatusCode::NOT_FOUND, "a draft's attachment is hidden");
    // Voting on a proposal that is not open for voting.
    let response = app
        .api_send(
            Method::POST,
            &small,
            &format!("{API}/stemmingen/{id}/stemmen"),
            json!({"gemeentecode": "GM1842", "stem": "voor"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND, "a draft does not exist for members");
    let (termijn, end) = deadline_in(2);
    let response = app
        .api_send(
            Method::POST,
            &admin,
            &format!("{API}/voorstellen/{id}/stappen"),
            json!({"stap": "consultatie-openen", "termijn": termijn}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = app
        .api_send(
            Method::POST,
            &small,
            &format!("{API}/stemmingen/{id}/stemmen"),
            json!({"gemeentecode": "GM1842", "stem": "voor"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.text().await.unwrap().contains("wordt nu niet gestemd"));
    wait_past(end).await;
    app.api_send(
        Method::POST,
        &admin,
        &format!("{API}/voorstellen/{id}/stappen"),
        json!({"stap": "consultatie-sluiten"}),
    )
    .await;
    let (termijn, _) = deadline_in(60);
    let response = app
        .api_send(
            Method::POST,
            &admin,
            &format!("{API}/voorstellen/{id}/stappen"),
            json!({"stap": "stemming-openen", "termijn": termijn}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.text().await.unwrap().contains("nog geen handvest in werking"));
    // An unknown step, a member acting for another, a vote someone else casts.
    let response = app
        .api_send(Method::POST, &admin, &format!("{API}/voorstellen/{id}/stappen"), json!({"stap": "afhameren"}))
        .await;
    assert!(response.text().await.unwrap().contains("Onbekende stap"));
    with_charter(&app).await;
    let response = app
        .api_send(
            Method::POST,
            &admin,
            &format!("{API}/voorstellen/{id}/stappen"),
            json!({"stap": "stemming-openen", "termijn": termijn}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK, "{}", response.text().await.unwrap());
    let staff = app.token("gemeente").await;
    let response = app
        .api_send(
            Method::POST,
            &staff,
            &format!("{API}/stemmingen/{id}/stemmen"),
            json!({"gemeentecode": "GM1842", "stem": "voor"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.text().await.unwrap().contains("geen gemachtigde vertegenwoordiger"));
    let response = app
        .api_send(
            Method::POST,
            &small,
            &format!("{API}/stemmingen/{id}/stemmen"),
            json!({"gemeentecode": "GM0518", "stem": "tegen"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = app
        .api_send(
            Method::POST,
            &small,
            &format!("{API}/stemmingen/{id}/stemmen"),
            json!({"gemeentecode": "GM1842", "stem": "misschien"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let state: Value = app.api_get(&admin, &format!("{API}/stemmingen/{id}")).await.json().await.unwrap();
    assert_eq!(state["uitgebracht"], 0, "nothing changed");
    // The weights by inhabitants are fixed when voting opened.
    let hague = state["stemgerechtigden"].as_array().unwrap().iter().find(|v| v["gemeentecode"] == "GM0518").unwrap();
    assert!(hague["gewicht"].as_u64().unwrap() > 500_000);
    // Representatives only for users who work for the member.
    let coach = app.store.user_by_login("coach").await.unwrap().unwrap();
    let response = app
        .api_send(
            Method::POST,
            &admin,
            &format!("{API}/vertegenwoordigers"),
            json!({"gemeentecode": "GM0503", "gebruikerId": coach.id, "functie": "gemachtigde", "vanaf": "2026-01-01"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.text().await.unwrap().contains("werkt niet voor GM0503"));
}

#[tokio::test]
async fn representatives_voting_at_once_over_http_give_an_exact_tally() {
    let app = spawn().await;
    with_charter(&app).await;
    let admin = app.token("beheerder").await;
    // An alderman for every member, each with an API token.
    let region = app.store.region_by_code("haaglanden").await.unwrap().unwrap();
    let members: Vec<String> = app
        .store
        .memberships(region.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.left_on.is_none())
        .map(|m| m.municipality_code)
        .collect();
    let mut voters = Vec::new();
    for code in &members {
        let existing = app.store.representatives(region.id).await.unwrap();
        let login = match existing.iter().find(|r| &r.municipality_code == code) {
            Some(r) => r.login.clone(),
            None => {
                let login = format!("wethouder-{}", code.to_lowercase());
                let account = samenspel_domain::account::NewAccount::parse(&login, "Wethouder", "").unwrap();
                let user = app.store.create_user(&account, None, false, &Actor::cli()).await.unwrap();
                let member = samenspel_domain::MunicipalityCode::parse(code).unwrap();
                app.store
                    .add_grant(
                        user.id,
                        region.id,
                        &samenspel_domain::access::Role::Member(member.clone()),
                        &Actor::cli(),
                    )
                    .await
                    .unwrap();
                let authorisation = samenspel_store::proposals::NewRepresentative {
                    municipality: member,
                    user_id: user.id,
                    title: "wethouder".into(),
                    valid_from: time::macros::date!(2020 - 01 - 01),
                    valid_until: None,
                };
                app.store.add_representative(region.id, &authorisation, &Actor::cli()).await.unwrap();
                login
            }
        };
        voters.push((code.clone(), app.token(&login).await));
    }
    assert_eq!(voters.len(), 9);
    let id = draft_via_api(&app, &admin, "overig", "Tegelijk").await;
    let steps = format!("{API}/voorstellen/{id}/stappen");
    let (termijn, end) = deadline_in(2);
    app.api_send(Method::POST, &admin, &steps, json!({"stap": "consultatie-openen", "termijn": termijn})).await;
    wait_past(end).await;
    app.api_send(Method::POST, &admin, &steps, json!({"stap": "consultatie-sluiten"})).await;
    let (termijn, end) = deadline_in(3);
    let response =
        app.api_send(Method::POST, &admin, &steps, json!({"stap": "stemming-openen", "termijn": termijn})).await;
    assert_eq!(response.status(), StatusCode::OK);

    // Every representative at once: a first vote, then changes as fast as the server answers
    // until one is refused at the deadline. Each remembers the last vote accepted.
    let base = app.base.clone();
    let tasks: Vec<_> = voters
        .into_iter()
        .enumerate()
        .map(|(i, (code, token))| {
            let base = base.clone();
            tokio::spawn(async move {
                let client = crate::common::client();
                let choices = ["voor", "tegen", "onthouding"];
                let first = choices[i % 2];
                let response = client
                    .post(format!("{base}{API}/stemmingen/{id}/stemmen"))
                    .bearer_auth(&token)
                    .json(&json!({"gemeentecode": code, "stem": first}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), StatusCode::CREATED);
                let mut last = first;
                for round in 0.. {
                    let choice = choices[(i + round) % 3];
                    let response = client
                        .put(format!("{base}{API}/stemmingen/{id}/stemmen/{code}"))
                        .bearer_auth(&token)
                        .json(&json!({"stem": choice}))
                        .send()
                        .await
                        .unwrap();
                    match response.status() {
                        StatusCode::OK => last = choice,
                        StatusCode::BAD_REQUEST => {
                            assert!(response.text().await.unwrap().contains("De stemming is gesloten"));
                            break;
                        }
                        other => panic!("{other}: {}", response.text().await.unwrap()),
                    }
                }
                (code, last)
            })
        })
        .collect();
    let mut expected = std::collections::BTreeMap::new();
    for task in tasks {
        let (code, choice) = task.await.unwrap();
        expected.insert(code, choice);
    }
    wait_past(end).await;
    let closed: Value =
        app.api_send(Method::POST, &admin, &steps, json!({"stap": "stemming-sluiten"})).await.json().await.unwrap();
    let count = |c: &str| expected.values().filter(|x| **x == c).count() as u64;
    let outcome = &closed["uitkomst"];
    assert_eq!(
        (
            outcome["voor"].as_u64(),
            outcome["tegen"].as_u64(),
            outcome["onthouding"].as_u64(),
            outcome["nietGestemd"].as_u64()
        ),
        (Some(count("voor")), Some(count("tegen")), Some(count("onthouding")), Some(0)),
        "{closed}"
    );
    let state: Value = app.api_get(&admin, &format!("{API}/stemmingen/{id}")).await.json().await.unwrap();
    for voter in state["stemgerechtigden"].as_array().unwrap() {
        let code = voter["gemeentecode"].as_str().unwrap();
        assert_eq!(voter["stem"].as_str(), Some(expected[code]), "{code}");
    }
}
