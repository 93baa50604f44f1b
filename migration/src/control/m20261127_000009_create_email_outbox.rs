//! The email outbox (RELIABILITY §3) and the single-use account tokens of invites and password resets
//! (DESIGN §8).
//!
//! A message is rendered once and written here in the transaction of the change that causes it; a job
//! delivers the stored bytes, so every retry sends the same message with the same `Message-ID`.
//! Tenant code writes its alerts from inside `with_tenant` through the row-level-security policy, which
//! pins the row to the tenant and to the `alert` category: account emails (invites, resets, notices)
//! carry no tenant, so no tenant can read them, and their bodies are purged once sent.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
            CREATE TABLE email_outbox (
                id             uuid PRIMARY KEY,
                tenant_id      uuid REFERENCES tenants (id) ON DELETE CASCADE,
                category       text NOT NULL CHECK (category IN ('account', 'alert')),
                template       text NOT NULL,
                sender         text NOT NULL,
                recipient      text NOT NULL,
                subject        text NOT NULL,
                message_id     text NOT NULL UNIQUE,
                -- the exact bytes sent on every attempt; NULL once an account email is sent (purged)
                message        bytea,
                state          text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'failed')),
                attempts       integer NOT NULL DEFAULT 0,
                last_smtp_code integer,
                last_error     text,
                created_at     timestamptz NOT NULL DEFAULT now(),
                sent_at        timestamptz,
                failed_at      timestamptz,
                CONSTRAINT email_outbox_tenant_of_category
                    CHECK ((category = 'account') = (tenant_id IS NULL))
            );
            CREATE INDEX email_outbox_of_tenant ON email_outbox (tenant_id, created_at DESC)
                WHERE tenant_id IS NOT NULL;
            CREATE INDEX email_outbox_sent ON email_outbox (sent_at) WHERE sent_at IS NOT NULL;

            ALTER TABLE email_outbox ENABLE ROW LEVEL SECURITY;
            CREATE POLICY app_all ON email_outbox TO ts_app USING (true) WITH CHECK (true);
            CREATE POLICY tenant_own ON email_outbox TO ts_tenant
                USING      ('t_' || replace(tenant_id::text, '-', '') = current_user)
                WITH CHECK ('t_' || replace(tenant_id::text, '-', '') = current_user AND category = 'alert');
            GRANT SELECT, INSERT ON email_outbox TO ts_tenant;

            CREATE TABLE account_tokens (
                -- SHA-256 of the token, hex: the token itself is only ever in the email
                token_hash text PRIMARY KEY,
                account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
                purpose    text NOT NULL CHECK (purpose IN ('invite', 'reset')),
                expires_at timestamptz NOT NULL,
                used_at    timestamptz,
                created_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX account_tokens_account ON account_tokens (account_id);
            "#,
        )
        .await
    }
}
