//! `quarantine_locations`: locations (with their children) whose stock is never sold.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "quarantine_locations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub location_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
