//! What every request handler shares: the store, the accounts, the server's settings and the
//! pages' templates. Neither the API (`api`) nor the pages (`web`) own it, so neither imports the
//! other.

use std::sync::Arc;

use axum::http::HeaderMap;
use gridwalk_core::Store;

use crate::accounts::Accounts;

/// What every request handler shares.
pub struct AppState {
    /// Records, projections and the change log.
    pub store: Arc<Store>,
    /// Users, tokens, devices.
    pub accounts: Arc<Accounts>,
    /// Largest accepted request body.
    pub max_body: usize,
    /// About how many bytes of changes one sync answer carries.
    pub pull_budget: usize,
    /// Whether the web session cookie is marked `Secure`.
    pub secure_cookies: bool,
    /// Whether a request's client address is the last entry of its `X-Forwarded-For` header
    /// (set by the server's own proxy) rather than the connection's address.
    pub trust_forwarded_for: bool,
    /// The supervisors' pages: their compiled templates and login-form key.
    pub web: crate::web::Web,
}

impl AppState {
    /// A request's client address, as the sign-in slow-down counts it: the connection's
    /// address, or with `--trust-forwarded-for` the last `X-Forwarded-For` entry (the one the
    /// server's own proxy appended; earlier entries are the client's word). Empty when neither
    /// is known.
    pub fn client_address(
        &self,
        connected: Option<std::net::SocketAddr>,
        headers: &HeaderMap,
    ) -> String {
        client_address(self.trust_forwarded_for, connected, headers)
    }
}

fn client_address(
    trust_forwarded_for: bool,
    connected: Option<std::net::SocketAddr>,
    headers: &HeaderMap,
) -> String {
    if trust_forwarded_for {
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .last()
            .and_then(|last| last.trim().parse::<std::net::IpAddr>().ok());
        if let Some(ip) = forwarded {
            return ip.to_string();
        }
    }
    connected.map(|c| c.ip().to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_address_is_the_proxys_last_forwarded_entry_only_when_trusted() {
        let connected = Some("127.0.0.1:5000".parse().unwrap());
        let mut headers = HeaderMap::new();
        headers.append("x-forwarded-for", "6.6.6.6, 203.0.113.5".parse().unwrap());
        headers.append("x-forwarded-for", " 198.51.100.2 ".parse().unwrap());
        assert_eq!(client_address(false, connected, &headers), "127.0.0.1");
        // The proxy appends the address it saw; what comes before is the client's word.
        assert_eq!(client_address(true, connected, &headers), "198.51.100.2");
        let mut forged = HeaderMap::new();
        forged.append("x-forwarded-for", "not an address".parse().unwrap());
        assert_eq!(client_address(true, connected, &forged), "127.0.0.1");
        assert_eq!(client_address(true, None, &HeaderMap::new()), "");
    }
}
