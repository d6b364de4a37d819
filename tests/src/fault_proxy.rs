//! A TCP proxy on loopback that breaks connections the way a stairwell does: it drops them
//! mid-request and mid-response, delays them, and replays whole requests a second time.
//!
//! It does not parse HTTP: each accepted connection draws one fault, applied to the bytes
//! flowing through it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rand::Rng;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What happens to one connection.
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
    /// Passed through, then everything the client sent is sent again on a new connection.
    Replay,
}

/// Counts of faults applied, for the test's report.
#[derive(Debug, Default)]
pub struct FaultCounts {
    /// Connections seen.
    pub connections: AtomicU64,
    /// Connections cut or replayed.
    pub faults: AtomicU64,
}

/// A running proxy.
pub struct FaultProxy {
    /// Address clients connect to.
    pub addr: SocketAddr,
    /// What it did.
    pub counts: Arc<FaultCounts>,
    task: tokio::task::JoinHandle<()>,
}

impl FaultProxy {
    /// Proxies to `upstream`, drawing a fault for each connection with probability `rate`.
    pub async fn start(upstream: SocketAddr, rate: f64) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let counts = Arc::new(FaultCounts::default());
        let c = counts.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                c.connections.fetch_add(1, Ordering::Relaxed);
                let fault = draw(rate);
                if fault != Fault::None {
                    c.faults.fetch_add(1, Ordering::Relaxed);
                }
                tokio::spawn(handle(client, upstream, fault));
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

async fn handle(mut client: TcpStream, upstream: SocketAddr, fault: Fault) {
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        return;
    };
    if let Fault::Delay(d) = fault {
        tokio::time::sleep(d).await;
    }
    let (mut cr, mut cw) = client.split();
    let (mut sr, mut sw) = server.split();
    let mut sent = Vec::new();
    let up = async {
        let mut buf = vec![0u8; 16 * 1024];
        let mut total = 0usize;
        loop {
            let n = match cr.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let mut n = n;
            if let Fault::DropRequestAfter(limit) = fault {
                if total + n >= limit {
                    n = limit - total;
                    let _ = sw.write_all(&buf[..n]).await;
                    return true;
                }
            }
            total += n;
            sent.extend_from_slice(&buf[..n]);
            if sw.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = sw.shutdown().await;
        false
    };
    let down = async {
        let mut buf = vec![0u8; 16 * 1024];
        let mut total = 0usize;
        loop {
            let n = match sr.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let mut n = n;
            if let Fault::DropResponseAfter(limit) = fault {
                if total + n >= limit {
                    n = limit - total;
                    let _ = cw.write_all(&buf[..n]).await;
                    return true;
                }
            }
            total += n;
            if cw.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = cw.shutdown().await;
        false
    };
    // Whichever side is cut ends the connection for both.
    tokio::select! {
        _ = async { tokio::join!(up, down) } => {}
    }
    drop(client);
    drop(server);
    if fault == Fault::Replay && !sent.is_empty() {
        if let Ok(mut again) = TcpStream::connect(upstream).await {
            let _ = again.write_all(&sent).await;
            let _ = again.shutdown().await;
            let mut sink = Vec::new();
            let _ =
                tokio::time::timeout(Duration::from_secs(5), again.read_to_end(&mut sink)).await;
        }
    }
}
