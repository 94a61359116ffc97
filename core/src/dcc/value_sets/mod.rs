//! The EU DCC value sets the core knows (release 2.12.0), from tables generated out of the
//! shared upstream data: codes, their English names, and whether they are still active.
//!
//! A trust bundle may carry newer value sets; these are the defaults and what issuing checks.

mod tables;

/// One code of a value set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValueSetEntry {
    /// The code (SNOMED CT, LOINC, ISO 3166, EU numbers).
    pub code: &'static str,
    /// Its English name.
    pub display: &'static str,
    /// Whether it is still in use.
    pub active: bool,
}

/// A value set: its entries sorted by code.
#[derive(Debug, Clone, Copy)]
pub struct ValueSet {
    /// The value-set identifier (`country-2-codes`).
    pub id: &'static str,
    entries: &'static [ValueSetEntry],
}

impl ValueSet {
    /// Every entry, sorted by code.
    pub fn entries(&self) -> &'static [ValueSetEntry] {
        self.entries
    }

    /// The entry of `code`.
    pub fn get(&self, code: &str) -> Option<&'static ValueSetEntry> {
        self.entries.binary_search_by(|entry| entry.code.cmp(code)).ok().and_then(|index| self.entries.get(index))
    }

    /// Whether `code` is in the set.
    pub fn contains(&self, code: &str) -> bool {
        self.get(code).is_some()
    }
}

/// `country-2-codes`: ISO 3166-1 alpha-2 countries.
pub const COUNTRIES: ValueSet = ValueSet { id: "country-2-codes", entries: tables::COUNTRIES };
/// `disease-agent-targeted`: COVID-19.
pub const DISEASES: ValueSet = ValueSet { id: "disease-agent-targeted", entries: tables::DISEASES };
/// Rapid antigen test devices (`covid-19-lab-test-manufacturer-and-name`).
pub const TEST_DEVICES: ValueSet =
    ValueSet { id: "covid-19-lab-test-manufacturer-and-name", entries: tables::TEST_DEVICES };
/// `covid-19-lab-result`: detected, not detected.
pub const TEST_RESULTS: ValueSet = ValueSet { id: "covid-19-lab-result", entries: tables::TEST_RESULTS };
/// `covid-19-lab-test-type`: NAAT, rapid antigen.
pub const TEST_TYPES: ValueSet = ValueSet { id: "covid-19-lab-test-type", entries: tables::TEST_TYPES };
/// `vaccines-covid-19-auth-holders`: marketing authorisation holders.
pub const VACCINE_HOLDERS: ValueSet =
    ValueSet { id: "vaccines-covid-19-auth-holders", entries: tables::VACCINE_HOLDERS };
/// `vaccines-covid-19-names`: medicinal products.
pub const VACCINE_PRODUCTS: ValueSet = ValueSet { id: "vaccines-covid-19-names", entries: tables::VACCINE_PRODUCTS };
/// `sct-vaccines-covid-19`: vaccine types.
pub const VACCINE_TYPES: ValueSet = ValueSet { id: "sct-vaccines-covid-19", entries: tables::VACCINE_TYPES };

/// Every bundled value set.
pub const ALL: [ValueSet; 8] =
    [COUNTRIES, DISEASES, TEST_DEVICES, TEST_RESULTS, TEST_TYPES, VACCINE_HOLDERS, VACCINE_PRODUCTS, VACCINE_TYPES];

/// The bundled value sets in the form business rules read them (`external.valueSets`): an
/// object from value-set id to the array of its codes.
pub fn rule_value_sets() -> serde_json::Value {
    let mut object = serde_json::Map::new();
    for set in ALL {
        let codes = set.entries().iter().map(|entry| serde_json::Value::String(entry.code.to_owned())).collect();
        object.insert(set.id.to_owned(), serde_json::Value::Array(codes));
    }
    serde_json::Value::Object(object)
}

/// Reads upstream value-set files (`{valueSetId, valueSetValues: {code: {...}}}`) into the
/// form business rules read.
pub fn rule_value_sets_from_files(files: &[serde_json::Value]) -> serde_json::Value {
    let mut object = serde_json::Map::new();
    for file in files {
        if let (Some(id), Some(values)) =
            (file.get("valueSetId").and_then(|id| id.as_str()), file.get("valueSetValues").and_then(|v| v.as_object()))
        {
            let mut codes: Vec<&String> = values.keys().collect();
            codes.sort();
            object.insert(
                id.to_owned(),
                serde_json::Value::Array(
                    codes.into_iter().map(|code| serde_json::Value::String(code.clone())).collect(),
                ),
            );
        }
    }
    serde_json::Value::Object(object)
}

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
