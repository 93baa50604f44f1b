//! `stock_positions`: the figures of DESIGN §2.8 per scope and product, kept up to date from the mirror.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_positions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub scope_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub product_id: i64,
    pub sku: Option<String>,
    pub name: Option<String>,
    pub barcode: Option<String>,
    pub category_id: Option<i64>,
    pub on_hand: f64,
    pub reserved: f64,
    pub available: f64,
    pub incoming: f64,
    pub outgoing: f64,
    pub forecast: f64,
    pub consigned: f64,
    pub value: f64,
    pub delivered: f64,
    pub cover_days: Option<f64>,
    pub rule_min: Option<f64>,
    pub rule_max: Option<f64>,
    pub sellable: Option<f64>,
    pub status: String,
    pub unit_cost: f64,
    pub exception: Option<String>,
    pub at_stake: f64,
    pub computed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
