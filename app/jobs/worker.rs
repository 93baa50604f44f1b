//! The worker: slots that claim and run jobs, a heartbeat per running job, the rescuer of expired
//! leases, the scheduler's tick, and a graceful shutdown. Runs inside `serve` and as `truestock worker`
//! (any number of processes). [`drain`] runs due jobs in the calling task instead, deterministically.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use rand::Rng as _;
use sea_orm::DatabaseConnection;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::Instrument as _;

use super::{JobContext, JobError, Lease, Queue, Registry, schedule};
use crate::db::jobs::{self as store, JobRow};
use crate::domain::tenant::TenantId;

/// How a worker process runs.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Written to each claimed job (`locked_by`), with the slot number.
    pub name: String,
    /// Slots for Odoo pulls (long jobs).
    pub pull_slots: usize,
    /// Slots for pushes, email and maintenance, which never wait behind a pull.
    pub other_slots: usize,
    /// How long a claim lasts without a heartbeat (heartbeats come every third of it).
    pub lease: Duration,
    /// How often an idle slot polls for work (with ±25 % jitter).
    pub poll: Duration,
    /// How often expired leases are rescued and the schedule is checked.
    pub maintenance_every: Duration,
    /// On shutdown, how long running jobs may take to finish before they are given back.
    pub shutdown_grace: Duration,
}

impl WorkerConfig {
    /// Database connections the worker's pool needs: a pull writes up to
    /// [`crate::sync::pull::LANES`] pages at once, besides its heartbeat; another job uses one
    /// besides its heartbeat; two for the maintenance loop.
    pub fn pool_size(&self) -> u32 {
        let pull = crate::sync::pull::LANES + 1;
        (self.pull_slots as u32) * pull + (self.other_slots as u32) * 2 + 2
    }

    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_string(),
            pull_slots: 2,
            other_slots: 2,
            lease: Duration::from_secs(60),
            poll: Duration::from_secs(1),
            maintenance_every: Duration::from_secs(15),
            shutdown_grace: Duration::from_secs(20),
        }
    }

    /// `<host>:<pid>`, the default name of this process's worker.
    pub fn process_name() -> String {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "worker".into());
        format!("{host}:{}", std::process::id())
    }
}

/// Runs jobs until told to stop.
pub struct Worker {
    db: DatabaseConnection,
    registry: Arc<Registry>,
    config: WorkerConfig,
}

impl Worker {
    pub fn new(db: DatabaseConnection, registry: Registry, config: WorkerConfig) -> Self {
        Self {
            db,
            registry: Arc::new(registry),
            config,
        }
    }

    /// Runs until `shutdown` resolves, then stops claiming, lets running jobs finish within the grace
    /// period and gives back those that did not (their attempt is not counted).
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) {
        let (stop_tx, stop) = watch::channel(false);
        let mut tasks = JoinSet::new();
        let other: Vec<Queue> = Queue::ALL.into_iter().filter(|q| *q != Queue::Pull).collect();
        let slots = (0..self.config.pull_slots)
            .map(|_| vec![Queue::Pull])
            .chain((0..self.config.other_slots).map(|_| other.clone()));
        for (n, queues) in slots.enumerate() {
            let slot = Slot {
                db: self.db.clone(),
                registry: self.registry.clone(),
                config: self.config.clone(),
                name: format!("{}#{n}", self.config.name),
                queues,
            };
            tasks.spawn(slot.run(stop.clone()));
        }
        tasks.spawn(maintain(self.db.clone(), self.config.clone(), stop.clone()));
        tracing::info!(worker = %self.config.name, pull_slots = self.config.pull_slots,
                       other_slots = self.config.other_slots, "job worker started");
        shutdown.await;
        tracing::info!(worker = %self.config.name, "job worker stopping");
        let _ = stop_tx.send(true);
        while tasks.join_next().await.is_some() {}
        tracing::info!(worker = %self.config.name, "job worker stopped");
    }
}

struct Slot {
    db: DatabaseConnection,
    registry: Arc<Registry>,
    config: WorkerConfig,
    name: String,
    queues: Vec<Queue>,
}

impl Slot {
    async fn run(self, mut stop: watch::Receiver<bool>) {
        let queues: Vec<&str> = self.queues.iter().map(|q| q.as_str()).collect();
        while !*stop.borrow() {
            let idle = match store::claim(&self.db, &queues, &self.name, self.config.lease.as_secs_f64()).await {
                Ok(Some(job)) => {
                    execute(&self.db, &self.registry, &self.config, job, Some(stop.clone())).await;
                    continue;
                }
                Ok(None) => jittered(self.config.poll),
                Err(e) => {
                    tracing::warn!(slot = %self.name, error = %e, "could not claim a job");
                    jittered(self.config.poll * 5)
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(idle) => {}
                _ = stop.changed() => {}
            }
        }
    }
}

fn jittered(period: Duration) -> Duration {
    period.mul_f64(rand::rng().random_range(0.75..1.25))
}

/// Rescues expired leases and runs the schedule, until stopped.
async fn maintain(db: DatabaseConnection, config: WorkerConfig, mut stop: watch::Receiver<bool>) {
    while !*stop.borrow() {
        match store::rescue_expired(&db).await {
            Ok((0, 0)) => {}
            Ok((queued, discarded)) => {
                tracing::warn!(queued, discarded, "rescued jobs whose worker stopped before finishing")
            }
            Err(e) => tracing::warn!(error = %e, "could not rescue expired jobs"),
        }
        if let Err(e) = schedule::tick(&db, chrono::Utc::now()).await {
            tracing::warn!(error = %e, "could not enqueue the scheduled jobs");
        }
        tokio::select! {
            _ = tokio::time::sleep(jittered(config.maintenance_every)) => {}
            _ = stop.changed() => {}
        }
    }
}

/// How one attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    Done,
    /// Failed, queued again for later.
    Retrying,
    /// Failed for good (or out of attempts).
    Discarded,
    /// The lease was lost (expired, cancelled): nothing was recorded by this worker.
    LeaseLost,
    /// Given back unfinished at shutdown.
    Released,
}

/// Runs one claimed job to its end: heartbeats while it runs, then completion or failure, each fenced
/// by the lease. A handler that panics counts as a transient failure.
async fn execute(
    db: &DatabaseConnection,
    registry: &Registry,
    config: &WorkerConfig,
    job: JobRow,
    stop: Option<watch::Receiver<bool>>,
) -> Attempt {
    let span = tracing::info_span!("job", id = job.id, kind = %job.kind, attempt = job.attempts);
    attempt(db, registry, config, job, stop).instrument(span).await
}

/// [`execute`], inside the job's tracing span.
async fn attempt(
    db: &DatabaseConnection,
    registry: &Registry,
    config: &WorkerConfig,
    job: JobRow,
    stop: Option<watch::Receiver<bool>>,
) -> Attempt {
    let Some(token) = job.lease_token else {
        return Attempt::LeaseLost;
    };
    let queue = Queue::ALL
        .into_iter()
        .find(|q| q.as_str() == job.queue)
        .unwrap_or(Queue::Maintenance);
    let (lost_tx, lost) = watch::channel(false);
    let lease = Lease {
        job_id: job.id,
        token,
        lost: lost.clone(),
    };
    let heartbeat = tokio::spawn(heartbeat(db.clone(), job.id, token, config.lease, lost_tx));
    let Some(handler) = registry.get(&job.kind) else {
        heartbeat.abort();
        let message = format!("no handler for jobs of kind {:?}", job.kind);
        tracing::error!("{message}");
        return record_failure(db, &job, token, JobError::Fatal(message), queue).await;
    };
    let ctx = JobContext {
        db: db.clone(),
        id: job.id,
        kind: job.kind.clone(),
        tenant: job.tenant_id.map(TenantId::from_uuid),
        payload: job.payload.clone(),
        attempt: job.attempts,
        max_attempts: job.max_attempts,
        lease,
    };
    let mut task = tokio::spawn(handler.run(ctx).in_current_span());
    let grace = config.shutdown_grace;
    let stopped_past_grace = async move {
        match stop {
            Some(mut stop) => {
                let _ = stop.wait_for(|stopped| *stopped).await;
                tokio::time::sleep(grace).await;
            }
            None => std::future::pending::<()>().await,
        }
    };
    enum Ended<T> {
        Finished(T),
        LeaseLost,
        ShutDown,
    }
    let mut lost_watch = lost;
    let lease_lost = async move {
        let _ = lost_watch.wait_for(|lost| *lost).await;
    };
    let ended = tokio::select! {
        result = &mut task => Ended::Finished(result),
        _ = lease_lost => Ended::LeaseLost,
        _ = stopped_past_grace => Ended::ShutDown,
    };
    heartbeat.abort();
    let outcome = match ended {
        Ended::Finished(result) => Some(result),
        Ended::LeaseLost => {
            task.abort();
            tracing::warn!("lease lost while running; the job was stopped");
            None
        }
        Ended::ShutDown => {
            task.abort();
            let released = store::release(db, job.id, token).await.unwrap_or(false);
            tracing::warn!(released, "shutting down: the unfinished job was given back");
            return Attempt::Released;
        }
    };
    match outcome {
        None => Attempt::LeaseLost,
        Some(Ok(Ok(()))) => match store::complete(db, job.id, token).await {
            Ok(true) => Attempt::Done,
            Ok(false) => {
                tracing::warn!("finished, but the lease was lost: another attempt may run");
                Attempt::LeaseLost
            }
            Err(e) => {
                // The lease will expire and the job run again: handlers are idempotent.
                tracing::error!(error = %e, "finished, but the completion could not be recorded");
                Attempt::LeaseLost
            }
        },
        Some(Ok(Err(error))) => record_failure(db, &job, token, error, queue).await,
        Some(Err(join_error)) => {
            let error = JobError::Retry(format!("the job stopped unexpectedly: {join_error}"));
            record_failure(db, &job, token, error, queue).await
        }
    }
}

async fn record_failure(
    db: &DatabaseConnection,
    job: &JobRow,
    token: uuid::Uuid,
    error: JobError,
    queue: Queue,
) -> Attempt {
    let now = chrono::Utc::now();
    let later = |delay: Duration| chrono::Duration::from_std(delay).ok().map(|d| now + d);
    let (message, retry_at) = match &error {
        JobError::LeaseLost => return Attempt::LeaseLost,
        JobError::Retry(message) => (message.clone(), later(queue.retry_policy().backoff(job.attempts))),
        JobError::RetryAfter { message, after } => (message.clone(), later(*after)),
        JobError::Fatal(message) => (message.clone(), None),
    };
    let retrying = retry_at.is_some() && job.attempts < job.max_attempts;
    match store::fail(db, job.id, token, &message, retry_at).await {
        Ok(true) if retrying => {
            tracing::warn!(error = %message, retry_at = ?retry_at, "job failed; it will be retried");
            Attempt::Retrying
        }
        Ok(true) => {
            tracing::error!(error = %message, "job failed for good; discarded");
            Attempt::Discarded
        }
        Ok(false) => Attempt::LeaseLost,
        Err(e) => {
            tracing::error!(error = %e, job_error = %message, "job failed, and the failure could not be recorded");
            Attempt::LeaseLost
        }
    }
}

/// Extends the lease every third of it; reports the lease lost when the job is no longer ours, or when
/// no heartbeat got through for a whole lease (the lease has expired by then anyway).
async fn heartbeat(db: DatabaseConnection, id: i64, token: uuid::Uuid, lease: Duration, lost: watch::Sender<bool>) {
    let mut last_ok = tokio::time::Instant::now();
    loop {
        tokio::time::sleep(lease / 3).await;
        match store::heartbeat(&db, id, token, lease.as_secs_f64()).await {
            Ok(true) => last_ok = tokio::time::Instant::now(),
            Ok(false) => break,
            Err(e) => {
                tracing::warn!(error = %e, "heartbeat failed");
                if last_ok.elapsed() >= lease {
                    break;
                }
            }
        }
    }
    let _ = lost.send(true);
}

/// What [`drain`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DrainReport {
    pub done: usize,
    pub retrying: usize,
    pub discarded: usize,
    pub lost: usize,
}

/// Runs every due job of `queues`, one at a time in the calling task, until none is due. For tests and
/// `truestock sync --wait`; a job retried with a delay waits for its time like any other.
pub async fn drain(
    db: &DatabaseConnection,
    registry: &Registry,
    queues: &[Queue],
) -> Result<DrainReport, sea_orm::DbErr> {
    let mut config = WorkerConfig::new(&format!("drain:{}", std::process::id()));
    config.lease = Duration::from_secs(120);
    let names: Vec<&str> = queues.iter().map(|q| q.as_str()).collect();
    let mut report = DrainReport::default();
    while let Some(job) = store::claim(db, &names, &config.name, config.lease.as_secs_f64()).await? {
        match execute(db, registry, &config, job, None).await {
            Attempt::Done => report.done += 1,
            Attempt::Retrying => report.retrying += 1,
            Attempt::Discarded => report.discarded += 1,
            Attempt::LeaseLost | Attempt::Released => report.lost += 1,
        }
    }
    Ok(report)
}

/// Runs one particular queued job in the calling task (`truestock sync --wait`); `None` when it is not
/// queued (running elsewhere, finished) or its tenant's other pull is running.
pub async fn run_now(db: &DatabaseConnection, registry: &Registry, id: i64) -> Result<Option<Attempt>, sea_orm::DbErr> {
    let mut config = WorkerConfig::new(&format!("cli:{}", std::process::id()));
    config.lease = Duration::from_secs(120);
    match store::claim_id(db, id, &config.name, config.lease.as_secs_f64()).await? {
        Some(job) => Ok(Some(execute(db, registry, &config, job, None).await)),
        None => Ok(None),
    }
}
