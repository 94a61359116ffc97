//! Conversions between the DCC's CBOR form and its JSON form (the DCC schema's data model).

use base64::Engine as _;
use ciborium::Value;

use crate::time::UnixTime;

/// CBOR -> JSON: text, numbers, arrays and maps map directly; tag 0/1004 date texts become
/// strings, tag 1 epoch times become RFC 3339 strings, byte strings become base64.
pub fn cbor_to_json(value: &Value) -> serde_json::Value {
    use serde_json::Value as Json;
    match value {
        Value::Null => Json::Null,
        Value::Bool(flag) => Json::Bool(*flag),
        Value::Integer(integer) => {
            let wide = i128::from(*integer);
            i64::try_from(wide)
                .map(Json::from)
                .or_else(|_| u64::try_from(wide).map(Json::from))
                .unwrap_or_else(|_| Json::from(wide as f64))
        }
        Value::Float(float) => serde_json::Number::from_f64(*float).map_or(Json::Null, Json::Number),
        Value::Text(text) => Json::String(text.clone()),
        Value::Bytes(bytes) => Json::String(base64::engine::general_purpose::STANDARD.encode(bytes)),
        Value::Array(items) => Json::Array(items.iter().map(cbor_to_json).collect()),
        Value::Map(entries) => Json::Object(
            entries
                .iter()
                .map(|(key, value)| {
                    let key = match key {
                        Value::Text(text) => text.clone(),
                        other => cbor_to_json(other).to_string(),
                    };
                    (key, cbor_to_json(value))
                })
                .collect(),
        ),
        Value::Tag(1, inner) => match crate::codec::cwt::numeric_date(inner, "date-time") {
            Ok(time) => Json::String(UnixTime::to_rfc3339(time)),
            Err(_) => cbor_to_json(inner),
        },
        Value::Tag(_, inner) => cbor_to_json(inner),
        _ => Json::Null,
    }
}

/// JSON -> CBOR: integers stay integers, other numbers become floats, strings stay untagged.
pub fn json_to_cbor(json: &serde_json::Value) -> Value {
    use serde_json::Value as Json;
    match json {
        Json::Null => Value::Null,
        Json::Bool(flag) => Value::Bool(*flag),
        Json::Number(number) => {
            if let Some(integer) = number.as_i64() {
                Value::Integer(integer.into())
            } else if let Some(integer) = number.as_u64() {
                Value::Integer(integer.into())
            } else {
                Value::Float(number.as_f64().unwrap_or(f64::NAN))
            }
        }
        Json::String(text) => Value::Text(text.clone()),
        Json::Array(items) => Value::Array(items.iter().map(json_to_cbor).collect()),
        Json::Object(entries) => {
            Value::Map(entries.iter().map(|(key, value)| (Value::Text(key.clone()), json_to_cbor(value))).collect())
        }
    }
}
