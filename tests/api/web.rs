//! The web shell: CSRF, security headers, error pages, bad input, health and metrics endpoints.

use reqwest::{Method, StatusCode};

use crate::helpers::{TestApp, TestClient, texts};

async fn signed_in_admin() -> (TestApp, TestClient) {
    let app = TestApp::spawn().await;
    app.create_tenant("acme", "Acme Retail").await;
    let admin = app.add_user("ada@acme.test", "acme", "admin").await;
    app.add_user("ben@acme.test", "acme", "viewer").await;
    let client = app.signed_in(&admin).await;
    (app, client)
}

async fn ben_membership(app: &TestApp) -> String {
    let row = sea_orm::ConnectionTrait::query_one_raw(
        &app.superuser_db,
        sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT m.id::text AS id FROM control.memberships m JOIN control.accounts a ON a.id = m.account_id
             WHERE a.email = 'ben@acme.test'",
        ),
    )
    .await
    .unwrap()
    .unwrap();
    row.try_get("", "id").unwrap()
}

async fn ben_roles(app: &TestApp) -> String {
    let row = sea_orm::ConnectionTrait::query_one_raw(
        &app.superuser_db,
        sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT array_to_string(m.roles, ',') AS roles FROM control.memberships m
             JOIN control.accounts a ON a.id = m.account_id WHERE a.email = 'ben@acme.test'",
        ),
    )
    .await
    .unwrap()
    .unwrap();
    row.try_get("", "roles").unwrap()
}

#[tokio::test]
async fn state_changing_requests_without_a_valid_csrf_token_are_refused() {
    let (app, admin) = signed_in_admin().await;
    let other = app
        .signed_in(&app.add_user("cy@acme.test", "acme", "admin").await)
        .await;
    let others_token = other.csrf_token("/t/acme").await;
    let good_token = admin.csrf_token("/t/acme").await;
    let path = format!("/t/acme/settings/members/{}", ben_membership(&app).await);
    let fields = [("role", "admin"), ("scope", "all")];

    for token in ["", "forged", others_token.as_str()] {
        let res = admin.post_form(&path, &fields, token).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "token {token:?}");
    }
    // A valid token from a cross-site page is still refused.
    for (header, value) in [("Sec-Fetch-Site", "cross-site"), ("Origin", "https://evil.example")] {
        let body =
            serde_html_form::to_string([("role", "admin"), ("scope", "all"), ("csrf_token", &good_token)]).unwrap();
        let mut request = admin
            .request(Method::POST, &path)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body);
        request = request.header(header, value);
        assert_eq!(admin.send(request).await.status(), StatusCode::FORBIDDEN, "{header}");
    }
    assert_eq!(ben_roles(&app).await, "viewer");
    // The htmx header form of the token works, and so does the form field.
    let res = admin
        .send(
            admin
                .request(Method::POST, &path)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("X-CSRF-Token", &good_token)
                .body("role=manager&scope=all"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(ben_roles(&app).await, "manager");
    let res = admin.post_form(&path, &fields, &good_token).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(ben_roles(&app).await, "admin");
}

#[tokio::test]
async fn the_sign_in_form_needs_its_pre_session_token() {
    let app = TestApp::spawn().await;
    let client = app.client();
    let res = client
        .post_form("/login", &[("email", "a@b.test"), ("password", "x")], "anything")
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let token = client.csrf_token("/login").await;
    assert!(client.has_pre_session());
    let res = client
        .post_form("/login", &[("email", "a@b.test"), ("password", "x")], &token)
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

fn assert_security_headers(res: &reqwest::Response, what: &str) {
    let h = res.headers();
    let csp = h
        .get("content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no CSP"))
        .to_str()
        .unwrap();
    for directive in [
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "script-src 'self'",
    ] {
        assert!(csp.contains(directive), "{what}: {csp}");
    }
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{what}: {csp}"
    );
    assert_eq!(h["x-content-type-options"], "nosniff", "{what}");
    assert_eq!(h["cross-origin-opener-policy"], "same-origin", "{what}");
    assert!(h.contains_key("referrer-policy"), "{what}");
    let hsts = h["strict-transport-security"].to_str().unwrap();
    assert!(hsts.starts_with("max-age=63072000"), "{what}: {hsts}");
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let (_app, admin) = signed_in_admin().await;
    let anonymous = TestClient::new(&admin.base, false);
    let csrf = admin.csrf_token("/t/acme").await;
    let cases: Vec<(&str, reqwest::Response)> = vec![
        ("login page", anonymous.get("/login").await),
        ("overview", admin.get("/t/acme").await),
        ("404 page", admin.get("/no/such/page").await),
        ("other tenant", admin.get("/t/bolt").await),
        ("static file", anonymous.get("/static/js/htmx-2.0.11.min.js").await),
        ("missing static file", anonymous.get("/static/nope.js").await),
        ("csrf refusal", admin.post_form("/logout", &[], "bad").await),
        ("redirect to sign-in", anonymous.get("/t/acme").await),
        ("healthz", anonymous.get("/healthz").await),
        (
            "htmx error",
            admin
                .send(
                    admin
                        .request(Method::GET, "/t/acme/nothing")
                        .header("HX-Request", "true"),
                )
                .await,
        ),
        (
            "bad form",
            admin
                .post_form("/account/password", &[("current_password", "x")], &csrf)
                .await,
        ),
    ];
    for (what, res) in &cases {
        assert_security_headers(res, what);
    }
    let overview = &cases[1].1;
    assert_eq!(overview.headers()["cache-control"], "no-store");
    let static_file = &cases[4].1;
    assert!(
        static_file.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
}

#[tokio::test]
async fn pages_configure_htmx_safely_and_load_no_inline_script() {
    let (_app, admin) = signed_in_admin().await;
    let (_, html) = admin.get_html("/t/acme").await;
    let doc = scraper::Html::parse_document(&html);
    let meta = scraper::Selector::parse(r#"meta[name="htmx-config"]"#).unwrap();
    let config: serde_json::Value =
        serde_json::from_str(doc.select(&meta).next().unwrap().value().attr("content").unwrap()).unwrap();
    assert_eq!(config["historyCacheSize"], 0);
    assert_eq!(config["allowEval"], false);
    let scripts = scraper::Selector::parse("script").unwrap();
    for script in doc.select(&scripts) {
        assert!(script.value().attr("src").is_some_and(|s| s.starts_with("/static/")));
        assert!(script.text().next().is_none(), "inline script found");
    }
    let body = scraper::Selector::parse("body").unwrap();
    let headers = doc.select(&body).next().unwrap().value().attr("hx-headers").unwrap();
    let headers: serde_json::Value = serde_json::from_str(headers).unwrap();
    assert!(!headers["X-CSRF-Token"].as_str().unwrap().is_empty());
}

#[tokio::test]
async fn errors_show_no_internals_and_come_back_as_toasts_for_htmx() {
    let (_app, admin) = signed_in_admin().await;
    let (status, html) = admin.get_html("/t/acme/whatever").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(texts(&html, "main h1"), vec!["Not found"]);
    let res = admin
        .send(
            admin
                .request(Method::GET, "/t/acme/whatever")
                .header("HX-Request", "true"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.headers()["hx-retarget"], "#toasts");
    let body = res.text().await.unwrap();
    assert_eq!(
        texts(&body, ".toast"),
        vec!["There is nothing here, or you do not have access to it."]
    );
    assert!(!body.contains("<html"));
    // A session that ended answers an htmx request with a redirect htmx follows.
    let anonymous = TestClient::new(&admin.base, false);
    let res = anonymous
        .send(anonymous.request(Method::GET, "/t/acme").header("HX-Request", "true"))
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()["hx-redirect"], "/login?next=%2Ft%2Facme");
}

#[tokio::test]
async fn malformed_oversized_and_non_utf8_bodies_get_clear_refusals() {
    let (app, admin) = signed_in_admin().await;
    let csrf = admin.csrf_token("/t/acme").await;
    let path = format!("/t/acme/settings/members/{}", ben_membership(&app).await);
    let post = |body: Vec<u8>| {
        admin
            .request(Method::POST, &path)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("X-CSRF-Token", &csrf)
            .body(body)
    };
    let huge = format!("role=admin&scope=all&junk={}", "x".repeat(100 * 1024)).into_bytes();
    assert_eq!(admin.send(post(huge)).await.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let non_utf8 = b"role=\xff\xfe&scope=all".to_vec();
    assert_eq!(
        admin.send(post(non_utf8)).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let unknown_role = b"role=root&scope=all".to_vec();
    let res = admin.send(post(unknown_role)).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(texts(&res.text().await.unwrap(), ".form-error")[0].contains("is not a role"));
    let bad_group = b"role=viewer&scope=groups&group=not-a-uuid".to_vec();
    assert_eq!(
        admin.send(post(bad_group)).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(ben_roles(&app).await, "viewer");
}

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let (app, admin) = signed_in_admin().await;
    let anonymous = TestClient::new(&admin.base, false);
    assert_eq!(admin.get("/t/acme").await.status(), StatusCode::OK);
    assert_eq!(anonymous.get("/healthz").await.status(), StatusCode::OK);
    let res = anonymous.get("/readyz").await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    let metrics = reqwest::get(format!("{}/metrics", app.metrics_address))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("truestock_http_requests_total"), "{metrics}");
    assert!(metrics.contains(r#"route="/t/{slug}""#), "{metrics}");
    assert!(!metrics.contains("acme"), "metrics must not name tenants");
    // /metrics is not served on the public address.
    assert_eq!(anonymous.get("/metrics").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn readiness_fails_while_a_tenant_schema_is_behind() {
    let (app, _admin) = signed_in_admin().await;
    app.su_exec("UPDATE control.tenants SET schema_version = 'm_old'").await;
    let res = TestClient::new(&app.address, false).get("/readyz").await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(res.text().await.unwrap().contains("truestock migrate"));
}

#[tokio::test]
async fn a_same_origin_post_without_fetch_metadata_passes_and_a_chunked_oversized_body_is_refused() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let (app, admin) = signed_in_admin().await;
    let csrf = admin.csrf_token("/t/acme").await;
    let path = format!("/t/acme/settings/members/{}", ben_membership(&app).await);
    let host = app.address.trim_start_matches("http://").to_string();
    // An older browser: no Sec-Fetch-Site, but an Origin naming this very host.
    let res = admin
        .send(
            admin
                .request(Method::POST, &path)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Origin", format!("http://{host}"))
                .header("X-CSRF-Token", &csrf)
                .body("role=manager&scope=all"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // A chunked body (no Content-Length) over the limit: 413, not a CSRF refusal.
    let mut stream = tokio::net::TcpStream::connect(&host).await.unwrap();
    let chunk = "x".repeat(32 * 1024);
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Transfer-Encoding: chunked\r\nCookie: __Host-truestock={}\r\nConnection: close\r\n\r\n",
        admin.session_token().unwrap()
    );
    for _ in 0..4 {
        request.push_str(&format!("{:x}\r\n{chunk}\r\n", chunk.len()));
    }
    request.push_str("0\r\n\r\n");
    let _ = stream.write_all(request.as_bytes()).await;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    let response = String::from_utf8_lossy(&response);
    assert!(
        response.starts_with("HTTP/1.1 413"),
        "{}",
        response.lines().next().unwrap_or_default()
    );
}
