//! The three kinds of health certificate and how a DCC says which one it is.

use std::fmt;

use ciborium::Value;

/// Which statement a certificate makes (hcert spec §2.3; DCC keys `v`, `t`, `r`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CertificateType {
    /// A vaccination certificate (`v`).
    Vaccination,
    /// A test certificate (`t`).
    Test,
    /// A recovery certificate (`r`).
    Recovery,
}

impl CertificateType {
    /// The three types, in the order tests, vaccinations, recoveries.
    pub const ALL: [CertificateType; 3] = [Self::Test, Self::Vaccination, Self::Recovery];

    /// The DCC key that holds entries of this type.
    pub fn key(self) -> &'static str {
        match self {
            Self::Vaccination => "v",
            Self::Test => "t",
            Self::Recovery => "r",
        }
    }

    /// The type a DCC key (`v`, `t`, `r`) holds.
    pub fn from_key(key: &str) -> Option<Self> {
        match key {
            "v" => Some(Self::Vaccination),
            "t" => Some(Self::Test),
            "r" => Some(Self::Recovery),
            _ => None,
        }
    }

    /// Lower-case English name, also the machine-readable form in JSON output.
    pub fn name(self) -> &'static str {
        match self {
            Self::Vaccination => "vaccination",
            Self::Test => "test",
            Self::Recovery => "recovery",
        }
    }

    /// The types a DCC map declares: every `v`/`t`/`r` key that is present and not null.
    ///
    /// dgc-testdata BG/1 and BG/2 carry `"t": null` beside a real entry; a null key declares
    /// nothing (the schema check still reports it).
    pub fn declared_in(dcc: &Value) -> Vec<CertificateType> {
        let Value::Map(entries) = dcc else { return Vec::new() };
        let mut types = Vec::new();
        for (key, value) in entries {
            if let (Value::Text(key), false) = (key, value.is_null())
                && let Some(kind) = Self::from_key(key)
                && !types.contains(&kind)
            {
                types.push(kind);
            }
        }
        types
    }
}

impl fmt::Display for CertificateType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
