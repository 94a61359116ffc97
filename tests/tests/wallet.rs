//! The traveller's wallet on its own: passes added from text, pictures and files, listed with
//! their state at a given time, exported, removed; sealed at rest with the platform's key; a
//! damaged row or a hostile file is a clear error and the rest stays readable.

use healthpass_tests::scratch::ScratchDir;
use std::sync::Arc;

use healthpass_core::issue::IssuedPass;
use healthpass_core::render::QrMatrix;
use healthpass_core::scan::LumaFrame;
use healthpass_core::time::UnixTime;
use healthpass_core::trust::{HashList, RevocationLists, TrustAnchor, TrustBundle};
use healthpass_core::verify::Verifier;
use healthpass_core::wallet::{
    ExportFormat, PassSource, PassState, Protection, SoftwareStorageKey, Wallet, WalletError,
};
use healthpass_tests::vectors::{bundle_contents, demo_authority, demo_issuer, demo_test_request, fixed_key};

fn scratch(name: &str) -> ScratchDir {
    ScratchDir::new(&format!("wallet-{name}"))
}

fn at(seconds: i64) -> UnixTime {
    UnixTime::from_seconds(seconds)
}

/// 2026-12-01T10:00:00Z.
const ISSUED: i64 = 1_796_119_200;

/// A demo test pass issued at `ISSUED` (valid 72 h).
fn pass(family_name: &str) -> IssuedPass {
    let mut request = demo_test_request(at(ISSUED - 1_800));
    request.family_name = family_name.into();
    demo_issuer().issue_test(&request, at(ISSUED)).unwrap()
}

fn key() -> Arc<SoftwareStorageKey> {
    Arc::new(SoftwareStorageKey::new(&[7; 32]))
}

/// A controller's verifier trusting the demo signer, revoking `revoked` UVCIs.
fn verifier(revoked: &[&str]) -> Verifier {
    let mut hashes: Vec<[u8; 16]> =
        revoked.iter().map(|uvci| healthpass_core::trust::revocation::uci_hash(uvci)).collect();
    hashes.sort();
    let contents = healthpass_core::trust::TrustBundleContents {
        revocations: RevocationLists {
            uci: HashList::from_sorted_bytes(hashes.concat()).unwrap(),
            ..RevocationLists::default()
        },
        ..bundle_contents(&demo_authority().dsc.certificate_der, at(ISSUED - 86_400), at(ISSUED + 30 * 86_400))
    };
    let anchor = fixed_key(0x62);
    let bytes = contents.sign(&healthpass_core::codec::cose::SoftwareSigner::new(anchor.clone())).unwrap();
    let bundle = TrustBundle::load(&bytes, &[TrustAnchor::new(*anchor.verifying_key())]).unwrap();
    Verifier::with_bundle(Arc::new(bundle), None).unwrap()
}

#[test]
fn passes_added_from_text_pictures_and_files_are_listed_with_their_state_at_a_time() {
    let dir = scratch("states");
    let wallet = Wallet::open(&dir.join("wallet.sqlite"), Some(key())).unwrap();
    assert_eq!(wallet.protection(), Protection::Sealed);
    let first = pass("Martin");
    let second = pass("Bernard");
    let third = pass("Petit");

    let added = wallet.add_text(&format!("  {}\n", first.text), PassSource::Text, at(ISSUED)).unwrap();
    assert!(!added.duplicate);
    assert!(wallet.add_text(&first.text, PassSource::Text, at(ISSUED)).unwrap().duplicate, "kept once");
    // A picture: the QR code drawn, read back by the scanner.
    let qr = QrMatrix::for_text(&second.text).unwrap();
    let png = qr.to_png(4);
    let frame = healthpass_core::scan::image_input::decode_image(&png).unwrap();
    let from_picture = wallet.add_frame(&frame.view(), at(ISSUED)).unwrap();
    // A file: a PNG of the code, or the pass's text.
    let from_png = wallet.add_file(&QrMatrix::for_text(&third.text).unwrap().to_png(5), at(ISSUED)).unwrap();
    assert!(wallet.add_file(first.text.as_bytes(), at(ISSUED)).unwrap().duplicate);
    assert_eq!(wallet.pass_text(from_picture.id).unwrap(), second.text);
    assert_eq!(wallet.pass_text(from_png.id).unwrap(), third.text);

    let gate = verifier(&[&third.certificate_id]);
    let states = |now: i64| -> Vec<(i64, PassState)> {
        wallet.list(at(now), Some(&gate)).unwrap().iter().map(|pass| (pass.id, pass.state)).collect()
    };
    assert_eq!(
        states(ISSUED + 3_600),
        vec![(added.id, PassState::Valid), (from_picture.id, PassState::Valid), (from_png.id, PassState::Revoked)]
    );
    assert_eq!(states(ISSUED + 60 * 3_600)[0].1, PassState::ExpiringSoon);
    assert_eq!(states(ISSUED + 73 * 3_600)[0].1, PassState::Expired);
    let listed = wallet.list(at(ISSUED + 3_600), Some(&gate)).unwrap();
    assert!(listed.iter().all(|pass| pass.checked));
    assert_eq!(listed[2].reasons, vec!["revoked".to_owned()]);
    assert_eq!(listed[0].holder, "Amélie Martin");
    assert_eq!(listed[1].source, PassSource::Picture);
    assert_eq!(listed[0].uvci.as_deref(), Some(first.certificate_id.as_str()));
    // Without a bundle, the dates alone: nothing claims a signature was checked.
    let unchecked = wallet.list(at(ISSUED + 3_600), None).unwrap();
    assert!(unchecked.iter().all(|pass| !pass.checked && pass.state == PassState::Valid));

    // Exports: the PNG scans back to the pass, the SVG and the attestation page name it.
    let exported = wallet.export(added.id, ExportFormat::Png).unwrap();
    let frame = healthpass_core::scan::image_input::decode_image(&exported).unwrap();
    let codes = healthpass_core::scan::Scanner::default().scan(&frame.view());
    assert_eq!(codes[0].text, first.text);
    let svg = String::from_utf8(wallet.export(added.id, ExportFormat::Svg).unwrap()).unwrap();
    assert!(svg.starts_with("<svg") || svg.contains("<svg"));
    let page = String::from_utf8(wallet.export(added.id, ExportFormat::Attestation).unwrap()).unwrap();
    assert!(page.contains(&first.certificate_id) && page.contains("Martin"));

    // Removal.
    assert!(wallet.remove(from_picture.id).unwrap());
    assert!(!wallet.remove(from_picture.id).unwrap());
    assert_eq!(wallet.list(at(ISSUED), None).unwrap().len(), 2);
    assert!(matches!(wallet.pass_text(from_picture.id), Err(WalletError::UnknownPass(_))));
}

#[test]
fn passes_are_sealed_at_rest_and_the_key_is_checked() {
    let dir = scratch("sealed");
    let path = dir.join("wallet.sqlite");
    let issued = pass("Lefebvre");
    {
        let wallet = Wallet::open(&path, Some(key())).unwrap();
        wallet.add_text(&issued.text, PassSource::Text, at(ISSUED)).unwrap();
    }
    let mut bytes = std::fs::read(&path).unwrap();
    if let Ok(wal) = std::fs::read(dir.join("wallet.sqlite-wal")) {
        bytes.extend(wal);
    }
    assert!(!bytes.windows(4).any(|window| window == b"HC1:"), "no pass text in clear on disk");
    assert!(!bytes.windows(8).any(|window| window == b"Lefebvre"));
    assert_eq!(Wallet::open(&path, None).err(), Some(WalletError::KeyRequired));
    let other = Arc::new(SoftwareStorageKey::new(&[8; 32]));
    assert_eq!(Wallet::open(&path, Some(other)).err(), Some(WalletError::WrongKey));
    let reopened = Wallet::open(&path, Some(key())).unwrap();
    assert_eq!(reopened.list(at(ISSUED), None).unwrap().len(), 1);

    // Without a platform key, the wallet says it stores in clear; it cannot be sealed later by
    // accident.
    let plain_path = dir.join("plain.sqlite");
    let plain = Wallet::open(&plain_path, None).unwrap();
    assert_eq!(plain.protection(), Protection::Plain);
    drop(plain);
    assert_eq!(Wallet::open(&plain_path, Some(key())).err(), Some(WalletError::KeyNotExpected));
}

#[test]
fn garbage_imports_and_damaged_rows_are_clear_errors_and_the_rest_stays_readable() {
    let dir = scratch("hostile");
    let path = dir.join("wallet.sqlite");
    let wallet = Wallet::open(&path, Some(key())).unwrap();
    let kept = pass("Moreau");
    let damaged = pass("Laurent");
    let kept_id = wallet.add_text(&kept.text, PassSource::Text, at(ISSUED)).unwrap().id;
    let damaged_id = wallet.add_text(&damaged.text, PassSource::Text, at(ISSUED)).unwrap().id;

    let refusals: Vec<(&str, WalletError)> = vec![
        ("random bytes", wallet.add_file(&[0xde, 0xad, 0xbe, 0xef, 0xff, 0x00], at(ISSUED)).unwrap_err()),
        (
            "escape codes",
            wallet.add_text("HC1:\u{1b}[2J\u{1b}]0;pwned\u{7}", PassSource::Text, at(ISSUED)).unwrap_err(),
        ),
        (
            "a PNG without a code",
            wallet
                .add_file(&healthpass_core::render::png::encode_grey(&[255; 64 * 64], 64, 64), at(ISSUED))
                .unwrap_err(),
        ),
        ("a truncated PNG", wallet.add_file(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", at(ISSUED)).unwrap_err()),
        ("a huge text", wallet.add_text(&"A".repeat(100_000), PassSource::Text, at(ISSUED)).unwrap_err()),
        ("an empty frame", wallet.add_frame(&LumaFrame::packed(&[0; 16], 4, 4).unwrap(), at(ISSUED)).unwrap_err()),
    ];
    for (what, error) in &refusals {
        let message = error.to_string();
        assert!(!message.is_empty() && !message.contains('\u{1b}'), "{what}: {message:?}");
        assert!(!message.contains("Moreau") && !message.contains("1987"), "{what}: {message}");
    }
    assert!(matches!(refusals[2].1, WalletError::NoCodeInPicture));
    assert_eq!(wallet.list(at(ISSUED), None).unwrap().len(), 2, "nothing was added or lost");

    // One row's sealed text altered, another's columns of the wrong type: each is listed as
    // unreadable with what is wrong, the other passes are read as before.
    let third = wallet.add_text(&pass("Garcia").text, PassSource::Text, at(ISSUED)).unwrap().id;
    drop(wallet);
    let connection = rusqlite::Connection::open(&path).unwrap();
    connection.execute("UPDATE passes SET payload = x'00010203' WHERE id = ?1", [damaged_id]).unwrap();
    connection
        .execute("UPDATE passes SET added_at = 'yesterday', provisional = 'maybe' WHERE id = ?1", [third])
        .unwrap();
    drop(connection);
    let wallet = Wallet::open(&path, Some(key())).unwrap();
    let listed = wallet.list(at(ISSUED), None).unwrap();
    let state_of = |id: i64| listed.iter().find(|pass| pass.id == id).map(|pass| pass.state);
    assert_eq!(state_of(kept_id), Some(PassState::Valid));
    assert_eq!(state_of(damaged_id), Some(PassState::Unreadable));
    assert_eq!(state_of(third), Some(PassState::Unreadable));
    assert!(listed.iter().filter_map(|pass| pass.problem.as_deref()).all(|problem| !problem.contains("Laurent")));
    let error = wallet.pass_text(damaged_id).unwrap_err().to_string();
    assert!(error.contains(&format!("pass {damaged_id}")) && error.contains("other passes are unaffected"), "{error}");
    assert_eq!(wallet.pass_text(kept_id).unwrap(), kept.text);
    assert!(matches!(wallet.pass_text(third), Err(WalletError::Unreadable { .. })));
    assert_eq!(wallet.pass(third, at(ISSUED), None).unwrap().state, PassState::Unreadable);

    // A file that is not a wallet is refused and left as it was.
    let stranger = dir.join("photos.db");
    let other = rusqlite::Connection::open(&stranger).unwrap();
    other.execute_batch("CREATE TABLE photos (name TEXT); INSERT INTO photos VALUES ('beach');").unwrap();
    drop(other);
    let before = std::fs::read(&stranger).unwrap();
    let error = Wallet::open(&stranger, None).err().unwrap();
    assert!(error.to_string().contains("not a healthpass wallet"), "{error}");
    assert_eq!(std::fs::read(&stranger).unwrap(), before);
    let noise = dir.join("noise.sqlite");
    std::fs::write(&noise, vec![0x5a; 4096]).unwrap();
    assert!(matches!(Wallet::open(&noise, None), Err(WalletError::Store(_))));
    assert_eq!(std::fs::read(&noise).unwrap(), vec![0x5a; 4096]);
}
