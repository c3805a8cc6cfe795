//! A reqwest client of a fake, with a tenant or user token.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::fake::FakeLark;

/// What came back.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub bytes: Vec<u8>,
}

impl Answer {
    /// The body as JSON (panics if it is not).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.bytes)))
    }

    /// The body's `code`.
    pub fn code(&self) -> i64 {
        self.json()["code"]
            .as_i64()
            .unwrap_or_else(|| panic!("no code: {}", self.json()))
    }

    /// The body's `msg`.
    pub fn msg(&self) -> String {
        self.json()["msg"].as_str().unwrap_or_default().to_owned()
    }

    /// `data` of a success, or a panic showing the answer.
    pub fn data(&self) -> Value {
        let body = self.json();
        assert_eq!(
            (self.status.as_u16(), body["code"].as_i64()),
            (200, Some(0)),
            "{body}"
        );
        body["data"].clone()
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    }
}

/// Calls a fake with one token.
pub struct Api {
    base: String,
    http: reqwest::Client,
    pub token: Option<String>,
}

impl Api {
    /// With a fresh tenant token from the fake.
    pub async fn tenant(fake: &FakeLark) -> Api {
        let token = super::tenant_token(fake).await;
        Api::with_token(fake, Some(token))
    }

    /// With this token (or none).
    pub fn with_token(fake: &FakeLark, token: Option<String>) -> Api {
        Api {
            base: fake.base_url(),
            http: reqwest::Client::new(),
            token,
        }
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let req = self.http.request(method, format!("{}{path}", self.base));
        match &self.token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    }

    async fn send(req: reqwest::RequestBuilder) -> Answer {
        let resp = req.send().await.expect("request sent");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.expect("body").to_vec();
        Answer {
            status,
            headers,
            bytes,
        }
    }

    /// A request with no body.
    pub async fn call(&self, method: Method, path: &str) -> Answer {
        Api::send(self.request(method, path)).await
    }

    /// `GET`.
    pub async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path).await
    }

    /// A JSON body.
    pub async fn json(&self, method: Method, path: &str, body: &Value) -> Answer {
        let bytes = serde_json::to_vec(body).expect("JSON");
        Api::send(
            self.request(method, path)
                .header("content-type", "application/json; charset=utf-8")
                .body(bytes),
        )
        .await
    }

    /// A raw body with a content type.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Answer {
        Api::send(
            self.request(method, path)
                .header("content-type", content_type)
                .body(body),
        )
        .await
    }

    /// A multipart form.
    pub async fn form(&self, path: &str, form: reqwest::multipart::Form) -> Answer {
        Api::send(self.request(Method::POST, path).multipart(form)).await
    }
}
