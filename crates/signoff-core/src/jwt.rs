//! Reading a JWT's claims without checking its signature: only to learn what a token says
//! about itself (when it expires, which client and realm it belongs to) before using it, never
//! to trust it.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

/// The claims of `token` when it is a JWT (three dot-separated parts whose middle one is a
/// base64url JSON object); `None` for opaque tokens.
pub fn unverified_claims(token: &str) -> Option<Map<String, Value>> {
    let mut parts = token.split('.');
    let (_, payload, _, None) = (parts.next()?, parts.next()?, parts.next()?, parts.next()) else {
        return None;
    };
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(claims) => Some(claims),
        _ => None,
    }
}

/// A string claim of `token`, when it is a JWT that has it.
pub fn claim(token: &str, name: &str) -> Option<String> {
    unverified_claims(token)?
        .get(name)?
        .as_str()
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &str) -> String {
        format!(
            "eyJhbGciOiJIUzI1NiJ9.{}.c2ln",
            URL_SAFE_NO_PAD.encode(claims)
        )
    }

    #[test]
    fn claims_of_a_jwt_and_none_for_opaque_tokens() {
        let t = jwt(r#"{"azp":"signoff","iss":"https://kc.example/realms/x","exp":5}"#);
        assert_eq!(claim(&t, "azp").as_deref(), Some("signoff"));
        assert_eq!(unverified_claims(&t).unwrap()["exp"], 5);
        assert_eq!(unverified_claims("opaque-refresh-token"), None);
        assert_eq!(unverified_claims("a.b.c.d"), None);
        assert_eq!(
            unverified_claims(&format!("x.{}.y", URL_SAFE_NO_PAD.encode("[1]"))),
            None
        );
    }
}
