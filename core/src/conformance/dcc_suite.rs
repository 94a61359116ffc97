//! Runs every vector of a folder in the dgc-testdata layout and tallies the outcomes.

use std::path::{Path, PathBuf};

use super::dcc_checks::{CheckRun, PictureDecoder, run_check};
use super::dcc_vector::DccVector;
use super::known_issues::{KnownIssue, ProjectKnownIssues, UpstreamKnownIssues};
use super::report::{CheckResult, Judgement, SuiteError, SuiteReport, VectorResult};

/// Options of a run.
pub struct SuiteOptions<'a> {
    /// Decodes the `2DCODE` PNG; without one, PICTUREDECODE is skipped.
    pub picture_decoder: Option<PictureDecoder<'a>>,
}

impl Default for SuiteOptions<'_> {
    /// With the `images` feature, pictures are read by the default scanner.
    fn default() -> Self {
        #[cfg(feature = "images")]
        let picture_decoder: Option<PictureDecoder<'_>> = Some(&scan_picture);
        #[cfg(not(feature = "images"))]
        let picture_decoder: Option<PictureDecoder<'_>> = None;
        Self { picture_decoder }
    }
}

/// Reads every code in a PNG or JPEG with the default scanner.
#[cfg(feature = "images")]
pub fn scan_picture(image: &[u8]) -> Result<Vec<String>, String> {
    let frame = crate::scan::image_input::decode_image(image).map_err(|error| error.to_string())?;
    Ok(crate::scan::Scanner::default().scan(&frame.view()).into_iter().map(|code| code.text).collect())
}

/// Runs every vector below `root`.
pub fn run_dcc_suite(root: &Path, options: &SuiteOptions<'_>) -> Result<SuiteReport, SuiteError> {
    let mut files = Vec::new();
    collect_vectors(root, &mut files)?;
    files.sort();
    if files.is_empty() {
        return Err(SuiteError::Empty { path: root.display().to_string(), expected: "vectors (*/2DCode/raw/*.json)" });
    }
    let upstream = std::fs::read_to_string(root.join("tests/known_issues.csv"))
        .map(|csv| UpstreamKnownIssues::parse(&csv))
        .unwrap_or_default();
    let project = ProjectKnownIssues::default();
    let mut report = SuiteReport::default();
    for file in files {
        let relative = file.strip_prefix(root).unwrap_or(&file).to_string_lossy().replace('\\', "/");
        report.add(run_vector(&file, &relative, &upstream, &project, options));
    }
    Ok(report)
}

impl SuiteReport {
    /// Adds one vector's results to the counts.
    pub fn add(&mut self, result: VectorResult) {
        for check in &result.checks {
            match check.outcome {
                Judgement::Passed => self.passed += 1,
                Judgement::Failed { .. } => self.failed += 1,
                Judgement::Skipped { .. } => self.skipped += 1,
                Judgement::Known { .. } => self.known += 1,
            }
        }
        if result.error.is_some() {
            self.failed += 1;
        }
        self.vectors.push(result);
    }

    /// Every failure, a line each: a vector that could not be run, or a check whose result
    /// disagrees with its expectation (known upstream errors are not failures).
    pub fn failures(&self) -> Vec<String> {
        let mut failures = Vec::new();
        for vector in &self.vectors {
            if let Some(error) = &vector.error {
                failures.push(format!("{}: {error}", vector.file));
            }
            for check in &vector.checks {
                if let Judgement::Failed { detail } = &check.outcome {
                    failures.push(format!("{} {}: {detail}", vector.file, check.check));
                }
            }
        }
        failures
    }
}

fn run_vector(
    file: &Path,
    relative: &str,
    upstream: &UpstreamKnownIssues,
    project: &ProjectKnownIssues,
    options: &SuiteOptions<'_>,
) -> VectorResult {
    let country = country_of(relative);
    let test_set = file.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_default();
    let mut result =
        VectorResult { file: relative.to_owned(), country, description: None, error: None, checks: Vec::new() };
    let vector = match std::fs::read(file)
        .map_err(|error| error.to_string())
        .and_then(|bytes| DccVector::parse(&bytes).map_err(|error| error.to_string()))
    {
        Ok(vector) => vector,
        Err(error) => {
            result.error = Some(error);
            return result;
        }
    };
    result.description = vector.description.clone();
    for (check, expected) in &vector.expected {
        let known = upstream.find(check, &result.country, &test_set).or_else(|| project.find(check, relative));
        let run = run_check(check, &vector, options.picture_decoder);
        let outcome = judge(run, *expected, known);
        result.checks.push(CheckResult { check: check.name().to_owned(), expected: *expected, outcome });
    }
    result
}

fn judge(run: CheckRun, expected: bool, known: Option<KnownIssue>) -> Judgement {
    let actual = match &run {
        CheckRun::Succeeded => Some(true),
        CheckRun::Failed(_) => Some(false),
        CheckRun::NotApplicable(_) => None,
    };
    if let Some(known) = known {
        return Judgement::Known {
            source: known.source.name(),
            reason: known.reason,
            agrees: actual.map(|actual| actual == expected),
        };
    }
    match run {
        CheckRun::NotApplicable(reason) => Judgement::Skipped { reason },
        CheckRun::Succeeded if expected => Judgement::Passed,
        CheckRun::Failed(_) if !expected => Judgement::Passed,
        CheckRun::Succeeded => {
            Judgement::Failed { detail: "the check succeeded, but the vector expects it to fail".into() }
        }
        CheckRun::Failed(reason) => Judgement::Failed { detail: reason },
    }
}

/// The country a vector belongs to: the two-letter folder (or `common`) nearest above its
/// `2DCode` folder, e.g. `PL` for `PL/1.3.0/2DCode/raw/1.json`.
fn country_of(relative: &str) -> String {
    let parts: Vec<&str> = relative.split('/').collect();
    let above =
        parts.iter().position(|part| *part == "2DCode").and_then(|index| parts.get(..index)).unwrap_or_default();
    above
        .iter()
        .rev()
        .find(|part| (part.len() == 2 && part.bytes().all(|b| b.is_ascii_uppercase())) || **part == "common")
        .or(above.first())
        .map_or_else(|| "-".to_owned(), |part| (*part).to_owned())
}

fn collect_vectors(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), SuiteError> {
    super::files::collect_json(dir, files, &is_vector)
}

fn is_vector(path: &Path) -> bool {
    let parent = path.parent();
    path.extension().is_some_and(|ext| ext == "json")
        && parent.and_then(Path::file_name).is_some_and(|name| name == "raw")
        && parent.and_then(Path::parent).and_then(Path::file_name).is_some_and(|name| name == "2DCode")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_come_from_the_folder_above_2dcode() {
        assert_eq!(country_of("PL/1.3.0/2DCode/raw/1.json"), "PL");
        assert_eq!(country_of("common/2DCode/raw/CO1.json"), "common");
        assert_eq!(country_of("AT/2DCode/raw/1.json"), "AT");
        assert_eq!(country_of("x/2DCode/raw/1.json"), "x");
    }

    #[test]
    fn known_issues_are_never_passes() {
        let known = KnownIssue { source: super::super::known_issues::KnownIssueSource::Upstream, reason: "r".into() };
        assert!(matches!(judge(CheckRun::Succeeded, true, Some(known)), Judgement::Known { agrees: Some(true), .. }));
        assert_eq!(judge(CheckRun::Failed("x".into()), false, None), Judgement::Passed);
        assert!(matches!(judge(CheckRun::Succeeded, false, None), Judgement::Failed { .. }));
    }
}
