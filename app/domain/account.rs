//! Accounts and what a membership allows: email addresses, roles and role sets.

use std::fmt;
use std::str::FromStr;

/// A normalised email address (trimmed, lowercase). Only a shape check: delivery proves the rest.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an email address")]
pub struct InvalidEmail(pub String);

impl EmailAddress {
    pub fn parse(text: &str) -> Result<Self, InvalidEmail> {
        let normalised = text.trim().to_lowercase();
        let valid = normalised.len() <= 254
            && normalised.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
            })
            && !normalised.chars().any(|c| c.is_whitespace() || c.is_control());
        if valid {
            Ok(Self(normalised))
        } else {
            Err(InvalidEmail(text.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a member may do in a tenant (DESIGN §1). A membership holds a set of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Viewer,
    Manager,
    Steward,
    Finance,
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::Viewer, Role::Manager, Role::Steward, Role::Finance, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Manager => "manager",
            Role::Steward => "steward",
            Role::Finance => "finance",
            Role::Admin => "admin",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Viewer => "Viewer",
            Role::Manager => "Manager",
            Role::Steward => "Data steward",
            Role::Finance => "Finance",
            Role::Admin => "Tenant admin",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a role (viewer, manager, steward, finance, admin)")]
pub struct InvalidRole(pub String);

impl FromStr for Role {
    type Err = InvalidRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| InvalidRole(s.to_string()))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A non-empty set of roles, kept sorted and without repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleSet(Vec<Role>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidRoleSet {
    #[error("choose at least one role")]
    Empty,
    #[error(transparent)]
    Unknown(#[from] InvalidRole),
}

impl RoleSet {
    pub fn new(roles: impl IntoIterator<Item = Role>) -> Result<Self, InvalidRoleSet> {
        let mut roles: Vec<Role> = roles.into_iter().collect();
        roles.sort();
        roles.dedup();
        if roles.is_empty() {
            Err(InvalidRoleSet::Empty)
        } else {
            Ok(Self(roles))
        }
    }

    /// Parses `viewer,manager` (the CLI form) or the names stored in the database.
    pub fn parse<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Self, InvalidRoleSet> {
        let roles = names
            .into_iter()
            .filter(|n| !n.trim().is_empty())
            .map(Role::from_str)
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(roles)
    }

    pub fn contains(&self, role: Role) -> bool {
        self.0.contains(&role)
    }

    pub fn iter(&self) -> impl Iterator<Item = Role> + '_ {
        self.0.iter().copied()
    }

    pub fn names(&self) -> Vec<String> {
        self.0.iter().map(|r| r.as_str().to_string()).collect()
    }
}

impl fmt::Display for RoleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let labels: Vec<&str> = self.0.iter().map(|r| r.label()).collect();
        f.write_str(&labels.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_shapes_checked() {
        assert_eq!(
            EmailAddress::parse("  Ana@Example.COM ").unwrap().as_str(),
            "ana@example.com"
        );
        for bad in [
            "",
            "ana",
            "ana@",
            "@example.com",
            "ana@example",
            "a b@example.com",
            "ana@.com",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn role_sets_are_sorted_deduplicated_and_never_empty() {
        let set = RoleSet::parse("admin,viewer,admin".split(',')).unwrap();
        assert_eq!(set.names(), vec!["viewer", "admin"]);
        assert_eq!(RoleSet::parse("".split(',')), Err(InvalidRoleSet::Empty));
        assert!(RoleSet::parse(["root"]).is_err());
    }
}
