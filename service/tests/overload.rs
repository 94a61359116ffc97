//! Admission control: beyond its workers and its queue the service refuses at once with 503 and
//! `Retry-After` instead of queueing without end; a device over its allowance gets 429; the
//! refusals are counted on `/metrics`, and what was queued is served once workers free up.

mod common;

use std::time::Duration;

use common::*;
use healthpass_service::{AdmissionConfig, Database, RateLimit};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap()
}

/// Workers held, queue filled: the next request is refused without waiting, then the queued
/// ones are served.
#[test]
fn a_full_queue_refuses_at_once_with_retry_after_and_serves_what_it_queued() {
    let dir = scratch("overload");
    let mut config = config(Database::Sqlite(dir.join("issuer.sqlite")));
    config.admission = Some(AdmissionConfig { workers: 2, max_queue: 4, queue_timeout: Duration::from_secs(60) });
    let service = healthpass_service::start(&config).unwrap();
    let device = std::sync::Arc::new(Device::new(0x74));
    assert_eq!(enrol(&agent(), &service.url(), &device).status, 201);
    let now = now();

    // Every worker busy.
    let runtime = runtime();
    let held: Vec<_> = (0..2).map(|_| runtime.block_on(service.service.admission.admit(None)).unwrap()).collect();
    // Four requests fill the queue.
    let queued: Vec<_> = (0..4u64)
        .map(|n| {
            let (device, url) = (device.clone(), service.url());
            std::thread::spawn(move || {
                let request = device.sign(&entry(&family_name(n), now).to_json(), &fresh_key(3000 + n), now);
                post_issuance(&agent(), &url, &request).unwrap()
            })
        })
        .collect();
    while service.service.admission.waiting() < 4 {
        std::thread::sleep(Duration::from_millis(5));
    }
    let metrics = get_metrics(&service.url());
    assert!(metrics.contains("healthpass_queued 4"), "{metrics}");

    // The next one is refused at once (the queue does not grow), with Retry-After.
    let overflow = device.sign(&entry("Bernard", now).to_json(), &fresh_key(3100), now);
    let refused = post_issuance(&agent(), &service.url(), &overflow).unwrap();
    assert_eq!((refused.status, refused.json()["error"].clone()), (503, "overloaded".into()));
    assert!(
        refused.header("retry-after").and_then(|value| value.parse::<u64>().ok()).is_some_and(|seconds| seconds >= 1)
    );
    assert_eq!(service.service.admission.waiting(), 4, "the refused request did not join the queue");
    // Operator routes and health checks do not queue behind issuances.
    assert_eq!(send(&agent(), "GET", &format!("{}/healthz", service.url()), &[], b"").unwrap().status, 200);

    // Workers free: everything queued is served.
    drop(held);
    for request in queued {
        let answer = request.join().unwrap();
        assert_eq!(answer.status, 201, "{:?}", answer.json());
    }
    // The refused request, retried with its key, is served too.
    assert_eq!(post_issuance(&agent(), &service.url(), &overflow).unwrap().status, 201);
    let metrics = get_metrics(&service.url());
    assert!(metrics.contains("healthpass_rejected_total{reason=\"overloaded\"} 1"), "{metrics}");
    assert!(metrics.contains("healthpass_issued_total 5"), "{metrics}");
    assert_eq!(service.store.issuances().unwrap().len(), 5);
}

/// A request that waited its limit in the queue is refused with 503 and `Retry-After`, and
/// leaves no claim: its retry is served.
#[test]
fn a_request_that_waited_too_long_is_refused_and_leaves_nothing() {
    let dir = scratch("queue-timeout");
    let mut config = config(Database::Sqlite(dir.join("issuer.sqlite")));
    config.admission = Some(AdmissionConfig { workers: 1, max_queue: 8, queue_timeout: Duration::from_millis(200) });
    let service = healthpass_service::start(&config).unwrap();
    let device = Device::new(0x75);
    assert_eq!(enrol(&agent(), &service.url(), &device).status, 201);
    let now = now();
    let runtime = runtime();
    let held = runtime.block_on(service.service.admission.admit(None)).unwrap();
    let request = device.sign(&entry("Martin", now).to_json(), &fresh_key(3200), now);
    let refused = post_issuance(&agent(), &service.url(), &request).unwrap();
    assert_eq!((refused.status, refused.json()["error"].clone()), (503, "overloaded".into()));
    assert!(refused.header("retry-after").is_some());
    drop(held);
    assert!(service.store.issuances().unwrap().is_empty());
    assert_eq!(post_issuance(&agent(), &service.url(), &request).unwrap().status, 201);
}

/// Refused clients are not all told the same wait: each books a second with room in the coming
/// seconds, at the service's pace (here one worker and no queue: one client per second), so they
/// return spread out instead of together. Six devices refused back to back get 1, 2, 3 … s (one
/// value may repeat if a second ends between two of them); a device that asks again before its
/// second is given the same second, not another place.
#[test]
fn refused_clients_are_told_to_return_spread_over_the_coming_seconds() {
    let dir = scratch("return-schedule");
    let mut config = config(Database::Sqlite(dir.join("issuer.sqlite")));
    config.admission = Some(AdmissionConfig { workers: 1, max_queue: 0, queue_timeout: Duration::from_secs(1) });
    let service = healthpass_service::start(&config).unwrap();
    let devices: Vec<Device> = (0..6).map(|n| Device::new(0x78 + n)).collect();
    for device in &devices {
        assert_eq!(enrol(&agent(), &service.url(), device).status, 201);
    }
    let now = now();
    let runtime = runtime();
    let held = runtime.block_on(service.service.admission.admit(None)).unwrap();
    let refuse = |device: &Device, n: u64| -> u64 {
        let request = device.sign(&entry(&family_name(n), now).to_json(), &fresh_key(3400 + n), now);
        let refused = post_issuance(&agent(), &service.url(), &request).unwrap();
        assert_eq!((refused.status, refused.json()["error"].clone()), (503, "overloaded".into()));
        refused.header("retry-after").and_then(|value| value.parse().ok()).expect("Retry-After in seconds")
    };
    let waits: Vec<u64> = devices.iter().zip(0..).map(|(device, n)| refuse(device, n)).collect();
    let mut distinct = waits.clone();
    distinct.dedup();
    assert!(distinct.len() >= 5 && waits.windows(2).all(|pair| pair[0] <= pair[1]), "{waits:?}");
    assert!(waits[0] <= 2 && waits[5] >= 5, "{waits:?}");
    // The last device asks again at once (another request): its second stands.
    let again = refuse(&devices[5], 10);
    assert!(again == waits[5] || again + 1 == waits[5], "{again} after {waits:?}");
    drop(held);
    assert!(service.store.issuances().unwrap().is_empty(), "a refusal stores nothing");
}

/// A device in a retry loop without backoff spends its own allowance, not the others'.
#[test]
fn a_device_over_its_allowance_gets_429_and_others_are_served() {
    let dir = scratch("rate");
    let mut config = config(Database::Sqlite(dir.join("issuer.sqlite")));
    config.device_rate = RateLimit { burst: 3.0, per_second: 0.01 };
    let service = healthpass_service::start(&config).unwrap();
    let (noisy, calm) = (Device::new(0x76), Device::new(0x77));
    assert_eq!(enrol(&agent(), &service.url(), &noisy).status, 201);
    assert_eq!(enrol(&agent(), &service.url(), &calm).status, 201);
    let now = now();
    let body = entry("Martin", now).to_json();
    let statuses: Vec<u16> = (0..5)
        .map(|_| post_issuance(&agent(), &service.url(), &noisy.sign(&body, &fresh_key(3300), now)).unwrap())
        .map(|answer| {
            if answer.status == 429 {
                assert_eq!(answer.json()["error"], "device_rate_limited");
                assert!(answer.header("retry-after").and_then(|value| value.parse::<u64>().ok()).is_some());
            }
            answer.status
        })
        .collect();
    assert_eq!(statuses, [201, 201, 201, 429, 429], "three from the burst (the same key: replays), then refused");
    // Requests naming the calm device with a forged signature do not spend its allowance.
    for n in 0..5 {
        let mut forged = calm.sign(&body, &fresh_key(3302 + n), now);
        let signature = forged.headers.iter_mut().find(|(name, _)| name == "Signature").unwrap();
        signature.1 = format!("sig1=:{}:", "A".repeat(86) + "==");
        let answer = post_issuance(&agent(), &service.url(), &forged).unwrap();
        assert_eq!((answer.status, answer.json()["error"].clone()), (401, "signature_invalid".into()));
    }
    let answer = post_issuance(&agent(), &service.url(), &calm.sign(&body, &fresh_key(3301), now)).unwrap();
    assert_eq!(answer.status, 201);
    assert_eq!(service.store.issuances().unwrap().len(), 2);
}

fn get_metrics(base: &str) -> String {
    String::from_utf8(send(&agent(), "GET", &format!("{base}/metrics"), &[], b"").unwrap().body).unwrap()
}
