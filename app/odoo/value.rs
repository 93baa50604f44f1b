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

/// `false`/`null` → `None`, text → `Some`.
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Bool(false) | Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        other => Err(D::Error::custom(format!(
            "expected text or false, found {}",
            describe(&other)
        ))),
    }
}

/// A number (`false`/`null` read as 0, as Odoo writes empty numeric fields).
pub fn number<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    match Value::deserialize(d)? {
        Value::Bool(false) | Value::Null => Ok(0.0),
        Value::Number(n) => n
            .as_f64()
            .filter(|f| f.is_finite())
            .ok_or_else(|| D::Error::custom("number out of range")),
        other => Err(D::Error::custom(format!(
            "expected a number, found {}",
            describe(&other)
        ))),
    }
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

/// Parses one many2one value.
pub fn parse_many2one(value: &Value) -> Result<Option<Many2One>, String> {
    match value {
        Value::Bool(false) | Value::Null => Ok(None),
        Value::Number(n) => n
            .as_i64()
            .map(|id| Some(Many2One { id, name: None }))
            .ok_or_else(|| "bad id".into()),
        Value::Array(pair) => match pair.as_slice() {
            [Value::Number(id), name] => {
                let id = id.as_i64().ok_or("bad id")?;
                let name = match name {
                    Value::String(s) => Some(s.clone()),
                    Value::Bool(false) | Value::Null => None,
                    other => return Err(format!("expected a name, found {}", describe(other))),
                };
                Ok(Some(Many2One { id, name }))
            }
            _ => Err("expected [id, name]".into()),
        },
        other => Err(format!("expected a many2one, found {}", describe(other))),
    }
}

/// `[id, "name"]`, a bare id, or `false`.
pub fn opt_many2one<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Many2One>, D::Error> {
    parse_many2one(&Value::deserialize(d)?).map_err(D::Error::custom)
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
    NaiveDateTime::parse_from_str(text, DATETIME_FORMAT)
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f"))
        .ok()
        .map(|naive| naive.and_utc())
}

/// A UTC datetime or `false`.
pub fn opt_datetime<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    match Value::deserialize(d)? {
        Value::Bool(false) | Value::Null => Ok(None),
        Value::String(s) => parse_datetime(&s)
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("{s:?} is not an Odoo datetime"))),
        other => Err(D::Error::custom(format!(
            "expected a datetime, found {}",
            describe(&other)
        ))),
    }
}

/// A date or `false`.
pub fn opt_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    match Value::deserialize(d)? {
        Value::Bool(false) | Value::Null => Ok(None),
        Value::String(s) => NaiveDate::parse_from_str(&s, DATE_FORMAT)
            .map(Some)
            .map_err(|_| D::Error::custom(format!("{s:?} is not an Odoo date"))),
        other => Err(D::Error::custom(format!("expected a date, found {}", describe(&other)))),
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
}
