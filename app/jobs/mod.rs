//! Background jobs on PostgreSQL (DESIGN §5, RELIABILITY §2.2): `control.jobs` is the queue, a claim
//! is one `FOR UPDATE SKIP LOCKED` statement, a claimed job is *leased* and kept alive by heartbeats,
//! and everything a worker does for a job is fenced by the lease's token — a worker that lost its lease
//! (stalled, killed, cancelled) can neither complete the job nor commit a side effect through
//! [`Lease::fence`]. Delivery is at least once, so every handler is idempotent.
//!
//! - [`enqueue`] inserts a job, on the pool or inside `with_tenant` (the RLS policy then pins it to the
//!   tenant), deduplicated by its unique key (one live job per key) or schedule key (one job per window).
//! - [`worker::Worker`] runs jobs from separate queues — pulls in their own slots, so that pushes and
//!   emails never wait behind a long pull — and rescues jobs whose lease expired.
//! - [`schedule`] enqueues the periodic jobs; several processes may run it, the schedule keys keep one
//!   job per window.
//! - [`worker::drain`] runs every due job in the calling task, for tests and `truestock sync --wait`.

pub mod maintenance;
pub mod schedule;
pub mod worker;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng as _;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};
use serde_json::Value;
use tokio::sync::watch;
use uuid::Uuid;

use crate::db::jobs as store;
use crate::domain::tenant::TenantId;

pub use crate::db::jobs::{ChangeError, Filter, JobRow};

/// A queue: jobs of one queue share worker slots and a retry policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Queue {
    /// Odoo pulls and reconciliations: long, at most one running per tenant.
    Pull,
    /// Write-backs to Odoo.
    Push,
    /// Email delivery.
    Email,
    /// Platform housekeeping.
    Maintenance,
}

impl Queue {
    pub const ALL: [Queue; 4] = [Queue::Pull, Queue::Push, Queue::Email, Queue::Maintenance];

    pub fn as_str(self) -> &'static str {
        match self {
            Queue::Pull => "pull",
            Queue::Push => "push",
            Queue::Email => "email",
            Queue::Maintenance => "maintenance",
        }
    }

    /// The retry policy of RELIABILITY §2.2: Odoo work from 30 s up to 30 min, 10 attempts; email from
    /// 60 s up to 2 h, 30 attempts (with full jitter, about a day on average).
    pub fn retry_policy(self) -> RetryPolicy {
        match self {
            Queue::Pull | Queue::Push => RetryPolicy {
                base: Duration::from_secs(30),
                cap: Duration::from_secs(30 * 60),
                max_attempts: 10,
            },
            Queue::Email => RetryPolicy {
                base: Duration::from_secs(60),
                cap: Duration::from_secs(2 * 60 * 60),
                max_attempts: 30,
            },
            Queue::Maintenance => RetryPolicy {
                base: Duration::from_secs(60),
                cap: Duration::from_secs(15 * 60),
                max_attempts: 3,
            },
        }
    }
}

/// Capped exponential backoff with full jitter.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub base: Duration,
    pub cap: Duration,
    pub max_attempts: i32,
}

impl RetryPolicy {
    /// The delay before the next attempt after `attempt` (1-based) failed: uniformly random in
    /// `[0, min(cap, base · 2^(attempt-1))]`.
    pub fn backoff(&self, attempt: i32) -> Duration {
        let exponent = u32::try_from(attempt.saturating_sub(1)).unwrap_or(0).min(30);
        let ceiling = self.base.saturating_mul(1 << exponent).min(self.cap);
        ceiling.mul_f64(rand::rng().random::<f64>())
    }
}

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub queue: Queue,
    pub kind: String,
    pub tenant: Option<TenantId>,
    pub payload: Value,
    pub unique_key: Option<String>,
    pub schedule_key: Option<String>,
    pub run_at: Option<DateTime<Utc>>,
    pub max_attempts: i32,
}

impl NewJob {
    pub fn new(queue: Queue, kind: &str) -> Self {
        Self {
            queue,
            kind: kind.to_string(),
            tenant: None,
            payload: Value::Object(Default::default()),
            unique_key: None,
            schedule_key: None,
            run_at: None,
            max_attempts: queue.retry_policy().max_attempts,
        }
    }

    pub fn for_tenant(mut self, tenant: TenantId) -> Self {
        self.tenant = Some(tenant);
        self
    }

    pub fn payload(mut self, payload: Value) -> Self {
        self.payload = payload;
        self
    }

    /// At most one queued or running job with this key (within the kind and tenant).
    pub fn unique(mut self, key: &str) -> Self {
        self.unique_key = Some(key.to_string());
        self
    }

    /// At most one job ever with this key (a schedule's window; within the kind and tenant).
    pub fn scheduled(mut self, key: &str) -> Self {
        self.schedule_key = Some(key.to_string());
        self
    }

    pub fn run_at(mut self, at: DateTime<Utc>) -> Self {
        self.run_at = Some(at);
        self
    }

    pub fn max_attempts(mut self, attempts: i32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// A key as stored: prefixed with the kind and the tenant, so keys never collide across them.
    fn scoped(&self, key: Option<&String>) -> Option<String> {
        key.map(|key| match self.tenant {
            Some(tenant) => format!("{}:{tenant}:{key}", self.kind),
            None => format!("{}:{key}", self.kind),
        })
    }
}

/// Inserts `job`; `None` when its unique or schedule key says it exists already. Inside `with_tenant`,
/// the job must be the tenant's own (the RLS policy refuses any other).
pub async fn enqueue(db: &impl ConnectionTrait, job: &NewJob) -> Result<Option<i64>, DbErr> {
    let unique_key = job.scoped(job.unique_key.as_ref());
    let schedule_key = job.scoped(job.schedule_key.as_ref());
    store::insert(
        db,
        &store::Insert {
            tenant_id: job.tenant.map(|t| t.as_uuid()),
            queue: job.queue.as_str(),
            kind: &job.kind,
            payload: &job.payload,
            unique_key: unique_key.as_deref(),
            schedule_key: schedule_key.as_deref(),
            max_attempts: job.max_attempts,
            run_at: job.run_at,
        },
    )
    .await
}

/// How a job attempt ended, when not with success.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Transient: try again after the queue's backoff.
    #[error("{0}")]
    Retry(String),
    /// Transient, but not before `after` (e.g. a write-back whose call timed out).
    #[error("{message}")]
    RetryAfter { message: String, after: Duration },
    /// Permanent: trying again cannot help; the job is discarded (kept for inspection).
    #[error("{0}")]
    Fatal(String),
    /// The lease was lost; the job is someone else's now, and nothing more may be done for it.
    #[error("the job's lease was lost")]
    LeaseLost,
}

impl From<DbErr> for JobError {
    fn from(e: DbErr) -> Self {
        JobError::Retry(format!("database: {e}"))
    }
}

/// A claimed job's lease: its token fences completion and side effects.
#[derive(Debug, Clone)]
pub struct Lease {
    job_id: i64,
    token: Uuid,
    lost: watch::Receiver<bool>,
}

impl Lease {
    /// Whether a heartbeat found the lease gone.
    pub fn is_lost(&self) -> bool {
        *self.lost.borrow()
    }

    /// Call inside the transaction that commits a side effect, before writing: fails unless the lease
    /// is still held, and holds the job's row until that transaction ends so that nobody takes the job
    /// over before the side effect commits. Works on the pool and inside `with_tenant`.
    pub async fn fence(&self, txn: &impl ConnectionTrait) -> Result<(), JobError> {
        if store::holds_lease(txn, self.job_id, self.token).await? {
            Ok(())
        } else {
            Err(JobError::LeaseLost)
        }
    }
}

/// What a handler gets: the job, its lease, and the pool.
#[derive(Clone)]
pub struct JobContext {
    pub db: DatabaseConnection,
    pub id: i64,
    pub kind: String,
    pub tenant: Option<TenantId>,
    pub payload: Value,
    /// 1 on the first attempt.
    pub attempt: i32,
    pub max_attempts: i32,
    pub lease: Lease,
}

pub type HandlerFuture = Pin<Box<dyn Future<Output = Result<(), JobError>> + Send>>;

/// Runs jobs of one kind.
pub trait Handler: Send + Sync + 'static {
    fn run(&self, ctx: JobContext) -> HandlerFuture;
}

impl<F, Fut> Handler for F
where
    F: Fn(JobContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), JobError>> + Send + 'static,
{
    fn run(&self, ctx: JobContext) -> HandlerFuture {
        Box::pin(self(ctx))
    }
}

/// The handlers a worker knows, by job kind. A job of an unknown kind is discarded with an error.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: HashMap<String, Arc<dyn Handler>>,
}

impl Registry {
    /// Every kind TrueStock runs.
    pub fn production(sync: Arc<crate::sync::pull::SyncDeps>, mailer: Arc<crate::email::Mailer>) -> Self {
        let mut registry = Self::default();
        let deliver = mailer.clone();
        registry.register(crate::email::delivery::KIND, move |ctx| {
            crate::email::delivery::run(ctx, deliver.clone())
        });
        let evaluate = mailer.clone();
        registry.register(crate::email::alerts::EVALUATE, move |ctx| {
            crate::email::alerts::evaluate(ctx, evaluate.clone())
        });
        registry.register(crate::email::alerts::DIGEST, move |ctx| {
            crate::email::alerts::send_digests(ctx, mailer.clone())
        });
        registry.register(maintenance::KIND, maintenance::run);
        let pull = sync.clone();
        registry.register(crate::sync::pull::KIND, move |ctx| {
            crate::sync::pull::run(ctx, pull.clone())
        });
        registry.register(crate::sync::reconcile::KIND, move |ctx| {
            crate::sync::pull::run(ctx, sync.clone())
        });
        registry.register(crate::sync::positions::KIND, crate::sync::positions::run);
        registry
    }

    pub fn register(&mut self, kind: &str, handler: impl Handler) -> &mut Self {
        self.handlers.insert(kind.to_string(), Arc::new(handler));
        self
    }

    fn get(&self, kind: &str) -> Option<Arc<dyn Handler>> {
        self.handlers.get(kind).cloned()
    }
}

/// `truestock jobs list`, and a tenant's jobs on its sync page.
pub async fn list(db: &impl ConnectionTrait, filter: &Filter) -> Result<Vec<JobRow>, DbErr> {
    store::list(db, filter).await
}

/// Queues a discarded or cancelled job again (of `tenant` when given).
pub async fn retry(db: &impl ConnectionTrait, id: i64, tenant: Option<TenantId>) -> Result<(), ChangeError> {
    store::retry(db, id, tenant.map(|t| t.as_uuid())).await
}

/// Cancels a queued or running job (of `tenant` when given).
pub async fn cancel(db: &impl ConnectionTrait, id: i64, tenant: Option<TenantId>) -> Result<(), ChangeError> {
    store::cancel(db, id, tenant.map(|t| t.as_uuid())).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_exponentially_within_the_cap_with_full_jitter() {
        let policy = Queue::Pull.retry_policy();
        for attempt in 1..=40 {
            let ceiling = (policy.base * 2_u32.pow((attempt as u32 - 1).min(20))).min(policy.cap);
            for _ in 0..50 {
                assert!(policy.backoff(attempt) <= ceiling, "attempt {attempt}");
            }
        }
        // Full jitter spreads retries over the whole window, not around its end.
        let samples: Vec<Duration> = (0..2_000).map(|_| policy.backoff(12)).collect();
        assert!(samples.iter().any(|d| *d < policy.cap / 4));
        assert!(samples.iter().any(|d| *d > policy.cap * 3 / 4));
        assert!(policy.backoff(0) <= policy.base && policy.backoff(-5) <= policy.base);
    }

    #[test]
    fn keys_are_scoped_to_the_kind_and_tenant() {
        let tenant = TenantId::new();
        let job = NewJob::new(Queue::Pull, "sync.pull")
            .unique("now")
            .scheduled("w42")
            .for_tenant(tenant);
        assert_eq!(
            job.scoped(job.unique_key.as_ref()),
            Some(format!("sync.pull:{tenant}:now"))
        );
        assert_eq!(
            job.scoped(job.schedule_key.as_ref()),
            Some(format!("sync.pull:{tenant}:w42"))
        );
        let platform = NewJob::new(Queue::Maintenance, "m").unique("x");
        assert_eq!(platform.scoped(platform.unique_key.as_ref()), Some("m:x".into()));
    }
}
