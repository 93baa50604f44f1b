//! `stock_refresh_state`: how far the stock positions are (scopes stale, a full refresh under way, the sales window's day).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_refresh_state")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i16,
    pub scopes_stale: bool,
    pub full_next_product: Option<i64>,
    pub window_day: Option<Date>,
    pub refreshed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
