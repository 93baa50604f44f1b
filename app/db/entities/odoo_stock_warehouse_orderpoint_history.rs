//! `odoo_stock_warehouse_orderpoint_history`: reorder rules' min and max over time (append-only).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "odoo_stock_warehouse_orderpoint_history")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = true)]
    pub id: i64,
    pub odoo_id: i64,
    pub product_id: Option<i64>,
    pub location_id: Option<i64>,
    pub warehouse_id: Option<i64>,
    pub company_id: Option<i64>,
    pub product_min_qty: f64,
    pub product_max_qty: f64,
    pub write_uid: Option<i64>,
    pub write_date: Option<DateTimeUtc>,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
