//! Every URL the server answers, in one place, and the layers each part passes: the API under
//! `/v1/` (bearer tokens, JSON or CBOR answers), the supervisors' pages under `/web` (session
//! cookie, form tokens, pages and error pages rendered in the reader's language), and the
//! headers every answer carries.
//!
//! One file for the whole server rather than one per part: the parts share the body limit,
//! the security headers and compression, and a reader (or a reviewer looking for an
//! unprotected route) sees every path and the layer it sits behind on one screen.

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::Redirect;
use axum::routing::{get, post, put};
use tower_http::compression::CompressionLayer;
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::state::AppState;
use crate::web::pages::{
    exports, findings, household_findings, households, ledger, orders, overview, photos, ratings,
    reports, screen, workers,
};
use crate::{api, web};

/// The router with every endpoint.
///
/// The API under `/v1/` takes no form token against cross-site requests (the pages do, see
/// `web::csrf`): it authenticates with a bearer token in the `Authorization` header, which a
/// browser never sends on its own to another site's request, and never with a cookie.
pub fn router(state: Arc<AppState>) -> Router {
    let max_body = state.max_body;
    Router::new()
        .route("/health", get(api::health))
        .route("/v1/login", post(api::login::login))
        .route("/v1/sync", post(api::sync::sync))
        .route(
            "/v1/photos/{hash}",
            put(api::photos::put).get(api::photos::get),
        )
        .route("/", get(|| async { Redirect::to("/web") }))
        .merge(web_routes(state.clone()))
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

/// The pages under `/web`. A POST from another site is refused before any handler runs
/// (`web::csrf::check_origin`); the outer layer (`web::view::render_views`) renders what the
/// handlers and that check answer — a page or a `PageError` — in the reader's language.
fn web_routes(state: Arc<AppState>) -> Router<Arc<AppState>> {
    Router::new()
        .route("/web", get(overview::overview))
        .route("/web/screen", get(screen::screen))
        .route(
            "/web/login",
            get(web::sign_in::login_form).post(web::sign_in::login),
        )
        .route("/web/logout", post(web::sign_in::logout))
        .route("/web/households", get(households::households))
        .route("/web/households/{id}", get(households::household))
        .route(
            "/web/households/{id}/visits/{visit}/send-back",
            post(households::send_back_visit),
        )
        .route(
            "/web/households/{id}/conflicts",
            post(households::resolve_conflict),
        )
        .route(
            "/web/households/{id}/findings/{action}",
            post(household_findings::mark_finding),
        )
        .route("/web/findings", get(findings::findings))
        .route("/web/orders", get(orders::orders))
        .route("/web/orders/{id}", get(orders::order))
        .route("/web/orders/{id}/{action}", post(orders::act))
        .route("/web/reports", get(reports::reports))
        .route("/web/reports/{id}", get(reports::report))
        .route("/web/reports/{id}/{action}", post(reports::act))
        .route("/web/ratings", get(ratings::ratings))
        .route("/web/workers", get(workers::workers))
        .route("/web/workers.xlsx", get(exports::workload))
        .route("/web/workers/{user}", get(workers::worker))
        .route("/web/ledger", get(ledger::ledger))
        .route("/web/ledger/preview", post(ledger::preview))
        .route("/web/ledger/commit", post(ledger::commit))
        .route("/web/ledger/bad-rows/{upload}", get(exports::bad_rows))
        .route("/web/ledger/template.xlsx", get(exports::template))
        .route("/web/export/{file}", get(exports::export))
        .route("/web/photos/{hash}", get(photos::photo))
        .layer(from_fn(web::csrf::check_origin))
        .layer(from_fn_with_state(state, web::view::render_views))
}
