//! The admin test servers answer as docs/admin-signout.md says their providers do: a token, the
//! sign-out, the user signed out; an unknown user; a missing permission; a 429 storm.

use std::time::Duration;

use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use signoff_fake_providers::Fault;
use signoff_fake_providers::admin::{self, AdminServer};

fn client() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::new()
}

async fn body(r: Response) -> Value {
    serde_json::from_str(&r.text().await.unwrap()).unwrap_or(Value::Null)
}

fn header(r: &Response, name: &str) -> String {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

async fn kc_token(c: &Client, s: &AdminServer) -> String {
    let r = c
        .post(s.url("/realms/acme/protocol/openid-connect/token"))
        .basic_auth("signoff-admin", Some("s3cret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    body(r).await["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn keycloak_finds_lists_and_logs_out() {
    let (c, s) = (
        client(),
        admin::keycloak("acme", "signoff-admin", "s3cret").await,
    );
    s.add_user("u-1", "Ann@example.com", "ann");
    let sid = s.add_session("u-1");
    s.add_session("u-1");
    let at = kc_token(&c, &s).await;
    assert_eq!(s.issued_admin_tokens(), vec![at.clone()]);

    let url = s.url("/admin/realms/acme/users?email=ann%40example.com&exact=true");
    let found = body(c.get(url).bearer_auth(&at).send().await.unwrap()).await;
    assert_eq!(found[0]["id"], "u-1");
    let none = c.get(s.url("/admin/realms/acme/users?username=bob&exact=true"));
    assert_eq!(
        body(none.bearer_auth(&at).send().await.unwrap()).await,
        json!([])
    );

    let list = c.get(s.url("/admin/realms/acme/users/u-1/sessions"));
    let list = body(list.bearer_auth(&at).send().await.unwrap()).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[0]["id"], sid.as_str());
    assert!(
        list[0]["start"].as_u64().unwrap() > 1_000_000_000_000,
        "epoch ms"
    );
    assert!(list[0]["clients"].is_object());

    let r = c.delete(s.url(&format!("/admin/realms/acme/sessions/{sid}")));
    assert_eq!(r.bearer_auth(&at).send().await.unwrap().status(), 204);
    assert_eq!(s.sessions_of("u-1"), 1);
    assert!(!s.is_signed_out("u-1"));
    let r = c.delete(s.url(&format!("/admin/realms/acme/sessions/{sid}")));
    assert_eq!(r.bearer_auth(&at).send().await.unwrap().status(), 404);

    let logout = |id: &str| c.post(s.url(&format!("/admin/realms/acme/users/{id}/logout")));
    assert_eq!(
        logout("u-1")
            .bearer_auth(&at)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert!(s.is_signed_out("u-1"));
    assert_eq!(
        logout("u-1")
            .bearer_auth(&at)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    let r = logout("nobody").bearer_auth(&at).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(body(r).await["error"], "User not found");
    assert_eq!(logout("u-1").send().await.unwrap().status(), 401);
    let wrong = logout("u-1").bearer_auth("forged").send().await.unwrap();
    assert_eq!(wrong.status(), 401);

    s.withhold("manage-users");
    let weak = kc_token(&c, &s).await;
    assert_eq!(
        logout("u-1")
            .bearer_auth(&weak)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );

    s.rate_limit_next(1, 7);
    let r = logout("u-1").bearer_auth(&at).send().await.unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(header(&r, "retry-after"), "7");
    let by_form = c
        .post(s.url("/realms/acme/protocol/openid-connect/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "signoff-admin"),
            ("client_secret", "s3cret"),
        ]);
    assert_eq!(by_form.send().await.unwrap().status(), 200);
    let r = c
        .get(s.url("/admin/realms/acme/users/nobody"))
        .bearer_auth(&at);
    assert_eq!(r.send().await.unwrap().status(), 404);
    let bad = c
        .post(s.url("/realms/acme/protocol/openid-connect/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "signoff-admin"),
            ("client_secret", "no"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
}

#[tokio::test]
async fn okta_revokes_sessions_by_login() {
    let (c, s) = (client(), admin::okta("00aApiToken").await);
    s.add_user("00u1", "ann@example.com", "ann@example.com");
    s.add_session("00u1");
    s.add_token("00u1", "0oa-app", "App");
    let ssws = "SSWS 00aApiToken";
    let path = "/api/v1/users/ann%40example.com/sessions";
    let revoke = |p: &str| {
        c.delete(s.url(&format!("{p}?oauthTokens=true&forgetDevices=false")))
            .header("authorization", ssws)
    };
    assert_eq!(revoke(path).send().await.unwrap().status(), 204);
    assert!(s.is_signed_out("00u1"));
    assert_eq!(s.tokens_of("00u1"), 0);
    assert_eq!(
        s.queries_to(path),
        vec!["oauthTokens=true&forgetDevices=false"]
    );

    let r = revoke("/api/v1/users/nobody/sessions")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(body(r).await["errorCode"], "E0000007");
    let r = c
        .delete(s.url(path))
        .header("authorization", "SSWS wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(body(r).await["errorCode"], "E0000011");

    let search = r#"/api/v1/users?search=profile.email%20eq%20%22ann%40example.com%22"#;
    let found = body(
        c.get(s.url(search))
            .header("authorization", ssws)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(found[0]["id"], "00u1");
    let user = c
        .get(s.url("/api/v1/users/ann"))
        .header("authorization", ssws);
    assert_eq!(
        body(user.send().await.unwrap()).await["profile"]["login"],
        "ann@example.com"
    );

    s.issue_token("bearer-at", &["okta.users.read"]);
    let r = c
        .delete(s.url(path))
        .bearer_auth("bearer-at")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(body(r).await["errorCode"], "E0000006");

    s.rate_limit_next(1, 30);
    let r = revoke(path).send().await.unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(header(&r, "x-rate-limit-remaining"), "0");
    assert!(header(&r, "x-rate-limit-reset").parse::<u64>().unwrap() >= now() + 29);
    assert_eq!(body(r).await["errorCode"], "E0000047");
}

#[tokio::test]
async fn graph_revokes_sign_in_sessions() {
    let (c, s) = (
        client(),
        admin::graph("contoso", "app-id", "app-secret").await,
    );
    s.add_user("0b1c", "ann@contoso.com", "ann@contoso.onmicrosoft.com");
    s.add_session("0b1c");
    let token = |scope: &str| {
        c.post(s.url("/contoso/oauth2/v2.0/token")).form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "app-id"),
            ("client_secret", "app-secret"),
            ("scope", scope),
        ])
    };
    let r = token("User.RevokeSessions.All").send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(body(r).await["error"], "invalid_scope");
    let at = body(
        token("https://graph.microsoft.com/.default")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let at = at["access_token"].as_str().unwrap().to_owned();

    let url = s.url("/v1.0/users?$filter=mail%20eq%20'ann%40contoso.com'");
    let found = body(c.get(url).bearer_auth(&at).send().await.unwrap()).await;
    assert_eq!(found["value"][0]["id"], "0b1c");

    let revoke = |u: &str| c.post(s.url(&format!("/v1.0/users/{u}/revokeSignInSessions")));
    let r = revoke("ann%40contoso.onmicrosoft.com")
        .bearer_auth(&at)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(body(r).await["value"], true);
    assert!(s.is_signed_out("0b1c"));
    let r = revoke("ghost").bearer_auth(&at).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(body(r).await["error"]["code"], "Request_ResourceNotFound");
    let r = revoke("0b1c").send().await.unwrap();
    assert_eq!(body(r).await["error"]["code"], "InvalidAuthenticationToken");

    s.withhold("User.RevokeSessions.All");
    let weak = body(
        token("https://graph.microsoft.com/.default")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let r = revoke("0b1c").bearer_auth(weak["access_token"].as_str().unwrap());
    let r = r.send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        body(r).await["error"]["code"],
        "Authorization_RequestDenied"
    );

    s.rate_limit_next(2, 5);
    let r = revoke("0b1c").bearer_auth(&at).send().await.unwrap();
    assert_eq!(
        (r.status(), header(&r, "retry-after")),
        (StatusCode::TOO_MANY_REQUESTS, "5".into())
    );
    // The token endpoint is not throttled: the second 429 goes to the next API call.
    assert_eq!(
        token("https://graph.microsoft.com/.default")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        revoke("0b1c")
            .bearer_auth(&at)
            .send()
            .await
            .unwrap()
            .status(),
        429
    );
    assert_eq!(
        revoke("0b1c")
            .bearer_auth(&at)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn auth0_deletes_sessions_and_refresh_tokens() {
    let (c, s) = (client(), admin::auth0("m2m", "m2m-secret").await);
    s.add_user("auth0|abc", "ann@example.com", "ann");
    s.add_session("auth0|abc");
    s.add_token("auth0|abc", "spa", "SPA");
    let audience = s.url("/api/v2/").to_string();
    let token = || {
        let body = json!({
            "grant_type": "client_credentials", "client_id": "m2m",
            "client_secret": "m2m-secret", "audience": audience,
        });
        c.post(s.url("/oauth/token"))
            .header("content-type", "application/json")
            .body(body.to_string())
    };
    let at = body(token().send().await.unwrap()).await;
    assert_eq!(at["expires_in"], 86400);
    let at = at["access_token"].as_str().unwrap().to_owned();

    let url = s.url("/api/v2/users-by-email?email=ann%40example.com");
    let found = body(c.get(url).bearer_auth(&at).send().await.unwrap()).await;
    assert_eq!(found[0]["user_id"], "auth0|abc");

    let del = |what: &str| c.delete(s.url(&format!("/api/v2/users/auth0%7Cabc/{what}")));
    let r = del("sessions").bearer_auth(&at).send().await.unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(
        r.text().await.unwrap(),
        "Session deletion request accepted."
    );
    assert!(s.is_signed_out("auth0|abc"));
    assert_eq!(s.tokens_of("auth0|abc"), 1);
    assert_eq!(
        del("refresh-tokens")
            .bearer_auth(&at)
            .send()
            .await
            .unwrap()
            .status(),
        202
    );
    assert_eq!(s.tokens_of("auth0|abc"), 0);

    let r = c
        .delete(s.url("/api/v2/users/auth0%7Cnope/sessions"))
        .bearer_auth(&at);
    let r = r.send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(body(r).await["errorCode"], "inexistent_user");

    s.set_not_enterprise(true);
    let r = del("sessions").bearer_auth(&at).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(body(r).await["errorCode"], "operation_not_supported");
    s.set_not_enterprise(false);

    s.withhold("delete:sessions");
    let weak = body(token().send().await.unwrap()).await;
    let r = del("sessions").bearer_auth(weak["access_token"].as_str().unwrap());
    let r = r.send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(body(r).await["errorCode"], "insufficient_scope");

    s.rate_limit_next(1, 3);
    let r = del("sessions").bearer_auth(&at).send().await.unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(header(&r, "x-ratelimit-remaining"), "0");
    assert!(header(&r, "x-ratelimit-reset").parse::<u64>().unwrap() >= now() + 2);
}

fn google_assertion(sub: &str, scope: &str) -> String {
    let now = now();
    admin::sign_test_assertion(&json!({
        "iss": "signoff@proj.iam.gserviceaccount.com", "sub": sub, "scope": scope,
        "aud": "https://oauth2.googleapis.com/token", "iat": now, "exp": now + 3600,
    }))
}

async fn google_token(c: &Client, s: &AdminServer, assertion: &str) -> Response {
    let grant = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    let form = [("grant_type", grant), ("assertion", assertion)];
    c.post(s.url("/token")).form(&form).send().await.unwrap()
}

#[tokio::test]
async fn google_signs_out_and_deletes_app_tokens() {
    let c = client();
    let s = admin::google("signoff@proj.iam.gserviceaccount.com", "root@corp.example").await;
    s.add_user("1001", "ann@corp.example", "ann@corp.example");
    s.add_session("1001");
    s.add_token("1001", "123.apps.googleusercontent.com", "Some App");
    let scope = admin::google::SECURITY_SCOPE;
    let r = google_token(&c, &s, &google_assertion("root@corp.example", scope)).await;
    assert_eq!(r.status(), 200);
    let at = body(r).await["access_token"].as_str().unwrap().to_owned();

    let users = "/admin/directory/v1/users";
    let sign_out = |u: &str| c.post(s.url(&format!("{users}/{u}/signOut")));
    let r = sign_out("ann%40corp.example")
        .bearer_auth(&at)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert!(s.is_signed_out("1001"));
    let list = c
        .get(s.url(&format!("{users}/1001/tokens")))
        .bearer_auth(&at);
    let list = body(list.send().await.unwrap()).await;
    assert_eq!(list["kind"], "admin#directory#tokenList");
    let client_id = list["items"][0]["clientId"].as_str().unwrap().to_owned();
    let del = || {
        c.delete(s.url(&format!("{users}/1001/tokens/{client_id}")))
            .bearer_auth(&at)
    };
    assert_eq!(del().send().await.unwrap().status(), 204);
    assert_eq!(del().send().await.unwrap().status(), 404);
    assert_eq!(s.tokens_of("1001"), 0);

    let r = sign_out("ghost%40corp.example")
        .bearer_auth(&at)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(body(r).await["error"]["errors"][0]["reason"], "notFound");

    let r = google_token(&c, &s, &google_assertion("ann@corp.example", scope)).await;
    let not_admin = body(r).await["access_token"].as_str().unwrap().to_owned();
    let r = sign_out("1001")
        .bearer_auth(&not_admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(body(r).await["error"]["errors"][0]["reason"], "forbidden");

    let mut forged = google_assertion("root@corp.example", scope);
    forged.replace_range(forged.len() - 4.., "AAAA");
    assert_eq!(google_token(&c, &s, &forged).await.status(), 400);
    s.withhold(scope);
    let r = google_token(&c, &s, &google_assertion("root@corp.example", scope)).await;
    assert_eq!(body(r).await["error"], "unauthorized_client");

    s.rate_limit_next(1, 1);
    s.too_many_next(1, 1);
    let r = sign_out("1001").bearer_auth(&at).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        body(r).await["error"]["errors"][0]["reason"],
        "userRateLimitExceeded"
    );
    let r = sign_out("1001").bearer_auth(&at).send().await.unwrap();
    assert_eq!(r.status(), 429);
}

#[tokio::test]
async fn faults_delay_and_counters() {
    let c = client();
    let s = admin::okta("tok").await;
    s.add_user("00u1", "ann@example.com", "ann@example.com");
    let path = "/api/v1/users/00u1/sessions";
    s.fail_next(1, Fault::ServerError);
    let call = || {
        c.delete(s.url(path))
            .header("authorization", "SSWS tok")
            .send()
    };
    assert_eq!(call().await.unwrap().status(), 500);
    assert_eq!(call().await.unwrap().status(), 204);
    s.set_delay(Duration::from_millis(200));
    let (a, b, d) = tokio::join!(call(), call(), call());
    assert!(
        [a, b, d]
            .iter()
            .all(|r| r.as_ref().unwrap().status() == 204)
    );
    assert_eq!(s.max_in_flight(), 3);
    assert_eq!(s.requests_to(path), 5);
    assert_eq!(s.requests_per_path()[path], 5);
    // Bad input is answered, never a panic: a path segment that is not UTF-8.
    let r = c
        .delete(s.url("/api/v1/users/%FF%FE/sessions"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}
