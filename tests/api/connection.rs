//! A tenant's Odoo connection against the simulator over HTTP: the key sealed at rest and bound to
//! its tenant, cleared when the address changes, a switch of Odoo database only after confirmation,
//! tests answered in plain words, the URL rules, key expiry warnings and alerts, refused keys' alerts,
//! key rotation, the sync settings (page and command), the audit log, and `truestock tenant connect`.

use std::net::SocketAddr;

use chrono::{Duration, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use secrecy::SecretString;

use truestock::auth::vault::{KeyRing, VaultError};
use truestock::config::SecretKey;
use truestock::db::audit::Actor;
use truestock::domain::tenant::TenantId;
use truestock::odoo::Reach;
use truestock::odoo::sim::{Dataset, RunningSimulator, SimConfig, Simulator};
use truestock::sync::connection::{self, ConnectionError, ConnectionSettings, KeyChange};

use crate::helpers::TestApp;

const KEY: &str = "sim-key-0123456789abcdef";

async fn simulator(version: u8) -> RunningSimulator {
    let mut config = SimConfig::new(version, Dataset::RetailS);
    config.api_key = KEY.into();
    let simulator = tokio::task::spawn_blocking(move || Simulator::new(config))
        .await
        .unwrap();
    RunningSimulator::start(simulator, SocketAddr::from(([127, 0, 0, 1], 0))).unwrap()
}

fn settings(sim: &RunningSimulator, key: Option<&str>) -> ConnectionSettings {
    ConnectionSettings {
        url: sim.url.clone(),
        database: sim.simulator.config.database.clone(),
        login: sim.simulator.config.login.clone(),
        api_key: key.map(|k| SecretString::from(k.to_string())),
        key_expires_on: None,
    }
}

fn actor() -> Actor {
    Actor {
        account_id: None,
        name: "Ada Admin".into(),
        email: "ada@acme.test".into(),
    }
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

async fn audit_actions(app: &TestApp, tenant: TenantId) -> Vec<(String, String)> {
    app.superuser_db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            format!(
                "SELECT action, details::text AS details FROM {}.audit_log ORDER BY id",
                tenant.schema_name()
            ),
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| (r.try_get("", "action").unwrap(), r.try_get("", "details").unwrap()))
        .collect()
}

#[tokio::test]
async fn a_connection_is_saved_sealed_tested_bound_and_audited_without_the_key() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme", "Acme").await;
    let sim = simulator(17).await;
    let ring = app.settings.key_ring().unwrap();
    let saved = connection::save(
        &app.app_db,
        &ring,
        tenant,
        &settings(&sim, Some(KEY)),
        Reach::Anywhere,
        false,
        &actor(),
    )
    .await
    .unwrap();
    assert_eq!(saved.key, KeyChange::Replaced);
    let outcome = connection::test(&app.app_db, &ring, tenant, Reach::Anywhere, &actor(), today())
        .await
        .unwrap();
    assert_eq!(outcome.status, "ok", "{outcome:?}");
    assert!(outcome.message.contains("Odoo 17"), "{}", outcome.message);
    assert!(
        outcome
            .findings
            .iter()
            .any(|(severity, text)| severity == "warning" && text.contains("can apply inventory counts")),
        "the test names who else can apply counts in Odoo: {:?}",
        outcome.findings
    );

    let row = app
        .superuser_db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            format!(
                "SELECT encode(key_ciphertext, 'escape') AS sealed, status, mirror_of FROM control.odoo_connections WHERE tenant_id = '{}'",
                tenant.as_uuid()
            ),
        ))
        .await
        .unwrap()
        .unwrap();
    assert!(
        !row.try_get::<String>("", "sealed").unwrap().contains(KEY),
        "the key is stored sealed"
    );
    assert_eq!(row.try_get::<String>("", "status").unwrap(), "ok");
    assert!(
        row.try_get::<Option<String>>("", "mirror_of").unwrap().is_some(),
        "bound to this database"
    );

    let actions = audit_actions(&app, tenant).await;
    let names: Vec<&str> = actions.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(names, ["odoo.connection.saved", "odoo.connection.tested"]);
    assert!(
        actions.iter().all(|(_, details)| !details.contains(KEY)),
        "the key never reaches the log"
    );
    sim.stop().await;
}

#[tokio::test]
async fn changing_the_address_clears_the_key_and_another_database_needs_confirmation() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme", "Acme").await;
    let sim = simulator(17).await;
    let ring = app.settings.key_ring().unwrap();
    let save = async |s: &ConnectionSettings, confirm: bool| {
        connection::save(&app.app_db, &ring, tenant, s, Reach::Anywhere, confirm, &actor()).await
    };
    save(&settings(&sim, Some(KEY)), false).await.unwrap();
    connection::test(&app.app_db, &ring, tenant, Reach::Anywhere, &actor(), today())
        .await
        .unwrap();
    // Same address, no new key: kept.
    assert_eq!(save(&settings(&sim, None), false).await.unwrap().key, KeyChange::Kept);
    // Another login without a key: the stored key is not sent to anyone else.
    let mut other_login = settings(&sim, None);
    other_login.login = "someone-else@north-retail.example".into();
    assert_eq!(save(&other_login, false).await.unwrap().key, KeyChange::Cleared);
    let opened = connection::open_client(&app.app_db, &ring, tenant, Reach::Anywhere).await;
    assert!(matches!(opened, Err(ConnectionError::NoKey)));

    // Another database of the same server: refused until confirmed, then the mirror is reset.
    let mut other_db = settings(&sim, Some(KEY));
    other_db.database = "another-db".into();
    let refused = save(&other_db, false).await.unwrap_err();
    assert!(matches!(refused, ConnectionError::OtherDatabase { .. }), "{refused}");
    assert!(refused.to_string().contains("confirm"), "{refused}");
    let confirmed = save(&other_db, true).await.unwrap();
    assert!(confirmed.mirror_reset);
    let names: Vec<String> = audit_actions(&app, tenant).await.into_iter().map(|(a, _)| a).collect();
    assert!(names.contains(&"odoo.mirror.reset".to_string()), "{names:?}");
    sim.stop().await;
}

#[tokio::test]
async fn a_sealed_key_copied_into_another_tenants_row_does_not_open() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let app = TestApp::spawn().await;
    let a = app.create_tenant("acme", "Acme").await;
    let b = app.create_tenant("bolt", "Bolt").await;
    let sim = simulator(17).await;
    let ring = app.settings.key_ring().unwrap();
    for tenant in [a, b] {
        let key = if tenant == a { KEY } else { "bolt-has-another-key" };
        connection::save(
            &app.app_db,
            &ring,
            tenant,
            &settings(&sim, Some(key)),
            Reach::Anywhere,
            false,
            &actor(),
        )
        .await
        .unwrap();
    }
    app.su_exec(&format!(
        "UPDATE control.odoo_connections b SET key_id = a.key_id, key_nonce = a.key_nonce, key_ciphertext = a.key_ciphertext
           FROM control.odoo_connections a WHERE a.tenant_id = '{}' AND b.tenant_id = '{}'",
        a.as_uuid(),
        b.as_uuid()
    ))
    .await;
    let opened = connection::open_client(&app.app_db, &ring, b, Reach::Anywhere).await;
    assert!(matches!(opened, Err(ConnectionError::Vault(VaultError::Tampered))));
    assert!(
        connection::open_client(&app.app_db, &ring, a, Reach::Anywhere)
            .await
            .unwrap()
            .is_ok()
    );
    sim.stop().await;
}

#[tokio::test]
async fn failed_tests_are_told_in_plain_words_and_the_url_rules_hold_outside_dev() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme", "Acme").await;
    let sim = simulator(17).await;
    let ring = app.settings.key_ring().unwrap();
    let test = async |reach| {
        connection::test(&app.app_db, &ring, tenant, reach, &actor(), today())
            .await
            .unwrap()
    };
    // A wrong key.
    connection::save(
        &app.app_db,
        &ring,
        tenant,
        &settings(&sim, Some("wrong")),
        Reach::Anywhere,
        false,
        &actor(),
    )
    .await
    .unwrap();
    let bad = test(Reach::Anywhere).await;
    assert_eq!(bad.status, "credential_invalid");
    assert!(bad.message.contains("API key"), "{}", bad.message);
    // Nobody listening.
    let mut gone = settings(&sim, Some(KEY));
    gone.url = "http://127.0.0.1:9".into();
    connection::save(&app.app_db, &ring, tenant, &gone, Reach::Anywhere, false, &actor())
        .await
        .unwrap();
    let unreachable = test(Reach::Anywhere).await;
    assert_eq!(unreachable.status, "unreachable");
    assert!(
        !unreachable.message.to_lowercase().contains("error"),
        "{}",
        unreachable.message
    );
    // Outside dev: plain http and private addresses are refused when saving...
    for url in [
        "http://odoo.example.com",
        "https://127.0.0.1",
        "https://169.254.169.254",
        "https://acme.odoo.com/web",
    ] {
        let mut refused = settings(&sim, Some(KEY));
        refused.url = url.into();
        let error = connection::save(&app.app_db, &ring, tenant, &refused, Reach::PublicOnly, false, &actor())
            .await
            .unwrap_err();
        assert!(matches!(error, ConnectionError::Invalid(_)), "{url}: {error}");
    }
    // ...and a name that resolves to one is refused when connecting.
    let mut local_name = settings(&sim, Some(KEY));
    local_name.url = format!("https://localhost:{}", sim.url.rsplit(':').next().unwrap());
    connection::save(
        &app.app_db,
        &ring,
        tenant,
        &local_name,
        Reach::PublicOnly,
        false,
        &actor(),
    )
    .await
    .unwrap();
    let refused = test(Reach::PublicOnly).await;
    assert_eq!(refused.status, "refused", "{refused:?}");
    sim.stop().await;
}

#[tokio::test]
async fn odoo_19_keys_warn_before_they_expire() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme", "Acme").await;
    let sim = simulator(19).await;
    let ring = app.settings.key_ring().unwrap();
    let mut input = settings(&sim, Some(KEY));
    connection::save(&app.app_db, &ring, tenant, &input, Reach::Anywhere, false, &actor())
        .await
        .unwrap();
    let unknown = connection::test(&app.app_db, &ring, tenant, Reach::Anywhere, &actor(), today())
        .await
        .unwrap();
    assert!(
        unknown.warnings.iter().any(|w| w.contains("expiry date")),
        "{unknown:?}"
    );
    input.key_expires_on = Some(today() + Duration::days(10));
    connection::save(&app.app_db, &ring, tenant, &input, Reach::Anywhere, false, &actor())
        .await
        .unwrap();
    let soon = connection::test(&app.app_db, &ring, tenant, Reach::Anywhere, &actor(), today())
        .await
        .unwrap();
    assert_eq!(soon.status, "ok");
    assert!(soon.warnings.iter().any(|w| w.contains("expires on")), "{soon:?}");
    let later = connection::test(
        &app.app_db,
        &ring,
        tenant,
        Reach::Anywhere,
        &actor(),
        today() - Duration::days(30),
    )
    .await
    .unwrap();
    assert!(later.warnings.is_empty(), "{later:?}");
    sim.stop().await;
}

#[tokio::test]
async fn rotating_the_master_key_reseals_every_stored_key() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme", "Acme").await;
    let sim = simulator(17).await;
    let old = app.settings.key_ring().unwrap();
    connection::save(
        &app.app_db,
        &old,
        tenant,
        &settings(&sim, Some(KEY)),
        Reach::Anywhere,
        false,
        &actor(),
    )
    .await
    .unwrap();
    let new_key = SecretKey::generate();
    let rotated = KeyRing::new(&new_key, &[app.settings.master_key().unwrap().clone()]);
    let report = connection::rotate_keys(&app.app_db, &rotated).await.unwrap();
    assert_eq!((report.resealed, report.current, report.failed.len()), (1, 0, 0));
    let only_new = KeyRing::new(&new_key, &[]);
    assert!(
        connection::open_client(&app.app_db, &only_new, tenant, Reach::Anywhere)
            .await
            .unwrap()
            .is_ok()
    );
    let again = connection::rotate_keys(&app.app_db, &rotated).await.unwrap();
    assert_eq!((again.resealed, again.current), (0, 1));
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connect_command_reads_the_key_from_a_file_and_reports_the_test() {
    let app = TestApp::spawn().await;
    app.create_tenant("acme", "Acme").await;
    let sim = simulator(17).await;
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("odoo.key");
    std::fs::write(&key_file, format!("{KEY}\n")).unwrap();
    // The simulator keeps answering on the runtime's other thread while this one waits.
    let run = |extra: &[&str]| {
        app.command(&["tenant", "connect", "acme", "--url", &sim.url, "--db"])
            .arg(&sim.simulator.config.database)
            .args(["--login", &sim.simulator.config.login])
            .args(extra)
            .output()
            .unwrap()
    };
    let first = run(&["--api-key-file", key_file.to_str().unwrap()]);
    let out = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(
        out.contains("API key stored (encrypted)") && out.contains("Connected to Odoo 17"),
        "{out}"
    );
    assert!(!out.contains(KEY));
    let second = run(&[]);
    let out = String::from_utf8_lossy(&second.stdout);
    assert!(second.status.success() && out.contains("API key kept"), "{out}");
    assert!(
        out.contains("a pull every 5 min; the first sync reads 24 months back"),
        "{out}"
    );
    let refused = run(&["--pull-every-minutes", "0"]);
    assert!(!refused.status.success(), "clap refuses an interval out of range");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("1..=1440"));
    let changed = run(&["--pull-every-minutes", "60", "--horizon-months", "12"]);
    let out = String::from_utf8_lossy(&changed.stdout);
    assert!(changed.status.success(), "{out}");
    assert!(
        out.contains("a pull every 60 min; the first sync reads 12 months back"),
        "{out}"
    );
    let kept = run(&["--horizon-months", "6"]);
    let out = String::from_utf8_lossy(&kept.stdout);
    assert!(
        out.contains("a pull every 60 min; the first sync reads 6 months back"),
        "{out}"
    );
    sim.stop().await;
}

#[tokio::test]
async fn a_tenant_admin_connects_odoo_in_the_browser_and_only_admins_may() {
    use reqwest::StatusCode;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let app = TestApp::spawn_with(true).await; // dev mode: the simulator's loopback address is allowed
    let tenant = app.create_tenant("acme", "Acme").await;
    let sim = simulator(17).await;
    let admin = app
        .signed_in(&app.add_user("ada@acme.test", "acme", "admin").await)
        .await;
    let (status, html) = admin.get_html("/t/acme/settings/odoo").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("not connected"));
    let token = admin.csrf_token("/t/acme/settings/odoo").await;
    let fields = [
        ("url", sim.url.as_str()),
        ("database", sim.simulator.config.database.as_str()),
        ("login", sim.simulator.config.login.as_str()),
        ("api_key", KEY),
        ("key_expires_on", ""),
    ];
    let res = admin.post_form("/t/acme/settings/odoo", &fields, &token).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("Connected to Odoo 17"), "{html}");
    assert!(!html.contains(KEY), "the key is never shown back");
    // Bad input comes back to the form with a reason, nothing saved.
    let bad = [
        ("url", "ftp://odoo"),
        ("database", "x"),
        ("login", "y"),
        ("api_key", ""),
        ("key_expires_on", "soon"),
    ];
    let res = admin.post_form("/t/acme/settings/odoo", &bad, &token).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Sync settings: out of range or not a number is a 422 with the reason, and nothing is saved.
    let settings_of = "SELECT (pull_every_minutes * 1000 + horizon_months)::bigint AS n FROM control.odoo_connections";
    assert_eq!(
        app.su_number(settings_of).await,
        5_024,
        "defaults: every 5 minutes, 24 months back"
    );
    for (minutes, months, reason) in [
        ("0", "24", "1 to 1440 minutes"),
        ("1441", "24", "1 to 1440 minutes"),
        ("5", "121", "1 to 120 months"),
        ("often", "24", "whole minutes"),
    ] {
        let form = [("pull_every_minutes", minutes), ("horizon_months", months)];
        let res = admin.post_form("/t/acme/settings/odoo/schedule", &form, &token).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{minutes}/{months}");
        let html = res.text().await.unwrap();
        assert!(html.contains(reason), "{minutes}/{months}: {html}");
    }
    assert_eq!(app.su_number(settings_of).await, 5_024, "nothing saved");
    let form = [("pull_every_minutes", "15"), ("horizon_months", "36")];
    let res = admin.post_form("/t/acme/settings/odoo/schedule", &form, &token).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("Sync settings saved."));
    assert_eq!(app.su_number(settings_of).await, 15_036);
    let audited = audit_actions(&app, tenant).await;
    assert!(
        audited
            .iter()
            .any(|(action, details)| action == "odoo.sync_settings.saved" && details.contains("\"horizon_months\": 36")),
        "{audited:?}"
    );
    // The webhook URL is shown once.
    let res = admin.post_form("/t/acme/settings/odoo/webhook", &[], &token).await;
    let html = res.text().await.unwrap();
    assert!(html.contains("/hooks/odoo/"), "{html}");
    let (_, again) = admin.get_html("/t/acme/settings/odoo").await;
    assert!(!again.contains("/hooks/odoo/") && again.contains("A webhook URL is set"));
    let manager = app
        .signed_in(&app.add_user("mo@acme.test", "acme", "manager").await)
        .await;
    assert_eq!(manager.get_html("/t/acme/settings/odoo").await.0, StatusCode::FORBIDDEN);
    sim.stop().await;
}

async fn open_alerts(app: &TestApp, tenant: TenantId, kind: &str) -> i64 {
    app.su_number(&format!(
        "SELECT count(*) AS n FROM {}.alerts WHERE kind = '{kind}' AND resolved_at IS NULL",
        tenant.schema_name()
    ))
    .await
}

#[tokio::test]
async fn a_refused_key_opens_one_alert_that_a_working_key_resolves() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme", "Acme").await;
    let sim = simulator(17).await;
    let ring = app.settings.key_ring().unwrap();
    let test = async || {
        connection::test(&app.app_db, &ring, tenant, Reach::Anywhere, &actor(), today())
            .await
            .unwrap()
    };
    let save = async |key: &str| {
        connection::save(
            &app.app_db,
            &ring,
            tenant,
            &settings(&sim, Some(key)),
            Reach::Anywhere,
            false,
            &actor(),
        )
        .await
        .unwrap()
    };
    save("not-the-key").await;
    assert_eq!(test().await.status, "credential_invalid");
    assert_eq!(test().await.status, "credential_invalid");
    assert_eq!(
        open_alerts(&app, tenant, "credential_invalid").await,
        1,
        "one open alert, not two"
    );
    save(KEY).await;
    assert_eq!(test().await.status, "ok");
    assert_eq!(open_alerts(&app, tenant, "credential_invalid").await, 0, "resolved");
    sim.stop().await;
}

#[tokio::test]
async fn the_maintenance_job_alerts_admins_to_a_key_expiring_within_14_days_until_it_is_replaced() {
    use truestock::jobs::{self, NewJob, Queue, maintenance, worker::drain};
    let _ = rustls::crypto::ring::default_provider().install_default();
    let app = TestApp::spawn().await;
    let soon = app.create_tenant("acme", "Acme").await;
    let later = app.create_tenant("bolt", "Bolt").await;
    let sim = simulator(19).await;
    let ring = app.settings.key_ring().unwrap();
    let mut input = settings(&sim, Some(KEY));
    input.key_expires_on = Some(today() + Duration::days(30));
    for tenant in [soon, later] {
        connection::save(&app.app_db, &ring, tenant, &input, Reach::Anywhere, false, &actor())
            .await
            .unwrap();
    }
    // Time passes: acme's key now expires in 10 days, bolt's in 30.
    app.su_exec(&format!(
        "UPDATE control.odoo_connections SET key_expires_on = current_date + 10 WHERE tenant_id = '{}'",
        soon.as_uuid()
    ))
    .await;
    let registry = crate::helpers::production_registry(&app);
    let maintain = async || {
        let job = NewJob::new(Queue::Maintenance, maintenance::KIND);
        jobs::enqueue(&app.app_db, &job).await.unwrap().unwrap();
        let report = drain(&app.app_db, &registry, &[Queue::Maintenance]).await.unwrap();
        assert_eq!(report.done, 1, "{report:?}");
    };
    maintain().await;
    maintain().await;
    assert_eq!(open_alerts(&app, soon, "key_expiring").await, 1);
    assert_eq!(
        open_alerts(&app, later, "key_expiring").await,
        0,
        "30 days ahead is not yet"
    );
    let message = app
        .superuser_db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT message FROM {}.alerts", soon.schema_name()),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<String>("", "message")
        .unwrap();
    let expiry = today() + Duration::days(10);
    assert!(
        message.contains(&format!("expires on {expiry}")) && message.contains("create a new API key"),
        "{message}"
    );
    // A new key with a later expiry resolves it, and the next review leaves it resolved.
    input.api_key = Some(SecretString::from(KEY.to_string()));
    input.key_expires_on = Some(today() + Duration::days(90));
    connection::save(&app.app_db, &ring, soon, &input, Reach::Anywhere, false, &actor())
        .await
        .unwrap();
    assert_eq!(open_alerts(&app, soon, "key_expiring").await, 0);
    maintain().await;
    assert_eq!(open_alerts(&app, soon, "key_expiring").await, 0);
    sim.stop().await;
}
