//! A token endpoint's answer (RFC 6749 §5.1) as the sign-ins and the refresh read it: the
//! tokens, straight into secret strings, and when the access token expires, bounded.

use serde::Deserialize;

use crate::secret::SecretString;
use crate::tokens::TokenBundle;

/// `Debug` shows the tokens as `[redacted]` ([`SecretString`]).
#[derive(Debug, Deserialize)]
pub(crate) struct TokenResponse {
    access_token: Option<SecretString>,
    refresh_token: Option<SecretString>,
    pub(crate) id_token: Option<SecretString>,
    /// RFC 6749 says a number; some providers send a numeric string.
    #[serde(default, deserialize_with = "number_or_numeric_string")]
    expires_in: Option<i64>,
}

/// `expires_in` as a JSON number or a string of digits; anything else (a fraction, a word, a
/// number past `i64`) counts as not given rather than failing the whole answer.
pub(crate) fn number_or_numeric_string<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<i64>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        Some(serde_json::Value::Number(n)) => n.as_i64(),
        Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    })
}

/// Reads a token endpoint's answer exactly as the sign-ins and the refresh do: the tokens and
/// when the access token expires (for the fuzz targets and tests).
#[doc(hidden)]
pub fn parse_token_answer(body: &[u8]) -> Option<(TokenBundle, Option<time::OffsetDateTime>)> {
    serde_json::from_slice::<TokenResponse>(body)
        .ok()
        .map(TokenResponse::into_tokens)
}

impl TokenResponse {
    /// The tokens as Signoff keeps them, and when the access token expires.
    pub(crate) fn into_tokens(self) -> (TokenBundle, Option<time::OffsetDateTime>) {
        let access_expires_at = expiry(
            self.expires_in,
            self.access_token.as_ref().map(SecretString::expose_secret),
        );
        let tokens = TokenBundle {
            refresh_token: self.refresh_token,
            access_token: self.access_token,
            id_token: self.id_token,
        };
        (tokens, access_expires_at)
    }
}

/// When an access token expires: `expires_in` from the token answer, else the token's own `exp`
/// when it is a JWT. A lifetime past [`LIFETIME_MAX`] (a provider's mistake, or an attack) is
/// cut to it, so no answer can overflow the calendar.
pub fn expiry(expires_in: Option<i64>, access_token: Option<&str>) -> Option<time::OffsetDateTime> {
    match expires_in {
        Some(secs) if secs > 0 => {
            let secs = secs.min(LIFETIME_MAX.whole_seconds());
            time::OffsetDateTime::now_utc().checked_add(time::Duration::seconds(secs))
        }
        _ => access_token.and_then(jwt_exp),
    }
}

/// The longest access-token lifetime Signoff takes from an answer: ten years.
pub const LIFETIME_MAX: time::Duration = time::Duration::days(3650);

/// The `exp` claim of a JWT, without checking its signature (used only to know when to refresh).
pub fn jwt_exp(token: &str) -> Option<time::OffsetDateTime> {
    let exp = crate::jwt::unverified_claims(token)?.get("exp")?.as_i64()?;
    time::OffsetDateTime::from_unix_timestamp(exp).ok()
}
