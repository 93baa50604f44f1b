//! `settings`: the tenant's single settings row.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i16,
    pub time_zone: String,
    pub currency: String,
    pub sales_window_days: i32,
    pub low_cover_days: f64,
    pub overstock_cover_days: f64,
    pub locations_configured: bool,
    pub digest_hour: i16,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
