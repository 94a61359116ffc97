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
    let held: Vec<_> = (0..2).map(|_| runtime.block_on(service.service.admission.admit()).unwrap()).collect();
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
    let held = runtime.block_on(service.service.admission.admit()).unwrap();
    let request = device.sign(&entry("Martin", now).to_json(), &fresh_key(3200), now);
    let refused = post_issuance(&agent(), &service.url(), &request).unwrap();
    assert_eq!((refused.status, refused.json()["error"].clone()), (503, "overloaded".into()));
    assert!(refused.header("retry-after").is_some());
    drop(held);
    assert!(service.store.issuances().unwrap().is_empty());
    assert_eq!(post_issuance(&agent(), &service.url(), &request).unwrap().status, 201);
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
