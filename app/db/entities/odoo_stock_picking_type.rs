//! `odoo_stock_picking_type`: the mirror of Odoo's `stock.picking.type` (many2ones as ids).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "odoo_stock_picking_type")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub odoo_id: i64,
    pub name: Option<String>,
    pub code: Option<String>,
    pub warehouse_id: Option<i64>,
    pub default_location_src_id: Option<i64>,
    pub default_location_dest_id: Option<i64>,
    pub company_id: Option<i64>,
    pub active: bool,
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
