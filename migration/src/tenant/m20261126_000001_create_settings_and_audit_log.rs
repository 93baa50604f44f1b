//! The tenant's settings row and its append-only audit log.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
            CREATE TABLE settings (
                id         smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
                time_zone  text NOT NULL DEFAULT 'UTC',
                currency   text NOT NULL DEFAULT 'EUR' CHECK (currency ~ '^[A-Z]{3}$'),
                updated_at timestamptz NOT NULL DEFAULT now()
            );
            INSERT INTO settings DEFAULT VALUES;

            -- People are referred to by account uuid plus a snapshot of name and email,
            -- never by a foreign key into control.
            CREATE TABLE audit_log (
                id               bigserial PRIMARY KEY,
                occurred_at      timestamptz NOT NULL DEFAULT now(),
                actor_account_id uuid,
                actor_name       text NOT NULL,
                actor_email      text NOT NULL,
                action           text NOT NULL,
                subject          text NOT NULL DEFAULT '',
                details          jsonb NOT NULL DEFAULT '{}'
            );

            -- The tenant role is named like its schema (see app/db/tenancy.rs).
            DO $$ BEGIN
                EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM %I', current_schema());
            END $$;
            "#,
        )
        .await
    }
}
