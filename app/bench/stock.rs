//! `truestock bench stock`: the stock screens' speed on a synced tenant. The tenant is provisioned once
//! per dataset (the simulator in its own process, a full pull, the stock refresh) in its own database
//! and kept between runs; a later run only migrates it and brings its figures up to date.
//!
//! Then, with the server in this process and `Server-Timing` on, each main view is requested one at a
//! time (after a warm-up): its server time (the `app` timing: the whole request in the server) at p50
//! and p95, and the application's own overhead, server time minus the time spent in SQL (the `db`
//! timing: every statement, BEGIN and COMMIT), at the median. Last, a second process
//! (`truestock bench load`) sends the views, mixed, at fixed open-loop rates for `load_seconds` each,
//! rising until p99 reaches 200 ms or a request fails: the highest rate that held is reported.

use std::collections::BTreeMap;
use std::time::Instant;

use sea_orm::sqlx::{Connection as _, PgConnection, Row as _};
use secrecy::ExposeSecret as _;

use super::sync::{SimProcess, connect_to_simulator, run_job};
use super::{BenchError, bench_settings, percentile, provision, sign_in};
use crate::auth::password::{PasswordHasher, generate_password};
use crate::odoo::sim::Dataset;
use crate::operator::{self, OperatorError};
use crate::startup::Application;

const DATABASE: &str = "truestock_bench_stock";
/// Timed requests per view.
const SAMPLES: usize = 200;
const WARM_UP: usize = 10;
/// The load's latency budget.
const P99_BUDGET_MS: f64 = 200.0;

fn failed(what: &str, error: impl std::fmt::Display) -> BenchError {
    BenchError::Failed(format!("{what}: {error}"))
}

/// The tenant's name marks which dataset its data came from.
fn tenant_name(dataset: Dataset) -> String {
    format!("Bench {}", dataset.name())
}

/// The superuser's URL pointed at the bench database.
fn su_url(settings: &crate::config::Settings) -> Result<String, BenchError> {
    let mut url = url::Url::parse(settings.superuser_url.expose_secret())
        .map_err(|_| BenchError::Failed("TRUESTOCK_SUPERUSER_URL is not a URL".into()))?;
    url.set_path(DATABASE);
    Ok(url.to_string())
}

/// The cached tenant's schema if the bench database holds `dataset` synced and refreshed.
async fn cached(settings: &crate::config::Settings, dataset: Dataset) -> Option<String> {
    let mut su = PgConnection::connect(&su_url(settings).ok()?).await.ok()?;
    let row = sea_orm::sqlx::query("SELECT id::text, name FROM control.tenants WHERE slug = 'bench'")
        .fetch_optional(&mut su)
        .await
        .ok()??;
    let (id, name): (String, String) = (row.get(0), row.get(1));
    if name != tenant_name(dataset) {
        return None;
    }
    let schema = format!("t_{}", id.replace('-', ""));
    // The schema name comes from the catalogue's uuid, not from input.
    let refreshed = format!("SELECT refreshed_at IS NOT NULL FROM {schema}.stock_refresh_state");
    sea_orm::sqlx::query_scalar::<_, bool>(sea_orm::sqlx::AssertSqlSafe(refreshed))
        .fetch_one(&mut su)
        .await
        .ok()
        .filter(|ok| *ok)
        .map(|_| schema)
}

/// Provisions the bench database with `dataset` synced and refreshed; returns the pull's and the
/// refresh's seconds.
async fn provision_synced(settings: &crate::config::Settings, dataset: Dataset) -> Result<(f64, f64), BenchError> {
    eprintln!("provisioning {} (kept for later runs)…", dataset.name());
    let sim = SimProcess::start(dataset, 17).await?;
    let owner = provision(settings, DATABASE).await?;
    let tenant = operator::create_tenant(&owner, "bench", &tenant_name(dataset)).await?;
    owner.close().await.map_err(OperatorError::from)?;
    let db = operator::app_pool(settings, crate::sync::pull::LANES + 2).await?;
    let registry = connect_to_simulator(&db, settings, tenant, &sim).await?;
    eprintln!("full sync…");
    let started = Instant::now();
    run_job(&db, &registry, &crate::sync::pull::job(tenant)).await?;
    let pull_seconds = started.elapsed().as_secs_f64();
    sim.stop().await;
    eprintln!("stock refresh…");
    let started = Instant::now();
    crate::sync::positions::refresh(&db, tenant, None)
        .await
        .map_err(|e| failed("the stock refresh", e))?;
    let refresh_seconds = started.elapsed().as_secs_f64();
    db.close().await.map_err(OperatorError::from)?;
    Ok((pull_seconds, refresh_seconds))
}

/// One request's `Server-Timing`: (server ms, SQL ms).
fn timings(res: &reqwest::Response) -> Result<(f64, f64), BenchError> {
    let header = res
        .headers()
        .get("server-timing")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| BenchError::Failed("no Server-Timing header".into()))?;
    let value = |name: &str| {
        header
            .split(',')
            .map(str::trim)
            .find_map(|part| part.strip_prefix(&format!("{name};dur=")))
            .and_then(|v| v.parse::<f64>().ok())
    };
    match (value("app"), value("db")) {
        (Some(app), Some(db)) => Ok((app, db)),
        _ => Err(BenchError::Failed(format!("unreadable Server-Timing {header:?}"))),
    }
}

/// `bench stock`: see the module's documentation.
pub async fn stock(dataset: Dataset, load_seconds: u32) -> Result<serde_json::Value, BenchError> {
    let mut settings = bench_settings(DATABASE)?;
    settings.server_timing = true;
    let mut provisioned = None;
    if cached(&settings, dataset).await.is_none() {
        provisioned = Some(provision_synced(&settings, dataset).await?);
    } else {
        eprintln!("reusing the synced {} in {DATABASE}", dataset.name());
    }
    // Later migrations, then whatever the figures lack (a no-op when they are current).
    let owner = operator::owner_pool(&settings, 2).await?;
    operator::migrate_all(&owner, 2).await?;
    let hasher = PasswordHasher::new(settings.password_cost, 1).map_err(OperatorError::from)?;
    let password = generate_password();
    let email = format!("manager-{}@bench.truestock.test", chrono::Utc::now().timestamp_millis());
    operator::add_user(
        &owner,
        &hasher,
        &email,
        None,
        "bench",
        "manager",
        Some(password.clone()),
    )
    .await?;
    let slug = crate::domain::tenant::TenantSlug::parse("bench").map_err(OperatorError::from)?;
    let tenant = crate::db::control::find_tenant_by_slug(&owner, &slug)
        .await
        .map_err(OperatorError::from)?
        .ok_or_else(|| BenchError::Failed("the bench tenant is missing".into()))?
        .tenant_id();
    owner.close().await.map_err(OperatorError::from)?;
    let db = operator::app_pool(&settings, 2).await?;
    let refreshed = crate::sync::positions::refresh(&db, tenant, None)
        .await
        .map_err(|e| failed("the stock refresh", e))?;
    eprintln!("figures up to date ({} products refreshed)", refreshed.products);

    // What the views ask for: a store, a product in stock, a SKU to search.
    let schema = tenant.schema_name();
    let mut su = PgConnection::connect(&su_url(&settings)?)
        .await
        .map_err(|e| failed("connecting as superuser", e))?;
    let pick = |sql: String| sea_orm::sqlx::query_scalar::<_, String>(sea_orm::sqlx::AssertSqlSafe(sql));
    let store = pick(format!(
        "SELECT id::text FROM {schema}.location_groups WHERE name = 'Store 01'"
    ))
    .fetch_one(&mut su)
    .await
    .map_err(|e| failed("finding Store 01", e))?;
    let product = pick(format!(
        "SELECT p.product_id::text FROM {schema}.stock_positions p JOIN {schema}.stock_scopes s ON s.id = p.scope_id
          WHERE s.kind = 'total' ORDER BY p.value DESC LIMIT 1"
    ))
    .fetch_one(&mut su)
    .await
    .map_err(|e| failed("finding a product", e))?;
    drop(su);
    let views: Vec<(&str, String)> = vec![
        ("stock_first_page", "/t/bench/stock".into()),
        (
            "stock_store_status",
            format!("/t/bench/stock?at=group:{store}&status=ok"),
        ),
        ("stock_search", "/t/bench/stock?q=SKU-01234".into()),
        ("product_detail", format!("/t/bench/stock/products/{product}")),
        ("overview", "/t/bench".into()),
    ];

    let app = Application::build(&settings, None).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    let server = tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let (cookie, _) = sign_in(&client, &base, &email, &password, None).await?;

    let mut results = BTreeMap::new();
    for (name, path) in &views {
        eprintln!("timing {name}…");
        let mut server_ms = Vec::with_capacity(SAMPLES);
        let mut overhead_ms = Vec::with_capacity(SAMPLES);
        for n in 0..WARM_UP + SAMPLES {
            let res = client
                .get(format!("{base}{path}"))
                .header("Cookie", &cookie)
                .send()
                .await?;
            if res.status() != reqwest::StatusCode::OK {
                return Err(BenchError::Failed(format!("{path} answered {}", res.status())));
            }
            let (total, sql) = timings(&res)?;
            res.bytes().await?;
            if n >= WARM_UP {
                server_ms.push(total);
                overhead_ms.push((total - sql).max(0.0));
            }
        }
        server_ms.sort_by(f64::total_cmp);
        overhead_ms.sort_by(f64::total_cmp);
        let round = |x: f64| (x * 100.0).round() / 100.0;
        results.insert(
            name.to_string(),
            serde_json::json!({
                "p50_ms": round(percentile(&server_ms, 50.0)),
                "p95_ms": round(percentile(&server_ms, 95.0)),
                "overhead_median_ms": round(percentile(&overhead_ms, 50.0)),
            }),
        );
    }

    // The load: rising open-loop rates until one misses the budget.
    let paths_file = std::env::temp_dir().join(format!("truestock-bench-paths-{}", std::process::id()));
    let paths: Vec<&str> = views.iter().map(|(_, p)| p.as_str()).collect();
    std::fs::write(&paths_file, paths.join("\n")).map_err(|e| failed("writing the paths", e))?;
    let mut best = serde_json::json!({"max_rate_rps": 0, "p99_ms": null, "errors": null});
    for rate in [25u32, 50, 100, 150, 200, 300, 400, 600, 800] {
        eprintln!("load at {rate} requests/s for {load_seconds} s…");
        let output = tokio::process::Command::new(std::env::current_exe().map_err(|e| failed("this program", e))?)
            .args(["bench", "load", "--url", &base, "--cookie", &cookie])
            .args(["--rate", &rate.to_string(), "--seconds", &load_seconds.to_string()])
            .arg("--paths")
            .arg(&paths_file)
            .output()
            .await
            .map_err(|e| failed("running the load generator", e))?;
        let line = String::from_utf8_lossy(&output.stdout);
        let report: serde_json::Value = serde_json::from_str(line.trim().lines().last().unwrap_or_default())
            .map_err(|e| failed(&format!("the load generator's report {line:?}"), e))?;
        eprintln!("  {report}");
        let p99 = report["p99_ms"].as_f64().unwrap_or(f64::INFINITY);
        let errors = report["errors"].as_u64().unwrap_or(u64::MAX);
        if p99 >= P99_BUDGET_MS || errors > 0 {
            if best["p99_ms"].is_null() {
                best = serde_json::json!({"max_rate_rps": 0, "p99_ms": p99, "errors": errors});
            }
            break;
        }
        best = serde_json::json!({"max_rate_rps": rate, "p99_ms": p99, "errors": errors});
    }
    std::fs::remove_file(&paths_file).ok();
    server.abort();
    if let Some((pull, refresh)) = provisioned {
        eprintln!("provisioning took {pull:.1} s to pull and {refresh:.1} s to compute the figures");
    }
    Ok(serde_json::json!({
        "bench": "stock",
        "dataset": dataset.name(),
        "views": results,
        "load": best,
    }))
}
