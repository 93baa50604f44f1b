//! Reconciliation (DESIGN §5): what a `write_date` cursor cannot see. Odoo merges quants by raw SQL —
//! the survivor's quantity changes with its old `write_date` and the duplicates disappear — deletes
//! quants that reach zero, and long transactions commit behind the cursor. So the ids are walked in
//! windows, each window's content compared with a checksum, and only windows that differ re-read:
//! rows that changed are rewritten, rows Odoo no longer has are marked deleted (never removed: records
//! refer to them).
//!
//! Quants (hourly) compare an aggregate read — the count and the sums of on-hand, reserved and
//! counted quantity per window — against the mirror's. Every other model (nightly) compares the set
//! of ids per window.

use std::time::Instant;

use chrono::Utc;
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};

use super::pull::{Mirror, PullError, RowContext};
use crate::db::mirror;
use crate::db::tenancy::with_tenant;
use crate::domain::tenant::TenantId;
use crate::jobs::Lease;
use crate::odoo::records::{Company, Location, ProductProduct, ProductTemplate, Quant, Warehouse};
use crate::odoo::{Client, Domain, Op, SearchOptions};

/// The job kind; the payload's `scope` is `quants` (hourly) or `all` (nightly).
pub const KIND: &str = "sync.reconcile";
/// Ids per window.
pub const WINDOW: i64 = 2_000;

/// What reconciling one model did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReconcileReport {
    pub model: &'static str,
    pub windows: u64,
    pub differing: u64,
    pub rewritten: u64,
    pub marked_deleted: u64,
    pub seconds: f64,
}

impl ReconcileReport {
    pub fn to_json(&self) -> Value {
        json!({
            "windows": self.windows, "differing": self.differing, "rewritten": self.rewritten,
            "marked_deleted": self.marked_deleted, "seconds": self.seconds,
        })
    }
}

fn window(from: i64) -> Domain {
    Domain::leaf("id", Op::Ge, from).and_leaf("id", Op::Lt, from + WINDOW)
}

async fn odoo_max_id(client: &Client, model: &str) -> Result<i64, PullError> {
    #[derive(serde::Deserialize)]
    struct Id {
        id: i64,
    }
    let rows: Vec<Id> = client
        .search_read(
            model,
            &Domain::all(),
            &["id"],
            &SearchOptions::default().include_archived().order("id desc").limit(1),
        )
        .await?;
    Ok(rows.first().map_or(0, |r| r.id))
}

/// Re-reads a window from Odoo and makes the mirror equal to it, fenced by the lease.
async fn repair<M: Mirror>(
    client: &Client,
    db: &DatabaseConnection,
    tenant: TenantId,
    lease: &Lease,
    from: i64,
    report: &mut ReconcileReport,
) -> Result<(), PullError> {
    let fields = super::pull::fields_to_read::<M>(client).await?;
    let records: Vec<M> = client
        .search_read(
            M::MODEL,
            &window(from),
            &fields,
            &SearchOptions::default().include_archived().order("id"),
        )
        .await?;
    let now = Utc::now();
    let present: std::collections::HashSet<i64> = records.iter().map(|r| r.position().0).collect();
    let units = super::pull::units_for::<M>(db, tenant).await?;
    let at = RowContext {
        version: client.version().major,
        company_id: None,
        synced_at: now,
        units: units.as_ref(),
    };
    let rows: Vec<_> = records.iter().map(|r| r.to_row(&at)).collect();
    let (written, deleted) = with_tenant(db, tenant, async |tx| {
        lease.fence(tx).await?;
        let held = mirror::ids_in_window::<M::Table>(tx, from, from + WINDOW).await?;
        let vanished: Vec<i64> = held.into_iter().filter(|id| !present.contains(id)).collect();
        let written = mirror::write_page::<M::Table>(tx, rows).await?;
        let deleted = mirror::mark_deleted::<M::Table>(tx, &vanished, now).await?;
        Ok::<_, PullError>((written, deleted))
    })
    .await?;
    report.rewritten += written.inserted + written.updated;
    report.marked_deleted += deleted;
    Ok(())
}

/// Quants: window checksums from an aggregate read.
pub async fn reconcile_quants(
    client: &Client,
    db: &DatabaseConnection,
    tenant: TenantId,
    lease: &Lease,
) -> Result<ReconcileReport, PullError> {
    let started = Instant::now();
    let mut report = ReconcileReport {
        model: <Quant as crate::odoo::records::OdooModel>::MODEL,
        ..ReconcileReport::default()
    };
    let held_max = with_tenant(db, tenant, async |tx| {
        mirror::max_id::<<Quant as Mirror>::Table>(tx).await
    })
    .await?;
    let top = odoo_max_id(client, "stock.quant").await?.max(held_max);
    let sums = ["quantity", "reserved_quantity", "inventory_quantity"];
    let mut from = 0;
    while from <= top {
        report.windows += 1;
        let odoo = client
            .aggregate("stock.quant", &window(from), &sums, &SearchOptions::default())
            .await?;
        let (count, held) = with_tenant(db, tenant, async |tx| {
            mirror::quant_window_sums(tx, from, from + WINDOW).await
        })
        .await?;
        let total = |name: &str| {
            odoo.totals
                .iter()
                .find(|(field, _)| field == name)
                .map_or(0.0, |(_, v)| *v)
        };
        let same = odoo.count == count as u64
            && sums
                .iter()
                .zip(held)
                .all(|(name, mine)| (total(name) - mine).abs() <= 1e-6 * mine.abs().max(1.0));
        if !same {
            report.differing += 1;
            repair::<Quant>(client, db, tenant, lease, from, &mut report).await?;
        }
        from += WINDOW;
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Any mirrored model: the ids per window.
pub async fn reconcile_ids<M: Mirror>(
    client: &Client,
    db: &DatabaseConnection,
    tenant: TenantId,
    lease: &Lease,
) -> Result<ReconcileReport, PullError> {
    #[derive(serde::Deserialize)]
    struct Id {
        id: i64,
    }
    let started = Instant::now();
    let mut report = ReconcileReport {
        model: M::MODEL,
        ..ReconcileReport::default()
    };
    let held_max = with_tenant(db, tenant, async |tx| mirror::max_id::<M::Table>(tx).await).await?;
    let top = odoo_max_id(client, M::MODEL).await?.max(held_max);
    let mut from = 0;
    while from <= top {
        report.windows += 1;
        let odoo: Vec<Id> = client
            .search_read(
                M::MODEL,
                &window(from),
                &["id"],
                &SearchOptions::default().include_archived().order("id"),
            )
            .await?;
        let held = with_tenant(db, tenant, async |tx| {
            mirror::ids_in_window::<M::Table>(tx, from, from + WINDOW).await
        })
        .await?;
        let mut odoo_ids: Vec<i64> = odoo.into_iter().map(|r| r.id).collect();
        let mut held = held;
        odoo_ids.sort_unstable();
        held.sort_unstable();
        if odoo_ids != held {
            report.differing += 1;
            repair::<M>(client, db, tenant, lease, from, &mut report).await?;
        }
        from += WINDOW;
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Every mirrored model's id reconciliation, then the quants' checksums.
pub async fn reconcile_all(
    client: &Client,
    db: &DatabaseConnection,
    tenant: TenantId,
    lease: &Lease,
) -> Result<Vec<ReconcileReport>, PullError> {
    Ok(vec![
        reconcile_ids::<Company>(client, db, tenant, lease).await?,
        reconcile_ids::<Warehouse>(client, db, tenant, lease).await?,
        reconcile_ids::<Location>(client, db, tenant, lease).await?,
        reconcile_ids::<ProductTemplate>(client, db, tenant, lease).await?,
        reconcile_ids::<ProductProduct>(client, db, tenant, lease).await?,
        reconcile_quants(client, db, tenant, lease).await?,
    ])
}
