//! The platform audit log: what operators and sign-in did. Append-only for the app role.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
            CREATE TABLE platform_audit (
                id          bigserial PRIMARY KEY,
                occurred_at timestamptz NOT NULL DEFAULT now(),
                actor       text NOT NULL,
                action      text NOT NULL,
                tenant_id   uuid,
                account_id  uuid,
                details     jsonb NOT NULL DEFAULT '{}'
            );
            REVOKE UPDATE, DELETE, TRUNCATE ON platform_audit FROM ts_app;
            "#,
        )
        .await
    }
}
