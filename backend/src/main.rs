//! `cortile`: the one binary. `serve` (the default), `migrate`, `seed --demo`, `check-ledger`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use cortile::config::{Config, ENV_HELP};
use cortile::registry::demo::Scale;
use cortile::{telemetry, Application};

#[derive(Debug, Parser)]
#[command(
    name = "cortile",
    version,
    about = "Cortile: the community platform for the tenants of public housing.",
    long_about = "Cortile: the community platform for the tenants of public housing.\n\n\
        With no configuration it runs on embedded defaults: a SQLite database in ./data and the \
        web app from ./dist, served on http://127.0.0.1:8080.",
    after_help = ENV_HELP
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (the default): the API, the web app and migrations at start.
    #[command(after_help = ENV_HELP)]
    Serve {
        /// Load the demo data at start when the registry is empty.
        #[arg(long, env = "CORTILE_SEED_DEMO", value_name = "SCALE", num_args = 0..=1,
              default_missing_value = "small", value_enum)]
        seed_demo: Option<Scale>,
    },
    /// Apply pending database migrations and exit.
    #[command(after_help = ENV_HELP)]
    Migrate,
    /// Import the housing manager's export (one row per person) into the registry.
    ///
    /// All-or-nothing unless --partial. Exit code 0 when imported, 1 when rows were rejected
    /// and nothing was written (or the file cannot be read).
    #[command(name = "import-registry", after_help = ENV_HELP)]
    ImportRegistry {
        /// The export: CSV with Italian headers, `;` or `,`, UTF-8 or Windows-1252.
        file: std::path::PathBuf,
        /// Import the good rows even when some are rejected.
        #[arg(long)]
        partial: bool,
        /// Report what would change; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the report as JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Manage accounts.
    #[command(after_help = ENV_HELP)]
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage the API keys of Open311 partners (who may submit reports).
    #[command(name = "open311-key", after_help = ENV_HELP)]
    Open311Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// Check the time bank's ledger: recompute every balance from the entries and check the
    /// invariants (zero-sum banks and transfers, credit limits, idempotency keys).
    ///
    /// Exit code 0 when the ledger is sound, 1 when anything is off (each problem is named on
    /// its own line, with the account or transfer).
    #[command(name = "check-ledger", after_help = ENV_HELP)]
    CheckLedger,
    /// Load data into the database.
    #[command(after_help = ENV_HELP)]
    Seed {
        /// Load the demo registry (estates of Milan's public housing, with buildings and units).
        #[arg(long, required = true)]
        demo: bool,
        /// How much demo data: `small` (a few hundred homes) or `full` (about 28,000).
        #[arg(long, value_enum, default_value = "small")]
        scale: Scale,
    },
}

#[derive(Debug, Subcommand)]
enum KeyCommand {
    /// Create a partner's key and print it, once (only its SHA-256 digest is stored).
    Create {
        /// The partner's name (unique).
        #[arg(long)]
        name: String,
    },
    /// Revoke a partner's key.
    Revoke {
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a local account with one role; the password is read from standard input.
    ///
    /// Residents and applicants need --fiscal-code: their access follows from the registry.
    Create {
        #[arg(long)]
        username: String,
        /// resident, applicant, committee_member, custodian, building_admin, social_worker,
        /// operator, staff, moderator or admin.
        #[arg(long)]
        role: String,
        /// global (default), estate:CODE or building:CODE (codes of the registry).
        #[arg(long)]
        scope: Option<String>,
        /// The person's fiscal code, linking the account to the registry.
        #[arg(long)]
        fiscal_code: Option<String>,
        /// The name shown to others (default: the username).
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

/// Prints a one-line error and returns exit code 2 (bad configuration or start-up failure).
fn startup_failure(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("cortile: error: {message}");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => return startup_failure(e),
    };
    telemetry::init(&config.log_filter, config.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return startup_failure(format!("cannot start the async runtime: {e}")),
    };
    match cli.command.unwrap_or(Command::Serve { seed_demo: None }) {
        Command::Serve { seed_demo } => runtime.block_on(serve(Config {
            seed_demo,
            ..config
        })),
        Command::Migrate => migrate(&config),
        Command::CheckLedger => check_ledger(&config),
        Command::Seed { demo: _, scale } => seed(&config, scale),
        Command::Open311Key { command } => open311_key(&config, command),
        Command::User {
            command:
                UserCommand::Create {
                    username,
                    role,
                    scope,
                    fiscal_code,
                    display_name,
                    password_stdin: _,
                },
        } => create_user(
            &config,
            cortile::auth::account::AccountSpec {
                username,
                display_name,
                role,
                scope,
                fiscal_code,
                password: String::new(),
            },
        ),
        Command::ImportRegistry {
            file,
            partial,
            dry_run,
            json,
        } => import_registry(&config, &file, partial, dry_run, json),
    }
}

async fn serve(config: Config) -> ExitCode {
    let bind = config.bind;
    let kind = config.database.kind();
    let app = match Application::build(config).await {
        Ok(app) => app,
        Err(e) => return startup_failure(e),
    };
    tracing::info!(
        address = %app.local_addr(),
        requested = %bind,
        database = kind.as_str(),
        "Cortile is serving on http://{}",
        app.local_addr()
    );
    match app.run_until_stopped().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cortile: error: the server stopped: {e}");
            ExitCode::from(1)
        }
    }
}

fn open_db(config: &Config) -> Result<cortile::db::Db, ExitCode> {
    config.prepare_data_dir().map_err(startup_failure)?;
    // One connection: every command uses one at a time. With two, taking the first makes the
    // pool open the second on a background thread, and a quick command (a second `seed` that
    // finds data) returned from `main` while libpq was still connecting there: the process
    // died in the exit handlers, with a failure status and nothing on stderr.
    cortile::db::Db::open(&config.database, 1).map_err(startup_failure)
}

fn migrate(config: &Config) -> ExitCode {
    match open_db(config) {
        Ok(_) => {
            println!("migrations applied to {}", config.database.redacted());
            ExitCode::SUCCESS
        }
        Err(code) => code,
    }
}

fn check_ledger(config: &Config) -> ExitCode {
    let db = match open_db(config) {
        Ok(db) => db,
        Err(code) => return code,
    };
    let report = db
        .get()
        .and_then(|mut conn| cortile::timebank::check::check_ledger(&mut conn));
    match report {
        Ok(r) if r.ok() => {
            println!(
                "ledger OK: {} banks, {} accounts, {} transfers, {} entries; {} minutes held by members",
                r.banks, r.accounts, r.transfers, r.entries, r.minutes_held
            );
            ExitCode::SUCCESS
        }
        Ok(r) => {
            for p in &r.problems {
                println!("ledger problem: {p}");
            }
            eprintln!(
                "cortile: error: the ledger has {} problem(s) ({} accounts, {} transfers checked)",
                r.problems.len(),
                r.accounts,
                r.transfers
            );
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("cortile: error: the ledger could not be read: {e}");
            ExitCode::from(1)
        }
    }
}

fn seed(config: &Config, scale: Scale) -> ExitCode {
    let db = match open_db(config) {
        Ok(db) => db,
        Err(code) => return code,
    };
    let result = db
        .get()
        .map_err(|e| anyhow::anyhow!("{e}"))
        .and_then(|mut conn| {
            let registry = cortile::registry::demo::seed(&mut conn, scale)?;
            let now = chrono::Utc::now().naive_utc();
            let people = cortile::registry::demo_people::seed(&mut conn, scale, now)?;
            Ok((registry, people))
        });
    match result {
        Ok((registry, people)) if registry.is_some() || people.is_some() => {
            if let Some(r) = registry {
                println!(
                    "demo data loaded: {} estates, {} buildings, {} homes",
                    r.estates, r.buildings, r.units
                );
            }
            if let Some(p) = people {
                println!(
                    "demo people loaded: {} persons, {} applications, {} accounts (password {})",
                    p.persons,
                    p.applications,
                    p.accounts,
                    cortile::registry::demo_people::DEMO_PASSWORD
                );
            }
            ExitCode::SUCCESS
        }
        Ok(_) => {
            println!("the registry already has data; demo data was not loaded");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cortile: error: demo data could not be loaded: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn open311_key(config: &Config, command: KeyCommand) -> ExitCode {
    let db = match open_db(config) {
        Ok(db) => db,
        Err(code) => return code,
    };
    let now = chrono::Utc::now().naive_utc();
    let result = db
        .get()
        .map_err(|e| anyhow::anyhow!("{e}"))
        .and_then(|mut conn| match &command {
            KeyCommand::Create { name } => {
                cortile::open311::create_key(&mut conn, name, now).map(Some)
            }
            KeyCommand::Revoke { name } => cortile::open311::revoke_key(&mut conn, name, now)
                .and_then(|found| {
                    anyhow::ensure!(found, "no live key for {name:?}");
                    Ok(None)
                }),
        });
    match result {
        Ok(Some(key)) => {
            println!("{key}");
            eprintln!("this is the only time the key is shown: give it to the partner now");
            ExitCode::SUCCESS
        }
        Ok(None) => {
            println!("revoked");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cortile: error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn create_user(config: &Config, mut spec: cortile::auth::account::AccountSpec) -> ExitCode {
    let mut line = String::new();
    if let Err(e) = std::io::stdin().read_line(&mut line) {
        eprintln!("cortile: error: cannot read the password from standard input: {e}");
        return ExitCode::from(1);
    }
    spec.password = line.trim_end_matches(['\r', '\n']).to_owned();
    let db = match open_db(config) {
        Ok(db) => db,
        Err(code) => return code,
    };
    let now = chrono::Utc::now().naive_utc();
    let result = db
        .get()
        .and_then(|mut conn| cortile::auth::account::create_account(&mut conn, &spec, now));
    match result {
        Ok(id) => {
            println!(
                "created user {} (id {id}) with role {}",
                spec.username.trim().to_lowercase(),
                spec.role
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            let fields: Vec<String> = e
                .errors
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect();
            if fields.is_empty() {
                eprintln!(
                    "cortile: error: {}",
                    e.detail.unwrap_or_else(|| e.code.to_string())
                );
            } else {
                eprintln!("cortile: error: {}", fields.join("; "));
            }
            ExitCode::from(1)
        }
    }
}

fn import_registry(
    config: &Config,
    file: &std::path::Path,
    partial: bool,
    dry_run: bool,
    json: bool,
) -> ExitCode {
    use cortile::registry::import::{import_registry, ImportOptions, Outcome};

    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("cortile: error: cannot read {}: {e}", file.display());
            return ExitCode::from(1);
        }
    };
    let db = match open_db(config) {
        Ok(db) => db,
        Err(code) => return code,
    };
    let mut conn = match db.get() {
        Ok(c) => c,
        Err(e) => return startup_failure(format!("DATABASE_URL: {e}")),
    };
    let options = ImportOptions {
        partial,
        dry_run,
        source_name: file.display().to_string(),
        imported_by: "cli".into(),
    };
    let now = chrono::Utc::now().naive_utc();
    let report = match import_registry(&mut conn, &bytes, &options, now) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cortile: error: {}: {e}", file.display());
            return ExitCode::from(1);
        }
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        let verb = match report.outcome {
            Outcome::Applied => "imported",
            Outcome::Rejected => "rejected, nothing written",
            Outcome::DryRun => "dry run, nothing written",
        };
        println!(
            "{}: {verb} ({} rows, {:?}, separator {:?})",
            file.display(),
            report.rows_total,
            report.encoding,
            report.separator
        );
        println!(
            "created {}, updated {}, unchanged {}, ended {}, rejected {}",
            report.created, report.updated, report.unchanged, report.ended, report.rejected
        );
        for e in &report.errors {
            println!("  {e}");
        }
    }
    match report.outcome {
        Outcome::Rejected => ExitCode::from(1),
        Outcome::Applied | Outcome::DryRun => ExitCode::SUCCESS,
    }
}
