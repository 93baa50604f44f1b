//! Sign-in, throttling, sessions, cookies, session-token forgery, password change.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use reqwest::StatusCode;

use crate::helpers::{TestApp, csrf_from, texts};

async fn app_with_user() -> (TestApp, crate::helpers::TestUser) {
    let app = TestApp::spawn().await;
    app.create_tenant("acme", "Acme Retail").await;
    let user = app.add_user("ana@acme.test", "acme", "manager").await;
    (app, user)
}

#[tokio::test]
async fn signing_in_with_one_membership_lands_on_that_tenant() {
    let (app, user) = app_with_user().await;
    let client = app.client();
    let res = client.sign_in(&user.email, &user.password).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/t/acme");
    let (status, html) = client.get_html("/t/acme").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(texts(&html, "main h1"), vec!["Acme Retail"]);
}

#[tokio::test]
async fn signing_in_with_several_memberships_lands_on_the_tenant_picker() {
    let (app, user) = app_with_user().await;
    app.create_tenant("bolt", "Bolt Stores").await;
    app.add_user(&user.email, "bolt", "viewer").await;
    let client = app.client();
    let res = client.sign_in(&user.email, &user.password).await;
    assert_eq!(res.headers()["location"], "/tenants");
    let (_, html) = client.get_html("/tenants").await;
    assert_eq!(texts(&html, ".tenant-list a"), vec!["Acme Retail", "Bolt Stores"]);
}

#[tokio::test]
async fn unknown_email_and_wrong_password_get_identical_answers() {
    let (app, user) = app_with_user().await;
    let client = app.client();
    let wrong_password = client.sign_in(&user.email, "not the password").await;
    let status_a = wrong_password.status();
    let body_a = wrong_password.text().await.unwrap();
    let unknown = client.sign_in("nobody@acme.test", "not the password").await;
    let status_b = unknown.status();
    let body_b = unknown.text().await.unwrap();
    assert_eq!(status_a, StatusCode::UNAUTHORIZED);
    assert_eq!(status_a, status_b);
    // Same pre-session cookie, so even the CSRF token matches: the bodies are byte-identical.
    assert_eq!(body_a, body_b);
    assert_eq!(
        texts(&body_a, ".form-error"),
        vec!["The email or password is incorrect."]
    );
    assert!(client.session_token().is_none());
}

#[tokio::test]
async fn a_disabled_account_cannot_sign_in_and_gets_the_same_answer() {
    let (app, user) = app_with_user().await;
    truestock::operator::disable_user(&app.owner_db, &user.email)
        .await
        .unwrap();
    let client = app.client();
    let disabled = client.sign_in(&user.email, &user.password).await;
    assert_eq!(disabled.status(), StatusCode::UNAUTHORIZED);
    let disabled = disabled.text().await.unwrap();
    let wrong = client
        .sign_in("nobody@acme.test", "whatever")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(disabled, wrong);
}

#[tokio::test]
async fn concurrent_attempts_cannot_slip_past_the_throttle() {
    let (app, user) = app_with_user().await;
    let client = app.client();
    for _ in 0..5 {
        assert_eq!(
            client.sign_in(&user.email, "wrong password!").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // Ten guesses at once: the attempts are counted before any password is checked, so only the first
    // is verified and the others wait out the delay it started.
    let token = client.csrf_token("/login").await;
    let attempts = (0..10).map(|i| {
        let body = serde_html_form::to_string([
            ("email", user.email.as_str()),
            ("password", &format!("guess {i}")),
            ("csrf_token", &token),
        ])
        .unwrap();
        client.send(
            client
                .request(reqwest::Method::POST, "/login")
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("X-Forwarded-For", format!("198.51.100.{i}"))
                .body(body),
        )
    });
    let statuses: Vec<StatusCode> = futures::future::join_all(attempts)
        .await
        .iter()
        .map(|r| r.status())
        .collect();
    let verified = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let refused = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!((verified, refused), (1, 9), "{statuses:?}");
}

#[tokio::test]
async fn a_nul_byte_in_the_email_is_just_a_wrong_sign_in() {
    let (app, _user) = app_with_user().await;
    let res = app.client().sign_in("ana\0@acme.test", "whatever").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn repeated_failures_lock_the_email_even_for_the_right_password_and_unknown_emails_alike() {
    let (app, user) = app_with_user().await;
    let other = app.add_user("bea@acme.test", "acme", "viewer").await;
    for email in [user.email.as_str(), "ghost@acme.test"] {
        let client = app.client();
        for _ in 0..6 {
            let res = client.sign_in(email, "wrong password!").await;
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        }
        // The sixth failure starts a delay: even the right password is refused meanwhile.
        let res = client.sign_in(email, &user.password).await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "{email}");
        let html = res.text().await.unwrap();
        assert!(texts(&html, ".form-error")[0].starts_with("Too many failed attempts for this email"));
    }
    // Another account is unaffected.
    let res = app.client().sign_in(&other.email, &other.password).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // After the delay, the right password works and clears the count.
    app.su_exec("UPDATE control.login_throttle SET locked_until = now() - interval '1 second'")
        .await;
    let res = app.client().sign_in(&user.email, &user.password).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn one_client_address_is_limited_and_forwarded_for_is_honoured_from_trusted_proxies() {
    let (app, _) = app_with_user().await;
    let client = app.client();
    let token = client.csrf_token("/login").await;
    let attempt = |ip: &'static str, n: usize| {
        let email = format!("x{n}@acme.test");
        let token = token.clone();
        let client = &client;
        async move {
            let body =
                serde_html_form::to_string([("email", email.as_str()), ("password", "nope"), ("csrf_token", &token)])
                    .unwrap();
            client
                .send(
                    client
                        .request(reqwest::Method::POST, "/login")
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .header("X-Forwarded-For", ip)
                        .body(body),
                )
                .await
                .status()
        }
    };
    // The test server trusts 127.0.0.1 as a proxy, so each forwarded address has its own budget.
    let mut statuses = Vec::new();
    for n in 0..25 {
        statuses.push(attempt("203.0.113.7", n).await);
    }
    assert!(
        statuses[..20].iter().all(|s| *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
    assert!(
        statuses[20..].iter().all(|s| *s == StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    assert_eq!(attempt("198.51.100.3", 99).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logout_ends_the_session_at_once() {
    let (app, user) = app_with_user().await;
    let client = app.signed_in(&user).await;
    let token = client.session_token().unwrap();
    let csrf = client.csrf_token("/t/acme").await;
    let res = client.post_form("/logout", &[], &csrf).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // Replaying the old cookie is refused even though its JWT has not expired.
    let replay = app.client();
    replay.set_session_token(&token);
    let res = replay.get("/t/acme").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(res.headers()["location"].to_str().unwrap().starts_with("/login"));
}

#[tokio::test]
async fn a_password_change_ends_every_other_session_and_keeps_this_browser_signed_in() {
    let (app, user) = app_with_user().await;
    let here = app.signed_in(&user).await;
    let elsewhere = app.signed_in(&user).await;
    let csrf = here.csrf_token("/account/password").await;
    let new_password = "a brand new passphrase";
    let res = here
        .post_form(
            "/account/password",
            &[
                ("current_password", &user.password),
                ("new_password", new_password),
                ("confirm_password", new_password),
            ],
            &csrf,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(here.get("/t/acme").await.status(), StatusCode::OK);
    assert_eq!(elsewhere.get("/t/acme").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.client().sign_in(&user.email, &user.password).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.client().sign_in(&user.email, new_password).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_browser_holding_a_dead_session_cookie_can_still_sign_in() {
    let (app, user) = app_with_user().await;
    let browser = app.signed_in(&user).await;
    let stale = browser.session_token().unwrap();
    truestock::operator::disable_user(&app.owner_db, &user.email)
        .await
        .unwrap();
    app.su_exec("UPDATE control.accounts SET disabled_at = NULL").await;
    // The browser still sends its signed (but ended) session cookie with the sign-in form.
    browser.set_session_token(&stale);
    let res = browser.sign_in(&user.email, &user.password).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(browser.get("/t/acme").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_password_change_refuses_a_wrong_current_password_and_short_new_ones() {
    let (app, user) = app_with_user().await;
    let client = app.signed_in(&user).await;
    let csrf = client.csrf_token("/account/password").await;
    for (current, new, message) in [
        ("wrong", "long enough password", "The current password is incorrect."),
        (user.password.as_str(), "short", "Use at least 12 characters."),
    ] {
        let res = client
            .post_form(
                "/account/password",
                &[
                    ("current_password", current),
                    ("new_password", new),
                    ("confirm_password", new),
                ],
                &csrf,
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(texts(&res.text().await.unwrap(), ".form-error"), vec![message]);
    }
}

#[tokio::test]
async fn disabling_an_account_ends_its_sessions_at_once() {
    let (app, user) = app_with_user().await;
    let client = app.signed_in(&user).await;
    truestock::operator::disable_user(&app.owner_db, &user.email)
        .await
        .unwrap();
    assert_eq!(client.get("/t/acme").await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn sessions_expire_after_thirty_idle_minutes_and_twelve_hours_in_all() {
    let (app, user) = app_with_user().await;
    let idle = app.signed_in(&user).await;
    let old = app.signed_in(&user).await;
    assert_eq!(idle.get("/t/acme").await.status(), StatusCode::OK);
    let id_of = |c: &crate::helpers::TestClient| {
        let token = c.session_token().unwrap();
        let claims: serde_json::Value =
            serde_json::from_slice(&B64.decode(token.split('.').nth(1).unwrap()).unwrap()).unwrap();
        claims["sid"].as_str().unwrap().to_string()
    };
    app.su_exec(&format!(
        "UPDATE control.sessions SET last_seen_at = now() - interval '31 minutes' WHERE id = '{}'",
        id_of(&idle)
    ))
    .await;
    app.su_exec(&format!(
        "UPDATE control.sessions SET expires_at = now() - interval '1 second' WHERE id = '{}'",
        id_of(&old)
    ))
    .await;
    assert_eq!(idle.get("/t/acme").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(old.get("/t/acme").await.status(), StatusCode::SEE_OTHER);
    // The browser is told to forget the dead session, and can sign in again at once.
    assert!(idle.session_token().is_none());
    assert_eq!(
        idle.sign_in(&user.email, &user.password).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(idle.get("/t/acme").await.status(), StatusCode::OK);
    // Activity slides the idle timeout: 29 idle minutes are still fine.
    let active = app.signed_in(&user).await;
    app.su_exec(&format!(
        "UPDATE control.sessions SET last_seen_at = now() - interval '29 minutes' WHERE id = '{}'",
        id_of(&active)
    ))
    .await;
    assert_eq!(active.get("/t/acme").await.status(), StatusCode::OK);
}

fn cookie_line(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie"))
}

#[tokio::test]
async fn the_session_cookie_is_host_prefixed_secure_http_only_and_lax() {
    let (app, user) = app_with_user().await;
    let res = app.client().sign_in(&user.email, &user.password).await;
    let cookie = cookie_line(&res, "__Host-truestock");
    for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Domain"), "{cookie}");
}

#[tokio::test]
async fn dev_mode_uses_a_plain_cookie_without_secure() {
    let app = TestApp::spawn_with(true).await;
    app.create_tenant("acme", "Acme Retail").await;
    let user = app.add_user("ana@acme.test", "acme", "manager").await;
    let client = app.client();
    let res = client.sign_in(&user.email, &user.password).await;
    let cookie = cookie_line(&res, "truestock_dev");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "{cookie}");
    assert_eq!(client.get("/t/acme").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn forged_session_tokens_are_refused() {
    let (app, user) = app_with_user().await;
    let client = app.signed_in(&user).await;
    let genuine = client.session_token().unwrap();
    let parts: Vec<&str> = genuine.split('.').collect();
    let claims: serde_json::Value = serde_json::from_slice(&B64.decode(parts[1]).unwrap()).unwrap();
    let with_claims = |header: &str, claims: &serde_json::Value, signature: &str| {
        format!(
            "{}.{}.{}",
            B64.encode(header),
            B64.encode(claims.to_string()),
            signature
        )
    };
    let mut other_session = claims.clone();
    other_session["sid"] = serde_json::json!(uuid::Uuid::new_v4());
    // Genuinely signed with the server's key, but past its expiry.
    let server_tokens = truestock::auth::session::SessionTokens::new(app.settings.jwt_secret().unwrap());
    let sid: uuid::Uuid = claims["sid"].as_str().unwrap().parse().unwrap();
    let expired = server_tokens.issue(sid, chrono::Utc::now() - chrono::Duration::seconds(10));
    let mut wrong_audience = claims.clone();
    wrong_audience["aud"] = serde_json::json!("someone-else");
    let wrong_key = {
        let key = jsonwebtoken::EncodingKey::from_secret(b"some other key, 32 bytes long...");
        jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key).unwrap()
    };
    let forged = [
        with_claims(r#"{"alg":"none","typ":"JWT"}"#, &claims, ""),
        with_claims(r#"{"alg":"HS256","typ":"JWT"}"#, &other_session, parts[2]),
        expired,
        {
            let key = jsonwebtoken::EncodingKey::from_secret(app.settings.jwt_secret().unwrap().expose());
            jsonwebtoken::encode(&jsonwebtoken::Header::default(), &wrong_audience, &key).unwrap()
        },
        wrong_key,
        "not.a.jwt".to_string(),
    ];
    for token in forged {
        let attacker = app.client();
        attacker.set_session_token(&token);
        let res = attacker.get("/t/acme").await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{token}");
    }
    // A genuine token of a revoked session is refused too.
    let csrf = client.csrf_token("/t/acme").await;
    client.post_form("/logout", &[], &csrf).await;
    let replay = app.client();
    replay.set_session_token(&genuine);
    assert_eq!(replay.get("/t/acme").await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_sign_in_link_returns_to_the_page_asked_for_but_never_off_site() {
    let (app, user) = app_with_user().await;
    let client = app.client();
    let res = client.get("/t/acme/settings/members?x=1").await;
    assert_eq!(
        res.headers()["location"],
        "/login?next=%2Ft%2Facme%2Fsettings%2Fmembers%3Fx%3D1"
    );
    let (_, html) = client.get_html("/login?next=%2Ft%2Facme%3Fq%3D1").await;
    let token = csrf_from(&html).unwrap();
    let res = client
        .post_form(
            "/login",
            &[
                ("email", &user.email),
                ("password", &user.password),
                ("next", "/t/acme?q=1"),
            ],
            &token,
        )
        .await;
    assert_eq!(res.headers()["location"], "/t/acme?q=1");
    let other = app.client();
    let token = other.csrf_token("/login").await;
    let res = other
        .post_form(
            "/login",
            &[
                ("email", &user.email),
                ("password", &user.password),
                ("next", "//evil.example/"),
            ],
            &token,
        )
        .await;
    assert_eq!(res.headers()["location"], "/t/acme");
}

#[tokio::test]
async fn a_successful_sign_in_rehashes_an_old_password_hash() {
    let (app, user) = app_with_user().await;
    let legacy = truestock::auth::password::PasswordHasher::new(
        truestock::config::PasswordCost {
            memory_kib: 128,
            iterations: 3,
            parallelism: 1,
        },
        1,
    )
    .unwrap()
    .hash(&secrecy::SecretString::from(user.password.clone()))
    .await
    .unwrap();
    app.su_exec(&format!("UPDATE control.accounts SET password_hash = '{legacy}'"))
        .await;
    app.signed_in(&user).await;
    let row = sea_orm::ConnectionTrait::query_one_raw(
        &app.superuser_db,
        sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT password_hash FROM control.accounts",
        ),
    )
    .await
    .unwrap()
    .unwrap();
    let hash: String = row.try_get("", "password_hash").unwrap();
    assert!(hash.starts_with("$argon2id$v=19$m=256,t=1,p=1$"), "{hash}");
}
