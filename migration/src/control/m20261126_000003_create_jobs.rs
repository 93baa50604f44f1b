//! The job queue table, with the row-level-security policy that lets tenant code enqueue its own jobs
//! (and only its own) from inside `with_tenant`.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
            CREATE TABLE jobs (
                id           bigserial PRIMARY KEY,
                tenant_id    uuid REFERENCES tenants (id) ON DELETE CASCADE,
                queue        text NOT NULL DEFAULT 'default',
                kind         text NOT NULL,
                payload      jsonb NOT NULL DEFAULT '{}',
                state        text NOT NULL DEFAULT 'queued'
                             CHECK (state IN ('queued','running','done','failed','discarded','cancelled')),
                unique_key   text,
                attempts     integer NOT NULL DEFAULT 0,
                max_attempts integer NOT NULL DEFAULT 10,
                run_at       timestamptz NOT NULL DEFAULT now(),
                locked_until timestamptz,
                lease_token  uuid,
                last_error   text,
                created_at   timestamptz NOT NULL DEFAULT now(),
                updated_at   timestamptz NOT NULL DEFAULT now()
            );
            CREATE UNIQUE INDEX jobs_unique_key ON jobs (unique_key)
                WHERE unique_key IS NOT NULL AND state IN ('queued', 'running');
            CREATE INDEX jobs_claim ON jobs (queue, run_at) WHERE state = 'queued';

            ALTER TABLE jobs ENABLE ROW LEVEL SECURITY;
            CREATE POLICY app_all ON jobs TO ts_app USING (true) WITH CHECK (true);
            CREATE POLICY tenant_own ON jobs TO ts_tenant
                USING      ('t_' || replace(tenant_id::text, '-', '') = current_user)
                WITH CHECK ('t_' || replace(tenant_id::text, '-', '') = current_user);
            GRANT USAGE ON SCHEMA control TO ts_tenant;
            -- SELECT is needed for INSERT ... RETURNING; the policy limits it to the tenant's own rows.
            GRANT SELECT, INSERT ON jobs TO ts_tenant;
            GRANT USAGE ON SEQUENCE jobs_id_seq TO ts_tenant;
            "#,
        )
        .await
    }
}
