//! `stock_scope_summaries`: per scope, its rows, stock value and products it cannot sell (channels),
//! as of the last refresh.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_scope_summaries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub scope_id: i64,
    pub rows: i64,
    pub value: f64,
    pub unsellable: i64,
    pub computed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
