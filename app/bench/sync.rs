//! `truestock bench sync`: the pull against a simulated Odoo in a *separate process* (its CPU and memory
//! are not the syncing process's), through the same job code as production. It measures the first full
//! sync (rows committed to the tenant's mirror and history tables ÷ time from job start to the last
//! commit), the time PostgreSQL's `COPY` takes to load the same rows into the same tables with the same
//! indexes (another tenant's schema), an incremental pull after 1% of quants changed (from enqueue to
//! commit), an hourly quant reconciliation that finds nothing to repair, and the peak memory of this
//! process.

use std::process::Stdio;
use std::sync::Arc;
use std::time::Instant;

use sea_orm::sqlx::{Connection as _, PgConnection, Row as _};
use secrecy::SecretString;
use tokio::io::{AsyncBufReadExt as _, BufReader};

use super::{BenchError, bench_settings, provision};
use crate::db::audit::Actor;
use crate::jobs::worker::{Attempt, run_now};
use crate::jobs::{self, Registry};
use crate::odoo::Reach;
use crate::odoo::sim::Dataset;
use crate::operator::{self, OperatorError};
use crate::sync::connection::{self, ConnectionSettings};
use crate::sync::pull::SyncDeps;

const DATABASE: &str = "truestock_bench_sync";
pub(super) const API_KEY: &str = "bench-sync-key-0123456789";

fn failed(what: &str, error: impl std::fmt::Display) -> BenchError {
    BenchError::Failed(format!("{what}: {error}"))
}

/// The simulator as a child process (`truestock odoo-sim`), killed when dropped.
pub(super) struct SimProcess {
    child: tokio::process::Child,
    pub(super) url: String,
    pub(super) database: String,
    pub(super) login: String,
}

impl SimProcess {
    /// Starts the simulator on a free port and waits for it to print where it listens.
    pub(super) async fn start(dataset: Dataset, version: u8) -> Result<Self, BenchError> {
        let exe = std::env::current_exe().map_err(|e| failed("this program's path", e))?;
        let mut child = tokio::process::Command::new(exe)
            .args(["odoo-sim", "--port", "0", "--api-key", API_KEY])
            .args(["--dataset", dataset.name(), "--odoo-version", &version.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| failed("starting the simulator", e))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| BenchError::Failed("the simulator's output".into()))?;
        let mut lines = BufReader::new(stdout).lines();
        let (mut url, mut database, mut login) = (None, None, None);
        while let Some(line) = lines
            .next_line()
            .await
            .map_err(|e| failed("reading the simulator", e))?
        {
            if let Some(value) = line.strip_prefix("url: ") {
                url = Some(value.to_string());
            } else if let Some(value) = line.strip_prefix("database: ") {
                database = Some(value.to_string());
            } else if let Some(value) = line.strip_prefix("login: ") {
                login = Some(value.to_string());
            } else if line.starts_with("api key: ") {
                break;
            }
        }
        match (url, database, login) {
            (Some(url), Some(database), Some(login)) => Ok(Self {
                child,
                url,
                database,
                login,
            }),
            _ => Err(BenchError::Failed("the simulator exited before it was ready".into())),
        }
    }

    pub(super) async fn stop(mut self) {
        let _ = self.child.kill().await;
    }

    /// Sends the simulator's control API an order (see `odoo::sim::http::control`).
    async fn control(&self, orders: serde_json::Value) -> Result<serde_json::Value, BenchError> {
        let response = reqwest::Client::new()
            .post(format!("{}/__sim/control", self.url))
            .bearer_auth(API_KEY)
            .json(&orders)
            .send()
            .await?
            .error_for_status()?;
        Ok(response.json().await.unwrap_or(serde_json::Value::Null))
    }
}

/// This process's peak resident memory so far, in MiB (Linux's `VmHWM`).
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Runs a queued job in this process through the worker's code; fails unless it completed.
pub(super) async fn run_job(
    db: &sea_orm::DatabaseConnection,
    registry: &Registry,
    job: &jobs::NewJob,
) -> Result<(), BenchError> {
    let id = jobs::enqueue(db, job)
        .await
        .map_err(OperatorError::from)?
        .ok_or_else(|| BenchError::Failed("the job was already queued".into()))?;
    match run_now(db, registry, id).await.map_err(OperatorError::from)? {
        Some(Attempt::Done) => Ok(()),
        other => Err(BenchError::Failed(format!(
            "job {id} did not complete ({other:?}): see `truestock jobs list`"
        ))),
    }
}

/// The mirror and history tables of a tenant's schema, with their row counts.
async fn tenant_tables(su: &mut PgConnection, schema: &str) -> Result<Vec<(String, i64)>, BenchError> {
    let names: Vec<String> = sea_orm::sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = $1 AND table_type = 'BASE TABLE' AND table_name LIKE 'odoo\\_%' ORDER BY 1",
    )
    .bind(schema)
    .fetch_all(&mut *su)
    .await
    .map_err(|e| failed("listing the tenant's tables", e))?;
    let mut tables = Vec::new();
    for name in names {
        // Schema and table names come from the catalogue, not from input.
        let count = format!("SELECT count(*) FROM {schema}.\"{name}\"");
        let row = sea_orm::sqlx::query(sea_orm::sqlx::AssertSqlSafe(count))
            .fetch_one(&mut *su)
            .await
            .map_err(|e| failed("counting rows", e))?;
        tables.push((name, row.get::<i64, _>(0)));
    }
    Ok(tables)
}

/// Copies every table of `from` into the same (empty) table of `to` with `COPY`, through a file per
/// table, and returns the seconds spent loading (`COPY … FROM STDIN`) alone.
async fn copy_seconds(su_url: &str, from: &str, to: &str, tables: &[(String, i64)]) -> Result<f64, BenchError> {
    use tokio::io::AsyncWriteExt as _;
    let mut out = PgConnection::connect(su_url)
        .await
        .map_err(|e| failed("connecting as superuser", e))?;
    let mut load = PgConnection::connect(su_url)
        .await
        .map_err(|e| failed("connecting as superuser", e))?;
    let dir = std::env::temp_dir().join(format!("truestock-bench-copy-{}", std::process::id()));
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|e| failed("a temporary directory", e))?;
    let mut seconds = 0.0;
    for (table, _) in tables {
        let path = dir.join(format!("{table}.copy"));
        let mut file = tokio::fs::File::create(&path)
            .await
            .map_err(|e| failed("a temporary file", e))?;
        let mut stream = out
            .copy_out_raw(&format!("COPY {from}.\"{table}\" TO STDOUT (FORMAT binary)"))
            .await
            .map_err(|e| failed("COPY TO", e))?;
        use futures_util::StreamExt as _;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| failed("COPY TO", e))?;
            file.write_all(&chunk).await.map_err(|e| failed("writing a file", e))?;
        }
        drop(stream);
        file.flush().await.map_err(|e| failed("writing a file", e))?;
        let file = tokio::fs::File::open(&path)
            .await
            .map_err(|e| failed("reading a file", e))?;
        let started = Instant::now();
        let mut copy = load
            .copy_in_raw(&format!("COPY {to}.\"{table}\" FROM STDIN (FORMAT binary)"))
            .await
            .map_err(|e| failed("COPY FROM", e))?;
        copy.read_from(file).await.map_err(|e| failed("COPY FROM", e))?;
        copy.finish().await.map_err(|e| failed("COPY FROM", e))?;
        seconds += started.elapsed().as_secs_f64();
        tokio::fs::remove_file(&path).await.ok();
    }
    tokio::fs::remove_dir_all(&dir).await.ok();
    Ok(seconds)
}

/// Connects `tenant` to the simulator (its private address allowed) and returns the production job
/// handlers.
pub(super) async fn connect_to_simulator(
    db: &sea_orm::DatabaseConnection,
    settings: &crate::config::Settings,
    tenant: crate::domain::tenant::TenantId,
    sim: &SimProcess,
) -> Result<Registry, BenchError> {
    let ring = settings.key_ring()?;
    let actor = Actor {
        account_id: None,
        name: "bench".into(),
        email: "bench@truestock.test".into(),
    };
    let connection_settings = ConnectionSettings {
        url: sim.url.clone(),
        database: sim.database.clone(),
        login: sim.login.clone(),
        api_key: Some(SecretString::from(API_KEY.to_string())),
        key_expires_on: None,
    };
    connection::save(db, &ring, tenant, &connection_settings, Reach::Anywhere, false, &actor)
        .await
        .map_err(|e| failed("connecting the tenant", e))?;
    let mailer = Arc::new(settings.mailer(&settings.public_url(settings.bind))?);
    Ok(Registry::production(
        Arc::new(SyncDeps {
            ring,
            reach: Reach::Anywhere,
        }),
        mailer,
    ))
}

/// `bench sync`: see the module's documentation.
pub async fn sync(dataset: Dataset, version: u8) -> Result<serde_json::Value, BenchError> {
    let settings = bench_settings(DATABASE)?;
    eprintln!("starting the simulator ({}, Odoo {version})…", dataset.name());
    let sim = SimProcess::start(dataset, version).await?;
    let owner = provision(&settings, DATABASE).await?;
    let tenant = operator::create_tenant(&owner, "bench", "Bench Retail").await?;
    let copy_target = operator::create_tenant(&owner, "bench-copy", "COPY baseline").await?;
    owner.close().await.map_err(OperatorError::from)?;

    let db = operator::app_pool(&settings, crate::sync::pull::LANES + 2).await?;
    let registry = connect_to_simulator(&db, &settings, tenant, &sim).await?;

    eprintln!("full sync…");
    let started = Instant::now();
    let full = crate::sync::pull::job(tenant).payload(serde_json::json!({"full": true}));
    run_job(&db, &registry, &full).await?;
    let seconds = started.elapsed().as_secs_f64();

    let touched = sim.control(serde_json::json!({"touch_quants": 0.01})).await?["touched"]
        .as_u64()
        .unwrap_or(0);
    eprintln!("incremental pull after {touched} quants changed…");
    let started = Instant::now();
    run_job(&db, &registry, &crate::sync::pull::job(tenant)).await?;
    let incremental_seconds = started.elapsed().as_secs_f64();

    eprintln!("quant reconciliation…");
    let started = Instant::now();
    let reconcile = jobs::NewJob::new(jobs::Queue::Pull, crate::sync::reconcile::KIND)
        .for_tenant(tenant)
        .payload(serde_json::json!({"scope": "quants"}))
        .unique("quants");
    run_job(&db, &registry, &reconcile).await?;
    let reconcile_seconds = started.elapsed().as_secs_f64();
    let peak_rss_mib = peak_rss_mib().unwrap_or(0.0);
    db.close().await.map_err(OperatorError::from)?;

    eprintln!("COPY baseline…");
    let su_url = {
        use secrecy::ExposeSecret as _;
        let mut url = url::Url::parse(settings.superuser_url.expose_secret())
            .map_err(|_| BenchError::Failed("TRUESTOCK_SUPERUSER_URL is not a URL".into()))?;
        url.set_path(DATABASE);
        url.to_string()
    };
    let mut su = PgConnection::connect(&su_url)
        .await
        .map_err(|e| failed("connecting as superuser", e))?;
    let tables = tenant_tables(&mut su, &tenant.schema_name()).await?;
    let rows: i64 = tables.iter().map(|(_, n)| n).sum();
    let copy_seconds = copy_seconds(&su_url, &tenant.schema_name(), &copy_target.schema_name(), &tables).await?;
    sim.stop().await;

    let round = |x: f64| (x * 1000.0).round() / 1000.0;
    Ok(serde_json::json!({
        "bench": "sync",
        "dataset": dataset.name(),
        "rows": rows,
        "seconds": round(seconds),
        "rows_per_s": (rows as f64 / seconds).round(),
        "copy_seconds": round(copy_seconds),
        "ratio_to_copy": round(seconds / copy_seconds),
        "incremental_seconds": round(incremental_seconds),
        "reconcile_seconds": round(reconcile_seconds),
        "peak_rss_mib": peak_rss_mib.round(),
    }))
}
