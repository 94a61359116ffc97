//! The Kotlin layer on the JVM: the committed bindings match the library, the facade and the
//! bindings compile with kotlinc (warnings are errors), and the JUnit tests pass against the
//! host cdylib through JNA. CI installs the tools (`scripts/install-test-tools`); when they are
//! missing here, this test runs that script rather than skipping.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use healthpass_tests::bindings::{self, Language};
use healthpass_tests::shared_data::repository_root;

const SYSTEM_JARS: [&str; 3] =
    ["/usr/share/java/jna.jar", "/usr/share/java/junit4.jar", "/usr/share/java/hamcrest-core.jar"];

fn kotlin_home() -> PathBuf {
    repository_root().join(".tools/node_modules/kotlin-compiler")
}

fn ensure_tools() {
    let present = kotlin_home().join("bin/kotlinc").is_file() && SYSTEM_JARS.iter().all(|jar| Path::new(jar).is_file());
    if !present {
        let status = Command::new(repository_root().join("scripts/install-test-tools"))
            .status()
            .expect("scripts/install-test-tools runs");
        assert!(status.success(), "scripts/install-test-tools failed");
    }
}

fn kotlin_sources(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            kotlin_sources(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "kt") {
            found.push(path);
        }
    }
}

fn class_path(entries: &[PathBuf]) -> String {
    entries.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(":")
}

#[test]
fn kotlin_bindings_compile_and_pass_on_the_jvm() {
    ensure_tools();
    bindings::build_library_and_generator().unwrap();

    let generated = bindings::target_dir().join("bindings-check/kotlin");
    bindings::generate(Language::Kotlin, &generated).unwrap();
    let drift = bindings::drift(Language::Kotlin, &generated);
    assert!(drift.is_empty(), "{}\nrun scripts/generate-bindings and commit the result", drift.join("\n"));

    let module = repository_root().join("android/healthpass/src");
    let mut sources = Vec::new();
    kotlin_sources(&module.join("main/kotlin"), &mut sources);
    kotlin_sources(&module.join("test/kotlin"), &mut sources);
    let declared_tests: usize = sources
        .iter()
        .filter(|p| p.starts_with(module.join("test")))
        .map(|p| std::fs::read_to_string(p).unwrap().matches("@Test").count())
        .sum();
    assert!(declared_tests >= 7, "the Kotlin suite shrank to {declared_tests} tests");

    let lib = kotlin_home().join("lib");
    let runtime = [lib.join("kotlin-stdlib.jar"), lib.join("kotlinx-coroutines-core-jvm.jar")];
    let system: Vec<PathBuf> = SYSTEM_JARS.iter().map(PathBuf::from).collect();
    let classes = bindings::target_dir().join("kotlin/classes");
    let _ = std::fs::remove_dir_all(&classes);

    let started = Instant::now();
    let compile = Command::new(kotlin_home().join("bin/kotlinc"))
        .args(["-Werror", "-d"])
        .arg(&classes)
        .arg("-cp")
        .arg(class_path(&[&runtime[1..], &system[..]].concat()))
        .args(&sources)
        .output()
        .expect("kotlinc runs");
    let compiled_in = started.elapsed();
    assert!(
        compile.status.success(),
        "kotlinc failed:\n{}{}",
        String::from_utf8_lossy(&compile.stdout),
        String::from_utf8_lossy(&compile.stderr)
    );

    // What the outbox test needs to run the real issuer service: its binary (built above with
    // the workspace), a document signer and an operator token.
    let work = bindings::target_dir().join("kotlin/work");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let authority = healthpass_tests::vectors::demo_authority();
    let key = p256::pkcs8::EncodePrivateKey::to_pkcs8_pem(&authority.dsc.key, p256::pkcs8::LineEnding::LF).unwrap();
    std::fs::write(work.join("dsc-key.pem"), key.as_bytes()).unwrap();
    std::fs::write(work.join("dsc.der"), &authority.dsc.certificate_der).unwrap();
    std::fs::write(work.join("operator.token"), "operator-token-for-the-kotlin-tests\n").unwrap();
    // A provisional pass and a bundle whose fallback root certifies its device.
    let provisional = healthpass_tests::fallback_kit::issuer(12)
        .issue(
            &healthpass_tests::vectors::demo_test_request(healthpass_tests::fallback_kit::now().saturating_sub(3_600)),
            5,
            healthpass_tests::fallback_kit::now(),
        )
        .unwrap();
    std::fs::write(work.join("provisional.txt"), &provisional.pass.text).unwrap();
    std::fs::write(work.join("provisional-at.txt"), healthpass_tests::fallback_kit::now().seconds().to_string())
        .unwrap();
    let (bundle, anchor) =
        healthpass_tests::fallback_kit::signed_bundle(vec![healthpass_tests::fallback_kit::root()], Vec::new());
    std::fs::write(work.join("fallback-bundle.cbor"), bundle).unwrap();
    std::fs::write(work.join("fallback-anchor.pem"), anchor).unwrap();
    // For the outbox test against the real issuer (real time): its fallback key, and a bundle
    // in force now carrying that key's root.
    let now = healthpass_core::time::UnixTime::from_seconds(
        i64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()).unwrap(),
    );
    let (bundle_now, _) = healthpass_tests::fallback_kit::signed_bundle_around(
        vec![healthpass_tests::fallback_kit::root()],
        Vec::new(),
        now,
    );
    std::fs::write(work.join("fallback-bundle-now.cbor"), bundle_now).unwrap();
    let fallback_key = p256::pkcs8::EncodePrivateKey::to_pkcs8_pem(
        &healthpass_tests::fallback_kit::root_key(),
        p256::pkcs8::LineEnding::LF,
    )
    .unwrap();
    std::fs::write(work.join("fallback-key.pem"), fallback_key.as_bytes()).unwrap();
    // A real French 2D-DOC (TousAntiCovid's test vector, ../shared/2ddoc sample 02), as text
    // and as a rendered DataMatrix luma frame (width, height, then the pixels).
    let two_d_doc = healthpass_tests::two_d_doc_codes::samples()
        .into_iter()
        .find(|sample| sample.file.starts_with("02_"))
        .expect("sample 02 of ../shared/2ddoc");
    std::fs::write(work.join("twoddoc.txt"), &two_d_doc.text).unwrap();
    let frame = healthpass_tests::two_d_doc_codes::luma_frame(&two_d_doc.text, 4, 12);
    let mut frame_file = format!("{} {}\n", frame.width(), frame.height()).into_bytes();
    frame_file.extend_from_slice(frame.pixels());
    std::fs::write(work.join("twoddoc-frame.bin"), frame_file).unwrap();

    let started = Instant::now();
    let run = Command::new("java")
        .arg(format!("-Djna.library.path={}", bindings::library_dir().display()))
        .arg(format!("-Dhealthpass.repo={}", repository_root().display()))
        .arg(format!("-Dhealthpass.issuer={}", bindings::library_dir().join("healthpass-issuer").display()))
        .arg(format!("-Dhealthpass.work={}", work.display()))
        .arg("-cp")
        .arg(class_path(&[&[classes], &runtime[..], &system[..]].concat()))
        .args(["org.junit.runner.JUnitCore", "org.healthpass.HealthpassTest"])
        .output()
        .expect("java runs");
    let ran_in = started.elapsed();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "JUnit failed:\n{stdout}{}", String::from_utf8_lossy(&run.stderr));
    assert!(
        stdout.contains(&format!("OK ({declared_tests} tests)")),
        "expected all {declared_tests} Kotlin tests to run and pass:\n{stdout}"
    );
    eprintln!(
        "kotlin: {declared_tests} JUnit tests passed; kotlinc {:.1} s, JVM run {:.2} s",
        compiled_in.as_secs_f64(),
        ran_in.as_secs_f64()
    );
}
