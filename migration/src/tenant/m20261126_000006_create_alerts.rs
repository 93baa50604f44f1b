//! Alerts for the tenant's admins (DESIGN §5 "Faults"): what needs a person — Odoo refusing the API key
//! (`credential_invalid`), the key expiring within 14 days (`key_expiring`), syncs failing
//! (`sync_failing`) — in plain words, with details. An alert is open until resolved; a partial unique
//! index keeps one open alert per kind, so recording it again while open changes nothing. The email
//! issue delivers them.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
            CREATE TABLE alerts (
                id          bigserial PRIMARY KEY,
                kind        text NOT NULL CHECK (kind IN ('credential_invalid', 'key_expiring', 'sync_failing')),
                message     text NOT NULL,
                details     jsonb NOT NULL DEFAULT '{}',
                created_at  timestamptz NOT NULL DEFAULT now(),
                resolved_at timestamptz
            );
            CREATE UNIQUE INDEX alerts_one_open_per_kind ON alerts (kind) WHERE resolved_at IS NULL;
            "#,
        )
        .await
    }
}
