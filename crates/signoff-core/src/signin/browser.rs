//! The browser sign-in (authorization code with PKCE, RFC 7636; loopback redirect, RFC 8252)
//! from start to finish, for every shell: discovery, the loopback listener ([`super::loopback`]),
//! the shell's [`Opener`] given the short `/start` address, the wait (cancel and timeout), then the
//! checks before the code exchange (`iss` per RFC 9207 against mix-up, RFC 9700 §4.4; the
//! provider's error in its own words), the exchange, and the ID token's verification
//! ([`super::id_token`]). Tokens issued to an answer that then fails a check are revoked.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use percent_encoding::utf8_percent_encode;
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::loopback::{self, Page, Routes};
use super::{Opener, SignedIn, TokenResponse, random_text, signin_error, verdict_error};
use crate::discovery::{self, Metadata};
use crate::error::{Error, Result};
use crate::http::Call;
use crate::outcome::provider_error;
use crate::profile::Profile;
use crate::secret::SecretString;
use crate::tokens::TokenBundle;

/// How much of a provider's `error` / `error_description` is shown.
pub const PROVIDER_TEXT_MAX: usize = 300;

/// The redirect path of `provider`: each provider its own (RFC 9700 §4.4.2).
pub fn callback_path(provider: &str) -> String {
    format!(
        "/callback/{}",
        utf8_percent_encode(provider, crate::profile::steps::SEGMENT)
    )
}

/// One browser sign-in, from discovery to the verified answer.
pub(crate) struct Flow<'a> {
    pub client: &'a reqwest::Client,
    pub profile: &'a Profile,
    pub secret: Option<&'a SecretString>,
}

/// What the callback is checked and exchanged with.
struct Prepared {
    meta: Metadata,
    client_id: String,
    redirect_uri: String,
    nonce: String,
    verifier: SecretString,
    token_endpoint: Url,
}

impl Flow<'_> {
    /// Signs in: opens the browser through `opener`, waits up to `timeout` unless `cancel` fires.
    pub async fn run(
        &self,
        opener: &dyn Opener,
        cancel: &CancellationToken,
        timeout: Duration,
    ) -> Result<SignedIn> {
        let (prepared, listener, routes, start) = self.prepare().await?;
        let (server, mut arrivals) = loopback::serve(listener, routes);
        opener.open(&start);
        let arrival = tokio::select! {
            a = arrivals.recv() => a.ok_or_else(|| signin_error("the sign-in listener stopped"))?,
            () = cancel.cancelled() => return Err(Error::SignInCancelled),
            () = tokio::time::sleep(timeout) => {
                return Err(Error::SignInTimedOut { secs: timeout.as_secs() });
            }
        };
        drop(server);
        let result = self.finish(&prepared, &arrival.params).await;
        let text = match &result {
            Ok(_) => "Signed in. You can close this tab and return to Signoff.".to_owned(),
            Err(Error::SignIn { reason }) => {
                format!("Signing in did not work: {reason}. Return to Signoff to try again.")
            }
            Err(e) => format!("Signing in did not work: {e}. Return to Signoff to try again."),
        };
        let status = if result.is_ok() { 200 } else { 400 };
        let _ = arrival.reply.send(Page { status, text });
        // The browser gets its page before the caller (maybe a command about to exit) goes on.
        let _ = tokio::time::timeout(Duration::from_secs(2), arrival.written).await;
        result
    }

    /// Discovery, the listener, and the authorization URL behind `/start`.
    async fn prepare(&self) -> Result<(Prepared, TcpListener, Routes, Url)> {
        let profile = self.profile;
        let (issuer, client_id) = super::oidc_client(profile)?;
        let meta = discovery::discover(self.client, &issuer)
            .await
            .map_err(verdict_error)?;
        let missing = |what: &str| signin_error(format!("the provider publishes no {what}"));
        let authorize = meta
            .authorization_endpoint
            .clone()
            .ok_or_else(|| missing("authorization endpoint"))?;
        let token_endpoint = meta
            .token_endpoint
            .clone()
            .ok_or_else(|| missing("token endpoint"))?;
        if meta.sign_in.jwks_uri.is_none() {
            return Err(missing("jwks_uri (the keys that sign its ID tokens)"));
        }
        let listen_error = |source| Error::Io {
            action: "cannot listen on",
            path: "127.0.0.1".into(),
            source,
        };
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(listen_error)?;
        let port = listener.local_addr().map_err(listen_error)?.port();
        let callback_path = callback_path(&profile.id);
        let redirect_uri = format!("http://127.0.0.1:{port}{callback_path}");
        let (state, nonce) = (random_text(24)?, random_text(24)?);
        let verifier = SecretString::new(random_text(48)?);
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.expose_secret().as_bytes()));
        let scopes = super::sign_in_scopes(profile);
        let mut url = authorize;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", "code")
                .append_pair("client_id", &client_id)
                .append_pair("redirect_uri", &redirect_uri)
                .append_pair("scope", &scopes.join(" "))
                .append_pair("state", &state)
                .append_pair("nonce", &nonce)
                .append_pair("code_challenge", &challenge)
                .append_pair("code_challenge_method", "S256");
            if profile.offline_access {
                q.append_pair("prompt", "consent");
            }
        }
        let start_path = format!("/start/{}", random_text(12)?);
        let start = Url::parse(&format!("http://127.0.0.1:{port}{start_path}"))
            .map_err(|e| signin_error(e.to_string()))?;
        let routes = Routes {
            start_path,
            authorize: url,
            callback_path,
            state,
        };
        let prepared = Prepared {
            meta,
            client_id,
            redirect_uri,
            nonce,
            verifier,
            token_endpoint,
        };
        Ok((prepared, listener, routes, start))
    }

    /// The callback (its `state` already checked by the listener): `iss`, the provider's error,
    /// the code exchange and the ID token.
    async fn finish(&self, p: &Prepared, params: &[(String, String)]) -> Result<SignedIn> {
        let get = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v);
        check_iss(&p.meta, get("iss").map(String::as_str))?;
        if let Some(code) = get("error") {
            let words = match get("error_description") {
                Some(d) => format!("{}: {}", clean(code), clean(d)),
                None => clean(code),
            };
            return Err(signin_error(format!(
                "{} refused; its words: \"{words}\"",
                self.profile.label
            )));
        }
        let code = SecretString::new(
            get("code")
                .cloned()
                .ok_or_else(|| signin_error("the answer has no code"))?,
        );
        let answer = Call::post(&p.token_endpoint)
            .field("grant_type", "authorization_code")
            .secret_field("code", &code)
            .field("redirect_uri", p.redirect_uri.clone())
            .secret_field("code_verifier", &p.verifier)
            .authenticate(self.profile, self.secret)
            .send(self.client)
            .await
            .map_err(|e| signin_error(format!("token request failed: {}", e.into_error())))?;
        let (status, body) = (answer.status, answer.body.as_slice());
        if status != 200 {
            let secrets: Vec<&str> = [code.expose_secret(), p.verifier.expose_secret()]
                .into_iter()
                .chain(self.secret.map(SecretString::expose_secret))
                .collect();
            return Err(signin_error(format!(
                "the token endpoint refused: {}",
                provider_error(status, body, &secrets)
            )));
        }
        let answer: TokenResponse = serde_json::from_slice(body)
            .map_err(|_| signin_error("the token response is not JSON"))?;
        let flow = (self.client, self.profile, self.secret);
        accept(flow, &p.meta, &p.client_id, Some(&p.nonce), answer).await
    }
}

/// A token answer accepted once its ID token checks out (signature, issuer, audience,
/// authorized party, times, and the nonce when one was sent): the account's tokens and who
/// signed in. A refused answer's tokens are revoked, and nothing is stored. The browser and the
/// device flow both end here.
pub(super) async fn accept(
    (client, profile, secret): (&reqwest::Client, &Profile, Option<&SecretString>),
    meta: &Metadata,
    client_id: &str,
    nonce: Option<&str>,
    answer: TokenResponse,
) -> Result<SignedIn> {
    let (tokens, access_expires_at) = answer.into_tokens();
    let checked = match &tokens.id_token {
        None => Err("the provider returned no ID token".to_owned()),
        Some(id_token) => super::id_token::verify(client, meta, client_id, nonce, id_token)
            .await
            .map_err(|e| format!("the ID token is refused: {e}")),
    };
    match checked {
        Ok(claims) => Ok(SignedIn {
            tokens,
            access_expires_at,
            subject: claims.sub,
            label: claims.label,
        }),
        Err(why) => {
            revoke_issued(client, profile, secret, meta, &tokens).await;
            Err(signin_error(format!("{why}; nothing was stored")))
        }
    }
}

/// RFC 9207: an `iss` in the answer must be the provider's issuer, and one that promises `iss`
/// must send it.
fn check_iss(meta: &Metadata, iss: Option<&str>) -> Result<()> {
    match iss {
        Some(iss) if iss != meta.sign_in.issuer => Err(signin_error(format!(
            "the answer comes from issuer \"{}\", not {} (a mix-up?); it was ignored",
            clean(iss),
            meta.sign_in.issuer
        ))),
        None if meta.sign_in.authorization_response_iss_parameter_supported => Err(signin_error(
            "the answer has no iss although the provider always sends one; it was ignored",
        )),
        _ => Ok(()),
    }
}

/// Text from the browser's query, shown as is: control characters dropped, at most
/// [`PROVIDER_TEXT_MAX`] characters.
pub fn clean(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .take(PROVIDER_TEXT_MAX)
        .collect()
}

/// Best effort: revokes the refresh and the access token of an answer that was refused (RFC
/// 7009), so no session lives on that nobody holds. Logged, never failing the caller.
pub(super) async fn revoke_issued(
    client: &reqwest::Client,
    profile: &Profile,
    secret: Option<&SecretString>,
    meta: &Metadata,
    tokens: &TokenBundle,
) {
    let Some(endpoint) = &meta.revocation_endpoint else {
        tracing::warn!(
            provider = %profile.id,
            "an answer was refused but the provider has no revocation endpoint; its tokens live on until they expire"
        );
        return;
    };
    let issued = [
        ("refresh_token", &tokens.refresh_token),
        ("access_token", &tokens.access_token),
    ];
    for (hint, token) in issued {
        let Some(token) = token else { continue };
        let sent = Call::post(endpoint)
            .secret_field("token", token)
            .field("token_type_hint", hint)
            .authenticate(profile, secret)
            .send(client)
            .await;
        match sent {
            Ok(a) if a.status == 200 => {
                tracing::info!(provider = %profile.id, hint, "revoked a refused answer's token");
            }
            Ok(a) => {
                tracing::warn!(provider = %profile.id, hint, status = a.status, "could not revoke a refused answer's token");
            }
            Err(e) => {
                tracing::warn!(provider = %profile.id, hint, error = %e.into_error(), "could not revoke a refused answer's token");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_provider_has_its_own_encoded_callback_path() {
        assert_eq!(callback_path("corp"), "/callback/corp");
        assert_eq!(callback_path("a/b c?"), "/callback/a%2Fb%20c%3F");
    }

    #[test]
    fn provider_text_is_cleaned_and_capped() {
        assert_eq!(clean("bad\r\nthing\u{1b}[31m"), "badthing[31m");
        assert_eq!(clean(&"x".repeat(5000)).len(), PROVIDER_TEXT_MAX);
    }

    #[test]
    fn iss_must_match_and_is_required_when_promised() {
        let issuer = Url::parse("http://127.0.0.1:9").unwrap();
        let mut meta = discovery::parse_metadata(
            &issuer,
            br#"{"issuer":"http://127.0.0.1:9","authorization_response_iss_parameter_supported":true}"#,
        )
        .unwrap();
        assert!(check_iss(&meta, Some("http://127.0.0.1:9")).is_ok());
        assert!(check_iss(&meta, Some("http://127.0.0.1:9/")).is_err());
        assert!(check_iss(&meta, Some("https://evil.example")).is_err());
        assert!(check_iss(&meta, None).is_err());
        meta.sign_in.authorization_response_iss_parameter_supported = false;
        assert!(check_iss(&meta, None).is_ok());
        assert!(check_iss(&meta, Some("https://evil.example")).is_err());
    }
}
