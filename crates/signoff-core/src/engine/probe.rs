//! Settling an ambiguous answer: when a step's rule says `then = "probe"` (GitHub's 404 means
//! "already revoked" or "not this app's token"), the profile's probe call asks the provider
//! about the token, and only its own rules decide. Nothing is assumed: a probe that cannot be
//! made, or whose answer no rule settles, keeps the token (`ambiguous`).

use std::time::Instant;

use super::Engine;
use super::plan::PlannedCall;
use super::report::Report;
use super::retry::Inputs;
use crate::outcome::{CallKind, Reason, ReasonKind, StepVerdict, Verdict};

impl Engine {
    /// Runs the profile's probe for the token `asked` sent; `said` is the provider's answer to
    /// that call, kept for the receipt when the probe cannot settle it.
    pub(super) async fn probe(
        &self,
        inputs: Inputs<'_>,
        asked: &PlannedCall,
        deadline: Instant,
        said: Reason,
        report: &mut Report,
    ) -> Verdict {
        let ambiguous = |why: String| {
            Verdict::Permanent(Reason::new(
                ReasonKind::Ambiguous,
                format!(
                    "{} answered {said}; {why}; the token was kept",
                    inputs.profile.label
                ),
            ))
        };
        let Some(probe) = &inputs.profile.probe else {
            return ambiguous("the profile has no probe to tell which it means".into());
        };
        if inputs.tokens.of(probe.token).is_none() {
            return ambiguous(format!(
                "its probe needs the account's {}, which it does not hold",
                probe.token.as_str()
            ));
        }
        let planned = PlannedCall {
            kind: CallKind::Step,
            step: probe.clone(),
        };
        let step = self
            .call_with_retries(inputs, &planned, deadline, true)
            .await;
        report.attempts += step.attempts;
        tracing::debug!(provider = %inputs.profile.id, call = %asked.step.name, status = ?step.status, "probe answered");
        match step.verdict {
            StepVerdict::Verdict(v) => v,
            StepVerdict::Probe(_) => ambiguous("its probe's answer did not settle it".into()),
        }
    }
}
