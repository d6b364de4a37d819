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
//! * **Minimum body rate.** After [`ConnectionLimits::body_rate_grace`], a request body must
//!   have averaged at least [`ConnectionLimits::min_body_rate`] bytes a second since it was
//!   first read ([`MinRateBody`]), or it is given up: a client trickling a byte a second keeps
//!   the idle timeout happy but not this (a photo at 50 KB/s from a weak signal is 50 times
//!   the default minimum). A connection's request is answered and the connection closed
//!   without reading the rest of the body when the handler does not want it: `/v1/sync` and
//!   the photo upload check the bearer token from the headers first, so an anonymous client
//!   gets its 401 at once whatever body it is sending.
//! * **Connection cap.** At most [`ConnectionLimits::max_connections`] connections are served
//!   at once; the next one is not accepted until one ends, so it waits in the listen queue (and
//!   is refused by the kernel when that is full) instead of costing the server memory and tasks.
//!
//! Every request carries its client's address as `ConnectInfo<SocketAddr>` (the sign-in
//! slow-down counts per address). On shutdown the listener closes, each connection finishes the
//! request in flight and closes, and the loop returns when all have.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::ConnectInfo;
use hyper::body::{Body as HttpBody, Frame, Incoming, SizeHint};
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
    /// The lowest average rate, in bytes a second, a request body may arrive at once
    /// `body_rate_grace` has passed since it was first read (0: no minimum).
    pub min_body_rate: u64,
    /// How long a request body may take before its average rate is judged.
    pub body_rate_grace: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_read_timeout: Duration::from_secs(10),
            body_idle_timeout: Duration::from_secs(30),
            max_connections: 1024,
            min_body_rate: 1024,
            body_rate_grace: Duration::from_secs(10),
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
        let (min_rate, grace) = (limits.min_body_rate, limits.body_rate_grace);
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(client));
            let req = req.map(|body| {
                let body = TimeoutBody::new(body_idle, body);
                axum::body::Body::new(MinRateBody::new(body, min_rate, grace))
            });
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

/// A request body given up when, `grace` after it was first read, it has averaged less than
/// `min_rate` bytes a second: at each moment it has until
/// `first read + max(grace, bytes received / min_rate)` to send more.
pub struct MinRateBody<B> {
    inner: Pin<Box<B>>,
    min_rate: u64,
    grace: Duration,
    started: Option<Instant>,
    received: u64,
    deadline: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<B> MinRateBody<B> {
    /// Wraps `inner`; a `min_rate` of 0 judges nothing.
    pub fn new(inner: B, min_rate: u64, grace: Duration) -> Self {
        MinRateBody {
            inner: Box::pin(inner),
            min_rate,
            grace,
            started: None,
            received: 0,
            deadline: None,
        }
    }

    /// When the body must have sent more by, from what it has sent so far.
    fn deadline(&self, started: Instant) -> Instant {
        let earned = Duration::from_secs_f64(self.received as f64 / self.min_rate as f64);
        started + self.grace.max(earned)
    }
}

/// A request body arrived more slowly than the server's minimum rate.
#[derive(Debug, thiserror::Error)]
#[error("the request body arrived more slowly than {0} bytes a second")]
pub struct BodyTooSlow(u64);

impl<B> HttpBody for MinRateBody<B>
where
    B: HttpBody<Data = Bytes>,
    B::Error: Into<axum::BoxError>,
{
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        let polled = this.inner.as_mut().poll_frame(cx);
        if this.min_rate == 0 {
            return polled.map(|f| f.map(|r| r.map_err(Into::into)));
        }
        let now = Instant::now();
        let started = *this.started.get_or_insert(now);
        match polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.received += data.len() as u64;
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e.into()))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => {
                let deadline = tokio::time::Instant::from_std(this.deadline(started));
                let sleep = this
                    .deadline
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                if sleep.deadline() != deadline {
                    sleep.as_mut().reset(deadline);
                }
                match sleep.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        tracing::warn!(
                            received = this.received,
                            "gave up a request body slower than the minimum rate"
                        );
                        Poll::Ready(Some(Err(BodyTooSlow(this.min_rate).into())))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
