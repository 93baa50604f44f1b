//! What the job queue needs beyond the first table (DESIGN §5, RELIABILITY §2.2): who holds a lease,
//! every attempt's error, when a job finished, a per-window key so that several schedulers never
//! double a scheduled job, at most one running pull per tenant (the claim checks it; this index is the
//! backstop), and the indexes the rescuer, the retention pruning and the tenant's job list read.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
            -- 'failed' was never written: a failed attempt goes back to 'queued' with a later run_at.
            ALTER TABLE jobs DROP CONSTRAINT jobs_state_check;
            ALTER TABLE jobs ADD CONSTRAINT jobs_state_check
                CHECK (state IN ('queued', 'running', 'done', 'discarded', 'cancelled'));
            ALTER TABLE jobs ADD COLUMN locked_by text;
            ALTER TABLE jobs ADD COLUMN errors jsonb NOT NULL DEFAULT '[]';
            ALTER TABLE jobs ADD COLUMN schedule_key text;
            ALTER TABLE jobs ADD COLUMN finished_at timestamptz;

            CREATE UNIQUE INDEX jobs_schedule_key ON jobs (schedule_key) WHERE schedule_key IS NOT NULL;
            CREATE UNIQUE INDEX jobs_one_running_pull ON jobs (tenant_id) WHERE state = 'running' AND queue = 'pull';
            CREATE INDEX jobs_leases ON jobs (locked_until) WHERE state = 'running';
            CREATE INDEX jobs_of_tenant ON jobs (tenant_id, id DESC);
            CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;

            -- Row locks need UPDATE on one column: a tenant transaction locks its own job's row
            -- (FOR UPDATE, through the policy) to commit a side effect only while it holds the lease.
            GRANT UPDATE (locked_until) ON jobs TO ts_tenant;
            "#,
        )
        .await
    }
}
