//! Verification after a sign-out (`--verify`): RFC 7662 introspection of every token the
//! sign-out ended, asking whether the provider now calls it inactive.

use url::Url;

use super::Engine;
use super::plan::PlannedCall;
use super::retry::Inputs;
use crate::http::Call;

impl Engine {
    /// Introspects each ended token; `Some(true)` when the server says all are inactive,
    /// `Some(false)` when one is still active, `None` when the server could not say.
    pub(super) async fn verify(
        &self,
        inputs: Inputs<'_>,
        url: &Url,
        ended: &[&PlannedCall],
    ) -> Option<bool> {
        let mut all_inactive = true;
        for planned in ended {
            let call = Call::post(url)
                .secret_field("token", planned.token(inputs.tokens))
                .field("token_type_hint", planned.token_kind().as_str())
                .authenticate(inputs.profile, inputs.client_secret);
            let answer = {
                let _permit = self.limiter.permit(url).await;
                call.send(&self.client).await.ok()?
            };
            if answer.status != 200 {
                tracing::warn!(provider = %inputs.profile.id, status = answer.status, "introspection failed: {}", crate::outcome::provider_error(answer.status, &answer.body, inputs.secrets));
                return None;
            }
            let active = serde_json::from_slice::<serde_json::Value>(&answer.body)
                .ok()?
                .get("active")?
                .as_bool()?;
            all_inactive &= !active;
        }
        Some(all_inactive)
    }
}
