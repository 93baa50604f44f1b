//! `odoo_stock_quant`: the mirror of Odoo's `stock.quant` (many2ones as ids).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "odoo_stock_quant")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub odoo_id: i64,
    pub product_id: Option<i64>,
    pub location_id: Option<i64>,
    pub lot_id: Option<i64>,
    pub package_id: Option<i64>,
    pub owner_id: Option<i64>,
    pub company_id: Option<i64>,
    pub warehouse_id: Option<i64>,
    pub quantity: f64,
    pub reserved_quantity: f64,
    pub in_date: Option<DateTimeUtc>,
    pub inventory_quantity: f64,
    pub inventory_quantity_set: bool,
    pub inventory_date: Option<Date>,
    pub user_id: Option<i64>,
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
