//! Liveness (`/healthz`: the process answers) and readiness (`/readyz`: the database answers and every
//! migration, control and tenant, is applied).

use actix_web::web::{self, ServiceConfig};
use actix_web::{HttpResponse, get};

use crate::db::{control, tenancy};

use super::AppState;

#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; charset=utf-8").body("ok")
}

#[get("/readyz")]
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let unready = |reason: &str| {
        HttpResponse::ServiceUnavailable()
            .content_type("text/plain; charset=utf-8")
            .body(format!("not ready: {reason}"))
    };
    match control::control_migrations_current(&state.db).await {
        Ok(true) => {}
        Ok(false) => return unready("control migrations pending; run `truestock migrate`"),
        Err(e) => {
            tracing::warn!(error = %e, "readiness: database check failed");
            return unready("database unreachable");
        }
    }
    match control::count_tenants_behind(&state.db, &tenancy::migrate::latest_tenant_migration()).await {
        Ok(0) => HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body("ready"),
        Ok(n) => unready(&format!("{n} tenant schema(s) not migrated; run `truestock migrate`")),
        Err(e) => {
            tracing::warn!(error = %e, "readiness: database check failed");
            unready("database unreachable")
        }
    }
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(healthz).service(readyz);
}
