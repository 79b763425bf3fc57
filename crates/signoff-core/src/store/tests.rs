//! The store against a real SQLite file: rows, states, the audit log, migrations.

use super::*;
use crate::account::{Account, AccountId, AccountStatus};
use crate::audit::{Action, Actor, AuditEntry};
use crate::outcome::Outcome;

fn sample(label: &str) -> Account {
    Account {
        id: AccountId::generate(),
        provider_id: "matar".into(),
        label: label.into(),
        subject: Some("ada@example.com".into()),
        created_at: OffsetDateTime::now_utc().replace_nanosecond(0).unwrap(),
        status: AccountStatus::SignedIn,
        next_attempt_at: None,
        last_error: None,
        access_expires_at: None,
        origin: "signoff".into(),
    }
}

#[test]
fn accounts_survive_reopen_and_filter_by_status() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("s.db");
    let a = sample("Work");
    let b = sample("Home");
    {
        let store = Store::open(&db).unwrap();
        store.insert_account(&a).unwrap();
        store.insert_account(&b).unwrap();
        assert!(store.set_status(&b.id, AccountStatus::Pending).unwrap());
    }
    let store = Store::open(&db).unwrap();
    let signed_in = store
        .accounts_with_status(&[AccountStatus::SignedIn])
        .unwrap();
    assert_eq!(signed_in, vec![a.clone()]);
    assert_eq!(
        store.account(&b.id).unwrap().unwrap().status,
        AccountStatus::Pending
    );
    assert!(store.delete_account(&a.id).unwrap());
    assert!(!store.delete_account(&a.id).unwrap());
    assert!(store.account(&a.id).unwrap().is_none());
}

#[test]
fn duplicate_id_is_a_store_error() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("s.db")).unwrap();
    let a = sample("Work");
    store.insert_account(&a).unwrap();
    let e = store.insert_account(&a).unwrap_err();
    assert_eq!(e.code(), crate::ErrorCode::StoreError);
}

#[test]
fn two_handles_on_one_file_see_each_others_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("s.db");
    let one = Store::open(&db).unwrap();
    let two = Store::open(&db).unwrap();
    let a = sample("Shared");
    one.insert_account(&a).unwrap();
    assert_eq!(two.account(&a.id).unwrap(), Some(a));
}

#[test]
fn many_sign_outs_begin_in_one_go_and_only_from_the_states_asked_for() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("s.db")).unwrap();
    let (a, b, c) = (sample("A"), sample("B"), sample("C"));
    for x in [&a, &b, &c] {
        store.insert_account(x).unwrap();
    }
    let from = [AccountStatus::SignedIn, AccountStatus::Pending];
    store.begin_sign_out(&b.id, &from).unwrap().unwrap();
    let unknown = crate::AccountId::generate();
    let begun = store
        .begin_sign_outs(&[a.id.clone(), b.id.clone(), c.id.clone(), unknown], &from)
        .unwrap();
    let ids: Vec<_> = begun.iter().map(|x| x.id.clone()).collect();
    assert_eq!(
        ids,
        [a.id.clone(), c.id.clone()],
        "b was signing out already"
    );
    assert!(
        begun.iter().all(|x| x.status == AccountStatus::SignedIn),
        "as they were"
    );
    for x in [&a, &b, &c] {
        assert_eq!(
            store.account(&x.id).unwrap().unwrap().status,
            AccountStatus::SigningOut
        );
    }
}

#[test]
fn sign_out_transitions_and_the_pending_outbox() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("s.db")).unwrap();
    let a = sample("Work");
    store.insert_account(&a).unwrap();
    let from = [AccountStatus::SignedIn, AccountStatus::Pending];
    assert!(store.begin_sign_out(&a.id, &from).unwrap().is_some());
    assert_eq!(
        store.account(&a.id).unwrap().unwrap().status,
        AccountStatus::SigningOut
    );
    assert!(
        store.begin_sign_out(&a.id, &from).unwrap().is_none(),
        "not twice"
    );

    let soon = OffsetDateTime::now_utc() + time::Duration::minutes(5);
    let err = crate::outcome::Reason::provider("http_503", Some("busy".to_owned()));
    let audit = AuditEntry::new(Actor::Admin, Action::SignOut);
    let state = SignOutState::Pending {
        next_attempt_at: soon,
        error: Some(err.clone()),
    };
    store.finish_sign_out(&a.id, &state, &audit).unwrap();
    let row = store.account(&a.id).unwrap().unwrap();
    assert_eq!(row.status, AccountStatus::Pending);
    assert_eq!(row.last_error, Some(err));
    assert_eq!(store.retries(&a.id).unwrap(), 1);
    assert!(
        store
            .due_pending(OffsetDateTime::now_utc(), false)
            .unwrap()
            .is_empty(),
        "not due yet"
    );
    assert_eq!(
        store
            .due_pending(OffsetDateTime::now_utc(), true)
            .unwrap()
            .len(),
        1,
        "forced"
    );
    assert_eq!(
        store
            .due_pending(soon + time::Duration::seconds(1), false)
            .unwrap()
            .len(),
        1
    );

    store.begin_sign_out(&a.id, &from).unwrap().unwrap();
    store
        .finish_sign_out(&a.id, &SignOutState::SignedOut, &audit)
        .unwrap();
    let row = store.account(&a.id).unwrap().unwrap();
    assert_eq!(
        (row.status, row.last_error, row.next_attempt_at),
        (AccountStatus::SignedOut, None, None)
    );
    assert_eq!(store.audit_since(None).unwrap().len(), 2);
}

#[test]
fn the_audit_log_is_append_only_and_filters_by_time() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("s.db")).unwrap();
    let mut old = AuditEntry::new(Actor::Tray, Action::SignOut);
    old.at = OffsetDateTime::now_utc() - time::Duration::days(2);
    old.outcome = Some(Outcome::Revoked);
    old.http_status = Some(200);
    store.append_audit(&old).unwrap();
    store
        .append_audit(&AuditEntry::new(Actor::User, Action::Forget))
        .unwrap();
    let all = store.audit_since(None).unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].outcome, Some(Outcome::Revoked));
    assert_eq!(all[0].actor, Actor::Tray);
    let recent = store
        .audit_since(Some(OffsetDateTime::now_utc() - time::Duration::days(1)))
        .unwrap();
    assert_eq!(recent.len(), 1);
    assert_eq!(recent[0].action, Action::Forget);
    let tamper = store.with_conn(|c| c.execute("DELETE FROM audit", []));
    assert!(tamper.is_err(), "deleting audit rows is refused");
    let tamper = store.with_conn(|c| c.execute("UPDATE audit SET actor = 'admin'", []));
    assert!(tamper.is_err(), "rewriting audit rows is refused");
}
