//! The `email.deliver` job: hands one outbox message to the SMTP relay.
//!
//! The server's `250` is recorded at once, in its own short statement. A worker that dies between the
//! `250` and that write leaves the message queued, and the job runs again after its lease: the message
//! is sent a second time, with the same `Message-ID`, so the receiving side can tell — SMTP has no
//! idempotency key, and this window is inherent to it (RELIABILITY §3).
//!
//! Transient failures (4xx, timeouts, dropped connections) are retried with the email queue's backoff;
//! a permanent one (5xx), or the last attempt, marks the message failed, which its tenant's admins see.

use std::sync::Arc;

use serde_json::json;
use uuid::Uuid;

use super::{Mailer, SendFailure};
use crate::db::outbox as store;
use crate::domain::tenant::TenantId;
use crate::jobs::{JobContext, JobError, NewJob, Queue};

pub const KIND: &str = "email.deliver";

/// The delivery job of outbox message `id`.
pub fn job(id: Uuid, tenant: Option<TenantId>) -> NewJob {
    let job = NewJob::new(Queue::Email, KIND)
        .payload(json!({ "outbox_id": id }))
        .unique(&id.to_string());
    match tenant {
        Some(tenant) => job.for_tenant(tenant),
        None => job,
    }
}

pub async fn run(ctx: JobContext, mailer: Arc<Mailer>) -> Result<(), JobError> {
    let id = ctx
        .payload
        .get("outbox_id")
        .and_then(|v| v.as_str())
        .and_then(|v| Uuid::parse_str(v).ok())
        .ok_or_else(|| JobError::Fatal("the job names no outbox message".into()))?;
    let Some(pending) = store::find_pending(&ctx.db, id).await? else {
        return Ok(()); // its tenant was deleted
    };
    if pending.state != "queued" {
        return Ok(()); // sent (or failed) by an earlier attempt
    }
    let Some(message) = pending.message else {
        let why = "the message has no body";
        store::mark_failed(&ctx.db, id, None, why).await?;
        return Err(JobError::Fatal(why.into()));
    };
    let Some(transport) = mailer.transport() else {
        let why = "no SMTP relay is configured (TRUESTOCK_SMTP_URL)";
        return give_up_or_retry(
            &ctx,
            id,
            &SendFailure::Transient {
                code: None,
                message: why.into(),
            },
        )
        .await;
    };
    match transport.send(&pending.sender, &pending.recipient, &message).await {
        Ok(code) => {
            store::mark_sent(&ctx.db, id, code).await?;
            tracing::info!(outbox_id = %id, code, "email delivered");
            Ok(())
        }
        Err(failure) => give_up_or_retry(&ctx, id, &failure).await,
    }
}

async fn give_up_or_retry(ctx: &JobContext, id: Uuid, failure: &SendFailure) -> Result<(), JobError> {
    let last_attempt = ctx.attempt >= ctx.max_attempts;
    match failure {
        SendFailure::Transient { code, message } if !last_attempt => {
            store::record_attempt(&ctx.db, id, *code, message).await?;
            tracing::warn!(outbox_id = %id, code = ?code, error = %message, "email delivery will be retried");
            Err(JobError::Retry(format!("SMTP: {message}")))
        }
        _ => {
            store::mark_failed(&ctx.db, id, failure.code(), &failure.to_string()).await?;
            tracing::warn!(outbox_id = %id, code = ?failure.code(), error = %failure, "email delivery failed");
            Err(JobError::Fatal(format!("SMTP: {failure}")))
        }
    }
}
