//! `odoo_purchase_order_line_history`: purchase lines' first and later promised dates (append-only).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "odoo_purchase_order_line_history")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = true)]
    pub id: i64,
    pub odoo_id: i64,
    pub order_id: Option<i64>,
    pub product_id: Option<i64>,
    pub partner_id: Option<i64>,
    pub date_planned: Option<DateTimeUtc>,
    pub write_uid: Option<i64>,
    pub write_date: Option<DateTimeUtc>,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
