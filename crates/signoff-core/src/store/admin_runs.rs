//! An admin's sign-out of a list of people, kept while it runs (issue #18): each person, and
//! their receipt once they are done, written as each finishes. A run stopped before its end
//! (`kill -9`, a crash, the machine off) is found again by its provider and list, and resumes
//! with the people who have no receipt yet. A finished run is deleted: the audit log is the
//! record. Receipts hold no secret.

use rusqlite::{OptionalExtension, params};
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

/// The same provider and the same people in the same order make the same list.
fn list_hash(provider: &str, users: &[String]) -> String {
    let mut h = Sha256::new();
    h.update(provider.as_bytes());
    for u in users {
        h.update([0]);
        h.update(u.as_bytes());
    }
    format!("{:x}", h.finalize())
}

impl Store {
    /// The unfinished run of `users` at `provider`, or a new one.
    pub fn start_admin_run(&self, provider: &str, users: &[String]) -> Result<AdminRun> {
        let hash = list_hash(provider, users);
        self.with_conn(|c| {
            let tx = c.transaction()?;
            let found: Option<String> = tx
                .query_row(
                    "SELECT id FROM admin_runs WHERE provider = ?1 AND list_hash = ?2
                     ORDER BY started_at DESC LIMIT 1",
                    params![provider, hash],
                    |r| r.get(0),
                )
                .optional()?;
            let (id, resumed) = match found {
                Some(id) => (id, true),
                None => {
                    let id = uuid::Uuid::new_v4().to_string();
                    tx.execute(
                        "INSERT INTO admin_runs (id, provider, list_hash, started_at) VALUES (?1, ?2, ?3, ?4)",
                        params![id, provider, hash, now_text()],
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
        let run = store.start_admin_run("okta", &users).unwrap();
        assert!(!run.resumed);
        store
            .finish_admin_person(&run.id, 1, "{\"user\":\"bob\"}")
            .unwrap();
        drop(store);
        // The process is gone; another opens the database.
        let store = Store::open(&dir.path().join("s.db")).unwrap();
        let again = store.start_admin_run("okta", &users).unwrap();
        assert!(again.resumed);
        assert_eq!(again.id, run.id);
        assert_eq!(again.people[1].2.as_deref(), Some("{\"user\":\"bob\"}"));
        assert!(again.people[0].2.is_none() && again.people[2].2.is_none());
        // Another list, or another provider, is another run.
        assert!(!store.start_admin_run("auth0", &users).unwrap().resumed);
        assert!(!store.start_admin_run("okta", &users[..2]).unwrap().resumed);
        store.finish_admin_run(&run.id).unwrap();
        assert!(!store.start_admin_run("okta", &users).unwrap().resumed);
    }
}
