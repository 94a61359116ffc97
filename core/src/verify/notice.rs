//! Notices: what is odd about a pass without changing the decision. A pass that is valid with a
//! notice is still green; the notice tells the controller (and the issuer's helpdesk) that a
//! field was written oddly and is shown as written.

use std::fmt;

use crate::dcc::DeviationKind;

/// The kinds of notice, each with a stable machine code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoticeKind {
    /// A field no schema release defines.
    UnknownField,
    /// An optional field or an entry list written as null: read as absent.
    NullField,
    /// A date-time where the schema wants a date: its date is read.
    DateTimeForDate,
    /// A date that is not a calendar date (`1989-00-20`, `2022-17-01`): shown as written;
    /// business rules that read it cannot decide on it.
    DateAsWritten,
    /// A field that is only shown is missing.
    MissingField,
    /// A field that is only shown has the wrong type or is out of range: not shown.
    UnreadableField,
    /// Leading or trailing whitespace: shown as written.
    Whitespace,
    /// A code that is in no value set in force.
    UnknownCode,
    /// A code written in another case than its value set (`fr` for `FR`).
    CodeCase,
    /// A field that is only shown breaks the schema of the declared release in another way
    /// (too long, a pattern, a wrong type the reader could still read).
    SchemaDeviation,
}

impl NoticeKind {
    /// Every kind.
    pub const ALL: [NoticeKind; 10] = [
        Self::UnknownField,
        Self::NullField,
        Self::DateTimeForDate,
        Self::DateAsWritten,
        Self::MissingField,
        Self::UnreadableField,
        Self::Whitespace,
        Self::UnknownCode,
        Self::CodeCase,
        Self::SchemaDeviation,
    ];

    /// A stable machine-readable code.
    pub fn code(self) -> &'static str {
        match self {
            Self::UnknownField => "unknown_field",
            Self::NullField => "null_field",
            Self::DateTimeForDate => "date_time_for_date",
            Self::DateAsWritten => "date_as_written",
            Self::MissingField => "missing_field",
            Self::UnreadableField => "unreadable_field",
            Self::Whitespace => "whitespace",
            Self::UnknownCode => "unknown_code",
            Self::CodeCase => "code_case",
            Self::SchemaDeviation => "schema_deviation",
        }
    }
}

impl From<DeviationKind> for NoticeKind {
    fn from(kind: DeviationKind) -> Self {
        match kind {
            DeviationKind::UnknownField => Self::UnknownField,
            DeviationKind::NullField => Self::NullField,
            DeviationKind::DateTimeForDate => Self::DateTimeForDate,
            DeviationKind::DateAsWritten => Self::DateAsWritten,
            DeviationKind::MissingField => Self::MissingField,
            DeviationKind::UnreadableField => Self::UnreadableField,
            DeviationKind::Whitespace => Self::Whitespace,
        }
    }
}

/// One notice: its kind, the field (a JSON-pointer path) and, for schema deviations, the rule
/// broken. Never the field's content: it may be personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// What kind.
    pub kind: NoticeKind,
    /// Which field, as a JSON pointer.
    pub field: String,
    /// What the schema says of it (schema deviations) or which value set (codes).
    pub detail: Option<String>,
}

impl Notice {
    /// The kind's machine code.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let field = &self.field;
        match self.kind {
            NoticeKind::UnknownField => write!(f, "{field} is not a field of any DCC schema release; ignored"),
            NoticeKind::NullField => write!(f, "{field} is written as null; read as absent"),
            NoticeKind::DateTimeForDate => {
                write!(f, "{field} holds a date-time where a date belongs; its date is read")
            }
            NoticeKind::DateAsWritten => {
                write!(f, "{field} is not a calendar date; it is shown as written and rules that read it cannot use it")
            }
            NoticeKind::MissingField => write!(f, "{field} is missing; shown empty"),
            NoticeKind::UnreadableField => write!(f, "{field} has the wrong type or is out of range; not shown"),
            NoticeKind::Whitespace => write!(f, "{field} has leading or trailing spaces; shown as written"),
            NoticeKind::UnknownCode => match &self.detail {
                Some(set) => write!(f, "{field} holds a code that is not in the value set {set}"),
                None => write!(f, "{field} holds a code that is in no value set in force"),
            },
            NoticeKind::CodeCase => write!(f, "{field} holds a code in the wrong case; shown as written"),
            NoticeKind::SchemaDeviation => match &self.detail {
                Some(detail) => write!(f, "{field} {detail} (the schema of its release); shown as written"),
                None => write!(f, "{field} breaks the schema of its release; shown as written"),
            },
        }
    }
}
