//! `PassIssuer`: test certificates signed by the platform's key.

use std::sync::Arc;

use healthpass_core::dcc::value_sets;
use healthpass_core::issue::{
    self, Issuer, IssuingPolicy, SignerError, TestCertificateRequest, TestResult as CoreTestResult,
    TestType as CoreTestType,
};
use healthpass_core::protocol::{DeviceId, EnrolmentRequest};
use healthpass_core::time::UnixTime;
use healthpass_core::trust::{DocumentSignerCertificate, SignerKey};

use crate::error::{HealthpassError, guard};
use crate::foreign::Signer;
use crate::types::{DeviceEnrolment, IssuedPass, TestPassRequest, TestResult, TestType, ValueSetEntry};

/// Adapts a platform signer to the core's signer.
pub(crate) struct PlatformSigner {
    pub(crate) signer: Arc<dyn Signer>,
}

impl issue::Signer for PlatformSigner {
    fn public_key(&self) -> Result<SignerKey, SignerError> {
        let bytes = self.signer.public_key()?;
        issue::p256_public_key(&bytes).map(SignerKey::P256)
    }

    fn sign(&self, data: &[u8]) -> Result<Vec<u8>, SignerError> {
        Ok(self.signer.sign(data.to_vec())?)
    }
}

/// Issues test passes at a pharmacy, signing with the platform's key.
#[derive(uniffi::Object)]
pub struct PassIssuer {
    issuer: Issuer,
}

#[uniffi::export]
impl PassIssuer {
    /// An issuer signing with the platform key `signer`, certified by `certificate` (DER or
    /// PEM), for `issuing_country`; passes expire `pass_lifetime_hours` after the sample.
    #[uniffi::constructor]
    pub fn new(
        signer: Arc<dyn Signer>,
        certificate: Vec<u8>,
        issuing_country: String,
        pass_lifetime_hours: u32,
    ) -> Result<Self, HealthpassError> {
        guard(|| {
            let certificate = DocumentSignerCertificate::from_file_bytes(&certificate)?
                .into_iter()
                .next()
                .ok_or_else(|| HealthpassError::InvalidInput { reason: "no certificate given".into() })?;
            let policy = IssuingPolicy {
                pass_lifetime_seconds: i64::from(pass_lifetime_hours) * 3600,
                ..IssuingPolicy::default()
            };
            let platform = PlatformSigner { signer };
            let issuer = Issuer::new(Arc::new(platform), certificate.der(), &issuing_country, policy)?;
            Ok(Self { issuer })
        })
    }

    /// Issues a test certificate at `at` (seconds since the Unix epoch). The pass is verified
    /// with the issuer's own certificate before it is returned.
    pub fn issue_test(&self, request: TestPassRequest, at: i64) -> Result<IssuedPass, HealthpassError> {
        guard(|| {
            let request = TestCertificateRequest::from(request);
            let pass = self.issuer.issue_test(&request, UnixTime::from_seconds(at))?;
            Ok(IssuedPass {
                text: pass.text,
                certificate_id: pass.certificate_id,
                issued_at: pass.issued_at.seconds(),
                expires_at: pass.expires_at.seconds(),
            })
        })
    }
}

impl From<TestPassRequest> for TestCertificateRequest {
    fn from(request: TestPassRequest) -> Self {
        Self {
            family_name: request.family_name,
            given_name: request.given_name,
            date_of_birth: request.date_of_birth,
            test_type: match request.test_type {
                TestType::RapidAntigen => CoreTestType::RapidAntigen,
                TestType::Naat => CoreTestType::Naat,
            },
            device: request.device,
            test_name: request.test_name,
            sampled_at: UnixTime::from_seconds(request.sampled_at),
            result: match request.result {
                TestResult::Negative => CoreTestResult::Negative,
                TestResult::Positive => CoreTestResult::Positive,
            },
            centre: request.centre,
            country: request.country,
            issuer: request.issuer,
        }
    }
}

/// What the operator needs to enrol this pharmacy device with the central issuer: the public
/// key of `signer` (Keystore / Secure Enclave; the private key never leaves it), the device id
/// the issuer will know it by, and the enrolment body.
#[uniffi::export]
pub fn device_enrolment(
    signer: Arc<dyn Signer>,
    pharmacy_id: String,
    pharmacy_name: String,
) -> Result<DeviceEnrolment, HealthpassError> {
    guard(|| {
        let key = issue::p256_public_key(&signer.public_key()?)?;
        let request = EnrolmentRequest::for_key(&key, &pharmacy_id, &pharmacy_name);
        Ok(DeviceEnrolment {
            device_id: DeviceId::of_key(&key).to_string(),
            request_json: request.to_json(),
            public_key: request.public_key,
        })
    })
}

/// The active rapid antigen test devices, for the issuing form.
#[uniffi::export]
pub fn rapid_test_devices() -> Result<Vec<ValueSetEntry>, HealthpassError> {
    guard(|| {
        Ok(value_sets::TEST_DEVICES
            .entries()
            .iter()
            .filter(|entry| entry.active)
            .map(|entry| ValueSetEntry { code: entry.code.to_owned(), display: entry.display.to_owned() })
            .collect())
    })
}
