//! Tenant query module of the Odoo mirror: a page of pulled rows is compared with what the mirror holds
//! and only new or changed rows are written (a second pull of unchanged data writes nothing), and the
//! pull's cursors and run records. Every function takes the tenant's transaction.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{ExprTrait as _, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DbErr, EntityTrait, IdenStatic as _, IntoActiveModel, Iterable,
    QueryFilter,
};

use super::entities::{
    odoo_product_category, odoo_product_product, odoo_product_supplierinfo, odoo_product_template, odoo_purchase_order,
    odoo_purchase_order_line, odoo_res_company, odoo_res_currency, odoo_res_partner, odoo_res_users,
    odoo_stock_location, odoo_stock_move, odoo_stock_move_line, odoo_stock_picking, odoo_stock_picking_type,
    odoo_stock_quant, odoo_stock_scrap, odoo_stock_scrap_reason_tag, odoo_stock_warehouse,
    odoo_stock_warehouse_orderpoint, odoo_uom_uom, sync_cursor, sync_run,
};
use super::tenancy::TenantTxn;

/// A mirror table: keyed by Odoo's id, stamped with the time of its last change.
pub trait MirrorTable: EntityTrait {
    fn odoo_id_column() -> Self::Column;
    fn deleted_column() -> Self::Column;
    fn odoo_id(row: &Self::Model) -> i64;
    /// Whether Odoo no longer has the row (kept, marked, for the records that refer to it).
    fn is_deleted(row: &Self::Model) -> bool;
    /// Whether two rows hold the same Odoo data (the sync stamp aside).
    fn same_data(held: &Self::Model, pulled: &Self::Model) -> bool;
    /// The row as an insert of every column.
    fn insertable(row: Self::Model) -> Self::ActiveModel;
}

macro_rules! mirror_table {
    ($($module:ident),* $(,)?) => {$(
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
            fn is_deleted(row: &Self::Model) -> bool {
                row.odoo_deleted_at.is_some()
            }
            fn same_data(held: &Self::Model, pulled: &Self::Model) -> bool {
                let mut held = held.clone();
                held.synced_at = pulled.synced_at;
                held == *pulled
            }
            fn insertable(row: Self::Model) -> Self::ActiveModel {
                row.into_active_model().reset_all()
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
    odoo_product_template,
    odoo_product_product,
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

/// What writing a page did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageWrite {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
}

/// Writes the new and changed rows of a pulled page (the rest is left untouched).
pub async fn write_page<E: MirrorTable>(tx: &TenantTxn, rows: Vec<E::Model>) -> Result<PageWrite, DbErr> {
    let mut outcome = PageWrite::default();
    if rows.is_empty() {
        return Ok(outcome);
    }
    let ids: Vec<i64> = rows.iter().map(E::odoo_id).collect();
    let held: std::collections::HashMap<i64, E::Model> = E::find()
        .filter(E::odoo_id_column().is_in(ids))
        .all(tx)
        .await?
        .into_iter()
        .map(|row| (E::odoo_id(&row), row))
        .collect();
    let mut changed = Vec::new();
    for row in rows {
        match held.get(&E::odoo_id(&row)) {
            Some(old) if E::same_data(old, &row) => outcome.unchanged += 1,
            Some(_) => {
                outcome.updated += 1;
                changed.push(row);
            }
            None => {
                outcome.inserted += 1;
                changed.push(row);
            }
        }
    }
    if changed.is_empty() {
        return Ok(outcome);
    }
    let key = E::odoo_id_column();
    let others: Vec<E::Column> = E::Column::iter().filter(|c| c.as_str() != key.as_str()).collect();
    let active: Vec<E::ActiveModel> = changed.into_iter().map(E::insertable).collect();
    E::insert_many(active)
        .on_conflict(OnConflict::column(key).update_columns(others).to_owned())
        .exec_without_returning(tx)
        .await?;
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

/// Rows pulled so far, summed over every model's cursor (the demo's and the sync page's progress).
pub async fn rows_synced(tx: &TenantTxn) -> Result<i64, DbErr> {
    let cursors = sync_cursor::Entity::find().all(tx).await?;
    Ok(cursors.iter().map(|c| c.rows_synced).sum())
}
