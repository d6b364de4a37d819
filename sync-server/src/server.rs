//! Running the server: open the data directory, bind, serve until asked to stop, and finish
//! the requests in flight before exiting.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use gridwalk_core::Store;
use gridwalk_core::store::{StoreKind, StoreOptions};

use crate::accounts::Accounts;
use crate::connections::{ConnectionLimits, serve_connections};
use crate::routes::router;
use crate::state::AppState;

/// How to run the server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Where `records.db` and `accounts.db` live.
    pub data_dir: PathBuf,
    /// Address to listen on.
    pub listen: SocketAddr,
    /// How long a token lives.
    pub token_ttl: Duration,
    /// Largest request body accepted (413 above it).
    pub max_body: usize,
    /// About how many bytes of changes one sync answer carries before it says `more`.
    pub pull_budget: usize,
    /// Whether the web session cookie is marked `Secure` (served over TLS, or behind a TLS
    /// proxy).
    pub secure_cookies: bool,
    /// Whether the client address (which the sign-in slow-down counts) is the last
    /// `X-Forwarded-For` entry: only behind the server's own proxy, which sets it.
    pub trust_forwarded_for: bool,
    /// Header-read and body idle timeouts, and the cap on connections served at once.
    pub limits: ConnectionLimits,
    /// How long a web session may go unused before it is signed out (apart from the token's
    /// lifetime).
    pub web_idle: Duration,
}

/// The opened data directory.
pub struct Data {
    /// Records.
    pub store: Arc<Store>,
    /// Accounts.
    pub accounts: Arc<Accounts>,
}

/// The records' database in the data directory (a core `Store` of kind `Server`).
pub const RECORDS_DB: &str = "records.db";

/// The file a serving server holds locked, so that `admin restore` cannot swap the records
/// under it and two servers cannot serve one directory.
pub const LOCK_FILE: &str = "server.lock";

/// Takes the data directory's lock ([`LOCK_FILE`]) for as long as the returned file is open.
/// Fails at once if another process holds it.
pub fn lock_data_dir(dir: &Path) -> Result<std::fs::File, Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dir)?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(LOCK_FILE))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => {
            Err(format!("a server is running on {}: stop it first", dir.display()).into())
        }
        Err(std::fs::TryLockError::Error(e)) => Err(e.into()),
    }
}

/// Opens (creating) the data directory.
pub fn open_data(dir: &Path, token_ttl: Duration) -> Result<Data, Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dir)?;
    let store = Store::open_with(
        dir.join(RECORDS_DB),
        StoreOptions {
            kind: StoreKind::Server,
            readers: 4,
        },
    )?;
    let accounts = Accounts::open(dir, token_ttl)?;
    Ok(Data {
        store: Arc::new(store),
        accounts: Arc::new(accounts),
    })
}

/// Serves until SIGINT or SIGTERM, then lets requests in flight finish.
pub async fn serve(config: &ServerConfig, data: Data) -> Result<(), Box<dyn std::error::Error>> {
    data.accounts.set_web_idle(config.web_idle);
    let state = Arc::new(AppState {
        store: data.store,
        accounts: data.accounts,
        max_body: config.max_body,
        pull_budget: config.pull_budget,
        secure_cookies: config.secure_cookies,
        trust_forwarded_for: config.trust_forwarded_for,
        web: crate::web::Web::new(),
    });
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, data_dir = %config.data_dir.display(), "gridwalk-server listening");
    println!("gridwalk-server listening on http://{addr}");
    // Each request knows its client's address: sign-in failures are counted per address too.
    serve_connections(listener, router(state), config.limits, shutdown_signal()).await;
    tracing::info!("gridwalk-server stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutting down: finishing requests in flight");
}
