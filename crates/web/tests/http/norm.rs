//! The Norm voor Opdrachtgeverschap self-assessment: recorded in the form and the API, the gaps
//! and the changes since the one before, and who may record it.

use crate::common::spawn;
use reqwest::{Method, StatusCode};
use samenspel_domain::norm::NORM_ITEMS;
use serde_json::{json, Value};

const PAGE: &str = "/regios/haaglanden/norm";

fn answers(first: &str) -> Vec<(String, String)> {
    let mut fields = vec![("datum".to_string(), "2026-03-01".to_string())];
    for (i, (key, _)) in NORM_ITEMS.iter().enumerate() {
        let answer = if i == 0 {
            first
        } else if i % 3 == 0 {
            "nee"
        } else {
            "ja"
        };
        fields.push((key.to_string(), answer.to_string()));
        fields.push((
            format!("{key}-onderbouwing"),
            if answer == "nee" { String::new() } else { format!("/regios/haaglanden/handvest#{key}") },
        ));
    }
    fields
}

async fn submit(browser: &mut crate::common::Browser, fields: &[(String, String)]) -> reqwest::Response {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    browser.submit(PAGE, &pairs).await
}

#[tokio::test]
async fn the_region_assesses_itself_against_the_norm_and_sees_what_changed() {
    let app = spawn().await;
    let mut coach = app.login("coach").await;
    let (status, page) = coach.page(PAGE).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("nog geen zelfevaluatie") && page.contains("Zelfevaluatie vastleggen"));

    // "Partly" without evidence is refused; what was chosen stays.
    let mut missing = answers("deels");
    missing[2].1.clear();
    let response = submit(&mut coach, &missing).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(page.contains("Geef bij &#39;deels&#39; een onderbouwing"), "{page}");
    assert!(page.contains("value=\"deels\" checked"));

    assert_eq!(submit(&mut coach, &answers("deels")).await.status(), StatusCode::SEE_OTHER);
    let mut later = answers("ja");
    later[0].1 = "2026-09-01".into();
    later[2].1 = "/regios/haaglanden/handvest".into();
    assert_eq!(submit(&mut coach, &later).await.status(), StatusCode::SEE_OTHER);
    let (_, page) = coach.page(&format!("{PAGE}?gelukt=norm")).await;
    assert!(page.contains("De zelfevaluatie is vastgelegd"));
    // 8 yes and 3 no now: 16 of 22; the first commitment went from partly to yes.
    assert!(page.contains("Zelfevaluatie van 01-09-2026: 16 van 22 punten"), "{page}");
    assert!(page.contains(">beter<") && page.contains(">gelijk<"));
    assert!(page.contains("01-03-2026: 15 van 22 punten"), "the earlier one in the history");
    assert!(page.contains("Gaten"));

    // Members and observers read, do not record; providers do not see it.
    for (login, status) in
        [("gemeente", StatusCode::OK), ("waarnemer", StatusCode::OK), ("aanbieder", StatusCode::FORBIDDEN)]
    {
        let mut browser = app.login(login).await;
        let (got, page) = browser.page(PAGE).await;
        assert_eq!(got, status, "{login}");
        assert!(!page.contains("Zelfevaluatie vastleggen"), "{login}");
        assert_eq!(submit(&mut browser, &answers("ja")).await.status(), StatusCode::FORBIDDEN, "{login}");
    }

    // The API: the same record, every problem named.
    let admin = app.token("beheerder").await;
    let path = "/api/v1/regios/haaglanden/norm-zelfevaluaties";
    let list: Value = app.api_get(&admin, path).await.json().await.unwrap();
    assert_eq!(list["items"][0]["punten"], 16);
    let response = app
        .api_send(
            Method::POST,
            &admin,
            path,
            json!({"datum": "2026-10-01", "antwoorden": [{"onderdeel": "regiovisie", "antwoord": "ja"}]}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert!(body.to_string().contains("regiovisie: 'ja' vraagt een onderbouwing"), "{body}");
    assert!(body.to_string().contains("aanspreekpunt: niet beantwoord"), "{body}");
}
