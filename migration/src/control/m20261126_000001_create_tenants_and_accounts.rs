//! Tenants, global accounts and the memberships that join them.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
            CREATE TABLE tenants (
                id             uuid PRIMARY KEY,
                slug           text NOT NULL UNIQUE
                               CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$'),
                name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
                -- name of the last tenant migration applied to the tenant's schema; lets /readyz
                -- check every tenant without reaching into tenant schemas
                schema_version text,
                created_at     timestamptz NOT NULL DEFAULT now(),
                updated_at     timestamptz NOT NULL DEFAULT now()
            );

            CREATE TABLE accounts (
                id                  uuid PRIMARY KEY,
                email               text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
                display_name        text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
                password_hash       text NOT NULL,
                disabled_at         timestamptz,
                password_changed_at timestamptz NOT NULL DEFAULT now(),
                created_at          timestamptz NOT NULL DEFAULT now(),
                updated_at          timestamptz NOT NULL DEFAULT now()
            );
            CREATE UNIQUE INDEX accounts_email_key ON accounts (lower(email));

            CREATE TABLE memberships (
                id              uuid PRIMARY KEY,
                tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
                account_id      uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
                roles           text[] NOT NULL
                                CHECK (cardinality(roles) > 0
                                       AND roles <@ ARRAY['viewer','manager','steward','finance','admin']),
                -- NULL: the whole tenant. Otherwise ids of location groups in the tenant's schema.
                scope_group_ids uuid[],
                created_at      timestamptz NOT NULL DEFAULT now(),
                updated_at      timestamptz NOT NULL DEFAULT now(),
                CONSTRAINT memberships_tenant_account_key UNIQUE (tenant_id, account_id)
            );
            CREATE INDEX memberships_account ON memberships (account_id);
            "#,
        )
        .await
    }
}
