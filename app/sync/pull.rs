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
//!
//! A page's rows carry their history entries (db::history) into the same transaction. Company-dependent
//! cost is pulled once per company, each with its own cursor ([`Scope`]). A first sync reads documents
//! back to a history horizon only ([`HORIZON_MONTHS`]): a domain clause added while the model's cursor
//! has never completed a pull. Open purchase orders, their lines and open pickings are re-read by id on
//! every run ([`reread`]), since Odoo recomputes their stored fields without moving write dates.
//!
//! A run ([`run`]) pulls the referenced models one after the other, then the rest in [`LANES`] lanes
//! side by side (one call to Odoo in flight per lane), each lane taking the next model when done.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use chrono::{DateTime, DurationRound as _, Months, TimeDelta, Utc};
use sea_orm::{DatabaseConnection, DbErr};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::db::entities::{
    odoo_product_category, odoo_product_product, odoo_product_product_cost, odoo_product_supplierinfo,
    odoo_product_template, odoo_purchase_order, odoo_purchase_order_line, odoo_res_company, odoo_res_currency,
    odoo_res_partner, odoo_res_users, odoo_stock_location, odoo_stock_move, odoo_stock_move_line, odoo_stock_picking,
    odoo_stock_picking_type, odoo_stock_quant, odoo_stock_scrap, odoo_stock_scrap_reason_tag, odoo_stock_warehouse,
    odoo_stock_warehouse_orderpoint, odoo_uom_uom,
};
use crate::db::mirror::{self, MirrorTable, PageWrite};
use crate::db::tenancy::{TenantTxn, with_tenant};
use crate::domain::tenant::TenantId;
use crate::jobs::{JobError, Lease};
use crate::odoo::records::{
    Company, Currency, Location, Move, MoveLine, OdooModel, Orderpoint, Partner, Picking, PickingType, ProductCategory,
    ProductCost, ProductProduct, ProductTemplate, PurchaseOrder, PurchaseOrderLine, Quant, Scrap, ScrapReasonTag,
    SupplierInfo, Units, Uom, User, Warehouse,
};
use crate::odoo::value::Many2One;
use crate::odoo::{Client, Domain, OdooError, Op, SearchOptions};

/// Rows per `search_read` page: large enough that each page's fixed costs (an Odoo call, a tenant
/// transaction with its lease check and cursor) stay small beside its rows, small enough that a page
/// of the widest model is a few hundred kilobytes for Odoo to send.
pub const PAGE_SIZE: usize = 2_000;
/// How far each run steps back before its cursor, for rows committed late by long Odoo transactions.
pub const LOOK_BACK: Duration = Duration::from_secs(15 * 60);

/// What a record's row depends on besides the record: the Odoo version (done quantities differ
/// between 16 and 17+), the company a company-dependent value was read for, the time of the pull, and
/// for models that convert quantities to the product's unit ([`Mirror::UNITS`]) the units.
#[derive(Debug, Clone, Copy)]
pub struct RowContext<'a> {
    pub version: u8,
    pub company_id: Option<i64>,
    pub synced_at: DateTime<Utc>,
    pub units: Option<&'a Units>,
}

/// What one pass of the pull reads: a whole model, or a model's company-dependent values as one
/// company sees them (`standard_price`: ODOO-API §5.7). Each scope has its own cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// The cursor's key, and the scope's name in the run's report.
    pub name: String,
    /// The company read for (first in `allowed_company_ids`).
    pub company: Option<i64>,
}

impl Scope {
    /// The whole model.
    pub fn model<M: OdooModel>() -> Self {
        Self {
            name: M::MODEL.to_string(),
            company: None,
        }
    }

    /// `M`'s fields as `company` sees them.
    pub fn company<M: OdooModel>(company: i64) -> Self {
        let fields: Vec<&str> = M::FIELDS.iter().map(|f| f.name).collect();
        Self {
            name: format!("{} {}, company {company}", M::MODEL, fields.join(",")),
            company: Some(company),
        }
    }
}

/// An Odoo model the pull mirrors: its record becomes a row of its mirror table.
pub trait Mirror: OdooModel + Sync {
    type Table: MirrorTable;
    /// The first Odoo version that has the model (older ones skip its step).
    const SINCE: u8 = 16;
    /// Whether rows convert quantities to the product's unit with the units the mirror holds (loaded
    /// before each pass over the model: units and products are pulled before documents).
    const UNITS: bool = false;
    fn to_row(&self, at: &RowContext<'_>) -> <Self::Table as sea_orm::EntityTrait>::Model;
    /// Odoo's id and write date: where the record puts the cursor.
    fn position(&self) -> (i64, Option<DateTime<Utc>>);
    /// For documents with a history horizon (DESIGN §5): the records a first sync pulls, given the
    /// horizon's start in Odoo's time format; `None` pulls every record.
    fn within_horizon(_from: &str) -> Option<Domain> {
        None
    }
}

/// How far back a first sync reads documents (moves, move lines, pickings, scraps, purchase orders and
/// their lines) unless the tenant's settings say otherwise (`odoo_connections.horizon_months`): older
/// ones are left in Odoo, unless still open, since reading years of them through Odoo's API takes
/// hours and the stock screens look back less far. Later changes to an older document
/// (a new write date) are pulled like any other, and a full re-pull applies the horizon again.
pub const HORIZON_MONTHS: u32 = 24;

/// Neither done nor cancelled: open documents are pulled whatever their age.
fn open(state: &str) -> Domain {
    Domain::leaf(state, Op::NotIn, json!(["done", "cancel"]))
}

/// Dated at or after `from` (Odoo's time format).
fn since(field: &str, from: &str) -> Domain {
    Domain::leaf(field, Op::Ge, from)
}

/// A purchase order within the horizon: ordered since `from`, or confirmed and not fully received.
fn purchase_within(prefix: &str, from: &str) -> Domain {
    let field = |name: &str| format!("{prefix}{name}");
    since(&field("date_order"), from).or(
        Domain::leaf(&field("state"), Op::In, json!(["purchase", "done"])).and_leaf(
            &field("receipt_status"),
            Op::Ne,
            "full",
        ),
    )
}

fn id(value: &Option<Many2One>) -> Option<i64> {
    value.as_ref().map(|m| m.id)
}

/// `impl Mirror`: the record's own columns are listed, Odoo's id and the audit columns added.
macro_rules! mirror {
    (
        $record:ty => $table:ident,
        $(since $since:literal,)?
        $(units $units:literal,)?
        $(horizon |$from:ident| $horizon:expr,)?
        |$r:ident, $at:ident| { $($column:ident : $value:expr),* $(,)? }
    ) => {
        impl Mirror for $record {
            type Table = $table::Entity;
            $(const SINCE: u8 = $since;)?
            $(const UNITS: bool = $units;)?
            $(fn within_horizon($from: &str) -> Option<Domain> {
                Some($horizon)
            })?
            #[allow(unused_variables)]
            fn to_row(&self, $at: &RowContext<'_>) -> $table::Model {
                let $r = self;
                $table::Model {
                    odoo_id: $r.id,
                    $($column: $value,)*
                    create_uid: id(&$r.audit.create_uid),
                    write_uid: id(&$r.audit.write_uid),
                    create_date: $r.audit.create_date,
                    write_date: $r.audit.write_date,
                    odoo_deleted_at: None,
                    synced_at: $at.synced_at,
                }
            }
            fn position(&self) -> (i64, Option<DateTime<Utc>>) {
                (self.id, self.audit.write_date)
            }
        }
    };
}

mirror!(Company => odoo_res_company, |r, at| {
    name: r.name.clone(),
    currency_id: id(&r.currency_id),
    active: r.active,
});

mirror!(Currency => odoo_res_currency, |r, at| {
    name: r.name.clone(),
    symbol: r.symbol.clone(),
    active: r.active,
});

mirror!(Partner => odoo_res_partner, |r, at| {
    name: r.name.clone(),
    is_company: r.is_company,
    parent_id: id(&r.parent_id),
    r#ref: r.r#ref.clone(),
    company_id: id(&r.company_id),
    supplier_rank: r.supplier_rank,
    active: r.active,
});

mirror!(User => odoo_res_users, |r, at| {
    name: r.name.clone(),
    login: r.login.clone(),
    partner_id: id(&r.partner_id),
    company_id: id(&r.company_id),
    active: r.active,
});

mirror!(Uom => odoo_uom_uom, |r, at| {
    name: r.name.clone(),
    category_id: id(&r.category_id),
    factor: r.factor,
    factor_inv: r.factor_inv,
    rounding: r.rounding,
    uom_type: r.uom_type.clone(),
    relative_factor: r.relative_factor,
    relative_uom_id: id(&r.relative_uom_id),
    active: r.active,
});

mirror!(ProductCategory => odoo_product_category, |r, at| {
    name: r.name.clone(),
    complete_name: r.complete_name.clone(),
    parent_id: id(&r.parent_id),
});

mirror!(Warehouse => odoo_stock_warehouse, |r, at| {
    name: r.name.clone(),
    code: r.code.clone(),
    company_id: id(&r.company_id),
    view_location_id: id(&r.view_location_id),
    lot_stock_id: id(&r.lot_stock_id),
    active: r.active,
});

mirror!(Location => odoo_stock_location, |r, at| {
    name: r.name.clone(),
    complete_name: r.complete_name.clone(),
    usage: r.usage.clone(),
    location_id: id(&r.location_id),
    warehouse_id: id(&r.warehouse_id),
    company_id: id(&r.company_id),
    scrap_location: r.scrap_location,
    active: r.active,
});

mirror!(PickingType => odoo_stock_picking_type, |r, at| {
    name: r.name.clone(),
    code: r.code.clone(),
    warehouse_id: id(&r.warehouse_id),
    default_location_src_id: id(&r.default_location_src_id),
    default_location_dest_id: id(&r.default_location_dest_id),
    company_id: id(&r.company_id),
    active: r.active,
});

mirror!(ProductTemplate => odoo_product_template, |r, at| {
    name: r.name.clone(),
    default_code: r.default_code.clone(),
    barcode: r.barcode.clone(),
    categ_id: id(&r.categ_id),
    uom_id: id(&r.uom_id),
    uom_po_id: id(&r.uom_po_id),
    uom_ids: r.uom_ids.clone(),
    standard_price: r.standard_price,
    list_price: r.list_price,
    is_storable: r.is_storable(),
    tracking: r.tracking.clone(),
    sale_ok: r.sale_ok,
    purchase_ok: r.purchase_ok,
    company_id: id(&r.company_id),
    active: r.active,
});

mirror!(ProductCost => odoo_product_product_cost, |r, at| {
    company_id: at.company_id.unwrap_or_default(),
    standard_price: r.standard_price,
});

mirror!(ProductProduct => odoo_product_product, |r, at| {
    product_tmpl_id: id(&r.product_tmpl_id),
    default_code: r.default_code.clone(),
    barcode: r.barcode.clone(),
    display_name: r.display_name.clone(),
    standard_price: r.standard_price,
    company_id: id(&r.company_id),
    active: r.active,
});

mirror!(SupplierInfo => odoo_product_supplierinfo, |r, at| {
    partner_id: id(&r.partner_id),
    product_tmpl_id: id(&r.product_tmpl_id),
    product_id: id(&r.product_id),
    product_code: r.product_code.clone(),
    sequence: r.sequence,
    min_qty: r.min_qty,
    price: r.price,
    currency_id: id(&r.currency_id),
    delay: r.delay,
    date_start: r.date_start,
    date_end: r.date_end,
    product_uom_id: id(&r.product_uom_id),
    company_id: id(&r.company_id),
});

mirror!(Orderpoint => odoo_stock_warehouse_orderpoint, |r, at| {
    name: r.name.clone(),
    trigger: r.trigger.clone(),
    warehouse_id: id(&r.warehouse_id),
    location_id: id(&r.location_id),
    product_id: id(&r.product_id),
    product_min_qty: r.product_min_qty,
    product_max_qty: r.product_max_qty,
    qty_multiple: r.qty_multiple,
    replenishment_uom_id: id(&r.replenishment_uom_id),
    company_id: id(&r.company_id),
    active: r.active,
});

mirror!(Quant => odoo_stock_quant, |r, at| {
    product_id: id(&r.product_id),
    location_id: id(&r.location_id),
    lot_id: id(&r.lot_id),
    package_id: id(&r.package_id),
    owner_id: id(&r.owner_id),
    company_id: id(&r.company_id),
    warehouse_id: id(&r.warehouse_id),
    quantity: r.quantity,
    reserved_quantity: r.reserved_quantity,
    in_date: r.in_date,
    inventory_quantity: r.inventory_quantity,
    inventory_quantity_set: r.inventory_quantity_set,
    inventory_date: r.inventory_date,
    user_id: id(&r.user_id),
});

mirror!(PurchaseOrder => odoo_purchase_order, horizon |from| purchase_within("", from), |r, at| {
    name: r.name.clone(),
    partner_id: id(&r.partner_id),
    origin: r.origin.clone(),
    company_id: id(&r.company_id),
    currency_id: id(&r.currency_id),
    user_id: id(&r.user_id),
    date_order: r.date_order,
    date_approve: r.date_approve,
    date_planned: r.date_planned,
    effective_date: r.effective_date,
    state: r.state.clone(),
    locked: r.locked,
    receipt_status: r.receipt_status.clone(),
    amount_total: r.amount_total,
});

mirror!(PurchaseOrderLine => odoo_purchase_order_line, horizon |from| purchase_within("order_id.", from), |r, at| {
    order_id: id(&r.order_id),
    product_id: id(&r.product_id),
    name: r.name.clone(),
    product_qty: r.product_qty,
    product_uom_qty: r.product_uom_qty,
    product_uom_id: r.uom().map(|u| u.id),
    qty_received: r.qty_received,
    qty_received_product_uom: r.qty_received_in_product_unit(),
    price_unit: r.price_unit,
    discount: r.discount,
    date_planned: r.date_planned,
    display_type: r.display_type.clone(),
    partner_id: id(&r.partner_id),
    currency_id: id(&r.currency_id),
    company_id: id(&r.company_id),
});

mirror!(
    Picking => odoo_stock_picking,
    horizon |from| since("create_date", from).or(since("date_done", from)).or(open("state")),
    |r, at| {
    name: r.name.clone(),
    origin: r.origin.clone(),
    partner_id: id(&r.partner_id),
    picking_type_id: id(&r.picking_type_id),
    picking_type_code: r.picking_type_code.clone(),
    location_id: id(&r.location_id),
    location_dest_id: id(&r.location_dest_id),
    scheduled_date: r.scheduled_date,
    date_done: r.date_done,
    state: r.state.clone(),
    return_id: id(&r.return_id),
    backorder_id: id(&r.backorder_id),
    purchase_id: id(&r.purchase_id),
    sale_id: id(&r.sale_id),
    pos_order_id: id(&r.pos_order_id),
    company_id: id(&r.company_id),
});

mirror!(Move => odoo_stock_move, horizon |from| since("date", from).or(open("state")), |r, at| {
    name: r.name.clone(),
    reference: r.reference.clone(),
    product_id: id(&r.product_id),
    product_uom: id(&r.product_uom),
    product_uom_qty: r.product_uom_qty,
    product_qty: r.product_qty,
    quantity_done: r.done_quantity_in_move_unit(at.version),
    quantity: r.quantity,
    picked: r.picked,
    quantity_done_product_uom: r.done_quantity(at.version),
    quantity_remaining_product_uom: r.remaining_quantity(at.version),
    state: r.state.clone(),
    date: r.date,
    location_id: id(&r.location_id),
    location_dest_id: id(&r.location_dest_id),
    location_final_id: id(&r.location_final_id),
    picking_id: id(&r.picking_id),
    picking_type_id: id(&r.picking_type_id),
    partner_id: id(&r.partner_id),
    origin: r.origin.clone(),
    company_id: id(&r.company_id),
    price_unit: r.price_unit,
    is_inventory: r.is_inventory,
    inventory_name: r.inventory_name.clone(),
    scrapped: r.scrapped,
    scrap_id: id(&r.scrap_id),
    is_scrap: r.is_scrap(),
    origin_returned_move_id: id(&r.origin_returned_move_id),
    purchase_line_id: id(&r.purchase_line_id),
    move_orig_ids: r.move_orig_ids.clone(),
    move_dest_ids: r.move_dest_ids.clone(),
    returned_move_ids: r.returned_move_ids.clone(),
});

mirror!(MoveLine => odoo_stock_move_line, units true, horizon |from| since("date", from).or(open("state")), |r, at| {
    move_id: id(&r.move_id),
    picking_id: id(&r.picking_id),
    product_id: id(&r.product_id),
    product_uom_id: id(&r.product_uom_id),
    lot_id: id(&r.lot_id),
    owner_id: id(&r.owner_id),
    location_id: id(&r.location_id),
    location_dest_id: id(&r.location_dest_id),
    date: r.date,
    state: r.state.clone(),
    reference: r.reference.clone(),
    is_inventory: r.is_inventory,
    quantity_done: r.done_quantity(at.version),
    qty_done: r.qty_done,
    quantity: r.quantity,
    picked: r.picked,
    quantity_product_uom: (at.version >= 17).then_some(r.quantity_product_uom),
    quantity_done_product_uom: r.done_quantity_in_product_unit(at.version, at.units),
    lot_name: r.lot_name.clone(),
    package_id: id(&r.package_id),
    result_package_id: id(&r.result_package_id),
    company_id: id(&r.company_id),
});

mirror!(ScrapReasonTag => odoo_stock_scrap_reason_tag, since 18, |r, at| {
    name: r.name.clone(),
    sequence: r.sequence,
});

mirror!(
    Scrap => odoo_stock_scrap,
    units true,
    horizon |from| since("create_date", from).or(since("date_done", from)).or(Domain::leaf("state", Op::Ne, "done")),
    |r, at| {
    name: r.name.clone(),
    product_id: id(&r.product_id),
    product_uom_id: id(&r.product_uom_id),
    lot_id: id(&r.lot_id),
    owner_id: id(&r.owner_id),
    company_id: id(&r.company_id),
    origin: r.origin.clone(),
    location_id: id(&r.location_id),
    scrap_location_id: id(&r.scrap_location_id),
    scrap_qty: r.scrap_qty,
    scrap_qty_product_uom: r.scrap_qty_in_product_unit(at.units),
    state: r.state.clone(),
    date_done: r.date_done,
    move_id: id(&r.move_id),
    move_ids: r.moves(),
    scrap_reason_tag_ids: r.scrap_reason_tag_ids.clone(),
});

/// What pulling one model did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelReport {
    pub model: String,
    pub rows_read: u64,
    pub written: PageWrite,
    pub pages: u64,
    pub seconds: f64,
    /// Of `seconds`: waiting for Odoo's pages, and writing them (the two overlap).
    pub read_seconds: f64,
    pub write_seconds: f64,
    /// Open documents re-read by id (their write date may not have moved).
    pub reread: u64,
    /// On a first sync of documents, the start of the history horizon.
    pub horizon: Option<DateTime<Utc>>,
    /// Set when the model could not be pulled (the others carry on).
    pub error: Option<String>,
}

impl ModelReport {
    pub fn to_json(&self) -> Value {
        json!({
            "rows_read": self.rows_read, "inserted": self.written.inserted, "updated": self.written.updated,
            "unchanged": self.written.unchanged, "history": self.written.history, "reread": self.reread,
            "pages": self.pages, "seconds": self.seconds, "read_seconds": self.read_seconds,
            "write_seconds": self.write_seconds, "horizon": self.horizon, "error": self.error,
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

/// `at` in Odoo's time format (what domains on datetimes compare with).
pub(crate) fn odoo_time(at: DateTime<Utc>) -> String {
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

/// The fields to read of `M` from this Odoo: its version's, and the optional ones (fields of modules a
/// tenant may lack, such as `purchase_line_id` of purchase_stock) that `fields_get` lists.
pub async fn fields_to_read<M: Mirror>(client: &Client) -> Result<Vec<&'static str>, OdooError> {
    let version = client.version().major;
    if !M::FIELDS.iter().any(|field| field.optional) {
        return Ok(M::fields(version, None));
    }
    let available: HashSet<String> = retrying(M::MODEL, || client.fields_get(M::MODEL))
        .await?
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    Ok(M::fields(version, Some(&available)))
}

/// The units `M`'s rows convert quantities with ([`Mirror::UNITS`]), as the mirror holds them now.
pub async fn units_for<M: Mirror>(db: &DatabaseConnection, tenant: TenantId) -> Result<Option<Units>, DbErr> {
    if !M::UNITS {
        return Ok(None);
    }
    with_tenant(db, tenant, async |tx| mirror::units(tx).await)
        .await
        .map(Some)
}

/// Pulls one model (in `scope`) from its cursor to now. `full` starts over from the beginning; a first
/// sync reads documents `horizon_months` back.
pub async fn pull_model<M: Mirror>(
    client: &Client,
    db: &DatabaseConnection,
    tenant: TenantId,
    lease: &Lease,
    full: bool,
    horizon_months: u32,
    scope: &Scope,
) -> Result<ModelReport, PullError> {
    let started = Instant::now();
    let mut report = ModelReport {
        model: scope.name.clone(),
        ..ModelReport::default()
    };
    let fields = fields_to_read::<M>(client).await?;
    let hash = fields_hash(&fields);
    let held = with_tenant(db, tenant, async |tx| mirror::cursor(tx, &scope.name).await).await?;
    // A pull that starts from the beginning, and every run until it has once completed, is a first
    // sync: documents older than the horizon are left out.
    let (mut bucket, mut last_id, first_sync) = match held {
        Some(cursor) if !full && cursor.fields_hash == hash => {
            let back = TimeDelta::from_std(LOOK_BACK).unwrap_or_default();
            let bucket = (cursor.bucket - back).max(DateTime::UNIX_EPOCH);
            (bucket, 0, cursor.last_success_at.is_none())
        }
        _ => (DateTime::UNIX_EPOCH, 0, true),
    };
    let horizon = if first_sync {
        Utc::now().checked_sub_months(Months::new(horizon_months))
    } else {
        None
    };
    let within = horizon.and_then(|from| M::within_horizon(&odoo_time(from)));
    if within.is_some() {
        report.horizon = horizon;
    }
    let scoped = |domain: Domain| match &within {
        Some(within) => domain.and(within.clone()),
        None => domain,
    };
    let mut options = SearchOptions::default().include_archived().limit(PAGE_SIZE);
    if let Some(company) = scope.company {
        options = options.context("allowed_company_ids", json!([company]));
    }
    let units = units_for::<M>(db, tenant).await?;
    let stamp = Stamp {
        version: client.version().major,
        company_id: scope.company,
        cursor: &scope.name,
        units: units.as_ref(),
    };
    // Reading and writing overlap: while a page commits, the next one is read (its domain depends only
    // on the rows read before it). At most one page waits in between, which bounds memory; a failed
    // write closes the channel and stops the reader, and pages read before a failed read still commit.
    let (pages, received) = tokio::sync::mpsc::channel::<ReadPage<M>>(1);
    let read = async {
        // Owned here, so that the sender is dropped (and the writer ends) when reading ends.
        let pages = pages;
        let mut read = ReadTally::default();
        let send = async |rows: Vec<M>, bucket, last_id, read: &mut ReadTally| {
            read.rows += rows.len() as u64;
            read.pages += 1;
            let page = ReadPage {
                rows,
                cursor: (bucket, last_id),
            };
            pages.send(page).await.is_ok()
        };
        loop {
            // Drain the current second by id.
            loop {
                let domain = scoped(
                    Domain::leaf("write_date", Op::Ge, odoo_time(bucket).as_str())
                        .and_leaf("write_date", Op::Lt, odoo_time(bucket + TimeDelta::seconds(1)).as_str())
                        .and_leaf("id", Op::Gt, last_id),
                );
                let started = Instant::now();
                let rows: Vec<M> = read_page(client, &domain, &fields, &options.clone().order("id asc")).await?;
                read.seconds += started.elapsed().as_secs_f64();
                let full_page = rows.len() == PAGE_SIZE;
                if let Some(last) = rows.last() {
                    last_id = last.position().0;
                }
                if !send(rows, bucket, last_id, &mut read).await {
                    return Ok(read);
                }
                if !full_page {
                    break;
                }
            }
            // Then the seconds after it, in write order.
            let later = scoped(Domain::leaf(
                "write_date",
                Op::Ge,
                odoo_time(bucket + TimeDelta::seconds(1)).as_str(),
            ));
            let started = Instant::now();
            let rows: Vec<M> = read_page(
                client,
                &later,
                &fields,
                &options.clone().order("write_date asc, id asc"),
            )
            .await?;
            read.seconds += started.elapsed().as_secs_f64();
            let Some(last) = rows.last() else { break };
            bucket = second_of(last.position().1);
            last_id = 0;
            if !send(rows, bucket, last_id, &mut read).await {
                return Ok(read);
            }
        }
        Ok::<_, PullError>(read)
    };
    let write_all = async {
        // Owned here, so that the receiver is dropped (and the reader stops) when writing fails.
        let mut received = received;
        let mut written = ModelReport::default();
        while let Some(page) = received.recv().await {
            let (bucket, last_id) = page.cursor;
            let started = Instant::now();
            write(
                db,
                tenant,
                lease,
                &stamp,
                &page.rows,
                Some((&hash, bucket, last_id)),
                &mut written,
            )
            .await?;
            written.write_seconds += started.elapsed().as_secs_f64();
        }
        Ok::<_, PullError>(written)
    };
    let (read, written) = tokio::join!(read, write_all);
    let written = written?;
    let read = read?;
    report.rows_read = read.rows;
    report.pages = read.pages;
    report.read_seconds = read.seconds;
    report.written = written.written;
    report.write_seconds = written.write_seconds;
    let now = Utc::now();
    with_tenant(db, tenant, async |tx| {
        mirror::cursor_succeeded(tx, &scope.name, now).await
    })
    .await?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Re-reads records of `M` by id, in pages, and writes what changed (with its history); the cursor
/// stays where it is. For open documents, whose stored computed fields Odoo may recompute without a
/// new write date; ids Odoo no longer has are left to reconciliation.
pub async fn reread<M: Mirror>(
    client: &Client,
    db: &DatabaseConnection,
    tenant: TenantId,
    lease: &Lease,
    ids: &[i64],
    report: &mut ModelReport,
) -> Result<(), PullError> {
    if ids.is_empty() {
        return Ok(());
    }
    let started = Instant::now();
    let fields = fields_to_read::<M>(client).await?;
    let options = SearchOptions::default().include_archived().order("id asc");
    let units = units_for::<M>(db, tenant).await?;
    let stamp = Stamp {
        version: client.version().major,
        company_id: None,
        cursor: M::MODEL,
        units: units.as_ref(),
    };
    for page in ids.chunks(PAGE_SIZE) {
        let domain = Domain::leaf("id", Op::In, json!(page));
        let rows: Vec<M> = read_page(client, &domain, &fields, &options).await?;
        write(db, tenant, lease, &stamp, &rows, None, report).await?;
        report.reread += rows.len() as u64;
    }
    report.seconds += started.elapsed().as_secs_f64();
    Ok(())
}

/// Calls Odoo, retrying a transient failure (timeout, reset, 5xx, 409, expired session) at once, a few
/// times with a short backoff, before the job's own backoff takes over.
pub(crate) async fn retrying<T, F, Fut>(model: &str, mut call: F) -> Result<T, OdooError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, OdooError>>,
{
    let mut delay = Duration::from_millis(200);
    let mut attempt = 1;
    loop {
        match call().await {
            Err(error) if error.is_transient() && attempt < 4 => {
                tracing::debug!(model, %error, attempt, "retrying a call");
                tokio::time::sleep(delay).await;
                delay *= 2;
                attempt += 1;
            }
            other => return other,
        }
    }
}

async fn read_page<M: Mirror>(
    client: &Client,
    domain: &Domain,
    fields: &[&str],
    options: &SearchOptions,
) -> Result<Vec<M>, OdooError> {
    retrying(M::MODEL, || client.search_read(M::MODEL, domain, fields, options)).await
}

/// A page read from Odoo, with the cursor it moves to once written.
struct ReadPage<M> {
    rows: Vec<M>,
    cursor: (DateTime<Utc>, i64),
}

/// What the reading side of a model's pull did.
#[derive(Default)]
struct ReadTally {
    rows: u64,
    pages: u64,
    seconds: f64,
}

/// What stamps a pass's rows: the Odoo version, the company read for, the cursor's key, the units.
struct Stamp<'a> {
    version: u8,
    company_id: Option<i64>,
    cursor: &'a str,
    units: Option<&'a Units>,
}

/// Writes a page (with its history entries) and, when given `(fields hash, bucket, last id)`, moves
/// the cursor, in one transaction fenced by the lease.
async fn write<M: Mirror>(
    db: &DatabaseConnection,
    tenant: TenantId,
    lease: &Lease,
    stamp: &Stamp<'_>,
    rows: &[M],
    cursor: Option<(&str, DateTime<Utc>, i64)>,
    report: &mut ModelReport,
) -> Result<(), PullError> {
    let at = RowContext {
        version: stamp.version,
        company_id: stamp.company_id,
        synced_at: Utc::now(),
        units: stamp.units,
    };
    let pulled: Vec<_> = rows.iter().map(|r| r.to_row(&at)).collect();
    let count = rows.len() as i64;
    let written = with_tenant(db, tenant, async |tx: &TenantTxn| {
        lease.fence(tx).await?;
        let written = mirror::write_page::<M::Table>(tx, pulled).await?;
        if let Some((hash, bucket, last_id)) = cursor {
            mirror::advance_cursor(tx, stamp.cursor, hash, bucket, last_id, count).await?;
        }
        Ok::<_, PullError>(written)
    })
    .await?;
    report.written.inserted += written.inserted;
    report.written.updated += written.updated;
    report.written.unchanged += written.unchanged;
    report.written.history += written.history;
    Ok(())
}

/// The Odoo models a pull reads, in its order (for progress estimates; costs per company come with
/// the variants).
pub const PULLED_MODELS: [&str; 20] = [
    Currency::MODEL,
    Company::MODEL,
    Partner::MODEL,
    User::MODEL,
    Uom::MODEL,
    ProductCategory::MODEL,
    Warehouse::MODEL,
    Location::MODEL,
    PickingType::MODEL,
    ProductTemplate::MODEL,
    ProductProduct::MODEL,
    SupplierInfo::MODEL,
    Orderpoint::MODEL,
    Quant::MODEL,
    PurchaseOrder::MODEL,
    PurchaseOrderLine::MODEL,
    Picking::MODEL,
    Scrap::MODEL,
    Move::MODEL,
    MoveLine::MODEL,
];

/// The job kind of a tenant's pull.
pub const KIND: &str = "sync.pull";
/// A tenant's pull: at most one queued or running at a time, however it was asked for (schedule,
/// "sync now", webhook, CLI).
pub fn job(tenant: TenantId) -> crate::jobs::NewJob {
    crate::jobs::NewJob::new(crate::jobs::Queue::Pull, KIND)
        .for_tenant(tenant)
        .unique("pull")
}

/// How often each connected tenant is pulled unless its settings say otherwise
/// (`odoo_connections.pull_every_minutes`).
pub const EVERY: Duration = Duration::from_secs(5 * 60);

/// What sync jobs need from the process: the vault's keys and the address rules.
pub struct SyncDeps {
    pub ring: crate::auth::vault::KeyRing,
    pub reach: crate::odoo::Reach,
}

/// A tenant's pull (or reconciliation) as a job: every mirrored model, the referenced ones first and
/// the rest in [`LANES`] lanes; a model Odoo denies access to is skipped and reported (the others
/// carry on); bad credentials stop the tenant's sync at once.
pub async fn run(ctx: crate::jobs::JobContext, deps: std::sync::Arc<SyncDeps>) -> Result<(), JobError> {
    use crate::sync::connection::{self, ConnectionError};
    let tenant = ctx
        .tenant
        .ok_or_else(|| JobError::Fatal("a pull job must name its tenant".into()))?;
    let full = ctx.payload["full"].as_bool().unwrap_or(false);
    let reconciling = ctx.kind == crate::sync::reconcile::KIND;
    let kind = if reconciling { "reconcile" } else { "pull" };
    // The tenant's horizon, read once per run.
    let horizon_months = crate::db::control::find_odoo_connection(&ctx.db, tenant.as_uuid())
        .await?
        .map_or(HORIZON_MONTHS, |row| connection::SyncSettings::of(&row).horizon_months);
    // The run is recorded before Odoo is reached, so that an Odoo that does not answer shows as a
    // failed run (and, repeated, as an alert) like any other failure.
    let run = with_tenant(&ctx.db, tenant, async |tx| {
        mirror::start_run(tx, Some(ctx.id), kind).await
    })
    .await?;
    let client = match connection::open_client(&ctx.db, &deps.ring, tenant, deps.reach).await {
        Err(e) => {
            let stop = match e {
                ConnectionError::Db(e) => e.into(),
                e => JobError::Fatal(e.to_string()),
            };
            return finish(&ctx, tenant, run, serde_json::Map::new(), Vec::new(), Some(stop)).await;
        }
        Ok(Err(error)) => {
            let stop = stop_or_retry(&ctx, tenant, &error).await;
            return finish(&ctx, tenant, run, serde_json::Map::new(), Vec::new(), Some(stop)).await;
        }
        Ok(Ok(client)) => client,
    };
    let lease = &ctx.lease;
    let db = &ctx.db;
    let pass = Pass {
        ctx: &ctx,
        client: &client,
        tenant,
        full,
        horizon_months,
    };
    if reconciling {
        use crate::sync::reconcile;
        let quants_only = ctx.payload["scope"].as_str() == Some("quants");
        let outcome = if quants_only {
            reconcile::reconcile_quants(&client, db, tenant, lease)
                .await
                .map(|r| vec![r])
        } else {
            reconcile::reconcile_all(&client, db, tenant, lease, horizon_months).await
        };
        let (models, stop) = match outcome {
            Ok(reports) => (
                reports.iter().map(|r| (r.model.to_string(), r.to_json())).collect(),
                None,
            ),
            Err(error) => (serde_json::Map::new(), Some(pass.stop(error).await)),
        };
        return finish(&ctx, tenant, run, models, Vec::new(), stop).await;
    }
    // Referenced models first, in order: the documents' rows convert quantities with the units and
    // products, and cost is pulled per company the mirror holds.
    let mut masters = Lane::default();
    pass.step::<Currency>(&mut masters).await;
    pass.step::<Company>(&mut masters).await;
    pass.step::<Partner>(&mut masters).await;
    pass.step::<User>(&mut masters).await;
    pass.step::<Uom>(&mut masters).await;
    pass.step::<ProductCategory>(&mut masters).await;
    pass.step::<Warehouse>(&mut masters).await;
    pass.step::<Location>(&mut masters).await;
    pass.step::<PickingType>(&mut masters).await;
    pass.step::<ProductTemplate>(&mut masters).await;
    pass.step::<ProductProduct>(&mut masters).await;
    let mut lanes = vec![masters];
    if lanes[0].stop.is_none() {
        match with_tenant(db, tenant, async |tx| {
            let companies = mirror::active_company_ids(tx).await?;
            // Open documents as the mirror holds them before this run's pull: re-read after it,
            // whether or not their write date moved (the lines of an order received in full
            // meanwhile included).
            let open = mirror::open_documents(tx).await?;
            Ok::<_, DbErr>((companies, open))
        })
        .await
        {
            Ok((companies, open)) => {
                // Then the rest, the larger models first so that the lanes end together.
                let mut work = vec![Work::Moves, Work::MoveLines, Work::Quants, Work::Orderpoints];
                work.push(Work::Purchases(open));
                work.push(Work::SupplierInfo);
                work.extend(companies.into_iter().map(Work::Costs));
                work.push(Work::Scraps);
                lanes.extend(pass.in_lanes(work).await);
            }
            Err(error) => lanes[0].stop = Some(error.into()),
        }
    }
    let reports: Vec<&ModelReport> = lanes.iter().flat_map(|lane| &lane.reports).collect();
    let models: serde_json::Map<String, Value> = reports.iter().map(|r| (r.model.to_string(), r.to_json())).collect();
    let degraded: Vec<String> = reports.iter().filter_map(|r| r.error.clone()).collect();
    // The first reason to stop wins; a lost lease over any other.
    let mut stops = lanes.into_iter().filter_map(|lane| lane.stop).collect::<Vec<_>>();
    let stop = match stops.iter().position(|e| matches!(e, JobError::LeaseLost)) {
        Some(lost) => Some(stops.swap_remove(lost)),
        None => stops.into_iter().next(),
    };
    finish(&ctx, tenant, run, models, degraded, stop).await
}

/// Failed runs in a row (pulls or reconciliations, retries included) after which the tenant's admins
/// get a `sync_failing` alert: one failure is usually a blip that the job's retry absorbs.
pub const FAILURES_BEFORE_ALERT: u64 = 3;

/// How many models a pull reads at once, after the referenced ones: each lane has one call to Odoo
/// and one page being written at a time (their transactions share the job's fence), and takes the
/// next model when it is done with one.
pub const LANES: u32 = 3;

/// What a pull does after the referenced models, in parts that may run side by side.
enum Work {
    /// Cost as one company sees it.
    Costs(i64),
    SupplierInfo,
    Orderpoints,
    Quants,
    /// Purchase orders, their lines and pickings, then the documents that were open re-read.
    Purchases(mirror::OpenDocuments),
    Scraps,
    Moves,
    MoveLines,
}

/// Models pulled one after the other: a lane stops at its first fault, and its reports so far stand.
#[derive(Default)]
struct Lane {
    reports: Vec<ModelReport>,
    stop: Option<JobError>,
}

/// What every step of one run of a tenant's pull shares.
struct Pass<'a> {
    ctx: &'a crate::jobs::JobContext,
    client: &'a Client,
    tenant: TenantId,
    full: bool,
    horizon_months: u32,
}

impl Pass<'_> {
    /// Pulls the whole of `M`, unless the lane has stopped or this Odoo has no such model.
    async fn step<M: Mirror>(&self, lane: &mut Lane) {
        self.step_in::<M>(lane, Scope::model::<M>()).await
    }

    /// Pulls `M` in `scope`: a model Odoo denies access to is reported and skipped (the others carry
    /// on); any other fault stops the lane.
    async fn step_in<M: Mirror>(&self, lane: &mut Lane, scope: Scope) {
        if lane.stop.is_some() || self.client.version().major < M::SINCE {
            return;
        }
        let (db, lease) = (&self.ctx.db, &self.ctx.lease);
        match pull_model::<M>(
            self.client,
            db,
            self.tenant,
            lease,
            self.full,
            self.horizon_months,
            &scope,
        )
        .await
        {
            Ok(report) => lane.reports.push(report),
            Err(PullError::Odoo(OdooError::AccessDenied { model, .. })) => lane.reports.push(ModelReport {
                model: scope.name,
                error: Some(denied(&model)),
                ..ModelReport::default()
            }),
            Err(error) => lane.stop = Some(self.stop(error).await),
        }
    }

    /// Re-reads `ids` of `M` into its report, unless the model's own step stopped or was refused.
    async fn reread<M: Mirror>(&self, lane: &mut Lane, ids: &[i64]) {
        let Some(report) = lane
            .reports
            .iter_mut()
            .find(|r| r.model == M::MODEL && r.error.is_none())
        else {
            return;
        };
        if lane.stop.is_some() {
            return;
        }
        let (db, lease) = (&self.ctx.db, &self.ctx.lease);
        match reread::<M>(self.client, db, self.tenant, lease, ids, report).await {
            Ok(()) => {}
            Err(PullError::Odoo(OdooError::AccessDenied { model, .. })) => report.error = Some(denied(&model)),
            Err(error) => lane.stop = Some(self.stop(error).await),
        }
    }

    /// Does `work` in [`LANES`] lanes side by side (DESIGN §5: 2–4 calls per tenant), each taking the
    /// next part when done with one. A lane that stops stops the others at their next part: bad
    /// credentials stop the tenant's sync at once, and a lost lease or a database fault ends the run.
    async fn in_lanes(&self, work: Vec<Work>) -> Vec<Lane> {
        use std::sync::atomic::{AtomicBool, Ordering};
        let queue = std::sync::Mutex::new(std::collections::VecDeque::from(work));
        let halted = AtomicBool::new(false);
        let lane = async || {
            let mut lane = Lane::default();
            while !halted.load(Ordering::Relaxed) {
                let next = queue.lock().map(|mut q| q.pop_front()).unwrap_or(None);
                let Some(work) = next else { break };
                self.work(&mut lane, work).await;
                if lane.stop.is_some() {
                    halted.store(true, Ordering::Relaxed);
                }
            }
            lane
        };
        futures_util::future::join_all((0..LANES).map(|_| lane())).await
    }

    async fn work(&self, lane: &mut Lane, work: Work) {
        match work {
            Work::Costs(company) => {
                self.step_in::<ProductCost>(lane, Scope::company::<ProductCost>(company))
                    .await
            }
            Work::SupplierInfo => self.step::<SupplierInfo>(lane).await,
            Work::Orderpoints => self.step::<Orderpoint>(lane).await,
            Work::Quants => self.step::<Quant>(lane).await,
            Work::Purchases(open) => {
                self.step::<PurchaseOrder>(lane).await;
                self.step::<PurchaseOrderLine>(lane).await;
                self.step::<Picking>(lane).await;
                self.reread::<PurchaseOrder>(lane, &open.purchase_orders).await;
                self.reread::<PurchaseOrderLine>(lane, &open.purchase_order_lines).await;
                self.reread::<Picking>(lane, &open.pickings).await;
            }
            Work::Scraps => {
                self.step::<ScrapReasonTag>(lane).await;
                self.step::<Scrap>(lane).await;
            }
            Work::Moves => self.step::<Move>(lane).await,
            Work::MoveLines => self.step::<MoveLine>(lane).await,
        }
    }

    async fn stop(&self, error: PullError) -> JobError {
        match error {
            PullError::Odoo(error) => stop_or_retry(self.ctx, self.tenant, &error).await,
            PullError::Job(error) => error,
            PullError::Db(error) => error.into(),
        }
    }
}

fn denied(model: &str) -> String {
    format!("Odoo does not let TrueStock's user read {model}")
}

/// Records how a run ended and turns it into the job's outcome; opens or resolves the alerts a run's
/// outcome decides.
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
        use crate::db::alerts::{self, AlertKind};
        mirror::finish_run(tx, run, status, Value::Object(models.clone()), error.clone()).await?;
        // What the run wrote (a failed run may have written pages) reaches the stock figures.
        if status != "failed" || !models.is_empty() {
            crate::jobs::enqueue(tx, &crate::sync::positions::job(tenant)).await?;
        }
        if status != "failed" {
            // Odoo took the credentials and the run got through: whatever stopped syncs before is over.
            alerts::resolve(tx, AlertKind::CredentialInvalid).await?;
            alerts::resolve(tx, AlertKind::SyncFailing).await?;
        } else if mirror::failures_in_a_row(tx, FAILURES_BEFORE_ALERT).await? >= FAILURES_BEFORE_ALERT
            && !alerts::is_open(tx, AlertKind::CredentialInvalid).await?
        {
            // Refused credentials have their own alert; anything else that keeps failing gets this one.
            let message = format!(
                "The last {FAILURES_BEFORE_ALERT} attempts to sync with Odoo failed, so stock figures are \
                 getting older. The latest error: {}",
                error.as_deref().unwrap_or("unknown")
            );
            alerts::record(tx, AlertKind::SyncFailing, &message, json!({ "run": run })).await?;
        }
        // Alert rules on syncs failing and refused keys see the run's outcome.
        crate::email::alerts::evaluate_soon(tx).await?;
        Ok::<_, DbErr>(())
    })
    .await?;
    match stop {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

/// Bad credentials stop the tenant's sync at once (no retry storm against Odoo's login cooldown) and
/// are recorded on the connection, with an alert for its admins; transient faults are retried.
async fn stop_or_retry(ctx: &crate::jobs::JobContext, tenant: TenantId, error: &OdooError) -> JobError {
    let (_, message) = crate::sync::connection::explain(error, "the tenant's Odoo");
    if *error == OdooError::BadCredentials {
        let recorded = crate::sync::connection::refused_credentials(&ctx.db, tenant, &message, "pull").await;
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
