//! Email through a real SMTP server inside the test (`email::sink::SmtpSink`, whose answers can be
//! scripted): the outbox commits with the change that causes it, delivery retries what is transient
//! and gives up on what is permanent, a worker killed mid-delivery costs at most one duplicate with the
//! same Message-ID, and the account emails' links work once and expire.

use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait as _, DbBackend, Statement, TransactionTrait as _};
use secrecy::{ExposeSecret as _, SecretString};
use uuid::Uuid;

use truestock::db::tenancy::with_tenant;
use truestock::domain::tenant::TenantId;
use truestock::email::outbox::{self, Audience, Email};
use truestock::email::sink::{Fault, Received, SmtpSink};
use truestock::email::{Mailer, account as account_emails};
use truestock::jobs::Queue;
use truestock::jobs::worker::{DrainReport, drain};

use crate::helpers::{TestApp, mailer, registry_with_mailer, texts};

const WAIT: Duration = Duration::from_secs(10);

async fn sink() -> SmtpSink {
    SmtpSink::start().await.expect("the SMTP sink listens")
}

/// Runs every due email job once.
async fn deliver(app: &TestApp, mailer: &Arc<Mailer>) -> DrainReport {
    let registry = registry_with_mailer(app, mailer.clone());
    drain(&app.app_db, &registry, &[Queue::Email]).await.unwrap()
}

/// Makes retried email jobs due now (instead of after their backoff).
async fn make_due(app: &TestApp) {
    app.su_exec("UPDATE control.jobs SET run_at = now() WHERE state = 'queued'")
        .await;
}

async fn outbox_text(app: &TestApp, id: Uuid, column: &str) -> Option<String> {
    let row = app
        .superuser_db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT {column}::text AS v FROM control.email_outbox WHERE id = '{id}'"),
        ))
        .await
        .unwrap()
        .expect("the outbox row");
    row.try_get::<Option<String>>("", "v").unwrap()
}

/// An alert-like email of a tenant (the alert emails themselves come with the alert rules).
fn tenant_email(to: &str, subject: &str) -> Email {
    Email {
        to: to.parse().unwrap(),
        template: "test_alert",
        subject: subject.into(),
        text: format!("{subject}\n\nSee the stock table."),
        html: format!("<p>{subject}</p>"),
        unsubscribe: None,
    }
}

/// The path of the first link in `text` that contains `marker`.
fn link_path(text: &str, marker: &str) -> String {
    let start = text
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} link in: {text}"));
    let end = text[start..]
        .find(|c: char| c.is_whitespace() || c == '"' || c == '<')
        .map_or(text.len(), |i| start + i);
    text[start..end].to_string()
}

#[tokio::test]
async fn a_rolled_back_transaction_sends_nothing_and_a_committed_one_exactly_one_message() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme", "Acme").await;
    let smtp = sink().await;
    let mailer = mailer(&app, Some(&smtp.url()));

    // Tenant code writes through the RLS policy; the rolled-back one leaves nothing.
    let email = tenant_email("buyer@acme.test", "Low stock: 3 SKUs");
    let rolled_back = with_tenant(&app.app_db, tenant, async |tx| -> Result<(), outbox::OutboxError> {
        outbox::enqueue(tx, &mailer, Audience::Tenant(tenant), &email).await?;
        Err(outbox::OutboxError::Build("the change failed".into()))
    })
    .await;
    assert!(rolled_back.is_err());
    let id = with_tenant(&app.app_db, tenant, async |tx| {
        outbox::enqueue(tx, &mailer, Audience::Tenant(tenant), &email).await
    })
    .await
    .unwrap();
    assert_eq!(app.su_number("SELECT count(*) AS n FROM control.email_outbox").await, 1);

    let report = deliver(&app, &mailer).await;
    assert_eq!((report.done, report.retrying, report.discarded), (1, 0, 0));
    let messages = smtp.wait_for(1, WAIT).await;
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert_eq!(m.to, vec!["buyer@acme.test".to_string()]);
    assert_eq!(m.from, "truestock@localhost");
    assert_eq!(m.subject(), "Low stock: 3 SKUs");
    assert_eq!(m.header("Message-ID"), Some(format!("<outbox-{id}@localhost>")));
    assert!(m.header("From").unwrap().contains("TrueStock"));
    assert!(m.header("Date").is_some());
    assert!(m.text_body().contains("See the stock table."));
    assert_eq!(m.html_body().trim(), "<p>Low stock: 3 SKUs</p>");
    assert_eq!(outbox_text(&app, id, "state").await.as_deref(), Some("sent"));
    // An alert keeps its body (an account email would not): the admins may retry it, and it is what
    // was sent, byte for byte.
    let stored = app
        .superuser_db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT message FROM control.email_outbox WHERE id = '{id}'"),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<Vec<u8>>("", "message")
        .unwrap();
    assert_eq!(stored, m.data);

    // Delivering again changes nothing: the job is done and the message is sent.
    assert_eq!(deliver(&app, &mailer).await.done, 0);
    assert_eq!(smtp.messages().len(), 1);
}

#[tokio::test]
async fn tenant_code_can_neither_write_nor_read_another_tenants_or_account_emails() {
    let app = TestApp::spawn().await;
    let acme = app.create_tenant("acme", "Acme").await;
    let other = app.create_tenant("other", "Other").await;
    let mailer = mailer(&app, None);
    let email = tenant_email("x@acme.test", "Hello");
    let as_other = with_tenant(&app.app_db, acme, async |tx| {
        outbox::enqueue(tx, &mailer, Audience::Tenant(other), &email).await
    })
    .await;
    assert!(as_other.is_err(), "the RLS policy pins rows to the tenant");
    let as_account = with_tenant(&app.app_db, acme, async |tx| {
        outbox::enqueue(tx, &mailer, Audience::Account, &email).await
    })
    .await;
    assert!(as_account.is_err(), "tenant code cannot write account emails");
    // An account email and the other tenant's alert exist; acme's role sees neither.
    outbox::enqueue(&app.app_db, &mailer, Audience::Account, &email)
        .await
        .unwrap();
    with_tenant(&app.app_db, other, async |tx| {
        outbox::enqueue(tx, &mailer, Audience::Tenant(other), &email).await
    })
    .await
    .unwrap();
    let schema = acme.schema_name();
    let role = schema.clone();
    let txn = app.superuser_db.begin().await.unwrap();
    txn.execute_unprepared(&format!("SET LOCAL ROLE {role}")).await.unwrap();
    let seen = txn
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT count(*) AS n FROM control.email_outbox",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    txn.rollback().await.unwrap();
    assert_eq!(seen, 0);
    let _ = TenantId::new();
}

#[tokio::test]
async fn answers_421_then_451_then_250_give_one_delivery_with_one_message_id() {
    let app = TestApp::spawn().await;
    let smtp = sink().await;
    smtp.script([Fault::Reply(421), Fault::Reply(451)]);
    let mailer = mailer(&app, Some(&smtp.url()));
    let email = account_emails::password_changed(&mailer, "Ada", "ada@acme.test").unwrap();
    let id = outbox::enqueue(&app.app_db, &mailer, Audience::Account, &email)
        .await
        .unwrap();

    let first = deliver(&app, &mailer).await;
    assert_eq!((first.done, first.retrying), (0, 1));
    assert_eq!(outbox_text(&app, id, "last_smtp_code").await.as_deref(), Some("421"));
    make_due(&app).await;
    let second = deliver(&app, &mailer).await;
    assert_eq!((second.done, second.retrying), (0, 1));
    assert_eq!(outbox_text(&app, id, "last_smtp_code").await.as_deref(), Some("451"));
    assert!(smtp.messages().is_empty());
    make_due(&app).await;
    assert_eq!(deliver(&app, &mailer).await.done, 1);

    let messages = smtp.wait_for(1, WAIT).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(
        messages[0].header("Message-ID"),
        Some(format!("<outbox-{id}@localhost>"))
    );
    assert_eq!(outbox_text(&app, id, "state").await.as_deref(), Some("sent"));
    assert_eq!(outbox_text(&app, id, "attempts").await.as_deref(), Some("3"));
    // An account email's body is purged once sent.
    assert_eq!(outbox_text(&app, id, "message").await, None);
}

#[tokio::test]
async fn a_dropped_connection_mid_data_and_a_stalling_server_are_retried() {
    let app = TestApp::spawn().await;
    let smtp = sink().await;
    smtp.script([Fault::DropMidData, Fault::Stall]);
    let mailer = mailer(&app, Some(&smtp.url()));
    let email = account_emails::password_changed(&mailer, "Ada", "ada@acme.test").unwrap();
    let id = outbox::enqueue(&app.app_db, &mailer, Audience::Account, &email)
        .await
        .unwrap();

    assert_eq!(deliver(&app, &mailer).await.retrying, 1, "dropped mid-DATA");
    make_due(&app).await;
    let started = std::time::Instant::now();
    assert_eq!(deliver(&app, &mailer).await.retrying, 1, "stalled past the timeout");
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "the 2 s timeout was waited for"
    );
    let error = outbox_text(&app, id, "last_error").await.unwrap();
    assert!(error.to_lowercase().contains("time"), "{error}");
    make_due(&app).await;
    assert_eq!(deliver(&app, &mailer).await.done, 1);
    assert_eq!(smtp.wait_for(1, WAIT).await.len(), 1);
    assert_eq!(outbox_text(&app, id, "state").await.as_deref(), Some("sent"));
}

#[tokio::test]
async fn a_550_is_not_retried_and_is_shown_to_the_tenants_admins_who_can_retry_it() {
    let app = TestApp::spawn().await;
    let acme = app.create_tenant("acme", "Acme").await;
    app.create_tenant("other", "Other").await;
    let admin = app.add_user("ada@acme.test", "acme", "admin").await;
    let viewer = app.add_user("vic@acme.test", "acme", "viewer").await;
    let other_admin = app.add_user("oz@other.test", "other", "admin").await;
    let smtp = sink().await;
    smtp.script([Fault::Reply(550)]);
    let mailer = mailer(&app, Some(&smtp.url()));
    let email = tenant_email("gone@acme.test", "Negative stock in Store 07");
    let id = with_tenant(&app.app_db, acme, async |tx| {
        outbox::enqueue(tx, &mailer, Audience::Tenant(acme), &email).await
    })
    .await
    .unwrap();

    let report = deliver(&app, &mailer).await;
    assert_eq!((report.done, report.retrying, report.discarded), (0, 0, 1));
    assert_eq!(outbox_text(&app, id, "state").await.as_deref(), Some("failed"));
    make_due(&app).await;
    assert_eq!(deliver(&app, &mailer).await.discarded, 0, "not retried");
    assert!(smtp.messages().is_empty());

    let client = app.signed_in(&admin).await;
    let (status, html) = client.get_html("/t/acme/settings/emails").await;
    assert_eq!(status, StatusCode::OK);
    assert!(texts(&html, "[role=alert]")[0].contains("1 alert email could not be delivered"));
    let row = texts(&html, "#emails tbody tr").join(" ");
    assert!(
        row.contains("gone@acme.test") && row.contains("failed") && row.contains("550"),
        "{row}"
    );
    assert_eq!(
        app.signed_in(&viewer)
            .await
            .get("/t/acme/settings/emails")
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    // Another tenant's admin neither sees nor retries it.
    let other = app.signed_in(&other_admin).await;
    let (_, html) = other.get_html("/t/other/settings/emails").await;
    assert!(!html.contains("gone@acme.test"));
    let token = other.csrf_token("/t/other/settings/emails").await;
    let res = other
        .post_form(&format!("/t/other/settings/emails/{id}/retry"), &[], &token)
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(outbox_text(&app, id, "state").await.as_deref(), Some("failed"));

    let token = client.csrf_token("/t/acme/settings/emails").await;
    let res = client
        .post_form(&format!("/t/acme/settings/emails/{id}/retry"), &[], &token)
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(deliver(&app, &mailer).await.done, 1);
    let messages = smtp.wait_for(1, WAIT).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(
        messages[0].header("Message-ID"),
        Some(format!("<outbox-{id}@localhost>"))
    );
    let (_, html) = client.get_html("/t/acme/settings/emails").await;
    assert!(texts(&html, "[role=alert]").is_empty());
}

const CHILD_DB: &str = "TRUESTOCK_TEST_EMAIL_DATABASE";
const CHILD_SMTP: &str = "TRUESTOCK_TEST_EMAIL_SMTP";

/// Not a test: the delivering process that the kill test starts (this test binary again, running only
/// this function) and kills. Does nothing when run without its database.
#[tokio::test]
#[ignore = "started as a child process by the kill test"]
async fn child_delivery() {
    let (Ok(url), Ok(smtp)) = (std::env::var(CHILD_DB), std::env::var(CHILD_SMTP)) else {
        return;
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let db = truestock::db::connect(&SecretString::from(url), 2).await.unwrap();
    let transport = truestock::email::Transport::with_timeout(&smtp, Duration::from_secs(600)).unwrap();
    let from = "TrueStock <truestock@localhost>".parse().unwrap();
    let key = truestock::config::SecretKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").unwrap();
    let signer = truestock::auth::signed_link::LinkSigner::derive(&key);
    let url = url::Url::parse("http://localhost").unwrap();
    let mailer = Arc::new(Mailer::new(from, url, signer, Some(transport)));
    let mut registry = truestock::jobs::Registry::default();
    registry.register(truestock::email::delivery::KIND, move |ctx| {
        truestock::email::delivery::run(ctx, mailer.clone())
    });
    drain(&db, &registry, &[Queue::Email]).await.unwrap();
}

struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn a_worker_killed_between_the_servers_250_and_the_commit_sends_one_duplicate_with_the_same_message_id() {
    let app = TestApp::spawn().await;
    let smtp = sink().await;
    // The server keeps the message but the worker never records its answer: it is killed first.
    smtp.script([Fault::KeepWithoutReply]);
    let mailer = mailer(&app, Some(&smtp.url()));
    let email = account_emails::password_changed(&mailer, "Ada", "ada@acme.test").unwrap();
    let id = outbox::enqueue(&app.app_db, &mailer, Audience::Account, &email)
        .await
        .unwrap();
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["email::child_delivery", "--exact", "--ignored", "--nocapture"])
        .env(CHILD_DB, app.settings.database_url.expose_secret())
        .env(CHILD_SMTP, smtp.url())
        .env("RUST_LOG", "warn")
        .spawn()
        .expect("the child starts");
    let mut child = Child(child);
    assert_eq!(
        smtp.wait_for(1, Duration::from_secs(60)).await.len(),
        1,
        "the server has it"
    );
    child.0.kill().unwrap(); // SIGKILL
    child.0.wait().unwrap();
    assert_eq!(outbox_text(&app, id, "state").await.as_deref(), Some("queued"));

    // The lease runs out; the job is rescued and runs again.
    app.su_exec("UPDATE control.jobs SET locked_until = now() - interval '1 second' WHERE state = 'running'")
        .await;
    truestock::db::jobs::rescue_expired(&app.app_db).await.unwrap();
    make_due(&app).await;
    assert_eq!(deliver(&app, &mailer).await.done, 1);
    let messages = smtp.wait_for(2, WAIT).await;
    assert_eq!(messages.len(), 2, "one duplicate");
    assert_eq!(messages[0].data, messages[1].data, "the same bytes");
    assert_eq!(
        messages[1].header("Message-ID"),
        Some(format!("<outbox-{id}@localhost>"))
    );
    assert_eq!(outbox_text(&app, id, "state").await.as_deref(), Some("sent"));
    make_due(&app).await;
    assert_eq!(deliver(&app, &mailer).await.done, 0);
    assert_eq!(smtp.messages().len(), 2, "and no more");
}

/// The one email in the sink for `to`.
fn only_email_to<'a>(messages: &'a [Received], to: &str) -> &'a Received {
    let found: Vec<&Received> = messages.iter().filter(|m| m.to == [to.to_string()]).collect();
    assert_eq!(found.len(), 1, "emails to {to}: {}", found.len());
    found[0]
}

async fn invite(
    client: &crate::helpers::TestClient,
    slug: &str,
    email: &str,
    name: &str,
    role: &str,
) -> reqwest::Response {
    let path = format!("/t/{slug}/settings/members");
    let token = client.csrf_token(&path).await;
    client
        .post_form(
            &format!("{path}/invite"),
            &[("email", email), ("name", name), ("role", role)],
            &token,
        )
        .await
}

async fn choose_password(client: &crate::helpers::TestClient, path: &str, password: &str) -> (StatusCode, String) {
    // Any page before sign-in gives the browser's token (a dead link's page has no form).
    let token = client.csrf_token("/account/forgot").await;
    let res = client
        .post_form(
            path,
            &[("new_password", password), ("confirm_password", password)],
            &token,
        )
        .await;
    (res.status(), res.text().await.unwrap())
}

#[tokio::test]
async fn an_invite_to_a_new_address_sets_a_password_through_a_link_that_works_once_and_expires() {
    let app = TestApp::spawn().await;
    app.create_tenant("acme", "Acme <Retail>").await;
    let admin = app.add_user("ada@acme.test", "acme", "admin").await;
    let smtp = sink().await;
    let mailer = mailer(&app, Some(&smtp.url()));
    let client = app.signed_in(&admin).await;

    let res = invite(&client, "acme", "nina@acme.test", "Nina <b>Bold</b>", "manager").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = client.get_html(res.headers()["location"].to_str().unwrap()).await;
    assert_eq!(texts(&html, "[role=status]"), vec!["Invitation sent."]);
    assert!(texts(&html, "tbody td").contains(&"Nina <b>Bold</b>".to_string()));
    // Refused: an invalid address, no role, and the same person again.
    assert_eq!(
        invite(&client, "acme", "not-an-email", "", "viewer").await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        invite(&client, "acme", "x@acme.test", "", "").await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let again = invite(&client, "acme", "NINA@acme.test", "", "viewer").await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("is a member of this tenant already")
    );

    deliver(&app, &mailer).await;
    let messages = smtp.wait_for(1, WAIT).await;
    assert_eq!(messages.len(), 1, "one invite; the refused ones sent nothing");
    let m = only_email_to(&messages, "nina@acme.test");
    assert_eq!(m.subject(), "ada invited you to Acme <Retail> on TrueStock");
    let html = m.html_body();
    // askama escapes `<` as `&#60;` and `>` as `&#62;`.
    assert!(
        html.contains("Nina &#60;b&#62;Bold&#60;/b&#62;") && html.contains("Acme &#60;Retail&#62;"),
        "{html}"
    );
    assert!(!html.contains("<b>Bold"));
    let path = link_path(&m.text_body(), "/account/invite/");
    assert!(
        m.text_body().contains(&format!("{}{path}", app.address)),
        "an absolute link into the app"
    );
    // Only the hash of the token is stored.
    let token = path.rsplit('/').next().unwrap();
    assert_eq!(
        app.su_number(&format!(
            "SELECT count(*) AS n FROM control.account_tokens WHERE token_hash = '{token}'"
        ))
        .await,
        0
    );

    // The invitee cannot sign in before choosing a password; the link opens without signing in.
    let invitee = app.client();
    let (status, html) = invitee.get_html(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("nina@acme.test"));
    let (status, _) = choose_password(&invitee, &path, "short").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, html) = choose_password(&invitee, &path, "a long enough password").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(invitee.session_token().is_none(), "choosing a password signs nobody in");
    assert_eq!(
        invitee
            .sign_in("nina@acme.test", "a long enough password")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(invitee.get("/t/acme/stock").await.status(), StatusCode::OK);

    // Once used, the link is dead.
    let stranger = app.client();
    assert_eq!(stranger.get(&path).await.status(), StatusCode::GONE);
    let (status, _) = choose_password(&stranger, &path, "another long password").await;
    assert_eq!(status, StatusCode::GONE);
    assert_eq!(
        stranger
            .sign_in("nina@acme.test", "another long password")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );

    // An expired invite link is dead too.
    invite(&client, "acme", "omar@acme.test", "", "viewer").await;
    deliver(&app, &mailer).await;
    let messages = smtp.wait_for(2, WAIT).await;
    let path = link_path(
        &only_email_to(&messages, "omar@acme.test").text_body(),
        "/account/invite/",
    );
    app.su_exec("UPDATE control.account_tokens SET expires_at = now() - interval '1 second' WHERE used_at IS NULL")
        .await;
    let late = app.client();
    assert_eq!(late.get(&path).await.status(), StatusCode::GONE);
}

#[tokio::test]
async fn inviting_another_tenants_account_only_adds_a_membership_and_its_emails_stay_out_of_reach() {
    let app = TestApp::spawn().await;
    app.create_tenant("alpha", "Tenant A").await;
    app.create_tenant("beta", "Tenant B").await;
    let member_of_a = app.add_user("sam@a.test", "alpha", "manager").await;
    let admin_b = app.add_user("bea@b.test", "beta", "admin").await;
    let smtp = sink().await;
    let mailer = mailer(&app, Some(&smtp.url()));
    let client = app.signed_in(&admin_b).await;

    assert_eq!(
        invite(&client, "beta", "sam@a.test", "Someone Else", "viewer")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    deliver(&app, &mailer).await;
    let messages = smtp.wait_for(1, WAIT).await;
    let m = only_email_to(&messages, "sam@a.test");
    assert_eq!(m.subject(), "You now have access to Tenant B on TrueStock");
    assert!(!m.text_body().contains("/account/invite/"), "no password link");
    assert_eq!(
        app.su_number("SELECT count(*) AS n FROM control.account_tokens").await,
        0
    );
    // The account is unchanged: same name, same password, and A's membership is untouched.
    let (_, html) = client.get_html("/t/beta/settings/members").await;
    assert!(!html.contains("Someone Else"));
    let sam = app.signed_in(&member_of_a).await;
    assert_eq!(sam.get("/t/beta").await.status(), StatusCode::OK);
    assert_eq!(sam.get("/t/alpha/stock").await.status(), StatusCode::OK);

    // B's admin cannot list or resend the account email, even once it failed.
    let id = app
        .su_number("SELECT count(*) AS n FROM control.email_outbox WHERE category = 'account'")
        .await;
    assert_eq!(id, 1);
    app.su_exec("UPDATE control.email_outbox SET state = 'failed'").await;
    let (_, html) = client.get_html("/t/beta/settings/emails").await;
    assert!(!html.contains("sam@a.test"));
    let row = app
        .superuser_db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT id::text AS id FROM control.email_outbox",
        ))
        .await
        .unwrap()
        .unwrap();
    let id: String = row.try_get("", "id").unwrap();
    let token = client.csrf_token("/t/beta/settings/emails").await;
    let res = client
        .post_form(&format!("/t/beta/settings/emails/{id}/retry"), &[], &token)
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.su_number("SELECT count(*) AS n FROM control.email_outbox WHERE state = 'failed'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_password_reset_link_works_once_expires_and_never_tells_whether_an_account_exists() {
    let app = TestApp::spawn().await;
    app.create_tenant("acme", "Acme").await;
    let user = app.add_user("ada@acme.test", "acme", "viewer").await;
    let smtp = sink().await;
    let mailer = mailer(&app, Some(&smtp.url()));
    let signed_in_elsewhere = app.signed_in(&user).await;

    let client = app.client();
    let ask = async |email: &str| {
        let token = client.csrf_token("/account/forgot").await;
        let res = client.post_form("/account/forgot", &[("email", email)], &token).await;
        (res.status(), res.text().await.unwrap())
    };
    let known = ask("ada@acme.test").await;
    let unknown = ask("nobody@acme.test").await;
    assert_eq!(known.0, StatusCode::OK);
    assert_eq!(known, unknown, "the same answer for an unknown address");
    assert_eq!(ask("not an address").await.0, StatusCode::UNPROCESSABLE_ENTITY);
    deliver(&app, &mailer).await;
    let messages = smtp.wait_for(1, WAIT).await;
    assert_eq!(messages.len(), 1, "nothing is sent to an unknown address");
    let m = only_email_to(&messages, "ada@acme.test");
    assert_eq!(m.subject(), "Reset your TrueStock password");
    let path = link_path(&m.text_body(), "/account/reset/");

    let (status, html) = choose_password(&client, &path, "my new long password").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(client.session_token().is_none());
    assert_eq!(
        client.sign_in("ada@acme.test", &user.password).await.status(),
        StatusCode::UNAUTHORIZED,
        "old password"
    );
    assert_eq!(
        client.sign_in("ada@acme.test", "my new long password").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        signed_in_elsewhere.get("/t/acme").await.status(),
        StatusCode::SEE_OTHER,
        "other sessions end"
    );
    let (status, _) = choose_password(&app.client(), &path, "yet another long one").await;
    assert_eq!(status, StatusCode::GONE, "used once");

    // The notice of the change.
    deliver(&app, &mailer).await;
    let messages = smtp.wait_for(2, WAIT).await;
    assert_eq!(messages[1].subject(), "Your TrueStock password was changed");
    assert!(messages[1].text_body().contains("/account/forgot"));

    // Within two minutes of a link, asking again sends nothing (the link is on its way)…
    let backdate = "UPDATE control.account_tokens SET created_at = created_at - interval '10 minutes'";
    ask("ada@acme.test").await;
    deliver(&app, &mailer).await;
    assert_eq!(smtp.wait_for(3, WAIT / 5).await.len(), 2, "no flood");
    // …later it does; of two links, the one used kills the other; an expired link is dead.
    app.su_exec(backdate).await;
    ask("ada@acme.test").await;
    app.su_exec(backdate).await;
    ask("ada@acme.test").await;
    deliver(&app, &mailer).await;
    let messages = smtp.wait_for(4, WAIT).await;
    let (third, fourth) = (
        link_path(&messages[2].text_body(), "/account/reset/"),
        link_path(&messages[3].text_body(), "/account/reset/"),
    );
    let (status, _) = choose_password(&app.client(), &fourth, "the fourth long password").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.client().get(&third).await.status(), StatusCode::GONE);
    app.su_exec(backdate).await;
    ask("ada@acme.test").await;
    deliver(&app, &mailer).await;
    let messages = smtp.wait_for(6, WAIT).await;
    let last = link_path(&messages.last().unwrap().text_body(), "/account/reset/");
    app.su_exec("UPDATE control.account_tokens SET expires_at = now() - interval '1 second' WHERE used_at IS NULL")
        .await;
    assert_eq!(app.client().get(&last).await.status(), StatusCode::GONE);
    assert_eq!(
        app.client().get("/account/other/abc").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn changing_ones_password_sends_a_notice() {
    let app = TestApp::spawn().await;
    app.create_tenant("acme", "Acme").await;
    let user = app.add_user("ada@acme.test", "acme", "viewer").await;
    let smtp = sink().await;
    let mailer = mailer(&app, Some(&smtp.url()));
    let client = app.signed_in(&user).await;
    let token = client.csrf_token("/account/password").await;
    let res = client
        .post_form(
            "/account/password",
            &[
                ("current_password", user.password.as_str()),
                ("new_password", "a brand new password"),
                ("confirm_password", "a brand new password"),
            ],
            &token,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    deliver(&app, &mailer).await;
    let messages = smtp.wait_for(1, WAIT).await;
    assert_eq!(
        only_email_to(&messages, "ada@acme.test").subject(),
        "Your TrueStock password was changed"
    );
}

#[tokio::test]
async fn the_dev_mailbox_shows_the_sinks_emails_only_in_dev_mode_with_a_sink() {
    let app = TestApp::spawn().await;
    assert_eq!(app.client().get("/dev/mail").await.status(), StatusCode::NOT_FOUND);

    let dev = TestApp::spawn_with_mailbox().await;
    let smtp = dev.mailbox.clone().expect("a dev app with a mailbox");
    let mailer = mailer(&dev, Some(&smtp.url()));
    let email = account_emails::password_changed(&mailer, "Ada <3", "ada@acme.test").unwrap();
    outbox::enqueue(&dev.app_db, &mailer, Audience::Account, &email)
        .await
        .unwrap();
    deliver(&dev, &mailer).await;
    smtp.wait_for(1, WAIT).await;
    let client = dev.client();
    let (status, html) = client.get_html("/dev/mail").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        texts(&html, "#mailbox tbody td a"),
        vec!["Your TrueStock password was changed"]
    );
    let (status, html) = client.get_html("/dev/mail/1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(texts(&html, "pre").join("").contains("Hello Ada <3"));
    let res = client.get("/dev/mail/1/html").await;
    assert!(
        res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("default-src 'none'")
    );
    assert!(res.text().await.unwrap().contains("Hello Ada &#60;3"));
    assert_eq!(client.get("/dev/mail/2").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(client.get("/dev/mail/0").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_queued_email_whose_delivery_job_is_gone_is_marked_failed_not_left_waiting() {
    let app = TestApp::spawn().await;
    let mailer = mailer(&app, None);
    let email = account_emails::password_changed(&mailer, "Ada", "ada@acme.test").unwrap();
    let id = outbox::enqueue(&app.app_db, &mailer, Audience::Account, &email)
        .await
        .unwrap();
    // Recent, or with a live job: left alone.
    assert_eq!(truestock::db::outbox::fail_orphaned(&app.app_db).await.unwrap(), 0);
    app.su_exec("UPDATE control.email_outbox SET created_at = now() - interval '1 hour'")
        .await;
    assert_eq!(truestock::db::outbox::fail_orphaned(&app.app_db).await.unwrap(), 0);
    // Its job discarded (a worker killed on the last attempt): failed, and the account email's body
    // (with its link) is gone.
    app.su_exec("UPDATE control.jobs SET state = 'discarded'").await;
    assert_eq!(truestock::db::outbox::fail_orphaned(&app.app_db).await.unwrap(), 1);
    assert_eq!(outbox_text(&app, id, "state").await.as_deref(), Some("failed"));
    assert_eq!(outbox_text(&app, id, "message").await, None);
}
