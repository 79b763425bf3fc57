//! The per-host limiter: at most `per_host` calls in flight to one `host:port` at a time, so
//! "sign out everywhere" reaches every account of a provider at once without flooding it; and,
//! for hosts with a documented rate (an admin API's calls a minute), every attempt paced to it
//! (GCRA, `governor`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;

/// One semaphore per `host:port`, made on first use, and the rates set for some.
#[derive(Debug)]
pub struct HostLimiter {
    per_host: usize,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
    rates: Mutex<HashMap<String, Arc<governor::DefaultDirectRateLimiter>>>,
}

/// `host:port` of `url`.
fn host_of(url: &Url) -> String {
    format!(
        "{}:{}",
        url.host_str().unwrap_or_default(),
        url.port_or_known_default().unwrap_or(0)
    )
}

impl HostLimiter {
    pub fn new(per_host: usize) -> Self {
        Self {
            per_host: per_host.max(1),
            hosts: Mutex::new(HashMap::new()),
            rates: Mutex::new(HashMap::new()),
        }
    }

    /// Paces every call to `url`'s host to `per_minute` from now on, in bursts of at most
    /// `burst` (a rate already set for the host is kept).
    pub fn set_rate(
        &self,
        url: &Url,
        per_minute: std::num::NonZeroU32,
        burst: std::num::NonZeroU32,
    ) {
        let quota = governor::Quota::per_minute(per_minute).allow_burst(burst.min(per_minute));
        self.rates
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(host_of(url))
            .or_insert_with(|| Arc::new(governor::RateLimiter::direct(quota)));
    }

    /// Waits for a slot at `url`'s host (and its turn in the host's rate); the slot is held
    /// until the permit is dropped.
    pub async fn permit(&self, url: &Url) -> OwnedSemaphorePermit {
        let host = host_of(url);
        let rate = self
            .rates
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&host)
            .cloned();
        if let Some(rate) = rate {
            rate.until_ready().await;
        }
        let sem = {
            let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
            Arc::clone(
                hosts
                    .entry(host)
                    .or_insert_with(|| Arc::new(Semaphore::new(self.per_host))),
            )
        };
        sem.acquire_owned()
            .await
            .expect("semaphore is never closed")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_host_with_a_rate_gets_its_burst_then_one_call_per_slot() {
        let limiter = HostLimiter::new(100);
        let a = Url::parse("https://a.example/x").unwrap();
        let n = |v| std::num::NonZeroU32::new(v).unwrap();
        // 600 a minute: one every 100 ms after a burst of 2.
        limiter.set_rate(&a, n(600), n(2));
        let started = std::time::Instant::now();
        for _ in 0..4 {
            drop(limiter.permit(&a).await);
        }
        let took = started.elapsed();
        assert!(took >= std::time::Duration::from_millis(180), "{took:?}");
        // Another host is not paced.
        let b = Url::parse("https://b.example/x").unwrap();
        let started = std::time::Instant::now();
        for _ in 0..20 {
            drop(limiter.permit(&b).await);
        }
        assert!(started.elapsed() < std::time::Duration::from_millis(100));
    }

    #[tokio::test]
    async fn hosts_are_limited_separately() {
        let limiter = HostLimiter::new(1);
        let a = Url::parse("https://a.example/revoke").unwrap();
        let b = Url::parse("https://b.example/revoke").unwrap();
        let held = limiter.permit(&a).await;
        // Another host still gets a slot at once; the same host waits for the first.
        let _b = limiter.permit(&b).await;
        let wait = tokio::time::timeout(std::time::Duration::from_millis(50), limiter.permit(&a));
        assert!(wait.await.is_err(), "a second call to a.example waited");
        drop(held);
        let _a = limiter.permit(&a).await;
    }
}
