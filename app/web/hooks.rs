//! `POST /hooks/odoo/<token>`: the Odoo webhook (see `sync::webhook`). Authenticated by its secret
//! token alone (exempt from CSRF: Odoo is not a browser), answered at once, rate-limited per tenant.

use std::num::NonZeroU32;
use std::sync::Arc;

use actix_web::web::{self, ServiceConfig};
use actix_web::{HttpResponse, post};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::domain::tenant::TenantId;
use crate::sync::webhook;

use super::AppState;
use super::errors::AppError;

/// Per-tenant limit on webhook calls: a burst of 30, then one a second.
#[derive(Clone)]
pub struct WebhookLimiter(Arc<DefaultKeyedRateLimiter<TenantId>>);

impl Default for WebhookLimiter {
    fn default() -> Self {
        let quota = Quota::per_second(NonZeroU32::MIN).allow_burst(NonZeroU32::new(30).unwrap_or(NonZeroU32::MIN));
        Self(Arc::new(RateLimiter::keyed(quota)))
    }
}

impl WebhookLimiter {
    fn allows(&self, tenant: TenantId) -> bool {
        self.0.check_key(&tenant).is_ok()
    }
}

#[post("/hooks/odoo/{token}")]
async fn odoo(state: web::Data<AppState>, token: web::Path<String>) -> Result<HttpResponse, AppError> {
    let tenant = webhook::tenant_of(&state.db, &token).await?.ok_or(AppError::NotFound)?;
    if !state.webhook_limiter.allows(tenant) {
        return Err(AppError::TooManyRequests(
            "Too many webhook calls; the scheduled sync catches up.".into(),
        ));
    }
    webhook::queue_pull(&state.db, tenant).await?;
    Ok(HttpResponse::Accepted().finish())
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(odoo);
}
