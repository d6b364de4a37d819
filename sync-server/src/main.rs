//! The Gridwalk sync server. Its endpoints, accounts and demo arrive with the sync issue.

fn main() {
    eprintln!("gridwalk-server: the sync server is not built yet; see the sync issue.");
    std::process::exit(2);
}
