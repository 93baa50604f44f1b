//! Tenant query module of the Odoo mirror: a page of pulled rows is compared with what the mirror holds
//! and only new or changed rows are written (a second pull of unchanged data writes nothing), together
//! with the entries of the table's append-only history ([`History`]; what each keeps is in
//! `db::history`), and the pull's cursors and run records. Every function takes the tenant's transaction.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait as _, OnConflict, PgFunc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait as _, DbErr, EntityTrait, IdenStatic as _,
    Iterable, QueryFilter,
};

use super::entities::{
    odoo_product_category, odoo_product_product, odoo_product_product_cost, odoo_product_product_cost_history,
    odoo_product_product_history, odoo_product_supplierinfo, odoo_product_supplierinfo_history, odoo_product_template,
    odoo_product_template_history, odoo_purchase_order, odoo_purchase_order_line, odoo_purchase_order_line_history,
    odoo_res_company, odoo_res_currency, odoo_res_partner, odoo_res_users, odoo_stock_location, odoo_stock_move,
    odoo_stock_move_line, odoo_stock_picking, odoo_stock_picking_type, odoo_stock_quant, odoo_stock_quant_history,
    odoo_stock_scrap, odoo_stock_scrap_reason_tag, odoo_stock_warehouse, odoo_stock_warehouse_orderpoint,
    odoo_stock_warehouse_orderpoint_history, odoo_uom_uom, sync_cursor, sync_run,
};
use super::tenancy::TenantTxn;
use crate::odoo::records::{Units, Uom};
use crate::odoo::value::Many2One;

/// A mirror table: keyed by Odoo's id (and, for values Odoo keeps per company, the company), stamped
/// with the time of its last change.
pub trait MirrorTable: EntityTrait<Model: serde::Serialize> {
    fn odoo_id_column() -> Self::Column;
    fn deleted_column() -> Self::Column;
    fn odoo_id(row: &Self::Model) -> i64;
    /// The row's key: Odoo's id, and the company for per-company values (0 otherwise).
    fn key(row: &Self::Model) -> (i64, i64);
    /// The primary key's columns: what an upsert conflicts on.
    fn key_columns() -> Vec<Self::Column>;
    /// Whether Odoo no longer has the row (kept, marked, for the records that refer to it).
    fn is_deleted(row: &Self::Model) -> bool;
    /// Whether two rows hold the same Odoo data (the sync stamp aside).
    fn same_data(held: &Self::Model, pulled: &Self::Model) -> bool;
    /// Appends the entries of the table's history (if it keeps one) for rows about to be written;
    /// returns how many. Runs in the page's transaction.
    fn append_history<'a>(
        tx: &'a TenantTxn,
        changes: &'a [Change<Self>],
    ) -> impl Future<Output = Result<u64, DbErr>> + Send + 'a;
}

/// A pulled row about to be written, and the mirror's row it replaces (`None`: first seen).
#[derive(Debug, Clone)]
pub struct Change<E: EntityTrait> {
    pub old: Option<E::Model>,
    pub new: E::Model,
}

/// An append-only history of a mirror table (DESIGN §5: what Odoo overwrites is kept): each pulled row
/// that is new, or differs from the mirror's previous row in what the history keeps, adds an entry.
pub trait History: EntityTrait<Model: serde::Serialize> {
    type Of: MirrorTable;
    /// The entry recording `new`, or `None` when nothing this history keeps changed since `old`. Its
    /// `id` is [`ASSIGNED_ON_INSERT`].
    fn entry(
        old: Option<&<Self::Of as EntityTrait>::Model>,
        new: &<Self::Of as EntityTrait>::Model,
    ) -> Option<Self::Model>;
}

/// The `id` of a history entry before it is written: the column is left out of the insert and
/// PostgreSQL's sequence assigns it.
pub const ASSIGNED_ON_INSERT: i64 = 0;

/// Inserts `rows` into `E`'s table in one statement, writing `columns` (the others take their
/// defaults); with `upsert_on`, a row whose key is already there updates its other written columns.
///
/// The rows travel as one JSON array that PostgreSQL expands into the table's row type
/// (`json_populate_recordset(NULL::table, $1)`), rather than as a multi-row VALUES list with a bind
/// parameter per value: a page of thousands of rows is then one small statement to build, send, parse
/// and plan, and PostgreSQL's protocol limit of 65,535 parameters never applies. `json` rather than
/// `jsonb`: it is read once, where `jsonb` would first be built (keys sorted) — a third faster here.
/// (Typed arrays through `unnest` would be faster still, but sea-query binds arrays without NULL
/// elements.) The statement is built with sea-query like every other, from the entity's own table and
/// column names.
async fn insert_rows<E: EntityTrait<Model: serde::Serialize>>(
    tx: &TenantTxn,
    rows: &[E::Model],
    columns: &[E::Column],
    upsert_on: Option<&[E::Column]>,
) -> Result<(), DbErr> {
    use sea_orm::sea_query::{Alias, Func, Query};
    if rows.is_empty() {
        return Ok(());
    }
    let json = serde_json::to_string(rows).map_err(|e| DbErr::Custom(format!("rows as JSON: {e}")))?;
    let page = Alias::new("page");
    let table = E::default();
    let expand = Func::cust(Alias::new("json_populate_recordset"))
        .arg(Expr::null().cast_as(Alias::new(table.table_name())))
        .arg(Expr::val(json).cast_as(Alias::new("json")));
    let mut select = Query::select();
    select
        .columns(columns.iter().map(|column| (page.clone(), *column)))
        .from_function(expand, page.clone());
    let mut insert = Query::insert();
    insert
        .into_table(table)
        .columns(columns.iter().copied())
        .select_from(select)
        .map_err(|e| DbErr::Custom(format!("insert from a page: {e}")))?;
    if let Some(keys) = upsert_on {
        let others = columns
            .iter()
            .filter(|c| !keys.iter().any(|k| k.as_str() == c.as_str()))
            .copied();
        insert.on_conflict(
            OnConflict::columns(keys.iter().copied())
                .update_columns(others)
                .to_owned(),
        );
    }
    tx.execute(&insert).await?;
    Ok(())
}

/// Appends history `H`'s entries for `changes`; returns how many.
pub async fn append<H: History>(tx: &TenantTxn, changes: &[Change<H::Of>]) -> Result<u64, DbErr> {
    let entries: Vec<H::Model> = changes
        .iter()
        .filter_map(|change| H::entry(change.old.as_ref(), &change.new))
        .collect();
    let columns: Vec<H::Column> = H::Column::iter().filter(|c| c.as_str() != "id").collect();
    insert_rows::<H>(tx, &entries, &columns, None).await?;
    Ok(entries.len() as u64)
}

macro_rules! mirror_table {
    ($($module:ident $(=> $history:ident)?),* $(,)?) => {$(
        impl MirrorTable for $module::Entity {
            fn odoo_id_column() -> Self::Column {
                $module::Column::OdooId
            }
            fn deleted_column() -> Self::Column {
                $module::Column::OdooDeletedAt
            }
            fn odoo_id(row: &Self::Model) -> i64 {
                row.odoo_id
            }
            fn key(row: &Self::Model) -> (i64, i64) {
                (row.odoo_id, 0)
            }
            fn key_columns() -> Vec<Self::Column> {
                vec![$module::Column::OdooId]
            }
            fn is_deleted(row: &Self::Model) -> bool {
                row.odoo_deleted_at.is_some()
            }
            fn same_data(held: &Self::Model, pulled: &Self::Model) -> bool {
                let mut held = held.clone();
                held.synced_at = pulled.synced_at;
                held == *pulled
            }
            #[allow(unused_variables, unused_mut)]
            fn append_history<'a>(
                tx: &'a TenantTxn,
                changes: &'a [Change<Self>],
            ) -> impl Future<Output = Result<u64, DbErr>> + Send + 'a {
                async move {
                    let mut appended = 0;
                    $(appended += append::<$history::Entity>(tx, changes).await?;)?
                    Ok(appended)
                }
            }
        }
    )*};
}

mirror_table!(
    odoo_res_company,
    odoo_res_currency,
    odoo_res_partner,
    odoo_res_users,
    odoo_uom_uom,
    odoo_product_category,
    odoo_stock_warehouse,
    odoo_stock_location,
    odoo_stock_picking_type,
    odoo_product_template => odoo_product_template_history,
    odoo_product_product => odoo_product_product_history,
    odoo_product_supplierinfo => odoo_product_supplierinfo_history,
    odoo_stock_warehouse_orderpoint => odoo_stock_warehouse_orderpoint_history,
    odoo_stock_quant => odoo_stock_quant_history,
    odoo_purchase_order,
    odoo_purchase_order_line => odoo_purchase_order_line_history,
    odoo_stock_picking,
    odoo_stock_scrap_reason_tag,
    odoo_stock_scrap,
    odoo_stock_move,
    odoo_stock_move_line,
);

/// Product cost per company: keyed by product and company.
impl MirrorTable for odoo_product_product_cost::Entity {
    fn odoo_id_column() -> Self::Column {
        odoo_product_product_cost::Column::OdooId
    }
    fn deleted_column() -> Self::Column {
        odoo_product_product_cost::Column::OdooDeletedAt
    }
    fn odoo_id(row: &Self::Model) -> i64 {
        row.odoo_id
    }
    fn key(row: &Self::Model) -> (i64, i64) {
        (row.odoo_id, row.company_id)
    }
    fn key_columns() -> Vec<Self::Column> {
        vec![
            odoo_product_product_cost::Column::OdooId,
            odoo_product_product_cost::Column::CompanyId,
        ]
    }
    fn is_deleted(row: &Self::Model) -> bool {
        row.odoo_deleted_at.is_some()
    }
    fn same_data(held: &Self::Model, pulled: &Self::Model) -> bool {
        let mut held = held.clone();
        held.synced_at = pulled.synced_at;
        held == *pulled
    }
    fn append_history<'a>(
        tx: &'a TenantTxn,
        changes: &'a [Change<Self>],
    ) -> impl Future<Output = Result<u64, DbErr>> + Send + 'a {
        append::<odoo_product_product_cost_history::Entity>(tx, changes)
    }
}

/// What writing a page did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageWrite {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// History entries appended.
    pub history: u64,
}

/// Writes the new and changed rows of a pulled page (the rest is left untouched), and the entries of
/// the table's history for them, in the caller's transaction.
pub async fn write_page<E: MirrorTable>(tx: &TenantTxn, rows: Vec<E::Model>) -> Result<PageWrite, DbErr> {
    let mut outcome = PageWrite::default();
    if rows.is_empty() {
        return Ok(outcome);
    }
    let ids: Vec<i64> = rows.iter().map(E::odoo_id).collect();
    let mut held: std::collections::HashMap<(i64, i64), E::Model> = E::find()
        .filter(Expr::col(E::odoo_id_column()).eq(PgFunc::any(ids)))
        .all(tx)
        .await?
        .into_iter()
        .map(|row| (E::key(&row), row))
        .collect();
    let mut changes = Vec::new();
    for row in rows {
        match held.remove(&E::key(&row)) {
            Some(old) if E::same_data(&old, &row) => outcome.unchanged += 1,
            Some(old) => {
                outcome.updated += 1;
                changes.push(Change {
                    old: Some(old),
                    new: row,
                });
            }
            None => {
                outcome.inserted += 1;
                changes.push(Change { old: None, new: row });
            }
        }
    }
    if changes.is_empty() {
        return Ok(outcome);
    }
    outcome.history = E::append_history(tx, &changes).await?;
    // New rows are plain inserts, cheaper than upserts for PostgreSQL: a tenant's pull jobs run one
    // at a time and a pull's lanes write different rows (different tables, or costs of different
    // companies), so nothing else inserts them meanwhile (were it to happen, the page's transaction
    // fails on the key and the job's retry re-reads).
    let (changed, new): (Vec<_>, Vec<_>) = changes.into_iter().partition(|c| c.old.is_some());
    let columns: Vec<E::Column> = E::Column::iter().collect();
    let new: Vec<E::Model> = new.into_iter().map(|c| c.new).collect();
    insert_rows::<E>(tx, &new, &columns, None).await?;
    let changed: Vec<E::Model> = changed.into_iter().map(|c| c.new).collect();
    insert_rows::<E>(tx, &changed, &columns, Some(&E::key_columns())).await?;
    Ok(outcome)
}

/// Where the pull of `model` stands.
pub async fn cursor(tx: &TenantTxn, model: &str) -> Result<Option<sync_cursor::Model>, DbErr> {
    sync_cursor::Entity::find_by_id(model.to_string()).one(tx).await
}

/// Moves the cursor of `model` (in the page's transaction).
pub async fn advance_cursor(
    tx: &TenantTxn,
    model: &str,
    fields_hash: &str,
    bucket: DateTime<Utc>,
    last_id: i64,
    rows: i64,
) -> Result<(), DbErr> {
    let now = Utc::now();
    let row = sync_cursor::ActiveModel {
        model: Set(model.to_string()),
        fields_hash: Set(fields_hash.to_string()),
        bucket: Set(bucket),
        last_id: Set(last_id),
        rows_synced: Set(rows),
        last_success_at: Set(None),
        updated_at: Set(now),
    };
    sync_cursor::Entity::insert(row)
        .on_conflict(
            OnConflict::column(sync_cursor::Column::Model)
                .update_columns([
                    sync_cursor::Column::FieldsHash,
                    sync_cursor::Column::Bucket,
                    sync_cursor::Column::LastId,
                    sync_cursor::Column::UpdatedAt,
                ])
                .value(
                    sync_cursor::Column::RowsSynced,
                    sea_orm::sea_query::Expr::col((sync_cursor::Entity, sync_cursor::Column::RowsSynced)).add(rows),
                )
                .to_owned(),
        )
        .exec_without_returning(tx)
        .await
        .map(|_| ())
}

/// Marks the pull of `model` complete up to now.
pub async fn cursor_succeeded(tx: &TenantTxn, model: &str, at: DateTime<Utc>) -> Result<(), DbErr> {
    sync_cursor::Entity::update_many()
        .col_expr(sync_cursor::Column::LastSuccessAt, sea_orm::sea_query::Expr::value(at))
        .filter(sync_cursor::Column::Model.eq(model))
        .exec(tx)
        .await
        .map(|_| ())
}

/// Starts a run record.
pub async fn start_run(tx: &TenantTxn, job_id: Option<i64>, kind: &str) -> Result<i64, DbErr> {
    let run = sync_run::ActiveModel {
        job_id: Set(job_id),
        kind: Set(kind.to_string()),
        status: Set("running".into()),
        started_at: Set(Utc::now()),
        models: Set(serde_json::json!({})),
        ..Default::default()
    };
    Ok(sync_run::Entity::insert(run).exec(tx).await?.last_insert_id)
}

/// Finishes a run record with its per-model report.
pub async fn finish_run(
    tx: &TenantTxn,
    run: i64,
    status: &str,
    models: serde_json::Value,
    error: Option<String>,
) -> Result<(), DbErr> {
    let row = sync_run::ActiveModel {
        id: Set(run),
        status: Set(status.to_string()),
        finished_at: Set(Some(Utc::now())),
        models: Set(models),
        error: Set(error),
        ..Default::default()
    };
    row.update(tx).await.map(|_| ())
}

/// The latest runs, newest first.
pub async fn recent_runs(tx: &TenantTxn, limit: u64) -> Result<Vec<sync_run::Model>, DbErr> {
    use sea_orm::{QueryOrder, QuerySelect};
    sync_run::Entity::find()
        .order_by_desc(sync_run::Column::Id)
        .limit(limit)
        .all(tx)
        .await
}

/// How many of the latest finished runs failed in a row (looking at most `limit` back).
pub async fn failures_in_a_row(tx: &TenantTxn, limit: u64) -> Result<u64, DbErr> {
    use sea_orm::{QueryOrder, QuerySelect};
    let statuses: Vec<String> = sync_run::Entity::find()
        .select_only()
        .column(sync_run::Column::Status)
        .filter(sync_run::Column::FinishedAt.is_not_null())
        .order_by_desc(sync_run::Column::Id)
        .limit(limit)
        .into_tuple()
        .all(tx)
        .await?;
    Ok(statuses.iter().take_while(|status| *status == "failed").count() as u64)
}

/// The ids the mirror holds (not marked deleted) in `[from, to)`.
pub async fn ids_in_window<E: MirrorTable>(tx: &TenantTxn, from: i64, to: i64) -> Result<Vec<i64>, DbErr> {
    use sea_orm::QuerySelect;
    E::find()
        .select_only()
        .column(E::odoo_id_column())
        .filter(E::odoo_id_column().gte(from))
        .filter(E::odoo_id_column().lt(to))
        .filter(E::deleted_column().is_null())
        .into_tuple::<i64>()
        .all(tx)
        .await
}

/// The highest Odoo id the mirror holds.
pub async fn max_id<E: MirrorTable>(tx: &TenantTxn) -> Result<i64, DbErr> {
    use sea_orm::QuerySelect;
    use sea_orm::sea_query::Func;
    let max: Option<Option<i64>> = E::find()
        .select_only()
        .expr(Func::max(sea_orm::sea_query::Expr::col(E::odoo_id_column())))
        .into_tuple::<Option<i64>>()
        .one(tx)
        .await?;
    Ok(max.flatten().unwrap_or(0))
}

/// Marks rows Odoo no longer has; returns how many were newly marked.
pub async fn mark_deleted<E: MirrorTable>(tx: &TenantTxn, ids: &[i64], at: DateTime<Utc>) -> Result<u64, DbErr> {
    if ids.is_empty() {
        return Ok(0);
    }
    let done = E::update_many()
        .col_expr(E::deleted_column(), sea_orm::sea_query::Expr::value(at))
        .filter(E::odoo_id_column().is_in(ids.to_vec()))
        .filter(E::deleted_column().is_null())
        .exec(tx)
        .await?;
    Ok(done.rows_affected)
}

/// The reconciliation checksum of the mirror's quants in `[from, to)`: how many, and the sums of
/// quantity, reserved and counted quantity (rows marked deleted left out).
pub async fn quant_window_sums(tx: &TenantTxn, from: i64, to: i64) -> Result<(i64, [f64; 3]), DbErr> {
    use sea_orm::QuerySelect;
    use sea_orm::sea_query::{Expr, Func};
    let sum = |column| Func::coalesce([Func::sum(Expr::col(column)).into(), Expr::val(0.0_f64)]);
    let row: Option<(i64, f64, f64, f64)> = odoo_stock_quant::Entity::find()
        .select_only()
        .expr(Func::count(Expr::col(odoo_stock_quant::Column::OdooId)))
        .expr(sum(odoo_stock_quant::Column::Quantity))
        .expr(sum(odoo_stock_quant::Column::ReservedQuantity))
        .expr(sum(odoo_stock_quant::Column::InventoryQuantity))
        .filter(odoo_stock_quant::Column::OdooId.gte(from))
        .filter(odoo_stock_quant::Column::OdooId.lt(to))
        .filter(odoo_stock_quant::Column::OdooDeletedAt.is_null())
        .into_tuple()
        .one(tx)
        .await?;
    let (count, quantity, reserved, counted) = row.unwrap_or_default();
    Ok((count, [quantity, reserved, counted]))
}

/// What [`reset`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reset {
    pub mirrored_rows: u64,
    pub history_rows: u64,
    pub cursors: u64,
}

/// Empties the tenant's mirror when it switches to another Odoo database: every mirrored row, every
/// history row and every cursor (so the next pull is a first sync), and the stock setup and positions,
/// which name the old database's locations (`db::stock::forget_locations`); a run still marked running
/// is closed as failed. Runs in the transaction that records the switch.
///
/// DELETE, not TRUNCATE: the tenant role does not own the tables (only their owner may truncate), and
/// DELETE is transactional with the rest of the switch. History tables are append-only for the tenant
/// role, so their rows go through `purge_odoo_history()`, a function of the tenant schema that runs
/// with its owner's rights (tenant migration 000006).
pub async fn reset(tx: &TenantTxn) -> Result<Reset, DbErr> {
    use sea_orm::sea_query::{Alias, Func, Query};
    let mut done = Reset::default();
    macro_rules! empty {
        ($($table:ident),* $(,)?) => {
            $(done.mirrored_rows += $table::Entity::delete_many().exec(tx).await?.rows_affected;)*
        };
    }
    empty!(
        odoo_res_currency,
        odoo_res_company,
        odoo_res_partner,
        odoo_res_users,
        odoo_uom_uom,
        odoo_product_category,
        odoo_stock_warehouse,
        odoo_stock_location,
        odoo_stock_picking_type,
        odoo_product_template,
        odoo_product_product,
        odoo_product_product_cost,
        odoo_product_supplierinfo,
        odoo_stock_warehouse_orderpoint,
        odoo_stock_quant,
        odoo_purchase_order,
        odoo_purchase_order_line,
        odoo_stock_picking,
        odoo_stock_scrap_reason_tag,
        odoo_stock_scrap,
        odoo_stock_move,
        odoo_stock_move_line,
    );
    let purge = Query::select()
        .expr(Func::cust(Alias::new("purge_odoo_history")))
        .to_owned();
    let purged: Option<i64> = match tx.query_one(&purge).await? {
        Some(row) => row.try_get_by_index(0)?,
        None => None,
    };
    done.history_rows = purged.map_or(0, |n| u64::try_from(n).unwrap_or(0));
    done.cursors = sync_cursor::Entity::delete_many().exec(tx).await?.rows_affected;
    super::stock::forget_locations(tx).await?;
    sync_run::Entity::update_many()
        .col_expr(sync_run::Column::Status, sea_orm::sea_query::Expr::value("failed"))
        .col_expr(
            sync_run::Column::FinishedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .col_expr(
            sync_run::Column::Error,
            sea_orm::sea_query::Expr::value("stopped: the tenant was connected to another Odoo database"),
        )
        .filter(sync_run::Column::FinishedAt.is_null())
        .exec(tx)
        .await?;
    Ok(done)
}

/// Rows pulled so far, summed over every model's cursor (the demo's and the sync page's progress).
pub async fn rows_synced(tx: &TenantTxn) -> Result<i64, DbErr> {
    let cursors = sync_cursor::Entity::find().all(tx).await?;
    Ok(cursors.iter().map(|c| c.rows_synced).sum())
}

/// The variants the mirror holds (not deleted) and `company` may see that have no cost for it: pulled after its
/// cost cursor had passed them (a variant committed behind the cursor and fetched by reconciliation).
pub async fn variants_without_cost(tx: &TenantTxn, company: i64) -> Result<Vec<i64>, DbErr> {
    use sea_orm::sea_query::Query;
    use sea_orm::{QueryOrder, QuerySelect};
    let costed = Query::select()
        .column(odoo_product_product_cost::Column::OdooId)
        .from(odoo_product_product_cost::Entity)
        .and_where(odoo_product_product_cost::Column::CompanyId.eq(company))
        .and_where(odoo_product_product_cost::Column::OdooDeletedAt.is_null())
        .to_owned();
    odoo_product_product::Entity::find()
        .select_only()
        .column(odoo_product_product::Column::OdooId)
        .filter(odoo_product_product::Column::OdooDeletedAt.is_null())
        // What `company` sees of the variants (Odoo's multi-company rule).
        .filter(
            odoo_product_product::Column::CompanyId
                .is_null()
                .or(odoo_product_product::Column::CompanyId.eq(company)),
        )
        .filter(odoo_product_product::Column::OdooId.not_in_subquery(costed))
        .order_by_asc(odoo_product_product::Column::OdooId)
        .into_tuple::<i64>()
        .all(tx)
        .await
}

/// Marks deleted the costs of variants marked deleted; returns how many.
pub async fn mark_costs_of_deleted_variants(tx: &TenantTxn, at: DateTime<Utc>) -> Result<u64, DbErr> {
    use sea_orm::sea_query::Query;
    let deleted = Query::select()
        .column(odoo_product_product::Column::OdooId)
        .from(odoo_product_product::Entity)
        .and_where(odoo_product_product::Column::OdooDeletedAt.is_not_null())
        .to_owned();
    let done = odoo_product_product_cost::Entity::update_many()
        .col_expr(odoo_product_product_cost::Column::OdooDeletedAt, Expr::value(at))
        .filter(odoo_product_product_cost::Column::OdooDeletedAt.is_null())
        .filter(odoo_product_product_cost::Column::OdooId.in_subquery(deleted))
        .exec(tx)
        .await?;
    Ok(done.rows_affected)
}

/// The companies the mirror holds (active, not deleted in Odoo), by id.
pub async fn active_company_ids(tx: &TenantTxn) -> Result<Vec<i64>, DbErr> {
    use sea_orm::{QueryOrder, QuerySelect};
    odoo_res_company::Entity::find()
        .select_only()
        .column(odoo_res_company::Column::OdooId)
        .filter(odoo_res_company::Column::Active.eq(true))
        .filter(odoo_res_company::Column::OdooDeletedAt.is_null())
        .order_by_asc(odoo_res_company::Column::OdooId)
        .into_tuple::<i64>()
        .all(tx)
        .await
}

/// Documents Odoo may still change without moving their write date (DESIGN §5 "Open documents"):
/// stored computed fields such as received quantities, receipt status and states are recomputed by the
/// ORM without touching the document. The pull re-reads them on every run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenDocuments {
    /// Confirmed (`purchase`, or ≤18 `done`) and not fully received.
    pub purchase_orders: Vec<i64>,
    /// The lines of those orders.
    pub purchase_order_lines: Vec<i64>,
    /// Neither done nor cancelled.
    pub pickings: Vec<i64>,
}

/// The open documents the mirror holds (rows Odoo deleted left out).
pub async fn open_documents(tx: &TenantTxn) -> Result<OpenDocuments, DbErr> {
    use sea_orm::{Condition, QueryOrder, QuerySelect};
    let purchase_orders: Vec<i64> = odoo_purchase_order::Entity::find()
        .select_only()
        .column(odoo_purchase_order::Column::OdooId)
        .filter(odoo_purchase_order::Column::State.is_in(["purchase", "done"]))
        .filter(
            Condition::any()
                .add(odoo_purchase_order::Column::ReceiptStatus.is_null())
                .add(odoo_purchase_order::Column::ReceiptStatus.ne("full")),
        )
        .filter(odoo_purchase_order::Column::OdooDeletedAt.is_null())
        .order_by_asc(odoo_purchase_order::Column::OdooId)
        .into_tuple()
        .all(tx)
        .await?;
    let purchase_order_lines: Vec<i64> = if purchase_orders.is_empty() {
        Vec::new()
    } else {
        odoo_purchase_order_line::Entity::find()
            .select_only()
            .column(odoo_purchase_order_line::Column::OdooId)
            .filter(odoo_purchase_order_line::Column::OrderId.is_in(purchase_orders.clone()))
            .filter(odoo_purchase_order_line::Column::OdooDeletedAt.is_null())
            .order_by_asc(odoo_purchase_order_line::Column::OdooId)
            .into_tuple()
            .all(tx)
            .await?
    };
    let pickings: Vec<i64> = odoo_stock_picking::Entity::find()
        .select_only()
        .column(odoo_stock_picking::Column::OdooId)
        .filter(odoo_stock_picking::Column::State.is_not_in(["done", "cancel"]))
        .filter(odoo_stock_picking::Column::OdooDeletedAt.is_null())
        .order_by_asc(odoo_stock_picking::Column::OdooId)
        .into_tuple()
        .all(tx)
        .await?;
    Ok(OpenDocuments {
        purchase_orders,
        purchase_order_lines,
        pickings,
    })
}

/// The units of measure and each product's unit (its template's `uom_id`) as the mirror holds them,
/// rows Odoo deleted included (documents still refer to them): what converts document quantities to
/// the product's unit (`Mirror::UNITS`).
pub async fn units(tx: &TenantTxn) -> Result<Units, DbErr> {
    use sea_orm::QuerySelect;
    let many2one = |id: Option<i64>| id.map(|id| Many2One { id, name: None });
    let uoms = odoo_uom_uom::Entity::find().all(tx).await?.into_iter().map(|u| Uom {
        id: u.odoo_id,
        factor: u.factor,
        factor_inv: u.factor_inv,
        rounding: u.rounding,
        relative_factor: u.relative_factor,
        relative_uom_id: many2one(u.relative_uom_id),
        ..Uom::default()
    });
    let template_units: std::collections::HashMap<i64, i64> = odoo_product_template::Entity::find()
        .select_only()
        .column(odoo_product_template::Column::OdooId)
        .column(odoo_product_template::Column::UomId)
        .into_tuple::<(i64, Option<i64>)>()
        .all(tx)
        .await?
        .into_iter()
        .filter_map(|(template, unit)| Some((template, unit?)))
        .collect();
    let products: Vec<(i64, Option<i64>)> = odoo_product_product::Entity::find()
        .select_only()
        .column(odoo_product_product::Column::OdooId)
        .column(odoo_product_product::Column::ProductTmplId)
        .into_tuple()
        .all(tx)
        .await?;
    let product_units = products
        .into_iter()
        .filter_map(|(product, template)| Some((product, *template_units.get(&template?)?)));
    Ok(Units::new(uoms, product_units))
}
