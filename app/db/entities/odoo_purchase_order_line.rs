//! `odoo_purchase_order_line`: the mirror of Odoo's `purchase.order.line` (many2ones as ids). `product_uom_id` is the line unit on every version.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "odoo_purchase_order_line")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub odoo_id: i64,
    pub order_id: Option<i64>,
    pub product_id: Option<i64>,
    pub name: Option<String>,
    pub product_qty: f64,
    pub product_uom_qty: f64,
    pub product_uom_id: Option<i64>,
    pub qty_received: f64,
    pub qty_received_product_uom: f64,
    pub price_unit: f64,
    pub discount: f64,
    pub date_planned: Option<DateTimeUtc>,
    pub display_type: Option<String>,
    pub partner_id: Option<i64>,
    pub currency_id: Option<i64>,
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
