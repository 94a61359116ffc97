//! The signed paper fallback against the real service on loopback (SQLite): a device gets its
//! delegation credential online, signs a provisional pass while it cannot reach the issuer,
//! and its outbox reconciles the pass into a final pass under the same UVCI, signed once
//! however often it is uploaded. Refusals change nothing stored.

mod common;

use common::*;
use healthpass_core::fallback::{Reconciliation, issue_provisional};
use healthpass_core::issue::IssuingPolicy;
use healthpass_core::outbox::{EntryKind, EntryState, Outbox, Transport, TransportError};
use healthpass_core::protocol::DeviceStatus;
use healthpass_core::time::{UnixMillis, UnixTime};
use healthpass_core::trust::{DocumentSignerCertificate, TrustStore, verify_credential};
use healthpass_core::verify::{VerdictStatus, Verifier};

fn millis() -> UnixMillis {
    UnixMillis::from(now())
}

#[test]
fn a_provisional_pass_is_reconciled_into_a_final_pass_with_the_same_uvci_once() {
    let dir = scratch("fallback-reconcile");
    let service = start_with_fallback(&dir);
    let root = service.service.issuance.fallback.as_ref().unwrap().root().clone();
    let (signer, device) = enrol_device(&service, 20);
    let outbox = Outbox::open(&dir.join("outbox.sqlite")).unwrap();
    let http = Http(agent());

    // Online: the device fetches its credential, certified by the service's fallback root.
    let answer = http.send(&outbox.credential_request(&service.url(), &device, millis()).unwrap()).unwrap();
    let (_, expires_at) = outbox.record_credential(&answer).unwrap();
    let credential = outbox.credential().unwrap().unwrap();
    let verified = verify_credential(&credential, std::slice::from_ref(&root)).unwrap();
    assert_eq!(verified.claims.device, device.id().kid());
    assert_eq!(verified.claims.pharmacy_name, "Pharmacie du Centre, Lyon");
    let days = (UnixTime::parse_rfc3339(&expires_at).unwrap().seconds() - now().seconds()) / 86_400;
    assert!((13..=14).contains(&days), "{expires_at}");

    // Offline: a provisional pass, amber at the gate (a bundle carrying the fallback root).
    let entry = healthpass_tests::vectors::demo_test_request(now().saturating_sub(1_800));
    let reconciliation = Reconciliation { endpoint: &service.url(), replacing: None, transfer_code: None };
    let provisional = issue_provisional(
        &outbox,
        signer,
        std::slice::from_ref(&root),
        IssuingPolicy::default(),
        &entry,
        reconciliation,
        now(),
    )
    .unwrap();
    let gate = gate_of(&service);
    assert_eq!(gate.verify_text(&provisional.pass.text, now()).unwrap().status, VerdictStatus::Provisional);

    // Back online: the outbox uploads it; the final pass keeps the UVCI and is green.
    let report = outbox.drain(&http, &device, &millis).unwrap();
    assert_eq!((report.attempted, report.issued), (1, 1), "{report:?}");
    let ticket =
        outbox.entries().unwrap().into_iter().find(|entry| entry.kind == EntryKind::Reconciliation).unwrap().ticket;
    let final_pass = outbox.pass(&ticket).unwrap().unwrap();
    assert_eq!(final_pass.uvci, provisional.pass.certificate_id);
    let (_, certificate) = signer_files();
    let central = Verifier::new(TrustStore::from_iter([DocumentSignerCertificate::from_der(&certificate).unwrap()]));
    assert!(central.verify_text(&final_pass.pass, now()).unwrap().is_valid());
    assert_eq!(gate.verify_text(&final_pass.pass, now()).unwrap().status, VerdictStatus::Valid);

    // Uploaded again (another phone restored from a backup, a retry after a lost answer): the
    // same final pass, byte for byte, and one record.
    let again = send(&agent(), "POST", &format!("{}/v1/reconciliations", service.url()), &[], b"").unwrap();
    assert_eq!(again.status, 400, "unsigned uploads are refused");
    let replay_outbox = Outbox::open(&dir.join("replay.sqlite")).unwrap();
    replay_outbox
        .enqueue_reconciliation(
            &service.url(),
            &provisional.pass.text,
            &provisional.pass.certificate_id,
            None,
            None,
            millis(),
        )
        .unwrap();
    replay_outbox.drain(&http, &device, &millis).unwrap();
    let replayed = replay_outbox.pass(&ticket).unwrap().unwrap();
    assert_eq!(replayed.pass, final_pass.pass);
    let records = service.store.issuances().unwrap();
    assert_eq!(records.iter().filter(|record| record.uvci == final_pass.uvci).count(), 1);
}

#[test]
fn reconciliations_and_credentials_that_cannot_be_honoured_are_refused_and_change_nothing() {
    let dir = scratch("fallback-refusals");
    let service = start_with_fallback(&dir);
    let root = service.service.issuance.fallback.as_ref().unwrap().root().clone();
    let (signer, device, outbox) = credentialed_device(&service, 21, &dir.join("outbox.sqlite"));
    let (_, other_device) = enrol_device(&service, 22);
    let http = Http(agent());
    let entry = healthpass_tests::vectors::demo_test_request(now().saturating_sub(1_800));
    let provisional = issue_provisional(
        &outbox,
        signer,
        std::slice::from_ref(&root),
        IssuingPolicy::default(),
        &entry,
        Reconciliation { endpoint: &service.url(), replacing: None, transfer_code: None },
        now(),
    )
    .unwrap();

    // Another device uploads it: refused, nothing recorded.
    let thief = Outbox::open(&dir.join("thief.sqlite")).unwrap();
    thief
        .enqueue_reconciliation(
            &service.url(),
            &provisional.pass.text,
            &provisional.pass.certificate_id,
            None,
            None,
            millis(),
        )
        .unwrap();
    thief.drain(&http, &other_device, &millis).unwrap();
    let refused = thief.entries().unwrap().remove(0);
    assert_eq!(refused.state, EntryState::Rejected);
    assert_eq!(refused.rejection.unwrap().code, "not_this_devices_pass");
    // A tampered pass: refused with the reason.
    let mut tampered = provisional.pass.text.clone();
    tampered.truncate(tampered.len() - 8);
    tampered.push_str("00000000");
    let forger = Outbox::open(&dir.join("forger.sqlite")).unwrap();
    forger
        .enqueue_reconciliation(&service.url(), &tampered, &provisional.pass.certificate_id, None, None, millis())
        .unwrap();
    forger.drain(&http, &device, &millis).unwrap();
    assert_eq!(forger.entries().unwrap().remove(0).state, EntryState::Rejected);
    assert!(service.store.issuances().unwrap().is_empty(), "nothing was signed");

    // A credential body other than {} is refused; a suspended device gets none.
    let mut request = outbox.credential_request(&service.url(), &device, millis()).unwrap();
    request.body = b"{\"scope\":\"everything\"}".to_vec();
    let answer = http.send(&request).unwrap();
    assert_eq!(answer.status, 400, "{}", String::from_utf8_lossy(&answer.body));
    service.store.set_status(other_device.id(), DeviceStatus::Suspended).unwrap();
    let answer = http.send(&outbox.credential_request(&service.url(), &other_device, millis()).unwrap()).unwrap();
    assert_eq!(answer.status, 403);
    assert!(outbox.record_credential(&answer).is_err());

    // A service started without a fallback key says so.
    let plain_dir = scratch("fallback-disabled");
    let plain = start_sqlite(&plain_dir);
    let answer = http.send(&outbox.credential_request(&plain.url(), &device, millis()).unwrap()).unwrap();
    assert_eq!(answer.status, 404);
    assert!(String::from_utf8_lossy(&answer.body).contains("fallback_disabled"));
}

/// The request a provisional pass stands for was signed after all (its answer lost): the
/// reconciliation answers with that pass; the test keeps one pass.
#[test]
fn a_provisional_pass_for_a_request_signed_after_all_is_answered_with_that_pass() {
    let dir = scratch("fallback-replaces");
    let service = start_with_fallback(&dir);
    let root = service.service.issuance.fallback.as_ref().unwrap().root().clone();
    let (signer, device, outbox) = credentialed_device(&service, 23, &dir.join("outbox.sqlite"));
    let http = Http(agent());
    // The request reaches the issuer and is signed; its answer never comes back.
    let entry = healthpass_tests::vectors::demo_test_request(now().saturating_sub(1_800));
    let ticket = outbox
        .enqueue(
            &service.url(),
            &healthpass_core::protocol::IssuanceRequest::from_test_request(&entry, None),
            healthpass_core::outbox::RetryProfile::Interactive,
            millis(),
        )
        .unwrap();
    let healthpass_core::outbox::Attempt::Send(request) = outbox.prepare(&ticket, &device, millis()).unwrap() else {
        panic!("due")
    };
    let signed = http.send(&request).unwrap();
    assert_eq!(signed.status, 201);
    outbox.record(&ticket, Err(TransportError("the answer was lost".into())), millis()).unwrap();
    // The pharmacist hands over a provisional pass for it; the issuer answers the upload with
    // the pass it had signed.
    let provisional = issue_provisional(
        &outbox,
        signer,
        std::slice::from_ref(&root),
        IssuingPolicy::default(),
        &entry,
        Reconciliation { endpoint: &service.url(), replacing: Some(&ticket), transfer_code: None },
        now(),
    )
    .unwrap();
    outbox.drain(&http, &device, &millis).unwrap();
    let reconciliation = healthpass_core::protocol::reconciliation_key(&provisional.pass.certificate_id);
    let final_pass = outbox.pass(reconciliation.as_str()).unwrap().unwrap();
    let central: healthpass_core::protocol::IssuanceResponse = serde_json::from_slice(&signed.body).unwrap();
    assert_eq!(final_pass, central);
    assert_eq!(service.store.issuances().unwrap().len(), 1, "one pass for the test");
}
