//! Production data over the API: who reads which rows, uploads with their reports, the
//! quarantine, and aggregates that add up.

use crate::common::{client, spawn_with_production, TestApp};
use reqwest::StatusCode;
use serde_json::Value;

async fn json(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    let response = app.api_get(token, path).await;
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Uploads a file and waits until its import has finished.
async fn upload(app: &TestApp, token: &str, name: &str, bytes: Vec<u8>) -> Value {
    let response = client()
        .post(app.url(&format!("/api/v1/regios/haaglanden/importen?bestandsnaam={name}")))
        .bearer_auth(token)
        .header("content-type", "application/octet-stream")
        .body(bytes)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED, "{name}");
    let location = response.headers()["location"].to_str().unwrap().to_string();
    for _ in 0..200 {
        let (status, body) = json(app, token, &location).await;
        assert_eq!(status, StatusCode::OK);
        if body["status"] != "bezig" {
            return body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("import {name} did not finish");
}

fn items(body: &Value) -> &Vec<Value> {
    body["items"].as_array().expect("a page")
}

#[tokio::test]
async fn client_rows_only_for_the_own_municipality_or_provider() {
    let app = spawn_with_production().await;
    let (admin, member, provider, coach, observer) = (
        app.token("beheerder").await,
        app.token("gemeente").await,
        app.token("aanbieder").await,
        app.token("coach").await,
        app.token("waarnemer").await,
    );
    let duinzicht = app.store.providers(1, true, samenspel_store::PageRequest::all()).await.unwrap();
    let duinzicht = duinzicht.items.iter().find(|p| p.name.starts_with("Jeugdhulp Duinzicht")).unwrap().id;

    // The member sees its own clients' rows, and only those.
    for path in ["toewijzingen", "declaraties"] {
        let (status, body) = json(&app, &member, &format!("/api/v1/regios/haaglanden/{path}?pageSize=100")).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(!items(&body).is_empty(), "{path}: Midden-Delfland has production");
        assert!(items(&body).iter().all(|r| r["gemeentecode"] == "GM1842"), "{path}");
        assert!(items(&body).iter().all(|r| r["client"].as_str().unwrap().len() == 32), "pseudonyms");
        let (status, _) = json(&app, &member, &format!("/api/v1/regios/haaglanden/{path}?gemeentecode=GM0518")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: another member's clients");
    }
    // The provider sees its own production only.
    let (status, body) = json(&app, &provider, "/api/v1/regios/haaglanden/declaraties?pageSize=100").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!items(&body).is_empty());
    assert!(items(&body).iter().all(|r| r["aanbiederId"] == duinzicht));
    let other = duinzicht + 1;
    let (status, _) =
        json(&app, &provider, &format!("/api/v1/regios/haaglanden/declaraties?aanbiederId={other}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The region's team, the coach and observers see no client rows at all.
    for token in [&admin, &coach, &observer] {
        for path in ["toewijzingen", "declaraties"] {
            let (status, body) = json(&app, token, &format!("/api/v1/regios/haaglanden/{path}")).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        }
    }
    // Everyone in the region sees the aggregates.
    for token in [&admin, &member, &provider, &coach, &observer] {
        for path in ["uitgaven", "uitgaven/prognose", "signalen", "budgetten"] {
            let (status, _) = json(&app, token, &format!("/api/v1/regios/haaglanden/{path}")).await;
            assert_eq!(status, StatusCode::OK, "{path}");
        }
    }
    // Imports: the region and members; not providers, coach or observers.
    for (token, expected) in [(&admin, 200), (&member, 200), (&provider, 403), (&coach, 403), (&observer, 403)] {
        let (status, _) = json(&app, token, "/api/v1/regios/haaglanden/importen").await;
        assert_eq!(status.as_u16(), expected);
    }
    let (status, _) = json(&app, &admin, "/api/v1/regios/haaglanden/importen").await;
    assert_eq!(status, StatusCode::OK);
    let reprocess = |token: String| {
        let app = &app;
        async move {
            client()
                .post(app.url("/api/v1/regios/haaglanden/quarantaine/_herverwerk"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(reprocess(member.clone()).await, StatusCode::FORBIDDEN);
    assert_eq!(reprocess(admin.clone()).await, StatusCode::OK);
}

#[tokio::test]
async fn uploads_report_rejections_and_duplicates_and_aggregates_add_up() {
    let app = spawn_with_production().await;
    let admin = app.token("beheerder").await;
    let member = app.token("gemeente").await;

    // The member's view of the imports holds none of the region's.
    let (_, mine) = json(&app, &member, "/api/v1/regios/haaglanden/importen").await;
    assert_eq!(mine["totalItems"], 0);
    let (_, all) = json(&app, &admin, "/api/v1/regios/haaglanden/importen?pageSize=1").await;
    assert!(all["totalItems"].as_i64().unwrap() > 10);
    let last = &items(&all)[0];
    assert_eq!(last["status"], "klaar");

    // A truncated message: rejected, and the report names the line and the rule.
    let broken = "<?xml version=\"1.0\"?>\n<jw323:Bericht xmlns:jw323=\"http://www.istandaarden.nl/ijw/3_2/jw323/schema\">\n<jw323:Header>";
    let report = upload(&app, &admin, "kapot.xml", broken.as_bytes().to_vec()).await;
    assert_eq!(report["status"], "afgewezen");
    let (_, problems) =
        json(&app, &admin, &format!("/api/v1/regios/haaglanden/importen/{}/problemen", report["id"])).await;
    assert!(items(&problems).iter().any(|p| p["regelcode"] == "XSD" && p["regel"].is_number()), "{problems}");

    // A CSV with an unknown assignment from the member: quarantined with TR338; the member sees
    // the pseudonymised record, the region's team does not.
    let csv = "wet;gemeente;aanbieder;declaratienummer;bsn;referentienummer;toewijzingnummer;productcategorie;\
productcode;begindatum;einddatum;volume;eenheid;tarief;bedrag\n\
jeugd;1842;98000001;CSVTEST1;999900006;CSV-1;999999;45;45A04;1-1-2026;31-1-2026;1;04;80,62;80,62\n";
    let report = upload(&app, &member, "eigen.csv", csv.as_bytes().to_vec()).await;
    assert_eq!((report["status"].as_str(), report["quarantaine"].as_i64()), (Some("klaar"), Some(1)), "{report}");
    assert_eq!(report["gemeentecode"], "GM1842");
    let path = format!("/api/v1/regios/haaglanden/importen/{}/problemen", report["id"]);
    let (_, seen_by_member) = json(&app, &member, &path).await;
    let p = &items(&seen_by_member)[0];
    assert_eq!(
        (p["regelcode"].as_str(), p["status"].as_str(), p["regel"].as_i64()),
        (Some("TR338"), Some("open"), Some(2))
    );
    assert!(p["record"]["ClaimLine"]["client"].as_str().is_some_and(|c| c.len() == 32), "{p}");
    let (_, seen_by_admin) = json(&app, &admin, &path).await;
    assert!(items(&seen_by_admin)[0]["record"].is_null());
    assert!(!seen_by_member.to_string().contains("999900006"), "the BSN is not stored");

    // The member may not import another member's claims.
    let elsewhere = csv.replace("jeugd;1842;", "jeugd;0518;").replace("CSVTEST1", "CSVTEST2");
    let report = upload(&app, &member, "ander.csv", elsewhere.into_bytes()).await;
    let (_, problems) =
        json(&app, &member, &format!("/api/v1/regios/haaglanden/importen/{}/problemen", report["id"])).await;
    assert_eq!(items(&problems)[0]["regelcode"], "RECHTEN");

    // The same file twice adds nothing.
    let again = upload(&app, &member, "eigen-nogmaals.csv", csv.as_bytes().to_vec()).await;
    assert_eq!((again["status"].as_str(), again["ingelezen"].as_i64()), (Some("dubbel"), Some(0)));
    assert!(again["eerderIngelezenIn"].is_number());

    // Every grouping adds up to the same total.
    let (_, by_member) = json(&app, &admin, "/api/v1/regios/haaglanden/uitgaven?per=gemeente&pageSize=100").await;
    let total: i64 = items(&by_member).iter().map(|r| r["bedragCent"].as_i64().unwrap()).sum();
    assert!(total > 0);
    for per in ["aanbieder", "perceel", "product", "maand"] {
        let (status, body) =
            json(&app, &admin, &format!("/api/v1/regios/haaglanden/uitgaven?per={per}&pageSize=100")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(items(&body).iter().map(|r| r["bedragCent"].as_i64().unwrap()).sum::<i64>(), total, "{per}");
    }
    let (_, outlook) = json(&app, &admin, "/api/v1/regios/haaglanden/uitgaven/prognose").await;
    let leden = outlook["leden"].as_array().unwrap();
    assert_eq!(leden.len(), 9, "every Haaglanden member");
    assert!(leden.iter().all(|l| l["prognose"]["budgetCent"].is_number()), "the demo entered budgets");
    let (status, bad) = json(&app, &admin, "/api/v1/regios/haaglanden/uitgaven?per=kwartaal&jaar=1999").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let names: Vec<&str> =
        bad["invalidParams"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["jaar", "per"]);
}

#[tokio::test]
async fn pages_upload_with_csrf_and_download_csv() {
    let app = spawn_with_production().await;
    let mut member = app.login("gemeente").await;
    // The spend page and its CSV: semicolons, decimal commas, a byte-order mark.
    let page = member.get("/regios/haaglanden/uitgaven?per=aanbieder").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("role=\"img\"") && html.contains("Uitgaven per zorgaanbieder"));
    let csv = member.get("/regios/haaglanden/uitgaven?per=aanbieder&formaat=csv").await;
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let text = csv.text().await.unwrap();
    assert!(text.starts_with("\u{feff}sleutel;naam;bedrag;volume;regels\r\n"), "{text}");
    let first = text.lines().nth(1).unwrap();
    assert!(first.split(';').nth(2).unwrap().contains(','), "decimal comma: {first}");
    let csv = member.get("/regios/haaglanden/declaraties?formaat=csv").await.text().await.unwrap();
    assert!(csv.lines().skip(1).all(|l| l.split(';').nth(2) == Some("GM1842")), "own clients only");

    // Uploading through the page needs the form's CSRF token.
    let body = "wet;gemeente;aanbieder;declaratienummer;bsn;referentienummer;toewijzingnummer;productcategorie;\
begindatum;einddatum;volume;eenheid;tarief;bedrag\njeugd;1842;98000001;PAGINA1;999900006;P-1;1;45;1-1-2026;31-1-2026;1;04;80,66;80,66\n";
    let form = |csrf: &str| {
        reqwest::multipart::Form::new()
            .text("_csrf", csrf.to_string())
            .part("bestand", reqwest::multipart::Part::bytes(body.as_bytes().to_vec()).file_name("pagina.csv"))
    };
    let refused = member.post_multipart("/regios/haaglanden/importen", form("verkeerd")).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let csrf = member.csrf.clone();
    let sent = member.post_multipart("/regios/haaglanden/importen", form(&csrf)).await;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    let location = sent.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/regios/haaglanden/importen/"));
    let mut report = String::new();
    for _ in 0..100 {
        report = member.get(&location).await.text().await.unwrap();
        if !report.contains("<progress") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(report.contains("TR338") && report.contains("regel 2"), "{report}");
    // The region's team cannot open client rows through the pages either.
    let mut admin = app.login("beheerder").await;
    assert_eq!(admin.get("/regios/haaglanden/toewijzingen").await.status(), StatusCode::FORBIDDEN);
}
