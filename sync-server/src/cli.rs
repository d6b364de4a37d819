//! The command line: `serve`, `demo`, and `admin` commands. Every flag can also be set by an
//! environment variable (`GRIDWALK_DATA_DIR`, `GRIDWALK_LISTEN`, …).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use gridwalk_core::records::reference::{ReferenceItem, ReferenceKind};
use gridwalk_core::store::{StoreKind, StoreOptions};
use gridwalk_core::{Role, Store, Timestamp};

use crate::accounts::ScopeGrant;
use crate::server::{RECORDS_DB, ServerConfig, lock_data_dir, open_data, serve};

/// Gridwalk's sync server.
#[derive(Debug, Parser)]
#[command(name = "gridwalk-server", version)]
pub struct Cli {
    /// Directory of the server's SQLite files.
    #[arg(long, env = "GRIDWALK_DATA_DIR", global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the sync API.
    Serve(ServeArgs),
    /// Seed a demo district (if the data directory is empty), print its users, and serve.
    Demo {
        #[command(flatten)]
        serve: ServeArgs,
        /// Households in the demo district.
        #[arg(long, default_value_t = 2000)]
        households: usize,
    },
    /// Manage users and reference data.
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "GRIDWALK_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Seconds a sign-in token lives.
    #[arg(long, env = "GRIDWALK_TOKEN_TTL_SECS", default_value_t = 30 * 24 * 3600)]
    token_ttl_secs: u64,
    /// Largest request body in bytes.
    #[arg(long, env = "GRIDWALK_MAX_BODY_BYTES", default_value_t = 16 * 1024 * 1024)]
    max_body_bytes: usize,
    /// About how many bytes of changes one sync answer carries.
    #[arg(long, env = "GRIDWALK_PULL_BUDGET_BYTES", default_value_t = 2 * 1024 * 1024)]
    pull_budget_bytes: usize,
    /// Mark the web session cookie `Secure`: set it when the pages are served over TLS, by
    /// this server or by a proxy in front of it (browsers then never send the cookie in the
    /// clear).
    #[arg(long, env = "GRIDWALK_SECURE_COOKIES", default_value_t = false)]
    secure_cookies: bool,
    /// Take a request's client address from the last `X-Forwarded-For` entry: set it only
    /// behind a proxy of your own that appends it (nginx `proxy_add_x_forwarded_for`), so the
    /// sign-in slow-down counts each real client rather than the proxy. Without a proxy, a
    /// client could name any address.
    #[arg(long, env = "GRIDWALK_TRUST_FORWARDED_FOR", default_value_t = false)]
    trust_forwarded_for: bool,
    /// Seconds a client has to send a request's whole header (and a kept-alive connection may
    /// sit idle); slower connections are closed.
    #[arg(long, env = "GRIDWALK_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    header_timeout_secs: u64,
    /// Seconds a request body may go without sending a byte before the request is given up
    /// (an idle timeout: a large upload on a slow phone takes as long as it keeps moving).
    #[arg(long, env = "GRIDWALK_BODY_IDLE_TIMEOUT_SECS", default_value_t = 30)]
    body_idle_timeout_secs: u64,
    /// The lowest average rate, in bytes a second, of a request body once
    /// `--body-rate-grace-secs` have passed (0: none): a client trickling a body is given up.
    #[arg(long, env = "GRIDWALK_MIN_BODY_RATE", default_value_t = 1024)]
    min_body_rate: u64,
    /// Seconds a request body may take before its average rate is judged.
    #[arg(long, env = "GRIDWALK_BODY_RATE_GRACE_SECS", default_value_t = 10)]
    body_rate_grace_secs: u64,
    /// Connections served at once; further ones wait to be accepted.
    #[arg(long, env = "GRIDWALK_MAX_CONNECTIONS", default_value_t = 1024)]
    max_connections: usize,
    /// Seconds a web session may go unused before it is signed out (the token's lifetime,
    /// `--token-ttl-secs`, still ends it in any case).
    #[arg(long, env = "GRIDWALK_WEB_IDLE_SECS", default_value_t = 30 * 60)]
    web_idle_secs: u64,
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Add a user, or replace an existing user's name, role, password and scopes.
    AddUser {
        /// Login name.
        #[arg(long)]
        username: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// grid_worker, inspector, company_staff, supervisor or admin.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Password (at least 8 characters).
        #[arg(long, env = "GRIDWALK_NEW_PASSWORD")]
        password: String,
        /// Scopes: grid:<code>, community:<code>, district:<code>, company:<code>. Repeatable.
        #[arg(long = "scope")]
        scopes: Vec<ScopeGrant>,
    },
    /// Preview a ledger (台账, CSV or XLSX) as USER would on the ledger page; with --commit,
    /// write it the same way.
    ImportLedger {
        /// The ledger file.
        file: std::path::PathBuf,
        /// Whose area the import is judged and written in.
        #[arg(long = "as")]
        as_user: String,
        /// Write the previewed changes.
        #[arg(long)]
        commit: bool,
    },
    /// Order a device wiped (a lost phone): its next sync erases its store and photos.
    WipeDevice {
        /// The device id (`admin devices` or the supervisor pages list them).
        device: String,
    },
    /// Revoke every token of a user.
    RevokeTokens {
        /// Login name.
        #[arg(long)]
        username: String,
    },
    /// Add a community.
    AddCommunity(PlaceArgs),
    /// Add a grid to a community.
    AddGrid(PlaceArgs),
    /// Add a compound to a community.
    AddCompound(PlaceArgs),
    /// Add a building to a compound.
    AddBuilding(PlaceArgs),
    /// Add a property company.
    AddCompany(PlaceArgs),
    /// Add (or change) an issue-report category as the district's 权责清单 lists it: the
    /// department that handles its reports and the time they have (处置时限).
    AddCategory {
        /// Its code.
        #[arg(long)]
        code: String,
        /// Its display name, for example 占道经营.
        #[arg(long)]
        name: String,
        /// The department that handles it, for example 区城市管理局.
        #[arg(long)]
        department: String,
        /// Hours a report of it may take to be handled (calendar hours: 3 working days is
        /// about 120).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=8760))]
        limit_hours: u32,
    },
    /// Copy the records (records.db) to one SQLite file with SQLite's online backup: safe while
    /// the server serves. Accounts and photos are not in it (see the README).
    Backup {
        /// The file to write (replaced if it exists; written whole before it appears).
        #[arg(long)]
        to: PathBuf,
    },
    /// Replace the records with a backup, while the server is stopped. The change log gets a new
    /// identity: every device downloads again and re-sends what the backup lacks.
    Restore {
        /// A file written by `admin backup`.
        #[arg(long)]
        from: PathBuf,
    },
}

#[derive(Debug, Args)]
struct PlaceArgs {
    /// Its code.
    #[arg(long)]
    code: String,
    /// Its display name.
    #[arg(long)]
    name: String,
    /// The code of what it belongs to: a grid's or compound's community, a building's compound.
    #[arg(long)]
    parent: Option<String>,
    /// For a compound or a building: the grid it lies in (a building without one lies in its
    /// compound's grid; a compound split between grids names none, and its buildings do).
    #[arg(long)]
    grid: Option<String>,
    /// For a compound: the property company that serves it.
    #[arg(long)]
    company: Option<String>,
}

/// Checks a place an administrator adds against the places it names: its parent exists and is
/// of the right level, its grid lies in the same community, its company exists.
fn check_place(store: &gridwalk_core::Store, item: &ReferenceItem) -> Result<(), String> {
    use gridwalk_core::rules::places::PlaceBook;
    let all = store.all_reference_items().map_err(|e| e.to_string())?;
    let book = all.as_slice();
    let parent_kind = match item.kind {
        ReferenceKind::Grid | ReferenceKind::Compound => Some(ReferenceKind::Community),
        ReferenceKind::Building => Some(ReferenceKind::Compound),
        _ => None,
    };
    let parent = match (parent_kind, &item.parent_id) {
        (None, _) => None,
        (Some(_), None) => return Err(format!("a {} needs --parent", item.kind.as_str())),
        (Some(k), Some(p)) => Some(
            book.place(k, p)
                .ok_or_else(|| format!("there is no {} {p}", k.as_str()))?,
        ),
    };
    if let Some(g) = &item.grid_id {
        if !matches!(item.kind, ReferenceKind::Compound | ReferenceKind::Building) {
            return Err("only a compound or a building lies in a grid".into());
        }
        let grid = book
            .place(ReferenceKind::Grid, g)
            .ok_or_else(|| format!("there is no grid {g}"))?;
        let community = match (item.kind, &parent) {
            (ReferenceKind::Building, Some(compound)) => compound.parent_id.clone(),
            (_, Some(community)) => Some(community.id.clone()),
            _ => None,
        };
        if grid.parent_id != community {
            return Err(format!("grid {g} is not in the place's community"));
        }
    } else if item.kind == ReferenceKind::Compound {
        eprintln!(
            "note: compound {} names no grid; each of its buildings must name one (--grid)",
            item.id
        );
    }
    if let Some(c) = &item.company_id {
        if item.kind != ReferenceKind::Compound {
            return Err("only a compound is served by a company".into());
        }
        book.place(ReferenceKind::Company, c)
            .ok_or_else(|| format!("there is no company {c}"))?;
    }
    Ok(())
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| {
        format!("{s:?} is not a role: grid_worker, inspector, company_staff, supervisor, admin")
    })
}

/// Runs the command line.
pub fn run() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        // Colours only for a person at a terminal: a log file or the journal gets plain text
        // that `grep` finds.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => {
            let config = config(
                cli.data_dir.unwrap_or_else(|| "gridwalk-data".into()),
                &args,
            );
            let _lock = lock_data_dir(&config.data_dir)?;
            let data = open_data(&config.data_dir, config.token_ttl)?;
            runtime()?.block_on(serve(&config, data))
        }
        Command::Demo {
            serve: args,
            households,
        } => {
            let config = config(
                cli.data_dir.unwrap_or_else(|| "gridwalk-demo-data".into()),
                &args,
            );
            let _lock = lock_data_dir(&config.data_dir)?;
            let data = open_data(&config.data_dir, config.token_ttl)?;
            crate::demo::seed_if_empty(&data, households)?;
            runtime()?.block_on(serve(&config, data))
        }
        Command::Admin(AdminCommand::Backup { to }) => {
            backup(&cli.data_dir.unwrap_or_else(|| "gridwalk-data".into()), &to)
        }
        Command::Admin(AdminCommand::Restore { from }) => restore(
            &cli.data_dir.unwrap_or_else(|| "gridwalk-data".into()),
            &from,
        ),
        Command::Admin(cmd) => {
            let data = open_data(
                &cli.data_dir.unwrap_or_else(|| "gridwalk-data".into()),
                Duration::from_secs(3600),
            )?;
            admin(cmd, &data)
        }
    }
}

/// `admin backup`: the records as one file, while the server may be serving.
fn backup(dir: &Path, to: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let records = dir.join(RECORDS_DB);
    if !records.exists() {
        return Err(format!("{} holds no records to back up", dir.display()).into());
    }
    let store = Store::open_with(
        &records,
        StoreOptions {
            kind: StoreKind::Server,
            readers: 1,
        },
    )?;
    store.backup_to(to)?;
    println!(
        "backed up {} to {} (change log {:016x})",
        records.display(),
        to.display(),
        store.log_id()?
    );
    Ok(())
}

/// `admin restore`: only with the server stopped (its lock is taken for the duration).
fn restore(dir: &Path, from: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let _lock = lock_data_dir(dir)?;
    let id = Store::restore_from(from, &dir.join(RECORDS_DB))?;
    println!(
        "restored {} from {}; the change log is now {id:016x}: devices download again and \
         re-send what the backup lacks on their next sync",
        dir.join(RECORDS_DB).display(),
        from.display()
    );
    Ok(())
}

fn config(data_dir: PathBuf, args: &ServeArgs) -> ServerConfig {
    ServerConfig {
        data_dir,
        listen: args.listen,
        token_ttl: Duration::from_secs(args.token_ttl_secs),
        max_body: args.max_body_bytes,
        pull_budget: args.pull_budget_bytes,
        secure_cookies: args.secure_cookies,
        trust_forwarded_for: args.trust_forwarded_for,
        limits: crate::connections::ConnectionLimits {
            header_read_timeout: Duration::from_secs(args.header_timeout_secs.max(1)),
            body_idle_timeout: Duration::from_secs(args.body_idle_timeout_secs.max(1)),
            max_connections: args.max_connections.max(1),
            min_body_rate: args.min_body_rate,
            body_rate_grace: Duration::from_secs(args.body_rate_grace_secs),
        },
        web_idle: Duration::from_secs(args.web_idle_secs.max(1)),
    }
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

fn admin(cmd: AdminCommand, data: &crate::server::Data) -> Result<(), Box<dyn std::error::Error>> {
    let place = |kind: ReferenceKind, a: PlaceArgs| -> Result<(), Box<dyn std::error::Error>> {
        let item = ReferenceItem {
            grid_id: a.grid,
            company_id: a.company,
            ..ReferenceItem::new(kind, &a.code, a.parent.as_deref(), &a.name)
        };
        check_place(&data.store, &item)?;
        let version = data.store.add_reference(std::slice::from_ref(&item))?;
        println!(
            "added {} {} (reference data version {version})",
            kind.as_str(),
            a.code
        );
        Ok(())
    };
    match cmd {
        AdminCommand::AddUser {
            username,
            name,
            role,
            password,
            scopes,
        } => {
            data.accounts
                .add_user(&username, &name, role, &password, &scopes)?;
            println!(
                "user {username} ({role}) saved with {} scope(s)",
                scopes.len()
            );
        }
        AdminCommand::WipeDevice { device } => {
            let known = data.accounts.order_device_wipe(&device, Timestamp::now())?;
            if known {
                println!("device {device} will be wiped at its next sync");
            } else {
                println!("device {device} has never signed in here; it will be wiped if it does");
            }
        }
        AdminCommand::RevokeTokens { username } => {
            let n = data.accounts.revoke_tokens(&username, Timestamp::now())?;
            println!("revoked {n} token(s) of {username}");
        }
        AdminCommand::ImportLedger {
            file,
            as_user,
            commit,
        } => import_ledger(data, &file, &as_user, commit)?,
        AdminCommand::AddCommunity(a) => place(ReferenceKind::Community, a)?,
        AdminCommand::AddGrid(a) => place(ReferenceKind::Grid, a)?,
        AdminCommand::AddCompound(a) => place(ReferenceKind::Compound, a)?,
        AdminCommand::AddBuilding(a) => place(ReferenceKind::Building, a)?,
        AdminCommand::AddCompany(a) => place(ReferenceKind::Company, a)?,
        AdminCommand::AddCategory {
            code,
            name,
            department,
            limit_hours,
        } => {
            let item = ReferenceItem::category(&code, &name, &department, limit_hours);
            let version = data.store.add_reference(std::slice::from_ref(&item))?;
            println!(
                "added category {code}: {department}, {limit_hours} h (reference data version {version})"
            );
        }
        // Handled before the data directory is opened (see `run`).
        AdminCommand::Backup { .. } | AdminCommand::Restore { .. } => {
            unreachable!("backup and restore do not open the data directory first")
        }
    }
    Ok(())
}

/// `admin import-ledger`: the ledger page's preview and commit, from the command line.
fn import_ledger(
    data: &crate::server::Data,
    file: &std::path::Path,
    user: &str,
    commit: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    use crate::ledger::import::{self, Status};
    use gridwalk_core::messages::Lang;
    let session = data.accounts.session_of_user(user, "cli:import-ledger")?;
    let grids: Vec<String> = crate::scope::scopes_of(&session, &data.store)?
        .iter()
        .filter_map(|s| s.strip_prefix("grid:"))
        .map(str::to_owned)
        .collect();
    let area = (session.actor.role != Role::Admin).then_some(grids.as_slice());
    let bytes = std::fs::read(file)?;
    let started = std::time::Instant::now();
    let ledger = import::read(&bytes).map_err(|e| e.message().render(Lang::ZhCn))?;
    let preview =
        import::preview(ledger, &data.store, area).map_err(|e| e.message().render(Lang::ZhCn))?;
    println!(
        "rows {} · households {} (new {}, changed {}, unchanged {}) · residents {} · moved here {} · to check {} · bad rows {} · places to create {} · {:.2?}",
        preview.rows,
        preview.households.len(),
        preview.count(Status::New),
        preview.count(Status::Changed),
        preview.count(Status::Unchanged),
        preview.residents(),
        preview.moved(),
        preview.to_check.len(),
        preview.bad.len(),
        preview.created.len(),
        started.elapsed()
    );
    for w in &preview.warnings {
        println!("warning: {}", w.render(Lang::ZhCn));
    }
    for s in preview.skipped_counts() {
        println!("{}", s.render(Lang::ZhCn));
    }
    if !preview.ignored.is_empty() {
        println!("ignored columns: {}", preview.ignored.join("、"));
    }
    for c in &preview.created {
        println!("create {} {} ({})", c.kind.as_str(), c.name, c.id);
    }
    for b in preview.bad.iter().take(import::SHOWN_BAD_ROWS) {
        println!(
            "bad line {}: {} — {}",
            b.line,
            b.who,
            b.reason.render(Lang::ZhCn)
        );
    }
    for b in preview.to_check.iter().take(import::SHOWN_BAD_ROWS) {
        println!(
            "check line {}: {} — {}",
            b.line,
            b.who,
            b.reason.render(Lang::ZhCn)
        );
    }
    if commit {
        let ids = import::commit(&data.store, &session.actor, &preview)
            .map_err(|e| e.message().render(Lang::ZhCn))?;
        println!(
            "committed: {} households written in {:.2?}",
            ids.len(),
            started.elapsed()
        );
    }
    Ok(())
}
