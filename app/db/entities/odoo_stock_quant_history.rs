//! `odoo_stock_quant_history`: counted quantities of quants with who and when (append-only; Odoo clears them on apply).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "odoo_stock_quant_history")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = true)]
    pub id: i64,
    pub odoo_id: i64,
    pub product_id: Option<i64>,
    pub location_id: Option<i64>,
    pub lot_id: Option<i64>,
    pub package_id: Option<i64>,
    pub owner_id: Option<i64>,
    pub company_id: Option<i64>,
    pub quantity: f64,
    pub inventory_quantity: f64,
    pub inventory_quantity_set: bool,
    pub inventory_date: Option<Date>,
    pub user_id: Option<i64>,
    pub write_uid: Option<i64>,
    pub write_date: Option<DateTimeUtc>,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
