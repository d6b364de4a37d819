//! Remote wipe (issue 17): an administrator orders a device wiped (`admin wipe-device`, for a
//! lost or stolen phone); its next sync is answered 410 `device_wiped` before anything is read
//! or sent, and the phone erases its store and photos. The order stays, so the phone (or an old
//! copy of its data) gets nothing more under that device id; a wiped phone signs in again as a
//! new device (its device id lived in the erased store).

use rusqlite::{OptionalExtension, params};

use super::{AccountError, Accounts};
use gridwalk_core::Timestamp;

/// The table of wipe orders, made with the accounts file.
pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS device_wipe (
    device_id    TEXT PRIMARY KEY,
    ordered_at   INTEGER NOT NULL,
    delivered_at INTEGER
);
";

impl Accounts {
    /// Orders `device_id` wiped at its next contact. Returns whether it is a device that ever
    /// synced or signed in (the order is kept either way).
    pub fn order_device_wipe(&self, device_id: &str, now: Timestamp) -> Result<bool, AccountError> {
        let conn = self.pool.get()?;
        conn.execute(
            "INSERT INTO device_wipe (device_id, ordered_at) VALUES (?1, ?2)
             ON CONFLICT (device_id) DO NOTHING",
            params![device_id, now.0],
        )?;
        let known: Option<i64> = conn
            .query_row(
                "SELECT 1 FROM device WHERE id = ?1 UNION SELECT 1 FROM token WHERE device_id = ?1",
                [device_id],
                |r| r.get(0),
            )
            .optional()?;
        tracing::warn!(device = device_id, "device ordered wiped");
        Ok(known.is_some())
    }

    /// Whether `device_id` is ordered wiped; notes the first time the order is delivered.
    pub fn take_device_wipe(&self, device_id: &str, now: Timestamp) -> Result<bool, AccountError> {
        let conn = self.pool.get()?;
        let ordered = conn
            .prepare_cached("SELECT delivered_at FROM device_wipe WHERE device_id = ?1")?
            .query_row([device_id], |r| r.get::<_, Option<i64>>(0))
            .optional()?;
        match ordered {
            None => Ok(false),
            Some(delivered) => {
                if delivered.is_none() {
                    conn.execute(
                        "UPDATE device_wipe SET delivered_at = ?2 WHERE device_id = ?1",
                        params![device_id, now.0],
                    )?;
                    tracing::warn!(device = device_id, "wipe order delivered");
                }
                Ok(true)
            }
        }
    }
}
