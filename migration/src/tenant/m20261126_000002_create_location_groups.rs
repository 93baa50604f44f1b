//! Location groups (stores, regional warehouses, the web shop, regions). Membership scopes refer to
//! them; the stock issue fills and edits them.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
            CREATE TABLE location_groups (
                id         uuid PRIMARY KEY,
                name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
                kind       text NOT NULL CHECK (kind IN ('store', 'warehouse', 'web_shop', 'region')),
                parent_id  uuid REFERENCES location_groups (id) ON DELETE SET NULL,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now()
            );
            "#,
        )
        .await
    }
}
