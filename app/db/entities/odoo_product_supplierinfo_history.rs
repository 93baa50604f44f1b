//! `odoo_product_supplierinfo_history`: supplier prices, minimum quantities, lead times and validity over time (append-only).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "odoo_product_supplierinfo_history")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = true)]
    pub id: i64,
    pub odoo_id: i64,
    pub partner_id: Option<i64>,
    pub product_tmpl_id: Option<i64>,
    pub product_id: Option<i64>,
    pub company_id: Option<i64>,
    pub currency_id: Option<i64>,
    pub price: f64,
    pub min_qty: f64,
    pub delay: i64,
    pub date_start: Option<Date>,
    pub date_end: Option<Date>,
    pub write_uid: Option<i64>,
    pub write_date: Option<DateTimeUtc>,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
