//! Tenant isolation: routes, the tenancy door, the database's own refusals, migrations.

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, EntityTrait, Statement};

use truestock::db::entities::{audit_log, location_group};
use truestock::db::tenancy::{migrate, with_tenant};
use truestock::domain::tenant::TenantId;

use crate::helpers::TestApp;

fn sql(text: &str) -> Statement {
    Statement::from_string(DbBackend::Postgres, text)
}

/// Two tenants whose location groups share ids, each row carrying its tenant's marker.
async fn two_tenants(app: &TestApp) -> (TenantId, TenantId, uuid::Uuid) {
    let a = app.create_tenant("acme", "Acme Retail").await;
    let b = app.create_tenant("bolt", "Bolt Stores MARKER-B").await;
    let shared = uuid::Uuid::new_v4();
    app.su_exec(&format!(
        "INSERT INTO {a}.location_groups (id, name, kind) VALUES ('{shared}', 'MARKER-A store', 'store');
         INSERT INTO {b}.location_groups (id, name, kind) VALUES ('{shared}', 'MARKER-B store', 'store');
         INSERT INTO {b}.audit_log (actor_name, actor_email, action, subject) VALUES ('MARKER-B', 'b@b.test', 'x', 'MARKER-B');",
        a = a.schema_name(),
        b = b.schema_name()
    ))
    .await;
    (a, b, shared)
}

async fn membership_ids(app: &TestApp, tenant: TenantId) -> Vec<String> {
    app.superuser_db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT id::text AS id FROM control.memberships WHERE tenant_id = $1",
            [tenant.as_uuid().into()],
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get("", "id").unwrap())
        .collect()
}

async fn tenant_b_fingerprint(app: &TestApp, b: TenantId) -> String {
    let row = app
        .superuser_db
        .query_one_raw(sql(&format!(
            "SELECT (SELECT string_agg(id::text || name, ',') FROM {s}.location_groups)
                 || (SELECT string_agg(m.id::text || array_to_string(m.roles, '/'), ',') FROM control.memberships m
                     WHERE m.tenant_id = '{b}') AS f",
            s = b.schema_name(),
            b = b.as_uuid()
        )))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "f").unwrap()
}

#[tokio::test]
async fn every_route_of_another_tenant_answers_404_without_its_data() {
    let app = TestApp::spawn().await;
    let (_a, b, _) = two_tenants(&app).await;
    let admin_a = app
        .add_user("ada@acme.test", "acme", "admin,manager,steward,finance,viewer")
        .await;
    app.add_user("bo@bolt.test", "bolt", "admin").await;
    let b_membership = membership_ids(&app, b).await.remove(0);
    let before = tenant_b_fingerprint(&app, b).await;
    let client = app.signed_in(&admin_a).await;
    let csrf = client.csrf_token("/t/acme").await;

    let gets = [
        "/t/bolt".to_string(),
        "/t/bolt/settings/members".to_string(),
        format!("/t/bolt/settings/members/{b_membership}/edit"),
        // A's own tenant, B's object id:
        format!("/t/acme/settings/members/{b_membership}/edit"),
        "/t/bolt/settings/members/not-a-uuid/edit".to_string(),
    ];
    for path in &gets {
        for htmx in [false, true] {
            let mut request = client.request(reqwest::Method::GET, path);
            if htmx {
                request = request.header("HX-Request", "true");
            }
            let res = client.send(request).await;
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "GET {path}");
            assert!(!res.text().await.unwrap().contains("MARKER-B"), "GET {path} leaked B");
        }
    }
    let posts = [
        format!("/t/bolt/settings/members/{b_membership}"),
        format!("/t/bolt/settings/members/{b_membership}/remove"),
        format!("/t/acme/settings/members/{b_membership}"),
        format!("/t/acme/settings/members/{b_membership}/remove"),
    ];
    for path in &posts {
        let res = client
            .post_form(path, &[("role", "viewer"), ("scope", "all")], &csrf)
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "POST {path}");
        assert!(!res.text().await.unwrap().contains("MARKER-B"), "POST {path} leaked B");
    }
    assert_eq!(tenant_b_fingerprint(&app, b).await, before, "B's rows changed");
    // A's own overview shows A's data only.
    let (_, html) = client.get_html("/t/acme").await;
    assert!(!html.contains("MARKER-B"));
}

#[tokio::test]
async fn hostile_slugs_answer_404() {
    let app = TestApp::spawn().await;
    app.create_tenant("acme", "Acme Retail").await;
    let user = app.add_user("ada@acme.test", "acme", "admin").await;
    let client = app.signed_in(&user).await;
    let long = "a".repeat(64);
    for slug in [
        "a,public",
        "pg_catalog",
        "%22x%22%3B%20drop",
        "control",
        "ACME",
        "t_00000000000000000000000000000000",
        long.as_str(),
    ] {
        let res = client.get(&format!("/t/{slug}")).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{slug}");
    }
}

#[tokio::test]
async fn tenant_tables_are_unreachable_outside_with_tenant() {
    let app = TestApp::spawn().await;
    let (a, b, _) = two_tenants(&app).await;
    let err = location_group::Entity::find().all(&app.app_db).await.unwrap_err();
    assert!(
        err.to_string().contains("relation \"location_groups\" does not exist"),
        "{err}"
    );
    // Qualified, from the bare pool: ts_app is NOINHERIT, so membership in tenant roles gives nothing.
    for schema in [a.schema_name(), b.schema_name()] {
        let err = app
            .app_db
            .query_all_raw(sql(&format!("SELECT * FROM {schema}.location_groups")))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("permission denied for schema"), "{err}");
    }
    // A fresh pooled connection starts with no schema on its path.
    let row = app
        .app_db
        .query_one_raw(sql("SELECT current_schema() IS NULL AS empty"))
        .await
        .unwrap()
        .unwrap();
    assert!(row.try_get::<bool>("", "empty").unwrap());
}

#[tokio::test]
async fn inside_a_tenant_transaction_another_tenant_is_denied_even_when_named() {
    let app = TestApp::spawn().await;
    let (a, b, shared) = two_tenants(&app).await;
    let b_schema = b.schema_name();
    let own = with_tenant(&app.app_db, a, async |tx| {
        location_group::Entity::find_by_id(shared).one(tx).await
    })
    .await
    .unwrap()
    .expect("A's row");
    assert_eq!(own.name, "MARKER-A store");
    // Each statement in its own transaction: a refusal aborts the transaction it ran in.
    for statement in [
        format!("SELECT * FROM {b_schema}.location_groups"),
        format!("UPDATE {b_schema}.location_groups SET name = 'x'"),
        format!("DELETE FROM {b_schema}.location_groups"),
        "SELECT * FROM control.accounts".to_string(),
        "CREATE TABLE evil (x int)".to_string(),
        "SELECT set_config('role', 'ts_owner', true)".to_string(),
    ] {
        let refusal = with_tenant(&app.app_db, a, async |tx| tx.execute_unprepared(&statement).await).await;
        let message = refusal.unwrap_err().to_string();
        assert!(message.contains("permission denied"), "{statement}: {message}");
    }
    // And the role and search_path reset afterwards.
    let row = app
        .app_db
        .query_one_raw(sql(
            "SELECT current_user::text AS who, current_schema() IS NULL AS empty",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<String>("", "who").unwrap(), "ts_app");
    assert!(row.try_get::<bool>("", "empty").unwrap());
}

#[tokio::test]
async fn tenant_code_can_enqueue_jobs_only_for_its_own_tenant() {
    let app = TestApp::spawn().await;
    let (a, b, _) = two_tenants(&app).await;
    let insert = |tenant: TenantId| {
        format!(
            "INSERT INTO control.jobs (tenant_id, kind) VALUES ('{}', 'sync.pull')",
            tenant.as_uuid()
        )
    };
    let own = with_tenant(&app.app_db, a, async |tx| tx.execute_unprepared(&insert(a)).await).await;
    assert!(own.is_ok(), "{own:?}");
    let foreign = with_tenant(&app.app_db, a, async |tx| tx.execute_unprepared(&insert(b)).await).await;
    let message = foreign.unwrap_err().to_string();
    assert!(message.contains("row-level security"), "{message}");
    app.su_exec(&insert(b)).await;
    let visible = with_tenant(&app.app_db, a, async |tx| {
        tx.query_one_raw(sql("SELECT count(*) AS n FROM control.jobs")).await
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(visible.try_get::<i64>("", "n").unwrap(), 1, "A sees only its own job");
}

#[tokio::test]
async fn append_only_tables_refuse_update_and_delete() {
    let app = TestApp::spawn().await;
    let (a, _, _) = two_tenants(&app).await;
    let result = with_tenant(&app.app_db, a, async |tx| {
        audit_log::Entity::insert(audit_log::ActiveModel {
            actor_name: sea_orm::Set("ada".into()),
            actor_email: sea_orm::Set("ada@acme.test".into()),
            action: sea_orm::Set("test".into()),
            subject: sea_orm::Set(String::new()),
            details: sea_orm::Set(serde_json::json!({})),
            ..Default::default()
        })
        .exec(tx)
        .await
        .map(|_| ())
    })
    .await;
    assert!(result.is_ok(), "{result:?}");
    for statement in [
        "UPDATE audit_log SET action = 'forged'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ] {
        let err = with_tenant(&app.app_db, a, async |tx| tx.execute_unprepared(statement).await)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("permission denied"), "{statement}: {err}");
    }
    // The mirror's history tables: the tenant role may add and read entries, never change or remove them.
    for table in [
        "odoo_product_product_cost_history",
        "odoo_product_template_history",
        "odoo_product_product_history",
        "odoo_product_supplierinfo_history",
        "odoo_purchase_order_line_history",
        "odoo_stock_quant_history",
        "odoo_stock_warehouse_orderpoint_history",
    ] {
        let appended = with_tenant(&app.app_db, a, async |tx| {
            let entry = format!(
                "INSERT INTO {table} (odoo_id, recorded_at) SELECT 1, now() WHERE false; SELECT count(*) FROM {table}"
            );
            tx.execute_unprepared(&entry).await
        })
        .await;
        assert!(appended.is_ok(), "{table}: {appended:?}");
        for statement in [
            format!("UPDATE {table} SET odoo_id = 0"),
            format!("DELETE FROM {table}"),
            format!("TRUNCATE {table}"),
        ] {
            let err = with_tenant(&app.app_db, a, async |tx| tx.execute_unprepared(&statement).await)
                .await
                .unwrap_err();
            assert!(err.to_string().contains("permission denied"), "{statement}: {err}");
        }
    }
    for statement in [
        "UPDATE control.platform_audit SET action = 'forged'",
        "DELETE FROM control.platform_audit",
    ] {
        let err = app.app_db.execute_unprepared(statement).await.unwrap_err();
        assert!(err.to_string().contains("permission denied"), "{statement}: {err}");
    }
}

#[tokio::test]
async fn a_migration_failing_for_one_tenant_leaves_the_others_migrated_and_a_rerun_completes_it() {
    let app = TestApp::spawn().await;
    let tenants = [
        app.create_tenant("t-one", "One").await,
        app.create_tenant("t-two", "Two").await,
        app.create_tenant("t-three", "Three").await,
    ];
    let latest = migrate::latest_tenant_migration();
    // Make every migration pending again everywhere (whatever the newest one creates); in tenant two an
    // obstacle makes the location groups' migration fail.
    for tenant in tenants {
        app.su_exec(&format!(
            "DO $$ DECLARE t text; BEGIN
               FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = '{s}' AND tablename <> 'seaql_migrations'
               LOOP EXECUTE format('DROP TABLE %I.%I CASCADE', '{s}', t); END LOOP;
             END $$;
             DELETE FROM {s}.seaql_migrations;
             UPDATE control.tenants SET schema_version = 'older' WHERE id = '{id}';",
            s = tenant.schema_name(),
            id = tenant.as_uuid()
        ))
        .await;
    }
    app.su_exec(&format!(
        "CREATE TABLE {}.location_groups (obstacle int)",
        tenants[1].schema_name()
    ))
    .await;

    let report = truestock::operator::migrate_all(&app.owner_db, 2).await.unwrap();
    assert_eq!(report.migrated, vec!["t-one", "t-three"]);
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].0, "t-two");

    app.su_exec(&format!("DROP TABLE {}.location_groups", tenants[1].schema_name()))
        .await;
    let report = truestock::operator::migrate_all(&app.owner_db, 2).await.unwrap();
    assert!(report.all_succeeded(), "{report:?}");
    let behind = truestock::db::control::count_tenants_behind(&app.app_db, &latest)
        .await
        .unwrap();
    assert_eq!(behind, 0);
    for tenant in tenants {
        let count = with_tenant(&app.app_db, tenant, async |tx| {
            sea_orm::PaginatorTrait::count(location_group::Entity::find(), tx).await
        })
        .await
        .unwrap();
        assert_eq!(count, 0);
    }
}

#[tokio::test]
async fn pooled_connections_never_carry_one_tenant_into_another() {
    let app = TestApp::spawn().await;
    let (a, b, shared) = two_tenants(&app).await;
    let pool = truestock::db::connect(&app.settings.database_url, 2).await.unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..4 {
        let pool = pool.clone();
        tasks.spawn(async move {
            let mut wrong = 0;
            for i in 0..150 {
                let (tenant, marker) = if (i + worker) % 2 == 0 {
                    (a, "MARKER-A store")
                } else {
                    (b, "MARKER-B store")
                };
                let fail = i % 10 == 0;
                let result = with_tenant(&pool, tenant, async |tx| {
                    let row = location_group::Entity::find_by_id(shared).one(tx).await?;
                    if fail {
                        return Err(DbErr::Custom("deliberate failure mid-transaction".into()));
                    }
                    Ok(row.map(|r| r.name))
                })
                .await;
                match result {
                    Ok(Some(name)) if name == marker => {}
                    Err(DbErr::Custom(_)) if fail => {}
                    _ => wrong += 1,
                }
            }
            wrong
        });
    }
    let mut wrong = 0;
    while let Some(result) = tasks.join_next().await {
        wrong += result.unwrap();
    }
    assert_eq!(wrong, 0);
    let row = pool
        .query_one_raw(sql(
            "SELECT current_user::text AS who, current_schema() IS NULL AS empty",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<String>("", "who").unwrap(), "ts_app");
    assert!(row.try_get::<bool>("", "empty").unwrap());
}

#[test]
fn every_control_statement_on_tenant_rows_filters_by_tenant() {
    // Statements on tables that hold tenant rows must carry a `tenant_id = $n` predicate, except the
    // listed lookups keyed by the member's own account (the caller then checks the tenant by slug),
    // and the job queue's worker statements, which act on any tenant's job by id and lease token,
    // claim, rescue or prune (db/jobs.rs says which are which).
    let sources = [
        include_str!("../../app/db/control.rs"),
        include_str!("../../app/db/jobs.rs"),
    ];
    let allowed = [
        "WHERE m.account_id = $1",
        "WHERE t.slug = $1 AND m.account_id = $2",
        "WHERE {LEASE_HELD}",
        "FOR UPDATE SKIP LOCKED",
        "WHERE j.id = $1 AND j.state = 'queued'",
        "WHERE state = 'running' AND locked_until <= clock_timestamp()",
        "DELETE FROM control.jobs\n              WHERE (state = 'done'",
    ];
    let mut checked = 0;
    for statement in sources
        .iter()
        .flat_map(|source| source.split('"'))
        .filter(|s| s.contains("control.memberships") || s.contains("control.jobs"))
        .filter(|s| !s.trim_start().starts_with("//"))
    {
        checked += 1;
        let filtered = statement.contains("tenant_id = $");
        let inserted = statement.trim_start().starts_with("INSERT") && statement.contains("tenant_id");
        let ok = filtered || inserted || allowed.iter().any(|a| statement.contains(a));
        assert!(ok, "control statement without a tenant_id filter:\n{statement}");
    }
    assert!(checked >= 5, "the check found only {checked} statements");
}
