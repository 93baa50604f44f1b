//! Server-side sessions (the JWT only names one) and the per-address sign-in throttle.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
            CREATE TABLE sessions (
                id           uuid PRIMARY KEY,
                account_id   uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
                created_at   timestamptz NOT NULL DEFAULT now(),
                last_seen_at timestamptz NOT NULL DEFAULT now(),
                expires_at   timestamptz NOT NULL,
                ended_at     timestamptz,
                end_reason   text,
                client_ip    text
            );
            CREATE INDEX sessions_open_by_account ON sessions (account_id) WHERE ended_at IS NULL;

            -- Keyed by the normalised email typed at sign-in, whether or not an account has it,
            -- so that throttling answers identically for unknown addresses.
            CREATE TABLE login_throttle (
                email_key            text PRIMARY KEY,
                window_started_at    timestamptz NOT NULL,
                failures_in_window   integer NOT NULL,
                consecutive_failures integer NOT NULL,
                locked_until         timestamptz
            );
            "#,
        )
        .await
    }
}
