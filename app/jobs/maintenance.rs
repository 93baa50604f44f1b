//! The platform's housekeeping job (hourly): retention of finished jobs (done after a day, discarded
//! and cancelled after 30 days, as RELIABILITY §2.2 suggests) and of ended sign-in sessions and stale
//! sign-in throttle rows, and of sent emails (30 days; account emails have no body left by then); queued
//! emails whose delivery job is gone are marked failed (so that admins see them); and the review of every connected tenant's Odoo key expiry, which opens a
//! `key_expiring` alert for its admins 14 days ahead (and resolves it once the key is replaced).

use std::time::Duration;

use super::{JobContext, JobError};

pub const KIND: &str = "maintenance.prune";
pub const EVERY: Duration = Duration::from_secs(60 * 60);

const KEEP_DONE: Duration = Duration::from_secs(24 * 60 * 60);
const KEEP_FAILED: Duration = Duration::from_secs(30 * 24 * 60 * 60);
const KEEP_ENDED_SESSIONS: Duration = Duration::from_secs(30 * 24 * 60 * 60);
const KEEP_SENT_EMAIL: Duration = Duration::from_secs(30 * 24 * 60 * 60);

pub async fn run(ctx: JobContext) -> Result<(), JobError> {
    let jobs = crate::db::jobs::prune(&ctx.db, KEEP_DONE, KEEP_FAILED).await?;
    let sign_in = crate::db::control::prune_sign_in_state(&ctx.db, KEEP_ENDED_SESSIONS).await?;
    let sent_before = chrono::Utc::now() - KEEP_SENT_EMAIL;
    let emails = crate::db::outbox::purge_sent_before(&ctx.db, sent_before).await?;
    let orphaned = crate::db::outbox::fail_orphaned(&ctx.db).await?;
    if orphaned > 0 {
        tracing::warn!(orphaned, "marked failed the queued emails whose delivery job is gone");
    }
    tracing::info!(
        jobs,
        sign_in,
        emails,
        "pruned finished jobs, ended sessions and sent emails"
    );
    let today = chrono::Utc::now().date_naive();
    let expiring = crate::sync::connection::review_key_expiries(&ctx.db, today).await?;
    tracing::info!(expiring, "reviewed Odoo key expiries");
    Ok(())
}
