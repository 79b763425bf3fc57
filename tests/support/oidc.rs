//! The real `oidc-provider` npm package as an independent OpenID provider
//! (`tests/oidc/provider.mjs`), started per test on 127.0.0.1 with a random port.

use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use url::Url;

/// Confidential clients the provider knows: (id, secret).
pub const BASIC_CLIENT: (&str, &str) = ("signoff-basic", "basic-secret");
pub const POST_CLIENT: (&str, &str) = ("signoff-post", "post-secret");

/// A running provider. Dropping it stops the process.
#[derive(Debug)]
pub struct OidcProvider {
    pub issuer: Url,
    admin: Url,
    child: Child,
    http: reqwest::Client,
}

/// A refresh token and an access token, minted for a client.
#[derive(Debug, Clone)]
pub struct Minted {
    pub refresh_token: String,
    pub access_token: String,
}

impl OidcProvider {
    /// Starts the provider (needs `npm ci` done: make test does it).
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// Starts the provider keeping every token it mints (its default store keeps the most recent
    /// ~1,000 entries only): for the benchmarks, which mint tens of thousands.
    pub async fn start_unbounded() -> Self {
        Self::start_with(&[("SIGNOFF_OIDC_STORE", "unbounded")]).await
    }

    /// Starts the provider with its metadata split between two documents: the OpenID
    /// configuration without `revocation_endpoint` and `introspection_endpoint`, and the whole
    /// document as RFC 8414 authorization-server metadata
    /// (`/.well-known/oauth-authorization-server`), as some servers publish them.
    pub async fn start_split_metadata() -> Self {
        Self::start_with(&[("SIGNOFF_OIDC_METADATA", "split")]).await
    }

    async fn start_with(env: &[(&str, &str)]) -> Self {
        let root = crate::workspace_root();
        assert!(
            root.join("node_modules/oidc-provider").is_dir(),
            "oidc-provider is not installed; run `npm ci` (make test does)"
        );
        let mut child = Command::new("node")
            .envs(env.iter().copied())
            .arg(root.join("tests/oidc/provider.mjs"))
            .current_dir(&root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("node is installed");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        tokio::time::timeout(
            std::time::Duration::from_secs(20),
            BufReader::new(stdout).read_line(&mut line),
        )
        .await
        .expect("oidc-provider started within 20 s")
        .unwrap();
        let ready: serde_json::Value = serde_json::from_str(&line).expect("ready line is JSON");
        let issuer = Url::parse(ready["issuer"].as_str().unwrap()).unwrap();
        let admin = Url::parse(&format!("{}/", ready["admin"].as_str().unwrap())).unwrap();
        Self {
            issuer,
            admin,
            child,
            http: signoff_core::http::client(Default::default()),
        }
    }

    /// The provider's process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Mints real tokens for `client_id` through the provider's own models.
    pub async fn mint(&self, client_id: &str, sub: &str) -> Minted {
        let body = serde_json::json!({ "client_id": client_id, "sub": sub }).to_string();
        let resp = self
            .http
            .post(self.admin.join("mint").unwrap())
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "mint failed: {}", resp.status());
        let v: serde_json::Value = serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
        Minted {
            refresh_token: v["refresh_token"].as_str().unwrap().to_owned(),
            access_token: v["access_token"].as_str().unwrap().to_owned(),
        }
    }

    /// POSTs `token` to one of the provider's endpoints as a public client (no secret).
    async fn post_public(&self, path: &str, client_id: &str, token: &str) -> reqwest::Response {
        let url = self.issuer.join(path).unwrap();
        let form = [("token", token), ("client_id", client_id)];
        let resp = self.http.post(url).form(&form).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path} answered");
        resp
    }

    /// Introspects as a public client (no secret).
    pub async fn is_active_public(&self, client_id: &str, token: &str) -> bool {
        let resp = self
            .post_public("/token/introspection", client_id, token)
            .await;
        let v: serde_json::Value = serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
        v["active"].as_bool().unwrap()
    }

    /// Revokes a token as a public client (independent of Signoff).
    pub async fn revoke_public(&self, client_id: &str, token: &str) {
        self.post_public("/token/revocation", client_id, token)
            .await;
    }

    /// Asks the provider's introspection endpoint directly (independent of the engine).
    pub async fn is_active(&self, client: (&str, &str), token: &str) -> bool {
        let url = self.issuer.join("/token/introspection").unwrap();
        let resp = self
            .http
            .post(url)
            .basic_auth(client.0, Some(client.1))
            .form(&[("token", token)])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "introspection answered");
        let v: serde_json::Value = serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
        v["active"].as_bool().unwrap()
    }
}

impl OidcProvider {
    /// Starts the provider publishing another key at its `jwks_uri` than the one it signs ID
    /// tokens with (`SIGNOFF_OIDC_JWKS=wrong`): every ID token's signature fails.
    pub async fn start_with_wrong_jwks() -> Self {
        Self::start_with(&[("SIGNOFF_OIDC_JWKS", "wrong")]).await
    }

    /// The tokens the token endpoint issued for authorization codes, oldest first.
    pub async fn issued(&self) -> Vec<Minted> {
        let resp = self
            .http
            .get(self.admin.join("issued").unwrap())
            .send()
            .await
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|t| Minted {
                refresh_token: t["refresh_token"].as_str().unwrap_or_default().to_owned(),
                access_token: t["access_token"].as_str().unwrap_or_default().to_owned(),
            })
            .collect()
    }

    /// Plays the browser for a sign-in and delivers the provider's redirect to the app's loopback
    /// callback, which must answer 200. Returns that callback URL.
    pub async fn complete_login(&self, start: &Url, login: &str) -> Url {
        let callback = self.authorize(start, login).await;
        let (status, page) = self.deliver(&callback).await;
        assert_eq!(status, 200, "the app's loopback page answered: {page}");
        callback
    }

    /// GETs `url` as the browser would (the app's callback): its status and page.
    pub async fn deliver(&self, url: &Url) -> (u16, String) {
        let resp = self
            .http
            .get(url.clone())
            .send()
            .await
            .expect("app answers");
        let status = resp.status().as_u16();
        (status, resp.text().await.unwrap_or_default())
    }

    /// Plays the browser from `start` (the app's `/start` address): follows redirects with a
    /// cookie jar, logs in as `login` on the provider's login form, approves the consent form,
    /// and stops at the provider's redirect to the app's loopback `/callback/...`, returning that
    /// URL without requesting it.
    pub async fn authorize(&self, start: &Url, login: &str) -> Url {
        let mut cookies: std::collections::BTreeMap<String, String> = Default::default();
        let mut url = start.clone();
        let mut form: Option<Vec<(&str, String)>> = None;
        for _ in 0..20 {
            let cookie = cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            let req = match form.take() {
                Some(f) => self.http.post(url.clone()).form(&f),
                None => self.http.get(url.clone()),
            };
            let resp = req
                .header("cookie", cookie)
                .send()
                .await
                .expect("provider answers");
            for set in resp.headers().get_all("set-cookie") {
                let pair = set
                    .to_str()
                    .unwrap_or_default()
                    .split(';')
                    .next()
                    .unwrap_or_default();
                if let Some((name, value)) = pair.split_once('=') {
                    if value.is_empty() {
                        cookies.remove(name);
                    } else {
                        cookies.insert(name.to_owned(), value.to_owned());
                    }
                }
            }
            let status = resp.status().as_u16();
            match status {
                300..=399 => {
                    let location = resp.headers()["location"].to_str().unwrap().to_owned();
                    url = url.join(&location).unwrap();
                    if url.path().starts_with("/callback/") && url.port() != self.issuer.port() {
                        return url;
                    }
                }
                200 => {
                    let html = resp.text().await.unwrap();
                    let action = html
                        .split("action=\"")
                        .nth(1)
                        .and_then(|r| r.split('"').next())
                        .unwrap_or_else(|| panic!("no form on {url}: {html}"))
                        .to_owned();
                    form = Some(if html.contains("name=\"login\"") {
                        vec![("login", login.to_owned()), ("password", "any".to_owned())]
                    } else {
                        Vec::new()
                    });
                    url = url.join(&action).unwrap();
                }
                other => panic!(
                    "unexpected {other} from {url}: {}",
                    resp.text().await.unwrap_or_default()
                ),
            }
        }
        panic!("the sign-in did not reach the app's callback within 20 steps");
    }
}
