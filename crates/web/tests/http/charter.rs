//! The partner charter over the pages and the API: set up with a double majority for the budget
//! and one member one vote for the rest, versions by date, every problem named, and who may see
//! and change it.

use crate::common::spawn;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const PAGE: &str = "/regios/haaglanden/handvest";

fn form(valid_from: &str) -> Vec<(String, String)> {
    let mut fields = vec![
        ("geldigVanaf".to_string(), valid_from.to_string()),
        ("toelichting".to_string(), "AB 12 maart".to_string()),
        (
            "taken".to_string(),
            "regionaal: inkoop jeugdhulp met verblijf — schaarse zorg\nlokaal: toegang en lokale teams".to_string(),
        ),
        ("voorzitter".to_string(), "GM0518".to_string()),
        ("opzegtermijnMaanden".to_string(), "12".to_string()),
        ("uittreedkosten".to_string(), "aandeel in het team over de opzegtermijn".to_string()),
        ("lopendeContracten".to_string(), "lopen door tot hun einddatum".to_string()),
    ];
    for kind in ["begroting", "verevening", "inkoopstrategie", "toetreding", "handvest", "overig"] {
        let budget = kind == "begroting";
        fields.push((format!("{kind}Weging"), if budget { "inwoners" } else { "lid" }.to_string()));
        fields.push((format!("{kind}Meerderheid"), if budget { "dubbel" } else { "gewoon" }.to_string()));
        fields.push((format!("{kind}Basis"), "uitgebracht".to_string()));
        fields.push((format!("{kind}Staking"), "verworpen".to_string()));
    }
    fields
}

async fn submit(browser: &mut crate::common::Browser, fields: &[(String, String)]) -> reqwest::Response {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    browser.submit(PAGE, &pairs).await
}

#[tokio::test]
async fn an_admin_sets_up_the_charter_and_members_read_it() {
    let app = spawn().await;
    let mut admin = app.login("beheerder").await;
    let (status, page) = admin.page(PAGE).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("nog geen handvest") && page.contains("Begroting en budget: meerderheid"));

    // A mistake: a qualified majority without a percentage, a veto that is no municipality.
    let mut wrong = form("2026-01-01");
    wrong.push(("toetredingMeerderheid".into(), "gekwalificeerd".into()));
    wrong.retain(|(k, v)| !(k == "toetredingMeerderheid" && v == "gewoon"));
    wrong.push(("handvestVeto".into(), "Delft".into()));
    let response = submit(&mut admin, &wrong).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(page.contains("een gekwalificeerde meerderheid heeft een percentage nodig"), "{page}");
    assert!(page.contains("veto &#39;Delft&#39; is geen gemeentecode"));
    assert!(page.contains("value=\"Delft\""), "what was typed stays");

    let response = submit(&mut admin, &form("2026-01-01")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (status, page) = admin.page(&format!("{PAGE}?gelukt=handvest")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("De nieuwe versie van het handvest is vastgelegd"));
    assert!(page.contains("gewogen naar inwoners; dubbele meerderheid (leden én gewicht)"), "{page}");
    assert!(page.contains("inkoop jeugdhulp met verblijf (schaarse zorg)"));
    assert!(page.contains("voorzitter: &#39;s-Gravenhage"));

    // The chair and veto holders are members of the region.
    let mut outsider = form("2027-01-01");
    outsider.retain(|(k, _)| k != "voorzitter");
    outsider.push(("voorzitter".into(), "0344".into()));
    let response = submit(&mut admin, &outsider).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("GM0344 is geen lid van de regio in 2027"));

    // Once a charter is in force, a change is a decision under its own rule: the form makes a
    // proposal of kind handvest, and the charter stays as it is until that is adopted.
    let mut later = form("2099-01-01");
    later.retain(|(k, _)| k != "begrotingWeging" && k != "begrotingMeerderheid");
    later.push(("begrotingWeging".into(), "lid".into()));
    later.push(("begrotingMeerderheid".into(), "gewoon".into()));
    let response = submit(&mut admin, &later).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/regios/haaglanden/voorstellen/"), "{location}");
    let (_, page) = admin.page(&location).await;
    assert!(page.contains("de wijziging is een voorstel van soort handvest geworden"), "{page}");
    assert_eq!(app.store.charters(1).await.unwrap().len(), 1);
    let proposals = app.store.proposals(1).await.unwrap();
    assert_eq!((proposals.len(), proposals[0].kind.as_str()), (1, "handvest"));
    assert!(proposals[0].proposed_charter().is_some());

    // Members, the coach and observers read it; providers do not; only the admin changes it.
    for (login, sees) in [("gemeente", true), ("coach", true), ("waarnemer", true), ("aanbieder", false)] {
        let mut browser = app.login(login).await;
        let (status, page) = browser.page(PAGE).await;
        assert_eq!(status, if sees { StatusCode::OK } else { StatusCode::FORBIDDEN }, "{login}");
        if sees {
            assert!(!page.contains("Wijziging van het handvest voorstellen"), "{login}");
        }
        assert_eq!(submit(&mut browser, &form("2030-01-01")).await.status(), StatusCode::FORBIDDEN, "{login}");
    }
}

#[tokio::test]
async fn the_api_records_charter_versions() {
    let app = spawn().await;
    let admin = app.token("beheerder").await;
    let path = "/api/v1/regios/haaglanden/handvesten";
    let example: Value =
        serde_json::from_str(include_str!("../../../../docs/voorbeelden/bestuur/handvest.json")).unwrap();

    let mut broken = example.clone();
    broken["besluitregels"].as_array_mut().unwrap().pop();
    let response =
        app.api_send(Method::POST, &admin, path, json!({"geldigVanaf": "2026-01-01", "handvest": broken})).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert!(body.to_string().contains("er is geen besluitregel voor overige besluiten (overig)"), "{body}");
    assert!(app.store.charters(1).await.unwrap().is_empty(), "nothing stored");

    let response = app
        .api_send(
            Method::POST,
            &admin,
            path,
            json!({"geldigVanaf": "2026-01-01", "toelichting": "AB", "handvest": example}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["versie"], 1);
    assert_eq!(created["handvest"]["besluitregels"][0]["meerderheid"], "dubbel");

    let member = app.token("gemeente").await;
    let response = app.api_get(&member, path).await;
    assert_eq!(response.status(), StatusCode::OK);
    let list: Value = response.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let response =
        app.api_send(Method::POST, &member, path, json!({"geldigVanaf": "2027-01-01", "handvest": example})).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let provider = app.token("aanbieder").await;
    assert_eq!(app.api_get(&provider, path).await.status(), StatusCode::FORBIDDEN);

    // A second version is a decision: the API points to a proposal of kind handvest.
    let response =
        app.api_send(Method::POST, &admin, path, json!({"geldigVanaf": "2027-01-01", "handvest": example})).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let body: Value = response.json().await.unwrap();
    assert!(body["detail"].as_str().unwrap().contains("voorstellen"), "{body}");
    assert_eq!(app.store.charters(1).await.unwrap().len(), 1);
}
