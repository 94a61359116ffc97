//! Several stateless instances on one PostgreSQL database (a real cluster, started by the test
//! script): the same request sent to two instances at the same moment is signed once.

mod common;

use std::sync::{Arc, Barrier};

use common::*;
use healthpass_service::Database;

/// 60 keys, each sent to both instances at once by two threads released together: for every
/// key both answers carry the same pass (one may first get 409 and retry), and exactly one
/// issuance is recorded.
#[test]
fn two_instances_on_one_database_sign_each_request_once() {
    let url = postgres_database("two_instances");
    let first = healthpass_service::start(&config(Database::Postgres(url.clone()))).unwrap();
    let second = healthpass_service::start(&config(Database::Postgres(url))).unwrap();
    let device = Arc::new(Device::new(0x60));
    assert_eq!(enrol(&agent(), &first.url(), &device).status, 201);
    // The second instance sees the enrolment made through the first.
    assert_eq!(enrol(&agent(), &second.url(), &device).status, 200);

    const KEYS: u64 = 60;
    let now = now();
    let requests: Arc<Vec<SignedRequest>> = Arc::new(
        (0..KEYS).map(|n| device.sign(&entry(&family_name(n), now).to_json(), &fresh_key(1000 + n), now)).collect(),
    );
    let barrier = Arc::new(Barrier::new(2));
    let clients: Vec<_> = [first.url(), second.url()]
        .into_iter()
        .map(|base| {
            let (requests, barrier) = (requests.clone(), barrier.clone());
            std::thread::spawn(move || {
                let agent = agent();
                let mut answers = Vec::new();
                for request in requests.iter() {
                    barrier.wait();
                    let mut conflicts = 0;
                    let answer = loop {
                        let answer = post_issuance(&agent, &base, request).unwrap();
                        if answer.status != 409 {
                            break answer;
                        }
                        assert_eq!(answer.header("retry-after"), Some("1"));
                        conflicts += 1;
                        std::thread::sleep(std::time::Duration::from_millis(20));
                    };
                    assert_eq!(answer.status, 201, "{:?}", answer.json());
                    answers.push((answer.body, conflicts));
                }
                answers
            })
        })
        .collect();
    let answers: Vec<Vec<(Vec<u8>, u32)>> = clients.into_iter().map(|client| client.join().unwrap()).collect();
    let mut conflicts = 0;
    assert_eq!(answers[0].len(), answers[1].len());
    for (n, (one, other)) in answers[0].iter().zip(&answers[1]).enumerate() {
        assert_eq!(one.0, other.0, "key {n}: both instances answered with the same pass");
        conflicts += one.1 + other.1;
    }
    let records = first.store.issuances().unwrap();
    assert_eq!(records.len(), usize::try_from(KEYS).unwrap(), "one pass per key");
    let mut uvcis: Vec<&str> = records.iter().map(|record| record.uvci.as_str()).collect();
    uvcis.sort_unstable();
    uvcis.dedup();
    assert_eq!(uvcis.len(), records.len(), "no UVCI twice");
    eprintln!("{KEYS} keys sent to two instances at once: {conflicts} answers were 409 first");
}

/// The API on PostgreSQL answers as on SQLite: replay byte for byte, 422 for another body.
#[test]
fn idempotency_holds_on_postgres() {
    let service = healthpass_service::start(&config(Database::Postgres(postgres_database("idempotency")))).unwrap();
    let agent = agent();
    let device = Device::new(0x61);
    assert_eq!(enrol(&agent, &service.url(), &device).status, 201);
    let now = now();
    let body = entry("Martin", now).to_json();
    let key = fresh_key(2000);
    let first = post_issuance(&agent, &service.url(), &device.sign(&body, &key, now)).unwrap();
    assert_eq!(first.status, 201, "{:?}", first.json());
    let again = post_issuance(&agent, &service.url(), &device.sign(&body, &key, now.saturating_add(2))).unwrap();
    assert_eq!((again.status, &again.body), (201, &first.body));
    let other =
        post_issuance(&agent, &service.url(), &device.sign(&entry("Bernard", now).to_json(), &key, now)).unwrap();
    assert_eq!((other.status, other.json()["error"].clone()), (422, "idempotency_key_reused".into()));
    assert_eq!(service.store.issuances().unwrap().len(), 1);
}
