//! An admin's sign-out of a list of people, kept while it runs (issue #18): each person, and
//! their receipt once they are done, written as each finishes. A run stopped before its end
//! (`kill -9`, Ctrl-C, a crash) is found again by its provider, its settings and its list, within
//! a day and once the process that ran it is gone, and resumes with the people not done. A
//! finished run is deleted: the audit log is the record. Receipts hold no secret.

use rusqlite::params;
use sha2::{Digest, Sha256};

use super::{Store, now_text};
use crate::error::Result;

/// A run: who is on it, and the receipts (JSON) of those already done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminRun {
    pub id: String,
    /// `(position, user, receipt)` in list order.
    pub people: Vec<(usize, String, Option<String>)>,
    /// True when this run was started before and stopped without finishing.
    pub resumed: bool,
}

/// How long a stopped run may be resumed: after that the same list starts afresh.
const RESUME_WITHIN: time::Duration = time::Duration::hours(24);

/// True while process `pid` runs (Linux: its `/proc` entry; elsewhere assumed gone).
fn is_running(pid: i64) -> bool {
    pid > 0
        && pid != i64::from(std::process::id())
        && std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// The same provider, settings and people in the same order make the same list.
fn list_hash(provider: &str, settings: &str, users: &[String]) -> String {
    let mut h = Sha256::new();
    h.update(provider.as_bytes());
    h.update([0]);
    h.update(settings.as_bytes());
    for u in users {
        h.update([0]);
        h.update(u.as_bytes());
    }
    format!("{:x}", h.finalize())
}

impl Store {
    /// The stopped run of `users` at `provider` with these `settings` (the resolved admin
    /// calls), taken over by this process; or a new one.
    pub fn start_admin_run(
        &self,
        provider: &str,
        settings: &str,
        users: &[String],
    ) -> Result<AdminRun> {
        let hash = list_hash(provider, settings, users);
        let since = super::format_time(time::OffsetDateTime::now_utc() - RESUME_WITHIN);
        let me = i64::from(std::process::id());
        self.with_conn(|c| {
            let tx = c.transaction()?;
            // Runs too old to resume are forgotten.
            tx.execute("DELETE FROM admin_runs WHERE started_at < ?1", params![since])?;
            let found: Option<String> = {
                let mut q = tx.prepare(
                    "SELECT id, owner_pid FROM admin_runs WHERE provider = ?1 AND list_hash = ?2
                     ORDER BY started_at DESC",
                )?;
                let rows = q
                    .query_map(params![provider, hash], |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                // One still running in another process is its own: this one starts apart.
                rows.into_iter().find(|(_, pid)| !is_running(*pid)).map(|(id, _)| id)
            };
            let (id, resumed) = match found {
                Some(id) => {
                    tx.execute(
                        "UPDATE admin_runs SET owner_pid = ?2 WHERE id = ?1",
                        params![id, me],
                    )?;
                    (id, true)
                }
                None => {
                    let id = uuid::Uuid::new_v4().to_string();
                    tx.execute(
                        "INSERT INTO admin_runs (id, provider, list_hash, started_at, owner_pid) VALUES (?1, ?2, ?3, ?4, ?5)",
                        params![id, provider, hash, now_text(), me],
                    )?;
                    {
                        let mut add = tx.prepare(
                            "INSERT INTO admin_run_people (run, position, user) VALUES (?1, ?2, ?3)",
                        )?;
                        for (i, u) in users.iter().enumerate() {
                            add.execute(params![id, i as i64, u])?;
                        }
                    }
                    (id, false)
                }
            };
            let people = {
                let mut q = tx.prepare(
                    "SELECT position, user, receipt FROM admin_run_people WHERE run = ?1 ORDER BY position",
                )?;
                q.query_map(params![id], |r| {
                    Ok((r.get::<_, i64>(0)? as usize, r.get(1)?, r.get(2)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?
            };
            tx.commit()?;
            Ok(AdminRun {
                id,
                people,
                resumed,
            })
        })
    }

    /// Keeps one person's receipt: they are done in this run.
    pub fn finish_admin_person(&self, run: &str, position: usize, receipt: &str) -> Result<()> {
        self.with_conn(|c| {
            c.execute(
                "UPDATE admin_run_people SET receipt = ?3 WHERE run = ?1 AND position = ?2",
                params![run, position as i64, receipt],
            )
            .map(|_| ())
        })
    }

    /// Forgets a finished run.
    pub fn finish_admin_run(&self, run: &str) -> Result<()> {
        self.with_conn(|c| {
            c.execute("DELETE FROM admin_runs WHERE id = ?1", params![run])
                .map(|_| ())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stopped_run_resumes_with_the_people_not_done_and_a_finished_one_starts_again() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.db")).unwrap();
        let users: Vec<String> = ["ada", "bob", "cy"].map(String::from).to_vec();
        let run = store.start_admin_run("okta", "s", &users).unwrap();
        assert!(!run.resumed);
        store
            .finish_admin_person(&run.id, 1, "{\"user\":\"bob\"}")
            .unwrap();
        drop(store);
        // The process is gone; another opens the database.
        let store = Store::open(&dir.path().join("s.db")).unwrap();
        // This process took it; a stop is simulated by another owner that is gone.
        store
            .with_conn(|c| c.execute("UPDATE admin_runs SET owner_pid = 0", []))
            .unwrap();
        let again = store.start_admin_run("okta", "s", &users).unwrap();
        assert!(again.resumed);
        assert_eq!(again.id, run.id);
        assert_eq!(again.people[1].2.as_deref(), Some("{\"user\":\"bob\"}"));
        assert!(again.people[0].2.is_none() && again.people[2].2.is_none());
        // Another list, provider or settings (another realm) is another run.
        assert!(!store.start_admin_run("auth0", "s", &users).unwrap().resumed);
        assert!(
            !store
                .start_admin_run("okta", "s", &users[..2])
                .unwrap()
                .resumed
        );
        assert!(
            !store
                .start_admin_run("okta", "realm2", &users)
                .unwrap()
                .resumed
        );
        store.finish_admin_run(&run.id).unwrap();
        assert!(!store.start_admin_run("okta", "s", &users).unwrap().resumed);
        // A run older than a day starts afresh.
        let old = store.start_admin_run("google", "s", &users).unwrap();
        store
            .with_conn(|c| {
                c.execute(
                    "UPDATE admin_runs SET owner_pid = 0, started_at = '2026-01-01T00:00:00Z' WHERE id = ?1",
                    params![old.id],
                )
            })
            .unwrap();
        assert!(
            !store
                .start_admin_run("google", "s", &users)
                .unwrap()
                .resumed
        );
    }
}
