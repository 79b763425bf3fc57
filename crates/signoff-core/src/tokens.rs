//! The token bundle an account holds: refresh, access and ID tokens, any subset.

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::secret::SecretString;

/// The tokens of one account. Stored as one keychain entry; never written anywhere else.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenBundle {
    #[serde(default)]
    pub refresh_token: Option<SecretString>,
    #[serde(default)]
    pub access_token: Option<SecretString>,
    #[serde(default)]
    pub id_token: Option<SecretString>,
}

impl TokenBundle {
    /// The token of this kind, if the bundle holds one.
    pub fn of(&self, kind: crate::profile::TokenKind) -> Option<&SecretString> {
        use crate::profile::TokenKind;
        match kind {
            TokenKind::RefreshToken => self.refresh_token.as_ref(),
            TokenKind::AccessToken => self.access_token.as_ref(),
            TokenKind::IdToken => self.id_token.as_ref(),
        }
    }

    /// Puts `token` in the slot of its kind.
    pub fn set(&mut self, kind: crate::profile::TokenKind, token: SecretString) {
        use crate::profile::TokenKind;
        let slot = match kind {
            TokenKind::RefreshToken => &mut self.refresh_token,
            TokenKind::AccessToken => &mut self.access_token,
            TokenKind::IdToken => &mut self.id_token,
        };
        *slot = Some(token);
    }

    /// Parses a bundle from JSON such as `{"refresh_token": "..."}` (any subset of the three
    /// fields), then checks it as [`TokenBundle::validated`] does. The error never quotes the
    /// input.
    pub fn from_json(json: &str) -> Result<Self> {
        let bundle: TokenBundle = serde_json::from_str(json).map_err(|e| {
            Error::invalid(
                "tokens",
                format!(
                    "expected a JSON object with refresh_token, access_token and/or id_token \
                     ({} at line {} column {})",
                    classify_json_error(&e),
                    e.line(),
                    e.column()
                ),
            )
        })?;
        bundle.validated()
    }

    /// The one check every bundle passes before it is stored, whether it came from the CLI,
    /// the window (IPC) or a sign-in: blank tokens count as absent, surrounding whitespace is
    /// trimmed, a token with spaces, line breaks or non-ASCII characters inside is refused, and
    /// a bundle with no token at all is refused. The error never quotes a token.
    pub fn validated(mut self) -> Result<Self> {
        for (name, t) in [
            ("refresh_token", &mut self.refresh_token),
            ("access_token", &mut self.access_token),
            ("id_token", &mut self.id_token),
        ] {
            if t.as_ref().is_some_and(SecretString::is_blank) {
                *t = None;
            }
            if let Some(v) = t.as_mut() {
                let trimmed = v.expose_secret().trim();
                // RFC 6750 b64token and JWTs: printable ASCII, no spaces. A pasted token with
                // spaces or line breaks inside is a copy-and-paste accident, not a token.
                if !trimmed.bytes().all(|b| b.is_ascii_graphic()) {
                    return Err(Error::invalid(
                        "tokens",
                        format!(
                            "{name} has spaces, line breaks or non-ASCII characters inside; paste it again"
                        ),
                    ));
                }
                if trimmed.len() != v.expose_secret().len() {
                    *v = SecretString::new(trimmed.to_owned());
                }
            }
        }
        if self.is_empty() {
            return Err(Error::invalid("tokens", "no token given"));
        }
        Ok(self)
    }

    /// True when the bundle holds no token.
    pub fn is_empty(&self) -> bool {
        self.refresh_token.is_none() && self.access_token.is_none() && self.id_token.is_none()
    }

    /// The JSON form kept in the keychain. Only the vault calls this.
    pub(crate) fn to_keychain_json(&self) -> SecretString {
        let field = |t: &Option<SecretString>| t.as_ref().map(|s| s.expose_secret().to_owned());
        let value = serde_json::json!({
            "refresh_token": field(&self.refresh_token),
            "access_token": field(&self.access_token),
            "id_token": field(&self.id_token),
        });
        SecretString::new(value.to_string())
    }
}

/// serde_json's messages can quote input; keep only the category.
fn classify_json_error(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Io => "read error",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "unexpected field or type",
        serde_json::error::Category::Eof => "unexpected end of input",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_any_subset_and_drops_blanks() {
        let b = TokenBundle::from_json(r#"{"refresh_token":"r1","access_token":"  "}"#).unwrap();
        assert_eq!(b.refresh_token.unwrap().expose_secret(), "r1");
        assert!(b.access_token.is_none());
    }

    #[test]
    fn rejects_empty_and_unknown_fields_without_quoting_input() {
        let e = TokenBundle::from_json("{}").unwrap_err();
        assert_eq!(e.code(), crate::ErrorCode::InvalidInput);
        let e = TokenBundle::from_json(r#"{"refresh_tokn":"sekrit-value"}"#).unwrap_err();
        assert!(!e.to_string().contains("sekrit-value"), "{e}");
        let e = TokenBundle::from_json(r#"{"refresh_token": sekrit-value}"#).unwrap_err();
        assert!(!e.to_string().contains("sekrit"), "{e}");
    }

    #[test]
    fn pasted_tokens_are_trimmed_and_broken_ones_refused() {
        let b = TokenBundle::from_json(r#"{"access_token":"  abc.def-ghi_123=  "}"#).unwrap();
        assert_eq!(b.access_token.unwrap().expose_secret(), "abc.def-ghi_123=");
        for bad in [
            r#"{"access_token":"abc def"}"#,
            r#"{"refresh_token":"abc\ndef"}"#,
            r#"{"id_token":"abcé"}"#,
        ] {
            let e = TokenBundle::from_json(bad).unwrap_err();
            assert_eq!(e.code(), crate::ErrorCode::InvalidInput, "{bad}");
            assert!(
                !e.to_string().contains("abc"),
                "never quotes the token: {e}"
            );
        }
    }

    #[test]
    fn keychain_json_round_trips() {
        let b = TokenBundle::from_json(r#"{"access_token":"a","id_token":"i"}"#).unwrap();
        let back = TokenBundle::from_json(b.to_keychain_json().expose_secret()).unwrap();
        assert_eq!(back.access_token.unwrap().expose_secret(), "a");
        assert_eq!(back.id_token.unwrap().expose_secret(), "i");
        assert!(back.refresh_token.is_none());
    }
}
