//! XML-RPC as Odoo serves it (ODOO-API §1.3): `/xmlrpc/2/{common,object,db}` with integer fault codes
//! and the legacy `/xmlrpc/{…}` with string fault codes. Responses never contain `<nil/>`: a `None`
//! result is fault 1, as Odoo's marshaller (allow_none=False) makes it. Dates travel as strings.

use quick_xml::Reader;
use quick_xml::events::Event;
use serde_json::{Map, Number, Value};

use super::store::SimError;

/// Which fault dialect a path speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `/xmlrpc/2/*`: integer codes.
    Numbered,
    /// `/xmlrpc/*`: string codes.
    Legacy,
}

/// A parsed `<methodCall>`.
pub struct MethodCall {
    pub method: String,
    pub params: Vec<Value>,
}

/// Parses a `<methodCall>` into JSON values (`<dateTime.iso8601>` becomes Odoo's datetime text).
pub fn parse_call(body: &[u8]) -> Result<MethodCall, String> {
    let mut reader = Reader::from_reader(body);
    reader.config_mut().trim_text(false);
    let mut method = String::new();
    let mut params = Vec::new();
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf).map_err(|e| e.to_string())? {
            Event::Start(e) if e.name().as_ref() == b"methodName" => {
                method = read_text(&mut reader, b"methodName")?;
            }
            Event::Start(e) if e.name().as_ref() == b"value" => params.push(parse_value(&mut reader)?),
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if method.is_empty() {
        return Err("no methodName".into());
    }
    Ok(MethodCall { method, params })
}

/// The text of one of XML's five predefined entities (XML-RPC uses no others).
fn entity(name: &str) -> Result<&'static str, String> {
    Ok(match name {
        "lt" => "<",
        "gt" => ">",
        "amp" => "&",
        "quot" => "\"",
        "apos" => "'",
        other => return Err(format!("unknown entity &{other};")),
    })
}

fn read_text(reader: &mut Reader<&[u8]>, end: &[u8]) -> Result<String, String> {
    let mut text = String::new();
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf).map_err(|e| e.to_string())? {
            Event::Text(t) => text.push_str(&t.decode().map_err(|e| e.to_string())?),
            Event::GeneralRef(r) => text.push_str(entity(&r.decode().map_err(|e| e.to_string())?)?),
            Event::CData(t) => text.push_str(&String::from_utf8_lossy(&t)),
            Event::End(e) if e.name().as_ref() == end => return Ok(text),
            Event::Eof => return Err("unexpected end of document".into()),
            _ => {}
        }
        buf.clear();
    }
}

/// Parses the inside of a `<value>` up to its `</value>`.
fn parse_value(reader: &mut Reader<&[u8]>) -> Result<Value, String> {
    let mut buf = Vec::new();
    let mut bare = String::new();
    let mut result: Option<Value> = None;
    loop {
        match reader.read_event_into(&mut buf).map_err(|e| e.to_string())? {
            Event::Start(e) => {
                let tag = e.name().as_ref().to_vec();
                result = Some(match tag.as_slice() {
                    b"int" | b"i4" | b"i8" => {
                        let text = read_text(reader, &tag)?;
                        Value::Number(
                            text.trim()
                                .parse::<i64>()
                                .map_err(|_| format!("bad int {text:?}"))?
                                .into(),
                        )
                    }
                    b"boolean" => Value::Bool(read_text(reader, &tag)?.trim() == "1"),
                    b"double" => {
                        let text = read_text(reader, &tag)?;
                        let n: f64 = text.trim().parse().map_err(|_| format!("bad double {text:?}"))?;
                        Value::Number(Number::from_f64(n).ok_or("non-finite double")?)
                    }
                    b"string" | b"base64" => Value::String(read_text(reader, &tag)?),
                    b"dateTime.iso8601" => {
                        let text = read_text(reader, &tag)?;
                        let parsed = chrono::NaiveDateTime::parse_from_str(text.trim(), "%Y%m%dT%H:%M:%S")
                            .map_err(|_| format!("bad dateTime {text:?}"))?;
                        Value::String(parsed.format("%Y-%m-%d %H:%M:%S").to_string())
                    }
                    b"nil" => {
                        read_text(reader, &tag)?;
                        Value::Null
                    }
                    b"array" => parse_array(reader)?,
                    b"struct" => parse_struct(reader)?,
                    other => return Err(format!("unknown type <{}>", String::from_utf8_lossy(other))),
                });
            }
            Event::Empty(e) => {
                result = Some(match e.name().as_ref() {
                    b"nil" => Value::Null,
                    b"string" => Value::String(String::new()),
                    b"array" => Value::Array(Vec::new()),
                    b"struct" => Value::Object(Map::new()),
                    other => return Err(format!("empty <{}>", String::from_utf8_lossy(other))),
                });
            }
            Event::Text(t) => bare.push_str(&t.decode().map_err(|e| e.to_string())?),
            Event::GeneralRef(r) => bare.push_str(entity(&r.decode().map_err(|e| e.to_string())?)?),
            Event::End(e) if e.name().as_ref() == b"value" => {
                // A value without a type tag is a string.
                return Ok(result.unwrap_or(Value::String(bare)));
            }
            Event::Eof => return Err("unexpected end inside <value>".into()),
            _ => {}
        }
        buf.clear();
    }
}

fn parse_array(reader: &mut Reader<&[u8]>) -> Result<Value, String> {
    let mut items = Vec::new();
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf).map_err(|e| e.to_string())? {
            Event::Start(e) if e.name().as_ref() == b"value" => items.push(parse_value(reader)?),
            Event::End(e) if e.name().as_ref() == b"array" => return Ok(Value::Array(items)),
            Event::Eof => return Err("unexpected end inside <array>".into()),
            _ => {}
        }
        buf.clear();
    }
}

fn parse_struct(reader: &mut Reader<&[u8]>) -> Result<Value, String> {
    let mut map = Map::new();
    let mut name = String::new();
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf).map_err(|e| e.to_string())? {
            Event::Start(e) if e.name().as_ref() == b"name" => name = read_text(reader, b"name")?,
            Event::Start(e) if e.name().as_ref() == b"value" => {
                map.insert(std::mem::take(&mut name), parse_value(reader)?);
            }
            Event::End(e) if e.name().as_ref() == b"struct" => return Ok(Value::Object(map)),
            Event::Eof => return Err("unexpected end inside <struct>".into()),
            _ => {}
        }
        buf.clear();
    }
}

fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            // Odoo strips control characters other than tab, CR and LF.
            c if c.is_control() && !matches!(c, '\t' | '\r' | '\n') => {}
            c => out.push(c),
        }
    }
}

/// Marshals a value; `None` where Python would find `None` (which Odoo cannot send).
fn write_value(value: &Value, out: &mut String) -> Result<(), ()> {
    out.push_str("<value>");
    match value {
        Value::Null => return Err(()),
        Value::Bool(b) => out.push_str(if *b {
            "<boolean>1</boolean>"
        } else {
            "<boolean>0</boolean>"
        }),
        Value::Number(n) => match n.as_i64() {
            Some(i) => out.push_str(&format!("<int>{i}</int>")),
            None => out.push_str(&format!("<double>{}</double>", n.as_f64().unwrap_or(0.0))),
        },
        Value::String(s) => {
            out.push_str("<string>");
            escape(s, out);
            out.push_str("</string>");
        }
        Value::Array(items) => {
            out.push_str("<array><data>");
            for item in items {
                write_value(item, out)?;
            }
            out.push_str("</data></array>");
        }
        Value::Object(map) => {
            out.push_str("<struct>");
            for (k, v) in map {
                out.push_str("<member><name>");
                escape(k, out);
                out.push_str("</name>");
                write_value(v, out)?;
                out.push_str("</member>");
            }
            out.push_str("</struct>");
        }
    }
    out.push_str("</value>");
    Ok(())
}

/// A `<methodResponse>` with the result, or fault 1 when it holds `None`.
pub fn response(result: Option<&Value>, dialect: Dialect) -> String {
    let mut params = String::new();
    match result.map(|v| write_value(v, &mut params)) {
        Some(Ok(())) => format!(
            "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n{params}\n</param>\n</params>\n</methodResponse>\n"
        ),
        _ => {
            let error = SimError {
                name: "builtins.TypeError",
                message: "cannot marshal None unless allow_none is enabled".into(),
            };
            fault(&error, dialect)
        }
    }
}

/// A `<fault>` in the path's dialect (ODOO-API §1.3's table).
pub fn fault(error: &SimError, dialect: Dialect) -> String {
    let class = error.name.rsplit('.').next().unwrap_or_default();
    let traceback = format!(
        "Traceback (most recent call last):\n  File \"odoo/http.py\", line 1\n{}: {}\n",
        error.name, error.message
    );
    let (code, text) = match dialect {
        Dialect::Numbered => {
            let code = match class {
                "RedirectWarning" | "MissingError" | "UserError" | "ValidationError" | "LockError" => 2,
                "AccessError" => 4,
                "AccessDenied" => 3,
                _ => 1,
            };
            let text = if code == 1 { traceback } else { error.message.clone() };
            (Value::from(code), text)
        }
        Dialect::Legacy => match class {
            "AccessDenied" => (Value::from("AccessDenied"), error.message.clone()),
            "RedirectWarning" | "MissingError" | "AccessError" | "UserError" | "ValidationError" | "LockError" => {
                let shown = if matches!(class, "RedirectWarning") {
                    "Warning"
                } else if matches!(class, "ValidationError" | "LockError") {
                    "UserError"
                } else {
                    class
                };
                (
                    Value::from(format!("warning -- {shown}\n\n{}", error.message)),
                    String::new(),
                )
            }
            _ => (Value::from(error.message.clone()), traceback),
        },
    };
    let mut members = Map::new();
    members.insert("faultCode".into(), code);
    members.insert("faultString".into(), Value::String(text));
    let mut body = String::new();
    let _ = write_value(&Value::Object(members), &mut body);
    format!("<?xml version='1.0'?>\n<methodResponse>\n<fault>\n{body}\n</fault>\n</methodResponse>\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_parse_with_every_type() {
        let xml = br#"<?xml version="1.0"?><methodCall><methodName>execute_kw</methodName><params>
            <param><value><string>db</string></value></param>
            <param><value><int>2</int></value></param>
            <param><value>bare &amp; text</value></param>
            <param><value><array><data><value><array><data><value><array><data>
                <value><string>quantity</string></value><value><string>&gt;</string></value><value><double>1.5</double></value>
            </data></array></value></data></array></value></data></array></value></param>
            <param><value><struct><member><name>limit</name><value><i4>5</i4></value></member>
                <member><name>flag</name><value><boolean>1</boolean></value></member>
                <member><name>at</name><value><dateTime.iso8601>20250103T10:11:12</dateTime.iso8601></value></member>
                <member><name>none</name><value><nil/></value></member></struct></value></param>
            </params></methodCall>"#;
        let call = parse_call(xml).unwrap();
        assert_eq!(call.method, "execute_kw");
        assert_eq!(call.params[2], Value::String("bare & text".into()));
        assert_eq!(call.params[3], serde_json::json!([[["quantity", ">", 1.5]]]));
        assert_eq!(
            call.params[4],
            serde_json::json!({"limit": 5, "flag": true, "at": "2025-01-03 10:11:12", "none": null})
        );
    }

    #[test]
    fn none_results_are_fault_1_and_faults_follow_the_dialect() {
        assert!(response(None, Dialect::Numbered).contains("<int>1</int>"));
        let denied = SimError::access_denied();
        assert!(fault(&denied, Dialect::Numbered).contains("<int>3</int>"));
        assert!(fault(&denied, Dialect::Legacy).contains("<string>AccessDenied</string>"));
        let user = SimError::user("No <way>");
        assert!(fault(&user, Dialect::Legacy).contains("warning -- UserError\n\nNo &lt;way&gt;"));
    }
}
