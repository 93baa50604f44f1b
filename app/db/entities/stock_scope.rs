//! `stock_scopes`: what a row of the stock table is about: an internal location, a group, a channel or the total.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_scopes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: String,
    pub location_id: Option<i64>,
    pub group_id: Option<Uuid>,
    pub channel_id: Option<Uuid>,
    pub name: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
