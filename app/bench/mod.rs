//! `truestock bench <what>`: benchmarks anyone can rerun. Each provisions its own database from
//! `TRUESTOCK_SUPERUSER_URL`, runs the server in-process, and ends with one JSON line of results.
//! The load comes from a second process (`wrk`), so the client does not share the server's runtime.

use std::process::Command;
use std::time::{Duration, Instant};

use secrecy::ExposeSecret as _;

use crate::auth::password::{PasswordHasher, generate_password};
use crate::config::{ConfigError, Settings};
use crate::db::tenancy::bootstrap;
use crate::operator::{self, OperatorError};
use crate::startup::{Application, StartupError};

mod email;
mod load;
mod stock;
mod sync;
pub use email::email;
pub use load::load;
pub use stock::stock;
pub use sync::sync;

pub const BENCH_DATABASE: &str = "truestock_bench";

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Operator(#[from] OperatorError),
    #[error(transparent)]
    Startup(#[from] StartupError),
    #[error("HTTP client: {0}")]
    Http(#[from] reqwest::Error),
    #[error("{0}")]
    Failed(String),
}

/// Settings for the bench database on the superuser URL's server, with fresh secrets.
fn bench_settings(database: &str) -> Result<Settings, BenchError> {
    let mut settings = Settings::for_own_database(
        database,
        None,
        &[("TRUESTOCK_BIND", "127.0.0.1:0"), ("TRUESTOCK_DEV", "0")],
    )?;
    // Each timed sign-in comes "through a proxy" from its own address, so the per-address limit
    // (which is not what is measured here) stays out of the way.
    settings.trusted_proxies = vec![ipnet::IpNet::from(std::net::IpAddr::from([127, 0, 0, 1]))];
    settings.jwt_secret = Some(crate::config::SecretKey::generate());
    settings.master_key = Some(crate::config::SecretKey::generate());
    Ok(settings)
}

/// Drops `database` if it exists, creates and migrates it afresh; returns the owner's pool.
async fn provision(settings: &Settings, database: &str) -> Result<sea_orm::DatabaseConnection, BenchError> {
    bootstrap::drop_database(&settings.superuser_url, database)
        .await
        .map_err(OperatorError::from)?;
    operator::init_database(settings).await?;
    let owner = operator::owner_pool(settings, 2).await?;
    operator::migrate_all(&owner, 2).await?;
    Ok(owner)
}

fn percentile(sorted_ms: &[f64], p: f64) -> f64 {
    if sorted_ms.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted_ms.len() - 1) as f64).round() as usize;
    sorted_ms[rank.min(sorted_ms.len() - 1)]
}

/// `bench web`: sign-in latency (argon2id-bound, production cost) and requests per second for an
/// authenticated page (`/t/bench`, from `wrk` with `connections` connections for `seconds`).
pub async fn web(sign_ins: usize, connections: u32, seconds: u32) -> Result<serde_json::Value, BenchError> {
    let settings = bench_settings(BENCH_DATABASE)?;
    let owner = provision(&settings, BENCH_DATABASE).await?;
    operator::create_tenant(&owner, "bench", "Bench Retail").await?;
    let hasher = PasswordHasher::new(settings.password_cost, 1).map_err(OperatorError::from)?;
    let password = generate_password();
    let email = "manager@bench.truestock.test";
    operator::add_user(&owner, &hasher, email, None, "bench", "manager", Some(password.clone())).await?;
    owner.close().await.map_err(OperatorError::from)?;

    let app = Application::build(&settings, None).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    let server = tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;

    // Sign-in latency: the whole round trip of a real form post, one at a time.
    let mut latencies = Vec::with_capacity(sign_ins);
    let mut session_cookie = None;
    for i in 0..sign_ins {
        let forwarded_for = format!("10.77.{}.{}", i / 250, i % 250 + 1);
        let (cookie, took) = sign_in(&client, &base, email, &password, Some(&forwarded_for)).await?;
        latencies.push(took.as_secs_f64() * 1000.0);
        session_cookie = Some(cookie);
    }
    latencies.sort_by(f64::total_cmp);
    let cookie = session_cookie.ok_or_else(|| BenchError::Failed("no session cookie".into()))?;

    let check = client
        .get(format!("{base}/t/bench"))
        .header("Cookie", &cookie)
        .send()
        .await?;
    if check.status() != reqwest::StatusCode::OK {
        return Err(BenchError::Failed(format!("/t/bench answered {}", check.status())));
    }
    let wrk = run_wrk(&format!("{base}/t/bench"), &cookie, connections, seconds).await?;
    server.abort();

    Ok(serde_json::json!({
        "bench": "web",
        "sign_in_ms": {
            "count": latencies.len(),
            "p50": percentile(&latencies, 50.0),
            "p95": percentile(&latencies, 95.0),
            "max": latencies.last().copied().unwrap_or_default(),
        },
        "authenticated_page": wrk,
    }))
}

/// Signs in through the form as a browser would (through a proxy saying `forwarded_for`, when given):
/// the session cookie (`name=value`) and how long the form's post took.
async fn sign_in(
    client: &reqwest::Client,
    base: &str,
    email: &str,
    password: &secrecy::SecretString,
    forwarded_for: Option<&str>,
) -> Result<(String, Duration), BenchError> {
    let (pre_session, token) = login_form(client, base).await?;
    let body = serde_html_form::to_string([
        ("email", email),
        ("password", password.expose_secret()),
        ("csrf_token", token.as_str()),
    ])
    .map_err(|e| BenchError::Failed(e.to_string()))?;
    let mut post = client
        .post(format!("{base}/login"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Cookie", pre_session)
        .body(body);
    if let Some(address) = forwarded_for {
        post = post.header("X-Forwarded-For", address);
    }
    let started = Instant::now();
    let res = post.send().await?;
    let took = started.elapsed();
    if res.status() != reqwest::StatusCode::SEE_OTHER {
        return Err(BenchError::Failed(format!("sign-in answered {}", res.status())));
    }
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("__Host-truestock="))
        .and_then(|c| c.split(';').next())
        .map(str::to_string)
        .ok_or_else(|| BenchError::Failed("no session cookie".into()))?;
    Ok((cookie, took))
}

/// GETs the sign-in form: its pre-session cookie and CSRF token.
async fn login_form(client: &reqwest::Client, base: &str) -> Result<(String, String), BenchError> {
    let res = client.get(format!("{base}/login")).send().await?;
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| {
            c.split(';')
                .next()
                .filter(|pair| pair.starts_with("__Host-truestock-csrf="))
        })
        .map(str::to_string)
        .ok_or_else(|| BenchError::Failed("no pre-session cookie".into()))?;
    let html = res.text().await?;
    let token = html
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .ok_or_else(|| BenchError::Failed("no csrf token on /login".into()))?
        .to_string();
    Ok((cookie, token))
}

/// Runs `wrk` against `url` and reads its summary.
async fn run_wrk(url: &str, cookie: &str, connections: u32, seconds: u32) -> Result<serde_json::Value, BenchError> {
    let args = vec![
        "--latency".to_string(),
        "-t".into(),
        "2".into(),
        "-c".into(),
        connections.to_string(),
        "-d".into(),
        format!("{seconds}s"),
        "-H".into(),
        format!("Cookie: {cookie}"),
        url.to_string(),
    ];
    let output = tokio::task::spawn_blocking(move || Command::new("wrk").args(&args).output())
        .await
        .map_err(|e| BenchError::Failed(e.to_string()))?
        .map_err(|e| {
            BenchError::Failed(format!(
                "could not run wrk ({e}); install it with `apt-get install wrk`"
            ))
        })?;
    let text = String::from_utf8_lossy(&output.stdout).to_string();
    if !output.status.success() {
        return Err(BenchError::Failed(format!("wrk failed: {text}")));
    }
    let field = |prefix: &str| {
        text.lines()
            .map(str::trim)
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.split_whitespace().nth(1))
            .map(str::to_string)
    };
    let non_2xx = text
        .lines()
        .find(|l| l.contains("Non-2xx"))
        .map(str::trim)
        .map(str::to_string);
    Ok(serde_json::json!({
        "tool": "wrk",
        "connections": connections,
        "seconds": seconds,
        "requests_per_second": field("Requests/sec:").and_then(|v| v.parse::<f64>().ok()),
        "latency_p50": field("50%"),
        "latency_p99": field("99%"),
        "non_2xx": non_2xx,
        "duration": format!("{:?}", Duration::from_secs(u64::from(seconds))),
    }))
}

/// A quant as the sync will read it (the decode the benchmark times).
#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)] // fields are decoded to measure decoding; nothing reads them here
struct BenchQuant {
    id: i64,
    #[serde(deserialize_with = "crate::odoo::value::opt_many2one")]
    product_id: Option<crate::odoo::value::Many2One>,
    #[serde(deserialize_with = "crate::odoo::value::opt_many2one")]
    location_id: Option<crate::odoo::value::Many2One>,
    #[serde(deserialize_with = "crate::odoo::value::opt_many2one")]
    lot_id: Option<crate::odoo::value::Many2One>,
    #[serde(deserialize_with = "crate::odoo::value::opt_many2one")]
    owner_id: Option<crate::odoo::value::Many2One>,
    #[serde(deserialize_with = "crate::odoo::value::number")]
    quantity: f64,
    #[serde(deserialize_with = "crate::odoo::value::number")]
    reserved_quantity: f64,
    #[serde(deserialize_with = "crate::odoo::value::opt_datetime")]
    in_date: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(deserialize_with = "crate::odoo::value::opt_datetime")]
    write_date: Option<chrono::DateTime<chrono::Utc>>,
}

const QUANT_FIELDS: &[&str] = &[
    "product_id",
    "location_id",
    "lot_id",
    "owner_id",
    "quantity",
    "reserved_quantity",
    "in_date",
    "write_date",
];

/// `bench odoo`: the simulator serving `search_read` pages of 500 quants to `clients` concurrent
/// clients over loopback HTTP (keyset paging by id, as reconciliation reads), and the client's decode
/// rate on its own.
pub async fn odoo(
    dataset: crate::odoo::sim::Dataset,
    clients: usize,
    rounds: usize,
) -> Result<serde_json::Value, BenchError> {
    use crate::odoo::sim::{RunningSimulator, SimConfig, Simulator};
    use crate::odoo::{Client, Domain, OdooConfig, Op, SearchOptions};

    let mut config = SimConfig::new(17, dataset);
    config.api_key = "bench-key".into();
    let generated = Instant::now();
    let cache_dir = crate::config::Settings::from_env()?.data_dir.join("odoo-sim");
    let simulator = tokio::task::spawn_blocking(move || Simulator::cached(config, &cache_dir))
        .await
        .map_err(|e| BenchError::Failed(e.to_string()))?;
    let generation_s = generated.elapsed().as_secs_f64();
    let quants = simulator.with_store(|s| s.len("stock.quant"));
    let running = RunningSimulator::start(simulator, std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .map_err(|e| BenchError::Failed(e.to_string()))?;
    let sim_config = running.simulator.config.clone();
    let odoo_config = OdooConfig::new(
        running
            .url
            .parse()
            .map_err(|_| BenchError::Failed("simulator URL".into()))?,
        &sim_config.database,
        &sim_config.login,
        secrecy::SecretString::from(sim_config.api_key.clone()),
    )
    .reach_anywhere();

    // Serving: each client pages through every quant `rounds` times.
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let odoo_config = odoo_config.clone();
        tasks.spawn(async move {
            let client = Client::connect(odoo_config).await?;
            let mut rows = 0usize;
            for _ in 0..rounds {
                let mut last = 0i64;
                loop {
                    let options = SearchOptions::default().order("id asc").limit(500);
                    let page: Vec<BenchQuant> = client
                        .search_read("stock.quant", &Domain::leaf("id", Op::Gt, last), QUANT_FIELDS, &options)
                        .await?;
                    let Some(tail) = page.last() else { break };
                    last = tail.id;
                    rows += page.len();
                }
            }
            Ok::<usize, crate::odoo::OdooError>(rows)
        });
    }
    let mut served = 0usize;
    while let Some(result) = tasks.join_next().await {
        served += result
            .map_err(|e| BenchError::Failed(e.to_string()))?
            .map_err(|e| BenchError::Failed(e.to_string()))?;
    }
    let serving_s = started.elapsed().as_secs_f64();

    // Decoding alone: one page of 500 rows as the server sends it, decoded repeatedly.
    let page = running.simulator.with_store(|s| {
        let ids: Vec<i64> = s.ids("stock.quant").into_iter().take(500).collect();
        let fields: Vec<String> = QUANT_FIELDS.iter().map(|f| f.to_string()).collect();
        s.read("stock.quant", &ids, &fields, true)
            .map(|rows| serde_json::to_vec(&rows).unwrap_or_default())
    });
    let page = page.map_err(|e| BenchError::Failed(e.message))?;
    let decode_started = Instant::now();
    let mut decoded = 0usize;
    while decode_started.elapsed() < Duration::from_secs(3) {
        let rows: Vec<BenchQuant> =
            serde_json::from_slice(&page).map_err(|e| BenchError::Failed(format!("decode: {e}")))?;
        decoded += rows.len();
    }
    let decode_s = decode_started.elapsed().as_secs_f64();
    running.stop().await;

    Ok(serde_json::json!({
        "bench": "odoo",
        "dataset": dataset.name(),
        "quants": quants,
        "generation_or_cache_load_s": generation_s,
        "serving": {
            "clients": clients,
            "page_size": 500,
            "rows": served,
            "seconds": serving_s,
            "rows_per_second": served as f64 / serving_s,
        },
        "client_decode_rows_per_second": decoded as f64 / decode_s,
    }))
}
