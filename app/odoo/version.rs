//! Odoo versions as reported by `common.version` / `/web/version`, including Odoo Online's `saas~X.Y`.

use std::fmt;

/// A detected Odoo version: the major decides protocol and field sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OdooVersion {
    pub major: u8,
    /// The `Y` of an Odoo Online `saas~X.Y` build.
    pub saas_minor: Option<u8>,
    /// As the server wrote it (`"17.0+e"`, `"saas~18.3"`).
    pub text: String,
}

impl OdooVersion {
    /// Parses a `server_serie` / `version` string: `"17.0"`, `"17.0+e"`, `"saas~18.3"`.
    pub fn parse(text: &str) -> Option<Self> {
        let trimmed = text.trim();
        let (saas, rest) = match trimmed.strip_prefix("saas~") {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        let major: u8 = digits.parse().ok()?;
        let after = &rest[digits.len()..];
        let minor: Option<u8> = after
            .strip_prefix('.')
            .map(|m| m.chars().take_while(|c| c.is_ascii_digit()).collect::<String>())
            .and_then(|m| m.parse().ok());
        Some(Self {
            major,
            saas_minor: if saas { minor.filter(|m| *m > 0) } else { None },
            text: trimmed.to_string(),
        })
    }

    /// A plain major release, for tests and the simulator.
    pub fn major(major: u8) -> Self {
        Self {
            major,
            saas_minor: None,
            text: format!("{major}.0"),
        }
    }

    /// Whether TrueStock supports it (16 to 19, and Odoo Online builds in between and after).
    pub fn is_supported(&self) -> bool {
        self.major >= 16
    }

    /// 19 and later are spoken to over JSON-2; 16–18 over JSON-RPC (ODOO-API §1.1).
    pub fn uses_json2(&self) -> bool {
        self.major >= 19
    }
}

impl fmt::Display for OdooVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn majors_and_saas_builds_parse() {
        assert_eq!(OdooVersion::parse("17.0").unwrap().major, 17);
        assert_eq!(OdooVersion::parse("16.0+e").unwrap().major, 16);
        let saas = OdooVersion::parse("saas~18.3").unwrap();
        assert_eq!((saas.major, saas.saas_minor), (18, Some(3)));
        assert!(!saas.uses_json2());
        assert!(OdooVersion::parse("saas~19.1").unwrap().uses_json2());
        assert!(OdooVersion::parse("junk").is_none());
        assert!(!OdooVersion::parse("15.0").unwrap().is_supported());
    }
}
