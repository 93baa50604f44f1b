//! The `truestock` command line. Each subcommand is a thin wrapper over a library function.

use std::io::IsTerminal as _;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use secrecy::{ExposeSecret as _, SecretString};

use truestock::auth::password::PasswordHasher;
use truestock::config::Settings;
use truestock::{demo, operator, startup, telemetry};

#[derive(Parser)]
#[command(
    name = "truestock",
    version,
    about = "Inventory governance for retailers that run Odoo"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Database setup that needs a superuser
    #[command(subcommand)]
    Db(DbCommand),
    /// Apply control-plane migrations, then every tenant's (bounded parallel, resumable)
    Migrate {
        /// How many tenants to migrate at once
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
        parallel: u16,
    },
    /// Run the web server, with job workers in-process unless --no-workers
    Serve {
        /// Serve only; run jobs in separate `truestock worker` processes
        #[arg(long)]
        no_workers: bool,
        #[command(flatten)]
        slots: Slots,
    },
    /// Run job workers only (any number of processes, anywhere)
    Worker {
        #[command(flatten)]
        slots: Slots,
    },
    /// Pull a tenant's Odoo now (queued for the workers, or run here with --wait)
    Sync {
        /// Tenant slug
        slug: String,
        /// Read everything again from the beginning, not only what changed
        #[arg(long)]
        full: bool,
        /// Run the pull in this process and wait for it; exits non-zero if it fails
        #[arg(long)]
        wait: bool,
    },
    /// Inspect and steer the job queue
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// The master key that seals stored secrets
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Manage tenants
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Manage accounts (operator only)
    #[command(subcommand)]
    User(UserCommand),
    /// Start a demo: its own database, a demo tenant with one user per role, then serve (dev mode)
    Demo {
        /// Drop the demo database first and start over
        #[arg(long)]
        reset: bool,
    },
    /// Exit 0 if the local server answers /healthz (for container health checks)
    Healthcheck,
    /// Serve a simulated Odoo (for the demo, tests and trying TrueStock without a real Odoo)
    OdooSim {
        /// Odoo version to behave as: 16, 17, 18 or 19, or an Odoo Online build such as saas~17.4
        #[arg(long, default_value = "17")]
        odoo_version: String,
        /// Dataset: retail-S, retail-M or retail-L
        #[arg(long, default_value = "retail-M", value_parser = ["retail-S", "retail-M", "retail-L"])]
        dataset: String,
        /// Port on 127.0.0.1 (0 picks a free one)
        #[arg(long, default_value_t = 8069)]
        port: u16,
        /// Seed of the generated data (same seed, same data)
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// API key to accept (default: a new random one, printed)
        #[arg(long)]
        api_key: Option<String>,
        /// Generate the dataset afresh instead of reusing the one cached in TRUESTOCK_DATA_DIR/odoo-sim
        #[arg(long)]
        no_cache: bool,
        /// Keep the data moving (sales, receipts, returns, scraps, counts, quant merges)
        #[arg(long)]
        live: bool,
        /// Live mode: milliseconds between ticks
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(10..=3_600_000))]
        live_interval_ms: u64,
        /// Fault: delay before every answer, in milliseconds
        #[arg(long, default_value_t = 0)]
        latency_ms: u64,
        /// Fault: extra delay of each search_read page, in milliseconds (holds a worker, as in Odoo)
        #[arg(long, default_value_t = 0)]
        page_latency_ms: u64,
        /// Fault: share of requests answered 502 by "the proxy" (0 to 1)
        #[arg(long, default_value_t = 0.0)]
        error_rate: f64,
        /// Fault: share of connections dropped mid-answer (0 to 1)
        #[arg(long, default_value_t = 0.0)]
        drop_rate: f64,
        /// Fault: refuse every call on this model with AccessError (repeatable)
        #[arg(long)]
        deny_model: Vec<String>,
    },
    /// Benchmarks: each provisions its own database and prints one JSON line of results
    #[command(subcommand)]
    Bench(BenchCommand),
}

/// How many jobs a worker process runs at once.
#[derive(clap::Args)]
struct Slots {
    /// Concurrent Odoo pulls
    #[arg(long, env = "TRUESTOCK_PULL_SLOTS", default_value_t = 2, value_parser = clap::value_parser!(u16).range(0..=64))]
    pull_slots: u16,
    /// Concurrent pushes, emails and maintenance jobs (never behind a pull)
    #[arg(long, env = "TRUESTOCK_JOB_SLOTS", default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
    slots: u16,
}

impl Slots {
    fn worker_config(&self) -> truestock::jobs::worker::WorkerConfig {
        let mut config =
            truestock::jobs::worker::WorkerConfig::new(&truestock::jobs::worker::WorkerConfig::process_name());
        config.pull_slots = usize::from(self.pull_slots);
        config.other_slots = usize::from(self.slots);
        config
    }
}

#[derive(Subcommand)]
enum JobsCommand {
    /// The newest jobs first
    List {
        /// Only this tenant's jobs (slug)
        #[arg(long)]
        tenant: Option<String>,
        /// Only jobs in this state
        #[arg(long, value_parser = ["queued", "running", "done", "discarded", "cancelled"])]
        state: Option<String>,
        /// How many
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=1000))]
        limit: u64,
    },
    /// Queue a discarded or cancelled job again, with a fresh set of attempts
    Retry { id: i64 },
    /// Cancel a queued or running job (a running job stops at its next heartbeat)
    Cancel { id: i64 },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// The Odoo simulator serving quant pages to concurrent clients, and the client's decode rate
    Odoo {
        /// Dataset: retail-S, retail-M or retail-L
        #[arg(long, default_value = "retail-M", value_parser = ["retail-S", "retail-M", "retail-L"])]
        dataset: String,
        /// Concurrent clients
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
        clients: u16,
        /// Times each client reads every quant
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=100))]
        rounds: u16,
    },
    /// The first full sync, an incremental pull and a quant reconciliation against a simulated Odoo in
    /// its own process, with the time COPY takes for the same rows
    Sync {
        /// Dataset: retail-S, retail-M or retail-L
        #[arg(long, default_value = "retail-L", value_parser = ["retail-S", "retail-M", "retail-L"])]
        dataset: String,
        /// Odoo version the simulator behaves as
        #[arg(long, default_value_t = 17, value_parser = clap::value_parser!(u8).range(16..=19))]
        odoo_version: u8,
    },
    /// The stock screens' server time and overhead per view, and the highest open-loop rate of mixed
    /// views with p99 under 200 ms (provisions and keeps a synced tenant per dataset)
    Stock {
        /// Dataset: retail-S, retail-M or retail-L
        #[arg(long, default_value = "retail-L", value_parser = ["retail-S", "retail-M", "retail-L"])]
        dataset: String,
        /// Seconds of load at each rate
        #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(5..=600))]
        load_seconds: u32,
    },
    /// Outbox throughput: alert emails written to the outbox, then delivered over SMTP to an
    /// in-process sink by a worker
    Email {
        /// How many emails
        #[arg(long, default_value_t = 2_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
        messages: u32,
        /// Email worker slots (concurrent deliveries)
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
        slots: u16,
    },
    /// The open-loop load generator `bench stock` runs as a second process
    Load {
        /// The server's base URL (http://host:port)
        #[arg(long)]
        url: String,
        /// The Cookie header to send
        #[arg(long)]
        cookie: String,
        /// Requests per second
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        rate: u32,
        /// Seconds to keep the rate
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=600))]
        seconds: u32,
        /// A file with one path per line, requested in turn
        #[arg(long)]
        paths: std::path::PathBuf,
    },
    /// Sign-in latency and requests per second for an authenticated page (needs `wrk`)
    Web {
        /// Sequential sign-ins to time
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u16).range(1..=1000))]
        sign_ins: u16,
        /// wrk connections
        #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1000))]
        connections: u32,
        /// wrk duration in seconds
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=600))]
        seconds: u32,
    },
}

#[derive(Subcommand)]
enum DbCommand {
    /// Create the roles ts_owner and ts_app, the database of TRUESTOCK_DATABASE_URL and its grants (idempotent)
    Init {
        /// Superuser connection URL (default: TRUESTOCK_SUPERUSER_URL)
        #[arg(long)]
        superuser_url: Option<String>,
    },
}

#[derive(Subcommand)]
enum TenantCommand {
    /// Create a tenant: its control row, schema and role, migrated
    Create {
        /// URL name: 2-40 of a-z, 0-9 and -
        slug: String,
        /// Display name
        name: String,
    },
    /// List tenants
    List,
    /// Set a tenant's Odoo connection and test it (the key is read from a file, never an argument)
    Connect {
        /// Tenant slug
        slug: String,
        /// The Odoo's address, e.g. https://acme.odoo.com
        #[arg(long)]
        url: String,
        /// The Odoo database name
        #[arg(long = "db")]
        database: String,
        /// The login of the Odoo user TrueStock connects as
        #[arg(long)]
        login: String,
        /// A file holding the user's API key (`-` reads it from standard input); without it the stored
        /// key is kept, unless URL, database or login change
        #[arg(long)]
        api_key_file: Option<std::path::PathBuf>,
        /// When the API key expires (YYYY-MM-DD; Odoo 19 keys always do)
        #[arg(long)]
        key_expires: Option<chrono::NaiveDate>,
        /// Confirm connecting to another Odoo database than the one the tenant's data comes from
        #[arg(long)]
        confirm_reset: bool,
        /// Pull changes from Odoo every N minutes (1 to 1440; default 5, or as set before)
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1440))]
        pull_every_minutes: Option<u32>,
        /// The first sync reads documents M months back (1 to 120; default 24, or as set before)
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=120))]
        horizon_months: Option<u32>,
    },
    /// Make a new secret webhook URL for the tenant's Odoo automation rule (the old URL stops working)
    Webhook {
        /// Tenant slug
        slug: String,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Reseal every stored Odoo API key under TRUESTOCK_MASTER_KEY (old keys in TRUESTOCK_PREVIOUS_MASTER_KEYS)
    Rotate,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add an account (if new) and its membership of a tenant
    Add {
        email: String,
        /// Tenant slug
        #[arg(long)]
        tenant: String,
        /// Roles, comma-separated: viewer, manager, steward, finance, admin
        #[arg(long)]
        role: String,
        /// Display name (default: the part of the email before @)
        #[arg(long)]
        name: Option<String>,
    },
    /// Disable an account; its sessions end at once
    Disable { email: String },
}

fn main() -> ExitCode {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<ExitCode, String> {
    let err = |e: &dyn std::fmt::Display| e.to_string();
    telemetry::init(telemetry::format_from_env());
    if let Command::Demo { reset } = command {
        demo::run(reset).await.map_err(|e| err(&e))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut settings = Settings::from_env().map_err(|e| err(&e))?;
    match command {
        Command::Db(DbCommand::Init { superuser_url }) => {
            if let Some(url) = superuser_url {
                settings.superuser_url = SecretString::from(url);
            }
            let name = operator::init_database(&settings).await.map_err(|e| err(&e))?;
            println!("database {name} is ready (roles ts_owner, ts_app; schema ext with pg_trgm)");
        }
        Command::Migrate { parallel } => {
            let owner = operator::owner_pool(&settings, u32::from(parallel) + 1)
                .await
                .map_err(|e| err(&e))?;
            let report = operator::migrate_all(&owner, usize::from(parallel))
                .await
                .map_err(|e| err(&e))?;
            println!("control schema migrated; {} tenant(s) migrated", report.migrated.len());
            for (slug, error) in &report.failed {
                eprintln!("tenant {slug} failed: {error}");
            }
            if !report.all_succeeded() {
                eprintln!(
                    "{} tenant(s) failed; fix the cause and run `truestock migrate` again (it resumes)",
                    report.failed.len()
                );
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Serve { no_workers, slots } => {
            let workers = (!no_workers).then(|| slots.worker_config());
            let app = startup::Application::build(&settings, workers)
                .await
                .map_err(|e| err(&e))?;
            app.run_until_stopped().await.map_err(|e| err(&e))?;
        }
        Command::Worker { slots } => {
            operator::run_worker(&settings, slots.worker_config(), startup::shutdown_signal())
                .await
                .map_err(|e| err(&e))?;
        }
        Command::Jobs(JobsCommand::List { tenant, state, limit }) => {
            let db = operator::app_pool(&settings, 2).await.map_err(|e| err(&e))?;
            let jobs = operator::list_jobs(&db, tenant.as_deref(), state, limit)
                .await
                .map_err(|e| err(&e))?;
            println!(
                "{:>8} {:<12} {:<24} {:<10} {:>8} {:<20} last error",
                "id", "queue", "kind", "state", "attempts", "run at"
            );
            for job in jobs {
                println!(
                    "{:>8} {:<12} {:<24} {:<10} {:>4}/{:<3} {:<20} {}",
                    job.id,
                    job.queue,
                    job.kind,
                    job.state,
                    job.attempts,
                    job.max_attempts,
                    job.run_at.format("%Y-%m-%d %H:%M:%S"),
                    job.last_error.unwrap_or_default()
                );
            }
        }
        Command::Tenant(TenantCommand::Connect {
            slug,
            url,
            database,
            login,
            api_key_file,
            key_expires,
            confirm_reset,
            pull_every_minutes,
            horizon_months,
        }) => {
            let api_key = match api_key_file {
                Some(path) => Some(operator::read_secret_file(&path).map_err(|e| err(&e))?),
                None => None,
            };
            let settings_in = truestock::sync::connection::ConnectionSettings {
                url,
                database,
                login,
                api_key,
                key_expires_on: key_expires,
            };
            let sync = operator::SyncChange {
                pull_every_minutes,
                horizon_months,
            };
            let (saved, outcome, sync) = operator::connect_tenant(&settings, &slug, &settings_in, confirm_reset, sync)
                .await
                .map_err(|e| err(&e))?;
            let key = match saved.key {
                truestock::sync::connection::KeyChange::Replaced => "stored (encrypted)",
                truestock::sync::connection::KeyChange::Kept => "kept",
                truestock::sync::connection::KeyChange::Cleared => "cleared: give --api-key-file",
            };
            println!("connection of {slug} saved; API key {key}");
            if saved.mirror_reset {
                println!(
                    "the tenant's synced data was emptied; the next pull is a first sync of the new Odoo database"
                );
            }
            println!(
                "sync: a pull every {} min; the first sync reads {} months back",
                sync.pull_every_minutes, sync.horizon_months
            );
            println!("test: {}", outcome.message);
            for warning in &outcome.warnings {
                println!("warning: {warning}");
            }
            for (severity, text) in &outcome.findings {
                println!("{severity}: {text}");
            }
            if outcome.status != "ok" {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Sync { slug, full, wait } => {
            use truestock::operator::SyncOutcome;
            match operator::sync_tenant(&settings, &slug, full, wait)
                .await
                .map_err(|e| err(&e))?
            {
                SyncOutcome::Queued { job } => println!("pull of {slug} queued (job {job})"),
                SyncOutcome::AlreadyQueued => println!("a pull of {slug} is already queued or running"),
                SyncOutcome::Ran { attempt, run } => {
                    if let Some(run) = &run {
                        if let Some(models) = run.models.as_object() {
                            for (model, report) in models {
                                println!(
                                    "{model:<28} read {:>8}  new {:>8}  changed {:>8}  {}",
                                    report["rows_read"],
                                    report["inserted"],
                                    report["updated"],
                                    report["error"].as_str().unwrap_or("")
                                );
                            }
                        }
                        println!("pull of {slug}: {}", run.status);
                        if let Some(error) = &run.error {
                            eprintln!("{error}");
                        }
                    }
                    if attempt != truestock::jobs::worker::Attempt::Done {
                        eprintln!("the pull did not complete ({attempt:?}); see `truestock jobs list --tenant {slug}`");
                        return Ok(ExitCode::FAILURE);
                    }
                }
            }
        }
        Command::Tenant(TenantCommand::Webhook { slug }) => {
            let url = operator::rotate_webhook(&settings, &slug).await.map_err(|e| err(&e))?;
            println!("webhook URL (shown once; the previous one no longer works): {url}");
            println!("In Odoo 17+: an automation rule on stock moves (on create and update) with the action");
            println!("\"Send Webhook Notification\" to this URL. Odoo 16 relies on the 5-minute schedule.");
        }
        Command::Keys(KeysCommand::Rotate) => {
            let db = operator::app_pool(&settings, 2).await.map_err(|e| err(&e))?;
            let ring = settings.key_ring().map_err(|e| err(&e))?;
            let report = truestock::sync::connection::rotate_keys(&db, &ring)
                .await
                .map_err(|e| err(&e))?;
            println!(
                "{} key(s) resealed under master key {}; {} already current",
                report.resealed,
                ring.current_key_id(),
                report.current
            );
            for (tenant, reason) in &report.failed {
                eprintln!("tenant {tenant}: {reason}");
            }
            if !report.failed.is_empty() {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Jobs(JobsCommand::Retry { id }) => {
            let db = operator::app_pool(&settings, 2).await.map_err(|e| err(&e))?;
            truestock::jobs::retry(&db, id, None)
                .await
                .map_err(|e| format!("job {id}: {e}"))?;
            println!("job {id} queued again");
        }
        Command::Jobs(JobsCommand::Cancel { id }) => {
            let db = operator::app_pool(&settings, 2).await.map_err(|e| err(&e))?;
            truestock::jobs::cancel(&db, id, None)
                .await
                .map_err(|e| format!("job {id}: {e}"))?;
            println!("job {id} cancelled");
        }
        Command::Tenant(TenantCommand::Create { slug, name }) => {
            let owner = operator::owner_pool(&settings, 2).await.map_err(|e| err(&e))?;
            let tenant = operator::create_tenant(&owner, &slug, &name)
                .await
                .map_err(|e| err(&e))?;
            println!("tenant {slug} created (id {tenant})");
        }
        Command::Tenant(TenantCommand::List) => {
            let owner = operator::owner_pool(&settings, 1).await.map_err(|e| err(&e))?;
            let tenants = truestock::db::control::list_tenants(&owner)
                .await
                .map_err(|e| err(&e))?;
            println!("{:<40} {:<36} {:<30} schema version", "slug", "id", "name");
            for t in tenants {
                println!(
                    "{:<40} {:<36} {:<30} {}",
                    t.slug,
                    t.id,
                    t.name,
                    t.schema_version.unwrap_or_else(|| "-".into())
                );
            }
        }
        Command::User(UserCommand::Add {
            email,
            tenant,
            role,
            name,
        }) => {
            let db = operator::app_pool(&settings, 2).await.map_err(|e| err(&e))?;
            let hasher = PasswordHasher::new(settings.password_cost, 1).map_err(|e| err(&e))?;
            // On a terminal, ask for the password; otherwise generate one and print it once.
            let password = if std::io::stdin().is_terminal() {
                let typed = rpassword::prompt_password("Password for a new account (empty: generate one): ")
                    .map_err(|e| err(&e))?;
                (!typed.is_empty()).then(|| SecretString::from(typed))
            } else {
                None
            };
            let added = operator::add_user(&db, &hasher, &email, name.as_deref(), &tenant, &role, password)
                .await
                .map_err(|e| err(&e))?;
            if added.created_account {
                eprintln!("account created; membership of {tenant} added");
            } else {
                eprintln!("account exists (its password is unchanged); membership of {tenant} set");
            }
            if let Some(password) = added.generated_password {
                println!("password: {}", password.expose_secret());
            }
        }
        Command::User(UserCommand::Disable { email }) => {
            let db = operator::app_pool(&settings, 2).await.map_err(|e| err(&e))?;
            operator::disable_user(&db, &email).await.map_err(|e| err(&e))?;
            println!("account {email} disabled; its sessions have ended");
        }
        Command::Healthcheck => {
            let mut addr = settings.bind;
            if addr.ip().is_unspecified() {
                addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
            }
            let client = reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(3))
                .build()
                .map_err(|e| err(&e))?;
            let healthy = client
                .get(format!("http://{addr}/healthz"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            return Ok(if healthy { ExitCode::SUCCESS } else { ExitCode::FAILURE });
        }
        Command::Bench(BenchCommand::Odoo {
            dataset,
            clients,
            rounds,
        }) => {
            let dataset =
                truestock::odoo::sim::Dataset::parse(&dataset).ok_or_else(|| format!("unknown dataset {dataset:?}"))?;
            let result = truestock::bench::odoo(dataset, usize::from(clients), usize::from(rounds))
                .await
                .map_err(|e| err(&e))?;
            println!("{result}");
        }
        Command::Bench(BenchCommand::Sync { dataset, odoo_version }) => {
            let dataset =
                truestock::odoo::sim::Dataset::parse(&dataset).ok_or_else(|| format!("unknown dataset {dataset:?}"))?;
            let result = truestock::bench::sync(dataset, odoo_version)
                .await
                .map_err(|e| err(&e))?;
            println!("{result}");
        }
        Command::Bench(BenchCommand::Stock { dataset, load_seconds }) => {
            let dataset =
                truestock::odoo::sim::Dataset::parse(&dataset).ok_or_else(|| format!("unknown dataset {dataset:?}"))?;
            let result = truestock::bench::stock(dataset, load_seconds)
                .await
                .map_err(|e| err(&e))?;
            println!("{result}");
        }
        Command::Bench(BenchCommand::Email { messages, slots }) => {
            let result = truestock::bench::email(messages as usize, usize::from(slots))
                .await
                .map_err(|e| err(&e))?;
            println!("{result}");
        }
        Command::Bench(BenchCommand::Load {
            url,
            cookie,
            rate,
            seconds,
            paths,
        }) => {
            let paths = std::fs::read_to_string(&paths)
                .map_err(|e| format!("could not read {}: {e}", paths.display()))?
                .lines()
                .map(str::to_string)
                .filter(|line| !line.is_empty())
                .collect::<Vec<_>>();
            let result = truestock::bench::load(&url, &cookie, rate, seconds, &paths)
                .await
                .map_err(|e| err(&e))?;
            println!("{result}");
        }
        Command::Bench(BenchCommand::Web {
            sign_ins,
            connections,
            seconds,
        }) => {
            let result = truestock::bench::web(usize::from(sign_ins), connections, seconds)
                .await
                .map_err(|e| err(&e))?;
            println!("{result}");
        }
        Command::OdooSim {
            odoo_version,
            dataset,
            port,
            seed,
            api_key,
            no_cache,
            live,
            live_interval_ms,
            latency_ms,
            page_latency_ms,
            error_rate,
            drop_rate,
            deny_model,
        } => {
            use truestock::odoo::sim::{Dataset, RunningSimulator, SimConfig, Simulator};
            let dataset = Dataset::parse(&dataset).ok_or_else(|| format!("unknown dataset {dataset:?}"))?;
            let parsed = truestock::odoo::OdooVersion::parse(&odoo_version)
                .filter(|v| (16..=19).contains(&v.major))
                .ok_or_else(|| {
                    format!("--odoo-version {odoo_version:?}: expected 16, 17, 18, 19 or saas~X.Y with X from 16 to 19")
                })?;
            let mut config = SimConfig::new(parsed.major, dataset);
            config.saas_minor = parsed.saas_minor;
            config.seed = seed;
            if let Some(key) = api_key {
                config.api_key = key;
            }
            let started = std::time::Instant::now();
            let cache_dir = settings.data_dir.join("odoo-sim");
            let simulator = tokio::task::spawn_blocking(move || {
                if no_cache {
                    Simulator::new(config)
                } else {
                    Simulator::cached(config, &cache_dir)
                }
            })
            .await
            .map_err(|e| err(&e))?;
            let ms = std::time::Duration::from_millis;
            simulator.faults.set_latency(ms(latency_ms), ms(page_latency_ms));
            simulator.faults.set_rates(error_rate, drop_rate);
            for model in &deny_model {
                simulator.faults.deny_model(model);
            }
            let bind = std::net::SocketAddr::from(([127, 0, 0, 1], port));
            let running =
                RunningSimulator::start(simulator, bind).map_err(|e| format!("could not listen on {bind}: {e}"))?;
            let config = &running.simulator.config;
            eprintln!(
                "simulated Odoo {odoo_version} with {} (seed {seed}) ready in {:.1} s",
                dataset.name(),
                started.elapsed().as_secs_f64()
            );
            if live {
                truestock::odoo::sim::live::spawn(running.simulator.clone(), ms(live_interval_ms), seed);
            }
            println!("url: {}", running.url);
            println!("database: {}", config.database);
            println!("login: {}", config.login);
            println!("api key: {}", config.api_key);
            running.wait().await.map_err(|e| err(&e))?;
        }
        Command::Demo { .. } => unreachable!("handled above"),
    }
    Ok(ExitCode::SUCCESS)
}
