//! `odoo_stock_scrap`: the mirror of Odoo's `stock.scrap` (many2ones as ids). `move_ids` lists the moves on every version; `scrap_qty_product_uom` is `scrap_qty` in the product's unit (migration 000007).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "odoo_stock_scrap")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub odoo_id: i64,
    pub name: Option<String>,
    pub product_id: Option<i64>,
    pub product_uom_id: Option<i64>,
    pub lot_id: Option<i64>,
    pub owner_id: Option<i64>,
    pub company_id: Option<i64>,
    pub origin: Option<String>,
    pub location_id: Option<i64>,
    pub scrap_location_id: Option<i64>,
    pub scrap_qty: f64,
    pub scrap_qty_product_uom: Option<f64>,
    pub state: Option<String>,
    pub date_done: Option<DateTimeUtc>,
    pub move_id: Option<i64>,
    pub move_ids: Vec<i64>,
    pub scrap_reason_tag_ids: Vec<i64>,
    pub create_uid: Option<i64>,
    pub write_uid: Option<i64>,
    pub create_date: Option<DateTimeUtc>,
    pub write_date: Option<DateTimeUtc>,
    pub odoo_deleted_at: Option<DateTimeUtc>,
    pub synced_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
