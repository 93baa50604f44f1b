//! Odoo's domain language (ODOO-API §2.2), built from typed terms and serialised to the JSON Odoo
//! expects: prefix (Polish) notation, consecutive terms AND-ed, dotted field paths.

use serde_json::{Value, json};

/// A comparison operator of a domain leaf.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    /// `=?`: true when the value is unset, otherwise `=`.
    EqIfSet,
    /// `=like` / `=ilike`: a raw SQL pattern (`_`, `%`).
    RawLike,
    RawIlike,
    /// `like` / `ilike` and their negations: the value is wrapped in `%…%`.
    Like,
    Ilike,
    NotLike,
    NotIlike,
    In,
    NotIn,
    ChildOf,
    ParentOf,
    /// `any` / `not any` (Odoo 17+): a sub-domain on a relational field.
    Any,
    NotAny,
}

impl Op {
    pub const ALL: [Op; 19] = [
        Op::Eq,
        Op::Ne,
        Op::Gt,
        Op::Ge,
        Op::Lt,
        Op::Le,
        Op::EqIfSet,
        Op::RawLike,
        Op::RawIlike,
        Op::Like,
        Op::Ilike,
        Op::NotLike,
        Op::NotIlike,
        Op::In,
        Op::NotIn,
        Op::ChildOf,
        Op::ParentOf,
        Op::Any,
        Op::NotAny,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::EqIfSet => "=?",
            Op::RawLike => "=like",
            Op::RawIlike => "=ilike",
            Op::Like => "like",
            Op::Ilike => "ilike",
            Op::NotLike => "not like",
            Op::NotIlike => "not ilike",
            Op::In => "in",
            Op::NotIn => "not in",
            Op::ChildOf => "child_of",
            Op::ParentOf => "parent_of",
            Op::Any => "any",
            Op::NotAny => "not any",
        }
    }

    pub fn parse(text: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|op| op.as_str() == text)
    }
}

/// A domain: a list of items in prefix notation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Domain(Vec<Item>);

#[derive(Debug, Clone, PartialEq)]
enum Item {
    And,
    Or,
    Not,
    Leaf(String, Op, Value),
}

impl Domain {
    /// The empty domain: every record.
    pub fn all() -> Self {
        Self(Vec::new())
    }

    /// A single leaf `[path, op, value]`.
    pub fn leaf(path: &str, op: Op, value: impl Into<Value>) -> Self {
        Self(vec![Item::Leaf(path.to_string(), op, value.into())])
    }

    /// `[path, any/not any, sub-domain]`.
    pub fn any(path: &str, sub: Domain, negate: bool) -> Self {
        let op = if negate { Op::NotAny } else { Op::Any };
        Self(vec![Item::Leaf(path.to_string(), op, sub.to_json())])
    }

    /// Adds a leaf, AND-ed with what is there (Odoo's implicit AND of consecutive terms).
    pub fn and_leaf(mut self, path: &str, op: Op, value: impl Into<Value>) -> Self {
        self.0.push(Item::Leaf(path.to_string(), op, value.into()));
        self
    }

    /// `self AND other`.
    pub fn and(self, other: Domain) -> Self {
        Self::combine(Item::And, self, other)
    }

    /// `self OR other`.
    pub fn or(self, other: Domain) -> Self {
        Self::combine(Item::Or, self, other)
    }

    /// `NOT self`.
    pub fn negate(self) -> Self {
        let mut items = vec![Item::Not];
        items.extend(self.normalised().0);
        Self(items)
    }

    fn combine(operator: Item, left: Domain, right: Domain) -> Self {
        match (left.0.is_empty(), right.0.is_empty()) {
            // The empty domain is "true": true AND x = x; true OR x = true.
            (true, _) if operator == Item::And => right,
            (_, true) if operator == Item::And => left,
            (true, _) | (_, true) => Domain::all(),
            _ => {
                let mut items = vec![operator];
                items.extend(left.normalised().0);
                items.extend(right.normalised().0);
                Self(items)
            }
        }
    }

    /// The same domain with its implicit ANDs made explicit, so it can be nested as one operand.
    fn normalised(self) -> Self {
        let mut expressions = 0usize;
        let mut pending = 0usize;
        for item in &self.0 {
            match item {
                Item::And | Item::Or => pending += 1,
                Item::Not => {}
                Item::Leaf(..) => {
                    if pending > 0 {
                        pending -= 1;
                    } else {
                        expressions += 1;
                    }
                }
            }
        }
        if expressions <= 1 {
            return self;
        }
        let mut items = vec![Item::And; expressions - 1];
        items.extend(self.0);
        Self(items)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The JSON Odoo reads: `[["state","=","done"], "|", …]`.
    pub fn to_json(&self) -> Value {
        Value::Array(
            self.0
                .iter()
                .map(|item| match item {
                    Item::And => json!("&"),
                    Item::Or => json!("|"),
                    Item::Not => json!("!"),
                    Item::Leaf(path, op, value) => json!([path, op.as_str(), value]),
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaves_are_and_ed_implicitly_and_combined_in_prefix_notation() {
        let d = Domain::leaf("state", Op::Eq, "done").and_leaf("location_id.usage", Op::In, json!(["internal"]));
        assert_eq!(
            d.to_json(),
            json!([["state", "=", "done"], ["location_id.usage", "in", ["internal"]]])
        );
        let either = Domain::leaf("a", Op::Eq, 1).or(Domain::leaf("b", Op::Eq, 2));
        let combined = d.and(either);
        assert_eq!(
            combined.to_json(),
            json!([
                "&",
                "&",
                ["state", "=", "done"],
                ["location_id.usage", "in", ["internal"]],
                "|",
                ["a", "=", 1],
                ["b", "=", 2]
            ])
        );
        assert_eq!(
            Domain::leaf("x", Op::Eq, false).negate().to_json(),
            json!(["!", ["x", "=", false]])
        );
    }

    #[test]
    fn the_empty_domain_is_true() {
        let x = Domain::leaf("x", Op::Gt, 1);
        assert_eq!(Domain::all().and(x.clone()), x);
        assert_eq!(Domain::all().or(x), Domain::all());
    }

    #[test]
    fn every_operator_round_trips_through_its_text() {
        for op in Op::ALL {
            assert_eq!(Op::parse(op.as_str()), Some(op));
        }
        let any = Domain::any("move_ids", Domain::leaf("state", Op::Eq, "done"), false);
        assert_eq!(any.to_json(), json!([["move_ids", "any", [["state", "=", "done"]]]]));
    }
}
