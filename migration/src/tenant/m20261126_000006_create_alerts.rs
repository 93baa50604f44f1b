//! Alerts for the tenant's admins (DESIGN §5 "Faults"): what needs a person — Odoo refusing the API key
//! (`credential_invalid`), the key expiring within 14 days (`key_expiring`), syncs failing
//! (`sync_failing`) — in plain words, with details. An alert is open until resolved; a partial unique
//! index keeps one open alert per kind, so recording it again while open changes nothing. The email
//! issue delivers them.
//!
//! Also `purge_odoo_history()`, which empties the `*_history` tables when a tenant switches to another
//! Odoo database (their rows describe records of the old database). The tenant role may not DELETE from
//! history tables (append-only), so the function runs with its owner's rights (SECURITY DEFINER, a
//! pinned search_path) and only the tenant role may call it.

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

            -- The tenant role is named like its schema (see app/db/tenancy).
            DO $do$ BEGIN
                EXECUTE format(
                    $f$CREATE OR REPLACE FUNCTION purge_odoo_history() RETURNS bigint
                       LANGUAGE plpgsql SECURITY DEFINER SET search_path = %I, pg_temp AS $body$
                       DECLARE t text; n bigint; total bigint := 0; BEGIN
                           FOR t IN SELECT tablename FROM pg_tables
                                     WHERE schemaname = %L AND tablename LIKE 'odoo\_%%\_history'
                           LOOP
                               EXECUTE format('DELETE FROM %%I', t);
                               GET DIAGNOSTICS n = ROW_COUNT;
                               total := total + n;
                           END LOOP;
                           RETURN total;
                       END $body$ $f$,
                    current_schema(), current_schema());
                REVOKE ALL ON FUNCTION purge_odoo_history() FROM PUBLIC;
                EXECUTE format('GRANT EXECUTE ON FUNCTION purge_odoo_history() TO %I', current_schema());
            END $do$;
            "#,
        )
        .await
    }
}
