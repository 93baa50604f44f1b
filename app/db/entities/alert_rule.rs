//! `alert_rules`: what a tenant's admins ask to be told about, and which roles receive it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_rules")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub product_ids: Option<Vec<i64>>,
    pub category_id: Option<i64>,
    pub group_id: Option<Uuid>,
    pub recipient_roles: Vec<String>,
    pub enabled: bool,
    pub created_by_name: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
