//! A JSON Schema (draft 2020-12) validator for the keywords the DCC schemas use, applied to
//! CBOR values directly (no JSON round trip on the verification path).
//!
//! Compiling refuses any assertion keyword it does not implement, so a future schema cannot
//! be silently under-checked. `format` is an annotation in draft 2020-12 (§7.2.1) and is not
//! asserted: dgc-testdata PL/*/11–13 write `dt` as a date-time and expect the schema check to
//! pass. `valueset-uri` is the DCC schema's own annotation; value-set membership is a
//! business-rule matter, not a schema one.

use std::borrow::Cow;
use std::collections::HashMap;

use ciborium::Value;
use regex_lite::Regex;

use crate::time::UnixTime;

/// A compiled schema: nodes with `$ref`s resolved to indices.
#[derive(Debug)]
pub struct CompiledSchema {
    nodes: Vec<Node>,
}

#[derive(Debug, Default)]
struct Node {
    types: Option<Vec<JsonType>>,
    required: Vec<String>,
    properties: Vec<(String, usize)>,
    additional_properties: Option<usize>,
    items: Option<usize>,
    min_items: Option<usize>,
    max_items: Option<usize>,
    min_length: Option<usize>,
    max_length: Option<usize>,
    pattern: Option<(String, Regex)>,
    minimum: Option<f64>,
    maximum: Option<f64>,
    exclusive_minimum: Option<f64>,
    exclusive_maximum: Option<f64>,
    enumeration: Option<Vec<serde_json::Value>>,
    one_of: Vec<usize>,
    any_of: Vec<usize>,
    all_of: Vec<usize>,
    not: Option<usize>,
    reference: Option<usize>,
    /// `true` / `false` schemas.
    always: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JsonType {
    Null,
    Boolean,
    Object,
    Array,
    Number,
    Integer,
    String,
}

impl JsonType {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "null" => Self::Null,
            "boolean" => Self::Boolean,
            "object" => Self::Object,
            "array" => Self::Array,
            "number" => Self::Number,
            "integer" => Self::Integer,
            "string" => Self::String,
            _ => return None,
        })
    }
    fn name(self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Boolean => "boolean",
            Self::Object => "object",
            Self::Array => "array",
            Self::Number => "number",
            Self::Integer => "integer",
            Self::String => "string",
        }
    }
}

/// Keywords that only annotate in draft 2020-12, or that this project's schemas use as notes.
const ANNOTATIONS: &[&str] = &[
    "$schema",
    "$id",
    "$comment",
    "$defs",
    "definitions",
    "title",
    "description",
    "examples",
    "default",
    "deprecated",
    "readOnly",
    "writeOnly",
    "format",
    "valueset-uri",
    "$anchor",
    "contentEncoding",
    "contentMediaType",
];

#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaCompileError {
    #[error("schema keyword {keyword:?} at {path} is not supported by this validator")]
    UnsupportedKeyword { keyword: String, path: String },
    #[error("schema value at {path} is malformed: {detail}")]
    Malformed { path: String, detail: String },
    #[error("schema reference {reference:?} cannot be resolved")]
    UnresolvedReference { reference: String },
}

/// One way a value breaks the schema. `path` is a JSON pointer into the DCC; `detail` never
/// contains field content (it may be personal data), only what the schema expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaViolation {
    /// Where, as a JSON pointer into the DCC (a missing property: its own path).
    pub path: String,
    /// The schema keyword broken (`required`, `pattern`, ...).
    pub keyword: &'static str,
    /// What the keyword asks (never the value: it may be personal data).
    pub detail: String,
}

impl std::fmt::Display for SchemaViolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = if self.path.is_empty() { "/" } else { &self.path };
        write!(f, "{path}: {}", self.detail)
    }
}

/// How many violations one validation reports at most.
const MAX_VIOLATIONS: usize = 32;

impl CompiledSchema {
    /// Compiles a schema document.
    pub fn compile(document: &serde_json::Value) -> Result<Self, SchemaCompileError> {
        let mut compiler = Compiler { document, nodes: Vec::new(), by_pointer: HashMap::new() };
        compiler.node(document, "#")?;
        Ok(Self { nodes: compiler.nodes })
    }

    /// Every violation of the schema by `value` (at most 32), empty when it conforms.
    pub fn validate(&self, value: &Value) -> Vec<SchemaViolation> {
        let mut context = Context { violations: Vec::new(), path: Vec::new(), probing: false };
        self.check(0, value, &mut context);
        context.violations
    }

    /// Whether `value` conforms (stops at the first violation).
    pub fn is_valid(&self, value: &Value) -> bool {
        let mut context = Context { violations: Vec::new(), path: Vec::new(), probing: true };
        self.check(0, value, &mut context)
    }

    fn check<'v>(&self, index: usize, value: &'v Value, context: &mut Context<'v>) -> bool {
        let Some(node) = self.nodes.get(index) else { return true };
        if let Some(always) = node.always {
            if !always {
                context.report("false", "no value is allowed here".into());
            }
            return always;
        }
        let view = JsonView::of(value);
        let mut valid = true;
        if let Some(reference) = node.reference {
            valid &= self.check(reference, value, context);
            if context.stop() {
                return false;
            }
        }
        if let Some(types) = &node.types
            && !types.iter().any(|expected| view.is(*expected))
        {
            let expected: Vec<&str> = types.iter().map(|t| t.name()).collect();
            context.report("type", format!("expected {}, found {}", expected.join(" or "), view.type_name()));
            // Further keywords would only repeat the type mismatch.
            return false;
        }
        if let Some(enumeration) = &node.enumeration
            && !enumeration.iter().any(|allowed| view.equals_json(allowed))
        {
            context.report("enum", "is not one of the allowed values".into());
            valid = false;
        }
        match &view {
            JsonView::String(text) => valid &= self.check_string(node, text, context),
            JsonView::Array(items) => valid &= self.check_array(node, items, context),
            JsonView::Object(entries) => valid &= self.check_object(node, entries, context),
            _ => {}
        }
        if let Some(number) = view.number() {
            valid &= check_number(node, number, context);
        }
        for &sub in &node.all_of {
            valid &= self.check(sub, value, context);
        }
        if !node.any_of.is_empty() && !node.any_of.iter().any(|&sub| self.probe(sub, value)) {
            context.report("anyOf", self.describe_alternatives("none of", &node.any_of));
            valid = false;
        }
        if !node.one_of.is_empty() {
            let matching = node.one_of.iter().filter(|&&sub| self.probe(sub, value)).count();
            if matching != 1 {
                let detail = if matching == 0 {
                    self.describe_alternatives("none of", &node.one_of)
                } else {
                    format!("matches {matching} of the oneOf alternatives; exactly one is required")
                };
                context.report("oneOf", detail);
                valid = false;
            }
        }
        if let Some(not) = node.not
            && self.probe(not, value)
        {
            context.report("not", "matches a schema it must not match".into());
            valid = false;
        }
        valid
    }

    /// For alternatives that differ only in required properties (the DCC's v/t/r `oneOf`,
    /// `nam`'s fnt/gnt `anyOf`), naming the properties says more than "no match".
    fn describe_alternatives(&self, lead: &str, alternatives: &[usize]) -> String {
        let required: Vec<String> = alternatives
            .iter()
            .filter_map(|&index| self.nodes.get(index))
            .map(|node| node.required.join("+"))
            .collect();
        if required.iter().all(|names| !names.is_empty()) {
            format!("{lead} the required property sets [{}] is present", required.join(" | "))
        } else {
            format!("matches {lead} the alternatives")
        }
    }

    fn probe(&self, index: usize, value: &Value) -> bool {
        let mut context = Context { violations: Vec::new(), path: Vec::new(), probing: true };
        self.check(index, value, &mut context)
    }

    fn check_string(&self, node: &Node, text: &str, context: &mut Context<'_>) -> bool {
        let mut valid = true;
        if node.min_length.is_some() || node.max_length.is_some() {
            // JSON Schema counts Unicode code points.
            let length = text.chars().count();
            if let Some(max) = node.max_length.filter(|max| length > *max) {
                context.report("maxLength", format!("is longer than {max} characters"));
                valid = false;
            }
            if let Some(min) = node.min_length.filter(|min| length < *min) {
                context.report("minLength", format!("is shorter than {min} characters"));
                valid = false;
            }
        }
        if let Some((source, regex)) = &node.pattern
            && !regex.is_match(text)
        {
            context.report("pattern", format!("does not match the pattern {source}"));
            valid = false;
        }
        valid
    }

    fn check_array<'v>(&self, node: &Node, items: &'v [Value], context: &mut Context<'v>) -> bool {
        let mut valid = true;
        if let Some(min) = node.min_items.filter(|min| items.len() < *min) {
            context.report("minItems", format!("has {} items; at least {min} required", items.len()));
            valid = false;
        }
        if let Some(max) = node.max_items.filter(|max| items.len() > *max) {
            context.report("maxItems", format!("has {} items; at most {max} allowed", items.len()));
            valid = false;
        }
        if let Some(item_schema) = node.items {
            for (index, item) in items.iter().enumerate() {
                context.path.push(Segment::Index(index));
                valid &= self.check(item_schema, item, context);
                context.path.pop();
                if context.stop() {
                    return false;
                }
            }
        }
        valid
    }

    fn check_object<'v>(&self, node: &Node, entries: &'v [(Value, Value)], context: &mut Context<'v>) -> bool {
        let mut valid = true;
        for name in &node.required {
            if !entries.iter().any(|(key, _)| key_is(key, name)) {
                // Reported at the missing property's own path, so a reader can tell which field
                // it concerns (the verifier's tolerance policy classifies by field).
                context.path.push(Segment::Property(name.clone()));
                context.report("required", "is required and missing".into());
                context.path.pop();
                valid = false;
                if context.stop() {
                    return false;
                }
            }
        }
        for (key, value) in entries {
            let Value::Text(key) = key else {
                context.report("type", "has a key that is not a string".into());
                valid = false;
                continue;
            };
            let declared = node.properties.iter().find(|(name, _)| name == key).map(|(_, index)| *index);
            let Some(sub) = declared.or(node.additional_properties) else { continue };
            context.path.push(Segment::Key(key));
            valid &= self.check(sub, value, context);
            context.path.pop();
            if context.stop() {
                return false;
            }
        }
        valid
    }
}

fn check_number(node: &Node, number: f64, context: &mut Context<'_>) -> bool {
    let mut valid = true;
    let mut fail = |keyword: &'static str, detail: String| {
        context.report(keyword, detail);
        valid = false;
    };
    if let Some(minimum) = node.minimum.filter(|minimum| number < *minimum) {
        fail("minimum", format!("is below the minimum {minimum}"));
    }
    if let Some(maximum) = node.maximum.filter(|maximum| number > *maximum) {
        fail("maximum", format!("is above the maximum {maximum}"));
    }
    if let Some(bound) = node.exclusive_minimum.filter(|bound| number <= *bound) {
        fail("exclusiveMinimum", format!("must be above {bound}"));
    }
    if let Some(bound) = node.exclusive_maximum.filter(|bound| number >= *bound) {
        fail("exclusiveMaximum", format!("must be below {bound}"));
    }
    valid
}

fn key_is(key: &Value, name: &str) -> bool {
    matches!(key, Value::Text(text) if text == name)
}

enum Segment<'v> {
    Key(&'v str),
    /// A property the schema names (a missing required one).
    Property(String),
    Index(usize),
}

struct Context<'v> {
    violations: Vec<SchemaViolation>,
    path: Vec<Segment<'v>>,
    /// A probe (inside oneOf/anyOf/not) only needs a yes or no.
    probing: bool,
}

impl Context<'_> {
    fn report(&mut self, keyword: &'static str, detail: String) {
        if self.probing || self.violations.len() >= MAX_VIOLATIONS {
            return;
        }
        let mut path = String::new();
        for segment in &self.path {
            path.push('/');
            match segment {
                Segment::Key(key) => path.push_str(&key.replace('~', "~0").replace('/', "~1")),
                Segment::Property(name) => path.push_str(&name.replace('~', "~0").replace('/', "~1")),
                Segment::Index(index) => path.push_str(&index.to_string()),
            }
        }
        self.violations.push(SchemaViolation { path, keyword, detail });
    }

    /// A probe stops at the first failure; a full validation at the report cap.
    fn stop(&self) -> bool {
        !self.probing && self.violations.len() >= MAX_VIOLATIONS
    }
}

/// A CBOR value seen through the JSON data model the schema speaks.
enum JsonView<'v> {
    Null,
    Boolean(bool),
    Number(f64),
    /// A number that is an integer (JSON Schema: 1.0 is an integer too).
    Integer(i128),
    String(Cow<'v, str>),
    Array(&'v [Value]),
    Object(&'v [(Value, Value)]),
    /// Byte strings and other CBOR-only values have no JSON type.
    Other,
}

impl<'v> JsonView<'v> {
    fn of(value: &'v Value) -> Self {
        match value {
            Value::Null => Self::Null,
            Value::Bool(flag) => Self::Boolean(*flag),
            Value::Integer(integer) => Self::Integer(i128::from(*integer)),
            Value::Float(float) if float.is_finite() && float.fract() == 0.0 && float.abs() < 9.0e15 => {
                Self::Integer(*float as i128)
            }
            Value::Float(float) => Self::Number(*float),
            Value::Text(text) => Self::String(Cow::Borrowed(text)),
            Value::Array(items) => Self::Array(items),
            Value::Map(entries) => Self::Object(entries),
            // Tag 0 (date-time text) and 1004 (date text) carry a string.
            Value::Tag(0 | 1004, inner) => Self::of(inner),
            // Tag 1 (epoch date-time) is a date-time string in the JSON model.
            Value::Tag(1, inner) => match crate::codec::cwt::numeric_date(inner, "date-time") {
                Ok(time) => Self::String(Cow::Owned(UnixTime::to_rfc3339(time))),
                Err(_) => Self::Other,
            },
            _ => Self::Other,
        }
    }

    fn is(&self, expected: JsonType) -> bool {
        matches!(
            (self, expected),
            (Self::Null, JsonType::Null)
                | (Self::Boolean(_), JsonType::Boolean)
                | (Self::Integer(_), JsonType::Integer | JsonType::Number)
                | (Self::Number(_), JsonType::Number)
                | (Self::String(_), JsonType::String)
                | (Self::Array(_), JsonType::Array)
                | (Self::Object(_), JsonType::Object)
        )
    }

    fn type_name(&self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Boolean(_) => "boolean",
            Self::Number(_) => "number",
            Self::Integer(_) => "integer",
            Self::String(_) => "string",
            Self::Array(_) => "array",
            Self::Object(_) => "object",
            Self::Other => "a CBOR value with no JSON equivalent",
        }
    }

    fn equals_json(&self, json: &serde_json::Value) -> bool {
        match (self, json) {
            (Self::Null, serde_json::Value::Null) => true,
            (Self::Boolean(a), serde_json::Value::Bool(b)) => a == b,
            (Self::String(a), serde_json::Value::String(b)) => a == b,
            (Self::Integer(a), serde_json::Value::Number(b)) => b.as_f64() == Some(*a as f64),
            (Self::Number(a), serde_json::Value::Number(b)) => b.as_f64() == Some(*a),
            _ => false,
        }
    }
}

impl JsonView<'_> {
    fn number(&self) -> Option<f64> {
        match self {
            Self::Integer(integer) => Some(*integer as f64),
            Self::Number(number) => Some(*number),
            _ => None,
        }
    }
}

struct Compiler<'d> {
    document: &'d serde_json::Value,
    nodes: Vec<Node>,
    by_pointer: HashMap<String, usize>,
}

impl<'d> Compiler<'d> {
    fn node(&mut self, schema: &'d serde_json::Value, path: &str) -> Result<usize, SchemaCompileError> {
        let index = self.nodes.len();
        self.nodes.push(Node::default());
        let node = self.build(schema, path)?;
        if let Some(slot) = self.nodes.get_mut(index) {
            *slot = node;
        }
        Ok(index)
    }

    fn build(&mut self, schema: &'d serde_json::Value, path: &str) -> Result<Node, SchemaCompileError> {
        let malformed = |detail: &str| SchemaCompileError::Malformed { path: path.to_string(), detail: detail.into() };
        let object = match schema {
            serde_json::Value::Bool(always) => return Ok(Node { always: Some(*always), ..Node::default() }),
            serde_json::Value::Object(object) => object,
            _ => return Err(malformed("a schema must be an object or a boolean")),
        };
        let mut node = Node::default();
        for (keyword, value) in object {
            let here = format!("{path}/{keyword}");
            match keyword.as_str() {
                "type" => {
                    let names: Vec<&str> = match value {
                        serde_json::Value::String(name) => vec![name],
                        serde_json::Value::Array(names) => names.iter().filter_map(|n| n.as_str()).collect(),
                        _ => return Err(malformed("type must be a string or an array of strings")),
                    };
                    let types = names
                        .iter()
                        .map(|name| JsonType::parse(name).ok_or_else(|| malformed("unknown type name")))
                        .collect::<Result<Vec<_>, _>>()?;
                    node.types = Some(types);
                }
                "required" => {
                    node.required = value
                        .as_array()
                        .ok_or_else(|| malformed("required must be an array"))?
                        .iter()
                        .map(|name| {
                            name.as_str().map(str::to_owned).ok_or_else(|| malformed("required names must be strings"))
                        })
                        .collect::<Result<_, _>>()?;
                }
                "properties" => {
                    let properties = value.as_object().ok_or_else(|| malformed("properties must be an object"))?;
                    for (name, sub) in properties {
                        let index = self.node(sub, &format!("{here}/{name}"))?;
                        node.properties.push((name.clone(), index));
                    }
                }
                "additionalProperties" => node.additional_properties = Some(self.node(value, &here)?),
                "items" => node.items = Some(self.node(value, &here)?),
                "minItems" => node.min_items = Some(count(value).ok_or_else(|| malformed("minItems"))?),
                "maxItems" => node.max_items = Some(count(value).ok_or_else(|| malformed("maxItems"))?),
                "minLength" => node.min_length = Some(count(value).ok_or_else(|| malformed("minLength"))?),
                "maxLength" => node.max_length = Some(count(value).ok_or_else(|| malformed("maxLength"))?),
                "minimum" => node.minimum = Some(value.as_f64().ok_or_else(|| malformed("minimum"))?),
                "maximum" => node.maximum = Some(value.as_f64().ok_or_else(|| malformed("maximum"))?),
                "exclusiveMinimum" => {
                    node.exclusive_minimum = Some(value.as_f64().ok_or_else(|| malformed("exclusiveMinimum"))?)
                }
                "exclusiveMaximum" => {
                    node.exclusive_maximum = Some(value.as_f64().ok_or_else(|| malformed("exclusiveMaximum"))?)
                }
                "pattern" => {
                    let source = value.as_str().ok_or_else(|| malformed("pattern must be a string"))?;
                    let regex =
                        Regex::new(source).map_err(|_| malformed("pattern is not a supported regular expression"))?;
                    node.pattern = Some((source.to_owned(), regex));
                }
                "enum" => {
                    node.enumeration = Some(value.as_array().ok_or_else(|| malformed("enum must be an array"))?.clone())
                }
                "const" => node.enumeration = Some(vec![value.clone()]),
                "oneOf" | "anyOf" | "allOf" => {
                    let subs = value.as_array().ok_or_else(|| malformed("combinator must be an array"))?;
                    let mut indices = Vec::with_capacity(subs.len());
                    for (position, sub) in subs.iter().enumerate() {
                        indices.push(self.node(sub, &format!("{here}/{position}"))?);
                    }
                    match keyword.as_str() {
                        "oneOf" => node.one_of = indices,
                        "anyOf" => node.any_of = indices,
                        _ => node.all_of = indices,
                    }
                }
                "not" => node.not = Some(self.node(value, &here)?),
                "$ref" => {
                    let reference = value.as_str().ok_or_else(|| malformed("$ref must be a string"))?;
                    node.reference = Some(self.resolve(reference)?);
                }
                other if ANNOTATIONS.contains(&other) => {}
                other => {
                    return Err(SchemaCompileError::UnsupportedKeyword { keyword: other.into(), path: path.into() });
                }
            }
        }
        Ok(node)
    }

    /// Resolves a local JSON pointer reference (`#`, `#/$defs/name`), compiling it once.
    fn resolve(&mut self, reference: &str) -> Result<usize, SchemaCompileError> {
        if let Some(&index) = self.by_pointer.get(reference) {
            return Ok(index);
        }
        let unresolved = || SchemaCompileError::UnresolvedReference { reference: reference.into() };
        let pointer = reference.strip_prefix('#').ok_or_else(unresolved)?;
        let target = self.document.pointer(pointer).ok_or_else(unresolved)?;
        // Reserve the index before compiling, so a recursive reference finds it.
        let index = self.nodes.len();
        self.by_pointer.insert(reference.to_owned(), index);
        self.nodes.push(Node::default());
        let node = self.build(target, reference)?;
        if let Some(slot) = self.nodes.get_mut(index) {
            *slot = node;
        }
        Ok(index)
    }
}

fn count(value: &serde_json::Value) -> Option<usize> {
    value.as_u64().and_then(|count| usize::try_from(count).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cbor(json: serde_json::Value) -> Value {
        crate::dcc::json::json_to_cbor(&json)
    }

    #[test]
    fn reports_paths_and_keywords_without_content() {
        let schema = CompiledSchema::compile(&json!({
            "type": "object",
            "required": ["nam"],
            "properties": {
                "nam": {"$ref": "#/$defs/name"},
                "v": {"type": "array", "items": {"type": "object", "properties": {"dn": {"type": "integer", "minimum": 1}}}, "maxItems": 1}
            },
            "$defs": {"name": {"type": "object", "properties": {"fnt": {"type": "string", "pattern": "^[A-Z<]*$", "maxLength": 5}}}}
        }))
        .unwrap();
        let violations =
            schema.validate(&cbor(json!({"nam": {"fnt": "Müller-Lüdenscheidt"}, "v": [{"dn": 0}, {"dn": 1.0}]})));
        let summary: Vec<String> = violations.iter().map(|v| format!("{} {}", v.path, v.keyword)).collect();
        assert_eq!(summary, ["/nam/fnt maxLength", "/nam/fnt pattern", "/v maxItems", "/v/0/dn minimum"]);
        assert!(violations.iter().all(|v| !v.detail.contains("Müller")));
        assert!(schema.validate(&cbor(json!({"nam": {"fnt": "MUL"}, "v": [{"dn": 2.0}]}))).is_empty());
        let violation = &schema.validate(&cbor(json!({})))[0];
        assert_eq!((violation.path.as_str(), violation.detail.as_str()), ("/nam", "is required and missing"));
    }

    #[test]
    fn one_of_counts_matches_and_names_the_alternatives() {
        let schema = CompiledSchema::compile(&json!({
            "oneOf": [{"required": ["v"]}, {"required": ["t"]}]
        }))
        .unwrap();
        assert!(schema.is_valid(&cbor(json!({"v": 1}))));
        assert_eq!(
            schema.validate(&cbor(json!({"v": 1, "t": 1})))[0].detail,
            "matches 2 of the oneOf alternatives; exactly one is required"
        );
        assert_eq!(
            schema.validate(&cbor(json!({})))[0].detail,
            "none of the required property sets [v | t] is present"
        );
    }

    #[test]
    fn patterns_search_like_ecmascript_and_lengths_count_characters() {
        let schema =
            CompiledSchema::compile(&json!({"type": "string", "pattern": "[A-Z]{1,10}", "maxLength": 3})).unwrap();
        assert!(schema.is_valid(&Value::Text("xAx".into())));
        assert!(!schema.is_valid(&Value::Text("xxx".into())));
        assert!(schema.is_valid(&Value::Text("ÄÖA".into())));
        assert!(!schema.is_valid(&Value::Bytes(vec![1])));
        assert!(schema.is_valid(&Value::Tag(0, Box::new(Value::Text("A".into())))));
    }

    #[test]
    fn refuses_keywords_it_does_not_implement() {
        let error = CompiledSchema::compile(&json!({"type": "array", "uniqueItems": true})).unwrap_err();
        assert_eq!(error, SchemaCompileError::UnsupportedKeyword { keyword: "uniqueItems".into(), path: "#".into() });
        assert!(matches!(
            CompiledSchema::compile(&json!({"$ref": "#/$defs/missing"})),
            Err(SchemaCompileError::UnresolvedReference { .. })
        ));
    }
}
