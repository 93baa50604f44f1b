//! Roles and scope from the membership, read on every request; what a tenant admin may and may not do.

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::helpers::{TestApp, texts};

async fn membership_of(app: &TestApp, email: &str) -> String {
    let row = app
        .superuser_db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT m.id::text AS id FROM control.memberships m JOIN control.accounts a ON a.id = m.account_id
             WHERE a.email = $1",
            [email.into()],
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "id").unwrap()
}

#[tokio::test]
async fn only_admins_see_and_reach_member_management() {
    let app = TestApp::spawn().await;
    app.create_tenant("acme", "Acme Retail").await;
    let admin = app.add_user("ada@acme.test", "acme", "admin").await;
    let viewer = app
        .add_user("ben@acme.test", "acme", "viewer,manager,steward,finance")
        .await;
    let admin_client = app.signed_in(&admin).await;
    let viewer_client = app.signed_in(&viewer).await;

    let (_, html) = admin_client.get_html("/t/acme").await;
    assert!(texts(&html, "header nav a").contains(&"Members".to_string()));
    let (_, html) = viewer_client.get_html("/t/acme").await;
    assert!(!texts(&html, "header nav a").contains(&"Members".to_string()));

    assert_eq!(
        viewer_client.get("/t/acme/settings/members").await.status(),
        StatusCode::FORBIDDEN
    );
    let target = membership_of(&app, &admin.email).await;
    let csrf = viewer_client.csrf_token("/t/acme").await;
    let res = viewer_client
        .post_form(
            &format!("/t/acme/settings/members/{target}"),
            &[("role", "viewer"), ("scope", "all")],
            &csrf,
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (status, html) = admin_client.get_html("/t/acme/settings/members").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        texts(&html, "tbody td:nth-child(2)"),
        vec!["ada@acme.test", "ben@acme.test"]
    );
}

#[tokio::test]
async fn role_changes_take_effect_on_the_next_request() {
    let app = TestApp::spawn().await;
    app.create_tenant("acme", "Acme Retail").await;
    let admin = app.add_user("ada@acme.test", "acme", "admin").await;
    let ben = app.add_user("ben@acme.test", "acme", "viewer").await;
    let admin_client = app.signed_in(&admin).await;
    let ben_client = app.signed_in(&ben).await;
    assert_eq!(
        ben_client.get("/t/acme/settings/members").await.status(),
        StatusCode::FORBIDDEN
    );

    let ben_membership = membership_of(&app, &ben.email).await;
    let csrf = admin_client.csrf_token("/t/acme").await;
    let path = format!("/t/acme/settings/members/{ben_membership}");
    let res = admin_client
        .post_form(&path, &[("role", "admin"), ("role", "viewer"), ("scope", "all")], &csrf)
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        ben_client.get("/t/acme/settings/members").await.status(),
        StatusCode::OK
    );

    // Removing the membership closes the tenant to ben at once (404: no longer his tenant).
    let res = admin_client.post_form(&format!("{path}/remove"), &[], &csrf).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(ben_client.get("/t/acme").await.status(), StatusCode::NOT_FOUND);
    // The changes are in the tenant's audit log.
    let (_, html) = admin_client.get_html("/t/acme").await;
    let actions = texts(&html, "tbody td:nth-child(3)");
    assert_eq!(actions, vec!["member.removed", "member.updated"]);
}

#[tokio::test]
async fn the_last_admin_cannot_be_demoted_or_removed() {
    let app = TestApp::spawn().await;
    app.create_tenant("acme", "Acme Retail").await;
    let admin = app.add_user("ada@acme.test", "acme", "admin").await;
    let client = app.signed_in(&admin).await;
    let own = membership_of(&app, &admin.email).await;
    let csrf = client.csrf_token("/t/acme").await;
    let res = client
        .post_form(
            &format!("/t/acme/settings/members/{own}"),
            &[("role", "viewer"), ("scope", "all")],
            &csrf,
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        texts(&res.text().await.unwrap(), ".form-error"),
        vec!["The tenant must keep at least one admin."]
    );
    let res = client
        .post_form(&format!("/t/acme/settings/members/{own}/remove"), &[], &csrf)
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(client.get("/t/acme/settings/members").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_scope_is_stored_from_the_tenants_own_location_groups_only() {
    let app = TestApp::spawn().await;
    let acme = app.create_tenant("acme", "Acme Retail").await;
    let bolt = app.create_tenant("bolt", "Bolt Stores").await;
    let admin = app.add_user("ada@acme.test", "acme", "admin").await;
    let ben = app.add_user("ben@acme.test", "acme", "manager").await;
    let store = uuid::Uuid::new_v4();
    let foreign = uuid::Uuid::new_v4();
    app.su_exec(&format!(
        "INSERT INTO {}.location_groups (id, name, kind) VALUES ('{store}', 'Store 07', 'store');
         INSERT INTO {}.location_groups (id, name, kind) VALUES ('{foreign}', 'Bolt North', 'region');",
        acme.schema_name(),
        bolt.schema_name()
    ))
    .await;
    let client = app.signed_in(&admin).await;
    let csrf = client.csrf_token("/t/acme").await;
    let path = format!("/t/acme/settings/members/{}", membership_of(&app, &ben.email).await);
    let foreign_text = foreign.to_string();
    let res = client
        .post_form(
            &path,
            &[("role", "manager"), ("scope", "groups"), ("group", &foreign_text)],
            &csrf,
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let store_text = store.to_string();
    let res = client
        .post_form(
            &path,
            &[("role", "manager"), ("scope", "groups"), ("group", &store_text)],
            &csrf,
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = client.get_html("/t/acme/settings/members").await;
    assert!(texts(&html, "tbody td:nth-child(4)").contains(&"Store 07".to_string()));
    let ben_client = app.signed_in(&ben).await;
    let (_, html) = ben_client.get_html("/t/acme").await;
    assert!(texts(&html, "main p.muted")[0].contains("limited to your location groups"));
}

#[tokio::test]
async fn a_tenant_admin_cannot_touch_accounts() {
    let app = TestApp::spawn().await;
    app.create_tenant("acme", "Acme Retail").await;
    app.create_tenant("bolt", "Bolt Stores").await;
    let admin = app.add_user("ada@acme.test", "acme", "admin").await;
    let ben = app.add_user("ben@acme.test", "acme", "viewer").await;
    app.add_user(&ben.email, "bolt", "viewer").await;
    let client = app.signed_in(&admin).await;
    let csrf = client.csrf_token("/t/acme").await;
    let membership = membership_of(&app, &ben.email).await;
    // Extra fields naming account attributes are ignored; there is no route that changes an account.
    let path = format!("/t/acme/settings/members/{membership}");
    let res = client
        .post_form(
            &path,
            &[
                ("role", "viewer"),
                ("scope", "all"),
                ("email", "evil@x.test"),
                ("password", "owned-owned-owned"),
                ("disabled", "1"),
            ],
            &csrf,
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let row = app
        .superuser_db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT email, disabled_at IS NULL AS enabled FROM control.accounts WHERE email = 'ben@acme.test'",
        ))
        .await
        .unwrap()
        .expect("ben's account is unchanged");
    assert!(row.try_get::<bool>("", "enabled").unwrap());
    // ben's password still works.
    app.signed_in(&ben).await;
    // Removing ben from acme leaves his account and his other tenant alone.
    client.post_form(&format!("{path}/remove"), &[], &csrf).await;
    let ben_client = app.signed_in(&ben).await;
    assert_eq!(ben_client.get("/t/bolt").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_operator_adding_a_user_again_adds_roles_without_touching_the_account() {
    let app = TestApp::spawn().await;
    app.create_tenant("acme", "Acme Retail").await;
    let ana = app.add_user("ana@acme.test", "acme", "viewer").await;
    let again = truestock::operator::add_user(&app.app_db, &app.hasher, "ANA@acme.test", None, "acme", "manager", None)
        .await
        .unwrap();
    assert!(!again.created_account && again.generated_password.is_none());
    let row = app
        .superuser_db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT array_to_string(roles, ',') AS roles FROM control.memberships",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<String>("", "roles").unwrap(), "manager,viewer");
    app.signed_in(&ana).await;
    // A tenant that does not exist leaves nothing behind, not even the new account.
    let err = truestock::operator::add_user(&app.app_db, &app.hasher, "new@acme.test", None, "nope", "viewer", None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no tenant has the slug"), "{err}");
    let row = app
        .superuser_db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT count(*) AS n FROM control.accounts",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<i64>("", "n").unwrap(), 1);
}
