//! Cluster and database bootstrap: `truestock db init` (as a superuser) and the control-schema
//! migration (as `ts_owner`). Both are idempotent.

use migration::MigratorTrait as _;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement, TransactionTrait};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use migration::ControlMigrator;

/// What `db init` needs: the superuser URL and the two role URLs (for the database name and passwords).
pub struct InitPlan<'a> {
    pub superuser_url: &'a SecretString,
    pub database_url: &'a SecretString,
    pub owner_database_url: &'a SecretString,
}

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("{var}: {reason}")]
    Url { var: &'static str, reason: String },
    #[error("could not connect with TRUESTOCK_SUPERUSER_URL: {0}")]
    Connect(DbErr),
    #[error(transparent)]
    Db(#[from] DbErr),
}

struct RoleUrl {
    user: String,
    password: Option<String>,
    database: String,
}

fn role_url(var: &'static str, url: &SecretString, expected_user: &str) -> Result<RoleUrl, InitError> {
    let bad = |reason: String| InitError::Url { var, reason };
    let parsed = Url::parse(url.expose_secret()).map_err(|_| bad("not a URL".into()))?;
    let user = parsed.username().to_string();
    if user != expected_user {
        return Err(bad(format!("must connect as the role {expected_user}, not {user:?}")));
    }
    let database = parsed.path().trim_start_matches('/').to_string();
    let valid_name = !database.is_empty()
        && database.len() <= 63
        && database
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !database.as_bytes()[0].is_ascii_digit();
    if !valid_name {
        return Err(bad(format!(
            "database name {database:?} must be lowercase letters, digits and _"
        )));
    }
    // Decoded the way the driver decodes it (percent-decoding; `+` stays `+`), so the role gets the
    // password it will be asked for.
    let password = match parsed.password() {
        Some(p) => Some(
            percent_encoding::percent_decode_str(p)
                .decode_utf8()
                .map_err(|_| bad("the password is not valid UTF-8 once decoded".into()))?
                .into_owned(),
        ),
        None => None,
    };
    Ok(RoleUrl {
        user,
        password,
        database,
    })
}

/// `db init`: creates `ts_owner` and `ts_app` if missing, the database, its grants, and the `ext`
/// schema with `pg_trgm`. Safe to run again.
pub async fn init_database(plan: InitPlan<'_>) -> Result<String, InitError> {
    let app = role_url("TRUESTOCK_DATABASE_URL", plan.database_url, "ts_app")?;
    let owner = role_url("TRUESTOCK_OWNER_DATABASE_URL", plan.owner_database_url, "ts_owner")?;
    if app.database != owner.database {
        return Err(InitError::Url {
            var: "TRUESTOCK_OWNER_DATABASE_URL",
            reason: format!(
                "names database {:?} but TRUESTOCK_DATABASE_URL names {:?}",
                owner.database, app.database
            ),
        });
    }
    let superuser = super::super::connect(plan.superuser_url, 1)
        .await
        .map_err(InitError::Connect)?;
    ensure_roles(&superuser, &owner, &app).await?;
    ensure_database(&superuser, &app.database).await?;
    superuser.close().await?;

    // Inside the new database, still as the superuser: extensions may need it.
    let mut url = Url::parse(plan.superuser_url.expose_secret()).map_err(|_| InitError::Url {
        var: "TRUESTOCK_SUPERUSER_URL",
        reason: "not a URL".into(),
    })?;
    url.set_path(&app.database);
    let inside = super::super::connect(&SecretString::from(url.to_string()), 1)
        .await
        .map_err(InitError::Connect)?;
    inside
        .execute_unprepared(
            "REVOKE ALL ON SCHEMA public FROM PUBLIC;
             CREATE SCHEMA IF NOT EXISTS ext AUTHORIZATION ts_owner;
             CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA ext;",
        )
        .await?;
    inside.close().await?;
    Ok(app.database)
}

async fn ensure_roles(superuser: &DatabaseConnection, owner: &RoleUrl, app: &RoleUrl) -> Result<(), DbErr> {
    // Roles are cluster-wide; several databases (tests) may race to create them.
    superuser
        .execute_unprepared(
            "DO $$ BEGIN
                 IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ts_owner') THEN
                     CREATE ROLE ts_owner LOGIN CREATEROLE;
                 END IF;
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
             DO $$ BEGIN
                 IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ts_app') THEN
                     CREATE ROLE ts_app LOGIN NOINHERIT;
                 END IF;
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
             -- NOINHERIT is what keeps the bare pool from reading every tenant (TENANCY.md §2).
             ALTER ROLE ts_app NOINHERIT;",
        )
        .await?;
    for role in [owner, app] {
        if let Some(password) = &role.password {
            // Utility statements take no parameters: let the server quote the literal.
            let row = superuser
                .query_one_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text) AS sql",
                    [role.user.clone().into(), password.clone().into()],
                ))
                .await?
                .ok_or_else(|| DbErr::Custom("format() returned no row".into()))?;
            let sql: String = row.try_get("", "sql")?;
            superuser.execute_unprepared(&sql).await?;
        }
    }
    Ok(())
}

/// Whether the cluster has a database called `name`.
pub async fn database_exists(superuser: &DatabaseConnection, name: &str) -> Result<bool, DbErr> {
    let row = superuser
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT 1 AS one FROM pg_database WHERE datname = $1",
            [name.into()],
        ))
        .await?;
    Ok(row.is_some())
}

async fn ensure_database(superuser: &DatabaseConnection, name: &str) -> Result<(), DbErr> {
    let exists = database_exists(superuser, name).await?;
    if !exists {
        // `name` was checked to be [a-z0-9_]; CREATE DATABASE cannot run in a transaction or take $1.
        superuser
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\" OWNER ts_owner"))
            .await?;
    }
    configure_database(superuser, name).await
}

/// Database-level grants and role settings. These live in the cluster catalog, not in the database,
/// so a database cloned from a template needs them again (the test harness calls this).
pub async fn configure_database(superuser: &DatabaseConnection, name: &str) -> Result<(), DbErr> {
    superuser
        .execute_unprepared(&format!(
            "REVOKE ALL ON DATABASE \"{name}\" FROM PUBLIC;
             GRANT CONNECT ON DATABASE \"{name}\" TO ts_app, ts_owner;
             ALTER ROLE ts_app IN DATABASE \"{name}\" SET search_path = '';
             ALTER ROLE ts_owner IN DATABASE \"{name}\" SET search_path = '';"
        ))
        .await
        .map(|_| ())
}

/// Creates the `control` schema and applies its migrations, in one owner transaction.
pub async fn migrate_control(owner: &DatabaseConnection) -> Result<(), DbErr> {
    let txn = owner.begin().await?;
    txn.execute_unprepared(
        "SELECT pg_advisory_xact_lock(hashtextextended('truestock:control', 0));
         DO $$ BEGIN
             IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ts_tenant') THEN
                 CREATE ROLE ts_tenant NOLOGIN;
             END IF;
         EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
         CREATE SCHEMA IF NOT EXISTS control AUTHORIZATION ts_owner;
         GRANT USAGE ON SCHEMA control TO ts_app;
         GRANT USAGE ON SCHEMA ext TO ts_tenant, ts_app;
         ALTER DEFAULT PRIVILEGES FOR ROLE ts_owner IN SCHEMA control
             GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ts_app;
         ALTER DEFAULT PRIVILEGES FOR ROLE ts_owner IN SCHEMA control
             GRANT USAGE, SELECT ON SEQUENCES TO ts_app;
         SELECT set_config('search_path', 'control', true);",
    )
    .await?;
    ControlMigrator::up(&txn, None).await?;
    txn.execute_unprepared(
        "REVOKE ALL ON control.seaql_migrations FROM ts_app;
         GRANT SELECT ON control.seaql_migrations TO ts_app;",
    )
    .await?;
    txn.commit().await
}

/// Creates database `name` as a copy of `template` (tests and benchmarks start from a migrated
/// template), then applies the database-level settings a copy does not inherit.
pub async fn clone_database(superuser: &DatabaseConnection, template: &str, name: &str) -> Result<(), DbErr> {
    for db in [template, name] {
        if !is_plain_name(db) {
            return Err(DbErr::Custom(format!("invalid database name {db:?}")));
        }
    }
    superuser
        .execute_unprepared(&format!(
            "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\" OWNER ts_owner"
        ))
        .await?;
    configure_database(superuser, name).await
}

/// Drops database `name` and the roles of the tenants it held (roles are cluster-wide and would
/// otherwise outlive it). `superuser_url` may name any database of the cluster.
pub async fn drop_database(superuser_url: &SecretString, name: &str) -> Result<(), InitError> {
    if !is_plain_name(name) {
        return Err(InitError::Url {
            var: "TRUESTOCK_DATABASE_URL",
            reason: format!("invalid database name {name:?}"),
        });
    }
    let superuser = super::super::connect(superuser_url, 1)
        .await
        .map_err(InitError::Connect)?;
    let exists = database_exists(&superuser, name).await?;
    if !exists {
        return Ok(());
    }
    let mut url = Url::parse(superuser_url.expose_secret()).map_err(|_| InitError::Url {
        var: "TRUESTOCK_SUPERUSER_URL",
        reason: "not a URL".into(),
    })?;
    url.set_path(name);
    let inside = super::super::connect(&SecretString::from(url.to_string()), 1)
        .await
        .map_err(InitError::Connect)?;
    // A database that never got its control schema has no tenants (and no roles to drop).
    let has_tenants = inside
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT to_regclass('control.tenants') IS NOT NULL AS present",
        ))
        .await?
        .map(|row| row.try_get::<bool>("", "present"))
        .transpose()?
        .unwrap_or(false);
    let rows = if has_tenants {
        inside
            .query_all_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT 't_' || replace(id::text, '-', '') AS role FROM control.tenants",
            ))
            .await?
    } else {
        Vec::new()
    };
    let roles: Vec<String> = rows
        .iter()
        .filter_map(|row| row.try_get::<String>("", "role").ok())
        .filter(|role| crate::domain::tenant::is_schema_name(role))
        .collect();
    inside.close().await?;
    superuser
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await?;
    for role in roles {
        superuser
            .execute_unprepared(&format!("DROP ROLE IF EXISTS \"{role}\""))
            .await?;
    }
    superuser.close().await?;
    Ok(())
}

fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !name.as_bytes()[0].is_ascii_digit()
}
