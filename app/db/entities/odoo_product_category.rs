//! `odoo_product_category`: the mirror of Odoo's `product.category` (many2ones as ids).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "odoo_product_category")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub odoo_id: i64,
    pub name: Option<String>,
    pub complete_name: Option<String>,
    pub parent_id: Option<i64>,
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
