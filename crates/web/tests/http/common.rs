//! A real Samenspel server on a random port, against a fresh database of the backend under
//! test, with the demo region and accounts; and a small HTTP client that keeps a session.
#![allow(dead_code)]

use reqwest::header::{HeaderMap, COOKIE, SET_COOKIE};
use reqwest::redirect::Policy;
use reqwest::{Client, Response, StatusCode};
use samenspel_store::keys::RegionKeys;
use samenspel_store::testing::fresh_store;
use samenspel_store::{Actor, Store};
use samenspel_web::auth::secrets::{new_api_token, token_hash};
use samenspel_web::{demo, AppState, Settings};
use std::net::SocketAddr;

pub const PASSWORD: &str = "demo wachtwoord voor tests";

pub struct TestApp {
    pub base: String,
    pub store: Store,
    pub keys: RegionKeys,
}

fn test_keys() -> RegionKeys {
    RegionKeys::new(std::env::temp_dir().join(format!("samenspel-test-keys-{}", rand_suffix())))
}

pub async fn spawn_on(store: Store) -> TestApp {
    spawn_with_keys(store, test_keys()).await
}

async fn spawn_with_keys(store: Store, keys: RegionKeys) -> TestApp {
    spawn_configured(store, keys, |_| {}).await
}

async fn spawn_configured(store: Store, keys: RegionKeys, configure: impl FnOnce(&mut Settings)) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    // Consultations and votes may close a second after opening, so tests see deadlines pass.
    let mut settings = Settings { keys: keys.clone(), min_deadline: time::Duration::seconds(1), ..Settings::default() };
    configure(&mut settings);
    let state = AppState::new(store.clone(), settings);
    tokio::spawn(samenspel_web::serve(listener, state, std::future::pending()));
    TestApp { base: format!("http://{addr}"), store, keys }
}

/// The demo region with a few months of generated production, imported as the demo does.
pub async fn spawn_with_production() -> TestApp {
    let store = fresh_store().await.expect("test database");
    let keys = test_keys();
    let production =
        demo::DemoProduction { keys: keys.clone(), months: 4, clients_per_1000: 12, today: samenspel_store::today() };
    demo::seed(&store, Some(PASSWORD.into()), Some(production)).await.expect("demo seed");
    spawn_with_keys(store, keys).await
}

/// The demo region, with settings changed (an SMTP server, say).
pub async fn spawn_with_settings(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let store = fresh_store().await.expect("test database");
    demo::seed(&store, Some(PASSWORD.into()), None).await.expect("demo seed");
    spawn_configured(store, test_keys(), configure).await
}

pub async fn spawn() -> TestApp {
    let store = fresh_store().await.expect("test database");
    demo::seed(&store, Some(PASSWORD.into()), None).await.expect("demo seed");
    spawn_on(store).await
}

pub fn client() -> Client {
    Client::builder().redirect(Policy::none()).build().unwrap()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// An API token for a demo login.
    pub async fn token(&self, login: &str) -> String {
        let user = self.store.user_by_login(login).await.unwrap().unwrap();
        let token = new_api_token();
        self.store.create_api_token(user.id, &token_hash(&token), "test", &Actor::cli()).await.unwrap();
        token
    }

    pub async fn api_get(&self, token: &str, path: &str) -> Response {
        client().get(self.url(path)).bearer_auth(token).send().await.unwrap()
    }

    pub async fn api_send(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
        body: serde_json::Value,
    ) -> Response {
        client().request(method, self.url(path)).bearer_auth(token).json(&body).send().await.unwrap()
    }

    /// Logs in through the login form and returns the browser session.
    pub async fn login(&self, login: &str) -> Browser {
        let mut browser = Browser { base: self.base.clone(), cookies: Vec::new(), csrf: String::new() };
        let page = browser.get("/inloggen").await;
        let csrf = hidden_csrf(&page.text().await.unwrap());
        let response = browser
            .post_form("/inloggen", &[("login", login), ("wachtwoord", PASSWORD), ("_csrf", &csrf), ("terug", "/")])
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "login as {login}");
        let page = browser.get("/account").await;
        assert_eq!(page.status(), StatusCode::OK);
        browser.csrf = hidden_csrf(&page.text().await.unwrap());
        browser
    }
}

/// The value of the first hidden `_csrf` field on a page.
pub fn hidden_csrf(html: &str) -> String {
    let marker = "name=\"_csrf\" value=\"";
    let start = html.find(marker).map(|i| i + marker.len()).expect("page has a CSRF field");
    html[start..].split('"').next().unwrap().to_string()
}

/// A browser-like client: keeps cookies, sends forms.
pub struct Browser {
    pub base: String,
    pub cookies: Vec<(String, String)>,
    pub csrf: String,
}

impl Browser {
    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    fn remember(&mut self, headers: &HeaderMap) {
        for value in headers.get_all(SET_COOKIE) {
            let text = value.to_str().unwrap();
            let pair = text.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.retain(|(k, _)| k != name);
            if !value.is_empty() {
                self.cookies.push((name.to_string(), value.to_string()));
            }
        }
    }

    pub async fn get(&mut self, path: &str) -> Response {
        let response =
            client().get(format!("{}{path}", self.base)).header(COOKIE, self.cookie_header()).send().await.unwrap();
        self.remember(response.headers());
        response
    }

    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        let response = client()
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .form(fields)
            .send()
            .await
            .unwrap();
        self.remember(response.headers());
        response
    }

    /// Posts a multipart form (a file upload) as it is.
    pub async fn post_multipart(&mut self, path: &str, form: reqwest::multipart::Form) -> Response {
        let response = client()
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .header("origin", self.base.clone())
            .multipart(form)
            .send()
            .await
            .unwrap();
        self.remember(response.headers());
        response
    }

    /// Posts a form with this session's CSRF token added.
    pub async fn submit(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        let csrf = self.csrf.clone();
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("_csrf", &csrf));
        self.post_form(path, &all).await
    }

    pub async fn page(&mut self, path: &str) -> (StatusCode, String) {
        let response = self.get(path).await;
        let status = response.status();
        (status, response.text().await.unwrap())
    }

    pub fn session_cookie(&self) -> Option<String> {
        self.cookies.iter().find(|(k, _)| k == "samenspel_sessie").map(|(_, v)| v.clone())
    }
}

fn rand_suffix() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{}-{nanos}", std::process::id())
}
