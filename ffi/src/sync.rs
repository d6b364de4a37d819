//! Sign in and sync for the apps: async methods run on tokio.

use std::sync::{Arc, Mutex};

use gridwalk_core::sync::client::SyncClient;
use gridwalk_core::sync::engine::{EngineConfig, SyncEngine as CoreEngine};

use crate::engine::{SyncEngine, SyncEngineConfig};
use crate::error::{GridwalkError, Result};
use crate::listeners::SyncProgressListener;
use crate::store::GridwalkStore;
use crate::types::{Actor, Session, SyncReport};

/// A connection to the sync server for one user.
#[derive(uniffi::Object)]
pub struct SyncSession {
    client: Mutex<SyncClient>,
}

impl SyncSession {
    fn client(&self) -> SyncClient {
        self.client
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl SyncSession {
    /// A session with the server at `base_url`, optionally resuming with a kept token.
    #[uniffi::constructor]
    pub fn new(base_url: String, token: Option<String>) -> Result<Arc<Self>> {
        let client = match token {
            Some(t) => SyncClient::with_token(&base_url, &t)?,
            None => SyncClient::new(&base_url)?,
        };
        Ok(Arc::new(SyncSession {
            client: Mutex::new(client),
        }))
    }

    /// Signs in; the token is bound to `device_id` (see `GridwalkStore::device_id`).
    pub async fn login(
        &self,
        username: String,
        password: String,
        device_id: String,
    ) -> Result<Session> {
        let mut client = self.client();
        let login = client.login(&username, &password, &device_id).await?;
        *self.client.lock().unwrap_or_else(|p| p.into_inner()) = client;
        Ok(Session {
            token: login.token,
            expires_at: login.expires_at,
            actor: Actor {
                user_id: login.user_id,
                role: login.role.into(),
                company: login.company,
            },
            display_name: login.display_name,
        })
    }

    /// Pushes everything pending and pulls everything new; `listener` hears progress.
    pub async fn sync(
        &self,
        store: Arc<GridwalkStore>,
        listener: Option<Arc<dyn SyncProgressListener>>,
    ) -> Result<SyncReport> {
        let client = self.client();
        let report = client
            .sync(store.inner.clone(), &move |p| {
                // A progress callback that throws reaches Rust as a panic: a sync whose
                // changes are already stored must not fail for it.
                if let Some(l) = &listener {
                    let call = std::panic::AssertUnwindSafe(|| l.on_progress(p.clone().into()));
                    if std::panic::catch_unwind(call).is_err() {
                        tracing::error!("the app's sync progress listener failed");
                    }
                }
            })
            .await
            .map_err(GridwalkError::from)?;
        Ok(report.into())
    }

    /// Starts the sync engine for this session over `store` (once per signed-in session):
    /// it syncs at once, after local writes, on a timer and on the app's triggers.
    /// `config` none: the defaults (2 s debounce, 15 min timer, backoff from 5 s to 15 min).
    pub async fn start_engine(
        &self,
        store: Arc<GridwalkStore>,
        config: Option<SyncEngineConfig>,
    ) -> Result<Arc<SyncEngine>> {
        let config = config.map(EngineConfig::from).unwrap_or_default();
        let engine = CoreEngine::start(store.inner.clone(), self.client(), config)?;
        Ok(SyncEngine::new(engine))
    }

    /// Downloads a full photo; returns its path on the device.
    pub async fn fetch_photo(&self, store: Arc<GridwalkStore>, hash: String) -> Result<String> {
        let path = self
            .client()
            .fetch_photo(store.inner.clone(), &hash)
            .await?;
        Ok(path.display().to_string())
    }
}
