//! `odoo_stock_move`: the mirror of Odoo's `stock.move` (many2ones as ids). Done and remaining quantities are version-neutral (see migration 000004).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "odoo_stock_move")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub odoo_id: i64,
    pub name: Option<String>,
    pub reference: Option<String>,
    pub product_id: Option<i64>,
    pub product_uom: Option<i64>,
    pub product_uom_qty: f64,
    pub product_qty: f64,
    pub quantity_done: f64,
    pub quantity: f64,
    pub picked: bool,
    pub quantity_done_product_uom: f64,
    pub quantity_remaining_product_uom: f64,
    pub state: Option<String>,
    pub date: Option<DateTimeUtc>,
    pub location_id: Option<i64>,
    pub location_dest_id: Option<i64>,
    pub location_final_id: Option<i64>,
    pub picking_id: Option<i64>,
    pub picking_type_id: Option<i64>,
    pub partner_id: Option<i64>,
    pub origin: Option<String>,
    pub company_id: Option<i64>,
    pub price_unit: f64,
    pub is_inventory: bool,
    pub inventory_name: Option<String>,
    pub scrapped: bool,
    pub scrap_id: Option<i64>,
    pub is_scrap: bool,
    pub origin_returned_move_id: Option<i64>,
    pub purchase_line_id: Option<i64>,
    pub move_orig_ids: Vec<i64>,
    pub move_dest_ids: Vec<i64>,
    pub returned_move_ids: Vec<i64>,
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
