//! The secret per-tenant webhook URL an Odoo 17+ automation rule calls on stock changes: only the
//! token's SHA-256 is stored (the URL is shown once, when made or rotated).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
            ALTER TABLE odoo_connections ADD COLUMN webhook_token_hash text UNIQUE;
            ALTER TABLE odoo_connections ADD COLUMN webhook_rotated_at timestamptz;
            "#,
        )
        .await
    }
}
