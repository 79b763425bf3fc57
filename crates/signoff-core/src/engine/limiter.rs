//! The per-host limiter: at most `per_host` calls in flight to one `host:port` at a time, so
//! "sign out everywhere" reaches every account of a provider at once without flooding it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;

/// One semaphore per `host:port`, made on first use.
#[derive(Debug)]
pub struct HostLimiter {
    per_host: usize,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl HostLimiter {
    pub fn new(per_host: usize) -> Self {
        Self {
            per_host: per_host.max(1),
            hosts: Mutex::new(HashMap::new()),
        }
    }

    /// Waits for a slot at `url`'s host; the slot is held until the permit is dropped.
    pub async fn permit(&self, url: &Url) -> OwnedSemaphorePermit {
        let host = format!(
            "{}:{}",
            url.host_str().unwrap_or_default(),
            url.port_or_known_default().unwrap_or(0)
        );
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
