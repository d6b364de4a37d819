//! When to try again after a failed sync: exponential backoff with jitter, never sooner than
//! the server asked (`Retry-After`), and what the failure means for the engine.

use std::time::Duration;

use super::EngineConfig;
use crate::error::Error;
use crate::messages::Message;

/// The longest `Retry-After` honoured: a server (or a proxy in front of it) that asks for more
/// is asked again after a day.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// The wait after the `failures`-th failure in a row (1 for the first): `backoff_first`
/// doubled per failure up to `backoff_max`, shortened by up to `jitter` of itself by `draw`
/// (uniform in 0..1), so phones that lost the server together do not come back together.
pub fn delay(failures: u32, config: &EngineConfig, draw: f64) -> Duration {
    let doublings = failures.saturating_sub(1).min(30);
    let nominal = config
        .backoff_first
        .saturating_mul(1u32 << doublings)
        .min(config.backoff_max);
    let jitter = config.jitter.clamp(0.0, 1.0) * draw.clamp(0.0, 1.0);
    nominal.mul_f64(1.0 - jitter)
}

/// What the server asked for with `Retry-After` (a 429 or a 503), if it did.
pub fn retry_after(e: &Error) -> Option<Duration> {
    let secs = match e {
        Error::TooManyAttempts { retry_after_secs } => *retry_after_secs,
        Error::Server {
            retry_after_secs: Some(s),
            ..
        } => *s,
        _ => return None,
    };
    Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER))
}

/// How the engine takes a failed sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The server was not reached: offline, try again later.
    Offline,
    /// The session is over: stop, and say so.
    SignedOut(Message),
    /// Anything else: try again later, showing why.
    Failed(Message),
}

/// Sorts a sync's error.
pub fn classify(e: &Error) -> Failure {
    match e {
        Error::Network { .. } => Failure::Offline,
        Error::Unauthorized { .. } => Failure::SignedOut(Message::new("sync.signed_out")),
        Error::DeviceWiped => Failure::SignedOut(Message::new("sync.device_wiped")),
        _ => Failure::Failed(match (e, retry_after(e)) {
            (_, Some(wait)) => Message::new("sync.server_busy").with("seconds", wait.as_secs()),
            (Error::Server { status, .. }, None) if *status >= 500 => {
                Message::new("sync.server_error").with("status", status)
            }
            _ => e.message(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> EngineConfig {
        EngineConfig {
            backoff_first: Duration::from_secs(5),
            backoff_max: Duration::from_secs(600),
            jitter: 0.25,
            ..EngineConfig::default()
        }
    }

    #[test]
    fn waits_double_up_to_the_cap_and_jitter_only_shortens() {
        let c = config();
        assert_eq!(delay(1, &c, 0.0), Duration::from_secs(5));
        assert_eq!(delay(2, &c, 0.0), Duration::from_secs(10));
        assert_eq!(delay(4, &c, 0.0), Duration::from_secs(40));
        assert_eq!(delay(40, &c, 0.0), Duration::from_secs(600));
        assert_eq!(delay(1, &c, 1.0), Duration::from_millis(3750));
        // Even the longest draw of one failure is shorter than the shortest of the next.
        for n in 1..7 {
            assert!(delay(n, &c, 0.0) < delay(n + 1, &c, 1.0));
        }
    }

    #[test]
    fn retry_after_is_kept_and_named() {
        let busy = Error::Server {
            status: 503,
            code: "unknown".into(),
            message: "busy".into(),
            retry_after_secs: Some(120),
        };
        assert_eq!(retry_after(&busy), Some(Duration::from_secs(120)));
        assert_eq!(
            classify(&busy),
            Failure::Failed(Message::new("sync.server_busy").with("seconds", 120))
        );
        let failed = Error::Server {
            status: 500,
            code: "internal".into(),
            message: "x".into(),
            retry_after_secs: None,
        };
        assert_eq!(retry_after(&failed), None);
        assert!(matches!(classify(&failed), Failure::Failed(m) if m.code == "sync.server_error"));
        assert_eq!(
            classify(&Error::Network { reason: "x".into() }),
            Failure::Offline
        );
        assert!(matches!(
            classify(&Error::Unauthorized { reason: "revoked".into() }),
            Failure::SignedOut(m) if m.code == "sync.signed_out"
        ));
    }
}
