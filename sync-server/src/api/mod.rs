//! The HTTP API: routes, shared state, and the layers every request passes (body limit,
//! compression, tracing).

mod error;
mod login;
mod photos;
mod sync;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::routing::{get, post};
use axum::{Json, Router};
use gridwalk_core::{Store, Timestamp};
use tower_http::compression::CompressionLayer;
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use error::ApiError;

use crate::accounts::{Accounts, Session};

/// What every request handler shares.
pub struct AppState {
    /// Records, projections and the change log.
    pub store: Arc<Store>,
    /// Users, tokens, devices.
    pub accounts: Arc<Accounts>,
    /// Largest accepted request body.
    pub max_body: usize,
    /// About how many bytes of changes one sync answer carries.
    pub pull_budget: usize,
    /// Whether the web session cookie is marked `Secure`.
    pub secure_cookies: bool,
    /// Whether a request's client address is the last entry of its `X-Forwarded-For` header
    /// (set by the server's own proxy) rather than the connection's address.
    pub trust_forwarded_for: bool,
    /// The supervisors' pages.
    pub web: crate::web::Web,
}

/// The router with every endpoint.
///
/// The API under `/v1/` takes no form token against cross-site requests (the pages do, see
/// `web::csrf`): it authenticates with a bearer token in the `Authorization` header, which a
/// browser never sends on its own to another site's request, and never with a cookie.
pub fn router(state: Arc<AppState>) -> Router {
    let max_body = state.max_body;
    Router::new()
        .route("/health", get(health))
        .route("/v1/login", post(login::login))
        .route("/v1/sync", post(sync::sync))
        .route(
            "/v1/photos/{hash}",
            axum::routing::put(photos::put).get(photos::get),
        )
        .route("/", get(|| async { axum::response::Redirect::to("/web") }))
        .merge(crate::web::routes(state.clone()))
        .layer(DefaultBodyLimit::max(max_body))
        // Pages and answers are never framed, never sniffed into another type, and load
        // nothing but their own server's resources (inline styles only: the pages have no
        // script of their own).
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
                 script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
            ),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(RequestDecompressionLayer::new())
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// `GET /health` answer.
#[derive(serde::Serialize)]
struct Health {
    status: &'static str,
    /// The change log's latest sequence number.
    log_head: u64,
}

async fn health(State(app): State<Arc<AppState>>) -> Result<Json<Health>, ApiError> {
    let store = app.store.clone();
    let log_head = tokio::task::spawn_blocking(move || store.log_head()).await??;
    Ok(Json(Health {
        status: "ok",
        log_head,
    }))
}

/// A request's client address, as the sign-in slow-down counts it: the connection's address,
/// or with `--trust-forwarded-for` the last `X-Forwarded-For` entry (the one the server's own
/// proxy appended; earlier entries are the client's word). Empty when neither is known.
pub(crate) fn client_address(
    trust_forwarded_for: bool,
    connected: Option<std::net::SocketAddr>,
    headers: &HeaderMap,
) -> String {
    if trust_forwarded_for {
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .last()
            .and_then(|last| last.trim().parse::<std::net::IpAddr>().ok());
        if let Some(ip) = forwarded {
            return ip.to_string();
        }
    }
    connected.map(|c| c.ip().to_string()).unwrap_or_default()
}

/// The session of a request's bearer token.
pub(crate) async fn session(app: &Arc<AppState>, headers: &HeaderMap) -> Result<Session, ApiError> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| ApiError::unauthorized("this request needs a bearer token; sign in first"))?
        .trim()
        .to_owned();
    let accounts = app.accounts.clone();
    Ok(
        tokio::task::spawn_blocking(move || accounts.authenticate(&token, Timestamp::now()))
            .await??,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_address_is_the_proxys_last_forwarded_entry_only_when_trusted() {
        let connected = Some("127.0.0.1:5000".parse().unwrap());
        let mut headers = HeaderMap::new();
        headers.append("x-forwarded-for", "6.6.6.6, 203.0.113.5".parse().unwrap());
        headers.append("x-forwarded-for", " 198.51.100.2 ".parse().unwrap());
        assert_eq!(client_address(false, connected, &headers), "127.0.0.1");
        // The proxy appends the address it saw; what comes before is the client's word.
        assert_eq!(client_address(true, connected, &headers), "198.51.100.2");
        let mut forged = HeaderMap::new();
        forged.append("x-forwarded-for", "not an address".parse().unwrap());
        assert_eq!(client_address(true, connected, &forged), "127.0.0.1");
        assert_eq!(client_address(true, None, &HeaderMap::new()), "");
    }
}
