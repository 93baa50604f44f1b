//! Each tenant's Odoo connection (DESIGN §4, §8): where and as whom, the API key sealed by the vault
//! (key id, nonce, ciphertext; NULL when cleared), its expiry, the last connection test, and which Odoo
//! database the tenant's mirror holds (to notice a switch to another database). Control plane only: the
//! tenant role has no access.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
            CREATE TABLE odoo_connections (
                tenant_id      uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
                url            text NOT NULL,
                database       text NOT NULL,
                login          text NOT NULL,
                key_id         text,
                key_nonce      bytea,
                key_ciphertext bytea,
                key_expires_on date,
                status         text NOT NULL DEFAULT 'untested'
                               CHECK (status IN ('untested', 'ok', 'unreachable', 'refused',
                                                 'credential_invalid', 'failed')),
                status_detail  text NOT NULL DEFAULT '',
                odoo_version   text,
                tested_at      timestamptz,
                test_report    jsonb NOT NULL DEFAULT '{}',
                mirror_of      text,
                created_at     timestamptz NOT NULL DEFAULT now(),
                updated_at     timestamptz NOT NULL DEFAULT now(),
                CHECK ((key_id IS NULL) = (key_ciphertext IS NULL) AND (key_id IS NULL) = (key_nonce IS NULL))
            );
            "#,
        )
        .await
    }
}
