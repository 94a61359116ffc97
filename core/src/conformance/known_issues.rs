//! Vectors known to be wrong: upstream's own list (`tests/known_issues.csv` in the suite) and
//! the project's list of further vectors found wrong, each with its evidence
//! (`known_wrong_vectors.csv` beside this file).

use super::dcc_vector::Check;

/// Where a known issue is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KnownIssueSource {
    /// Listed in dgc-testdata's `tests/known_issues.csv`.
    Upstream,
    /// Listed in the project's `known_wrong_vectors.csv`, with its evidence.
    Project,
}

impl KnownIssueSource {
    /// `upstream` or `project`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Upstream => "upstream",
            Self::Project => "project",
        }
    }
}

/// Why a vector's expectation is known to be wrong, and who says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownIssue {
    /// Which list names it.
    pub source: KnownIssueSource,
    /// The list's explanation.
    pub reason: String,
}

/// `test_name,country,test_set,reason` rows of upstream's list.
#[derive(Debug, Clone, Default)]
pub struct UpstreamKnownIssues {
    rows: Vec<(String, String, String, String)>,
}

impl UpstreamKnownIssues {
    /// Reads upstream's `known_issues.csv`.
    pub fn parse(csv: &str) -> Self {
        let rows = csv
            .lines()
            .skip(1)
            .filter_map(|line| {
                let mut fields = line.splitn(4, ',').map(|field| field.trim().to_owned());
                Some((fields.next()?, fields.next()?, fields.next()?, fields.next().unwrap_or_default()))
            })
            .collect();
        Self { rows }
    }

    /// Upstream's precedence (tests/test_ehealth_certs.py `known_issue`): test, country and set;
    /// then test and country; then country and set; then country alone.
    pub fn find(&self, check: &Check, country: &str, test_set: &str) -> Option<KnownIssue> {
        let names = check.upstream_test_names();
        let lookup = |by_test: bool, set: &str| {
            self.rows.iter().find(|(row_test, row_country, row_set, _)| {
                let test_matches = if by_test { names.contains(&row_test.as_str()) } else { row_test.is_empty() };
                row_country == country && row_set == set && test_matches
            })
        };
        let row = lookup(true, test_set)
            .or_else(|| lookup(true, ""))
            .or_else(|| lookup(false, test_set))
            .or_else(|| lookup(false, ""))?;
        Some(KnownIssue { source: KnownIssueSource::Upstream, reason: row.3.clone() })
    }
}

/// The project's own list: `check,vector,reason` where `vector` is a path suffix.
#[derive(Debug, Clone)]
pub struct ProjectKnownIssues {
    rows: Vec<(String, String, String)>,
}

const PROJECT_LIST: &str = include_str!("known_wrong_vectors.csv");

impl Default for ProjectKnownIssues {
    fn default() -> Self {
        Self::parse(PROJECT_LIST)
    }
}

impl ProjectKnownIssues {
    /// Reads the project's list (`check,vector,reason`).
    pub fn parse(csv: &str) -> Self {
        let rows = csv
            .lines()
            .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
            .skip(1)
            .filter_map(|line| {
                let mut fields = line.splitn(3, ',').map(|field| field.trim().to_owned());
                Some((fields.next()?, fields.next()?, fields.next().unwrap_or_default()))
            })
            .collect();
        Self { rows }
    }

    /// The entry for `check` of the vector at `relative_path`, if listed.
    pub fn find(&self, check: &Check, relative_path: &str) -> Option<KnownIssue> {
        self.rows
            .iter()
            .find(|(row_check, row_vector, _)| row_check == check.name() && path_ends_with(relative_path, row_vector))
            .map(|(_, _, reason)| KnownIssue {
                source: KnownIssueSource::Project,
                reason: reason.trim_matches('"').to_owned(),
            })
    }

    /// Entries in the list.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

fn path_ends_with(path: &str, suffix: &str) -> bool {
    path == suffix || path.ends_with(&format!("/{suffix}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_precedence_and_wildcards() {
        let list = UpstreamKnownIssues::parse(
            "test_name,country,test_set,reason\n\
             test_verification_check,ES,401,issue/228\n\
             test_expiration_check,FI,,issue/407\n\
             ,XX,,whole country\n",
        );
        assert_eq!(list.find(&Check::Verify, "ES", "401").map(|k| k.reason), Some("issue/228".into()));
        assert_eq!(list.find(&Check::Verify, "ES", "402"), None);
        assert_eq!(list.find(&Check::ExpirationCheck, "FI", "7").map(|k| k.reason), Some("issue/407".into()));
        assert_eq!(list.find(&Check::KeyUsage, "XX", "1").map(|k| k.reason), Some("whole country".into()));
    }

    #[test]
    fn project_list_matches_path_suffixes() {
        let list =
            ProjectKnownIssues::parse("check,vector,reason\nSCHEMAVALIDATION,PL/1.0.0/2DCode/raw/7.json,\"why\"\n");
        assert!(list.find(&Check::SchemaValidation, "dgc-testdata/PL/1.0.0/2DCode/raw/7.json").is_some());
        assert!(list.find(&Check::SchemaValidation, "XPL/1.0.0/2DCode/raw/7.json").is_none());
        assert!(list.find(&Check::Verify, "PL/1.0.0/2DCode/raw/7.json").is_none());
    }
}
