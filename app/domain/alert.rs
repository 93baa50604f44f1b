//! Alert rules (DESIGN §2.6): their kinds, how each recipient wants them, and who a recipient is.

use std::fmt;

use uuid::Uuid;

/// What a rule watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleKind {
    /// Priority SKUs (a list or a category) whose status becomes low or out (§2.8), in a group.
    LowStock,
    /// Products below zero at some location of a group.
    NegativeStock,
    /// Syncs keep failing.
    SyncFailing,
    /// Odoo refuses the login or API key.
    CredentialInvalid,
    /// The Odoo API key expires within 14 days.
    KeyExpiring,
}

impl RuleKind {
    pub const ALL: [RuleKind; 5] = [
        RuleKind::LowStock,
        RuleKind::NegativeStock,
        RuleKind::SyncFailing,
        RuleKind::CredentialInvalid,
        RuleKind::KeyExpiring,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::LowStock => "low_stock",
            RuleKind::NegativeStock => "negative_stock",
            RuleKind::SyncFailing => "sync_failing",
            RuleKind::CredentialInvalid => "credential_invalid",
            RuleKind::KeyExpiring => "key_expiring",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            RuleKind::LowStock => "Low stock on priority SKUs",
            RuleKind::NegativeStock => "Negative stock",
            RuleKind::SyncFailing => "Sync failures",
            RuleKind::CredentialInvalid => "Odoo refuses the API key",
            RuleKind::KeyExpiring => "Odoo API key expiring",
        }
    }

    /// Whether the rule is about stock in a place (and so narrowed by a location group and by the
    /// scope of each member who receives it).
    pub fn is_about_stock(self) -> bool {
        matches!(self, RuleKind::LowStock | RuleKind::NegativeStock)
    }
}

/// How a recipient receives a rule's alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Delivery {
    #[default]
    Immediate,
    /// In one email a day, at the tenant's digest hour (its time zone).
    Digest,
    Off,
}

impl Delivery {
    pub const ALL: [Delivery; 3] = [Delivery::Immediate, Delivery::Digest, Delivery::Off];

    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Immediate => "immediate",
            Delivery::Digest => "digest",
            Delivery::Off => "off",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            Delivery::Immediate => "At once",
            Delivery::Digest => "In the daily digest",
            Delivery::Off => "Not at all",
        }
    }
}

/// Who receives an alert: a TrueStock account, or an external address named on a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Recipient {
    Account(Uuid),
    External(Uuid),
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Recipient::Account(id) => write!(f, "account:{id}"),
            Recipient::External(id) => write!(f, "external:{id}"),
        }
    }
}

impl Recipient {
    pub fn parse(text: &str) -> Option<Self> {
        let (kind, id) = text.split_once(':')?;
        let id = Uuid::parse_str(id).ok()?;
        match kind {
            "account" => Some(Recipient::Account(id)),
            "external" => Some(Recipient::External(id)),
            _ => None,
        }
    }
}

/// A list of SKUs as an admin types it: separated by commas, semicolons, spaces or lines; trimmed;
/// duplicates dropped, order kept.
pub fn parse_sku_list(text: &str) -> Vec<String> {
    let mut skus: Vec<String> = Vec::new();
    for sku in text.split(|c: char| c == ',' || c == ';' || c.is_whitespace()) {
        let sku = sku.trim();
        if !sku.is_empty() && !skus.iter().any(|s| s == sku) {
            skus.push(sku.to_string());
        }
    }
    skus
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_deliveries_and_recipients_round_trip() {
        for kind in RuleKind::ALL {
            assert_eq!(RuleKind::parse(kind.as_str()), Some(kind));
        }
        for delivery in Delivery::ALL {
            assert_eq!(Delivery::parse(delivery.as_str()), Some(delivery));
        }
        let id = Uuid::now_v7();
        for recipient in [Recipient::Account(id), Recipient::External(id)] {
            assert_eq!(Recipient::parse(&recipient.to_string()), Some(recipient));
        }
        assert_eq!(Recipient::parse("group:x"), None);
        assert_eq!(RuleKind::parse("everything"), None);
    }

    #[test]
    fn sku_lists_are_split_trimmed_and_deduplicated() {
        assert_eq!(parse_sku_list(" A-1, B-2;A-1\nC 3 "), vec!["A-1", "B-2", "C", "3"]);
        assert!(parse_sku_list(" ,; ").is_empty());
    }
}
