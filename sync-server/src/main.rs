//! `gridwalk-server`: see `gridwalk_server::cli` for its commands.

fn main() {
    if let Err(e) = gridwalk_server::cli::run() {
        eprintln!("gridwalk-server: {e}");
        std::process::exit(1);
    }
}
