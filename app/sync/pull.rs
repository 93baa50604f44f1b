//! The pull (DESIGN §5): each mirrored model is read in pages ordered by `write_date`, and each page is
//! written together with its cursor in one tenant transaction, fenced by the job's lease — a crash
//! leaves no partial page, and a worker that lost its job commits nothing.
//!
//! Odoo keeps `write_date` to the microsecond but answers it to the second, so the cursor is a
//! *second* (the bucket) plus the last id read within it: a page either drains the current second by
//! id, or moves on to later seconds ordered by `write_date, id`; in the second of that page's last row
//! only the rows up to it are known, so the next page drains that second again from id 0 (re-read rows
//! are recognised and not rewritten). Each run first steps back a look-back window, for Odoo
//! transactions that committed rows dated before the cursor. Rows are read with `active_test: false`.

use std::time::{Duration, Instant};

use chrono::{DateTime, DurationRound as _, TimeDelta, Utc};
use sea_orm::{DatabaseConnection, DbErr};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::db::entities::{
    odoo_product_product, odoo_product_template, odoo_res_company, odoo_stock_location, odoo_stock_quant,
    odoo_stock_warehouse,
};
use crate::db::mirror::{self, MirrorTable, PageWrite};
use crate::db::tenancy::{TenantTxn, with_tenant};
use crate::domain::tenant::TenantId;
use crate::jobs::{JobError, Lease};
use crate::odoo::records::{Company, Location, OdooModel, ProductProduct, ProductTemplate, Quant, Warehouse};
use crate::odoo::value::Many2One;
use crate::odoo::{Client, Domain, OdooError, Op, SearchOptions};

/// Rows per `search_read` page.
pub const PAGE_SIZE: usize = 500;
/// How far each run steps back before its cursor, for rows committed late by long Odoo transactions.
pub const LOOK_BACK: Duration = Duration::from_secs(15 * 60);

/// An Odoo model the pull mirrors: its record becomes a row of its mirror table.
pub trait Mirror: OdooModel + Sync {
    type Table: MirrorTable;
    fn to_row(&self, synced_at: DateTime<Utc>) -> <Self::Table as sea_orm::EntityTrait>::Model;
    /// Odoo's id and write date: where the record puts the cursor.
    fn position(&self) -> (i64, Option<DateTime<Utc>>);
}

macro_rules! position {
    () => {
        fn position(&self) -> (i64, Option<DateTime<Utc>>) {
            (self.id, self.audit.write_date)
        }
    };
}

fn id(value: &Option<Many2One>) -> Option<i64> {
    value.as_ref().map(|m| m.id)
}

impl Mirror for Company {
    type Table = odoo_res_company::Entity;
    position!();
    fn to_row(&self, synced_at: DateTime<Utc>) -> odoo_res_company::Model {
        odoo_res_company::Model {
            odoo_id: self.id,
            name: self.name.clone(),
            currency_id: id(&self.currency_id),
            active: self.active,
            create_uid: id(&self.audit.create_uid),
            write_uid: id(&self.audit.write_uid),
            create_date: self.audit.create_date,
            write_date: self.audit.write_date,
            odoo_deleted_at: None,
            synced_at,
        }
    }
}

impl Mirror for Warehouse {
    type Table = odoo_stock_warehouse::Entity;
    position!();
    fn to_row(&self, synced_at: DateTime<Utc>) -> odoo_stock_warehouse::Model {
        odoo_stock_warehouse::Model {
            odoo_id: self.id,
            name: self.name.clone(),
            code: self.code.clone(),
            company_id: id(&self.company_id),
            view_location_id: id(&self.view_location_id),
            lot_stock_id: id(&self.lot_stock_id),
            active: self.active,
            create_uid: id(&self.audit.create_uid),
            write_uid: id(&self.audit.write_uid),
            create_date: self.audit.create_date,
            write_date: self.audit.write_date,
            odoo_deleted_at: None,
            synced_at,
        }
    }
}

impl Mirror for Location {
    type Table = odoo_stock_location::Entity;
    position!();
    fn to_row(&self, synced_at: DateTime<Utc>) -> odoo_stock_location::Model {
        odoo_stock_location::Model {
            odoo_id: self.id,
            name: self.name.clone(),
            complete_name: self.complete_name.clone(),
            usage: self.usage.clone(),
            location_id: id(&self.location_id),
            warehouse_id: id(&self.warehouse_id),
            company_id: id(&self.company_id),
            scrap_location: self.scrap_location,
            active: self.active,
            create_uid: id(&self.audit.create_uid),
            write_uid: id(&self.audit.write_uid),
            create_date: self.audit.create_date,
            write_date: self.audit.write_date,
            odoo_deleted_at: None,
            synced_at,
        }
    }
}

impl Mirror for ProductTemplate {
    type Table = odoo_product_template::Entity;
    position!();
    fn to_row(&self, synced_at: DateTime<Utc>) -> odoo_product_template::Model {
        odoo_product_template::Model {
            odoo_id: self.id,
            name: self.name.clone(),
            default_code: self.default_code.clone(),
            barcode: self.barcode.clone(),
            categ_id: id(&self.categ_id),
            uom_id: id(&self.uom_id),
            uom_po_id: id(&self.uom_po_id),
            uom_ids: self.uom_ids.clone(),
            standard_price: self.standard_price,
            list_price: self.list_price,
            is_storable: self.is_storable(),
            tracking: self.tracking.clone(),
            sale_ok: self.sale_ok,
            purchase_ok: self.purchase_ok,
            company_id: id(&self.company_id),
            active: self.active,
            create_uid: id(&self.audit.create_uid),
            write_uid: id(&self.audit.write_uid),
            create_date: self.audit.create_date,
            write_date: self.audit.write_date,
            odoo_deleted_at: None,
            synced_at,
        }
    }
}

impl Mirror for ProductProduct {
    type Table = odoo_product_product::Entity;
    position!();
    fn to_row(&self, synced_at: DateTime<Utc>) -> odoo_product_product::Model {
        odoo_product_product::Model {
            odoo_id: self.id,
            product_tmpl_id: id(&self.product_tmpl_id),
            default_code: self.default_code.clone(),
            barcode: self.barcode.clone(),
            display_name: self.display_name.clone(),
            standard_price: self.standard_price,
            company_id: id(&self.company_id),
            active: self.active,
            create_uid: id(&self.audit.create_uid),
            write_uid: id(&self.audit.write_uid),
            create_date: self.audit.create_date,
            write_date: self.audit.write_date,
            odoo_deleted_at: None,
            synced_at,
        }
    }
}

impl Mirror for Quant {
    type Table = odoo_stock_quant::Entity;
    position!();
    fn to_row(&self, synced_at: DateTime<Utc>) -> odoo_stock_quant::Model {
        odoo_stock_quant::Model {
            odoo_id: self.id,
            product_id: id(&self.product_id),
            location_id: id(&self.location_id),
            lot_id: id(&self.lot_id),
            package_id: id(&self.package_id),
            owner_id: id(&self.owner_id),
            company_id: id(&self.company_id),
            warehouse_id: id(&self.warehouse_id),
            quantity: self.quantity,
            reserved_quantity: self.reserved_quantity,
            in_date: self.in_date,
            inventory_quantity: self.inventory_quantity,
            inventory_quantity_set: self.inventory_quantity_set,
            inventory_date: self.inventory_date,
            user_id: id(&self.user_id),
            create_uid: id(&self.audit.create_uid),
            write_uid: id(&self.audit.write_uid),
            create_date: self.audit.create_date,
            write_date: self.audit.write_date,
            odoo_deleted_at: None,
            synced_at,
        }
    }
}

/// What pulling one model did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelReport {
    pub model: &'static str,
    pub rows_read: u64,
    pub written: PageWrite,
    pub pages: u64,
    pub seconds: f64,
    /// Set when the model could not be pulled (the others carry on).
    pub error: Option<String>,
}

impl ModelReport {
    pub fn to_json(&self) -> Value {
        json!({
            "rows_read": self.rows_read, "inserted": self.written.inserted, "updated": self.written.updated,
            "unchanged": self.written.unchanged, "pages": self.pages, "seconds": self.seconds, "error": self.error,
        })
    }
}

/// Why a model's pull stopped.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error(transparent)]
    Odoo(#[from] OdooError),
    #[error(transparent)]
    Job(#[from] JobError),
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

fn odoo_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn fields_hash(fields: &[&str]) -> String {
    let digest = Sha256::digest(fields.join(",").as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

fn second_of(at: Option<DateTime<Utc>>) -> DateTime<Utc> {
    at.and_then(|t| t.duration_trunc(TimeDelta::seconds(1)).ok())
        .unwrap_or(DateTime::UNIX_EPOCH)
}

/// Pulls one model from its cursor to now. `full` starts over from the beginning.
pub async fn pull_model<M: Mirror>(
    client: &Client,
    db: &DatabaseConnection,
    tenant: TenantId,
    lease: &Lease,
    full: bool,
) -> Result<ModelReport, PullError> {
    let started = Instant::now();
    let mut report = ModelReport {
        model: M::MODEL,
        ..ModelReport::default()
    };
    let fields = M::fields(client.version().major, None);
    let hash = fields_hash(&fields);
    let held = with_tenant(db, tenant, async |tx| mirror::cursor(tx, M::MODEL).await).await?;
    let (mut bucket, mut last_id) = match held {
        Some(cursor) if !full && cursor.fields_hash == hash => {
            let back = TimeDelta::from_std(LOOK_BACK).unwrap_or_default();
            ((cursor.bucket - back).max(DateTime::UNIX_EPOCH), 0)
        }
        _ => (DateTime::UNIX_EPOCH, 0),
    };
    let options = SearchOptions::default().include_archived().limit(PAGE_SIZE);
    loop {
        // Drain the current second by id.
        loop {
            let domain = Domain::leaf("write_date", Op::Ge, odoo_time(bucket).as_str())
                .and_leaf("write_date", Op::Lt, odoo_time(bucket + TimeDelta::seconds(1)).as_str())
                .and_leaf("id", Op::Gt, last_id);
            let rows: Vec<M> = read_page(client, &domain, &fields, &options.clone().order("id asc")).await?;
            let full_page = rows.len() == PAGE_SIZE;
            if let Some(last) = rows.last() {
                last_id = last.position().0;
            }
            write(db, tenant, lease, &rows, &hash, bucket, last_id, &mut report).await?;
            if !full_page {
                break;
            }
        }
        // Then the seconds after it, in write order.
        let later = Domain::leaf("write_date", Op::Ge, odoo_time(bucket + TimeDelta::seconds(1)).as_str());
        let rows: Vec<M> = read_page(
            client,
            &later,
            &fields,
            &options.clone().order("write_date asc, id asc"),
        )
        .await?;
        let Some(last) = rows.last() else { break };
        bucket = second_of(last.position().1);
        last_id = 0;
        write(db, tenant, lease, &rows, &hash, bucket, last_id, &mut report).await?;
    }
    let now = Utc::now();
    with_tenant(db, tenant, async |tx| mirror::cursor_succeeded(tx, M::MODEL, now).await).await?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Calls a transient failure (timeout, reset, 5xx, 409, expired session) retries at once, a few times
/// with a short backoff, before the job's own backoff takes over.
async fn read_page<M: Mirror>(
    client: &Client,
    domain: &Domain,
    fields: &[&str],
    options: &SearchOptions,
) -> Result<Vec<M>, OdooError> {
    let mut delay = Duration::from_millis(200);
    let mut attempt = 1;
    loop {
        match client.search_read(M::MODEL, domain, fields, options).await {
            Err(error) if error.is_transient() && attempt < 4 => {
                tracing::debug!(model = M::MODEL, %error, attempt, "retrying a page");
                tokio::time::sleep(delay).await;
                delay *= 2;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// Writes a page and moves the cursor, in one transaction fenced by the lease.
#[allow(clippy::too_many_arguments)]
async fn write<M: Mirror>(
    db: &DatabaseConnection,
    tenant: TenantId,
    lease: &Lease,
    rows: &[M],
    hash: &str,
    bucket: DateTime<Utc>,
    last_id: i64,
    report: &mut ModelReport,
) -> Result<(), PullError> {
    let now = Utc::now();
    let pulled: Vec<_> = rows.iter().map(|r| r.to_row(now)).collect();
    let count = rows.len() as i64;
    let written = with_tenant(db, tenant, async |tx: &TenantTxn| {
        lease.fence(tx).await?;
        let written = mirror::write_page::<M::Table>(tx, pulled).await?;
        mirror::advance_cursor(tx, M::MODEL, hash, bucket, last_id, count).await?;
        Ok::<_, PullError>(written)
    })
    .await?;
    report.rows_read += rows.len() as u64;
    report.pages += 1;
    report.written.inserted += written.inserted;
    report.written.updated += written.updated;
    report.written.unchanged += written.unchanged;
    Ok(())
}

/// The job kind of a tenant's pull.
pub const KIND: &str = "sync.pull";
/// How often each connected tenant is pulled.
pub const EVERY: Duration = Duration::from_secs(5 * 60);

/// What sync jobs need from the process: the vault's keys and the address rules.
pub struct SyncDeps {
    pub ring: crate::auth::vault::KeyRing,
    pub reach: crate::odoo::Reach,
}

/// A tenant's pull as a job: every mirrored model, one after the other; a model Odoo denies access
/// to is skipped and reported (the others carry on); bad credentials stop the tenant's sync at once.
pub async fn run(ctx: crate::jobs::JobContext, deps: std::sync::Arc<SyncDeps>) -> Result<(), JobError> {
    use crate::sync::connection::{self, ConnectionError};
    let tenant = ctx
        .tenant
        .ok_or_else(|| JobError::Fatal("a pull job must name its tenant".into()))?;
    let full = ctx.payload["full"].as_bool().unwrap_or(false);
    let client = match connection::open_client(&ctx.db, &deps.ring, tenant, deps.reach).await {
        Err(ConnectionError::Db(e)) => return Err(e.into()),
        Err(e) => return Err(JobError::Fatal(e.to_string())),
        Ok(Err(error)) => return Err(stop_or_retry(&ctx, tenant, &error).await),
        Ok(Ok(client)) => client,
    };
    let reconciling = ctx.kind == crate::sync::reconcile::KIND;
    let kind = if reconciling { "reconcile" } else { "pull" };
    let run = with_tenant(&ctx.db, tenant, async |tx| {
        mirror::start_run(tx, Some(ctx.id), kind).await
    })
    .await?;
    let lease = &ctx.lease;
    let db = &ctx.db;
    if reconciling {
        use crate::sync::reconcile;
        let quants_only = ctx.payload["scope"].as_str() == Some("quants");
        let outcome = if quants_only {
            reconcile::reconcile_quants(&client, db, tenant, lease)
                .await
                .map(|r| vec![r])
        } else {
            reconcile::reconcile_all(&client, db, tenant, lease).await
        };
        let (models, stop) = match outcome {
            Ok(reports) => (
                reports.iter().map(|r| (r.model.to_string(), r.to_json())).collect(),
                None,
            ),
            Err(PullError::Odoo(error)) => (serde_json::Map::new(), Some(stop_or_retry(&ctx, tenant, &error).await)),
            Err(PullError::Job(error)) => (serde_json::Map::new(), Some(error)),
            Err(PullError::Db(error)) => (serde_json::Map::new(), Some(error.into())),
        };
        return finish(&ctx, tenant, run, models, Vec::new(), stop).await;
    }
    let mut reports = Vec::new();
    let mut stop: Option<JobError> = None;
    macro_rules! step {
        ($record:ty) => {
            if stop.is_none() {
                match pull_model::<$record>(&client, db, tenant, lease, full).await {
                    Ok(report) => reports.push(report),
                    Err(PullError::Odoo(OdooError::AccessDenied { model, .. })) => reports.push(ModelReport {
                        model: <$record as OdooModel>::MODEL,
                        error: Some(format!("Odoo does not let TrueStock's user read {model}")),
                        ..ModelReport::default()
                    }),
                    Err(PullError::Odoo(error)) => stop = Some(stop_or_retry(&ctx, tenant, &error).await),
                    Err(PullError::Job(error)) => stop = Some(error),
                    Err(PullError::Db(error)) => stop = Some(error.into()),
                }
            }
        };
    }
    step!(Company);
    step!(Warehouse);
    step!(Location);
    step!(ProductTemplate);
    step!(ProductProduct);
    step!(Quant);
    let models: serde_json::Map<String, Value> = reports.iter().map(|r| (r.model.to_string(), r.to_json())).collect();
    let degraded: Vec<String> = reports.iter().filter_map(|r| r.error.clone()).collect();
    finish(&ctx, tenant, run, models, degraded, stop).await
}

/// Records how a run ended and turns it into the job's outcome.
async fn finish(
    ctx: &crate::jobs::JobContext,
    tenant: TenantId,
    run: i64,
    models: serde_json::Map<String, Value>,
    degraded: Vec<String>,
    stop: Option<JobError>,
) -> Result<(), JobError> {
    let (status, error) = match &stop {
        Some(JobError::LeaseLost) => return Err(JobError::LeaseLost),
        Some(error) => ("failed", Some(error.to_string())),
        None if !degraded.is_empty() => ("partial", None),
        None => ("succeeded", None),
    };
    with_tenant(&ctx.db, tenant, async |tx| {
        mirror::finish_run(tx, run, status, Value::Object(models), error).await
    })
    .await?;
    match stop {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

/// Bad credentials stop the tenant's sync at once (no retry storm against Odoo's login cooldown) and
/// are recorded on the connection for its admins; transient faults are retried.
async fn stop_or_retry(ctx: &crate::jobs::JobContext, tenant: TenantId, error: &OdooError) -> JobError {
    let (status, message) = crate::sync::connection::explain(error, "the tenant's Odoo");
    if *error == OdooError::BadCredentials {
        let recorded = crate::db::control::record_odoo_test(
            &ctx.db,
            tenant.as_uuid(),
            status,
            &message,
            None,
            &json!({"stopped_by": "pull"}),
        )
        .await;
        if let Err(e) = recorded {
            tracing::error!(error = %e, "could not record the refused credentials");
        }
        return JobError::Fatal(message);
    }
    if error.is_transient() {
        JobError::Retry(message)
    } else {
        JobError::Fatal(message)
    }
}
