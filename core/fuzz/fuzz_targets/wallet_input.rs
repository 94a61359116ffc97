//! Hostile input at the wallet: imported files and texts, typed transfer codes, and a hostile
//! service's answers to a poll. None may panic, and the pass already in the wallet stays
//! readable whatever came before.
#![no_main]

mod common;

use std::sync::{Arc, OnceLock};

use healthpass_core::protocol::{HttpResponse, TransferCode};
use healthpass_core::wallet::{PassSource, PassState, SoftwareStorageKey, TransferRequest, Wallet};
use libfuzzer_sys::fuzz_target;

struct Fixture {
    wallet: Wallet,
    poll: TransferRequest,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let path = std::env::temp_dir().join(format!("healthpass-fuzz-wallet-{}.sqlite", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let wallet = Wallet::open(&path, Some(Arc::new(SoftwareStorageKey::new(&[3; 32])))).expect("a wallet");
        let demo = include_str!("../../../cli/demo/pass.txt");
        wallet.add_text(demo, PassSource::Text, common::now()).expect("the demo pass");
        let code = wallet.create_transfer("http://127.0.0.1:9", common::now()).expect("a code");
        let register = wallet.due_transfer_requests(common::now(), true).expect("requests").remove(0);
        let registered = HttpResponse {
            status: 201,
            headers: Vec::new(),
            body: format!(r#"{{"code":"{}","expires_at":"2030-01-01T00:00:00Z"}}"#, code.as_str()).into_bytes(),
        };
        let poll = wallet
            .record_transfer_answer(&register, Ok(&registered), common::now())
            .expect("registered")
            .follow_up
            .expect("a poll");
        Fixture { wallet, poll }
    })
}

fuzz_target!(|data: &[u8]| {
    let fixture = fixture();
    let Some((selector, rest)) = data.split_first() else { return };
    match selector % 4 {
        0 => drop(fixture.wallet.add_file(rest, common::now())),
        1 => drop(fixture.wallet.add_text(&String::from_utf8_lossy(rest), PassSource::Text, common::now())),
        2 => drop(TransferCode::parse(&String::from_utf8_lossy(rest))),
        _ => {
            let answer = HttpResponse { status: 200, headers: Vec::new(), body: rest.to_vec() };
            drop(fixture.wallet.record_transfer_answer(&fixture.poll, Ok(&answer), common::now()));
        }
    }
    let passes = fixture.wallet.list(common::now(), None).expect("the wallet stays readable");
    assert!(passes.iter().any(|pass| pass.id == 1 && pass.state != PassState::Unreadable));
});
