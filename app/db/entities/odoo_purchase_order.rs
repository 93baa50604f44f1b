//! `odoo_purchase_order`: the mirror of Odoo's `purchase.order` (many2ones as ids).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "odoo_purchase_order")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub odoo_id: i64,
    pub name: Option<String>,
    pub partner_id: Option<i64>,
    pub origin: Option<String>,
    pub company_id: Option<i64>,
    pub currency_id: Option<i64>,
    pub user_id: Option<i64>,
    pub date_order: Option<DateTimeUtc>,
    pub date_approve: Option<DateTimeUtc>,
    pub date_planned: Option<DateTimeUtc>,
    pub effective_date: Option<DateTimeUtc>,
    pub state: Option<String>,
    pub locked: bool,
    pub receipt_status: Option<String>,
    pub amount_total: f64,
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
