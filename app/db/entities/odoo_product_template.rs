//! `odoo_product_template`: the mirror of Odoo's `product.template` (many2ones as ids).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "odoo_product_template")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub odoo_id: i64,
    pub name: Option<String>,
    pub default_code: Option<String>,
    pub barcode: Option<String>,
    pub categ_id: Option<i64>,
    pub uom_id: Option<i64>,
    pub uom_po_id: Option<i64>,
    pub uom_ids: Vec<i64>,
    pub standard_price: f64,
    pub list_price: f64,
    pub is_storable: bool,
    pub tracking: Option<String>,
    pub sale_ok: bool,
    pub purchase_ok: bool,
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
