//! Accepting connections: the server's own accept loop, so that no client can hold the server
//! with connections it never finishes (security issue 12, "web and HTTP": 500 half-sent
//! requests once stayed open for ever).
//!
//! * **Header-read timeout.** A connection must send a request's whole header within
//!   [`ConnectionLimits::header_read_timeout`] of starting to (hyper's HTTP/1 timer, which also
//!   runs while a kept-alive connection waits for its next request), or it is closed.
//! * **Body idle timeout.** A request body must deliver bytes at least every
//!   [`ConnectionLimits::body_idle_timeout`] (tower-http's `TimeoutBody`, reset by every frame).
//!   An idle timeout, not a total one: a large photo or sync on a slow phone takes as long as
//!   it takes while it moves, and a body that stops moving is given up.
//! * **Connection cap.** At most [`ConnectionLimits::max_connections`] connections are served
//!   at once; the next one is not accepted until one ends, so it waits in the listen queue (and
//!   is refused by the kernel when that is full) instead of costing the server memory and tasks.
//!
//! Every request carries its client's address as `ConnectInfo<SocketAddr>` (the sign-in
//! slow-down counts per address). On shutdown the listener closes, each connection finishes the
//! request in flight and closes, and the loop returns when all have.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt;
use tower_http::timeout::TimeoutBody;

/// How long connections and requests may take, and how many connections are served at once.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// The longest a request's header may take to arrive (and a kept-alive connection may sit
    /// idle between requests).
    pub header_read_timeout: Duration,
    /// The longest a request body may go without delivering a byte.
    pub body_idle_timeout: Duration,
    /// Connections served at once; more wait to be accepted.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_read_timeout: Duration::from_secs(10),
            body_idle_timeout: Duration::from_secs(30),
            max_connections: 1024,
        }
    }
}

/// Serves `app` on `listener` within `limits` until `shutdown` completes, then lets the
/// requests in flight finish.
pub async fn serve_connections(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (stop, stopping) = watch::channel(false);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let mut connections = tokio::task::JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // A permit first: at the cap, the next connection stays in the listen queue.
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => p.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, client) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let body_idle = limits.body_idle_timeout;
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(client));
            let req = req.map(|body| axum::body::Body::new(TimeoutBody::new(body_idle, body)));
            app.clone().oneshot(req)
        });
        let connection = http.serve_connection(TokioIo::new(stream), service);
        let mut stopping = stopping.clone();
        connections.spawn(async move {
            let _permit = permit;
            let mut connection = std::pin::pin!(connection);
            let ended = tokio::select! {
                ended = connection.as_mut() => ended,
                _ = stopping.changed() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(e) = ended {
                tracing::debug!(%client, error = %e, "a connection ended with an error");
            }
        });
        // Reap the connections that ended, so the set does not grow with the server's uptime.
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let _ = stop.send(true);
    while connections.join_next().await.is_some() {}
}
