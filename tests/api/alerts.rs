//! Alert rules end to end, on the simulator's data over real HTTP and a real SMTP server in the test:
//! a low-stock rule fires once when a priority SKU runs out in a store, stays quiet while it stays out,
//! and fires again only after it recovered and ran out again; recipients are resolved by role, scope
//! and name; an external address gets nothing before it confirms; the unsubscribe link works without
//! a sign-in, cannot be forged, and its GET changes nothing; digests wait for the tenant's hour.

use std::time::Duration;

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait as _, DbBackend, Statement};
use truestock::domain::tenant::TenantId;
use truestock::email::sink::{Received, SmtpSink};
use truestock::jobs::Queue;
use truestock::jobs::worker::drain;
use truestock::odoo::sim::RunningSimulator;

use crate::helpers::{TestApp, TestClient, mailer, pull_and_refresh, registry_with_mailer, synced_tenant, texts};

const WAIT: Duration = Duration::from_millis(1500);

/// A product that is fine in a store with stock on a few quants there.
struct Target {
    product: i64,
    sku: String,
    group: String,
    group_name: String,
    quants: Vec<(i64, f64)>,
}

async fn text_of(app: &TestApp, sql: &str) -> String {
    let row = app
        .superuser_db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .unwrap()
        .expect("a row");
    row.try_get::<String>("", "v").unwrap()
}

async fn pick_target(app: &TestApp, tenant: TenantId) -> Target {
    let schema = tenant.schema_name();
    let found = text_of(
        app,
        &format!(
            "SELECT p.product_id || '|' || p.sku || '|' || s.group_id || '|' || g.name AS v
             FROM {schema}.stock_positions p
             JOIN {schema}.stock_scopes s ON s.id = p.scope_id AND s.kind = 'group'
             JOIN {schema}.location_groups g ON g.id = s.group_id
             WHERE p.status = 'ok' AND p.on_hand > 0 AND p.sku IS NOT NULL AND g.kind = 'store'
             ORDER BY p.on_hand DESC, p.product_id LIMIT 1"
        ),
    )
    .await;
    let parts: Vec<&str> = found.splitn(4, '|').collect();
    let (product, sku, group, group_name) = (parts[0].parse().unwrap(), parts[1], parts[2], parts[3]);
    let rows = app
        .superuser_db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            format!(
                "SELECT q.odoo_id, q.quantity FROM {schema}.odoo_stock_quant q
                 WHERE q.product_id = {product} AND q.location_id IN (
                     SELECT sl.location_id FROM {schema}.stock_scope_locations sl
                     JOIN {schema}.stock_scopes s ON s.id = sl.scope_id
                     WHERE s.kind = 'group' AND s.group_id = '{group}')"
            ),
        ))
        .await
        .unwrap();
    let quants = rows
        .iter()
        .map(|r| {
            (
                r.try_get::<i64>("", "odoo_id").unwrap(),
                r.try_get::<f64>("", "quantity").unwrap(),
            )
        })
        .collect();
    Target {
        product,
        sku: sku.into(),
        group: group.into(),
        group_name: group_name.into(),
        quants,
    }
}

/// Sets the target's quants in the store (in the simulated Odoo, by ORM writes).
fn set_quants(sim: &RunningSimulator, target: &Target, restore: bool) {
    use truestock::odoo::sim::dataset::BOT_UID;
    sim.simulator.with_store_mut(|store| {
        for (quant, quantity) in &target.quants {
            let vals = serde_json::json!({ "quantity": if restore { *quantity } else { 0.0 } });
            let vals = vals.as_object().unwrap().clone();
            store
                .write_at(
                    "stock.quant",
                    &[*quant],
                    &vals,
                    BOT_UID,
                    truestock::odoo::sim::store::now(),
                )
                .unwrap();
        }
    });
}

/// A pull and stock refresh, then every email job (the evaluation and the deliveries it queues).
async fn sync_and_mail(app: &TestApp, tenant: TenantId, smtp: &SmtpSink) {
    let registry = registry_with_mailer(app, mailer(app, Some(&smtp.url())));
    pull_and_refresh(app, tenant, &registry).await;
    mail(app, smtp).await;
}

async fn mail(app: &TestApp, smtp: &SmtpSink) {
    let registry = registry_with_mailer(app, mailer(app, Some(&smtp.url())));
    let report = drain(&app.app_db, &registry, &[Queue::Email]).await.unwrap();
    assert_eq!((report.retrying, report.discarded), (0, 0), "{report:?}");
}

fn to(messages: &[Received], address: &str) -> Vec<Received> {
    messages
        .iter()
        .filter(|m| m.to == [address.to_string()])
        .cloned()
        .collect()
}

async fn create_rule(client: &TestClient, fields: &[(&str, &str)]) -> reqwest::Response {
    let token = client.csrf_token("/t/acme/settings/alerts").await;
    client.post_form("/t/acme/settings/alerts", fields, &token).await
}

fn link_path(text: &str, marker: &str) -> String {
    let start = text.find(marker).unwrap_or_else(|| panic!("no {marker} in {text}"));
    let end = text[start..]
        .find(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '>')
        .map_or(text.len(), |i| start + i);
    text[start..end].replace("&amp;", "&")
}

#[tokio::test]
async fn a_low_stock_rule_fires_once_and_again_only_after_the_sku_recovered() {
    let (app, _, tenant, sim) = synced_tenant(17).await;
    let smtp = SmtpSink::start().await.unwrap();
    let target = pick_target(&app, tenant).await;
    // A product name with markup, as Odoo may hold it: the HTML email must show it as text.
    sim.simulator.with_store_mut(|store| {
        use truestock::odoo::sim::dataset::BOT_UID;
        let at = truestock::odoo::sim::store::now();
        let template = store
            .get("product.product", target.product, "product_tmpl_id")
            .as_id()
            .unwrap();
        let name = serde_json::json!({ "name": "Tee <b>\"Bold\"</b> & Co" });
        store
            .write_at("product.template", &[template], name.as_object().unwrap(), BOT_UID, at)
            .unwrap();
        // The variant's display name follows its template's; touch it so the next pull reads it again.
        let same = serde_json::json!({ "default_code": target.sku });
        store
            .write_at(
                "product.product",
                &[target.product],
                same.as_object().unwrap(),
                BOT_UID,
                at,
            )
            .unwrap();
    });
    let admin = app.add_user("ada@acme.test", "acme", "admin").await;
    let max_user = app.add_user("max@acme.test", "acme", "manager").await;
    let scoped = app.add_user("sol@acme.test", "acme", "manager").await;
    let other_group = text_of(
        &app,
        &format!(
            "SELECT id::text AS v FROM {}.location_groups WHERE id <> '{}' AND kind <> 'region' ORDER BY name LIMIT 1",
            tenant.schema_name(),
            target.group
        ),
    )
    .await;
    app.su_exec(&format!(
        "UPDATE control.memberships m SET scope_group_ids = ARRAY['{other_group}']::uuid[]
         FROM control.accounts a WHERE a.id = m.account_id AND a.email = '{}'",
        scoped.email
    ))
    .await;
    let client = app.signed_in(&admin).await;

    // Refused: no SKUs, an unknown SKU, nobody to send to.
    let base = [
        ("name", "Top sellers"),
        ("kind", "low_stock"),
        ("group", target.group.as_str()),
    ];
    let with = |extra: &[(&'static str, &str)]| -> Vec<(&str, String)> {
        base.iter()
            .chain(extra.iter())
            .map(|(k, v)| (*k, v.to_string()))
            .collect()
    };
    for (fields, why) in [
        (with(&[("role", "manager")]), "List the priority SKUs"),
        (
            with(&[("skus", "NO-SUCH-SKU"), ("role", "manager")]),
            "No product has the SKU NO-SUCH-SKU",
        ),
        (with(&[("skus", &target.sku)]), "Choose who receives"),
        (
            with(&[("skus", &target.sku), ("externals", "not an address")]),
            "is not an email address",
        ),
    ] {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = create_rule(&client, &fields).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().await.unwrap().contains(why), "{why}");
    }
    let res = create_rule(
        &client,
        &[
            ("name", "Top sellers"),
            ("kind", "low_stock"),
            ("group", &target.group),
            ("skus", &target.sku),
            ("role", "manager"),
            ("externals", "Bea Buyer <buyer@supplier.test>"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = client.get_html("/t/acme/settings/alerts").await;
    assert!(
        texts(&html, "#rules td")
            .join(" ")
            .contains("buyer@supplier.test (waiting for confirmation)")
    );
    mail(&app, &smtp).await;
    let confirmation = to(&smtp.wait_for(1, WAIT).await, "buyer@supplier.test");
    assert_eq!(confirmation.len(), 1);
    assert!(
        confirmation[0]
            .subject()
            .starts_with("Confirm that you want TrueStock alerts")
    );
    let confirm_path = link_path(&confirmation[0].text_body(), "/alerts/confirm/");

    // Out of stock in the store: one email to the whole-tenant manager; not to the manager of another
    // store, nor to the unconfirmed address.
    set_quants(&sim, &target, false);
    sync_and_mail(&app, tenant, &smtp).await;
    let messages = smtp.wait_for(2, WAIT).await;
    let first = to(&messages, "max@acme.test");
    assert_eq!(first.len(), 1, "one alert");
    assert_eq!(
        first[0].subject(),
        format!("[Acme] A priority SKU is low or out of stock in {}", target.group_name)
    );
    let text = first[0].text_body();
    assert!(text.contains(&target.sku) && text.contains("out"), "{text}");
    let link = link_path(&text, "/t/acme/stock?");
    assert!(
        link.contains(&format!("at=group:{}", target.group)) && link.contains("status=out"),
        "{link}"
    );
    let html = first[0].html_body();
    assert!(
        html.contains("Tee &#60;b&#62;&#34;Bold&#34;&#60;/b&#62; &#38; Co"),
        "{html}"
    );
    assert!(!html.contains("<b>\"Bold\""));
    let unsubscribe = first[0].header("List-Unsubscribe").expect("List-Unsubscribe");
    assert!(
        unsubscribe.starts_with('<') && unsubscribe.contains("/unsubscribe/"),
        "{unsubscribe}"
    );
    assert_eq!(
        first[0].header("List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    assert!(to(&messages, "sol@acme.test").is_empty(), "scoped to another store");
    assert!(
        to(&messages, "ada@acme.test").is_empty(),
        "admins have no manager role here"
    );
    assert_eq!(
        to(&messages, "buyer@supplier.test").len(),
        1,
        "only the confirmation request"
    );
    // The link opens the exact view after sign-in.
    let manager = app.client();
    let res = manager.get(&link).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(res.headers()["location"].to_str().unwrap().starts_with("/login?next="));

    // Still out at the next sync: nothing new.
    sync_and_mail(&app, tenant, &smtp).await;
    assert_eq!(smtp.wait_for(3, WAIT).await.len(), 2);

    // The buyer confirms: the GET only asks, the POST confirms.
    let buyer = app.client();
    let (status, page) = buyer.get_html(&confirm_path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("buyer@supplier.test"));
    let schema = tenant.schema_name();
    let confirmed = format!("SELECT count(*) AS n FROM {schema}.alert_recipients WHERE confirmed_at IS NOT NULL");
    assert_eq!(app.su_number(&confirmed).await, 0);
    let token = crate::helpers::csrf_from(&page).unwrap();
    assert_eq!(
        buyer.post_form(&confirm_path, &[], &token).await.status(),
        StatusCode::OK
    );
    assert_eq!(app.su_number(&confirmed).await, 1);

    // Recovers (nothing sent), runs out again: fires again, to the buyer too now.
    set_quants(&sim, &target, true);
    sync_and_mail(&app, tenant, &smtp).await;
    assert_eq!(smtp.wait_for(3, WAIT).await.len(), 2, "recovery sends nothing");
    set_quants(&sim, &target, false);
    sync_and_mail(&app, tenant, &smtp).await;
    let messages = smtp.wait_for(4, WAIT).await;
    assert_eq!(to(&messages, "max@acme.test").len(), 2, "fired again after recovering");
    let buyer_alerts: Vec<Received> = to(&messages, "buyer@supplier.test")
        .into_iter()
        .filter(|m| m.subject().starts_with("[Acme]"))
        .collect();
    assert_eq!(buyer_alerts.len(), 1);
    assert!(
        !buyer_alerts[0].text_body().contains("/t/acme/alerts"),
        "no account, no settings link"
    );

    // The buyer's unsubscribe link: a GET changes nothing, a forged one is refused, the one-click POST
    // (no session, no CSRF token) unsubscribes.
    let path = link_path(&buyer_alerts[0].header("List-Unsubscribe").unwrap(), "/unsubscribe/");
    let off = format!("SELECT count(*) AS n FROM {schema}.alert_subscriptions WHERE delivery = 'off'");
    let anonymous = reqwest::Client::new();
    let res = anonymous.get(format!("{}{path}", app.address)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.su_number(&off).await, 0, "a GET changes nothing");
    let token = path.trim_start_matches("/unsubscribe/");
    let (payload, signature) = token.split_once('.').unwrap();
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let text = String::from_utf8(b64.decode(payload).unwrap()).unwrap();
    let max_account = text_of(
        &app,
        "SELECT id::text AS v FROM control.accounts WHERE email = 'max@acme.test'",
    )
    .await;
    let forged_payload = format!("{}|account:{max_account}", text.rsplit_once('|').unwrap().0);
    let forged = format!("/unsubscribe/{}.{signature}", b64.encode(forged_payload));
    let res = anonymous
        .post(format!("{}{forged}", app.address))
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "another recipient's link cannot be made"
    );
    let res = anonymous
        .post(format!("{}{path}", app.address))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.su_number(&off).await, 1);

    // Max switches to the daily digest on his own page: the next alert waits for the digest hour.
    let max = app.signed_in(&max_user).await;
    let (_, page) = max.get_html("/t/acme/alerts").await;
    assert_eq!(texts(&page, "#subscriptions td:first-child"), vec!["Top sellers"]);
    let rule_id = text_of(&app, &format!("SELECT id::text AS v FROM {schema}.alert_rules")).await;
    let token = max.csrf_token("/t/acme/alerts").await;
    let res = max
        .post_form(&format!("/t/acme/alerts/{rule_id}"), &[("delivery", "digest")], &token)
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // The scoped manager has no such rule, and cannot change it.
    let sol = app.signed_in(&scoped).await;
    let (_, page) = sol.get_html("/t/acme/alerts").await;
    assert!(texts(&page, "#subscriptions td").is_empty());
    let token = sol.csrf_token("/t/acme/alerts").await;
    let res = sol
        .post_form(&format!("/t/acme/alerts/{rule_id}"), &[("delivery", "off")], &token)
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    set_quants(&sim, &target, true);
    sync_and_mail(&app, tenant, &smtp).await;
    set_quants(&sim, &target, false);
    sync_and_mail(&app, tenant, &smtp).await;
    let messages = smtp.wait_for(5, WAIT).await;
    assert_eq!(
        to(&messages, "max@acme.test").len(),
        2,
        "the third waits for the digest"
    );
    assert_eq!(to(&messages, "buyer@supplier.test").len(), 2, "unsubscribed: no third");
    let digest = async || {
        let job = truestock::email::alerts::digest_job(tenant, &uuid::Uuid::new_v4().to_string());
        truestock::jobs::enqueue(&app.app_db, &job).await.unwrap();
    };
    // Not the digest hour (07:00 by default, unless the test runs then): nothing.
    let now_hour = chrono::Utc::now().format("%H").to_string().parse::<u32>().unwrap();
    if now_hour != 7 {
        digest().await;
        mail(&app, &smtp).await;
        assert_eq!(to(&smtp.wait_for(5, WAIT).await, "max@acme.test").len(), 2);
    }
    // At the tenant's digest hour (its time zone is UTC here): one digest with the waiting alert.
    let token = client.csrf_token("/t/acme/settings/alerts").await;
    let res = client
        .post_form(
            "/t/acme/settings/alerts/digest",
            &[("hour", &now_hour.to_string())],
            &token,
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    digest().await;
    mail(&app, &smtp).await;
    let mine = to(&smtp.wait_for(5, WAIT).await, "max@acme.test");
    assert_eq!(mine.len(), 3);
    assert_eq!(mine[2].subject(), "[Acme] Daily digest: 1 alert");
    assert!(mine[2].text_body().contains(&target.sku));
    digest().await;
    mail(&app, &smtp).await;
    assert_eq!(to(&smtp.wait_for(6, WAIT).await, "max@acme.test").len(), 3, "sent once");
}

#[tokio::test]
async fn a_refused_key_alerts_the_admins_once_while_it_lasts() {
    let (app, _, tenant, _sim) = synced_tenant(17).await;
    let smtp = SmtpSink::start().await.unwrap();
    let admin = app.add_user("ada@acme.test", "acme", "admin").await;
    app.add_user("vic@acme.test", "acme", "viewer").await;
    let client = app.signed_in(&admin).await;
    let res = create_rule(
        &client,
        &[("name", "Odoo key"), ("kind", "credential_invalid"), ("role", "admin")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    for _ in 0..2 {
        truestock::sync::connection::refused_credentials(&app.app_db, tenant, "refused", "test")
            .await
            .unwrap();
        mail(&app, &smtp).await;
    }
    let messages = smtp.wait_for(2, WAIT).await;
    assert_eq!(messages.len(), 1, "once while it lasts");
    assert_eq!(messages[0].to, vec!["ada@acme.test".to_string()]);
    assert_eq!(
        messages[0].subject(),
        "[Acme] Odoo refuses TrueStock's API key: the sync has stopped"
    );
    assert!(messages[0].text_body().contains("/t/acme/sync"));
}

#[tokio::test]
async fn a_digest_skips_whoever_lost_access_since_the_alert_and_the_evaluation_is_not_lost_while_one_runs() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme", "Acme").await;
    let smtp = SmtpSink::start().await.unwrap();
    let admin = app.add_user("ada@acme.test", "acme", "admin").await;
    let leaver = app.add_user("lee@acme.test", "acme", "admin").await;
    let client = app.signed_in(&admin).await;
    let res = create_rule(
        &client,
        &[("name", "Odoo key"), ("kind", "credential_invalid"), ("role", "admin")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let rule_id = text_of(
        &app,
        &format!("SELECT id::text AS v FROM {}.alert_rules", tenant.schema_name()),
    )
    .await;
    // Both admins take the digest.
    for user in [&admin, &leaver] {
        let c = app.signed_in(user).await;
        let token = c.csrf_token("/t/acme/alerts").await;
        let res = c
            .post_form(&format!("/t/acme/alerts/{rule_id}"), &[("delivery", "digest")], &token)
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }
    truestock::sync::connection::refused_credentials(&app.app_db, tenant, "refused", "test")
        .await
        .unwrap();
    mail(&app, &smtp).await;
    assert!(smtp.messages().is_empty(), "digest recipients wait");
    let pending = format!(
        "SELECT count(*) AS n FROM {}.alert_digest_items WHERE sent_at IS NULL",
        tenant.schema_name()
    );
    assert_eq!(app.su_number(&pending).await, 2);

    // One admin leaves the tenant before the digest hour: the digest goes to the other only.
    let members_page = "/t/acme/settings/members";
    let (_, html) = client.get_html(members_page).await;
    let doc = scraper::Html::parse_document(&html);
    let selector = scraper::Selector::parse("tbody tr").unwrap();
    let edit = doc
        .select(&selector)
        .find(|row| row.text().collect::<String>().contains("lee@acme.test"))
        .and_then(|row| row.select(&scraper::Selector::parse("a").unwrap()).next())
        .and_then(|a| a.value().attr("href"))
        .unwrap()
        .to_string();
    let remove = edit.replace("/edit", "/remove");
    let token = client.csrf_token(&edit).await;
    assert_eq!(
        client.post_form(&remove, &[], &token).await.status(),
        StatusCode::SEE_OTHER
    );
    app.su_exec(&format!(
        "UPDATE {}.settings SET digest_hour = extract(hour FROM now() AT TIME ZONE 'UTC')::smallint",
        tenant.schema_name()
    ))
    .await;
    let job = truestock::email::alerts::digest_job(tenant, "now");
    truestock::jobs::enqueue(&app.app_db, &job).await.unwrap();
    mail(&app, &smtp).await;
    let messages = smtp.wait_for(2, WAIT).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].to, vec!["ada@acme.test".to_string()]);
    assert_eq!(
        app.su_number(&pending).await,
        0,
        "the leaver's item is settled, not kept"
    );

    // Two evaluations asked for at once both run, one after the other, and fire nothing twice.
    for _ in 0..2 {
        let job = truestock::email::alerts::evaluate_job(tenant);
        assert!(truestock::jobs::enqueue(&app.app_db, &job).await.unwrap().is_some());
    }
    mail(&app, &smtp).await;
    assert_eq!(smtp.wait_for(2, WAIT).await.len(), 1);
}
