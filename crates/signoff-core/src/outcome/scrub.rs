//! Keeping tokens and client secrets out of what a provider says back: a provider that echoes
//! the request in its error may echo a secret as sent (in a form, percent-encoded), as it was
//! base64-encoded for HTTP Basic, or as is. Every such form is replaced by `[redacted]`; a text
//! that still holds a long piece of a secret after that is dropped whole.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// Secrets shorter than this are replaced only where they appear whole (a short password
/// shares its pieces with ordinary words).
const WINDOW: usize = 16;

/// `text` with every encoding of every secret (of at least 4 characters) replaced.
pub fn redact(text: &str, secrets: &[&str]) -> String {
    let mut t = text.to_owned();
    for s in secrets.iter().filter(|s| s.len() >= 4) {
        for form in encodings(s) {
            if form.len() >= 4 && t.contains(&form) {
                t = t.replace(&form, REDACTED);
            }
        }
    }
    t
}

/// True when `text` still holds [`WINDOW`] consecutive characters of a secret at least
/// 20 characters long (a token cut short, or one wrapped in something else).
pub fn holds_a_piece(text: &str, secrets: &[&str]) -> bool {
    secrets.iter().filter(|s| s.len() >= 20).any(|s| {
        s.as_bytes()
            .windows(WINDOW)
            .filter_map(|w| std::str::from_utf8(w).ok())
            .any(|w| text.contains(w))
    })
}

/// The forms a secret travels in: as is, form-encoded (`+` for spaces), percent-encoded
/// (every byte but letters and digits), and base64 (standard and URL-safe, padded or not),
/// longest first so no form is left half replaced.
fn encodings(secret: &str) -> Vec<String> {
    let mut forms = vec![
        secret.to_owned(),
        url::form_urlencoded::byte_serialize(secret.as_bytes()).collect(),
        utf8_percent_encode(secret, NON_ALPHANUMERIC).to_string(),
        STANDARD.encode(secret),
        STANDARD_NO_PAD.encode(secret),
        URL_SAFE.encode(secret),
        URL_SAFE_NO_PAD.encode(secret),
    ];
    forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    forms.dedup();
    forms
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "rt/9f+Kq2=xYz_secret-value.42";

    #[test]
    fn every_encoding_of_a_secret_is_redacted() {
        for echoed in [
            TOKEN.to_owned(),
            url::form_urlencoded::byte_serialize(TOKEN.as_bytes()).collect::<String>(),
            utf8_percent_encode(TOKEN, NON_ALPHANUMERIC).to_string(),
            STANDARD.encode(TOKEN),
            URL_SAFE_NO_PAD.encode(TOKEN),
        ] {
            let text = format!("bad token {echoed} given");
            assert_eq!(
                redact(&text, &[TOKEN]),
                "bad token [redacted] given",
                "{echoed}"
            );
        }
    }

    #[test]
    fn a_long_piece_of_a_secret_is_found_short_secrets_only_whole() {
        assert!(holds_a_piece("token rt/9f+Kq2=xYz_secr… was cut", &[TOKEN]));
        assert!(!holds_a_piece("token [redacted] was bad", &[TOKEN]));
        assert!(!holds_a_piece("the password was wrong", &["password"]));
    }
}
