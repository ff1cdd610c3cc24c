use std::marker::PhantomData;

use app::{auth::UserSummary, error::AppError};
use leptos::server_fn::ServerFn;
use reqwest::{header, StatusCode};
use serde::{de::DeserializeOwned, Serialize};

use super::TestApp;

/// A client that keeps one session cookie and the CSRF token its pages carry, as a browser does.
#[derive(Clone)]
pub struct Browser<'a> {
    app: PhantomData<&'a TestApp>,
    base: String,
    client: reqwest::Client,
    pub cookie: Option<String>,
    pub token: String,
    pub last_set_cookie: Option<String>,
    /// Whether the last server-function response was withheld for an undeclared access check.
    pub last_undeclared: bool,
    /// What the last server function declared it needs (`x-access`).
    pub last_access: Option<String>,
    /// The last response's `Retry-After`, if it had one.
    pub last_retry_after: Option<String>,
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Self::through(app, &app.base, app.client.clone())
    }

    /// A browser on another machine: its requests come from `ip`, one of the loopback
    /// addresses (127.0.0.0/8), which the server sees as the client's address.
    pub fn from_address(app: &'a TestApp, ip: std::net::IpAddr) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .local_address(ip)
            .build()
            .unwrap();
        Self::through(app, &app.base, client)
    }

    /// A browser that reaches `app` at `base` with `client`: through a proxy in front of it, or
    /// from another address.
    pub fn through(_app: &'a TestApp, base: &str, client: reqwest::Client) -> Self {
        Self {
            app: PhantomData,
            base: base.to_string(),
            client,
            cookie: None,
            token: String::new(),
            last_set_cookie: None,
            last_undeclared: false,
            last_access: None,
            last_retry_after: None,
        }
    }

    fn remember(&mut self, res: &reqwest::Response) {
        if let Some(set) = res.headers().get(header::SET_COOKIE) {
            let set = set.to_str().unwrap().to_string();
            self.cookie = Some(set.split(';').next().unwrap().to_string());
            self.last_set_cookie = Some(set);
        }
        // A response that changed the session's CSRF token (a sign-in) carries the new one, as
        // the browser's own client picks it up.
        if let Some(token) = res.headers().get("x-csrf-token") {
            self.token = token.to_str().unwrap().to_string();
        }
    }

    /// Loads a page and takes the CSRF token from its forms.
    pub async fn open(&mut self, path: &str) -> String {
        let mut req = self
            .client
            .get(format!("{}{path}", self.base))
            .header(header::ACCEPT, "text/html");
        if let Some(c) = &self.cookie {
            req = req.header(header::COOKIE, c);
        }
        let res = req.send().await.unwrap();
        self.remember(&res);
        let html = res.text().await.unwrap();
        if let Some(i) = html.find(r#"name="csrf_token" value=""#) {
            let rest = &html[i + r#"name="csrf_token" value=""#.len()..];
            self.token = rest[..rest.find('"').unwrap()].to_string();
        }
        html
    }

    /// Calls a server function by its generated argument type, encoded exactly as its own
    /// client encodes it and sent to its own path: renaming a function or an argument breaks
    /// the build, not a test run.
    pub async fn call_fn<F: ServerFn + Serialize>(&mut self, args: F) -> (StatusCode, String) {
        let mut body = serde_qs::to_string(&args).expect("the arguments encode");
        let token = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("csrf_token", &self.token)
            .finish();
        if !body.is_empty() {
            body.push('&');
        }
        body.push_str(&token);
        self.post(F::PATH, body, &[]).await
    }

    /// [`Browser::call_fn`] for a call that must succeed, with its result decoded.
    pub async fn ok<F>(&mut self, args: F) -> F::Output
    where
        F: ServerFn + Serialize,
        F::Output: DeserializeOwned,
    {
        let path = F::PATH;
        let (status, body) = self.call_fn(args).await;
        assert!(status.is_success(), "{path}: {status} {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path} answered {body}: {e}"))
    }

    /// [`Browser::call_fn`] for a call that must fail, with its error decoded. The status must
    /// be the one [`AppError::status`] gives that error, so the error stands for both.
    pub async fn err<F>(&mut self, args: F) -> AppError
    where
        F: ServerFn<Error = AppError> + Serialize,
    {
        let path = F::PATH;
        let (status, body) = self.call_fn(args).await;
        assert!(!status.is_success(), "{path} must fail: {status} {body}");
        let error: AppError = serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("{path} answered {status} {body}: {e}"));
        assert_eq!(status, error.status(), "{path}: {status} for {error:?}");
        error
    }

    /// Posts `fields` to the server function at `/api/{endpoint}` with the page's CSRF token:
    /// for calls that must not fit a function's types (malformed or forged requests) and for
    /// walks over every registered function.
    pub async fn call(&mut self, endpoint: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        let token = self.token.clone();
        form.push(("csrf_token", &token));
        self.raw_post(endpoint, &form, &[]).await
    }

    pub async fn raw_post(
        &mut self,
        endpoint: &str,
        form: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> (StatusCode, String) {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        self.post(&format!("/api/{endpoint}"), body, headers).await
    }

    async fn post(
        &mut self,
        path: &str,
        body: String,
        headers: &[(&str, &str)],
    ) -> (StatusCode, String) {
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json")
            .body(body);
        if let Some(c) = &self.cookie {
            req = req.header(header::COOKIE, c);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = req.send().await.unwrap();
        self.remember(&res);
        self.last_undeclared = res.headers().contains_key("x-access-undeclared");
        self.last_access = res
            .headers()
            .get("x-access")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        self.last_retry_after = res
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        (res.status(), res.text().await.unwrap())
    }

    /// Who this browser is signed in as, if anyone.
    pub async fn current_user(&mut self) -> Option<UserSummary> {
        self.ok(app::auth::functions::CurrentUser {}).await
    }
}
