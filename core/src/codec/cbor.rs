//! Bounded CBOR decoding (RFC 8949).
//!
//! Before handing bytes to `ciborium`, [`check_well_formed`] walks the item headers once and
//! refuses anything a pass never needs: nesting deeper than a limit, more items than a limit,
//! lengths that run past the end of the input, reserved encodings, and trailing bytes. After
//! that walk the full decode cannot allocate more than the input justifies or recurse deeply.

use ciborium::Value;

/// Structural limits for CBOR read from outside.
#[derive(Debug, Clone, Copy)]
pub struct CborLimits {
    /// A DCC nests about six levels (claims -> hcert -> dcc -> t -> entry -> value).
    pub max_depth: usize,
    /// Data items in total; a real pass has under a hundred.
    pub max_items: usize,
}

impl Default for CborLimits {
    fn default() -> Self {
        Self { max_depth: 24, max_items: 4_096 }
    }
}

#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CborError {
    #[error("CBOR ends early: an item at byte {offset} needs more bytes than remain")]
    Truncated { offset: usize },
    #[error("CBOR uses a reserved or invalid encoding at byte {offset}")]
    Invalid { offset: usize },
    #[error("CBOR nests deeper than {limit} levels")]
    TooDeep { limit: usize },
    #[error("CBOR holds more than {limit} items")]
    TooManyItems { limit: usize },
    #[error("{count} unexpected bytes follow the CBOR item")]
    TrailingBytes { count: usize },
    #[error("CBOR could not be decoded: {detail}")]
    Undecodable { detail: String },
    /// RFC 8949 §5.6: a map with a key twice is not valid CBOR for any protocol here, and
    /// readers would disagree on which value counts (a typed reader, the JSON given to
    /// business rules and the schema check must all read the same pass).
    #[error("the map at {path} holds the key {key} more than once")]
    DuplicateKey { path: String, key: String },
}

/// Decodes exactly one CBOR item that fits `limits` and has no map with a duplicate key.
pub fn decode(bytes: &[u8], limits: CborLimits) -> Result<Value, CborError> {
    check_well_formed(bytes, limits)?;
    let value: Value =
        ciborium::de::from_reader(bytes).map_err(|error| CborError::Undecodable { detail: describe(&error) })?;
    check_unique_keys(&value)?;
    Ok(value)
}

/// Maps up to this size are checked pairwise; larger ones through a set of encoded keys.
const PAIRWISE_KEY_CHECK: usize = 16;

/// Refuses any map, at any depth, that holds the same key twice; the error names the map by
/// its path (`/-260/1/t/0`) and the key (escaped, shortened).
pub fn check_unique_keys(value: &Value) -> Result<(), CborError> {
    let mut path = Vec::new();
    unique_keys_at(value, &mut path)
}

fn unique_keys_at<'a>(value: &'a Value, path: &mut Vec<PathStep<'a>>) -> Result<(), CborError> {
    match value {
        Value::Map(entries) => {
            if let Some(key) = first_duplicate_key(entries) {
                return Err(CborError::DuplicateKey { path: render_path(path), key: describe_key(key) });
            }
            for (key, value) in entries {
                path.push(PathStep::Key(key));
                unique_keys_at(value, path)?;
                path.pop();
            }
            Ok(())
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                path.push(PathStep::Index(index));
                unique_keys_at(item, path)?;
                path.pop();
            }
            Ok(())
        }
        Value::Tag(_, inner) => unique_keys_at(inner, path),
        _ => Ok(()),
    }
}

fn first_duplicate_key(entries: &[(Value, Value)]) -> Option<&Value> {
    if entries.len() <= PAIRWISE_KEY_CHECK {
        return entries.iter().enumerate().find_map(|(index, (key, _))| {
            entries.iter().skip(index + 1).any(|(other, _)| other == key).then_some(key)
        });
    }
    // Equal values encode to equal bytes: ciborium writes the shortest form of every head.
    let mut seen = std::collections::HashSet::with_capacity(entries.len());
    entries.iter().map(|(key, _)| key).find(|key| !seen.insert(encode(key)))
}

enum PathStep<'a> {
    Key(&'a Value),
    Index(usize),
}

fn render_path(path: &[PathStep<'_>]) -> String {
    if path.is_empty() {
        return "/".into();
    }
    let mut rendered = String::new();
    for step in path {
        rendered.push('/');
        match step {
            PathStep::Index(index) => rendered.push_str(&index.to_string()),
            PathStep::Key(Value::Text(text)) => rendered.push_str(&shorten_escaped(text)),
            PathStep::Key(key) => rendered.push_str(&describe_key(key)),
        }
    }
    rendered
}

/// A key as an error message may show it: integers as numbers, text quoted, escaped and
/// shortened (keys are chosen by whoever wrote the bytes), other kinds by their kind only.
fn describe_key(key: &Value) -> String {
    match key {
        Value::Integer(integer) => i128::from(*integer).to_string(),
        Value::Text(text) => format!("\"{}\"", shorten_escaped(text)),
        other => kind_of(other).to_owned(),
    }
}

fn shorten_escaped(text: &str) -> String {
    const MAX_CHARS: usize = 32;
    let mut shown: String = text.chars().take(MAX_CHARS).flat_map(char::escape_debug).collect();
    if text.chars().count() > MAX_CHARS {
        shown.push('…');
    }
    shown
}

/// Encodes a value; encoding into a `Vec` cannot fail for the values the core builds.
pub fn encode(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing to a Vec has no I/O errors and ciborium serializes every Value variant.
    let _ = ciborium::ser::into_writer(value, &mut out);
    out
}

fn describe(error: &ciborium::de::Error<std::io::Error>) -> String {
    match error {
        ciborium::de::Error::Io(_) => "unexpected end of input".into(),
        ciborium::de::Error::Syntax(offset) => format!("syntax error at byte {offset}"),
        ciborium::de::Error::Semantic(Some(offset), what) => format!("{what} at byte {offset}"),
        ciborium::de::Error::Semantic(None, what) => what.clone(),
        ciborium::de::Error::RecursionLimitExceeded => "nesting too deep".into(),
    }
}

/// Checks that `bytes` hold exactly one well-formed CBOR item within `limits`.
pub fn check_well_formed(bytes: &[u8], limits: CborLimits) -> Result<(), CborError> {
    let mut walker = Walker { bytes, position: 0, items: 0, limits };
    walker.item(0)?;
    let trailing = bytes.len() - walker.position;
    if trailing > 0 {
        return Err(CborError::TrailingBytes { count: trailing });
    }
    Ok(())
}

struct Walker<'a> {
    bytes: &'a [u8],
    position: usize,
    items: usize,
    limits: CborLimits,
}

/// The argument of an item header: a definite number, or "indefinite length".
enum Argument {
    Definite(u64),
    Indefinite,
}

const BREAK: u8 = 0xff;

impl Walker<'_> {
    fn item(&mut self, depth: usize) -> Result<(), CborError> {
        if depth > self.limits.max_depth {
            return Err(CborError::TooDeep { limit: self.limits.max_depth });
        }
        self.items += 1;
        if self.items > self.limits.max_items {
            return Err(CborError::TooManyItems { limit: self.limits.max_items });
        }
        let offset = self.position;
        let initial = self.byte()?;
        let major = initial >> 5;
        let argument = self.argument(initial, offset)?;
        match (major, argument) {
            (0 | 1, Argument::Definite(_)) => Ok(()),
            (2 | 3, Argument::Definite(length)) => self.skip(length, offset),
            (2 | 3, Argument::Indefinite) => self.chunks(major, offset),
            (4, Argument::Definite(count)) => self.items_of(count, depth, offset),
            (5, Argument::Definite(count)) => {
                let items = count.checked_mul(2).ok_or(CborError::Truncated { offset })?;
                self.items_of(items, depth, offset)
            }
            (4 | 5, Argument::Indefinite) => {
                let mut count = 0u64;
                while self.peek()? != BREAK {
                    self.item(depth + 1)?;
                    count += 1;
                }
                self.position += 1;
                if major == 5 && count % 2 == 1 {
                    return Err(CborError::Invalid { offset });
                }
                Ok(())
            }
            (6, Argument::Definite(_)) => self.item(depth + 1),
            (7, Argument::Definite(_)) => Ok(()),
            _ => Err(CborError::Invalid { offset }),
        }
    }

    fn argument(&mut self, initial: u8, offset: usize) -> Result<Argument, CborError> {
        let major = initial >> 5;
        let info = initial & 0x1f;
        let value = match info {
            0..=23 => u64::from(info),
            24 => {
                let value = u64::from(self.byte()?);
                // RFC 8949 §3.3: simple values below 32 must use the one-byte form.
                if major == 7 && value < 32 {
                    return Err(CborError::Invalid { offset });
                }
                value
            }
            25 => self.big_endian(2)?,
            26 => self.big_endian(4)?,
            27 => self.big_endian(8)?,
            31 if matches!(major, 2..=5) => return Ok(Argument::Indefinite),
            _ => return Err(CborError::Invalid { offset }),
        };
        Ok(Argument::Definite(value))
    }

    fn items_of(&mut self, count: u64, depth: usize, offset: usize) -> Result<(), CborError> {
        // Every item takes at least one byte: a count beyond the remaining bytes is a lie.
        if count > (self.bytes.len() - self.position) as u64 {
            return Err(CborError::Truncated { offset });
        }
        for _ in 0..count {
            self.item(depth + 1)?;
        }
        Ok(())
    }

    fn chunks(&mut self, major: u8, offset: usize) -> Result<(), CborError> {
        loop {
            let chunk_offset = self.position;
            let initial = self.byte()?;
            if initial == BREAK {
                return Ok(());
            }
            // RFC 8949 §3.2.3: chunks are definite-length strings of the same major type.
            if initial >> 5 != major {
                return Err(CborError::Invalid { offset });
            }
            match self.argument(initial, chunk_offset)? {
                Argument::Definite(length) => self.skip(length, chunk_offset)?,
                Argument::Indefinite => return Err(CborError::Invalid { offset: chunk_offset }),
            }
        }
    }

    fn byte(&mut self) -> Result<u8, CborError> {
        let byte = *self.bytes.get(self.position).ok_or(CborError::Truncated { offset: self.position })?;
        self.position += 1;
        Ok(byte)
    }

    fn peek(&self) -> Result<u8, CborError> {
        self.bytes.get(self.position).copied().ok_or(CborError::Truncated { offset: self.position })
    }

    fn big_endian(&mut self, width: usize) -> Result<u64, CborError> {
        let mut value = 0u64;
        for _ in 0..width {
            value = (value << 8) | u64::from(self.byte()?);
        }
        Ok(value)
    }

    fn skip(&mut self, length: u64, offset: usize) -> Result<(), CborError> {
        let remaining = (self.bytes.len() - self.position) as u64;
        if length > remaining {
            return Err(CborError::Truncated { offset });
        }
        self.position += length as usize;
        Ok(())
    }
}

/// A short name for the kind of a CBOR value, for error messages (never its content).
pub fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Integer(_) => "an integer",
        Value::Bytes(_) => "a byte string",
        Value::Float(_) => "a float",
        Value::Text(_) => "a text string",
        Value::Bool(_) => "a boolean",
        Value::Null => "null",
        Value::Tag(..) => "a tagged value",
        Value::Array(_) => "an array",
        Value::Map(_) => "a map",
        _ => "an unknown CBOR value",
    }
}

/// The head of a CBOR item of major type `major` with argument `argument`, in its shortest
/// form (RFC 8949 §3, §4.2.1).
pub fn head(major: u8, argument: u64) -> Vec<u8> {
    let major = major << 5;
    match argument {
        0..=23 => vec![major | argument as u8],
        24..=0xff => vec![major | 24, argument as u8],
        0x100..=0xffff => [&[major | 25][..], &(argument as u16).to_be_bytes()].concat(),
        0x1_0000..=0xffff_ffff => [&[major | 26][..], &(argument as u32).to_be_bytes()].concat(),
        _ => [&[major | 27][..], &argument.to_be_bytes()].concat(),
    }
}

/// The value under a text key of a map's entries (null included: callers decide what it means).
pub fn text_key<'a>(entries: &'a [(Value, Value)], key: &str) -> Option<&'a Value> {
    entries.iter().find(|(entry_key, _)| matches!(entry_key, Value::Text(text) if text == key)).map(|(_, v)| v)
}

/// A field of a map that is missing or not what its format says.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field:?} {problem}")]
pub struct FieldError {
    /// The field, dotted from its record (`signers.kid`).
    pub field: String,
    /// What is wrong with it.
    pub problem: String,
}

impl FieldError {
    fn new(field: &str, problem: impl Into<String>) -> Self {
        Self { field: field.to_owned(), problem: problem.into() }
    }

    fn kind(field: &str, expected: &str, found: &Value) -> Self {
        Self::new(field, format!("must be {expected}, found {}", kind_of(found)))
    }
}

/// The fields of a text-keyed CBOR map, taken out one by one: values are moved, never copied
/// (a bundle's revocation lists are megabytes). Records of the project's own formats (trust
/// bundles, credentials) decode themselves through it.
#[derive(Debug)]
pub struct MapFields {
    name: String,
    entries: Vec<(Value, Value)>,
}

impl MapFields {
    /// The fields of `value`, which must be a map; `name` names it in errors.
    pub fn of(value: Value, name: &str) -> Result<Self, FieldError> {
        match value {
            Value::Map(entries) => Ok(Self { name: name.to_owned(), entries }),
            other => Err(FieldError::kind(name, "a map", &other)),
        }
    }

    fn field(&self, key: &str) -> String {
        if self.name.is_empty() { key.to_owned() } else { format!("{}.{key}", self.name) }
    }

    /// The value under `key`, if present.
    pub fn take(&mut self, key: &str) -> Option<Value> {
        let position =
            self.entries.iter().position(|(entry_key, _)| matches!(entry_key, Value::Text(text) if text == key))?;
        Some(self.entries.swap_remove(position).1)
    }

    /// The value under `key`; missing is an error.
    pub fn required(&mut self, key: &str) -> Result<Value, FieldError> {
        self.take(key).ok_or_else(|| FieldError::new(&self.field(key), "is missing"))
    }

    /// An integer that fits an `i64`.
    pub fn integer(&mut self, key: &str) -> Result<i64, FieldError> {
        let value = self.required(key)?;
        as_i64(&value).ok_or_else(|| FieldError::kind(&self.field(key), "an integer", &value))
    }

    /// A non-negative integer.
    pub fn unsigned(&mut self, key: &str) -> Result<u64, FieldError> {
        let value = self.integer(key)?;
        u64::try_from(value).map_err(|_| FieldError::new(&self.field(key), "must not be negative"))
    }

    /// A byte string.
    pub fn bytes(&mut self, key: &str) -> Result<Vec<u8>, FieldError> {
        match self.required(key)? {
            Value::Bytes(bytes) => Ok(bytes),
            other => Err(FieldError::kind(&self.field(key), "a byte string", &other)),
        }
    }

    /// A text string.
    pub fn text(&mut self, key: &str) -> Result<String, FieldError> {
        match self.required(key)? {
            Value::Text(text) => Ok(text),
            other => Err(FieldError::kind(&self.field(key), "a text string", &other)),
        }
    }

    /// A text string, or `None` when absent.
    pub fn optional_text(&mut self, key: &str) -> Result<Option<String>, FieldError> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Text(text)) => Ok(Some(text)),
            Some(other) => Err(FieldError::kind(&self.field(key), "a text string", &other)),
        }
    }

    /// An array; absent is empty.
    pub fn array(&mut self, key: &str) -> Result<Vec<Value>, FieldError> {
        match self.take(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => Ok(items),
            Some(other) => Err(FieldError::kind(&self.field(key), "an array", &other)),
        }
    }

    /// JSON carried as bytes; absent is `None`.
    pub fn json(&mut self, key: &str) -> Result<Option<serde_json::Value>, FieldError> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Bytes(bytes)) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|error| FieldError::new(&self.field(key), format!("is not JSON: {error}"))),
            Some(other) => Err(FieldError::kind(&self.field(key), "JSON bytes", &other)),
        }
    }

    /// An error about one of these fields.
    pub fn error(&self, key: &str, problem: impl Into<String>) -> FieldError {
        FieldError::new(&self.field(key), problem)
    }
}

/// Integer value of a CBOR integer, if it fits an `i64`.
pub fn as_i64(value: &Value) -> Option<i64> {
    match value {
        Value::Integer(integer) => i64::try_from(i128::from(*integer)).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> CborLimits {
        CborLimits::default()
    }

    #[test]
    fn accepts_ordinary_items() {
        let value = Value::Map(vec![
            (Value::Integer(1.into()), Value::Text("AT".into())),
            (Value::Integer((-260).into()), Value::Array(vec![Value::Bytes(vec![1, 2]), Value::Float(1.5)])),
        ]);
        let bytes = encode(&value);
        assert_eq!(decode(&bytes, limits()).unwrap(), value);
        // Indefinite-length text and array.
        assert!(decode(&[0x7f, 0x61, b'a', 0x61, b'b', 0xff], limits()).is_ok());
        assert!(decode(&[0x9f, 0x01, 0x02, 0xff], limits()).is_ok());
    }

    #[test]
    fn refuses_lies_and_bombs() {
        // A byte string claiming 2^63 bytes.
        assert_eq!(
            check_well_formed(&[0x5b, 0x80, 0, 0, 0, 0, 0, 0, 0], limits()),
            Err(CborError::Truncated { offset: 0 })
        );
        // An array claiming 4 billion items in 5 bytes.
        assert_eq!(
            check_well_formed(&[0x9a, 0xff, 0xff, 0xff, 0xff], limits()),
            Err(CborError::Truncated { offset: 0 })
        );
        // 10,000 nested arrays.
        let deep = vec![0x81; 10_000];
        assert_eq!(check_well_formed(&deep, limits()), Err(CborError::TooDeep { limit: 24 }));
        // Reserved additional information 28.
        assert_eq!(check_well_formed(&[0x1c], limits()), Err(CborError::Invalid { offset: 0 }));
        // A lone break.
        assert_eq!(check_well_formed(&[0xff], limits()), Err(CborError::Invalid { offset: 0 }));
        // Trailing bytes after one item.
        assert_eq!(check_well_formed(&[0x01, 0x02], limits()), Err(CborError::TrailingBytes { count: 1 }));
        // An indefinite map with an odd number of items.
        assert_eq!(check_well_formed(&[0xbf, 0x01, 0xff], limits()), Err(CborError::Invalid { offset: 0 }));
        // Too many items in total.
        let mut wide = vec![0x99, 0x27, 0x10];
        wide.extend(std::iter::repeat_n(0x00, 10_000));
        assert_eq!(check_well_formed(&wide, limits()), Err(CborError::TooManyItems { limit: 4_096 }));
        // Invalid UTF-8 in a text string is caught by the decoder.
        assert!(matches!(decode(&[0x62, 0xff, 0xfe], limits()), Err(CborError::Undecodable { .. })));
    }

    #[test]
    fn refuses_duplicate_keys_at_any_depth_and_names_the_place() {
        let text = |text: &str| Value::Text(text.into());
        let int = |value: i64| Value::Integer(value.into());
        let top = Value::Map(vec![(int(4), int(1)), (int(4), int(2))]);
        assert_eq!(decode(&encode(&top), limits()), Err(CborError::DuplicateKey { path: "/".into(), key: "4".into() }));
        let entry = Value::Map(vec![(text("tr"), text("260415000")), (text("tr"), text("260373001"))]);
        let nested = Value::Map(vec![(
            int(-260),
            Value::Map(vec![(int(1), Value::Map(vec![(text("t"), Value::Array(vec![entry]))]))]),
        )]);
        assert_eq!(
            decode(&encode(&nested), limits()),
            Err(CborError::DuplicateKey { path: "/-260/1/t/0".into(), key: "\"tr\"".into() })
        );
        // A large map goes through the set-based check.
        let mut wide: Vec<(Value, Value)> = (0..100).map(|index| (int(index), Value::Null)).collect();
        assert!(decode(&encode(&Value::Map(wide.clone())), limits()).is_ok());
        wide.push((int(57), Value::Null));
        assert!(matches!(
            decode(&encode(&Value::Map(wide)), limits()),
            Err(CborError::DuplicateKey { key, .. }) if key == "57"
        ));
        // Keys chosen by an attacker are escaped and shortened in the message.
        let hostile = "\u{1b}[2J".repeat(20);
        let map = Value::Map(vec![(text(&hostile), Value::Null), (text(&hostile), Value::Null)]);
        let Err(CborError::DuplicateKey { key, .. }) = decode(&encode(&map), limits()) else { panic!() };
        assert!(!key.contains('\u{1b}') && key.ends_with("…\""), "{key}");
        // The same key in different maps is fine.
        let siblings = Value::Array(vec![Value::Map(vec![(int(1), int(1))]), Value::Map(vec![(int(1), int(1))])]);
        assert!(decode(&encode(&siblings), limits()).is_ok());
    }

    #[test]
    fn every_truncation_of_a_valid_item_is_an_error() {
        let value =
            Value::Array(vec![Value::Text("hello".into()), Value::Bytes(vec![0; 40]), Value::Integer(70000.into())]);
        let bytes = encode(&value);
        for length in 0..bytes.len() {
            assert!(check_well_formed(&bytes[..length], limits()).is_err(), "length {length}");
        }
    }
}
