//! The EU DCC value sets the core knows (release 2.12.0), from tables generated out of the
//! shared upstream data: codes, their English names, and whether they are still active.
//!
//! A trust bundle may carry newer value sets; these are the defaults and what issuing checks.

mod tables;

/// One code of a value set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValueSetEntry {
    pub code: &'static str,
    pub display: &'static str,
    pub active: bool,
}

/// A value set: its entries sorted by code.
#[derive(Debug, Clone, Copy)]
pub struct ValueSet {
    pub id: &'static str,
    entries: &'static [ValueSetEntry],
}

impl ValueSet {
    pub fn entries(&self) -> &'static [ValueSetEntry] {
        self.entries
    }

    pub fn get(&self, code: &str) -> Option<&'static ValueSetEntry> {
        self.entries.binary_search_by(|entry| entry.code.cmp(code)).ok().and_then(|index| self.entries.get(index))
    }

    pub fn contains(&self, code: &str) -> bool {
        self.get(code).is_some()
    }
}

pub const COUNTRIES: ValueSet = ValueSet { id: "country-2-codes", entries: tables::COUNTRIES };
pub const DISEASES: ValueSet = ValueSet { id: "disease-agent-targeted", entries: tables::DISEASES };
/// Rapid antigen test devices (`covid-19-lab-test-manufacturer-and-name`).
pub const TEST_DEVICES: ValueSet =
    ValueSet { id: "covid-19-lab-test-manufacturer-and-name", entries: tables::TEST_DEVICES };
pub const TEST_RESULTS: ValueSet = ValueSet { id: "covid-19-lab-result", entries: tables::TEST_RESULTS };
pub const TEST_TYPES: ValueSet = ValueSet { id: "covid-19-lab-test-type", entries: tables::TEST_TYPES };
pub const VACCINE_HOLDERS: ValueSet =
    ValueSet { id: "vaccines-covid-19-auth-holders", entries: tables::VACCINE_HOLDERS };
pub const VACCINE_PRODUCTS: ValueSet = ValueSet { id: "vaccines-covid-19-names", entries: tables::VACCINE_PRODUCTS };
pub const VACCINE_TYPES: ValueSet = ValueSet { id: "sct-vaccines-covid-19", entries: tables::VACCINE_TYPES };

/// SNOMED CT code of COVID-19, the only disease in the value set.
pub const DISEASE_COVID_19: &str = "840539006";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_and_searchable() {
        for set in [
            COUNTRIES,
            DISEASES,
            TEST_DEVICES,
            TEST_RESULTS,
            TEST_TYPES,
            VACCINE_HOLDERS,
            VACCINE_PRODUCTS,
            VACCINE_TYPES,
        ] {
            assert!(!set.entries().is_empty(), "{}", set.id);
            assert!(set.entries().windows(2).all(|pair| pair[0].code < pair[1].code), "{} unsorted", set.id);
        }
        assert_eq!(
            TEST_DEVICES.get("1232").map(|entry| entry.display),
            Some("Abbott Rapid Diagnostics, Panbio COVID-19 Ag Rapid Test")
        );
        assert!(COUNTRIES.contains("FR"));
        assert!(!COUNTRIES.contains("XY"));
        assert!(DISEASES.contains(DISEASE_COVID_19));
    }
}
