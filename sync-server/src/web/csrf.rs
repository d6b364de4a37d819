//! Cross-site request forgery: every POST of the pages, sign-in included, must come from a form
//! this server rendered, on this server's own origin (security issue 12, "web and HTTP").
//!
//! Two checks, both on every POST under `/web`:
//!
//! * **Origin.** A request that names its origin (`Origin`, or when absent `Referer`) must name
//!   the host it was sent to (`Host`); a cross-site POST is refused before any handler runs
//!   ([`same_origin`], applied by [`check_origin`] to the `/web` routes). A request naming
//!   neither (not a browser) goes on to the token check.
//! * **A token in a hidden field** (`csrf`) of every form. Signed in, the token is derived from
//!   the session's own secret token ([`for_session`]), which a page of another site can neither
//!   read (the cookie is HttpOnly) nor guess; it lives as long as the session and survives a
//!   restart. Before signing in (the login form), the server sets a random cookie `gw_login`
//!   with the form and puts its HMAC under a key made when the server started into the form
//!   ([`LoginTokens`]): a signed double submit, so even a cookie planted on the browser by
//!   another site (a sibling domain) gives no valid pair.
//!
//! A refusal is a page in the reader's language with the codes `web.cross_site` or
//! `web.form_expired`.
//!
//! The API under `/v1/` needs none of this: it authenticates with bearer tokens in the
//! `Authorization` header, which a browser never adds to a request by itself, never with cookies.

use axum::extract::Request;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use gridwalk_core::messages::Message;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::{PageError, cookie};

/// The form field that carries the token.
pub const FIELD: &str = "csrf";
/// The cookie that binds a login form to its browser.
pub const LOGIN_COOKIE: &str = "gw_login";

/// HMAC-SHA256 (RFC 2104), hex.
fn hmac(key: &[u8; 32], message: &[u8]) -> String {
    let mut ipad = [0x36u8; 64];
    let mut opad = [0x5cu8; 64];
    for (i, k) in key.iter().enumerate() {
        ipad[i] ^= k;
        opad[i] ^= k;
    }
    let inner = Sha256::new()
        .chain_update(ipad)
        .chain_update(message)
        .finalize();
    hex::encode(
        Sha256::new()
            .chain_update(opad)
            .chain_update(inner)
            .finalize(),
    )
}

/// Compares two tokens in time independent of where they differ.
fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The form token of a signed-in session: a hash of its secret session token, kept apart from
/// other uses of it by a label.
pub fn for_session(session_token: &str) -> String {
    hex::encode(
        Sha256::new()
            .chain_update(b"gridwalk web form token\0")
            .chain_update(session_token.as_bytes())
            .finalize(),
    )
}

/// Whether a POST's form token is the one of the session in its cookie.
pub fn session_token_matches(headers: &HeaderMap, submitted: &str) -> bool {
    cookie(headers, "gw_session").is_some_and(|t| same_token(&for_session(&t), submitted))
}

/// Tokens of the login form: a random cookie and its HMAC under this server's key.
pub struct LoginTokens {
    key: [u8; 32],
}

impl LoginTokens {
    /// A new key: login forms rendered before a restart ask to be loaded again.
    pub fn new() -> LoginTokens {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        LoginTokens { key }
    }

    /// A fresh pair: (the cookie's value, the form's token).
    pub fn issue(&self) -> (String, String) {
        let mut raw = [0u8; 16];
        rand::rng().fill_bytes(&mut raw);
        let nonce = hex::encode(raw);
        let token = hmac(&self.key, nonce.as_bytes());
        (nonce, token)
    }

    /// Whether a login POST's token belongs to the cookie it came with.
    pub fn matches(&self, headers: &HeaderMap, submitted: &str) -> bool {
        cookie(headers, LOGIN_COOKIE)
            .filter(|n| !n.is_empty())
            .is_some_and(|n| same_token(&hmac(&self.key, n.as_bytes()), submitted))
    }
}

impl Default for LoginTokens {
    fn default() -> Self {
        Self::new()
    }
}

/// The host and port part of a URL (`https://a.example:8443/x` → `a.example:8443`).
fn authority(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some(&rest[..end])
}

/// Whether a request's `Origin` (or, absent, `Referer`) names the host it was sent to. A
/// request naming neither passes (browsers name one on every cross-site POST); `Origin: null`
/// (a sandboxed frame, a redirect across sites) does not.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let named = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER));
    let Some(named) = named else {
        return true;
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    match (named.to_str().ok().and_then(authority), host) {
        (Some(from), Some(to)) => from.eq_ignore_ascii_case(to),
        _ => false,
    }
}

/// Middleware of the `/web` routes: a POST from another site is refused.
pub(crate) async fn check_origin(request: Request, next: Next) -> Response {
    if request.method() == Method::POST && !same_origin(request.headers()) {
        tracing::warn!(
            path = %request.uri().path(),
            origin = ?request.headers().get(header::ORIGIN),
            host = ?request.headers().get(header::HOST),
            "refused a cross-site POST"
        );
        return PageError::Forbidden(Message::new("web.cross_site")).into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_is_rfc_4231_test_case_2() {
        // A short key is padded with zeros to the block, so "Jefe" and "Jefe" + zeros agree.
        let mut key = [0u8; 32];
        key[..4].copy_from_slice(b"Jefe");
        assert_eq!(
            hmac(&key, b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn origins_must_name_the_host() {
        let headers = |pairs: &[(&str, &str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(
                    axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    v.parse().unwrap(),
                );
            }
            h
        };
        let host = ("host", "gw.example:8443");
        assert!(same_origin(&headers(&[host])));
        assert!(same_origin(&headers(&[
            host,
            ("origin", "https://gw.example:8443")
        ])));
        assert!(!same_origin(&headers(&[
            host,
            ("origin", "https://evil.example")
        ])));
        assert!(!same_origin(&headers(&[host, ("origin", "null")])));
        assert!(same_origin(&headers(&[
            host,
            ("referer", "https://gw.example:8443/web/ledger")
        ])));
        assert!(!same_origin(&headers(&[
            host,
            ("referer", "https://gw.example.evil/web")
        ])));
        assert!(!same_origin(&headers(&[(
            "origin",
            "https://gw.example:8443"
        )])));
    }
}
