//! Tenant identity: the uuid that names its schema and role, and the slug that appears in URLs.

use std::fmt;

/// A tenant's id. Its schema and role names derive from it, never from anything a user typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantId(uuid::Uuid);

impl TenantId {
    pub fn new() -> Self {
        Self(uuid::Uuid::new_v4())
    }

    pub fn from_uuid(id: uuid::Uuid) -> Self {
        Self(id)
    }

    pub fn as_uuid(&self) -> uuid::Uuid {
        self.0
    }

    /// `t_<32 lowercase hex>`: the name of both the tenant's schema and its database role.
    pub fn schema_name(&self) -> String {
        format!("t_{}", self.0.simple())
    }
}

impl Default for TenantId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Whether `name` has the exact shape of a tenant schema/role name: `^t_[0-9a-f]{32}$`.
pub fn is_schema_name(name: &str) -> bool {
    name.len() == 34
        && name.starts_with("t_")
        && name[2..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The URL name of a tenant: 2–40 of `a-z 0-9 -`, starting and ending with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TenantSlug(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a tenant slug is 2 to 40 lowercase letters, digits or dashes, starting and ending with a letter or digit")]
pub struct InvalidSlug;

impl TenantSlug {
    pub fn parse(text: &str) -> Result<Self, InvalidSlug> {
        let bytes = text.as_bytes();
        let allowed = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-';
        let edge_ok = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if (2..=40).contains(&bytes.len())
            && bytes.iter().all(allowed)
            && edge_ok(bytes.first())
            && edge_ok(bytes.last())
        {
            Ok(Self(text.to_string()))
        } else {
            Err(InvalidSlug)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hostile_slugs_are_refused() {
        for bad in [
            "a,public",
            "pg_catalog",
            "x\"; drop schema",
            "PUBLIC",
            "a",
            "-ab",
            "ab-",
            "ünï",
            &"a".repeat(64),
        ] {
            assert!(TenantSlug::parse(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(TenantSlug::parse("north-retail-07").is_ok());
    }

    proptest! {
        #[test]
        fn a_parsed_slug_only_ever_holds_safe_characters(text in "\\PC{0,70}") {
            if let Ok(slug) = TenantSlug::parse(&text) {
                prop_assert!(slug.as_str().bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
                prop_assert!((2..=40).contains(&slug.as_str().len()));
            }
        }

        #[test]
        fn schema_names_come_only_from_tenant_ids(bytes in any::<[u8; 16]>()) {
            let id = TenantId::from_uuid(uuid::Uuid::from_bytes(bytes));
            prop_assert!(is_schema_name(&id.schema_name()));
        }

        #[test]
        fn only_the_exact_schema_shape_is_accepted(text in "(t_)?[0-9a-fA-F_,\" ]{0,40}") {
            let ok = text.len() == 34 && text.starts_with("t_")
                && text[2..].chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase());
            prop_assert_eq!(is_schema_name(&text), ok);
        }
    }
}
