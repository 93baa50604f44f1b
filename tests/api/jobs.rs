//! The job queue on a real PostgreSQL: exactly-once draining by competing workers, unique and
//! schedule keys under concurrency, leases that fence completion and side effects (a worker process
//! killed with SIGKILL, another frozen with SIGSTOP past its lease), retries with backoff, discarding,
//! the per-tenant pull limit, enqueueing through the tenant's RLS policy, retention and shutdown, and
//! each tenant's pull interval setting the windows of its scheduled pulls.

use std::collections::HashMap;
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use truestock::db::jobs as store;
use truestock::db::tenancy::with_tenant;
use truestock::jobs::worker::{DrainReport, Worker, WorkerConfig, drain};
use truestock::jobs::{self, JobContext, JobError, NewJob, Queue, Registry};

use crate::helpers::TestApp;

const CHILD_DB: &str = "TRUESTOCK_TEST_WORKER_DB";

async fn pool(app: &TestApp, connections: u32) -> DatabaseConnection {
    truestock::db::connect(&app.settings.database_url, connections)
        .await
        .unwrap()
}

async fn job(app: &TestApp, id: i64) -> store::JobRow {
    store::get(&app.app_db, id, None)
        .await
        .unwrap()
        .expect("the job exists")
}

/// Polls until `check` holds (or panics after `seconds`).
async fn eventually<F, Fut>(seconds: u64, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A table outside the app's schemas where test handlers record what they did.
async fn effects_table(app: &TestApp) {
    app.su_exec(
        "CREATE TABLE public.job_effects (job_id bigint, attempt int, worker text, phase text);
         GRANT USAGE ON SCHEMA public TO ts_app;
         GRANT SELECT, INSERT ON public.job_effects TO ts_app;",
    )
    .await;
}

async fn record(db: &impl ConnectionTrait, ctx: &JobContext, worker: &str, phase: &str) -> Result<(), JobError> {
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO public.job_effects (job_id, attempt, worker, phase) VALUES ($1, $2, $3, $4)",
        [ctx.id.into(), ctx.attempt.into(), worker.into(), phase.into()],
    ))
    .await?;
    Ok(())
}

/// `test.slow`: records its start, sleeps (`first_ms` on the first attempt, `then_ms` after), then
/// commits its effect fenced by the lease.
fn slow_registry(worker: &'static str) -> Registry {
    let mut registry = Registry::default();
    registry.register("test.slow", move |ctx: JobContext| async move {
        record(&ctx.db, &ctx, worker, "start").await?;
        let key = if ctx.attempt == 1 { "first_ms" } else { "then_ms" };
        let ms = ctx.payload[key].as_u64().unwrap_or(0);
        tokio::time::sleep(Duration::from_millis(ms)).await;
        use sea_orm::TransactionTrait as _;
        let txn = ctx.db.begin().await?;
        ctx.lease.fence(&txn).await?;
        record(&txn, &ctx, worker, "effect").await?;
        txn.commit().await?;
        Ok(())
    });
    registry
}

fn fast_config(name: &str) -> WorkerConfig {
    let mut config = WorkerConfig::new(name);
    config.lease = Duration::from_secs(2);
    config.poll = Duration::from_millis(100);
    config.maintenance_every = Duration::from_millis(300);
    config.shutdown_grace = Duration::from_millis(500);
    config
}

/// Not a test: the worker process that the SIGKILL and SIGSTOP tests start (this test binary again,
/// running only this function). Does nothing when run without its database.
#[tokio::test]
#[ignore = "started as a child process by the lease tests"]
async fn child_worker() {
    let Ok(url) = std::env::var(CHILD_DB) else {
        return;
    };
    let db = truestock::db::connect(&SecretString::from(url), 4).await.unwrap();
    let mut config = fast_config("child");
    config.pull_slots = 0;
    config.other_slots = 1;
    Worker::new(db, slow_registry("child"), config)
        .run(std::future::pending())
        .await;
}

/// The child worker process; killed when dropped, so a failing test leaves no process behind.
struct ChildWorker(Child);

impl Drop for ChildWorker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_child(app: &TestApp) -> ChildWorker {
    let child = Command::new(std::env::current_exe().unwrap())
        .args(["jobs::child_worker", "--exact", "--ignored", "--nocapture"])
        .env(CHILD_DB, app.settings.database_url.expose_secret())
        .env("RUST_LOG", "warn")
        .spawn()
        .expect("the child worker starts");
    ChildWorker(child)
}

/// A `test.slow` job that a child worker process has started.
async fn started_by_child(app: &TestApp, first_ms: u64) -> (i64, ChildWorker) {
    effects_table(app).await;
    let id = enqueue_slow(app, first_ms).await;
    let child = start_child(app);
    eventually(60, "the child to start the job", || async {
        effects(app, id, "start").await.len() == 1
    })
    .await;
    (id, child)
}

async fn enqueue_slow(app: &TestApp, first_ms: u64) -> i64 {
    let job = NewJob::new(Queue::Push, "test.slow").payload(json!({"first_ms": first_ms, "then_ms": 10}));
    jobs::enqueue(&app.app_db, &job).await.unwrap().unwrap()
}

async fn effects(app: &TestApp, id: i64, phase: &str) -> Vec<(i64, String)> {
    let rows = app
        .superuser_db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT attempt::bigint AS attempt, worker FROM public.job_effects WHERE job_id = {id} AND phase = '{phase}' ORDER BY attempt"),
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            (
                r.try_get::<i64>("", "attempt").unwrap(),
                r.try_get::<String>("", "worker").unwrap(),
            )
        })
        .collect()
}

/// Runs an in-process worker until `done` holds.
async fn run_worker_until(
    db: DatabaseConnection,
    registry: Registry,
    name: &str,
    seconds: u64,
    done: impl AsyncFnMut() -> bool,
) {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = tokio::spawn(Worker::new(db, registry, fast_config(name)).run(async move {
        let _ = stopped.await;
    }));
    let mut done = done;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
    while !done().await {
        assert!(tokio::time::Instant::now() < deadline, "{name}: timed out");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = stop.send(());
    worker.await.unwrap();
}

#[tokio::test]
async fn a_worker_killed_mid_job_has_its_job_run_again_after_the_lease_and_completed_once() {
    let app = TestApp::spawn().await;
    let (id, mut child) = started_by_child(&app, 60_000).await;
    child.0.kill().unwrap(); // SIGKILL
    child.0.wait().unwrap();
    assert_eq!(
        job(&app, id).await.state,
        "running",
        "the dead worker's lease still holds"
    );

    run_worker_until(
        pool(&app, 4).await,
        slow_registry("survivor"),
        "survivor",
        30,
        async || job(&app, id).await.state == "done",
    )
    .await;
    let done = job(&app, id).await;
    assert_eq!(done.attempts, 2);
    assert_eq!(effects(&app, id, "start").await.len(), 2);
    assert_eq!(effects(&app, id, "effect").await, [(2, "survivor".to_string())]);
    let errors = done.errors.as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert!(errors[0]["error"].as_str().unwrap().contains("lease expired"));
}

#[tokio::test]
async fn a_worker_frozen_past_its_lease_can_neither_complete_nor_commit_a_side_effect() {
    let app = TestApp::spawn().await;
    let (id, child) = started_by_child(&app, 1_500).await;
    let pid = child.0.id().to_string();
    assert!(Command::new("kill").args(["-STOP", &pid]).status().unwrap().success());

    // Another worker takes the job over once the frozen one's lease expired, and completes it.
    run_worker_until(
        pool(&app, 4).await,
        slow_registry("survivor"),
        "survivor",
        30,
        async || job(&app, id).await.state == "done",
    )
    .await;
    // The frozen worker wakes up after its sleep ended and its lease is long gone.
    assert!(Command::new("kill").args(["-CONT", &pid]).status().unwrap().success());
    tokio::time::sleep(Duration::from_secs(3)).await;
    drop(child);

    let done = job(&app, id).await;
    assert_eq!((done.state.as_str(), done.attempts), ("done", 2));
    assert_eq!(effects(&app, id, "effect").await, [(2, "survivor".to_string())]);
}

#[tokio::test]
async fn the_fence_refuses_a_side_effect_once_the_lease_is_gone_also_inside_a_tenant_transaction() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme", "Acme").await;
    let release = Arc::new(tokio::sync::Notify::new());
    let mut registry = Registry::default();
    let gate = release.clone();
    registry.register("test.fenced", move |ctx: JobContext| {
        let gate = gate.clone();
        async move {
            if ctx.payload["wait"].as_bool() == Some(true) {
                gate.notified().await;
            }
            let tenant = ctx.tenant.expect("a tenant job");
            let lease = ctx.lease.clone();
            with_tenant(&ctx.db, tenant, async |tx| {
                lease.fence(tx).await?;
                let actor = truestock::db::audit::Actor {
                    account_id: None,
                    name: "worker".into(),
                    email: "worker@test".into(),
                };
                truestock::db::audit::record(tx, &actor, "test.effect", "fenced", json!({})).await?;
                Ok::<_, JobError>(())
            })
            .await
        }
    });
    let count_effects = async || {
        app.su_number(&format!(
            "SELECT count(*) AS n FROM {}.audit_log WHERE action = 'test.effect'",
            tenant.schema_name()
        ))
        .await
    };

    // A live lease: the effect commits inside the tenant's transaction.
    let job_a = NewJob::new(Queue::Push, "test.fenced").for_tenant(tenant);
    jobs::enqueue(&app.app_db, &job_a).await.unwrap().unwrap();
    let report = drain(&app.app_db, &registry, &[Queue::Push]).await.unwrap();
    assert_eq!(report.done, 1);
    assert_eq!(count_effects().await, 1);

    // Cancelled while running: the effect is refused and the job stays cancelled.
    let job_b = NewJob::new(Queue::Push, "test.fenced")
        .for_tenant(tenant)
        .payload(json!({"wait": true}));
    let id = jobs::enqueue(&app.app_db, &job_b).await.unwrap().unwrap();
    let db = app.app_db.clone();
    let worker_registry = registry.clone();
    let draining = tokio::spawn(async move { drain(&db, &worker_registry, &[Queue::Push]).await.unwrap() });
    eventually(10, "the job to run", || async {
        job(&app, id).await.state == "running"
    })
    .await;
    jobs::cancel(&app.app_db, id, Some(tenant)).await.unwrap();
    release.notify_one();
    let report = draining.await.unwrap();
    assert_eq!(
        report,
        DrainReport {
            lost: 1,
            ..Default::default()
        }
    );
    assert_eq!(count_effects().await, 1, "no effect without the lease");
    assert_eq!(job(&app, id).await.state, "cancelled");
}

#[tokio::test]
async fn eight_workers_drain_five_thousand_jobs_each_exactly_once() {
    let app = TestApp::spawn().await;
    app.su_exec(
        "INSERT INTO control.jobs (queue, kind, payload)
         SELECT 'push', 'test.count', '{}' FROM generate_series(1, 5000)",
    )
    .await;
    let runs: Arc<Mutex<HashMap<i64, u32>>> = Arc::default();
    let db = pool(&app, 24).await;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut workers = Vec::new();
    for n in 0..8 {
        let mut registry = Registry::default();
        let runs = runs.clone();
        registry.register("test.count", move |ctx: JobContext| {
            let runs = runs.clone();
            async move {
                *runs.lock().unwrap().entry(ctx.id).or_default() += 1;
                Ok(())
            }
        });
        let mut config = fast_config(&format!("w{n}"));
        config.pull_slots = 0;
        config.other_slots = 2;
        let mut stopped = stopped.clone();
        workers.push(tokio::spawn(Worker::new(db.clone(), registry, config).run(
            async move {
                let _ = stopped.wait_for(|s| *s).await;
            },
        )));
    }
    eventually(240, "every job to be done", || async {
        app.su_number("SELECT count(*) AS n FROM control.jobs WHERE kind = 'test.count' AND state = 'done'")
            .await
            == 5000
    })
    .await;
    let _ = stop.send(true);
    for worker in workers {
        worker.await.unwrap();
    }
    let runs = std::mem::take(&mut *runs.lock().unwrap());
    assert_eq!(runs.len(), 5000);
    assert!(runs.values().all(|n| *n == 1), "a job ran twice");
    let workers_used = app
        .su_number("SELECT count(DISTINCT split_part(locked_by, '#', 1)) AS n FROM control.jobs")
        .await;
    assert!(workers_used >= 4, "only {workers_used} workers took part");
}

#[tokio::test]
async fn a_hundred_concurrent_inserts_of_one_unique_key_give_one_job() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme", "Acme").await;
    let db = pool(&app, 20).await;
    let job = NewJob::new(Queue::Pull, "sync.pull").for_tenant(tenant).unique("now");
    let inserted = futures::future::join_all((0..100).map(|_| jobs::enqueue(&db, &job))).await;
    let ids: Vec<i64> = inserted.into_iter().filter_map(|r| r.unwrap()).collect();
    assert_eq!(ids.len(), 1);
    // Once that job is done, the key is free again.
    app.su_exec(&format!("UPDATE control.jobs SET state = 'done' WHERE id = {}", ids[0]))
        .await;
    assert!(jobs::enqueue(&db, &job).await.unwrap().is_some());
}

#[tokio::test]
async fn two_schedulers_enqueue_one_job_per_window_even_after_it_ran() {
    let app = TestApp::spawn().await;
    let db = pool(&app, 4).await;
    let now = chrono::Utc::now();
    let (a, b) = tokio::join!(jobs::schedule::tick(&db, now), jobs::schedule::tick(&db, now));
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    let registry = crate::helpers::production_registry(&app);
    let report = drain(&db, &registry, &Queue::ALL).await.unwrap();
    assert_eq!(report.done, 1, "the maintenance job runs");
    assert_eq!(
        jobs::schedule::tick(&db, now).await.unwrap(),
        0,
        "same window, even though it ran"
    );
    let next = now + chrono::Duration::from_std(jobs::maintenance::EVERY).unwrap();
    assert_eq!(jobs::schedule::tick(&db, next).await.unwrap(), 1);
}

#[tokio::test]
async fn failures_back_off_then_discard_and_an_operator_can_retry() {
    let app = TestApp::spawn().await;
    let mut registry = Registry::default();
    registry.register("test.flaky", |_ctx: JobContext| async {
        Err(JobError::Retry("Odoo answered 502".into()))
    });
    registry.register("test.broken", |_ctx: JobContext| async {
        Err(JobError::Fatal("the payload names no product".into()))
    });
    registry.register("test.panics", |_ctx: JobContext| async { panic!("a bug") });
    let flaky = jobs::enqueue(&app.app_db, &NewJob::new(Queue::Pull, "test.flaky").max_attempts(3))
        .await
        .unwrap()
        .unwrap();
    for attempt in 1..=3 {
        let report = drain(&app.app_db, &registry, &[Queue::Pull]).await.unwrap();
        let row = job(&app, flaky).await;
        assert_eq!(row.attempts, attempt);
        if attempt < 3 {
            assert_eq!(report.retrying, 1);
            assert_eq!(row.state, "queued");
            let delay = row.run_at - chrono::Utc::now();
            assert!(delay <= chrono::Duration::seconds(30 << (attempt - 1)), "{delay}");
            // Time passes.
            app.su_exec(&format!("UPDATE control.jobs SET run_at = now() WHERE id = {flaky}"))
                .await;
        } else {
            assert_eq!(report.discarded, 1);
            assert_eq!(row.state, "discarded");
            assert_eq!(row.errors.as_array().unwrap().len(), 3);
            assert_eq!(row.last_error.as_deref(), Some("Odoo answered 502"));
        }
    }
    jobs::retry(&app.app_db, flaky, None).await.unwrap();
    let again = job(&app, flaky).await;
    assert_eq!((again.state.as_str(), again.attempts), ("queued", 0));
    assert!(matches!(
        jobs::retry(&app.app_db, flaky, None).await,
        Err(jobs::ChangeError::WrongState(..))
    ));
    jobs::cancel(&app.app_db, flaky, None).await.unwrap();

    let broken = jobs::enqueue(&app.app_db, &NewJob::new(Queue::Push, "test.broken"))
        .await
        .unwrap()
        .unwrap();
    let unknown = jobs::enqueue(&app.app_db, &NewJob::new(Queue::Push, "test.nobody"))
        .await
        .unwrap()
        .unwrap();
    let panics = jobs::enqueue(&app.app_db, &NewJob::new(Queue::Push, "test.panics"))
        .await
        .unwrap()
        .unwrap();
    let report = drain(&app.app_db, &registry, &[Queue::Push]).await.unwrap();
    assert_eq!((report.discarded, report.retrying), (2, 1));
    assert_eq!(job(&app, broken).await.state, "discarded");
    assert!(job(&app, unknown).await.last_error.unwrap().contains("no handler"));
    let panicked = job(&app, panics).await;
    assert_eq!(panicked.state, "queued");
    assert!(panicked.last_error.unwrap().contains("stopped unexpectedly"));
}

#[tokio::test]
async fn a_tenant_runs_one_pull_at_a_time_while_others_and_pushes_proceed() {
    let app = TestApp::spawn().await;
    let a = app.create_tenant("acme", "Acme").await;
    let b = app.create_tenant("bolt", "Bolt").await;
    for (tenant, n) in [(a, 1), (a, 2), (b, 1)] {
        let job = NewJob::new(Queue::Pull, "sync.pull")
            .for_tenant(tenant)
            .unique(&n.to_string());
        jobs::enqueue(&app.app_db, &job).await.unwrap().unwrap();
    }
    jobs::enqueue(&app.app_db, &NewJob::new(Queue::Push, "push.scrap").for_tenant(a))
        .await
        .unwrap()
        .unwrap();
    let claim = |queue: &'static str| {
        let db = app.app_db.clone();
        async move { store::claim(&db, &[queue], "t", 60.0).await.unwrap() }
    };
    let first = claim("pull").await.unwrap();
    let second = claim("pull").await.unwrap();
    assert_eq!(first.tenant_id, Some(a.as_uuid()));
    assert_eq!(second.tenant_id, Some(b.as_uuid()));
    assert!(claim("pull").await.is_none(), "acme's second pull waits for its first");
    assert!(claim("push").await.is_some(), "a push never waits behind a pull");
    assert!(
        store::complete(&app.app_db, first.id, first.lease_token.unwrap())
            .await
            .unwrap()
    );
    assert_eq!(claim("pull").await.unwrap().tenant_id, Some(a.as_uuid()));
    // The index is the backstop: a second running pull of one tenant cannot be written at all.
    let (c, d) = (a.as_uuid(), a.as_uuid());
    let doubled = app
        .superuser_db
        .execute_unprepared(&format!(
            "INSERT INTO control.jobs (tenant_id, queue, kind, state) VALUES ('{c}', 'pull', 'x', 'running'), ('{d}', 'pull', 'y', 'running')"
        ))
        .await;
    assert!(doubled.unwrap_err().to_string().contains("jobs_one_running_pull"));
}

#[tokio::test]
async fn tenant_code_enqueues_through_its_policy_and_sees_and_steers_only_its_own_jobs() {
    let app = TestApp::spawn().await;
    let a = app.create_tenant("acme", "Acme").await;
    let b = app.create_tenant("bolt", "Bolt").await;
    let own = with_tenant(&app.app_db, a, async |tx| {
        jobs::enqueue(tx, &NewJob::new(Queue::Pull, "sync.pull").for_tenant(a)).await
    })
    .await
    .unwrap();
    assert!(own.is_some());
    let foreign = with_tenant(&app.app_db, a, async |tx| {
        jobs::enqueue(tx, &NewJob::new(Queue::Pull, "sync.pull").for_tenant(b)).await
    })
    .await;
    assert!(foreign.unwrap_err().to_string().contains("row-level security"));
    let platform = with_tenant(&app.app_db, a, async |tx| {
        jobs::enqueue(tx, &NewJob::new(Queue::Maintenance, "maintenance.prune")).await
    })
    .await;
    assert!(platform.is_err(), "tenant code cannot enqueue platform jobs");

    let b_job = jobs::enqueue(&app.app_db, &NewJob::new(Queue::Pull, "sync.pull").for_tenant(b))
        .await
        .unwrap()
        .unwrap();
    let filter = jobs::Filter {
        tenant_id: Some(a.as_uuid()),
        state: None,
        limit: 50,
    };
    let listed = jobs::list(&app.app_db, &filter).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed.iter().all(|j| j.tenant_id == Some(a.as_uuid())));
    assert!(matches!(
        jobs::cancel(&app.app_db, b_job, Some(a)).await,
        Err(jobs::ChangeError::NotFound)
    ));
    assert_eq!(job(&app, b_job).await.state, "queued");
}

#[tokio::test]
async fn retention_prunes_finished_jobs_by_age_and_the_rescuer_discards_jobs_out_of_attempts() {
    let app = TestApp::spawn().await;
    app.su_exec(
        "INSERT INTO control.jobs (kind, state, finished_at, unique_key) VALUES
           ('old-done', 'done', now() - interval '2 days', NULL),
           ('new-done', 'done', now() - interval '1 hour', NULL),
           ('old-discarded', 'discarded', now() - interval '31 days', NULL),
           ('recent-discarded', 'discarded', now() - interval '2 days', NULL),
           ('queued', 'queued', NULL, NULL);
         INSERT INTO control.jobs (kind, state, attempts, max_attempts, locked_until, lease_token) VALUES
           ('stuck-last', 'running', 3, 3, now() - interval '1 second', gen_random_uuid()),
           ('stuck', 'running', 1, 3, now() - interval '1 second', gen_random_uuid()),
           ('alive', 'running', 1, 3, now() + interval '1 minute', gen_random_uuid());",
    )
    .await;
    let pruned = store::prune(
        &app.app_db,
        Duration::from_secs(86_400),
        Duration::from_secs(30 * 86_400),
    )
    .await
    .unwrap();
    assert_eq!(pruned, 2);
    assert_eq!(store::rescue_expired(&app.app_db).await.unwrap(), (1, 1));
    let states = app
        .su_number(
            "SELECT count(*) AS n FROM control.jobs WHERE (kind, state) IN
               (('new-done','done'), ('recent-discarded','discarded'), ('queued','queued'),
                ('stuck-last','discarded'), ('stuck','queued'), ('alive','running'))",
        )
        .await;
    assert_eq!(states, 6);
}

#[tokio::test]
async fn shutdown_lets_running_jobs_finish_within_the_grace_and_gives_back_the_rest() {
    let app = TestApp::spawn().await;
    effects_table(&app).await;
    let quick = enqueue_slow(&app, 100).await;
    let slow = enqueue_slow(&app, 30_000).await;
    let mut config = fast_config("stopping");
    config.pull_slots = 0;
    config.other_slots = 2;
    config.shutdown_grace = Duration::from_millis(1_000);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = tokio::spawn(
        Worker::new(pool(&app, 6).await, slow_registry("stopping"), config).run(async move {
            let _ = stopped.await;
        }),
    );
    eventually(20, "both jobs to start", || async {
        effects(&app, quick, "start").await.len() + effects(&app, slow, "start").await.len() == 2
    })
    .await;
    let _ = stop.send(());
    worker.await.unwrap();
    assert_eq!(job(&app, quick).await.state, "done");
    let given_back = job(&app, slow).await;
    assert_eq!((given_back.state.as_str(), given_back.attempts), ("queued", 0));
    assert!(effects(&app, slow, "effect").await.is_empty());
}

#[tokio::test]
async fn a_tenants_pull_interval_sets_the_windows_of_its_scheduled_pulls() {
    use truestock::sync::connection::{self, ConnectionSettings, SyncSettings};
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme", "Acme").await;
    let actor = truestock::db::audit::Actor {
        account_id: None,
        name: "test".into(),
        email: "test@test".into(),
    };
    // Saving needs no answer from Odoo: the schedule only needs a stored key.
    let settings = ConnectionSettings {
        url: "http://127.0.0.1:9".into(),
        database: "acme".into(),
        login: "bot@acme.test".into(),
        api_key: Some(SecretString::from("a-key-0123456789".to_string())),
        key_expires_on: None,
    };
    let ring = app.settings.key_ring().unwrap();
    connection::save(
        &app.app_db,
        &ring,
        tenant,
        &settings,
        truestock::odoo::Reach::Anywhere,
        false,
        &actor,
    )
    .await
    .unwrap();
    let hour = chrono::DateTime::from_timestamp(1_800_000_000 / 3600 * 3600, 0).unwrap();
    let pull_window = async |at| {
        jobs::schedule::due(&app.app_db, at)
            .await
            .unwrap()
            .into_iter()
            .find(|job| job.kind == truestock::sync::pull::KIND)
            .and_then(|job| job.schedule_key)
            .unwrap()
    };
    let ten_minutes = chrono::Duration::minutes(10);
    assert_ne!(
        pull_window(hour).await,
        pull_window(hour + ten_minutes).await,
        "every 5 minutes by default: two windows"
    );
    connection::save_sync_settings(&app.app_db, tenant, SyncSettings::new(60, 24).unwrap(), &actor)
        .await
        .unwrap();
    assert_eq!(
        pull_window(hour).await,
        pull_window(hour + ten_minutes).await,
        "every hour: one window"
    );
    assert_ne!(
        pull_window(hour).await,
        pull_window(hour + chrono::Duration::minutes(60)).await
    );
    assert!(SyncSettings::new(0, 24).is_err() && SyncSettings::new(1441, 24).is_err());
    assert!(SyncSettings::new(5, 0).is_err() && SyncSettings::new(5, 121).is_err());
}
