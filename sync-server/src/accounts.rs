//! Accounts: users with roles and scopes, passwords hashed with argon2id, bearer tokens bound to
//! a device, stored only as their SHA-256, expiring and revocable, and a slow-down of repeated
//! sign-ins that delays and never refuses a correct password for a stranger's failures. Kept in `accounts.db`, apart from the records.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
// argon2 0.5 takes its salt from rand_core 0.6, an older rand than the workspace uses.
use argon2::Argon2;
use gridwalk_core::{Actor, Role, Timestamp};
use rand::RngCore;
use rand_core_06::OsRng;
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

mod device_wipes;
mod previews;
mod web_sessions;
pub use previews::{PREVIEW_LIFETIME, StoredPreview};
pub use web_sessions::WEB_DEVICE_PREFIX;

/// Sign-in attempts (per address) or failures (per user) allowed before each further one waits.
const FREE_FAILURES: i64 = 5;
/// The longest a correct password is held back after its user's failures.
const MAX_USER_DELAY: Duration = Duration::from_secs(2);
/// Longest user name, in characters.
pub const MAX_USER_NAME: usize = 64;
/// Longest password, in bytes.
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// Longest device id, in characters.
pub const MAX_DEVICE_ID: usize = 128;
/// The longest gap between two checked sign-ins from one client address past its free ones.
const MAX_ADDR_DELAY: Duration = Duration::from_secs(2);
/// An address's count forgets one attempt per this much time.
const ADDR_FORGIVE_EVERY: Duration = Duration::from_secs(60);
/// The longest an attempt is queued behind its address's earlier ones before it is refused
/// (a flood; see [`Accounts::count_attempt`]).
const MAX_ADDR_QUEUE: Duration = Duration::from_secs(60);

/// Why an account operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// Wrong user name or password (never says which).
    #[error("wrong user name or password")]
    WrongPassword,
    /// Too many failures: wait.
    #[error("too many failed sign-ins; wait {0:?}")]
    LockedOut(Duration),
    /// The token is unknown, expired or revoked.
    #[error("{0}")]
    BadToken(&'static str),
    /// The device id is bound to another user (the first who signed in with it).
    #[error("this device is registered to another user; sign in on your own phone")]
    DeviceTaken,
    /// A user or value that cannot be added.
    #[error("{0}")]
    Invalid(String),
    /// The accounts database failed.
    #[error("accounts database: {0}")]
    Storage(#[from] rusqlite::Error),
    /// The connection pool failed.
    #[error("accounts database pool: {0}")]
    Pool(#[from] r2d2::Error),
}

/// A scope a user is given: the records they may see and write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeGrant {
    /// `grid`, `community`, `district` or `company`.
    pub kind: String,
    /// The code of the grid, community, district or company.
    pub value: String,
}

impl std::str::FromStr for ScopeGrant {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (kind, value) = s
            .split_once(':')
            .ok_or_else(|| format!("scope {s:?} is not kind:code"))?;
        if !["grid", "community", "district", "company"].contains(&kind) || value.is_empty() {
            return Err(format!(
                "scope {s:?}: kind must be grid, community, district or company"
            ));
        }
        Ok(ScopeGrant {
            kind: kind.into(),
            value: value.into(),
        })
    }
}

/// A signed-in request's user and device.
#[derive(Debug, Clone)]
pub struct Session {
    /// Who.
    pub actor: Actor,
    /// Their display name.
    pub display_name: String,
    /// The device the token is bound to, as the device named itself.
    pub device_id: String,
    /// This sign-in's identity, issued by the server (a prefix of the token's hash): what the
    /// change log records as a change's origin and a pull leaves out, so nobody can make their
    /// edits invisible to a phone by naming its device id. Empty for a session made without a
    /// token ([`Accounts::session_of_user`]).
    pub session_id: String,
    /// What they were given.
    pub grants: Vec<ScopeGrant>,
}

/// A freshly issued token.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The bearer token, shown once.
    pub token: String,
    /// Expiry.
    pub expires_at: Timestamp,
    /// The session it opens.
    pub session: Session,
}

/// A sign-in attempt counted by [`Accounts::count_attempt`]: its password may be checked once
/// `wait` is over.
#[derive(Debug)]
#[must_use]
pub struct Attempt {
    /// How long to wait before checking the password.
    pub wait: Duration,
    not_before: std::time::Instant,
}

/// Signs in from a handler: counts the attempt (a blocking task), waits its delay with
/// `tokio::time::sleep` (holding no database connection and no thread), then checks the
/// password (a blocking task).
pub async fn sign_in(
    accounts: std::sync::Arc<Accounts>,
    user: String,
    password: String,
    device_id: String,
    client: String,
) -> Result<Result<IssuedToken, AccountError>, tokio::task::JoinError> {
    let (a, u, p, d, c) = (
        accounts.clone(),
        user.clone(),
        password.clone(),
        device_id.clone(),
        client.clone(),
    );
    let attempt = match tokio::task::spawn_blocking(move || {
        a.count_attempt(&u, &p, &d, &c, Timestamp::now())
    })
    .await?
    {
        Ok(attempt) => attempt,
        Err(e) => return Ok(Err(e)),
    };
    tokio::time::sleep(attempt.wait).await;
    tokio::task::spawn_blocking(move || {
        accounts.check_password(
            attempt,
            &user,
            &password,
            &device_id,
            &client,
            Timestamp::now(),
        )
    })
    .await
}

struct Manager(std::path::PathBuf);

impl r2d2::ManageConnection for Manager {
    type Connection = Connection;
    type Error = rusqlite::Error;

    fn connect(&self) -> Result<Connection, rusqlite::Error> {
        let conn = Connection::open(&self.0)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;",
        )?;
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut Connection) -> Result<(), rusqlite::Error> {
        conn.execute_batch("SELECT 1")
    }

    fn has_broken(&self, _: &mut Connection) -> bool {
        false
    }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS user (
    id            TEXT PRIMARY KEY,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS user_scope (
    user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    kind    TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (user_id, kind, value)
);
CREATE TABLE IF NOT EXISTS token (
    hash       TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    device_id  TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE TABLE IF NOT EXISTS login_failure (
    user_id         TEXT PRIMARY KEY,
    failures        INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL
);
DROP TABLE IF EXISTS login_failure_addr;
CREATE TABLE IF NOT EXISTS login_addr (
    addr     TEXT PRIMARY KEY,
    attempts INTEGER NOT NULL,
    last_at  INTEGER NOT NULL,
    next_at  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS device (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL,
    last_sync_at INTEGER NOT NULL,
    pushed       INTEGER NOT NULL DEFAULT 0,
    pending      INTEGER NOT NULL DEFAULT 0
);
";

/// The accounts database.
pub struct Accounts {
    pool: r2d2::Pool<Manager>,
    token_ttl: Duration,
    /// How long a web session may go unused, in milliseconds (see [`web_sessions`]).
    web_idle_ms: std::sync::atomic::AtomicI64,
}

impl Accounts {
    /// Opens (creating) `accounts.db` in `dir`.
    pub fn open(dir: &Path, token_ttl: Duration) -> Result<Accounts, AccountError> {
        let pool = r2d2::Pool::builder()
            .max_size(8)
            .build(Manager(dir.join("accounts.db")))?;
        let conn = pool.get()?;
        conn.execute_batch(SCHEMA)?;
        conn.execute_batch(previews::SCHEMA)?;
        conn.execute_batch(device_wipes::SCHEMA)?;
        // Accounts files made before devices reported their pending count.
        if let Err(e) = conn.execute(
            "ALTER TABLE device ADD COLUMN pending INTEGER NOT NULL DEFAULT 0",
            [],
        ) && !e.to_string().contains("duplicate column")
        {
            return Err(e.into());
        }
        // Accounts files made before web sessions were signed out when idle.
        if let Err(e) = conn.execute("ALTER TABLE token ADD COLUMN last_used_at INTEGER", [])
            && !e.to_string().contains("duplicate column")
        {
            return Err(e.into());
        }
        drop(conn);
        Ok(Accounts {
            pool,
            token_ttl,
            web_idle_ms: std::sync::atomic::AtomicI64::new(web_sessions::DEFAULT_IDLE_MS),
        })
    }

    /// Adds a user (or replaces their password, role and scopes).
    pub fn add_user(
        &self,
        id: &str,
        display_name: &str,
        role: Role,
        password: &str,
        grants: &[ScopeGrant],
    ) -> Result<(), AccountError> {
        if id.trim().is_empty() || password.len() < 8 {
            return Err(AccountError::Invalid(
                "a user needs a name and a password of at least 8 characters".into(),
            ));
        }
        let hash = Argon2::default()
            .hash_password(password.as_bytes(), &SaltString::generate(&mut OsRng))
            .map_err(|e| AccountError::Invalid(e.to_string()))?
            .to_string();
        let mut conn = self.pool.get()?;
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO user (id, display_name, role, password_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (id) DO UPDATE SET display_name = ?2, role = ?3, password_hash = ?4",
            params![id, display_name, role.as_str(), hash, Timestamp::now().0],
        )?;
        tx.execute("DELETE FROM user_scope WHERE user_id = ?1", [id])?;
        for g in grants {
            tx.execute(
                "INSERT INTO user_scope (user_id, kind, value) VALUES (?1, ?2, ?3)",
                params![id, g.kind, g.value],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The journal mode and `synchronous` level (2 is FULL) of `n` connections of the pool at
    /// once, so every one the pool holds is read, not one reused.
    pub fn connection_settings(&self, n: usize) -> Result<Vec<(String, i64)>, AccountError> {
        let conns = (0..n)
            .map(|_| self.pool.get())
            .collect::<Result<Vec<_>, _>>()?;
        let mut out = Vec::with_capacity(n);
        for c in &conns {
            out.push((
                c.pragma_query_value(None, "journal_mode", |r| r.get(0))?,
                c.pragma_query_value(None, "synchronous", |r| r.get(0))?,
            ));
        }
        Ok(out)
    }

    /// Whether any user exists.
    pub fn is_empty(&self) -> Result<bool, AccountError> {
        let n: i64 = self
            .pool
            .get()?
            .query_row("SELECT COUNT(*) FROM user", [], |r| r.get(0))?;
        Ok(n == 0)
    }

    /// Checks a password and issues a token bound to `device_id`, for a request from the
    /// client address `client` (empty when unknown), waiting out the attempt's delay on this
    /// thread. For callers without a runtime (tests, tools); the server's handlers use
    /// [`sign_in`], which waits without holding a thread.
    pub fn login(
        &self,
        user: &str,
        password: &str,
        device_id: &str,
        client: &str,
        now: Timestamp,
    ) -> Result<IssuedToken, AccountError> {
        let attempt = self.count_attempt(user, password, device_id, client, now)?;
        std::thread::sleep(attempt.wait);
        self.check_password(attempt, user, password, device_id, client, now)
    }

    /// Step one of a sign-in: checks the lengths, then counts the attempt against the client
    /// address, in one IMMEDIATE transaction and *before* any password is checked, and says
    /// how long it must wait before [`Accounts::check_password`] may look at its password.
    ///
    /// The slow-down (security issue 12, "sign-in") delays and never refuses for a stranger's
    /// failures:
    ///
    /// * **Per client address**, every attempt counts (names that exist or not; a correct
    ///   password takes its own count back), and the count is forgiven one attempt per
    ///   [`ADDR_FORGIVE_EVERY`]. The first [`FREE_FAILURES`] go at once. Each further one takes
    ///   a *slot*: the address keeps `next_at`; the attempt waits until
    ///   `slot = max(now, next_at)` and moves `next_at` to `slot + delay`, the delay doubling
    ///   from a quarter second to [`MAX_ADDR_DELAY`]. So concurrent guesses from one address are
    ///   checked one per delay, in order, and a user sharing the address with a guesser (behind
    ///   a proxy or a NAT) is delayed, never refused.
    /// * **Per user**, failures of an existing user add a delay (a quarter second doubling to
    ///   [`MAX_USER_DELAY`]) and never a queue, so guesses from many addresses cannot lock the
    ///   real user out. Nothing is stored for a user name that does not exist.
    ///
    /// Only a flood is refused: when an address's queue would make an attempt wait more than
    /// [`MAX_ADDR_QUEUE`], it is refused as [`AccountError::LockedOut`] with the time until the
    /// queue has room, uncounted. That bounds what a flood costs (attempts parked for a minute
    /// at most); an address sending one attempt at a time is never refused.
    pub fn count_attempt(
        &self,
        user: &str,
        password: &str,
        device_id: &str,
        client: &str,
        now: Timestamp,
    ) -> Result<Attempt, AccountError> {
        if user.chars().count() > MAX_USER_NAME
            || password.len() > MAX_PASSWORD_BYTES
            || device_id.chars().count() > MAX_DEVICE_ID
        {
            return Err(AccountError::Invalid(format!(
                "a user name has at most {MAX_USER_NAME} characters, a password {MAX_PASSWORD_BYTES} \
                 bytes and a device id {MAX_DEVICE_ID} characters"
            )));
        }
        let mut conn = self.pool.get()?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let before: Option<(i64, i64, i64)> = tx
            .query_row(
                "SELECT attempts, last_at, next_at FROM login_addr WHERE addr = ?1",
                [client],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let (attempts, last_at, next_at) = before.unwrap_or((0, now.0, 0));
        let forgiven = (now.0 - last_at).max(0) / ADDR_FORGIVE_EVERY.as_millis() as i64;
        let attempts = (attempts - forgiven).max(0) + 1;
        let (slot, next_at) = if attempts > FREE_FAILURES {
            let slot = now.0.max(next_at);
            let queued = Duration::from_millis((slot - now.0) as u64);
            if queued > MAX_ADDR_QUEUE {
                let shown: String = user.chars().take(32).collect();
                tracing::warn!(user = %shown, client, "refused a sign-in: too many queued from the address");
                return Err(AccountError::LockedOut(queued - MAX_ADDR_QUEUE));
            }
            (slot, slot + addr_delay(attempts).as_millis() as i64)
        } else {
            (now.0, next_at)
        };
        tx.execute(
            "INSERT INTO login_addr (addr, attempts, last_at, next_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (addr) DO UPDATE SET attempts = ?2, last_at = ?3, next_at = ?4",
            params![client, attempts, now.0, next_at],
        )?;
        let user_failures: i64 = tx
            .query_row(
                "SELECT failures FROM login_failure WHERE user_id = ?1",
                [user],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0);
        tx.commit()?;
        let wait = Duration::from_millis((slot - now.0) as u64) + user_delay(user_failures);
        Ok(Attempt {
            wait,
            not_before: std::time::Instant::now() + wait,
        })
    }

    /// Step two of a sign-in, once the attempt's wait is over: checks the password and issues
    /// a token. (An attempt whose wait was skipped waits the rest here.)
    pub fn check_password(
        &self,
        attempt: Attempt,
        user: &str,
        password: &str,
        device_id: &str,
        client: &str,
        now: Timestamp,
    ) -> Result<IssuedToken, AccountError> {
        let early = attempt
            .not_before
            .saturating_duration_since(std::time::Instant::now());
        if !early.is_zero() {
            std::thread::sleep(early);
        }
        let stored: Option<String> = self
            .pool
            .get()?
            .query_row(
                "SELECT password_hash FROM user WHERE id = ?1",
                [user],
                |r| r.get(0),
            )
            .optional()?;
        // Verify against a dummy hash for unknown users, so timing does not tell who exists
        // (and with no database connection held: argon2 takes a while).
        let hash = stored.clone().unwrap_or_else(|| DUMMY_HASH.to_owned());
        let ok = PasswordHash::new(&hash)
            .map(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false);
        let conn = self.pool.get()?;
        if !ok || stored.is_none() {
            if stored.is_some() {
                conn.execute(
                    "INSERT INTO login_failure (user_id, failures, last_failure_at) VALUES (?1, 1, ?2)
                     ON CONFLICT (user_id) DO UPDATE SET failures = failures + 1, last_failure_at = ?2",
                    params![user, now.0],
                )?;
            }
            // One line per request; the name is cut, since a stranger chooses it.
            let shown: String = user.chars().take(32).collect();
            tracing::warn!(user = %shown, client, known = stored.is_some(), "failed sign-in");
            return Err(AccountError::WrongPassword);
        }
        conn.execute("DELETE FROM login_failure WHERE user_id = ?1", [user])?;
        // This attempt was not a guess: it no longer counts against the address.
        conn.execute(
            "UPDATE login_addr SET attempts = MAX(attempts - 1, 0) WHERE addr = ?1",
            [client],
        )?;
        // A device id belongs to the first user who signed in with it: another user naming it
        // (read off the overview) must not pass for that phone.
        let owner: Option<String> = conn
            .query_row(
                "SELECT user_id FROM token WHERE device_id = ?1 AND user_id != ?2 LIMIT 1",
                params![device_id, user],
                |r| r.get(0),
            )
            .optional()?;
        if owner.is_some() {
            tracing::warn!(
                user,
                device = device_id,
                "refused a device id of another user"
            );
            return Err(AccountError::DeviceTaken);
        }
        let mut raw = [0u8; 32];
        rand::rng().fill_bytes(&mut raw);
        let token = hex::encode(raw);
        let expires_at = Timestamp(now.0 + self.token_ttl.as_millis() as i64);
        conn.execute(
            "INSERT INTO token (hash, user_id, device_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![token_hash(&token), user, device_id, now.0, expires_at.0],
        )?;
        drop(conn);
        let session = self.authenticate(&token, now)?;
        tracing::info!(user, device = device_id, "signed in");
        Ok(IssuedToken {
            token,
            expires_at,
            session,
        })
    }

    /// The session a bearer token opens.
    pub fn authenticate(&self, token: &str, now: Timestamp) -> Result<Session, AccountError> {
        let conn = self.pool.get()?;
        let row: Option<(String, String, i64, Option<i64>, i64)> = conn
            .prepare_cached(
                "SELECT user_id, device_id, expires_at, revoked_at, COALESCE(last_used_at, created_at)
                 FROM token WHERE hash = ?1",
            )?
            .query_row([token_hash(token)], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .optional()?;
        let Some((user, device_id, expires_at, revoked_at, last_used_at)) = row else {
            return Err(AccountError::BadToken("unknown token; sign in again"));
        };
        if revoked_at.is_some() {
            return Err(AccountError::BadToken(
                "this token was revoked; sign in again",
            ));
        }
        if expires_at <= now.0 {
            return Err(AccountError::BadToken(
                "this token has expired; sign in again",
            ));
        }
        if web_sessions::is_web_device(&device_id) {
            self.use_web_session(&conn, token, last_used_at, now)?;
        }
        session_of(&conn, &user, device_id, session_id_of(token))
    }

    /// Every user's display name, by user id: what the pages show where records hold a user id.
    pub fn display_names(&self) -> Result<HashMap<String, String>, AccountError> {
        Ok(self
            .pool
            .get()?
            .prepare("SELECT id, display_name FROM user")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<HashMap<_, _>, _>>()?)
    }

    /// The grid workers granted `grid` (a grid worker's scopes are their granted grids):
    /// (user id, display name), by name. Whom a report of that grid may be assigned to.
    pub fn grid_workers(&self, grid: &str) -> Result<Vec<(String, String)>, AccountError> {
        Ok(self
            .pool
            .get()?
            .prepare(
                "SELECT u.id, u.display_name FROM user u
                 JOIN user_scope s ON s.user_id = u.id AND s.kind = 'grid' AND s.value = ?2
                 WHERE u.role = ?1 ORDER BY u.display_name, u.id",
            )?
            .query_map(params![Role::GridWorker.as_str(), grid], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()?)
    }

    /// What `user` would be signed in as on `device_id`: their role and grants, without a token.
    /// For showing who is in a supervisor's area.
    pub fn session_of_user(&self, user: &str, device_id: &str) -> Result<Session, AccountError> {
        let conn = self.pool.get()?;
        session_of(&conn, user, device_id.to_owned(), String::new())
    }

    /// Revokes every token of a user. Returns how many.
    pub fn revoke_tokens(&self, user: &str, now: Timestamp) -> Result<usize, AccountError> {
        Ok(self.pool.get()?.execute(
            "UPDATE token SET revoked_at = ?2 WHERE user_id = ?1 AND revoked_at IS NULL",
            params![user, now.0],
        )?)
    }

    /// Revokes one token, the one presented (signing out of the web pages): it touches no
    /// other session, whoever's device id it names.
    pub fn revoke_token(&self, token: &str) -> Result<usize, AccountError> {
        Ok(self.pool.get()?.execute(
            "UPDATE token SET revoked_at = ?2 WHERE hash = ?1 AND revoked_at IS NULL",
            params![token_hash(token), Timestamp::now().0],
        )?)
    }

    /// Every device that ever synced: (device id, user, last sync, pending records).
    pub fn devices(&self) -> Result<Vec<(String, String, Timestamp, u32)>, AccountError> {
        Ok(self
            .pool
            .get()?
            .prepare(
                "SELECT id, user_id, last_sync_at, pending FROM device ORDER BY last_sync_at DESC",
            )?
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, Timestamp(r.get(2)?), r.get(3)?))
            })?
            .collect::<Result<Vec<_>, _>>()?)
    }

    /// Notes that a device synced (the supervisor pages show each device's last sync). An idle
    /// device that synced in the last minute is not written again: phones sync every few
    /// minutes, and a write per idle sync would make the accounts file the server's bottleneck.
    pub fn record_sync(
        &self,
        session: &Session,
        pushed: usize,
        pending: u32,
        now: Timestamp,
    ) -> Result<(), AccountError> {
        let conn = self.pool.get()?;
        if pushed == 0 && pending == 0 {
            let last: Option<(i64, i64)> = conn
                .prepare_cached("SELECT last_sync_at, pending FROM device WHERE id = ?1")?
                .query_row([&session.device_id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            if last.is_some_and(|(t, p)| now.0 - t < 60_000 && p == 0) {
                return Ok(());
            }
        }
        conn.prepare_cached(
            "INSERT INTO device (id, user_id, last_sync_at, pushed, pending) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (id) DO UPDATE SET user_id = ?2, last_sync_at = ?3, pushed = pushed + ?4, pending = ?5",
        )?
        .execute(params![session.device_id, session.actor.user_id, now.0, pushed as i64, pending])?;
        Ok(())
    }
}

/// A user's session on a device: role, company and grants, read from the accounts file.
fn session_of(
    conn: &Connection,
    user: &str,
    device_id: String,
    session_id: String,
) -> Result<Session, AccountError> {
    let (display_name, role): (String, String) = conn
        .prepare_cached("SELECT display_name, role FROM user WHERE id = ?1")?
        .query_row([user], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or(AccountError::BadToken("the account no longer exists"))?;
    let role = Role::parse(&role).ok_or(AccountError::BadToken("the account's role is unknown"))?;
    let grants = conn
        .prepare_cached(
            "SELECT kind, value FROM user_scope WHERE user_id = ?1 ORDER BY kind, value",
        )?
        .query_map([user], |r| {
            Ok(ScopeGrant {
                kind: r.get(0)?,
                value: r.get(1)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let company = grants
        .iter()
        .find(|g| g.kind == "company")
        .map(|g| g.value.clone());
    Ok(Session {
        actor: Actor {
            company,
            ..Actor::new(user.to_owned(), role)
        },
        display_name,
        device_id,
        session_id,
        grants,
    })
}

/// How long a user's next sign-in is held back after `failures` failures: a quarter second
/// doubling to [`MAX_USER_DELAY`]. Short, because the real user waits it too.
fn user_delay(failures: i64) -> Duration {
    if failures < FREE_FAILURES {
        return Duration::ZERO;
    }
    let exp = (failures - FREE_FAILURES).clamp(0, 10) as u32;
    Duration::from_millis(250u64 << exp).min(MAX_USER_DELAY)
}

/// How long the `attempts`th attempt from an address keeps the next one back: a quarter second
/// doubling to [`MAX_ADDR_DELAY`].
fn addr_delay(attempts: i64) -> Duration {
    let exp = (attempts - FREE_FAILURES - 1).clamp(0, 10) as u32;
    Duration::from_millis(250u64 << exp).min(MAX_ADDR_DELAY)
}

/// A sign-in's server-issued identity: the first 32 hex digits of its token's hash.
fn session_id_of(token: &str) -> String {
    token_hash(token)[..32].to_owned()
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// An argon2id hash of a random password, checked against when the user does not exist.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$W7x7c0fl7J0mqyC8v4k0bI6Wbx1I4pPcAqQWrhJ3y6Q";

#[cfg(test)]
mod tests;
