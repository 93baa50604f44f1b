//! Reconciliation (DESIGN §5): what a `write_date` cursor cannot see. Odoo merges quants by raw SQL —
//! the survivor's quantity changes with its old `write_date` and the duplicates disappear — deletes
//! quants that reach zero, deletes records of every other model, and long transactions commit behind
//! the cursor. So the ids are walked in windows, each window's content compared with a checksum, and
//! only windows that differ are repaired: rows that changed or are missing are (re)written, rows Odoo
//! no longer has are marked deleted (never removed: records refer to them).
//!
//! Quants (hourly) compare an aggregate read — the count and the sums of on-hand, reserved and
//! counted quantity per window — against the mirror's, and re-read a differing window. Every mirrored
//! model (nightly) compares the set of ids per window — one `search_read` of ids, no full read unless
//! it differs — fetches the records the mirror lacks and marks the ones Odoo no longer has. Documents
//! were pulled back to the history horizon only ([`Mirror::within_horizon`]): their windows compare
//! the records within the horizon, plus those the mirror holds whatever their age (an old document
//! pulled because it changed later), so that reconciliation neither drags in years of old documents
//! nor marks as deleted rows it did not look at.

use std::time::Instant;

use std::collections::HashSet;

use chrono::{Months, Utc};
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};

use super::pull::{Mirror, PullError, RowContext, odoo_time, retrying};
use crate::db::mirror;
use crate::db::tenancy::with_tenant;
use crate::domain::tenant::TenantId;
use crate::jobs::Lease;
use crate::odoo::records::{
    Company, Currency, Location, Move, MoveLine, Orderpoint, Partner, Picking, PickingType, ProductCategory,
    ProductCost, ProductProduct, ProductTemplate, PurchaseOrder, PurchaseOrderLine, Quant, Scrap, ScrapReasonTag,
    SupplierInfo, Uom, User, Warehouse,
};
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
    let options = SearchOptions::default().include_archived().order("id desc").limit(1);
    let all = Domain::all();
    let rows: Vec<Id> = retrying(model, || client.search_read(model, &all, &["id"], &options)).await?;
    Ok(rows.first().map_or(0, |r| r.id))
}

/// What a repair marks deleted: the window's rows that its read did not return, or exactly these ids.
enum Vanished {
    NotRead,
    Ids(Vec<i64>),
}

/// Reads the records of `read` from Odoo and writes them, and marks the window's vanished rows, in one
/// transaction fenced by the lease.
#[allow(clippy::too_many_arguments)]
async fn repair<M: Mirror>(
    client: &Client,
    db: &DatabaseConnection,
    tenant: TenantId,
    lease: &Lease,
    from: i64,
    read: Option<Domain>,
    vanished: Vanished,
    report: &mut ReconcileReport,
) -> Result<(), PullError> {
    let records: Vec<M> = match read {
        Some(domain) => {
            let fields = super::pull::fields_to_read::<M>(client).await?;
            let options = SearchOptions::default().include_archived().order("id");
            retrying(M::MODEL, || client.search_read(M::MODEL, &domain, &fields, &options)).await?
        }
        None => Vec::new(),
    };
    let now = Utc::now();
    let present: HashSet<i64> = records.iter().map(|r| r.position().0).collect();
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
        let vanished = match &vanished {
            Vanished::Ids(ids) => ids.clone(),
            Vanished::NotRead => mirror::ids_in_window::<M::Table>(tx, from, from + WINDOW)
                .await?
                .into_iter()
                .filter(|id| !present.contains(id))
                .collect(),
        };
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
        let options = SearchOptions::default();
        let domain = window(from);
        let odoo = retrying("stock.quant", || {
            client.aggregate("stock.quant", &domain, &sums, &options)
        })
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
            let read = Some(window(from));
            repair::<Quant>(client, db, tenant, lease, from, read, Vanished::NotRead, &mut report).await?;
        }
        from += WINDOW;
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Any mirrored model: the ids per window; documents within the tenant's history horizon of
/// `horizon_months` (and those the mirror holds). A window that differs has the records the mirror lacks fetched and the rows Odoo no longer
/// has marked deleted.
pub async fn reconcile_ids<M: Mirror>(
    client: &Client,
    db: &DatabaseConnection,
    tenant: TenantId,
    lease: &Lease,
    horizon_months: u32,
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
    let within = Utc::now()
        .checked_sub_months(Months::new(horizon_months))
        .and_then(|from| M::within_horizon(&odoo_time(from)));
    let held_max = with_tenant(db, tenant, async |tx| mirror::max_id::<M::Table>(tx).await).await?;
    let top = odoo_max_id(client, M::MODEL).await?.max(held_max);
    let options = SearchOptions::default().include_archived().order("id");
    let mut from = 0;
    while from <= top {
        report.windows += 1;
        let mut held = with_tenant(db, tenant, async |tx| {
            mirror::ids_in_window::<M::Table>(tx, from, from + WINDOW).await
        })
        .await?;
        held.sort_unstable();
        let domain = match (&within, held.is_empty()) {
            (None, _) => window(from),
            (Some(within), true) => window(from).and(within.clone()),
            // What the mirror holds is compared whatever its age: an old document pulled because it
            // changed after the first sync is outside the horizon, and still in Odoo.
            (Some(within), false) => window(from).and(within.clone().or(Domain::leaf("id", Op::In, json!(held)))),
        };
        let odoo: Vec<Id> = retrying(M::MODEL, || client.search_read(M::MODEL, &domain, &["id"], &options)).await?;
        let mut odoo_ids: Vec<i64> = odoo.into_iter().map(|r| r.id).collect();
        odoo_ids.sort_unstable();
        if odoo_ids != held {
            report.differing += 1;
            let known: HashSet<i64> = held.iter().copied().collect();
            let missing: Vec<i64> = odoo_ids.iter().copied().filter(|id| !known.contains(id)).collect();
            let present: HashSet<i64> = odoo_ids.into_iter().collect();
            let gone: Vec<i64> = held.into_iter().filter(|id| !present.contains(id)).collect();
            let read = (!missing.is_empty()).then(|| Domain::leaf("id", Op::In, json!(missing)));
            repair::<M>(client, db, tenant, lease, from, read, Vanished::Ids(gone), &mut report).await?;
        }
        from += WINDOW;
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Every mirrored model's id reconciliation (referenced models first, as the pull orders them; models
/// this Odoo version lacks skipped), then the costs per company, then the quants' checksums.
pub async fn reconcile_all(
    client: &Client,
    db: &DatabaseConnection,
    tenant: TenantId,
    lease: &Lease,
    horizon_months: u32,
) -> Result<Vec<ReconcileReport>, PullError> {
    let mut reports = Vec::new();
    macro_rules! ids {
        ($($record:ty),* $(,)?) => {$(
            if client.version().major >= <$record as Mirror>::SINCE {
                reports.push(reconcile_ids::<$record>(client, db, tenant, lease, horizon_months).await?);
            }
        )*};
    }
    ids!(
        Currency,
        Company,
        Partner,
        User,
        Uom,
        ProductCategory,
        Warehouse,
        Location,
        PickingType,
        ProductTemplate,
        ProductProduct,
        SupplierInfo,
        Orderpoint,
        PurchaseOrder,
        PurchaseOrderLine,
        Picking,
        ScrapReasonTag,
        Scrap,
        Move,
        MoveLine,
    );
    reports.push(reconcile_costs(client, db, tenant, lease).await?);
    reports.push(reconcile_quants(client, db, tenant, lease).await?);
    Ok(reports)
}

/// Cost per company follows the variants, once their ids are reconciled: the costs of a variant the
/// cost cursors passed by (committed late, fetched by reconciliation) are read for each company, and
/// the costs of variants marked deleted are marked too. Costs that changed are the pull's: writing a
/// company's cost moves the variant's write date.
pub async fn reconcile_costs(
    client: &Client,
    db: &DatabaseConnection,
    tenant: TenantId,
    lease: &Lease,
) -> Result<ReconcileReport, PullError> {
    let started = Instant::now();
    let mut report = ReconcileReport {
        model: COSTS,
        ..ReconcileReport::default()
    };
    let companies = with_tenant(db, tenant, async |tx| mirror::active_company_ids(tx).await).await?;
    let fields = super::pull::fields_to_read::<ProductCost>(client).await?;
    for company in companies {
        report.windows += 1;
        let missing = with_tenant(db, tenant, async |tx| mirror::variants_without_cost(tx, company).await).await?;
        if !missing.is_empty() {
            report.differing += 1;
        }
        let options = SearchOptions::default()
            .include_archived()
            .order("id")
            .context("allowed_company_ids", json!([company]));
        for ids in missing.chunks(WINDOW as usize) {
            let domain = Domain::leaf("id", Op::In, json!(ids));
            let records: Vec<ProductCost> = retrying(COSTS, || {
                client.search_read("product.product", &domain, &fields, &options)
            })
            .await?;
            let at = RowContext {
                version: client.version().major,
                company_id: Some(company),
                synced_at: Utc::now(),
                units: None,
            };
            let rows: Vec<_> = records.iter().map(|r| r.to_row(&at)).collect();
            let written = with_tenant(db, tenant, async |tx| {
                lease.fence(tx).await?;
                Ok::<_, PullError>(mirror::write_page::<<ProductCost as Mirror>::Table>(tx, rows).await?)
            })
            .await?;
            report.rewritten += written.inserted + written.updated;
        }
    }
    let now = Utc::now();
    report.marked_deleted = with_tenant(db, tenant, async |tx| {
        lease.fence(tx).await?;
        Ok::<_, PullError>(mirror::mark_costs_of_deleted_variants(tx, now).await?)
    })
    .await?;
    if report.marked_deleted > 0 {
        report.differing += 1;
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// The cost reconciliation's name in a run's report.
pub const COSTS: &str = "product.product standard_price per company";
