//! Both stores keep the same contract: SQLite (one instance) and PostgreSQL (several), each
//! real. Claims, replays, mismatches, lapsed claims taken over, completion racing a takeover,
//! releases, purges, and device statuses, with revocation final.

mod common;

use std::time::Duration;

use common::{Device, postgres_database, scratch};
use healthpass_core::protocol::DeviceStatus;
use healthpass_core::time::UnixTime;
use healthpass_service::Database;
use healthpass_service::storage::{Claim, Completion, DeviceRecord, Enrolment, IssuanceRecord, Store, StoredResponse};

const LEASE: Duration = Duration::from_secs(30);

fn record_of(device: &Device, pharmacy: &str) -> DeviceRecord {
    DeviceRecord {
        id: device.id,
        public_key: device.key.verifying_key().to_sec1_point(false).as_bytes().to_vec(),
        pharmacy_id: format!("FINESS-{pharmacy}"),
        pharmacy_name: pharmacy.into(),
        status: DeviceStatus::Active,
        enrolled_at: UnixTime::from_seconds(1_700_000_000),
    }
}

fn issuance(device: &Device, key: &str, uvci: &str, at: UnixTime, digest: [u8; 32]) -> IssuanceRecord {
    IssuanceRecord {
        uvci: uvci.into(),
        device_id: device.id,
        idempotency_key: key.into(),
        issued_at: at,
        request_digest: digest,
    }
}

fn keeps_the_contract(store: &dyn Store) {
    let t0 = UnixTime::from_seconds(1_800_000_000);
    let device = Device::new(0x40);
    let other = Device::new(0x41);

    // Devices: enrolment is idempotent per key; revocation is final.
    let record = record_of(&device, "Pharmacie A");
    assert_eq!(store.enrol(&record).unwrap(), Enrolment::Created(record.clone()));
    let mut renamed = record.clone();
    renamed.pharmacy_name = "Another name".into();
    assert_eq!(store.enrol(&renamed).unwrap(), Enrolment::Existing(record.clone()), "the first enrolment stands");
    assert_eq!(store.device(other.id).unwrap(), None);
    store.enrol(&record_of(&other, "Pharmacie B")).unwrap();
    assert_eq!(store.set_status(other.id, DeviceStatus::Suspended).unwrap().unwrap().status, DeviceStatus::Suspended);
    assert_eq!(store.set_status(other.id, DeviceStatus::Revoked).unwrap().unwrap().status, DeviceStatus::Revoked);
    assert_eq!(store.set_status(other.id, DeviceStatus::Active).unwrap().unwrap().status, DeviceStatus::Revoked);

    // A fresh key is claimed once; a second claim while it holds is in flight.
    let digest = [1u8; 32];
    assert_eq!(store.claim(device.id, "key-000000000001", digest, t0, LEASE).unwrap(), Claim::Fresh);
    assert_eq!(
        store.claim(device.id, "key-000000000001", digest, t0.saturating_add(29), LEASE).unwrap(),
        Claim::InFlight
    );
    assert_eq!(store.claim(device.id, "key-000000000001", [2u8; 32], t0, LEASE).unwrap(), Claim::Mismatch);
    // The same key of another device is another entry.
    assert_eq!(store.claim(other.id, "key-000000000001", [9u8; 32], t0, LEASE).unwrap(), Claim::Fresh);

    // Completed: replays give the stored bytes; completing again gives the first response.
    let response = StoredResponse { status: 201, body: b"{\"pass\":\"HC1:first\"}".to_vec() };
    let first = issuance(&device, "key-000000000001", "URN:UVCI:01:FR:FIRST", t0, digest);
    assert_eq!(store.complete(device.id, "key-000000000001", &response, &first).unwrap(), Completion::Stored);
    assert_eq!(
        store.claim(device.id, "key-000000000001", digest, t0.saturating_add(60), LEASE).unwrap(),
        Claim::Replay(response.clone())
    );
    assert_eq!(store.claim(device.id, "key-000000000001", [2u8; 32], t0, LEASE).unwrap(), Claim::Mismatch);
    let late = StoredResponse { status: 201, body: b"{\"pass\":\"HC1:second\"}".to_vec() };
    let second = issuance(&device, "key-000000000001", "URN:UVCI:01:FR:SECOND", t0, digest);
    assert_eq!(
        store.complete(device.id, "key-000000000001", &late, &second).unwrap(),
        Completion::AlreadyDone(response.clone())
    );
    assert_eq!(store.stored_response(device.id, "key-000000000001").unwrap(), Some(response.clone()));
    // An attempt for another body that reached completion (a lost race) is told so.
    let other_body = issuance(&device, "key-000000000001", "URN:UVCI:01:FR:OTHER", t0, [2u8; 32]);
    assert_eq!(store.complete(device.id, "key-000000000001", &late, &other_body).unwrap(), Completion::Mismatch);

    // A claim left by a crash lapses after the lease and can be taken over.
    assert_eq!(store.claim(device.id, "key-000000000002", digest, t0, LEASE).unwrap(), Claim::Fresh);
    assert_eq!(store.claim(device.id, "key-000000000002", digest, t0.saturating_add(30), LEASE).unwrap(), Claim::Fresh);
    // Released (signing failed before anything left): the next attempt claims at once.
    store.release(device.id, "key-000000000002").unwrap();
    assert_eq!(
        store.claim(device.id, "key-000000000002", [3u8; 32], t0.saturating_add(31), LEASE).unwrap(),
        Claim::Fresh
    );
    assert_eq!(store.stored_response(device.id, "key-000000000002").unwrap(), None);

    // One record per pass, none for claims that never completed.
    let records = store.issuances().unwrap();
    assert_eq!(records, vec![first]);

    // Purge forgets old completed entries only; the audit record stays.
    assert_eq!(store.purge(t0).unwrap(), 0, "an entry completed at t0 is not older than t0");
    assert_eq!(store.purge(t0.saturating_add(1)).unwrap(), 1);
    assert_eq!(store.stored_response(device.id, "key-000000000001").unwrap(), None);
    assert_eq!(store.issuances().unwrap().len(), 1);
    assert_eq!(
        store.claim(device.id, "key-000000000002", [3u8; 32], t0.saturating_add(32), LEASE).unwrap(),
        Claim::InFlight
    );
}

#[test]
fn the_sqlite_store_keeps_the_contract() {
    let dir = scratch("store-contract");
    let store = Database::Sqlite(dir.join("issuer.sqlite")).open().unwrap();
    keeps_the_contract(store.as_ref());
}

#[test]
fn the_postgres_store_keeps_the_contract() {
    let store = Database::Postgres(postgres_database("contract")).open().unwrap();
    keeps_the_contract(store.as_ref());
}

/// The SQLite store keeps everything across a reopen (durable commits), and drops claims that
/// were in flight when the process ended: no other process can hold them.
#[test]
fn the_sqlite_store_survives_a_reopen() {
    let dir = scratch("store-reopen");
    let path = dir.join("issuer.sqlite");
    let device = Device::new(0x42);
    let t0 = UnixTime::from_seconds(1_800_000_000);
    let response = StoredResponse { status: 201, body: b"{\"pass\":\"HC1:kept\"}".to_vec() };
    {
        let store = Database::Sqlite(path.clone()).open().unwrap();
        store.enrol(&record_of(&device, "Pharmacie C")).unwrap();
        store.claim(device.id, "kept-key-0000001", [5u8; 32], t0, LEASE).unwrap();
        let record = issuance(&device, "kept-key-0000001", "URN:UVCI:01:FR:KEPT", t0, [5u8; 32]);
        store.complete(device.id, "kept-key-0000001", &response, &record).unwrap();
        assert_eq!(store.claim(device.id, "orphan-key-00001", [6u8; 32], t0, LEASE).unwrap(), Claim::Fresh);
    }
    let store = Database::Sqlite(path).open().unwrap();
    assert_eq!(store.device(device.id).unwrap().unwrap().pharmacy_name, "Pharmacie C");
    assert_eq!(store.claim(device.id, "kept-key-0000001", [5u8; 32], t0, LEASE).unwrap(), Claim::Replay(response));
    assert_eq!(store.claim(device.id, "orphan-key-00001", [6u8; 32], t0, LEASE).unwrap(), Claim::Fresh);
    assert_eq!(store.issuances().unwrap().len(), 1);
}
