//! The periodic jobs. Every worker process ticks the schedule; each periodic job carries a schedule key
//! naming its window (`<period>:<window number>`), and the queue keeps one job per key, so any number of
//! processes enqueue each window's job exactly once.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};

use super::{NewJob, Queue, enqueue, maintenance};
use crate::domain::tenant::TenantId;

const HOURLY: std::time::Duration = std::time::Duration::from_secs(60 * 60);
const NIGHTLY: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

/// The schedule key of the window of `period` that contains `now`.
pub fn window_key(now: DateTime<Utc>, period: std::time::Duration) -> String {
    let seconds = period.as_secs().max(1) as i64;
    format!("every {seconds}s:{}", now.timestamp().div_euclid(seconds))
}

/// The jobs due in the window containing `now`: housekeeping, every tenant's hourly digest check, and
/// an incremental pull of every tenant
/// whose Odoo connection has a key that Odoo has not refused, in windows of the tenant's own interval
/// (every process reads the same interval from the connection row, so the window keys still agree).
pub async fn due(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<Vec<NewJob>, DbErr> {
    let mut jobs =
        vec![NewJob::new(Queue::Maintenance, maintenance::KIND).scheduled(&window_key(now, maintenance::EVERY))];
    for tenant in crate::db::control::list_tenants(db).await? {
        let key = window_key(now, HOURLY);
        jobs.push(crate::email::alerts::digest_job(tenant.tenant_id(), &key));
    }
    for connection in crate::db::control::list_odoo_connections(db).await? {
        if connection.key_id.is_some() && connection.status != "credential_invalid" {
            let tenant = TenantId::from_uuid(connection.tenant_id);
            let reconcile = |scope: &str, every| {
                NewJob::new(Queue::Pull, crate::sync::reconcile::KIND)
                    .for_tenant(tenant)
                    .payload(serde_json::json!({"scope": scope}))
                    .unique(scope)
                    .scheduled(&format!("{scope}:{}", window_key(now, every)))
            };
            let every = crate::sync::connection::SyncSettings::of(&connection).pull_every();
            jobs.push(crate::sync::pull::job(tenant).scheduled(&window_key(now, every)));
            jobs.push(reconcile("quants", HOURLY));
            jobs.push(reconcile("all", NIGHTLY));
        }
    }
    Ok(jobs)
}

/// Enqueues the jobs of the current windows that are not enqueued yet; returns how many were new.
pub async fn tick(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<usize, DbErr> {
    let mut added = 0;
    for job in due(db, now).await? {
        if enqueue(db, &job).await?.is_some() {
            added += 1;
        }
    }
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_change_only_at_their_boundary() {
        let hour = std::time::Duration::from_secs(3600);
        let at = |s: i64| DateTime::from_timestamp(s, 0).unwrap();
        assert_eq!(window_key(at(7200), hour), window_key(at(10_799), hour));
        assert_ne!(window_key(at(10_799), hour), window_key(at(10_800), hour));
        assert_ne!(window_key(at(0), hour), window_key(at(-1), hour));
    }
}
