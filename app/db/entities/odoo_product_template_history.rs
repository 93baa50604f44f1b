//! `odoo_product_template_history`: product templates' name, internal reference, barcode, category and unit over time (append-only).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "odoo_product_template_history")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = true)]
    pub id: i64,
    pub odoo_id: i64,
    pub name: Option<String>,
    pub default_code: Option<String>,
    pub barcode: Option<String>,
    pub categ_id: Option<i64>,
    pub uom_id: Option<i64>,
    pub write_uid: Option<i64>,
    pub write_date: Option<DateTimeUtc>,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
