//! Decoding Odoo's values (ODOO-API §2.3): `false` is "no value" for every non-boolean field; many2one
//! is `[id, "name"]` or a bare id; datetimes are UTC strings to the second. Use these with
//! `#[serde(deserialize_with = "…")]` on record structs; a value of the wrong type is an error, never a
//! silent default.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::de::{Deserializer, Error as _};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A many2one value: the id and, when read with the default `load`, the display name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Many2One {
    pub id: i64,
    pub name: Option<String>,
}

/// Odoo's datetime format (UTC, seconds).
pub const DATETIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";
pub const DATE_FORMAT: &str = "%Y-%m-%d";

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

// The decoders below are serde visitors (no intermediate `serde_json::Value`): the sync decodes
// hundreds of thousands of rows, and this is where its client time goes.

use serde::de::{SeqAccess, Unexpected, Visitor};
use std::fmt;

/// `false`/`null` → `None`, text → `Some`.
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("text or false")
        }
        fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<Self::Value, E> {
            if b {
                Err(E::invalid_type(Unexpected::Bool(true), &self))
            } else {
                Ok(None)
            }
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Self::Value, E> {
            Ok(Some(s.to_string()))
        }
        fn visit_string<E: serde::de::Error>(self, s: String) -> Result<Self::Value, E> {
            Ok(Some(s))
        }
    }
    d.deserialize_any(V)
}

/// A finite number (`false`/`null` read as 0, as Odoo writes empty numeric fields).
pub fn number<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = f64;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a number")
        }
        fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<f64, E> {
            if b {
                Err(E::invalid_type(Unexpected::Bool(true), &self))
            } else {
                Ok(0.0)
            }
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<f64, E> {
            Ok(0.0)
        }
        fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<f64, E> {
            Ok(n as f64)
        }
        fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<f64, E> {
            Ok(n as f64)
        }
        fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<f64, E> {
            if n.is_finite() {
                Ok(n)
            } else {
                Err(E::custom("number out of range"))
            }
        }
    }
    d.deserialize_any(V)
}

/// An integer id or count (`false` read as 0).
pub fn integer<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    match Value::deserialize(d)? {
        Value::Bool(false) | Value::Null => Ok(0),
        Value::Number(n) => n.as_i64().ok_or_else(|| D::Error::custom("expected an integer")),
        other => Err(D::Error::custom(format!(
            "expected an integer, found {}",
            describe(&other)
        ))),
    }
}

/// A boolean (`null` read as false).
pub fn boolean<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    match Value::deserialize(d)? {
        Value::Bool(b) => Ok(b),
        Value::Null => Ok(false),
        other => Err(D::Error::custom(format!(
            "expected a boolean, found {}",
            describe(&other)
        ))),
    }
}

/// Parses one many2one value held as a `Value` (for callers that already have one).
pub fn parse_many2one(value: &Value) -> Result<Option<Many2One>, String> {
    serde_json::from_value::<M2oHolder>(value.clone())
        .map(|h| h.0)
        .map_err(|e| e.to_string())
}

#[derive(Deserialize)]
struct M2oHolder(#[serde(deserialize_with = "opt_many2one")] Option<Many2One>);

/// `[id, "name"]`, a bare id, or `false`.
pub fn opt_many2one<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Many2One>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<Many2One>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("[id, name], an id, or false")
        }
        fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<Self::Value, E> {
            if b {
                Err(E::invalid_type(Unexpected::Bool(true), &self))
            } else {
                Ok(None)
            }
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_i64<E: serde::de::Error>(self, id: i64) -> Result<Self::Value, E> {
            Ok(Some(Many2One { id, name: None }))
        }
        fn visit_u64<E: serde::de::Error>(self, id: u64) -> Result<Self::Value, E> {
            let id = i64::try_from(id).map_err(|_| E::custom("id out of range"))?;
            Ok(Some(Many2One { id, name: None }))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let id: i64 = seq
                .next_element()?
                .ok_or_else(|| A::Error::custom("expected [id, name]"))?;
            let name: NameOrFalse = seq
                .next_element()?
                .ok_or_else(|| A::Error::custom("expected [id, name]"))?;
            if seq.next_element::<serde::de::IgnoredAny>()?.is_some() {
                return Err(A::Error::custom("expected [id, name]"));
            }
            Ok(Some(Many2One { id, name: name.0 }))
        }
    }
    d.deserialize_any(V)
}

struct NameOrFalse(Option<String>);

impl<'de> Deserialize<'de> for NameOrFalse {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        opt_string(d).map(NameOrFalse)
    }
}

/// A list of ids (one2many, many2many).
pub fn ids<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<i64>, D::Error> {
    match Value::deserialize(d)? {
        Value::Bool(false) | Value::Null => Ok(Vec::new()),
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_i64().ok_or_else(|| D::Error::custom("expected a list of ids")))
            .collect(),
        other => Err(D::Error::custom(format!(
            "expected a list of ids, found {}",
            describe(&other)
        ))),
    }
}

/// Parses Odoo's UTC datetime text (`2025-01-03 10:11:12`; fractions tolerated).
pub fn parse_datetime(text: &str) -> Option<DateTime<Utc>> {
    // The exact 19-byte form Odoo sends, parsed by hand (chrono's format parser is several times
    // slower, and every synced row has a few of these).
    let b = text.as_bytes();
    if b.len() == 19 && b[4] == b'-' && b[7] == b'-' && b[10] == b' ' && b[13] == b':' && b[16] == b':' {
        let num = |range: std::ops::Range<usize>| -> Option<u32> {
            b[range].iter().try_fold(0u32, |acc, c| {
                c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
            })
        };
        let date = NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
        return date
            .and_hms_opt(num(11..13)?, num(14..16)?, num(17..19)?)
            .map(|naive| naive.and_utc());
    }
    NaiveDateTime::parse_from_str(text, DATETIME_FORMAT)
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f"))
        .ok()
        .map(|naive| naive.and_utc())
}

/// A UTC datetime or `false`.
pub fn opt_datetime<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    match opt_string(d)? {
        None => Ok(None),
        Some(s) => parse_datetime(&s)
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("{s:?} is not an Odoo datetime"))),
    }
}

/// A date or `false`.
pub fn opt_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    match opt_string(d)? {
        None => Ok(None),
        Some(s) => NaiveDate::parse_from_str(&s, DATE_FORMAT)
            .map(Some)
            .map_err(|_| D::Error::custom(format!("{s:?} is not an Odoo date"))),
    }
}

/// Formats a datetime the way Odoo reads it in domains and values.
pub fn format_datetime(at: DateTime<Utc>) -> String {
    at.format(DATETIME_FORMAT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Row {
        #[serde(deserialize_with = "opt_string")]
        code: Option<String>,
        #[serde(deserialize_with = "opt_many2one")]
        product_id: Option<Many2One>,
        #[serde(deserialize_with = "opt_datetime")]
        write_date: Option<DateTime<Utc>>,
        #[serde(deserialize_with = "number")]
        quantity: f64,
        #[serde(deserialize_with = "ids")]
        move_ids: Vec<i64>,
    }

    #[test]
    fn false_means_no_value_and_many2one_comes_in_both_shapes() {
        let row: Row = serde_json::from_str(
            r#"{"code": false, "product_id": [7, "Widget"], "write_date": "2025-01-03 10:11:12", "quantity": 2.5, "move_ids": [1, 2]}"#,
        )
        .unwrap();
        assert_eq!(row.code, None);
        assert_eq!(
            row.product_id,
            Some(Many2One {
                id: 7,
                name: Some("Widget".into())
            })
        );
        assert_eq!(
            row.write_date.map(format_datetime).as_deref(),
            Some("2025-01-03 10:11:12")
        );
        assert_eq!((row.quantity, row.move_ids), (2.5, vec![1, 2]));
        let bare: Row = serde_json::from_str(
            r#"{"code": "A", "product_id": 7, "write_date": false, "quantity": false, "move_ids": []}"#,
        )
        .unwrap();
        assert_eq!(bare.product_id, Some(Many2One { id: 7, name: None }));
        assert_eq!(bare.write_date, None);
    }

    #[test]
    fn wrong_types_are_errors_not_defaults() {
        for bad in [
            r#"{"code": 5, "product_id": false, "write_date": false, "quantity": 0, "move_ids": []}"#,
            r#"{"code": false, "product_id": "7", "write_date": false, "quantity": 0, "move_ids": []}"#,
            r#"{"code": false, "product_id": false, "write_date": "yesterday", "quantity": 0, "move_ids": []}"#,
            r#"{"code": false, "product_id": false, "write_date": false, "quantity": "1", "move_ids": []}"#,
            r#"{"code": false, "product_id": false, "write_date": false, "quantity": 1e400, "move_ids": []}"#,
        ] {
            assert!(serde_json::from_str::<Row>(bad).is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_decode_to_rows_or_a_typed_error_never_a_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = serde_json::from_slice::<Vec<Row>>(&bytes);
        }

        #[test]
        fn hostile_values_in_every_field_are_refused_or_read(
            code in "(false|null|true|0|-1|1e308|\\[\\]|\\{\\}|\"x\")",
            m2o in "(false|null|true|7|-7|18446744073709551615|\\[7\\]|\\[7,\"a\",1\\]|\\[\"7\",\"a\"\\]|\\[7,false\\]|\\{\\})",
            quantity in "(false|null|true|1|1.5|-0.0|1e308|\"1\"|\\[\\])",
            date in "(false|null|\"2025-01-01 00:00:00\"|\"2025-13-01 00:00:00\"|\"\"|0)",
        ) {
            let text = format!(r#"[{{"code": {code}, "product_id": {m2o}, "write_date": {date}, "quantity": {quantity}, "move_ids": []}}]"#);
            let _ = serde_json::from_str::<Vec<Row>>(&text);
        }
    }

    #[test]
    fn deep_nesting_and_huge_numbers_are_errors() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(serde_json::from_str::<Vec<Row>>(&deep).is_err());
        let huge = r#"[{"code": false, "product_id": 99999999999999999999999, "write_date": false, "quantity": 0, "move_ids": []}]"#;
        assert!(serde_json::from_str::<Vec<Row>>(huge).is_err());
    }
}
