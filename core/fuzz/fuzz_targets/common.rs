use std::sync::OnceLock;

use healthpass_core::time::UnixTime;
use healthpass_core::trust::{DocumentSignerCertificate, TrustStore};
use healthpass_core::verify::Verifier;

/// A verifier trusting the demo signer, so inputs near the demo pass reach every check.
pub fn verifier() -> &'static Verifier {
    static VERIFIER: OnceLock<Verifier> = OnceLock::new();
    VERIFIER.get_or_init(|| {
        let signer = include_bytes!("../../../cli/demo/signer.pem");
        let certificates = DocumentSignerCertificate::from_file_bytes(signer).unwrap_or_default();
        Verifier::new(TrustStore::from_iter(certificates))
    })
}

pub fn now() -> UnixTime {
    UnixTime::from_seconds(1_800_000_000)
}
