//! The HTTP policy for every call that carries a token: HTTPS only (plain HTTP to loopback
//! alone), redirects never followed, connect and total timeouts, bodies read up to a cap, and
//! calls to loopback never sent through a proxy, `localhost` always this machine (and a plain
//! HTTP answer refused unless it came from it), and a certificate that does not check out
//! refused (`failed`, reason `tls`), not retried.

mod resolve;
mod tls;

use std::time::Duration;

use std::borrow::Cow;

use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, LOCATION, RETRY_AFTER};
use url::Url;

use crate::outcome::{BODY_LIMIT, Reason, ReasonKind};
use crate::profile::{BodyEncoding, ClientAuth, Method, Profile, is_allowed_endpoint};
use crate::secret::SecretString;

pub use resolve::{is_loopback_peer, loopback_addrs};
#[cfg(feature = "test-support")]
pub use tls::trust_for_tests;

/// Timeouts for provider calls.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    pub total: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(5),
            total: Duration::from_secs(20),
        }
    }
}

/// A provider's answer, trimmed to what the classifier needs. Its body may hold tokens (a
/// token endpoint's answer), so `Debug` shows only its length.
#[derive(Clone)]
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<String>,
    pub location: Option<String>,
    /// The rate-limit reset header the call asked for ([`Call::reset_header`]), if sent.
    pub reset: Option<String>,
    /// `X-RateLimit-Remaining`, if sent as a number (read for every call: bulk revocation's
    /// adaptive limit caps what it has in flight at it).
    pub rate_remaining: Option<u64>,
    /// `X-RateLimit-Reset` as sent (seconds or a Unix time, see
    /// [`crate::engine::adaptive::parse_rate_limit_reset`]).
    pub rate_reset: Option<String>,
    pub body: Vec<u8>,
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Answer")
            .field("status", &self.status)
            .field("retry_after", &self.retry_after)
            .field("location", &self.location)
            .field("rate_remaining", &self.rate_remaining)
            .field("rate_reset", &self.rate_reset)
            .field("body", &format_args!("[{} bytes]", self.body.len()))
            .finish()
    }
}

/// Why a call did not produce an answer.
#[derive(Debug, Clone)]
pub enum CallError {
    /// The call may not or cannot go ahead safely, and trying again will not change that: the
    /// URL may not carry a token (not https, and not loopback http), a plain HTTP answer came
    /// from off this machine, or the server's certificate (or TLS handshake) does not check out.
    Refused(Reason),
    /// Connection failed or timed out: worth retrying.
    Network(Reason),
}

impl CallError {
    /// What went wrong, whichever way the call failed.
    pub fn into_error(self) -> Reason {
        let (Self::Refused(e) | Self::Network(e)) = self;
        e
    }
}

/// Builds the shared client. Installs ring as the TLS provider the first time.
pub fn client(timeouts: Timeouts) -> reqwest::Client {
    client_with(timeouts, None)
}

/// [`client`], opening at most `connecting` new connections at once when given (bulk
/// revocation, which talks to one host: see [`crate::engine::EngineConfig::connecting`]).
/// Requests beyond that wait for a connection to finish opening or to come free in the pool.
pub fn client_with(timeouts: Timeouts, connecting: Option<usize>) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest::Client::builder();
    if let Some(n) = connecting {
        builder = builder.connector_layer(tower::limit::ConcurrencyLimitLayer::new(n.max(1)));
    }
    let mut builder = builder
        .no_proxy()
        .dns_resolver(resolve::Resolver)
        .tls_certs_merge(tls::extra_roots());
    for proxy in env_proxies() {
        builder = builder.proxy(proxy);
    }
    builder
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(timeouts.connect)
        .timeout(timeouts.total)
        .pool_max_idle_per_host(64)
        // A connection idle longer than servers commonly keep one (Node's http default, which
        // oidc-provider runs on, closes after 5 s) is not reused: a request sent as the server
        // closes it fails mid-air (a device sign-in polling every 6 s after `slow_down` did).
        .pool_idle_timeout(POOL_IDLE)
        .user_agent(concat!("signoff/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("HTTP client configuration is valid")
}

/// How long an idle connection is kept for reuse: under the 5 s keep-alive many servers use.
const POOL_IDLE: std::time::Duration = std::time::Duration::from_secs(4);

/// Loopback destinations, which never go through a proxy: plain HTTP is allowed there only
/// because it stays on this machine (`is_loopback` in the profile's terms).
const LOOPBACK: &str = "127.0.0.0/8,::1,localhost";

/// The proxies the environment asks for (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`, upper or
/// lower case, as curl and reqwest read them), each with `NO_PROXY` plus every loopback
/// address: a call to this machine is never sent to a proxy, whatever the environment says.
/// Like reqwest's own reading, none at all in a CGI environment (`REQUEST_METHOD` set).
fn env_proxies() -> Vec<reqwest::Proxy> {
    let var = |names: [&str; 2]| {
        names
            .into_iter()
            .find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
    };
    if std::env::var_os("REQUEST_METHOD").is_some() {
        return Vec::new();
    }
    let bypass = match var(["NO_PROXY", "no_proxy"]) {
        Some(no) => format!("{no},{LOOPBACK}"),
        None => LOOPBACK.to_owned(),
    };
    let no_proxy = || reqwest::NoProxy::from_string(&bypass);
    let mut proxies = Vec::new();
    if let Some(p) = var(["HTTP_PROXY", "http_proxy"]) {
        proxies.extend(reqwest::Proxy::http(p).ok());
    }
    if let Some(p) = var(["HTTPS_PROXY", "https_proxy"]) {
        proxies.extend(reqwest::Proxy::https(p).ok());
    }
    if let Some(p) = var(["ALL_PROXY", "all_proxy"]) {
        proxies.extend(reqwest::Proxy::all(p).ok());
    }
    proxies
        .into_iter()
        .map(|p| p.no_proxy(no_proxy()))
        .collect()
}

/// A token-carrying call ready to send (a `POST` unless a step says otherwise). Every body
/// field, header value, the Basic password and the bearer token are held as [`SecretString`]s
/// (tokens and client secrets travel there), so `Debug` prints `[redacted]` for them and they
/// are zeroed when the call is dropped. A URL that carries a token (npm's path, a query
/// parameter) is never put in an error text.
#[derive(Debug)]
pub struct Call<'a> {
    method: Method,
    url: Cow<'a, Url>,
    url_holds_secret: bool,
    body: BodyEncoding,
    fields: Vec<(String, SecretString)>,
    headers: Vec<(String, SecretString)>,
    basic_auth: Option<(String, SecretString)>,
    bearer: Option<SecretString>,
    reset_header: Option<String>,
    content_type: Option<String>,
}

impl<'a> Call<'a> {
    /// A form `POST` to `url` with nothing in it yet.
    pub fn post(url: &'a Url) -> Self {
        Self::new(Method::Post, Cow::Borrowed(url), BodyEncoding::Form)
    }

    /// A call with this method and body encoding.
    pub fn new(method: Method, url: Cow<'a, Url>, body: BodyEncoding) -> Self {
        Self {
            method,
            url,
            url_holds_secret: false,
            body,
            fields: Vec::new(),
            headers: Vec::new(),
            basic_auth: None,
            bearer: None,
            reset_header: None,
            content_type: None,
        }
    }

    /// Sends a JSON body under this content type (AWS: `application/x-amz-json-1.1`).
    pub fn content_type(mut self, value: impl Into<String>) -> Self {
        self.content_type = Some(value.into());
        self
    }

    /// Marks the URL as carrying a secret (a token in its path or query).
    pub fn url_holds_secret(mut self) -> Self {
        self.url_holds_secret = true;
        self
    }

    /// Adds a body field that is not secret (`grant_type`, `token_type_hint`, `client_id`).
    pub fn field(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.fields
            .push((name.into(), SecretString::new(value.into())));
        self
    }

    /// Adds a body field that carries a secret (a token, a code, a verifier, a password).
    pub fn secret_field(mut self, name: impl Into<String>, value: &SecretString) -> Self {
        self.fields.push((name.into(), value.clone()));
        self
    }

    /// Adds a header that is not secret.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers
            .push((name.into(), SecretString::new(value.into())));
        self
    }

    /// Adds a header that carries a secret (GitLab's `PRIVATE-TOKEN`).
    pub fn secret_header(mut self, name: impl Into<String>, value: &SecretString) -> Self {
        self.headers.push((name.into(), value.clone()));
        self
    }

    /// Sends `token` as `Authorization: Bearer`.
    pub fn bearer(mut self, token: &SecretString) -> Self {
        self.bearer = Some(token.clone());
        self
    }

    /// Reads this rate-limit header of the answer too (into [`Answer::reset`]).
    pub fn reset_header(mut self, name: impl Into<String>) -> Self {
        self.reset_header = Some(name.into());
        self
    }

    /// Adds the client's authentication the way the profile says (see [`Call::authenticate_as`]).
    pub fn authenticate(self, profile: &Profile, secret: Option<&SecretString>) -> Self {
        self.authenticate_as(profile.client_auth, profile.client_id.as_deref(), secret)
    }

    /// Adds the client's authentication: HTTP Basic (id and secret form-encoded first,
    /// RFC 6749 §2.3.1), both in the body, or a public client's id alone in a form body (as
    /// RFC 7009 public clients send it; a JSON or empty body gets nothing).
    pub fn authenticate_as(
        mut self,
        auth: ClientAuth,
        client_id: Option<&str>,
        secret: Option<&SecretString>,
    ) -> Self {
        let Some(client_id) = client_id.map(str::to_owned) else {
            return self;
        };
        // A step that names the client in its own fields (Twitch, Auth0) sends it once: a
        // parameter must not appear twice (RFC 6749 §3.2).
        let has_id = self.fields.iter().any(|(k, _)| k == "client_id");
        match (auth, secret) {
            (ClientAuth::Basic, Some(secret)) => {
                self.basic_auth = Some((client_id, secret.clone()));
                self
            }
            (ClientAuth::Post, Some(secret)) if has_id => {
                self.secret_field("client_secret", secret)
            }
            (ClientAuth::Post, Some(secret)) => self
                .field("client_id", client_id)
                .secret_field("client_secret", secret),
            _ if self.body != BodyEncoding::Form || has_id => self,
            _ => self.field("client_id", client_id),
        }
    }

    /// Sends the call (never following redirects) and reads at most `BODY_LIMIT` bytes back.
    pub async fn send(self, client: &reqwest::Client) -> Result<Answer, CallError> {
        check_endpoint(&self.url)?;
        let method = match self.method {
            Method::Post => reqwest::Method::POST,
            Method::Delete => reqwest::Method::DELETE,
            Method::Get => reqwest::Method::GET,
        };
        let mut req = client.request(method, self.url.as_ref().clone());
        match self.body {
            BodyEncoding::Form if !self.fields.is_empty() => {
                let body = SecretString::new(
                    url::form_urlencoded::Serializer::new(String::new())
                        .extend_pairs(self.fields.iter().map(|(k, v)| (k, v.expose_secret())))
                        .finish(),
                );
                req = req
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(body.expose_secret().to_owned());
            }
            BodyEncoding::Json => {
                let body = if self.fields.is_empty() {
                    SecretString::new("null".into())
                } else {
                    let object: serde_json::Map<String, serde_json::Value> = self
                        .fields
                        .iter()
                        .map(|(k, v)| (k.clone(), serde_json::Value::from(v.expose_secret())))
                        .collect();
                    SecretString::new(serde_json::Value::Object(object).to_string())
                };
                let content_type = self.content_type.as_deref().unwrap_or("application/json");
                req = req
                    .header(CONTENT_TYPE, content_type)
                    .body(body.expose_secret().to_owned());
            }
            _ => {}
        }
        for (name, value) in &self.headers {
            req = req.header(name.as_str(), value.expose_secret());
        }
        if let Some((user, pass)) = &self.basic_auth {
            req = req.basic_auth(form_encode(user), Some(form_encode(pass.expose_secret())));
        }
        if let Some(token) = &self.bearer {
            req = req.bearer_auth(token.expose_secret());
        }
        let resp = req.send().await.map_err(|e| {
            network_error(if self.url_holds_secret {
                e.without_url()
            } else {
                e
            })
        })?;
        let reset = self
            .reset_header
            .as_deref()
            .and_then(|h| resp.headers().get(h))
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let mut answer = read_answer(&self.url, resp).await?;
        answer.reset = reset;
        Ok(answer)
    }
}

/// Reads status, `Retry-After`, `Location`, `X-RateLimit-Remaining` and `-Reset`, and at most
/// `BODY_LIMIT` bytes of the body, after checking that a plain HTTP answer came from this
/// machine.
async fn read_answer(url: &Url, mut resp: reqwest::Response) -> Result<Answer, CallError> {
    check_peer(url, resp.remote_addr())?;
    let status = resp.status().as_u16();
    let header = |h: &HeaderMap, name| h.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let retry_after = header(resp.headers(), RETRY_AFTER);
    let location = header(resp.headers(), LOCATION);
    let rate_remaining = header(
        resp.headers(),
        HeaderName::from_static("x-ratelimit-remaining"),
    )
    .and_then(|v| v.trim().parse().ok());
    let rate_reset = header(resp.headers(), HeaderName::from_static("x-ratelimit-reset"));
    let mut body = Vec::new();
    while body.len() < BODY_LIMIT {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                let room = BODY_LIMIT - body.len();
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Ok(None) => break,
            // A body cut short still has its status: classify what arrived.
            Err(_) => break,
        }
    }
    Ok(Answer {
        status,
        retry_after,
        location,
        reset: None,
        rate_remaining,
        rate_reset,
        body,
    })
}

/// Refuses URLs that may not carry credentials: not https://, and not http:// to loopback.
fn check_endpoint(url: &Url) -> Result<(), CallError> {
    if is_allowed_endpoint(url) {
        return Ok(());
    }
    Err(CallError::Refused(Reason::new(
        ReasonKind::InsecureEndpoint,
        format!(
            "{} is not https:// (plain http is only allowed to loopback addresses)",
            url.origin().ascii_serialization()
        ),
    )))
}

/// Plain HTTP is allowed only because it stays on this machine: an `http://` answer from any
/// other peer (or one whose peer is unknown) is refused, whatever the name resolved to.
fn check_peer(url: &Url, peer: Option<std::net::SocketAddr>) -> Result<(), CallError> {
    if url.scheme() != "http" || peer.is_some_and(is_loopback_peer) {
        return Ok(());
    }
    let from = peer.map_or_else(|| "an unknown address".to_owned(), |p| p.ip().to_string());
    Err(CallError::Refused(Reason::new(
        ReasonKind::InsecureEndpoint,
        format!(
            "{} answered from {from}, not from this machine (plain http is only allowed to \
             loopback addresses)",
            url.origin().ascii_serialization()
        ),
    )))
}

/// RFC 6749 §2.3.1: client id and secret are form-encoded before Basic encoding.
fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn network_error(e: reqwest::Error) -> CallError {
    // reqwest's message names the URL (never a token: tokens travel in bodies and headers).
    let mut detail = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        detail.push_str(": ");
        detail.push_str(&s.to_string());
        source = s.source();
    }
    // A certificate that does not check out will not fix itself: refused, not retried.
    if let Some(tls) = tls::rustls_error(&e) {
        return CallError::Refused(Reason::new(
            ReasonKind::Tls,
            format!("{} ({detail})", tls::describe(tls)),
        ));
    }
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    CallError::Network(Reason::new(
        ReasonKind::Network,
        format!("{what} ({detail})"),
    ))
}

/// GETs a JSON document, with a bearer token when one is given (discovery metadata, or a
/// provider's token check), capped at `BODY_LIMIT`.
pub async fn get(
    client: &reqwest::Client,
    url: &Url,
    bearer: Option<&SecretString>,
) -> Result<Answer, CallError> {
    check_endpoint(url)?;
    let mut req = client
        .get(url.clone())
        .header(reqwest::header::ACCEPT, "application/json");
    if let Some(token) = bearer {
        req = req.bearer_auth(token.expose_secret());
    }
    read_answer(url, req.send().await.map_err(network_error)?).await
}

/// POSTs a JSON document (no credentials in it), capped at `BODY_LIMIT`, no redirects.
pub async fn post_json(
    client: &reqwest::Client,
    url: &Url,
    body: &serde_json::Value,
) -> Result<Answer, CallError> {
    check_endpoint(url)?;
    let req = client
        .post(url.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.to_string());
    read_answer(url, req.send().await.map_err(network_error)?).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_answers_from_off_this_machine_are_refused() {
        let http = Url::parse("http://localhost:8080/revoke").unwrap();
        let https = Url::parse("https://id.example/revoke").unwrap();
        let here = Some("127.0.0.1:8080".parse().unwrap());
        let there = Some("192.0.2.7:8080".parse().unwrap());
        assert!(check_peer(&http, here).is_ok());
        assert!(check_peer(&https, there).is_ok());
        for peer in [there, None] {
            let Err(CallError::Refused(r)) = check_peer(&http, peer) else {
                panic!("{peer:?} accepted");
            };
            assert_eq!(r.kind(), ReasonKind::InsecureEndpoint, "{r:?}");
        }
    }

    /// From 12 requests at once to an HTTPS listener that takes every connection and never
    /// answers, so each connection stays in its TLS handshake, where the bound holds it: how
    /// many connections the listener got, once `expected` came (or 5 s passed) and 300 ms more.
    async fn connections_opened(connecting: Option<usize>, expected: usize) -> usize {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("https://{}/revoke", listener.local_addr().unwrap());
        let accepted = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let taker = {
            let accepted = std::sync::Arc::clone(&accepted);
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    accepted.lock().unwrap().push(stream);
                }
            })
        };
        let timeouts = Timeouts {
            connect: std::time::Duration::from_secs(10),
            total: std::time::Duration::from_secs(10),
        };
        let client = client_with(timeouts, connecting);
        let requests: Vec<_> = (0..12)
            .map(|_| tokio::spawn(client.post(url.clone()).send()))
            .collect();
        let count = || accepted.lock().unwrap().len();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while count() < expected && std::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let opened = count();
        for r in requests {
            r.abort();
        }
        taker.abort();
        opened
    }

    #[tokio::test]
    async fn bulk_revocation_s_client_opens_a_few_connections_at_a_time() {
        assert_eq!(connections_opened(Some(4), 4).await, 4);
        assert_eq!(
            connections_opened(None, 12).await,
            12,
            "without the bound, one each"
        );
    }
}
