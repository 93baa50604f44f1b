//! A pull's progress on a terminal, with an ETA (indicatif, on stderr): rows pulled so far
//! (`db::mirror::rows_synced`, which counts every page a pull commits) against an estimate of the rows
//! Odoo holds. `truestock sync --wait` and the demo's first sync show it; it stays hidden when stderr
//! is not a terminal (logs, CI), and the bar is cleared when the pull ends.
//!
//! The estimate counts every record of every model the pull reads, so on a first sync with a history
//! horizon, or an incremental pull, the bar ends before it is full: it is an upper bound.

use std::future::Future;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sea_orm::DatabaseConnection;

use crate::db::mirror;
use crate::db::tenancy::with_tenant_boxed;
use crate::domain::tenant::TenantId;
use crate::odoo::{Client, Domain, SearchOptions};

/// How often the bar reads the rows pulled so far.
const REFRESH: Duration = Duration::from_millis(500);

/// The rows a full pull of this Odoo would read: the records of every model it pulls, archived ones
/// included. A model Odoo does not answer for counts as empty (the pull reports it on its own).
pub async fn estimate(client: &Client) -> u64 {
    let options = SearchOptions::default().include_archived();
    let mut total = 0;
    for model in crate::sync::pull::PULLED_MODELS {
        total += client.search_count(model, &Domain::all(), &options).await.unwrap_or(0);
    }
    total
}

/// Runs `work` (a tenant's pull, or the wait for one) while a bar on stderr shows the rows pulled
/// since it started against `estimate` (0: unknown, a spinner), with an ETA; returns what `work` did.
pub async fn follow<T>(
    db: &DatabaseConnection,
    tenant: TenantId,
    label: &str,
    estimate: u64,
    work: impl Future<Output = T>,
) -> T {
    let bar = if estimate == 0 {
        ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
    } else {
        ProgressBar::with_draw_target(Some(estimate), ProgressDrawTarget::stderr())
    };
    let template = if estimate == 0 {
        "{spinner} {msg}: {pos} rows ({elapsed})"
    } else {
        "{msg}: [{bar:30}] {percent:>3}% {pos} of about {len} rows, about {eta} left"
    };
    // The templates are constants; the default style stands in should one ever fail to parse.
    let style = ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style.progress_chars("=> "));
    bar.set_message(label.to_string());
    let start = rows_synced(db, tenant).await.unwrap_or(0);
    let watcher = tokio::spawn({
        let (db, bar) = (db.clone(), bar.clone());
        async move {
            loop {
                tokio::time::sleep(REFRESH).await;
                if let Ok(now) = rows_synced(&db, tenant).await {
                    let done = u64::try_from(now - start).unwrap_or(0);
                    // An estimate is only that: the bar grows rather than overflow.
                    if bar.length().is_some_and(|len| done > len) {
                        bar.set_length(done);
                    }
                    bar.set_position(done);
                }
            }
        }
    });
    let outcome = work.await;
    watcher.abort();
    bar.finish_and_clear();
    outcome
}

async fn rows_synced(db: &DatabaseConnection, tenant: TenantId) -> Result<i64, sea_orm::DbErr> {
    // The boxed form: this runs in a spawned task, whose future must be `Send`.
    with_tenant_boxed(db, tenant, |tx| Box::pin(mirror::rows_synced(tx))).await
}
