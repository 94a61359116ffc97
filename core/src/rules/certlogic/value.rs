//! Values during CertLogic evaluation: JSON values, plus date-times, which only `plusTime` and
//! `dccDateOfBirth` create. Data is borrowed, never copied: a rule over a value set of
//! hundreds of codes reads the bundle's arrays in place.

use std::borrow::Cow;

use serde_json::Value as Json;

use super::date_time::DateTime;

/// A value during evaluation.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer.
    Integer(i64),
    /// A non-integer number from the data: neither truthy nor falsy, and not comparable.
    Decimal(f64),
    /// A string.
    Text(Cow<'a, str>),
    /// A date-time made by `plusTime` or `dccDateOfBirth`.
    DateTime(DateTime),
    /// An array or object in the data context.
    Json(&'a Json),
    /// An array built during evaluation.
    Array(Vec<Value<'a>>),
    /// An object built for evaluation (the data context of `reduce`, or of a verification).
    Object(Vec<(Cow<'a, str>, Value<'a>)>),
}

impl<'a> Value<'a> {
    /// A value viewing `json` (arrays and objects are borrowed).
    pub fn from_json(json: &'a Json) -> Self {
        match json {
            Json::Null => Self::Null,
            Json::Bool(flag) => Self::Bool(*flag),
            Json::Number(number) => match number.as_i64() {
                Some(integer) => Self::Integer(integer),
                None => match number.as_f64() {
                    Some(float) if float.fract() == 0.0 && float.abs() < 9.0e15 => Self::Integer(float as i64),
                    Some(float) => Self::Decimal(float),
                    None => Self::Null,
                },
            },
            Json::String(text) => Self::Text(Cow::Borrowed(text)),
            Json::Array(_) | Json::Object(_) => Self::Json(json),
        }
    }

    /// CertLogic truthiness: `Some(true)` truthy, `Some(false)` falsy, `None` neither.
    pub fn truthiness(&self) -> Option<bool> {
        match self {
            Self::Null => Some(false),
            Self::Bool(flag) => Some(*flag),
            Self::Integer(integer) => Some(*integer != 0),
            Self::Text(text) => Some(!text.is_empty()),
            Self::Json(Json::Array(items)) => Some(!items.is_empty()),
            Self::Json(Json::Object(entries)) => Some(!entries.is_empty()),
            Self::Json(_) => None,
            Self::Array(items) => Some(!items.is_empty()),
            Self::Object(entries) => Some(!entries.is_empty()),
            Self::Decimal(_) | Self::DateTime(_) => None,
        }
    }

    /// JavaScript `===` on the values CertLogic allows: primitives by value; arrays, objects
    /// and date-times are never identical to another evaluation's result.
    pub fn strictly_equals(&self, other: &Value<'_>) -> bool {
        match (self, other) {
            (Self::Text(a), Value::Text(b)) => a.as_ref() == b.as_ref(),
            (Self::Null, Value::Null) => true,
            (Self::Bool(a), Value::Bool(b)) => a == b,
            (Self::Integer(a), Value::Integer(b)) => a == b,
            (Self::Decimal(a), Value::Decimal(b)) => a == b,
            _ => false,
        }
    }

    /// The items of an array value, as values.
    pub fn array_items(&self) -> Option<Vec<Value<'a>>> {
        match self {
            Self::Json(Json::Array(items)) => Some(items.iter().map(Value::from_json).collect()),
            Self::Array(items) => Some(items.clone()),
            _ => None,
        }
    }

    /// One step of a `var` path: a key of an object, or an index of an array.
    pub fn child(&self, fragment: &str) -> Value<'a> {
        match self {
            Self::Json(Json::Object(entries)) => entries.get(fragment).map_or(Self::Null, Value::from_json),
            Self::Json(Json::Array(items)) => {
                fragment.parse::<usize>().ok().and_then(|index| items.get(index)).map_or(Self::Null, Value::from_json)
            }
            Self::Object(entries) => {
                entries.iter().find(|(key, _)| key == fragment).map_or(Self::Null, |(_, value)| value.clone())
            }
            Self::Array(items) => {
                fragment.parse::<usize>().ok().and_then(|index| items.get(index)).cloned().unwrap_or(Self::Null)
            }
            _ => Self::Null,
        }
    }

    /// The value as JSON (date-times as JavaScript ISO strings).
    pub fn to_json(&self) -> Json {
        match self {
            Self::Null => Json::Null,
            Self::Bool(flag) => Json::Bool(*flag),
            Self::Integer(integer) => Json::from(*integer),
            Self::Decimal(float) => serde_json::Number::from_f64(*float).map_or(Json::Null, Json::Number),
            Self::Text(text) => Json::String(text.to_string()),
            Self::DateTime(date_time) => Json::String(date_time.to_iso_string()),
            Self::Json(json) => (*json).clone(),
            Self::Array(items) => Json::Array(items.iter().map(Value::to_json).collect()),
            Self::Object(entries) => {
                Json::Object(entries.iter().map(|(key, value)| (key.to_string(), value.to_json())).collect())
            }
        }
    }

    /// Elements the value owns: 1 for a scalar or a borrowed piece of data, plus the elements
    /// of every item of an array or object built during evaluation (what a copy costs).
    pub fn elements(&self) -> usize {
        match self {
            Self::Array(items) => items.iter().fold(1usize, |total, item| total.saturating_add(item.elements())),
            Self::Object(entries) => {
                entries.iter().fold(1usize, |total, (_, value)| total.saturating_add(value.elements()))
            }
            _ => 1,
        }
    }

    /// A short description of the value's type, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Bool(_) => "a boolean",
            Self::Integer(_) => "an integer",
            Self::Decimal(_) => "a non-integer number",
            Self::Text(_) => "a string",
            Self::DateTime(_) => "a date-time",
            Self::Json(Json::Array(_)) | Self::Array(_) => "an array",
            Self::Json(_) | Self::Object(_) => "an object",
        }
    }
}
