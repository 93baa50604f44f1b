//! `sync_cursors`: how far the pull of each Odoo model has come.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sync_cursors")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub model: String,
    pub fields_hash: String,
    /// The write-date second reached: every row written before it is mirrored.
    pub bucket: DateTimeUtc,
    /// Within `bucket`, rows up to this id are mirrored.
    pub last_id: i64,
    pub rows_synced: i64,
    pub last_success_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
