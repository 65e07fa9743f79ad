//! The pages' main actions: forms keep what was typed, imports are all or nothing, numbers
//! and dates are Dutch, and every change lands in the audit log.

use crate::common::{client, spawn};
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;

#[tokio::test]
async fn a_rejected_form_keeps_what_was_typed_and_says_why_next_to_the_field() {
    let app = spawn().await;
    let mut admin = app.login("beheerder").await;
    let r = admin
        .submit(
            "/regios/haaglanden/aanbieders",
            &[("naam", "Zorg & Co <b>"), ("agbCode", "1234"), ("email", "geen-adres"), ("telefoon", "070 123 45 67")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("value=\"Zorg &#38; Co &#60;b&#62;\""), "typed name kept, HTML-escaped");
    assert!(!html.contains("Co <b>"));
    assert!(html.contains("value=\"1234\"") && html.contains("value=\"070 123 45 67\""));
    assert!(html.contains("Een AGB-code bestaat uit precies acht cijfers."));
    assert!(html.contains("Vul een e-mailadres in zoals naam@gemeente.nl."));
    assert!(html.contains("aria-invalid=\"true\""));
    assert!(html.contains("href=\"#nieuwe-aanbieder-agbCode\""), "error summary links to the field");
}

#[tokio::test]
async fn numbers_and_dates_are_shown_the_dutch_way() {
    let app = spawn().await;
    let mut admin = app.login("beheerder").await;
    let (_, html) = admin.page("/regios/haaglanden").await;
    assert!(html.contains("566.221"), "Den Haag's inhabitants with a thousands dot");
    assert!(html.contains("&#39;s-Gravenhage (centrumgemeente)"));
    let (_, members) = admin.page("/regios/haaglanden/leden").await;
    assert!(members.contains("01-01-2015"), "dates as dd-mm-jjjj");
}

#[tokio::test]
async fn membership_changes_through_the_pages() {
    let app = spawn().await;
    let mut admin = app.login("beheerder").await;
    let r = admin
        .submit("/regios/haaglanden/leden", &[("gemeentecode", "GM0599"), ("lidVanaf", "2027-01-01"), ("lidTot", "")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = admin.page("/regios/haaglanden/leden").await;
    assert!(html.contains("Rotterdam") && html.contains("01-01-2027"));

    let overlap =
        admin.submit("/regios/haaglanden/leden", &[("gemeentecode", "GM0599"), ("lidVanaf", "2028-01-01")]).await;
    assert_eq!(overlap.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(overlap.text().await.unwrap().contains("al lid"));

    let region = app.store.region_by_code("haaglanden").await.unwrap().unwrap();
    let den_haag =
        app.store.memberships(region.id).await.unwrap().into_iter().find(|m| m.municipality_code == "GM0518").unwrap();
    let r = admin
        .submit(&format!("/regios/haaglanden/leden/{}/beeindigen", den_haag.id), &[("lidTot", "2030-01-01")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("centrumgemeente"), "the centre cannot leave");

    let r = admin
        .submit(
            "/regios/haaglanden/instellingen",
            &[("naam", "Haaglanden"), ("domein", "jeugd-en-wmo"), ("centrumgemeente", "GM0503")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.store.region(region.id).await.unwrap().centre_municipality.as_deref(), Some("GM0503"));
}

async fn upload(app_url: &str, cookies: &str, csrf: &str, name: &str, content: &str) -> reqwest::Response {
    let form = Form::new()
        .text("_csrf", csrf.to_string())
        .part("bestand", Part::bytes(content.as_bytes().to_vec()).file_name(name.to_string()));
    client()
        .post(format!("{app_url}/regios/haaglanden/kerncijfers/import"))
        .header("cookie", cookies)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn figures_import_reports_every_bad_row_and_stores_nothing_or_everything() {
    let app = spawn().await;
    let admin = app.login("beheerder").await;
    let cookies = format!("samenspel_sessie={}", admin.session_cookie().unwrap());
    let bad = "gemeentecode;jaar;jeugdigen_0_17;budget_jeugd\nGM0518;2026;110.000;€ 250.000.000,00\nGM0363;2026;1;\nGM1842;2026;veel;\n";
    let r = upload(&app.base, &cookies, &admin.csrf, "jeugd-2026.csv", bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("jeugd-2026.csv is niet ingelezen"), "names the file");
    assert!(html.contains("jeugdigen_0_17") && html.contains("geen geheel aantal"), "names the column and the rule");
    let region = app.store.region_by_code("haaglanden").await.unwrap().unwrap();
    assert!(app.store.figures(region.id, 2026).await.unwrap().is_empty(), "nothing stored");

    let good =
        "gemeentecode;jaar;jeugdigen_0_17;budget_jeugd\nGM0518;2026;110.000;€ 250.000.000,00\nGM1842;2026;4.100;\n";
    let r = upload(&app.base, &cookies, &admin.csrf, "jeugd-2026.csv", good).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(r.headers()["location"].to_str().unwrap().contains("aantal=2"));
    let stored = app.store.figures(region.id, 2026).await.unwrap();
    assert_eq!(stored.len(), 2);

    let mut browser = admin;
    let (_, html) = browser.page("/regios/haaglanden/kerncijfers?jaar=2026").await;
    assert!(html.contains("110.000") && html.contains("€ 250.000.000,00"));
    let csv = browser.get("/regios/haaglanden/kerncijfers?jaar=2026&formaat=csv").await;
    assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let text = csv.text().await.unwrap();
    assert!(text.contains("GM0518;'s-Gravenhage;2026;566221;110000;250.000.000,00;"), "{text}");
    // The export reads back in, and changes nothing.
    let again = upload(&app.base, &cookies, &browser.csrf, "export.csv", &text).await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert!(again.headers()["location"].to_str().unwrap().contains("aantal=0"));
}

#[tokio::test]
async fn platform_admin_sets_up_a_region_from_a_youth_region_in_one_step() {
    let app = spawn().await;
    let mut admin = app.login("beheerder").await;
    let r = admin
        .submit(
            "/regios",
            &[
                ("jeugdregio", "JZ19"),
                ("domein", "jeugd-en-wmo"),
                ("naam", ""),
                ("code", ""),
                ("leden", ""),
                ("lidVanaf", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let (status, html) = admin.page(&location).await;
    assert_eq!(status, StatusCode::OK);
    let region = app
        .store
        .regions()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.youth_region_code.as_deref() == Some("JZ19"))
        .unwrap();
    let members = app.store.memberships(region.id).await.unwrap();
    assert!(!members.is_empty());
    assert!(html.contains(&region.name));

    let mut member = app.login("gemeente").await;
    let r = member.submit("/regios", &[("jeugdregio", "JZ20")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn paging_far_beyond_the_end_is_harmless() {
    let app = spawn().await;
    let mut admin = app.login("beheerder").await;
    for path in [
        "/gemeenten?page=4294967295",
        "/regios/haaglanden/aanbieders?page=4294967295",
        "/regios/haaglanden/auditlog?page=4294967295",
    ] {
        let (status, _) = admin.page(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn the_region_log_shows_accounts_created_and_passwords_reset_by_its_admin() {
    let app = spawn().await;
    let mut admin = app.login("beheerder").await;
    let r = admin
        .submit(
            "/regios/haaglanden/gebruikers",
            &[("naam", "Nieuwe Collega"), ("login", "n.collega"), ("rol", "coach")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let coach = app.store.user_by_login("coach").await.unwrap().unwrap();
    let r = admin
        .submit(
            &format!("/regios/haaglanden/gebruikers/{}/wachtwoord", coach.id),
            &[("wachtwoord", "een heel nieuw wachtwoord")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let token = app.token("beheerder").await;
    let log: serde_json::Value =
        app.api_get(&token, "/api/v1/regios/haaglanden/audit-log?pageSize=10").await.json().await.unwrap();
    let entries: Vec<(String, String)> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["actie"].as_str().unwrap().to_string(), e["objectId"].as_str().unwrap().to_string()))
        .collect();
    assert!(entries.contains(&("wachtwoord-herstellen".into(), "coach".into())), "{entries:?}");
    assert!(entries.contains(&("aanmaken".into(), "n.collega".into())), "{entries:?}");
}

#[tokio::test]
async fn admins_read_who_changed_what_in_the_audit_log() {
    let app = spawn().await;
    let mut admin = app.login("beheerder").await;
    admin.submit("/regios/haaglanden/aanbieders", &[("naam", "Nieuwe Zorg BV"), ("agbCode", "98000009")]).await;
    let (_, html) = admin.page("/regios/haaglanden/auditlog").await;
    assert!(html.contains("Nieuwe Zorg BV"));
    assert!(html.contains("beheerder") && html.contains("web 127.0.0.1"));
    let token = app.token("beheerder").await;
    let log: serde_json::Value =
        app.api_get(&token, "/api/v1/regios/haaglanden/audit-log?pageSize=5").await.json().await.unwrap();
    let first = &log["items"][0];
    assert_eq!(first["actie"], "aanmaken");
    assert_eq!(first["objectType"], "aanbieder");
    assert_eq!(first["na"]["name"], "Nieuwe Zorg BV");
}
