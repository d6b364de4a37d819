//! The real `gridwalk-server` command line, built inside this package so the end-to-end tests
//! can start it as a child process (and kill it) by path.

fn main() {
    if let Err(e) = gridwalk_server::cli::run() {
        eprintln!("gridwalk-server: {e}");
        std::process::exit(1);
    }
}
