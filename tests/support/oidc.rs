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

    /// Starts the provider with `env` set: the knobs its header comment lists (the device
    /// flow's `SIGNOFF_OIDC_DEVICE_INTERVAL`, `_SLOW_DOWN`, `_TTL`, say).
    pub async fn start_with(env: &[(&str, &str)]) -> Self {
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

/// A browser as far as the provider's pages need one: a cookie jar, no redirects followed.
struct Browser<'a> {
    http: &'a reqwest::Client,
    cookies: std::collections::BTreeMap<String, String>,
}

/// One page the browser was given.
struct Page {
    status: u16,
    location: Option<String>,
    html: String,
}

impl Browser<'_> {
    /// GETs `url`, or POSTs `form` there, with the cookies so far; keeps those it sets.
    async fn go(&mut self, url: &Url, form: Option<Vec<(String, String)>>) -> Page {
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let req = match form {
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
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_owned(), value.to_owned());
                }
            }
        }
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned());
        let html = resp.text().await.unwrap_or_default();
        Page {
            status,
            location,
            html,
        }
    }
}

/// The `action` of the page's first form.
fn form_action(html: &str) -> Option<String> {
    html.split("action=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .map(str::to_owned)
}

/// The page's hidden inputs, as (name, value).
fn hidden_fields(html: &str) -> Vec<(String, String)> {
    let attr = |tag: &str, name: &str| {
        tag.split(&format!("{name}=\""))
            .nth(1)
            .and_then(|r| r.split('"').next())
            .map(str::to_owned)
    };
    html.split("<input")
        .skip(1)
        .map(|t| t.split('>').next().unwrap_or_default())
        .filter(|t| t.contains("type=\"hidden\""))
        .filter_map(|t| Some((attr(t, "name")?, attr(t, "value").unwrap_or_default())))
        .collect()
}

/// The form fields for the provider's login form (as `login`, any password), else none.
fn login_fields(html: &str, login: &str) -> Vec<(String, String)> {
    if html.contains("name=\"login\"") {
        vec![
            ("login".into(), login.to_owned()),
            ("password".into(), "any".into()),
        ]
    } else {
        Vec::new()
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

    fn browser(&self) -> Browser<'_> {
        Browser {
            http: &self.http,
            cookies: Default::default(),
        }
    }

    /// Plays the browser from `start` (the app's `/start` address): follows redirects with a
    /// cookie jar, logs in as `login` on the provider's login form, approves the consent form,
    /// and stops at the provider's redirect to the app's loopback `/callback/...`, returning that
    /// URL without requesting it.
    pub async fn authorize(&self, start: &Url, login: &str) -> Url {
        let mut browser = self.browser();
        let mut url = start.clone();
        let mut form = None;
        for _ in 0..20 {
            let page = browser.go(&url, form.take()).await;
            match (page.status, page.location) {
                (300..=399, Some(location)) => {
                    url = url.join(&location).unwrap();
                    if url.path().starts_with("/callback/") && url.port() != self.issuer.port() {
                        return url;
                    }
                }
                (200, _) => {
                    let action = form_action(&page.html)
                        .unwrap_or_else(|| panic!("no form on {url}: {}", page.html));
                    form = Some(login_fields(&page.html, login));
                    url = url.join(&action).unwrap();
                }
                (other, _) => panic!("unexpected {other} from {url}: {}", page.html),
            }
        }
        panic!("the sign-in did not reach the app's callback within 20 steps");
    }

    /// Plays the person on their phone for a sign-in on another device: opens
    /// `verification_uri`, enters `user_code`, and then either approves (logs in as `login`,
    /// consents) or presses the confirmation page's [ Abort ] (`approve` false). Returns the
    /// last page (oidc-provider's "Sign-in Success" page when approved).
    pub async fn answer_device_code(
        &self,
        verification_uri: &Url,
        user_code: &str,
        login: &str,
        approve: bool,
    ) -> String {
        let mut browser = self.browser();
        let mut url = verification_uri.clone();
        let mut form = None;
        let mut aborted = false;
        for _ in 0..20 {
            let page = browser.go(&url, form.take()).await;
            match (page.status, page.location) {
                (300..=399, Some(location)) => url = url.join(&location).unwrap(),
                (200, _) if aborted => return page.html,
                (200, _) => {
                    let Some(action) = form_action(&page.html) else {
                        return page.html;
                    };
                    let mut fields = hidden_fields(&page.html);
                    fields.extend(login_fields(&page.html, login));
                    if page.html.contains("name=\"user_code\"")
                        && !fields.iter().any(|(k, _)| k == "user_code")
                    {
                        fields.push(("user_code".into(), user_code.to_owned()));
                    }
                    if !approve && fields.iter().any(|(k, _)| k == "confirm") {
                        fields.retain(|(k, _)| k != "confirm");
                        fields.push(("abort".into(), "yes".into()));
                        aborted = true;
                    }
                    form = Some(fields);
                    url = url.join(&action).unwrap();
                }
                (other, _) => panic!("unexpected {other} from {url}: {}", page.html),
            }
        }
        panic!("the device sign-in did not finish within 20 steps");
    }

    /// Every device-code poll the token endpoint answered, in order.
    pub async fn device_polls(&self) -> Vec<DevicePoll> {
        let resp = self
            .http
            .get(self.admin.join("device-polls").unwrap())
            .send()
            .await
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|p| DevicePoll {
                at_ms: p["at"].as_u64().unwrap(),
                error: p["error"].as_str().map(str::to_owned),
                device_code: p["device_code"].as_str().unwrap_or_default().to_owned(),
            })
            .collect()
    }
}

/// One device-code poll of the provider's token endpoint, as it answered.
#[derive(Debug, Clone)]
pub struct DevicePoll {
    /// When it was answered, in milliseconds since the epoch.
    pub at_ms: u64,
    /// The `error` answered (`authorization_pending`, `slow_down`, …), `None` for the tokens.
    pub error: Option<String>,
    /// The device code polled with (a secret of the sign-in: for tests that look for it).
    pub device_code: String,
}
