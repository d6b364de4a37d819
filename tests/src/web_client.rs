//! A browser-like client of the supervisors' pages: keeps the session cookie, does not follow
//! redirects, and sends back the form token of the page a form came from, as a browser
//! submitting the form does.

use crate::PASSWORD;

/// A signed-in (or not) browser.
pub struct Browser {
    /// The HTTP client (no redirects followed).
    pub http: reqwest::Client,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// `gw_session=<token>`, or empty when signing in failed.
    pub cookie: String,
}

/// The value of the hidden `csrf` field of a page, if it has one.
pub fn form_token(page: &str) -> Option<String> {
    Some(
        page.split("name=\"csrf\" value=\"")
            .nth(1)?
            .split('"')
            .next()?
            .to_owned(),
    )
}

/// The `name=value` part of a response's `Set-Cookie` for `name`.
pub fn set_cookie(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap().to_owned())
}

/// A client that follows no redirects.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

impl Browser {
    /// Opens the login form and submits it as `user` with the test password; returns the
    /// browser and the status of the sign-in.
    pub async fn sign_in(base: &str, user: &str) -> (Browser, u16) {
        Self::sign_in_with(base, user, PASSWORD).await
    }

    /// As [`Browser::sign_in`] with a password.
    pub async fn sign_in_with(base: &str, user: &str, password: &str) -> (Browser, u16) {
        let http = http();
        let form = http.get(format!("{base}/web/login")).send().await.unwrap();
        let login_cookie = set_cookie(&form, "gw_login").expect("the login form sets its cookie");
        let token = form_token(&form.text().await.unwrap()).expect("the login form has a token");
        let resp = http
            .post(format!("{base}/web/login"))
            .header("cookie", login_cookie)
            .form(&[
                ("username", user),
                ("password", password),
                ("csrf", token.as_str()),
            ])
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let cookie = set_cookie(&resp, "gw_session").unwrap_or_default();
        (
            Browser {
                http,
                base: base.to_owned(),
                cookie,
            },
            status,
        )
    }

    /// GETs a page with the session cookie: (status, body).
    pub async fn get(&self, path: &str) -> (u16, String) {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        (
            resp.status().as_u16(),
            resp.text().await.unwrap_or_default(),
        )
    }

    /// The form token of this session, read off a page as a browser has it.
    pub async fn form_token(&self) -> String {
        let (status, page) = self.get("/web/ledger").await;
        assert_eq!(status, 200, "signed in");
        form_token(&page).expect("the page's forms carry the token")
    }

    /// Uploads a ledger file to the preview form, as the ledger page does (form token first,
    /// then the file).
    pub async fn upload_ledger(&self, file_name: &str, bytes: Vec<u8>) -> reqwest::Response {
        let token = self.form_token().await;
        let form = reqwest::multipart::Form::new().text("csrf", token).part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_owned()),
        );
        self.http
            .post(format!("{}/web/ledger/preview", self.base))
            .header("cookie", &self.cookie)
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    /// POSTs a form as the page's own form does: the session cookie and an `Origin` of the
    /// server itself. Returns (status, `Location`, body with the `/` and `&` the templates
    /// escape decoded).
    pub async fn post_from_page(
        &self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (u16, String, String) {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("origin", &self.base)
            .form(fields)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = resp.text().await.unwrap_or_default();
        (
            status,
            location,
            body.replace("&#x2f;", "/").replace("&amp;", "&"),
        )
    }

    /// POSTs a form with the session cookie: (status, body).
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .form(fields)
            .send()
            .await
            .unwrap();
        (
            resp.status().as_u16(),
            resp.text().await.unwrap_or_default(),
        )
    }
}
