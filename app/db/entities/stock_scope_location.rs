//! `stock_scope_locations`: the locations each stock scope covers (`internal`: its quants count).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_scope_locations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub scope_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub location_id: i64,
    pub internal: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
