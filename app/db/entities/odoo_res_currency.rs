//! `odoo_res_currency`: the mirror of Odoo's `res.currency` (many2ones as ids).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "odoo_res_currency")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub odoo_id: i64,
    pub name: Option<String>,
    pub symbol: Option<String>,
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
