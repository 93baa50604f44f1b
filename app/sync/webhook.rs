//! The Odoo webhook (Odoo 17+; DESIGN §5 "Freshness"): an automation rule in Odoo calls a secret
//! per-tenant URL when stock changes, and TrueStock queues an incremental pull a few seconds later.
//! Calls within those seconds fall into the same queued pull (debounce), and a tenant's calls are
//! rate-limited. Odoo's webhook action cannot sign its requests: the secret is the URL's token, of
//! which only a hash is stored. Odoo 16 has no webhook action and relies on the schedule.

use std::time::Duration;

use chrono::Utc;
use sea_orm::{DatabaseConnection, DbErr};

use crate::auth::token::{self, hash};
use crate::db::control;
use crate::domain::tenant::TenantId;
use crate::jobs;

/// How long a webhook call waits for others before its pull starts.
pub const DEBOUNCE: Duration = Duration::from_secs(10);

/// Makes a new webhook token for the tenant (the old one stops working); `None` when the tenant has no
/// Odoo connection. The token is returned once and never stored.
pub async fn rotate(db: &DatabaseConnection, tenant: TenantId) -> Result<Option<String>, DbErr> {
    let token = token::generate();
    Ok(control::set_webhook_token_hash(db, tenant.as_uuid(), &hash(&token))
        .await?
        .then_some(token))
}

/// The path Odoo calls.
pub fn path(token: &str) -> String {
    format!("/hooks/odoo/{token}")
}

/// The tenant a webhook token belongs to.
pub async fn tenant_of(db: &DatabaseConnection, token: &str) -> Result<Option<TenantId>, DbErr> {
    if token.len() > 100 {
        return Ok(None);
    }
    Ok(control::tenant_of_webhook(db, &hash(token))
        .await?
        .map(TenantId::from_uuid))
}

/// Queues the tenant's pull `DEBOUNCE` from now, unless one is queued already (which then takes this
/// change along).
pub async fn queue_pull(db: &DatabaseConnection, tenant: TenantId) -> Result<(), DbErr> {
    let at = Utc::now() + chrono::Duration::from_std(DEBOUNCE).unwrap_or_default();
    let job = crate::sync::pull::job(tenant).run_at(at);
    jobs::enqueue(db, &job).await.map(|_| ())
}
