//! Per-tenant sync settings on its Odoo connection (DESIGN §5): how often the schedule pulls
//! (`pull_every_minutes`, default 5, 1 minute to a day) and how far back a first sync reads documents
//! (`horizon_months`, default 24, 1 to 120). The defaults match `sync::pull::EVERY` and
//! `sync::pull::HORIZON_MONTHS`; the checks keep a hand-edited row inside what the code accepts.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
            ALTER TABLE odoo_connections
                ADD COLUMN pull_every_minutes integer NOT NULL DEFAULT 5
                    CHECK (pull_every_minutes BETWEEN 1 AND 1440),
                ADD COLUMN horizon_months integer NOT NULL DEFAULT 24
                    CHECK (horizon_months BETWEEN 1 AND 120);
            "#,
        )
        .await
    }
}
