//! `odoo_stock_picking`: the mirror of Odoo's `stock.picking` (many2ones as ids).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "odoo_stock_picking")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub odoo_id: i64,
    pub name: Option<String>,
    pub origin: Option<String>,
    pub partner_id: Option<i64>,
    pub picking_type_id: Option<i64>,
    pub picking_type_code: Option<String>,
    pub location_id: Option<i64>,
    pub location_dest_id: Option<i64>,
    pub scheduled_date: Option<DateTimeUtc>,
    pub date_done: Option<DateTimeUtc>,
    pub state: Option<String>,
    pub return_id: Option<i64>,
    pub backorder_id: Option<i64>,
    pub purchase_id: Option<i64>,
    pub sale_id: Option<i64>,
    pub pos_order_id: Option<i64>,
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
