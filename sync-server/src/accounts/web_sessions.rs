//! Web sessions signed out when idle: a supervisor who walks away from a signed-in browser is
//! signed out after [`Accounts::set_web_idle`] without a request (30 minutes unless
//! configured), apart from the token's lifetime, which ends a session however busy it is.
//!
//! A web session is a token whose device id starts with [`WEB_DEVICE_PREFIX`] (the pages give
//! every sign-in its own). Its last use is kept in `token.last_used_at` and checked wherever the
//! token is presented (the pages, and the API, so the cookie cannot be kept alive elsewhere).
//! A session found idle is revoked. The last use is written at most every
//! [`touch_interval`] of the idle time, not on every page.

use std::sync::atomic::Ordering;
use std::time::Duration;

use gridwalk_core::Timestamp;
use rusqlite::{Connection, params};

use super::{AccountError, Accounts, token_hash};

/// The device id prefix of web sign-ins.
pub const WEB_DEVICE_PREFIX: &str = "web:";

/// The idle time of a web session unless configured: 30 minutes.
pub(super) const DEFAULT_IDLE_MS: i64 = 30 * 60 * 1000;

/// Whether a token's device is a web browser.
pub(super) fn is_web_device(device_id: &str) -> bool {
    device_id.starts_with(WEB_DEVICE_PREFIX)
}

/// How long after its last recorded use a session's use is written again: a tenth of the idle
/// time, at most a minute (a session may so end up to that much later than the idle time).
fn touch_interval(idle_ms: i64) -> i64 {
    (idle_ms / 10).min(60_000)
}

impl Accounts {
    /// Sets how long a web session may go unused before it is signed out.
    pub fn set_web_idle(&self, idle: Duration) {
        let ms = i64::try_from(idle.as_millis()).unwrap_or(i64::MAX).max(1);
        self.web_idle_ms.store(ms, Ordering::Relaxed);
    }

    /// Checks that a web session was used within the idle time, then notes this use. A session
    /// found idle is revoked: it is over even if the idle time is later made longer.
    pub(super) fn use_web_session(
        &self,
        conn: &Connection,
        token: &str,
        last_used_at: i64,
        now: Timestamp,
    ) -> Result<(), AccountError> {
        let idle = self.web_idle_ms.load(Ordering::Relaxed);
        let unused = now.0.saturating_sub(last_used_at);
        if unused > idle {
            conn.prepare_cached(
                "UPDATE token SET revoked_at = ?2 WHERE hash = ?1 AND revoked_at IS NULL",
            )?
            .execute(params![token_hash(token), now.0])?;
            tracing::info!(idle_secs = unused / 1000, "signed out an idle web session");
            return Err(AccountError::BadToken(
                "this session was unused for too long; sign in again",
            ));
        }
        if unused >= touch_interval(idle) {
            conn.prepare_cached("UPDATE token SET last_used_at = ?2 WHERE hash = ?1")?
                .execute(params![token_hash(token), now.0])?;
        }
        Ok(())
    }
}
