//! Keeping a tenant's stock positions up to date from its mirror (DESIGN §2.8; tenant migration 000008).
//!
//! Every write to the mirror marks the products it touches in the same transaction (triggers), and a
//! change to Odoo's locations or to the tenant's location setup marks the scopes stale. This job
//! follows each pull and reconciliation (and each setup change): it rebuilds stale scopes, runs a full
//! refresh when one is due (after a rebuild, or when the tenant's day moved on and the sales window
//! slid), then refreshes the marked products — a batch of products per transaction, each fenced by the
//! job's lease, so a refresh that is stopped resumes where it was.
//!
//! Why a job after the pull rather than inside each page's transaction: a page of moves touches
//! thousands of products, and the figures of one product depend on all its quants and moves; done per
//! page, the same products would be recomputed many times per run (and a first sync would recompute
//! every product per page). The marks keep the guarantee that matters — nothing written is ever left
//! out — and the figures follow the pull within seconds.

use sea_orm::DatabaseConnection;

use crate::db::stock;
use crate::db::tenancy::with_tenant;
use crate::domain::tenant::TenantId;
use crate::jobs::{JobContext, JobError, Lease, NewJob, Queue};

/// The job kind.
pub const KIND: &str = "stock.refresh";

/// Products per transaction.
pub const BATCH: i32 = 2_000;

/// A tenant's refresh: on the pull queue, so it never runs beside the tenant's pull, and at most one
/// queued at a time however often it is asked for.
pub fn job(tenant: TenantId) -> NewJob {
    NewJob::new(Queue::Pull, KIND)
        .for_tenant(tenant)
        .unique("stock-refresh")
}

/// What one refresh did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Refreshed {
    pub scopes_rebuilt: bool,
    pub full: bool,
    pub products: u64,
}

pub async fn run(ctx: JobContext) -> Result<(), JobError> {
    let tenant = ctx
        .tenant
        .ok_or_else(|| JobError::Fatal("a stock refresh must name its tenant".into()))?;
    let done = refresh(&ctx.db, tenant, Some(&ctx.lease)).await?;
    tracing::info!(%tenant, products = done.products, full = done.full, "refreshed stock positions");
    Ok(())
}

/// Brings the tenant's positions up to date; with a lease, every transaction is fenced by it.
pub async fn refresh(db: &DatabaseConnection, tenant: TenantId, lease: Option<&Lease>) -> Result<Refreshed, JobError> {
    enum Step {
        Rebuilt,
        Full(u64),
        Marked(u64),
        Done,
    }
    let mut done = Refreshed::default();
    loop {
        let step = with_tenant(db, tenant, async |tx| {
            if let Some(lease) = lease {
                lease.fence(tx).await?;
            }
            let state = stock::refresh_state(tx).await?;
            if state.scopes_stale {
                stock::rebuild_scopes(tx).await?;
                return Ok::<_, JobError>(Step::Rebuilt);
            }
            if state.full_next_product.is_some() || stock::start_full_if_new_day(tx).await? {
                // The call that finds no product left ends the full refresh and returns 0.
                return Ok(Step::Full(stock::refresh_full(tx, BATCH).await?));
            }
            match stock::refresh_marked(tx, BATCH).await? {
                0 => Ok(Step::Done),
                n => Ok(Step::Marked(n)),
            }
        })
        .await?;
        match step {
            Step::Rebuilt => done.scopes_rebuilt = true,
            Step::Full(n) => {
                done.full = true;
                done.products += n;
            }
            Step::Marked(n) => done.products += n,
            Step::Done => break,
        }
    }
    // The overview's totals, when anything changed (or were never computed).
    with_tenant(db, tenant, async |tx| {
        if let Some(lease) = lease {
            lease.fence(tx).await?;
        }
        if done != Refreshed::default() || !stock::has_summaries(tx).await? {
            stock::summarize(tx).await?;
        }
        // The alert rules read the fresh figures.
        crate::email::alerts::evaluate_soon(tx).await?;
        Ok::<_, JobError>(())
    })
    .await?;
    Ok(done)
}
