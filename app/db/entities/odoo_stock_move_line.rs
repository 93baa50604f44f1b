//! `odoo_stock_move_line`: the mirror of Odoo's `stock.move.line` (many2ones as ids). `quantity_done` is version-neutral (see migration 000004); `quantity_done_product_uom` is it in the product's unit (migration 000007).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "odoo_stock_move_line")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub odoo_id: i64,
    pub move_id: Option<i64>,
    pub picking_id: Option<i64>,
    pub product_id: Option<i64>,
    pub product_uom_id: Option<i64>,
    pub lot_id: Option<i64>,
    pub owner_id: Option<i64>,
    pub location_id: Option<i64>,
    pub location_dest_id: Option<i64>,
    pub date: Option<DateTimeUtc>,
    pub state: Option<String>,
    pub reference: Option<String>,
    pub is_inventory: bool,
    pub quantity_done: f64,
    pub qty_done: f64,
    pub quantity: f64,
    pub picked: bool,
    pub quantity_product_uom: Option<f64>,
    pub quantity_done_product_uom: Option<f64>,
    pub lot_name: Option<String>,
    pub package_id: Option<i64>,
    pub result_package_id: Option<i64>,
    pub company_id: Option<i64>,
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
