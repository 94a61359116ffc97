//! Crash safety: 1,000 requests from clients that retry with the same keys, while the
//! `healthpass-issuer` process is SIGKILLed at random points and restarted. Afterwards every
//! key has exactly one pass, every pass a client holds verifies and is the one recorded, and
//! no UVCI was issued twice.

mod common;

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use common::*;
use healthpass_core::trust::{DocumentSignerCertificate, TrustStore};
use healthpass_core::verify::Verifier;
use healthpass_service::{Database, LISTENING};

const DEVICES: u8 = 4;
const KEYS_PER_DEVICE: u64 = 250;
const KILLS: u32 = 12;

/// A small xorshift: the kill points differ from run to run; the seed is printed so a failing
/// run can be replayed with HEALTHPASS_CRASH_SEED.
struct Random(u64);

impl Random {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

struct Server {
    child: Child,
    url: String,
}

fn start_server(files: &Path, database: &Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_healthpass-issuer"))
        .args(["--db", database.to_str().unwrap(), "--listen", "127.0.0.1:0"])
        .arg("--dsc-key")
        .arg(files.join("dsc.key"))
        .arg("--dsc-cert")
        .arg(files.join("dsc.der"))
        .arg("--operator-token-file")
        .arg(files.join("operator.token"))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().expect("the service printed where it listens").unwrap();
        if let Some(url) = line.strip_prefix(LISTENING) {
            break url.to_owned();
        }
    };
    // Keep draining stderr so the service never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Server { child, url }
}

#[test]
fn killed_and_restarted_the_service_signs_every_key_exactly_once() {
    let dir = scratch("crash");
    let (key, certificate) = signer_files();
    std::fs::write(dir.join("dsc.key"), key).unwrap();
    std::fs::write(dir.join("dsc.der"), &certificate).unwrap();
    std::fs::write(dir.join("operator.token"), OPERATOR_TOKEN).unwrap();
    let database: PathBuf = dir.join("issuer.sqlite");

    let seed = std::env::var("HEALTHPASS_CRASH_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or_else(|| (u64::from(std::process::id()) * 0x9E37_79B9) | 1);
    eprintln!("crash drill seed: {seed} (HEALTHPASS_CRASH_SEED={seed} replays it)");

    let mut server = start_server(&dir, &database);
    let devices: Vec<Arc<Device>> = (0..DEVICES).map(|n| Arc::new(Device::new(0x50 + n))).collect();
    for device in &devices {
        assert_eq!(enrol(&agent(), &server.url, device).status, 201);
    }
    let url = Arc::new(RwLock::new(server.url.clone()));
    let transport_failures = Arc::new(AtomicU64::new(0));
    let replays = Arc::new(AtomicU64::new(0));

    // One client per device, each with its keys, retrying each until it holds a pass.
    let clients: Vec<_> = devices
        .iter()
        .enumerate()
        .map(|(index, device)| {
            let (device, url) = (device.clone(), url.clone());
            let (transport_failures, replays) = (transport_failures.clone(), replays.clone());
            std::thread::spawn(move || {
                let agent = agent();
                let mut passes = HashMap::new();
                for n in 0..KEYS_PER_DEVICE {
                    let key = fresh_key(u64::try_from(index).unwrap() * 10_000 + n);
                    let body = entry(&family_name(n), now()).to_json();
                    let answer = loop {
                        // Signed again at each attempt, as a device does: the time moves on.
                        let request = device.sign(&body, &key, now());
                        let base = url.read().unwrap().clone();
                        match post_issuance(&agent, &base, &request) {
                            Ok(answer) if answer.status == 201 => break answer,
                            Ok(answer) if [409, 429, 503].contains(&answer.status) => {
                                assert!(
                                    answer.header("retry-after").is_some(),
                                    "{} without Retry-After",
                                    answer.status
                                );
                                std::thread::sleep(Duration::from_millis(50));
                            }
                            Ok(answer) => panic!("unexpected answer {}: {:?}", answer.status, answer.json()),
                            Err(_) => {
                                transport_failures.fetch_add(1, Ordering::Relaxed);
                                std::thread::sleep(Duration::from_millis(20));
                            }
                        }
                    };
                    if answer.header("idempotent-replayed").is_some() {
                        // Signed and stored before a kill took the first answer away.
                        replays.fetch_add(1, Ordering::Relaxed);
                    }
                    passes.insert(key, (body, answer.json()));
                }
                (device.id, passes)
            })
        })
        .collect();

    // SIGKILL at random points (10–250 ms apart), restart at once.
    let mut random = Random(seed);
    let mut kills = 0;
    while kills < KILLS && !clients.iter().all(|client| client.is_finished()) {
        std::thread::sleep(Duration::from_millis(10 + random.next(240)));
        server.child.kill().unwrap();
        server.child.wait().unwrap();
        kills += 1;
        server = start_server(&dir, &database);
        *url.write().unwrap() = server.url.clone();
    }
    let held: Vec<_> = clients.into_iter().map(|client| client.join().unwrap()).collect();
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    eprintln!(
        "{} keys, {kills} SIGKILLs, {} attempts without an answer, {} passes received as replays",
        u64::from(DEVICES) * KEYS_PER_DEVICE,
        transport_failures.load(Ordering::Relaxed),
        replays.load(Ordering::Relaxed)
    );
    assert!(kills >= 3, "the drill killed the service during the run");

    // Every key: one record, the UVCI the client holds; every pass verifies; no UVCI twice.
    let store = Database::Sqlite(database.clone()).open().unwrap();
    let records = store.issuances().unwrap();
    assert_eq!(records.len(), usize::from(DEVICES) * usize::try_from(KEYS_PER_DEVICE).unwrap());
    let unique: HashSet<&str> = records.iter().map(|record| record.uvci.as_str()).collect();
    assert_eq!(unique.len(), records.len(), "no UVCI was issued twice");
    let recorded: HashMap<(String, String), &str> = records
        .iter()
        .map(|record| ((record.device_id.to_string(), record.idempotency_key.clone()), record.uvci.as_str()))
        .collect();
    let verifier = Verifier::new(TrustStore::from_iter([DocumentSignerCertificate::from_der(&certificate).unwrap()]));
    let now = now();
    for (device, passes) in &held {
        for (key, (_, answer)) in passes {
            let uvci = answer["uvci"].as_str().unwrap();
            assert_eq!(
                recorded.get(&(device.to_string(), key.clone())),
                Some(&uvci),
                "the held pass is the recorded one"
            );
            let verdict = verifier.verify_text(answer["pass"].as_str().unwrap(), now).unwrap();
            assert!(verdict.is_valid(), "{:?}", verdict.reasons);
        }
    }

    // Restarted once more, the service replays exactly the held passes (a sample of 50).
    let server = start_server(&dir, &database);
    let agent = agent();
    for (device, passes) in held.iter().take(1) {
        let device = devices.iter().find(|candidate| candidate.id == *device).unwrap();
        for (key, (body, answer)) in passes.iter().take(50) {
            let replay = post_issuance(&agent, &server.url, &device.sign(body, key, now)).unwrap();
            assert_eq!((replay.status, replay.json()), (201, answer.clone()));
        }
    }
    let mut server = server;
    server.child.kill().unwrap();
    server.child.wait().unwrap();
}
