//! Logging in and out, rate limiting, CSRF, and sessions shared by several server processes.

use crate::common::{client, hidden_csrf, spawn, spawn_on, Browser, PASSWORD};
use reqwest::StatusCode;
use samenspel_store::on_pool;

async fn login_form(app_base: &str) -> (Browser, String) {
    let mut browser = Browser { base: app_base.to_string(), cookies: Vec::new(), csrf: String::new() };
    let page = browser.get("/inloggen").await;
    let csrf = hidden_csrf(&page.text().await.unwrap());
    (browser, csrf)
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_dutch_answer() {
    let app = spawn().await;
    for login in ["beheerder", "niemand"] {
        let (mut browser, csrf) = login_form(&app.base).await;
        let r = browser
            .post_form("/inloggen", &[("login", login), ("wachtwoord", "verkeerd wachtwoord"), ("_csrf", &csrf)])
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let html = r.text().await.unwrap();
        assert!(html.contains("De gebruikersnaam of het wachtwoord klopt niet."), "{login}");
        assert!(html.contains(&format!("value=\"{login}\"")), "the typed login is kept");
        assert!(browser.session_cookie().is_none());
    }
}

#[tokio::test]
async fn login_sets_a_hardened_session_cookie_and_logout_ends_it() {
    let app = spawn().await;
    let (mut browser, csrf) = login_form(&app.base).await;
    let r = browser
        .post_form(
            "/inloggen",
            &[("login", "coach"), ("wachtwoord", PASSWORD), ("_csrf", &csrf), ("terug", "/gemeenten")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/gemeenten");
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("samenspel_sessie="))
        .unwrap();
    for attribute in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let session = browser.session_cookie().unwrap();
    let stored: i64 =
        on_pool!(&app.store, |pool| sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE token_hash = $1")
            .bind(&session)
            .fetch_one(pool)
            .await
            .unwrap());
    assert_eq!(stored, 0, "the database holds a hash, not the cookie value");

    let (status, html) = browser.page("/account").await;
    assert_eq!(status, StatusCode::OK);
    browser.csrf = hidden_csrf(&html);
    let r = browser.submit("/uitloggen", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // The old cookie no longer works.
    let mut stale =
        Browser { base: app.base.clone(), cookies: vec![("samenspel_sessie".into(), session)], csrf: String::new() };
    let r = stale.get("/account").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(r.headers()["location"].to_str().unwrap().contains("verlopen=1"));
}

#[tokio::test]
async fn open_redirects_through_login_are_refused() {
    let app = spawn().await;
    let (mut browser, csrf) = login_form(&app.base).await;
    let r = browser
        .post_form(
            "/inloggen",
            &[("login", "coach"), ("wachtwoord", PASSWORD), ("_csrf", &csrf), ("terug", "//evil.example/")],
        )
        .await;
    assert_eq!(r.headers()["location"], "/");
}

#[tokio::test]
async fn a_form_without_its_csrf_token_changes_nothing() {
    let app = spawn().await;
    let (mut browser, _) = login_form(&app.base).await;
    let r = browser.post_form("/inloggen", &[("login", "beheerder"), ("wachtwoord", PASSWORD)]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(browser.session_cookie().is_none());

    let mut admin = app.login("beheerder").await;
    let before = app.store.audit_count().await.unwrap();
    let r = admin.post_form("/regios/haaglanden/aanbieders", &[("naam", "Zonder token")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("formulier is verlopen"));
    let r = admin.post_form("/regios/haaglanden/aanbieders", &[("naam", "Fout token"), ("_csrf", "x")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.store.audit_count().await.unwrap(), before);

    // A write through the API with only the session cookie needs the CSRF header.
    let cookie = format!("samenspel_sessie={}", admin.session_cookie().unwrap());
    let r = client()
        .patch(app.url("/api/v1/regios/haaglanden"))
        .header("cookie", &cookie)
        .json(&serde_json::json!({"naam": "Haaglanden"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = client()
        .patch(app.url("/api/v1/regios/haaglanden"))
        .header("cookie", &cookie)
        .header("x-csrf-token", &admin.csrf)
        .json(&serde_json::json!({"naam": "Haaglanden"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // Cross-site form posts are refused outright.
    let r = client()
        .post(app.url("/regios/haaglanden/aanbieders"))
        .header("cookie", &cookie)
        .header("origin", "https://evil.example")
        .form(&[("naam", "x"), ("_csrf", admin.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn repeated_failures_lock_the_login_for_a_while() {
    let app = spawn().await;
    for _ in 0..5 {
        let (mut browser, csrf) = login_form(&app.base).await;
        let r = browser
            .post_form("/inloggen", &[("login", "gemeente"), ("wachtwoord", "fout fout fout"), ("_csrf", &csrf)])
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let (mut browser, csrf) = login_form(&app.base).await;
    let r = browser.post_form("/inloggen", &[("login", "gemeente"), ("wachtwoord", PASSWORD), ("_csrf", &csrf)]).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "even the right password waits");
    let html = r.text().await.unwrap();
    assert!(html.contains("Probeer het over 15 minuten opnieuw"), "{html}");
    assert!(browser.session_cookie().is_none());
    // Other logins are not affected.
    app.login("coach").await;
    let log = app
        .store
        .audit_log(samenspel_store::audit::AuditScope::All, samenspel_store::PageRequest { page: 1, page_size: 10 })
        .await
        .unwrap();
    assert!(log.items.iter().any(|e| e.action == "inloggen-geblokkeerd" && e.result == "mislukt"));
}

#[tokio::test]
async fn parallel_guesses_cannot_outrun_the_limit() {
    let app = spawn().await;
    let mut attempts = Vec::new();
    for i in 0..24 {
        let base = app.base.clone();
        attempts.push(tokio::spawn(async move {
            let (mut browser, csrf) = login_form(&base).await;
            let guess = format!("geraden wachtwoord {i}");
            browser
                .post_form("/inloggen", &[("login", "waarnemer"), ("wachtwoord", &guess), ("_csrf", &csrf)])
                .await
                .status()
        }));
    }
    let mut checked = 0;
    for a in attempts {
        match a.await.unwrap() {
            StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::TOO_MANY_REQUESTS => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert!(checked <= 5, "{checked} passwords were checked, the limit is 5");
}

#[tokio::test]
async fn an_expired_session_is_told_so() {
    let app = spawn().await;
    let mut browser = app.login("waarnemer").await;
    on_pool!(&app.store, |pool| sqlx::query("UPDATE sessions SET expires_at = $1")
        .bind(samenspel_store::now() - time::Duration::minutes(1))
        .execute(pool)
        .await
        .map(|_| ())
        .unwrap());
    let r = browser.get("/regios/haaglanden").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/inloggen?terug=") && location.contains("verlopen=1"), "{location}");
    let (_, html) = browser.page(&location).await;
    assert!(html.contains("Uw sessie is verlopen"));
    let api = client()
        .get(app.url("/api/v1/regios"))
        .header("cookie", format!("samenspel_sessie={}", browser.session_cookie().unwrap_or_default()))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_under_the_same_limit() {
    let app = spawn().await;
    let mut browser = app.login("coach").await;
    for _ in 0..5 {
        let r = browser
            .submit("/account/wachtwoord", &[("huidig", "niet mijn wachtwoord"), ("nieuw", "een nieuwe lange zin")])
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("Het huidige wachtwoord klopt niet."));
    }
    let r = browser.submit("/account/wachtwoord", &[("huidig", PASSWORD), ("nieuw", "een nieuwe lange zin")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("te vaak een verkeerd wachtwoord"), "locked, even with the right one");
}

#[tokio::test]
async fn two_servers_share_sessions_through_the_database() {
    // Two processes' worth of servers: separate connection pools on one database.
    let url = samenspel_store::testing::fresh_database_url().await.unwrap();
    let store = samenspel_store::Store::connect(&url).await.unwrap();
    store.prepare().await.unwrap();
    samenspel_web::demo::seed(&store, Some(PASSWORD.into()), None).await.unwrap();
    let first = spawn_on(store).await;
    let second = spawn_on(samenspel_store::Store::connect(&url).await.unwrap()).await;
    let browser = first.login("beheerder").await;
    let mut elsewhere =
        Browser { base: second.base.clone(), cookies: browser.cookies.clone(), csrf: browser.csrf.clone() };
    let (status, html) = elsewhere.page("/regios/haaglanden").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Haaglanden"));
    let r = elsewhere.submit("/regios/haaglanden/aanbieders", &[("naam", "Via de tweede server")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "the CSRF token of the session works on any process");
}
