//! A TCP proxy on loopback that breaks connections the way a stairwell does: it drops them
//! mid-request and mid-response, delays them, and replays whole requests a second time.
//!
//! It does not parse HTTP: bytes from the client after the server has answered start a new
//! request, and each request draws its own fault, so faults hit requests even on a kept-alive
//! connection.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rand::Rng;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What happens to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Passed through untouched.
    None,
    /// Closed after this many bytes of the request.
    DropRequestAfter(usize),
    /// The request goes through whole; the answer is cut after this many bytes.
    DropResponseAfter(usize),
    /// Passed through after a pause.
    Delay(Duration),
    /// Passed through, and the same request sent once more on a connection of its own.
    Replay,
}

/// Counts of faults applied, for the test's report.
#[derive(Debug, Default)]
pub struct FaultCounts {
    /// Requests seen.
    pub connections: AtomicU64,
    /// Requests for which a fault was drawn (a fault drawn for a request that ends before its
    /// cut point never fires: see the counts below for what happened).
    pub faults: AtomicU64,
    /// Requests or responses actually cut off part-way.
    pub cuts: AtomicU64,
    /// Requests actually held back.
    pub delays: AtomicU64,
    /// Requests actually sent a second time.
    pub replays: AtomicU64,
    /// Bytes from clients to the server, as on the wire (compressed, with HTTP headers).
    pub bytes_up: AtomicU64,
    /// Bytes from the server to clients, as on the wire.
    pub bytes_down: AtomicU64,
    /// Requests the client gave up part-way (closed its connection before the answer): the
    /// request line and the bytes of its body that got through. A phone that died mid-upload.
    pub abandoned: std::sync::Mutex<Vec<(String, usize)>>,
    /// Requests sent and not answered yet, over all connections.
    pub in_flight: AtomicU64,
    /// The most requests that were in flight at once.
    pub max_in_flight: AtomicU64,
}

impl FaultCounts {
    fn request_started(&self) {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
    }

    fn request_ended(&self) {
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A running proxy.
pub struct FaultProxy {
    /// Address clients connect to.
    pub addr: SocketAddr,
    /// What it did.
    pub counts: Arc<FaultCounts>,
    task: tokio::task::JoinHandle<()>,
}

/// How the proxy chooses faults.
#[derive(Debug)]
pub enum Plan {
    /// Each request draws a random fault with this probability.
    Random(f64),
    /// The first `remaining` uploads (`PUT` requests) are cut half-way through their body;
    /// nothing else is touched.
    CutUploads {
        /// Uploads still to cut.
        remaining: AtomicU64,
    },
}

impl Plan {
    fn draw(&self, first_bytes: &[u8]) -> Fault {
        match self {
            Plan::Random(rate) => draw(*rate),
            Plan::CutUploads { remaining } => match halfway(first_bytes) {
                Some(cut)
                    if first_bytes.starts_with(b"PUT ")
                        && remaining
                            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                            .is_ok() =>
                {
                    Fault::DropRequestAfter(cut)
                }
                _ => Fault::None,
            },
        }
    }
}

impl FaultProxy {
    /// Proxies to `upstream`, drawing a fault for each request with probability `rate`.
    pub async fn start(upstream: SocketAddr, rate: f64) -> FaultProxy {
        Self::start_with(upstream, Plan::Random(rate)).await
    }

    /// Proxies to `upstream`, choosing faults by `plan`.
    pub async fn start_with(upstream: SocketAddr, plan: Plan) -> FaultProxy {
        let plan = Arc::new(plan);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let counts = Arc::new(FaultCounts::default());
        let c = counts.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(handle(client, upstream, plan.clone(), c.clone()));
            }
        });
        FaultProxy { addr, counts, task }
    }

    /// `http://addr`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The byte offset half-way through a request's body, from its headers.
fn halfway(request: &[u8]) -> Option<usize> {
    let text = String::from_utf8_lossy(request);
    let head_end = text.find("\r\n\r\n")? + 4;
    let length: usize = text[..head_end].lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse().ok())?
    })?;
    Some(head_end + length / 2)
}

/// A request given up part-way: its request line and the bytes of its body that came.
fn abandoned(request: &[u8]) -> (String, usize) {
    let line_end = request
        .windows(2)
        .position(|w| w == b"\r\n")
        .unwrap_or(request.len());
    let body = request
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(0, |head| request.len() - head - 4);
    (
        String::from_utf8_lossy(&request[..line_end]).into_owned(),
        body,
    )
}

fn draw(rate: f64) -> Fault {
    let mut rng = rand::rng();
    if !rng.random_bool(rate) {
        return Fault::None;
    }
    match rng.random_range(0..4) {
        0 => Fault::DropRequestAfter(rng.random_range(1..400)),
        1 => Fault::DropResponseAfter(rng.random_range(1..400)),
        2 => Fault::Delay(Duration::from_millis(rng.random_range(50..400))),
        _ => Fault::Replay,
    }
}

/// Per-connection state shared by the two directions.
struct Exchange {
    /// The fault drawn for the request under way.
    fault: Fault,
    /// Bytes of the current request seen so far.
    request: Vec<u8>,
    /// Bytes of the current response forwarded so far.
    response_bytes: usize,
    /// Whether the server has answered since the client last sent: the next client bytes
    /// start a new request.
    answered: bool,
}

async fn handle(
    client: TcpStream,
    upstream: SocketAddr,
    plan: Arc<Plan>,
    counts: Arc<FaultCounts>,
) {
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let state = Arc::new(std::sync::Mutex::new(Exchange {
        fault: Fault::None,
        request: Vec::new(),
        response_bytes: 0,
        answered: true,
    }));
    let up_state = state.clone();
    let end_state = state.clone();
    let end_counts = counts.clone();
    let counts_down = counts.clone();
    let up = async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match cr.read(&mut buf).await {
                Ok(0) | Err(_) => {
                    let st = up_state.lock().unwrap();
                    if !st.answered && !st.request.is_empty() {
                        counts
                            .abandoned
                            .lock()
                            .unwrap()
                            .push(abandoned(&st.request));
                    }
                    break;
                }
                Ok(n) => n,
            };
            let (fault, cut) = {
                let mut st = up_state.lock().unwrap();
                if st.answered {
                    st.answered = false;
                    st.request.clear();
                    st.response_bytes = 0;
                    st.fault = plan.draw(&buf[..n]);
                    if st.fault != Fault::None {
                        counts.faults.fetch_add(1, Ordering::Relaxed);
                    }
                    counts.connections.fetch_add(1, Ordering::Relaxed);
                    counts.request_started();
                }
                let before = st.request.len();
                st.request.extend_from_slice(&buf[..n]);
                let cut = match st.fault {
                    Fault::DropRequestAfter(limit) if before + n >= limit => {
                        Some(limit.saturating_sub(before))
                    }
                    _ => None,
                };
                (st.fault, cut)
            };
            if let Fault::Delay(d) = fault {
                counts.delays.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(d).await;
            }
            if let Some(keep) = cut {
                counts.cuts.fetch_add(1, Ordering::Relaxed);
                let _ = sw.write_all(&buf[..keep]).await;
                return;
            }
            counts.bytes_up.fetch_add(n as u64, Ordering::Relaxed);
            if sw.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
        let _ = sw.shutdown().await;
    };
    let down_state = state;
    let down_counts = counts_down;
    let down = async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match sr.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let (cut, replay) = {
                let mut st = down_state.lock().unwrap();
                let first = !st.answered;
                st.answered = true;
                if first {
                    down_counts.request_ended();
                }
                let before = st.response_bytes;
                st.response_bytes += n;
                let cut = match st.fault {
                    Fault::DropResponseAfter(limit) if before + n >= limit => {
                        Some(limit.saturating_sub(before))
                    }
                    _ => None,
                };
                let replay = (first && st.fault == Fault::Replay).then(|| st.request.clone());
                (cut, replay)
            };
            if let Some(request) = replay {
                down_counts.replays.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(replay_request(upstream, request));
            }
            if let Some(keep) = cut {
                down_counts.cuts.fetch_add(1, Ordering::Relaxed);
                let _ = cw.write_all(&buf[..keep]).await;
                return;
            }
            down_counts
                .bytes_down
                .fetch_add(n as u64, Ordering::Relaxed);
            if cw.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
        let _ = cw.shutdown().await;
    };
    // Whichever direction is cut ends the connection: dropping both halves closes the sockets.
    tokio::select! {
        _ = up => {}
        _ = down => {}
    }
    // A request the connection ended without answering is no longer in flight.
    let mut st = end_state.lock().unwrap();
    if !st.answered {
        st.answered = true;
        end_counts.request_ended();
    }
}

/// Sends a request the client already sent once more, on a connection of its own.
async fn replay_request(upstream: SocketAddr, request: Vec<u8>) {
    if let Ok(mut again) = TcpStream::connect(upstream).await {
        let _ = again.write_all(&request).await;
        let mut sink = vec![0u8; 16 * 1024];
        let _ = tokio::time::timeout(Duration::from_secs(5), async {
            while let Ok(n) = again.read(&mut sink).await {
                if n == 0 {
                    break;
                }
            }
        })
        .await;
    }
}
