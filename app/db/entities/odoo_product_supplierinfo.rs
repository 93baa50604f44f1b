//! `odoo_product_supplierinfo`: the mirror of Odoo's `product.supplierinfo` (many2ones as ids).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "odoo_product_supplierinfo")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub odoo_id: i64,
    pub partner_id: Option<i64>,
    pub product_tmpl_id: Option<i64>,
    pub product_id: Option<i64>,
    pub product_code: Option<String>,
    pub sequence: i64,
    pub min_qty: f64,
    pub price: f64,
    pub currency_id: Option<i64>,
    pub delay: i64,
    pub date_start: Option<Date>,
    pub date_end: Option<Date>,
    pub product_uom_id: Option<i64>,
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
