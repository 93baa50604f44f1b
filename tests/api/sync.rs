//! The pull against the simulator over HTTP, through the job queue: a full sync equals Odoo row by row
//! on every version, a second run writes nothing, changes and rows sharing one write-date second are
//! picked up, a page that fails to commit leaves nothing behind and the re-run converges, injected
//! 5xx and dropped connections still converge, a pull process killed in the middle of a page leaves no
//! partial page, one model's access denied degrades only that model, a revoked key stops that tenant
//! after one attempt while another tenant's pull completes, and reconciliation repairs merged quants and
//! documents deleted or committed behind the cursor, within the history horizon.

use std::net::SocketAddr;
use std::sync::Arc;

use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait};
use secrecy::SecretString;

use truestock::db::audit::Actor;
use truestock::db::entities::{odoo_product_product_cost, sync_run};
use truestock::db::mirror::MirrorTable;
use truestock::db::tenancy::with_tenant;
use truestock::domain::tenant::TenantId;
use truestock::jobs::worker::{DrainReport, drain};
use truestock::jobs::{self, NewJob, Queue, Registry};
use truestock::odoo::records::{
    Company, Currency, Location, Move, MoveLine, Orderpoint, Partner, Picking, PickingType, ProductCategory,
    ProductCost, ProductProduct, ProductTemplate, PurchaseOrder, PurchaseOrderLine, Quant, Scrap, ScrapReasonTag,
    SupplierInfo, Units, Uom, User, Warehouse,
};
use truestock::odoo::sim::{Dataset, RunningSimulator, SimConfig, Simulator};
use truestock::odoo::{Client, Domain, Reach, SearchOptions};
use truestock::sync::connection::{self, ConnectionSettings};
use truestock::sync::pull::{self, Mirror, RowContext, SyncDeps};

use crate::helpers::TestApp;

use crate::helpers::SIM_KEY as KEY;

async fn simulator(version: u8) -> RunningSimulator {
    crate::helpers::start_simulator(version, Dataset::RetailS).await
}

fn registry(app: &TestApp) -> Registry {
    crate::helpers::production_registry(app)
}

async fn connect(app: &TestApp, tenant: TenantId, sim: &RunningSimulator) {
    crate::helpers::connect_to(app, tenant, sim).await
}

/// A test app with tenant `acme` connected to a simulated Odoo 17 (retail-S), and the jobs' registry.
async fn connected() -> (TestApp, Registry, TenantId, RunningSimulator) {
    let app = TestApp::spawn().await;
    let registry = registry(&app);
    let tenant = app.create_tenant("acme", "Acme").await;
    let sim = simulator(17).await;
    connect(&app, tenant, &sim).await;
    (app, registry, tenant, sim)
}

/// Runs a reconciliation of `scope` (`quants` or `all`) now; returns its run record.
async fn reconcile_now(app: &TestApp, tenant: TenantId, registry: &Registry, scope: &str) -> sync_run::Model {
    let job = NewJob::new(Queue::Pull, truestock::sync::reconcile::KIND)
        .for_tenant(tenant)
        .payload(serde_json::json!({"scope": scope}));
    jobs::enqueue(&app.app_db, &job).await.unwrap().unwrap();
    // The reconciliation, and the stock refresh it queues.
    assert_eq!(drain(&app.app_db, registry, &[Queue::Pull]).await.unwrap().done, 2);
    last_run(&app.app_db, tenant).await
}

async fn pull_now(app: &TestApp, tenant: TenantId, registry: &Registry) -> DrainReport {
    let job = NewJob::new(Queue::Pull, pull::KIND).for_tenant(tenant).unique("pull");
    jobs::enqueue(&app.app_db, &job).await.unwrap().expect("queued");
    drain(&app.app_db, registry, &[Queue::Pull]).await.unwrap()
}

async fn last_run(db: &DatabaseConnection, tenant: TenantId) -> sync_run::Model {
    with_tenant(db, tenant, async |tx| truestock::db::mirror::recent_runs(tx, 1).await)
        .await
        .unwrap()
        .remove(0)
}

async fn sim_client(sim: &RunningSimulator) -> Client {
    let config = truestock::odoo::OdooConfig::new(
        sim.url.parse().unwrap(),
        &sim.simulator.config.database,
        &sim.simulator.config.login,
        SecretString::from(KEY.to_string()),
    )
    .reach_anywhere();
    Client::connect(config).await.unwrap()
}

/// The test's own reads of the simulator, retried on a transport error as the pull's are (a kept-alive
/// connection the server closed while the test compared rows).
async fn read_all<T: serde::de::DeserializeOwned>(
    client: &Client,
    model: &str,
    domain: &Domain,
    fields: &[&str],
    options: &SearchOptions,
) -> Vec<T> {
    let mut attempt = 0;
    loop {
        match client.search_read(model, domain, fields, options).await {
            Ok(records) => return records,
            Err(error) if error.is_transient() && attempt < 3 => attempt += 1,
            Err(error) => panic!("reading {model}: {error}"),
        }
    }
}

/// Every record Odoo has for `M` (documents: within the history horizon) equals its mirror row, and
/// (unless `extra_allowed`) the mirror has no other rows. Returns the number of records compared.
/// Records in `unseen` changed without a new write date (quant merges: for reconciliation to catch)
/// and are left out.
async fn assert_mirrored<M: Mirror>(
    app: &TestApp,
    tenant: TenantId,
    client: &Client,
    extra_allowed: bool,
    unseen: &[i64],
) -> usize {
    let version = client.version().major;
    if version < M::SINCE {
        return 0;
    }
    let fields = pull::fields_to_read::<M>(client).await.unwrap();
    let horizon = Utc::now() - chrono::Months::new(pull::HORIZON_MONTHS);
    let within = M::within_horizon(&horizon.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_else(Domain::all);
    let options = SearchOptions::default().include_archived().order("id");
    let records: Vec<M> = read_all(client, M::MODEL, &within, &fields, &options).await;
    let rows = with_tenant(&app.app_db, tenant, async |tx| {
        <M::Table as EntityTrait>::find().all(tx).await
    })
    .await
    .unwrap();
    let held: std::collections::HashMap<i64, _> = rows.iter().map(|r| (M::Table::odoo_id(r), r)).collect();
    let units = match M::UNITS {
        true => Some(odoo_units(client).await),
        false => None,
    };
    let at = RowContext {
        version,
        company_id: None,
        synced_at: Utc::now(),
        units: units.as_ref(),
    };
    for record in records.iter().filter(|r| !unseen.contains(&r.position().0)) {
        let expected = record.to_row(&at);
        let row = held
            .get(&M::Table::odoo_id(&expected))
            .unwrap_or_else(|| panic!("{} {} is not mirrored", M::MODEL, M::Table::odoo_id(&expected)));
        assert!(
            M::Table::same_data(row, &expected),
            "{}: {row:?} != {expected:?}",
            M::MODEL
        );
    }
    if !extra_allowed {
        let live = rows.iter().filter(|r| !M::Table::is_deleted(r)).count();
        assert_eq!(
            live,
            records.len(),
            "{}: rows Odoo no longer has are not marked",
            M::MODEL
        );
    }
    records.len()
}

/// Odoo's units and each product's unit, read from Odoo itself: what quantities in the product's unit
/// must have been converted with.
async fn odoo_units(client: &Client) -> Units {
    async fn all<M: Mirror>(client: &Client) -> Vec<M> {
        let fields = pull::fields_to_read::<M>(client).await.unwrap();
        let options = SearchOptions::default().include_archived();
        read_all(client, M::MODEL, &Domain::all(), &fields, &options).await
    }
    let templates: std::collections::HashMap<i64, i64> = all::<ProductTemplate>(client)
        .await
        .into_iter()
        .filter_map(|t| Some((t.id, t.uom_id?.id)))
        .collect();
    let products = all::<ProductProduct>(client)
        .await
        .into_iter()
        .filter_map(|p| Some((p.id, *templates.get(&p.product_tmpl_id?.id)?)));
    Units::new(all::<Uom>(client).await, products)
}

async fn assert_all_mirrored(app: &TestApp, tenant: TenantId, client: &Client, extra_allowed: bool, merged: &[i64]) {
    assert_mirrored::<Company>(app, tenant, client, extra_allowed, &[]).await;
    assert_mirrored::<Warehouse>(app, tenant, client, extra_allowed, &[]).await;
    assert_mirrored::<Location>(app, tenant, client, extra_allowed, &[]).await;
    assert!(assert_mirrored::<ProductTemplate>(app, tenant, client, extra_allowed, &[]).await >= 2_000);
    assert!(assert_mirrored::<ProductProduct>(app, tenant, client, extra_allowed, &[]).await >= 2_000);
    assert!(assert_mirrored::<Quant>(app, tenant, client, extra_allowed, merged).await > 2_000);
    assert_mirrored::<Currency>(app, tenant, client, extra_allowed, &[]).await;
    assert!(assert_mirrored::<Partner>(app, tenant, client, extra_allowed, &[]).await > 10);
    assert!(assert_mirrored::<User>(app, tenant, client, extra_allowed, &[]).await > 1);
    assert!(assert_mirrored::<Uom>(app, tenant, client, extra_allowed, &[]).await > 1);
    assert!(assert_mirrored::<ProductCategory>(app, tenant, client, extra_allowed, &[]).await > 1);
    assert!(assert_mirrored::<PickingType>(app, tenant, client, extra_allowed, &[]).await > 1);
    assert!(assert_mirrored::<SupplierInfo>(app, tenant, client, extra_allowed, &[]).await >= 2_000);
    assert!(assert_mirrored::<Orderpoint>(app, tenant, client, extra_allowed, &[]).await > 100);
    assert!(assert_mirrored::<PurchaseOrder>(app, tenant, client, extra_allowed, &[]).await > 100);
    assert!(assert_mirrored::<PurchaseOrderLine>(app, tenant, client, extra_allowed, &[]).await > 500);
    assert!(assert_mirrored::<Picking>(app, tenant, client, extra_allowed, &[]).await > 100);
    assert_mirrored::<ScrapReasonTag>(app, tenant, client, extra_allowed, &[]).await;
    assert!(assert_mirrored::<Scrap>(app, tenant, client, extra_allowed, &[]).await > 10);
    assert!(assert_mirrored::<Move>(app, tenant, client, extra_allowed, &[]).await > 2_000);
    assert!(assert_mirrored::<MoveLine>(app, tenant, client, extra_allowed, &[]).await > 2_000);
    if !extra_allowed {
        assert_costs_mirrored(app, tenant, client).await;
    }
}

/// Moves the simulated Odoo on `ticks` times as live mode does; returns the quants merged behind the
/// cursor (their quantity changed without a new write date).
fn live_ticks(sim: &RunningSimulator, ticks: usize, seed: u64) -> Vec<i64> {
    use rand::SeedableRng as _;
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut state = truestock::odoo::sim::live::LiveState::default();
    let mut merged = Vec::new();
    for _ in 0..ticks {
        let tick = sim
            .simulator
            .with_store_mut(|store| truestock::odoo::sim::live::tick(store, &mut state, &mut rng));
        merged.extend(tick.merged);
    }
    merged
}

fn written(run: &sync_run::Model) -> u64 {
    run.models
        .as_object()
        .unwrap()
        .values()
        .map(|m| m["inserted"].as_u64().unwrap() + m["updated"].as_u64().unwrap() + m["history"].as_u64().unwrap())
        .sum()
}

/// The windows a reconciliation run found different, over every model.
fn differing(run: &sync_run::Model) -> u64 {
    run.models
        .as_object()
        .unwrap()
        .values()
        .map(|m| m["differing"].as_u64().unwrap())
        .sum()
}

/// Every product's cost as each company sees it equals its row of `odoo_product_product_cost`.
async fn assert_costs_mirrored(app: &TestApp, tenant: TenantId, client: &Client) {
    #[derive(serde::Deserialize)]
    struct Id {
        id: i64,
    }
    let companies: Vec<Id> = client
        .search_read("res.company", &Domain::all(), &["id"], &SearchOptions::default())
        .await
        .unwrap();
    assert!(companies.len() >= 2, "retail-S has two companies");
    let rows = with_tenant(&app.app_db, tenant, async |tx| {
        odoo_product_product_cost::Entity::find().all(tx).await
    })
    .await
    .unwrap();
    let held: std::collections::HashMap<(i64, i64), _> = rows
        .iter()
        .filter(|r| r.odoo_deleted_at.is_none())
        .map(|r| ((r.odoo_id, r.company_id), r))
        .collect();
    let mut compared = 0;
    for company in &companies {
        let fields = pull::fields_to_read::<ProductCost>(client).await.unwrap();
        let options = SearchOptions::default()
            .include_archived()
            .context("allowed_company_ids", serde_json::json!([company.id]));
        let records: Vec<ProductCost> = read_all(client, "product.product", &Domain::all(), &fields, &options).await;
        let at = RowContext {
            version: client.version().major,
            company_id: Some(company.id),
            synced_at: Utc::now(),
            units: None,
        };
        for record in &records {
            let expected = record.to_row(&at);
            let row = held.get(&(expected.odoo_id, company.id)).unwrap_or_else(|| {
                panic!(
                    "cost of {} for company {} is not mirrored",
                    expected.odoo_id, company.id
                )
            });
            assert!(
                <odoo_product_product_cost::Entity as MirrorTable>::same_data(row, &expected),
                "{row:?} != {expected:?}"
            );
            compared += 1;
        }
    }
    assert_eq!(compared, held.len(), "extra cost rows in the mirror");
}

#[tokio::test]
async fn a_full_pull_equals_odoo_row_by_row_on_every_version_and_a_second_run_writes_nothing() {
    let app = TestApp::spawn().await;
    let registry = registry(&app);
    for version in [16, 17, 18, 19] {
        let tenant = app.create_tenant(&format!("acme{version}"), "Acme").await;
        let sim = simulator(version).await;
        connect(&app, tenant, &sim).await;
        let report = pull_now(&app, tenant, &registry).await;
        assert_eq!(
            report.done, 2,
            "Odoo {version}: the pull and its stock refresh: {report:?}"
        );
        let run = last_run(&app.app_db, tenant).await;
        assert_eq!(run.status, "succeeded", "Odoo {version}: {run:?}");
        let client = sim_client(&sim).await;
        assert_all_mirrored(&app, tenant, &client, false, &[]).await;
        for (table, unconverted) in [
            ("odoo_stock_move_line", "quantity_done_product_uom IS NULL"),
            ("odoo_stock_scrap", "scrap_qty_product_uom IS NULL"),
        ] {
            assert_eq!(
                rows(&app, tenant, table, unconverted).await,
                0,
                "Odoo {version}: {table}"
            );
        }

        pull_now(&app, tenant, &registry).await;
        let again = last_run(&app.app_db, tenant).await;
        assert_eq!(
            (again.status.as_str(), written(&again)),
            ("succeeded", 0),
            "Odoo {version}: {again:?}"
        );
        sim.stop().await;
    }
}

#[tokio::test]
async fn changes_and_rows_sharing_one_write_second_across_pages_are_picked_up() {
    let (app, registry, tenant, sim) = connected().await;
    pull_now(&app, tenant, &registry).await;

    // Live activity (sales, receipts, scraps, counts), and 1,200 quants rewritten within one second,
    // more than two pages of them.
    let merged = live_ticks(&sim, 5, 7);
    let second = Utc::now().naive_utc() + chrono::Duration::seconds(2);
    sim.simulator.with_store_mut(|store| {
        for (n, quant) in store.ids("stock.quant").into_iter().rev().take(1_200).enumerate() {
            let at = second + chrono::Duration::microseconds((n as i64 * 7_919) % 1_000_000);
            store.set_raw(
                "stock.quant",
                quant,
                "write_date",
                truestock::odoo::sim::store::Val::DateTime(at),
            );
            store.set_raw(
                "stock.quant",
                quant,
                "reserved_quantity",
                truestock::odoo::sim::store::Val::Float(n as f64 % 3.0),
            );
        }
    });
    pull_now(&app, tenant, &registry).await;
    let run = last_run(&app.app_db, tenant).await;
    assert_eq!(run.status, "succeeded");
    assert!(written(&run) >= 1_200, "{run:?}");
    // Quants Odoo deleted (sold out, merged) stay until reconciliation marks them; all others match.
    let client = sim_client(&sim).await;
    assert_all_mirrored(&app, tenant, &client, true, &merged).await;
    sim.stop().await;
}

#[tokio::test]
async fn a_page_that_fails_to_commit_leaves_nothing_and_the_rerun_converges() {
    let (app, registry, tenant, sim) = connected().await;
    let schema = tenant.schema_name();
    // The database refuses one quant in the middle of a page (a crash between read and commit).
    // In the second page, whose order is the pull's: write-date second, then id.
    let poisoned = sim.simulator.with_store_mut(|store| {
        use truestock::odoo::sim::store::Val;
        let mut quants: Vec<_> = store
            .ids("stock.quant")
            .into_iter()
            .map(|id| match store.get("stock.quant", id, "write_date") {
                Val::DateTime(at) => (Some(at.and_utc().timestamp()), id),
                _ => (None, id),
            })
            .collect();
        quants.sort();
        quants[pull::PAGE_SIZE + 234].1
    });
    app.su_exec(&format!(
        "CREATE FUNCTION {schema}.refuse() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN IF NEW.odoo_id = {poisoned} THEN RAISE EXCEPTION 'crash mid-page'; END IF; RETURN NEW; END $$;
         CREATE TRIGGER refuse BEFORE INSERT ON {schema}.odoo_stock_quant FOR EACH ROW EXECUTE FUNCTION {schema}.refuse();"
    ))
    .await;
    let report = pull_now(&app, tenant, &registry).await;
    assert_eq!(report.retrying, 1, "{report:?}");
    let count = |sql: String| {
        let app = &app;
        async move { app.su_number(&sql).await }
    };
    let mirrored = count(format!("SELECT count(*) AS n FROM {schema}.odoo_stock_quant")).await;
    assert!(mirrored > 0, "the pages before the failing one were committed");
    assert_eq!(
        mirrored % pull::PAGE_SIZE as i64,
        0,
        "only whole pages were committed: {mirrored}"
    );
    let committed_rows = count(format!(
        "SELECT rows_synced AS n FROM {schema}.sync_cursors WHERE model = 'stock.quant'"
    ))
    .await;
    // The cursor counts the rows its committed pages read, which includes a second re-read at a page
    // boundary (drained again by id) but nothing of the failed page.
    assert!(
        (mirrored..mirrored + pull::PAGE_SIZE as i64).contains(&committed_rows),
        "the cursor moved with the committed pages only: {committed_rows} rows for {mirrored} mirrored"
    );
    app.su_exec(&format!("DROP TRIGGER refuse ON {schema}.odoo_stock_quant"))
        .await;
    app.su_exec("UPDATE control.jobs SET run_at = now()").await;
    let report = drain(&app.app_db, &registry, &[Queue::Pull]).await.unwrap();
    assert_eq!(report.done, 2, "the pull and its stock refresh: {report:?}");
    assert_all_mirrored(&app, tenant, &sim_client(&sim).await, false, &[]).await;
    sim.stop().await;
}

/// The state of job `id`.
async fn job_state(app: &TestApp, tenant: TenantId, id: i64) -> String {
    let filter = jobs::Filter {
        tenant_id: Some(tenant.as_uuid()),
        state: None,
        limit: 20,
    };
    let listed = jobs::list(&app.app_db, &filter).await.unwrap();
    listed.into_iter().find(|j| j.id == id).expect("the job exists").state
}

/// Drains the pull queue until job `id` is done, letting its backoff pass between attempts.
async fn drain_until_done(app: &TestApp, tenant: TenantId, registry: &Registry, id: i64) {
    for _ in 0..20 {
        drain(&app.app_db, registry, &[Queue::Pull]).await.unwrap();
        if job_state(app, tenant, id).await == "done" {
            return;
        }
        // Time passes (the job's backoff).
        app.su_exec("UPDATE control.jobs SET run_at = now() WHERE state = 'queued'")
            .await;
    }
    panic!("job {id} is {}", job_state(app, tenant, id).await);
}

/// Sends orders to the simulator's control API, as an operator's script would.
async fn sim_control(sim: &RunningSimulator, orders: serde_json::Value) {
    let answer = reqwest::Client::new()
        .post(format!("{}/__sim/control", sim.url.trim_end_matches('/')))
        .bearer_auth(KEY)
        .json(&orders)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), reqwest::StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn twenty_percent_injected_5xx_and_dropped_connections_still_converge_on_every_model() {
    let (app, registry, tenant, sim) = connected().await;
    // One request in ten answered 502, one in ten dropped mid-answer.
    sim_control(&sim, serde_json::json!({"error_rate": 0.1, "drop_rate": 0.1})).await;
    let job = NewJob::new(Queue::Pull, pull::KIND).for_tenant(tenant).unique("pull");
    let id = jobs::enqueue(&app.app_db, &job).await.unwrap().unwrap();
    drain_until_done(&app, tenant, &registry, id).await;
    // And a nightly reconciliation through the same faults finds nothing to repair.
    let all = NewJob::new(Queue::Pull, truestock::sync::reconcile::KIND)
        .for_tenant(tenant)
        .payload(serde_json::json!({"scope": "all"}));
    let id = jobs::enqueue(&app.app_db, &all).await.unwrap().unwrap();
    drain_until_done(&app, tenant, &registry, id).await;
    let run = last_run(&app.app_db, tenant).await;
    assert_eq!((run.kind.as_str(), run.status.as_str()), ("reconcile", "succeeded"));
    assert_eq!(differing(&run), 0, "{run:?}");
    sim_control(&sim, serde_json::json!({"error_rate": 0.0, "drop_rate": 0.0})).await;
    assert_all_mirrored(&app, tenant, &sim_client(&sim).await, false, &[]).await;
    sim.stop().await;
}

#[tokio::test]
async fn an_odoo_that_keeps_failing_opens_one_sync_failing_alert_that_the_next_good_run_resolves() {
    let (app, registry, tenant, sim) = connected().await;
    let open_alerts = format!(
        "SELECT count(*) AS n FROM {}.alerts WHERE kind = 'sync_failing' AND resolved_at IS NULL",
        tenant.schema_name()
    );
    // Every answer a 502: each attempt of the pull fails and is retried after its backoff.
    sim_control(&sim, serde_json::json!({"error_rate": 1.0})).await;
    let job = NewJob::new(Queue::Pull, pull::KIND).for_tenant(tenant).unique("pull");
    let id = jobs::enqueue(&app.app_db, &job).await.unwrap().unwrap();
    let mut failed = 0;
    for attempt in 1..=pull::FAILURES_BEFORE_ALERT + 1 {
        let report = drain(&app.app_db, &registry, &[Queue::Pull]).await.unwrap();
        assert_eq!(report.retrying, 1, "attempt {attempt}: {report:?}");
        failed += 1;
        let run = last_run(&app.app_db, tenant).await;
        assert_eq!(run.status, "failed", "{run:?}");
        assert!(
            run.error.is_some_and(|e| !e.contains("502")),
            "the error is in words, not a status code"
        );
        let expected = i64::from(failed >= pull::FAILURES_BEFORE_ALERT);
        assert_eq!(
            app.su_number(&open_alerts).await,
            expected,
            "after {failed} failed runs"
        );
        app.su_exec("UPDATE control.jobs SET run_at = now() WHERE state = 'queued'")
            .await;
    }
    let admin = app
        .signed_in(&app.add_user("ada@acme.test", "acme", "admin").await)
        .await;
    let (_, html) = admin.get_html("/t/acme/sync").await;
    assert!(
        html.contains("attempts to sync with Odoo failed"),
        "the sync page shows the alert: {html}"
    );
    // Odoo answers again: the retried pull completes and the alert is over.
    sim_control(&sim, serde_json::json!({"error_rate": 0.0})).await;
    drain_until_done(&app, tenant, &registry, id).await;
    assert_eq!(app.su_number(&open_alerts).await, 0);
    sim.stop().await;
}

const CHILD_PULL_DB: &str = "TRUESTOCK_TEST_PULL_DATABASE";

/// Not a test: the pull process that the crash test starts (this test binary again, running only this
/// function) and kills. Does nothing when run without its database.
#[tokio::test]
#[ignore = "started as a child process by the crash test"]
async fn child_pull() {
    let Ok(database) = std::env::var(CHILD_PULL_DB) else {
        return;
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let settings = crate::helpers::settings_for(&database, false);
    let db = truestock::db::connect(&settings.database_url, 2).await.unwrap();
    let sync = Arc::new(SyncDeps {
        ring: settings.key_ring().unwrap(),
        reach: Reach::Anywhere,
    });
    let mailer = Arc::new(settings.mailer(&settings.public_url(settings.bind)).unwrap());
    let registry = Registry::production(sync, mailer);
    drain(&db, &registry, &[Queue::Pull]).await.unwrap();
}

/// The child pull process; killed when dropped, so a failing test leaves no process behind.
struct ChildPull(std::process::Child);

impl Drop for ChildPull {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Polls until `check` holds (or panics after `seconds`).
async fn eventually(seconds: u64, what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(seconds);
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_pull_process_killed_in_the_middle_of_a_page_leaves_no_partial_page_and_the_rerun_converges() {
    use sea_orm::TransactionTrait as _;
    let (app, registry, tenant, sim) = connected().await;
    let schema = tenant.schema_name();
    // Slow pages, so that the pull is still reading quants when the test steps in.
    sim_control(&sim, serde_json::json!({"page_latency_ms": 150})).await;
    let job = NewJob::new(Queue::Pull, pull::KIND).for_tenant(tenant).unique("pull");
    let id = jobs::enqueue(&app.app_db, &job).await.unwrap().unwrap();
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["sync::child_pull", "--exact", "--ignored", "--nocapture"])
        .env(CHILD_PULL_DB, &app.database)
        .env("RUST_LOG", "warn")
        .spawn()
        .expect("the child pull starts");
    let mut child = ChildPull(child);
    let quants = format!("SELECT count(*) AS n FROM {schema}.odoo_stock_quant");
    eventually(180, "two pages of quants to commit", async || {
        app.su_number(&quants).await >= 1_000
    })
    .await;
    // Hold the next page of quants in the middle of its transaction: its rows are read and compared,
    // its history entries written, and its insert waits behind this lock until the process dies.
    let lock = app.superuser_db.begin().await.unwrap();
    lock.execute_unprepared(&format!("LOCK TABLE {schema}.odoo_stock_quant IN SHARE MODE"))
        .await
        .unwrap();
    let waiting = format!(
        "SELECT count(*) AS n FROM pg_locks WHERE relation = '{schema}.odoo_stock_quant'::regclass AND NOT granted"
    );
    eventually(60, "a page write to wait on the lock", async || {
        app.su_number(&waiting).await == 1
    })
    .await;
    child.0.kill().unwrap(); // SIGKILL, mid-page
    child.0.wait().unwrap();
    lock.rollback().await.unwrap();

    // What the mirror holds is exactly what the cursor's committed pages cover: every quant written in
    // a second before the cursor's, none after it, and in the cursor's second (drained by id) those up
    // to its last id; the killed page's rows are not there.
    let client = sim_client(&sim).await;
    let odoo: Vec<Quant> = read_all(
        &client,
        "stock.quant",
        &Domain::all(),
        &["id", "write_date"],
        &SearchOptions::default(),
    )
    .await;
    let held: std::collections::HashSet<i64> = with_tenant(&app.app_db, tenant, async |tx| {
        truestock::db::entities::odoo_stock_quant::Entity::find().all(tx).await
    })
    .await
    .unwrap()
    .into_iter()
    .map(|q| q.odoo_id)
    .collect();
    let cursor = |column: &str| format!("SELECT {column} AS n FROM {schema}.sync_cursors WHERE model = 'stock.quant'");
    let bucket = app.su_number(&cursor("extract(epoch FROM bucket)::bigint")).await;
    let last_id = app.su_number(&cursor("last_id")).await;
    assert!(
        held.len() >= 1_000 && held.len() < odoo.len(),
        "{} of {}",
        held.len(),
        odoo.len()
    );
    for quant in &odoo {
        let (id, written) = quant.position();
        let second = written.unwrap().timestamp();
        let is_held = held.contains(&id);
        if second < bucket || (second == bucket && last_id > 0 && id <= last_id) {
            assert!(is_held, "quant {id} before the cursor is mirrored");
        } else if second > bucket || (second == bucket && last_id > 0) {
            assert!(!is_held, "quant {id} after the cursor is not mirrored");
        }
    }
    let synced = app.su_number(&cursor("rows_synced")).await;
    assert!(
        synced >= held.len() as i64,
        "the cursor counted its pages' rows: {synced}"
    );
    let history = app
        .su_number(&format!("SELECT count(*) AS n FROM {schema}.odoo_stock_quant_history"))
        .await;
    let with_count = app
        .su_number(&format!(
            "SELECT count(*) AS n FROM {schema}.odoo_stock_quant WHERE inventory_quantity_set"
        ))
        .await;
    assert_eq!(history, with_count, "no history entry of the killed page survived");
    assert_eq!(
        job_state(&app, tenant, id).await,
        "running",
        "the dead process's lease still holds"
    );

    // The lease runs out; the job runs again and converges.
    sim_control(&sim, serde_json::json!({"page_latency_ms": 0})).await;
    app.su_exec(&format!("UPDATE control.jobs SET locked_until = now() WHERE id = {id}"))
        .await;
    assert_eq!(
        truestock::db::jobs::rescue_expired(&app.superuser_db).await.unwrap(),
        (1, 0)
    );
    drain_until_done(&app, tenant, &registry, id).await;
    assert_all_mirrored(&app, tenant, &sim_client(&sim).await, false, &[]).await;
    sim.stop().await;
}

#[tokio::test]
async fn one_models_access_denied_degrades_only_that_model() {
    let (app, registry, tenant, sim) = connected().await;
    sim.simulator.faults.deny_model("stock.warehouse");
    let report = pull_now(&app, tenant, &registry).await;
    assert_eq!(report.done, 2, "the pull and its stock refresh: {report:?}");
    let run = last_run(&app.app_db, tenant).await;
    assert_eq!(run.status, "partial");
    assert!(
        run.models["stock.warehouse"]["error"]
            .as_str()
            .unwrap()
            .contains("stock.warehouse")
    );
    let schema = tenant.schema_name();
    assert_eq!(
        app.su_number(&format!("SELECT count(*) AS n FROM {schema}.odoo_stock_warehouse"))
            .await,
        0
    );
    assert!(
        app.su_number(&format!("SELECT count(*) AS n FROM {schema}.odoo_stock_quant"))
            .await
            > 2_000
    );
    sim.stop().await;
}

#[tokio::test]
async fn a_revoked_key_stops_that_tenant_after_one_attempt_while_another_tenants_pull_completes() {
    let app = TestApp::spawn().await;
    let registry = registry(&app);
    let a = app.create_tenant("acme", "Acme").await;
    let b = app.create_tenant("bolt", "Bolt").await;
    let sim_a = simulator(17).await;
    let sim_b = simulator(18).await;
    connect(&app, a, &sim_a).await;
    connect(&app, b, &sim_b).await;
    sim_a.simulator.revoke_key(KEY);
    for tenant in [a, b] {
        let job = NewJob::new(Queue::Pull, pull::KIND).for_tenant(tenant).unique("pull");
        jobs::enqueue(&app.app_db, &job).await.unwrap().unwrap();
    }
    let report = drain(&app.app_db, &registry, &[Queue::Pull]).await.unwrap();
    assert_eq!(
        (report.done, report.discarded, report.retrying),
        (2, 1, 0),
        "{report:?}"
    );
    let stopped = app
        .su_number(&format!(
            "SELECT count(*) AS n FROM control.jobs WHERE tenant_id = '{}' AND state = 'discarded' AND attempts = 1",
            a.as_uuid()
        ))
        .await;
    assert_eq!(stopped, 1, "no retry storm against Odoo's login cooldown");
    let status = app
        .su_number(&format!(
            "SELECT count(*) AS n FROM control.odoo_connections WHERE tenant_id = '{}' AND status = 'credential_invalid'",
            a.as_uuid()
        ))
        .await;
    assert_eq!(status, 1);
    assert_eq!(last_run(&app.app_db, b).await.status, "succeeded");
    // One alert for the admins, however often Odoo refuses; none for the other tenant.
    let job = NewJob::new(Queue::Pull, pull::KIND).for_tenant(a).unique("pull");
    jobs::enqueue(&app.app_db, &job).await.unwrap().unwrap();
    drain(&app.app_db, &registry, &[Queue::Pull]).await.unwrap();
    let alerts = |tenant: TenantId| {
        format!(
            "SELECT count(*) AS n FROM {}.alerts WHERE kind = 'credential_invalid' AND resolved_at IS NULL",
            tenant.schema_name()
        )
    };
    assert_eq!(app.su_number(&alerts(a)).await, 1);
    assert_eq!(app.su_number(&alerts(b)).await, 0);
    let admin = app
        .signed_in(&app.add_user("ada@acme.test", "acme", "admin").await)
        .await;
    let (_, html) = admin.get_html("/t/acme/sync").await;
    assert!(
        html.contains("Odoo refused TrueStock&#39;s login or API key")
            || html.contains("Odoo refused TrueStock&#x27;s login or API key"),
        "the sync page shows the alert: {html}"
    );
    // The schedule leaves the stopped tenant alone until an admin enters a new key.
    app.su_exec("DELETE FROM control.jobs").await;
    jobs::schedule::tick(&app.app_db, Utc::now()).await.unwrap();
    let scheduled: Vec<Option<uuid::Uuid>> = app
        .superuser_db
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT tenant_id FROM control.jobs WHERE kind = 'sync.pull'",
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get("", "tenant_id").unwrap())
        .collect();
    assert_eq!(scheduled, [Some(b.as_uuid())]);
    sim_a.stop().await;
    sim_b.stop().await;
}

#[tokio::test]
async fn reconciliation_repairs_merged_quants_and_marks_deleted_ones() {
    let (app, registry, tenant, sim) = connected().await;
    pull_now(&app, tenant, &registry).await;
    // Merges behind the cursor, and a quant Odoo deleted.
    let merged = live_ticks(&sim, 12, 11);
    assert!(!merged.is_empty(), "the live ticks merged quants");
    let gone = sim.simulator.with_store_mut(|store| {
        let quant = store.ids("stock.quant")[10];
        store.unlink("stock.quant", &[quant]).unwrap();
        quant
    });
    pull_now(&app, tenant, &registry).await;

    let run = reconcile_now(&app, tenant, &registry, "quants").await;
    assert_eq!((run.kind.as_str(), run.status.as_str()), ("reconcile", "succeeded"));
    assert!(run.models["stock.quant"]["differing"].as_u64().unwrap() >= 1, "{run:?}");
    assert_all_mirrored(&app, tenant, &sim_client(&sim).await, false, &[]).await;
    let marked = app
        .su_number(&format!(
            "SELECT count(*) AS n FROM {}.odoo_stock_quant WHERE odoo_id = {gone} AND odoo_deleted_at IS NOT NULL",
            tenant.schema_name()
        ))
        .await;
    assert_eq!(marked, 1, "a quant Odoo deleted is kept, marked");

    // Nothing left to repair: every window matches.
    let again = reconcile_now(&app, tenant, &registry, "all").await;
    assert_eq!(
        (again.status.as_str(), differing(&again)),
        ("succeeded", 0),
        "{again:?}"
    );
    sim.stop().await;
}

#[tokio::test]
async fn reconciliation_fetches_documents_committed_behind_the_cursor_and_marks_deleted_ones_within_the_horizon() {
    use serde_json::json;
    let (app, registry, tenant, sim) = connected().await;
    pull_now(&app, tenant, &registry).await;
    // Odoo deletes records of several models, and records appear with write dates long behind the
    // cursor: documents of three days ago (inside the horizon) and closed ones of 30 months ago.
    let (mut deleted, recent, old) = sim.simulator.with_store_mut(|store| {
        let mut deleted = Vec::new();
        for (model, nth) in [
            ("purchase.order.line", 3),
            ("stock.picking", 4),
            ("stock.move", 5),
            ("stock.move.line", 6),
            ("stock.scrap", 0),
            ("res.partner", 7),
            ("product.supplierinfo", 8),
            ("product.product", 9),
        ] {
            let id = store.ids(model)[nth];
            store.unlink(model, &[id]).unwrap();
            deleted.push((model, id));
        }
        // A variant committed behind the cursor: the costs of each company come with it.
        let template = store.ids("product.template")[0];
        let at = truestock::odoo::sim::store::now() - chrono::Duration::days(3);
        let values = json!({"product_tmpl_id": template, "default_code": "LATE-VARIANT"});
        let late = store
            .create_at("product.product", values.as_object().unwrap(), 2, at)
            .unwrap();
        deleted.push(("", late));
        let partner = store.ids("res.partner")[0];
        let product = store.ids("product.product")[0];
        let [from, to] = [0, 1].map(|i| store.ids("stock.location")[i]);
        let kind = store.ids("stock.picking.type")[0];
        let mut documents = |days: i64| {
            let at = truestock::odoo::sim::store::now() - chrono::Duration::days(days);
            let text = at.format("%Y-%m-%d %H:%M:%S").to_string();
            let mut create = |model: &'static str, values: serde_json::Value| {
                (
                    model,
                    store.create_at(model, values.as_object().unwrap(), 2, at).unwrap(),
                )
            };
            let order = create(
                "purchase.order",
                json!({"name": format!("LATE-{days}"), "partner_id": partner, "date_order": text,
                       "state": "purchase", "receipt_status": "full"}),
            );
            let line = create(
                "purchase.order.line",
                json!({"order_id": order.1, "product_id": product, "product_qty": 6.0, "product_uom_qty": 6.0,
                       "qty_received": 6.0, "date_planned": text}),
            );
            let picking = create(
                "stock.picking",
                json!({"name": format!("LATE/IN/{days}"), "picking_type_id": kind, "state": "done",
                       "date_done": text, "scheduled_date": text}),
            );
            let stock_move = create(
                "stock.move",
                json!({"product_id": product, "location_id": from, "location_dest_id": to,
                       "product_uom_qty": 1.0, "product_qty": 1.0, "quantity": 1.0, "picked": true,
                       "state": "done", "date": text, "picking_id": picking.1}),
            );
            let move_line = create(
                "stock.move.line",
                json!({"move_id": stock_move.1, "product_id": product, "location_id": from,
                       "location_dest_id": to, "quantity": 1.0, "picked": true, "state": "done", "date": text}),
            );
            let scrap = create(
                "stock.scrap",
                json!({"product_id": product, "scrap_qty": 1.0, "state": "done", "date_done": text}),
            );
            vec![order, line, picking, stock_move, move_line, scrap]
        };
        (deleted, documents(3), documents(913))
    });
    let table = |model: &str| format!("odoo_{}", model.replace('.', "_"));

    let run = reconcile_now(&app, tenant, &registry, "all").await;
    assert_eq!(
        (run.kind.as_str(), run.status.as_str()),
        ("reconcile", "succeeded"),
        "{run:?}"
    );
    for (model, id) in &recent {
        assert!(
            mirrored(&app, tenant, &table(model), *id).await,
            "{model} {id} was fetched"
        );
        assert!(run.models[*model]["rewritten"].as_u64().unwrap() >= 1, "{run:?}");
    }
    for (model, id) in &old {
        assert!(
            !mirrored(&app, tenant, &table(model), *id).await,
            "{model} {id} is older than the horizon and closed"
        );
    }
    let late_variant = deleted.pop().unwrap().1;
    assert!(mirrored(&app, tenant, "odoo_product_product", late_variant).await);
    assert!(
        run.models[truestock::sync::reconcile::COSTS]["rewritten"]
            .as_u64()
            .unwrap()
            >= 2,
        "{run:?}"
    );
    let (_, gone_variant) = deleted.iter().find(|(model, _)| *model == "product.product").unwrap();
    let live_costs = format!("odoo_id = {gone_variant} AND odoo_deleted_at IS NULL");
    assert_eq!(
        rows(&app, tenant, "odoo_product_product_cost", &live_costs).await,
        0,
        "the costs of a deleted variant are marked too"
    );
    let marked_costs = format!("odoo_id = {gone_variant} AND odoo_deleted_at IS NOT NULL");
    assert!(rows(&app, tenant, "odoo_product_product_cost", &marked_costs).await >= 1);
    for (model, id) in &deleted {
        let marked = format!("odoo_id = {id} AND odoo_deleted_at IS NOT NULL");
        assert_eq!(
            rows(&app, tenant, &table(model), &marked).await,
            1,
            "{model} {id} is kept, marked"
        );
        assert!(run.models[*model]["marked_deleted"].as_u64().unwrap() >= 1, "{run:?}");
    }
    for model in pull::PULLED_MODELS {
        assert!(
            run.models[model]["windows"].as_u64().unwrap() >= 1,
            "{model} is reconciled: {run:?}"
        );
    }
    assert_all_mirrored(&app, tenant, &sim_client(&sim).await, false, &[]).await;

    // Nothing left to repair, and an old document the mirror holds is not taken for deleted.
    let (model, id) = old[0];
    sim.simulator.with_store_mut(|store| {
        let values = json!({"origin": "reopened"});
        let at = truestock::odoo::sim::store::now();
        store
            .write_at(model, &[id], values.as_object().unwrap(), 2, at)
            .unwrap();
    });
    pull_now(&app, tenant, &registry).await;
    assert!(mirrored(&app, tenant, &table(model), id).await);
    let again = reconcile_now(&app, tenant, &registry, "all").await;
    assert_eq!(
        (again.status.as_str(), differing(&again)),
        ("succeeded", 0),
        "{again:?}"
    );
    let live = format!("odoo_id = {id} AND odoo_deleted_at IS NULL");
    assert_eq!(rows(&app, tenant, &table(model), &live).await, 1);
    sim.stop().await;
}

#[tokio::test]
async fn the_sync_page_shows_models_runs_and_jobs_to_admins_and_managers_only() {
    use reqwest::StatusCode;
    let app = TestApp::spawn().await;
    let registry = registry(&app);
    let tenant = app.create_tenant("acme", "Acme").await;
    app.create_tenant("bolt", "Bolt").await;
    let sim = simulator(17).await;
    connect(&app, tenant, &sim).await;
    sim.simulator.faults.deny_model("stock.warehouse");
    pull_now(&app, tenant, &registry).await;

    let manager = app
        .signed_in(&app.add_user("mia@acme.test", "acme", "manager").await)
        .await;
    let (status, html) = manager.get_html("/t/acme/sync").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("stock.quant") && html.contains("partial"), "{html}");
    assert!(
        html.contains("Odoo does not let TrueStock&#39;s user read stock.warehouse")
            || html.contains("does not let TrueStock"),
        "the degraded model is explained"
    );
    let (status, part) = manager.get_html("/t/acme/sync/status").await;
    assert_eq!(status, StatusCode::OK);
    assert!(part.contains("sync-status") && !part.contains("<html"), "{part}");

    // Sync now: queued once; a second click finds it queued.
    let token = manager.csrf_token("/t/acme/sync").await;
    let res = manager.post_form("/t/acme/sync/now", &[], &token).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(res.headers()["location"].to_str().unwrap().ends_with("notice=queued"));
    let res = manager.post_form("/t/acme/sync/now", &[], &token).await;
    assert!(res.headers()["location"].to_str().unwrap().ends_with("notice=already"));
    let queued = app
        .su_number("SELECT max(id) AS n FROM control.jobs WHERE state = 'queued' AND kind = 'sync.pull'")
        .await;
    let res = manager
        .post_form(&format!("/t/acme/sync/jobs/{queued}/cancel"), &[], &token)
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = manager
        .post_form(&format!("/t/acme/sync/jobs/{queued}/cancel"), &[], &token)
        .await;
    assert_eq!(
        res.status(),
        StatusCode::BAD_REQUEST,
        "a cancelled job cannot be cancelled again"
    );
    let res = manager
        .post_form(&format!("/t/acme/sync/jobs/{queued}/retry"), &[], &token)
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // Another tenant's admin cannot see or steer acme's jobs; a viewer cannot see the page.
    let other = app
        .signed_in(&app.add_user("bo@bolt.test", "bolt", "admin").await)
        .await;
    assert_eq!(other.get_html("/t/acme/sync").await.0, StatusCode::NOT_FOUND);
    let token = other.csrf_token("/t/bolt/sync").await;
    let res = other
        .post_form(&format!("/t/bolt/sync/jobs/{queued}/cancel"), &[], &token)
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let viewer = app
        .signed_in(&app.add_user("vi@acme.test", "acme", "viewer").await)
        .await;
    assert_eq!(viewer.get_html("/t/acme/sync").await.0, StatusCode::FORBIDDEN);
    sim.stop().await;
}

#[tokio::test]
async fn the_webhook_queues_one_debounced_pull_needs_its_secret_and_is_rate_limited() {
    use reqwest::StatusCode;
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme", "Acme").await;
    let sim = simulator(17).await;
    connect(&app, tenant, &sim).await;
    let token = truestock::sync::webhook::rotate(&app.app_db, tenant)
        .await
        .unwrap()
        .unwrap();
    let http = reqwest::Client::new();
    let url = |token: &str| format!("{}{}", app.address, truestock::sync::webhook::path(token));
    for _ in 0..5 {
        let res = http
            .post(url(&token))
            .json(&serde_json::json!({"_model": "stock.move", "id": 1}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::ACCEPTED, "no CSRF token or session needed");
    }
    let queued = app
        .su_number(&format!(
            "SELECT count(*) AS n FROM control.jobs WHERE tenant_id = '{}' AND kind = 'sync.pull' AND state = 'queued'
               AND run_at > now() + interval '5 seconds'",
            tenant.as_uuid()
        ))
        .await;
    assert_eq!(queued, 1, "five calls, one debounced pull");
    assert_eq!(
        http.post(url("not-a-token")).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let rotated = truestock::sync::webhook::rotate(&app.app_db, tenant)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        http.post(url(&token)).send().await.unwrap().status(),
        StatusCode::NOT_FOUND,
        "the old URL is dead"
    );
    let mut statuses = Vec::new();
    for _ in 0..40 {
        statuses.push(http.post(url(&rotated)).send().await.unwrap().status());
    }
    assert!(statuses.contains(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    sim.stop().await;
}

/// The number of rows of a tenant table (as the superuser: the assertions look under the hood).
async fn rows(app: &TestApp, tenant: TenantId, table: &str, filter: &str) -> i64 {
    let schema = tenant.schema_name();
    app.su_number(&format!("SELECT count(*) AS n FROM {schema}.{table} WHERE {filter}"))
        .await
}

#[tokio::test]
async fn history_keeps_what_odoo_overwrites_and_only_when_it_changed() {
    use serde_json::json;
    use truestock::odoo::sim::store::{Val, now};
    let (app, registry, tenant, sim) = connected().await;
    pull_now(&app, tenant, &registry).await;
    // First sight: every promised date, supplier price, cost per company, reorder rule and product.
    let first = last_run(&app.app_db, tenant).await;
    assert_eq!(first.status, "succeeded", "{first:?}");
    for (table, at_least) in [
        ("odoo_purchase_order_line_history", 500),
        ("odoo_product_supplierinfo_history", 2_000),
        ("odoo_product_product_cost_history", 4_000),
        ("odoo_stock_warehouse_orderpoint_history", 100),
        ("odoo_product_template_history", 2_000),
        ("odoo_product_product_history", 2_000),
    ] {
        assert!(rows(&app, tenant, table, "true").await >= at_least, "{table}");
    }
    let counted = rows(&app, tenant, "odoo_stock_quant", "inventory_quantity_set").await;
    assert_eq!(rows(&app, tenant, "odoo_stock_quant_history", "true").await, counted);

    // In Odoo: a promised date moves, a cost changes in each company, a supplier raises a price, a
    // reorder rule's min changes, a count is entered, a product is renamed; and fields no history keeps
    // change on another purchase line and another supplier price (their write dates move too).
    let second_company = sim.simulator.with_store_mut(|store| store.ids("res.company")[1]);
    let (line, other_line, product, other_product, supplier, other_supplier, rule, quant, template) =
        sim.simulator.with_store_mut(|store| {
            let vals = |value: serde_json::Value| value.as_object().unwrap().clone();
            let line = store.ids("purchase.order.line")[0];
            let other_line = store.ids("purchase.order.line")[1];
            let [product, other_product] = [0, 1].map(|i| store.ids("product.product")[i]);
            let [supplier, other_supplier] = [0, 1].map(|i| store.ids("product.supplierinfo")[i]);
            let rule = store.ids("stock.warehouse.orderpoint")[0];
            let quant = store
                .ids("stock.quant")
                .into_iter()
                .find(|q| store.get("stock.quant", *q, "inventory_quantity_set") != Val::Bool(true))
                .unwrap();
            let template = store.ids("product.template")[0];
            let price = store.get("product.supplierinfo", supplier, "price").as_f64();
            let min = store
                .get("stock.warehouse.orderpoint", rule, "product_min_qty")
                .as_f64();
            let on_hand = store.get("stock.quant", quant, "quantity").as_f64();
            let write = |store: &mut truestock::odoo::sim::store::Store, model: &str, id: i64, values| {
                store.write_at(model, &[id], &vals(values), 2, now()).unwrap();
            };
            write(
                store,
                "purchase.order.line",
                line,
                json!({"date_planned": "2030-01-15 10:00:00"}),
            );
            write(
                store,
                "purchase.order.line",
                other_line,
                json!({"name": "Renamed line"}),
            );
            write(store, "product.product", product, json!({"standard_price": 123.45}));
            truestock::odoo::sim::products::write(
                store,
                "product.product",
                &[other_product],
                &vals(json!({"standard_price": 67.89})),
                2,
                Some(second_company),
            )
            .unwrap();
            write(store, "product.supplierinfo", supplier, json!({"price": price + 1.0}));
            write(
                store,
                "product.supplierinfo",
                other_supplier,
                json!({"product_code": "VENDOR-1"}),
            );
            write(
                store,
                "stock.warehouse.orderpoint",
                rule,
                json!({"product_min_qty": min + 3.0}),
            );
            write(
                store,
                "stock.quant",
                quant,
                json!({"inventory_quantity": on_hand + 1.0,
                "inventory_quantity_set": true, "user_id": 2}),
            );
            write(store, "product.template", template, json!({"name": "Renamed product"}));
            (
                line,
                other_line,
                product,
                other_product,
                supplier,
                other_supplier,
                rule,
                quant,
                template,
            )
        });
    let before: Vec<i64> = {
        let mut counts = Vec::new();
        for table in HISTORIES {
            counts.push(rows(&app, tenant, table, "true").await);
        }
        counts
    };
    pull_now(&app, tenant, &registry).await;
    let run = last_run(&app.app_db, tenant).await;
    assert_eq!(run.status, "succeeded", "{run:?}");

    let mut added = std::collections::BTreeMap::new();
    for (table, before) in HISTORIES.iter().zip(before) {
        added.insert(*table, rows(&app, tenant, table, "true").await - before);
    }
    assert_eq!(
        added,
        [
            ("odoo_purchase_order_line_history", 1),
            ("odoo_product_supplierinfo_history", 1),
            ("odoo_product_product_cost_history", 2),
            ("odoo_stock_warehouse_orderpoint_history", 1),
            ("odoo_stock_quant_history", 1),
            ("odoo_product_template_history", 1),
            ("odoo_product_product_history", 0),
        ]
        .into_iter()
        .collect()
    );
    let promised = format!("odoo_id = {line} AND date_planned = '2030-01-15 10:00:00+00'");
    assert_eq!(
        rows(&app, tenant, "odoo_purchase_order_line_history", &promised).await,
        1
    );
    assert_eq!(
        rows(
            &app,
            tenant,
            "odoo_purchase_order_line_history",
            &format!("odoo_id = {line}")
        )
        .await,
        2
    );
    assert_eq!(
        rows(
            &app,
            tenant,
            "odoo_purchase_order_line_history",
            &format!("odoo_id = {other_line}")
        )
        .await,
        1
    );
    let cost = |id: i64, company: i64, price: f64| {
        format!("odoo_id = {id} AND company_id = {company} AND standard_price = {price}")
    };
    assert_eq!(
        rows(
            &app,
            tenant,
            "odoo_product_product_cost_history",
            &cost(product, 1, 123.45)
        )
        .await,
        1
    );
    let other_cost = cost(other_product, second_company, 67.89);
    assert_eq!(
        rows(&app, tenant, "odoo_product_product_cost_history", &other_cost).await,
        1
    );
    assert_eq!(
        rows(
            &app,
            tenant,
            "odoo_product_supplierinfo_history",
            &format!("odoo_id = {supplier}")
        )
        .await,
        2
    );
    assert_eq!(
        rows(
            &app,
            tenant,
            "odoo_product_supplierinfo_history",
            &format!("odoo_id = {other_supplier}")
        )
        .await,
        1
    );
    assert_eq!(
        rows(
            &app,
            tenant,
            "odoo_stock_warehouse_orderpoint_history",
            &format!("odoo_id = {rule}")
        )
        .await,
        2
    );
    let count = format!("odoo_id = {quant} AND inventory_quantity_set AND user_id = 2 AND write_uid = 2");
    assert_eq!(rows(&app, tenant, "odoo_stock_quant_history", &count).await, 1);
    let renamed = format!("odoo_id = {template} AND name = 'Renamed product'");
    assert_eq!(rows(&app, tenant, "odoo_product_template_history", &renamed).await, 1);

    // Nothing changed since: nothing written, no history.
    pull_now(&app, tenant, &registry).await;
    let again = last_run(&app.app_db, tenant).await;
    assert_eq!((again.status.as_str(), written(&again)), ("succeeded", 0), "{again:?}");
    sim.stop().await;
}

const HISTORIES: [&str; 7] = [
    "odoo_purchase_order_line_history",
    "odoo_product_supplierinfo_history",
    "odoo_product_product_cost_history",
    "odoo_stock_warehouse_orderpoint_history",
    "odoo_stock_quant_history",
    "odoo_product_template_history",
    "odoo_product_product_history",
];

/// Whether the tenant's mirror table holds Odoo record `id`.
async fn mirrored(app: &TestApp, tenant: TenantId, table: &str, id: i64) -> bool {
    rows(app, tenant, table, &format!("odoo_id = {id}")).await == 1
}

#[tokio::test]
async fn the_first_sync_stops_at_the_horizon_and_open_documents_are_reread_on_every_run() {
    use serde_json::json;
    let (app, registry, tenant, sim) = connected().await;
    // Documents from 30 months ago: closed ones, and an order and a receipt still open.
    let old = sim.simulator.with_store_mut(|store| {
        let at = truestock::odoo::sim::store::now() - chrono::Duration::days(913);
        let text = at.format("%Y-%m-%d %H:%M:%S").to_string();
        let partner = store.ids("res.partner")[0];
        let product = store.ids("product.product")[0];
        let [from, to] = [0, 1].map(|i| store.ids("stock.location")[i]);
        let kind = store.ids("stock.picking.type")[0];
        let mut create = |model: &str, values: serde_json::Value| {
            store.create_at(model, values.as_object().unwrap(), 2, at).unwrap()
        };
        let order = |state: &str, receipt: &str| {
            json!({"name": format!("OLD-{receipt}"), "partner_id": partner, "date_order": text, "state": state,
                   "receipt_status": receipt})
        };
        let done_order = create("purchase.order", order("purchase", "full"));
        let done_line = create(
            "purchase.order.line",
            json!({"order_id": done_order, "product_id": product,
            "product_qty": 6.0, "product_uom_qty": 6.0, "qty_received": 6.0, "date_planned": text}),
        );
        let open_order = create("purchase.order", order("purchase", "partial"));
        let open_line = create(
            "purchase.order.line",
            json!({"order_id": open_order, "product_id": product,
            "product_qty": 6.0, "product_uom_qty": 6.0, "qty_received": 2.0, "date_planned": text}),
        );
        let done_picking = create(
            "stock.picking",
            json!({"name": "OLD/IN/1", "picking_type_id": kind,
            "state": "done", "date_done": text, "scheduled_date": text}),
        );
        let open_picking = create(
            "stock.picking",
            json!({"name": "OLD/IN/2", "picking_type_id": kind,
            "state": "assigned", "scheduled_date": text}),
        );
        let done_move = create(
            "stock.move",
            json!({"product_id": product, "location_id": from,
            "location_dest_id": to, "product_uom_qty": 1.0, "product_qty": 1.0, "quantity": 1.0, "picked": true,
            "state": "done", "date": text, "picking_id": done_picking}),
        );
        let done_move_line = create(
            "stock.move.line",
            json!({"move_id": done_move, "product_id": product,
            "location_id": from, "location_dest_id": to, "quantity": 1.0, "picked": true, "state": "done",
            "date": text}),
        );
        let done_scrap = create(
            "stock.scrap",
            json!({"product_id": product, "scrap_qty": 1.0, "state": "done",
            "date_done": text}),
        );
        [
            done_order,
            done_line,
            open_order,
            open_line,
            done_picking,
            open_picking,
            done_move,
            done_move_line,
            done_scrap,
        ]
    });
    let [
        done_order,
        done_line,
        open_order,
        open_line,
        done_picking,
        open_picking,
        done_move,
        done_move_line,
        done_scrap,
    ] = old;
    pull_now(&app, tenant, &registry).await;
    let run = last_run(&app.app_db, tenant).await;
    assert_eq!(run.status, "succeeded", "{run:?}");
    assert!(run.models["stock.move"]["horizon"].is_string(), "{run:?}");
    for (table, id) in [
        ("odoo_purchase_order", done_order),
        ("odoo_purchase_order_line", done_line),
        ("odoo_stock_picking", done_picking),
        ("odoo_stock_move", done_move),
        ("odoo_stock_move_line", done_move_line),
        ("odoo_stock_scrap", done_scrap),
    ] {
        assert!(
            !mirrored(&app, tenant, table, id).await,
            "{table} {id} is older than the horizon"
        );
    }
    for (table, id) in [
        ("odoo_purchase_order", open_order),
        ("odoo_purchase_order_line", open_line),
        ("odoo_stock_picking", open_picking),
    ] {
        assert!(mirrored(&app, tenant, table, id).await, "{table} {id} is open");
    }
    // Odoo recomputes stored fields of open documents without moving their write date: the order is
    // received in full, its line too, the receipt is done. A closed picking changed the same way is not
    // re-read (reconciliation's business).
    let closed_picking = sim.simulator.with_store_mut(|store| {
        use truestock::odoo::sim::store::Val;
        store.set_raw("purchase.order", open_order, "receipt_status", Val::Str("full".into()));
        store.set_raw("purchase.order.line", open_line, "qty_received", Val::Float(6.0));
        store.set_raw("stock.picking", open_picking, "state", Val::Str("done".into()));
        let closed = store
            .ids("stock.picking")
            .into_iter()
            .find(|p| store.get("stock.picking", *p, "state") == Val::Str("done".into()) && *p != open_picking)
            .unwrap();
        store.set_raw("stock.picking", closed, "origin", Val::Str("changed unseen".into()));
        closed
    });
    pull_now(&app, tenant, &registry).await;
    let run = last_run(&app.app_db, tenant).await;
    assert_eq!(run.status, "succeeded", "{run:?}");
    assert!(run.models["purchase.order"]["reread"].as_u64().unwrap() >= 1, "{run:?}");
    let received = format!("odoo_id = {open_order} AND receipt_status = 'full'");
    assert_eq!(rows(&app, tenant, "odoo_purchase_order", &received).await, 1);
    let line = format!("odoo_id = {open_line} AND qty_received = 6 AND qty_received_product_uom = 6");
    assert_eq!(rows(&app, tenant, "odoo_purchase_order_line", &line).await, 1);
    let done = format!("odoo_id = {open_picking} AND state = 'done'");
    assert_eq!(rows(&app, tenant, "odoo_stock_picking", &done).await, 1);
    let unseen = format!("odoo_id = {closed_picking} AND origin = 'changed unseen'");
    assert_eq!(rows(&app, tenant, "odoo_stock_picking", &unseen).await, 0);

    // Once the first sync is done, an old document that changes is pulled like any other.
    sim.simulator.with_store_mut(|store| {
        let values = json!({"origin": "reopened"});
        store
            .write_at(
                "purchase.order",
                &[done_order],
                values.as_object().unwrap(),
                2,
                truestock::odoo::sim::store::now(),
            )
            .unwrap();
    });
    pull_now(&app, tenant, &registry).await;
    let run = last_run(&app.app_db, tenant).await;
    assert!(run.models["stock.move"]["horizon"].is_null(), "{run:?}");
    assert!(mirrored(&app, tenant, "odoo_purchase_order", done_order).await);
    sim.stop().await;
}

/// Every `odoo_*` table of the tenant (mirrors and histories) with rows, and the cursors' count.
async fn leftovers(app: &TestApp, tenant: TenantId) -> (Vec<String>, i64) {
    let schema = tenant.schema_name();
    let tables: Vec<String> = app
        .superuser_db
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            format!("SELECT tablename FROM pg_tables WHERE schemaname = '{schema}' AND tablename LIKE 'odoo\\_%'"),
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get("", "tablename").unwrap())
        .collect();
    assert!(tables.len() > 25, "mirrors and histories: {tables:?}");
    let mut filled = Vec::new();
    for table in tables {
        if rows(app, tenant, &table, "true").await > 0 {
            filled.push(table);
        }
    }
    (filled, rows(app, tenant, "sync_cursors", "true").await)
}

#[tokio::test]
async fn a_confirmed_switch_to_another_odoo_database_empties_the_mirror_and_the_next_pull_fills_it_from_the_new_one() {
    let app = TestApp::spawn().await;
    let registry = registry(&app);
    let tenant = app.create_tenant("acme", "Acme").await;
    let old = simulator(17).await;
    let mut config = SimConfig::new(17, Dataset::RetailS);
    config.api_key = KEY.into();
    config.database = "south-retail".into();
    config.seed = 7;
    let new = RunningSimulator::start(
        tokio::task::spawn_blocking(move || Simulator::new(config))
            .await
            .unwrap(),
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .unwrap();
    let ring = app.settings.key_ring().unwrap();
    let actor = Actor {
        account_id: None,
        name: "test".into(),
        email: "test@test".into(),
    };
    // A successful test binds the tenant to the Odoo database its data comes from.
    let bind = async || {
        let today = Utc::now().date_naive();
        let outcome = connection::test(&app.app_db, &ring, tenant, Reach::Anywhere, &actor, today).await;
        assert_eq!(outcome.unwrap().status, "ok");
    };
    connect(&app, tenant, &old).await;
    bind().await;
    pull_now(&app, tenant, &registry).await;
    assert_eq!(last_run(&app.app_db, tenant).await.status, "succeeded");
    assert!(rows(&app, tenant, "odoo_stock_quant", "true").await > 2_000);
    assert!(rows(&app, tenant, "odoo_product_template_history", "true").await > 0);
    // A pull of the old database waits in the queue, and a reconciliation runs (claimed by a worker).
    let queued = jobs::enqueue(&app.app_db, &pull::job(tenant)).await.unwrap().unwrap();
    let reconcile = NewJob::new(Queue::Pull, truestock::sync::reconcile::KIND)
        .for_tenant(tenant)
        .unique("quants");
    let running = jobs::enqueue(&app.app_db, &reconcile).await.unwrap().unwrap();
    let claimed = truestock::db::jobs::claim_id(&app.app_db, running, "w1", 60.0)
        .await
        .unwrap()
        .unwrap();

    let settings = ConnectionSettings {
        url: new.url.clone(),
        database: new.simulator.config.database.clone(),
        login: new.simulator.config.login.clone(),
        api_key: Some(SecretString::from(KEY.to_string())),
        key_expires_on: None,
    };
    let refused = connection::save(&app.app_db, &ring, tenant, &settings, Reach::Anywhere, false, &actor).await;
    assert!(refused.is_err(), "another database needs confirmation");
    assert!(
        rows(&app, tenant, "odoo_stock_quant", "true").await > 2_000,
        "nothing emptied unconfirmed"
    );
    let saved = connection::save(&app.app_db, &ring, tenant, &settings, Reach::Anywhere, true, &actor)
        .await
        .unwrap();
    assert!(saved.mirror_reset);

    let (filled, cursors) = leftovers(&app, tenant).await;
    assert_eq!(
        (filled, cursors),
        (Vec::<String>::new(), 0),
        "mirror, history and cursors emptied"
    );
    for id in [queued, running] {
        let state = app
            .su_number(&format!(
                "SELECT count(*) AS n FROM control.jobs WHERE id = {id} AND state = 'cancelled'"
            ))
            .await;
        assert_eq!(state, 1, "job {id} of the old database is cancelled");
    }
    let token = claimed.lease_token.unwrap();
    assert!(
        !truestock::db::jobs::holds_lease(&app.app_db, running, token)
            .await
            .unwrap(),
        "the running job can no longer fence a page"
    );
    let reset = app
        .su_number(&format!(
            "SELECT count(*) AS n FROM {}.audit_log WHERE action = 'odoo.mirror.reset' AND (details->>'mirrored_rows')::bigint > 2000",
            tenant.schema_name()
        ))
        .await;
    assert_eq!(reset, 1, "the reset is audited with what it removed");

    bind().await;
    let report = pull_now(&app, tenant, &registry).await;
    assert_eq!(report.done, 2, "the pull and its stock refresh: {report:?}");
    let run = last_run(&app.app_db, tenant).await;
    assert_eq!(run.status, "succeeded", "{run:?}");
    assert_all_mirrored(&app, tenant, &sim_client(&new).await, false, &[]).await;
    old.stop().await;
    new.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_wait_pulls_in_the_calling_process_and_exits_non_zero_with_the_reason_when_odoo_refuses() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme", "Acme").await;
    let sim = simulator(17).await;
    connect(&app, tenant, &sim).await;
    // The simulator keeps answering on the runtime's other thread while this one waits.
    let sync = || app.command(&["sync", "acme", "--wait"]).output().unwrap();
    let ran = sync();
    let (out, err) = (
        String::from_utf8_lossy(&ran.stdout),
        String::from_utf8_lossy(&ran.stderr),
    );
    assert!(ran.status.success(), "{out}{err}");
    assert!(out.contains("pull of acme: succeeded"), "{out}");
    assert!(
        !err.contains("rows, about"),
        "no progress bar when stderr is not a terminal: {err}"
    );
    assert!(rows(&app, tenant, "odoo_stock_quant", "true").await > 2_000);

    sim.simulator.revoke_key(KEY);
    let refused = sync();
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "a failed pull exits non-zero");
    assert!(err.contains("Odoo refused the login or the API key"), "{err}");
    sim.stop().await;
}
