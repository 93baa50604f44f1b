//! The page shell every page template receives as `shell`: who is signed in, in which tenant, the
//! navigation their roles allow, and the CSRF token for forms and htmx requests.

use crate::domain::account::Role;

use super::extractors::{Member, SignedIn};
use super::paths;

#[derive(Debug, Clone)]
pub struct NavLink {
    pub label: &'static str,
    pub href: String,
    pub current: bool,
}

/// Which navigation entry a page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    None,
    Overview,
    Stock,
    Sync,
    Odoo,
    StockSettings,
    Members,
    Alerts,
    Subscriptions,
    Emails,
    Account,
}

#[derive(Debug, Clone, Default)]
pub struct Shell {
    pub csrf_token: String,
    pub account_name: Option<String>,
    pub tenant_name: Option<String>,
    pub tenant_href: Option<String>,
    pub nav: Vec<NavLink>,
    pub account_current: bool,
}

impl Shell {
    /// For pages shown before sign-in and for error pages.
    pub fn anonymous() -> Self {
        Self::default()
    }

    pub fn with_csrf(csrf_token: String) -> Self {
        Self {
            csrf_token,
            ..Self::default()
        }
    }

    /// For signed-in pages outside any tenant (tenant picker, password).
    pub fn signed_in(user: &SignedIn, section: Section) -> Self {
        Self {
            csrf_token: user.csrf_token.clone(),
            account_name: Some(user.display_name.clone()),
            account_current: section == Section::Account,
            ..Self::default()
        }
    }

    /// For tenant pages: navigation by the member's roles.
    pub fn member(member: &Member, section: Section) -> Self {
        let slug = member.slug.as_str();
        let mut nav = vec![NavLink {
            label: "Overview",
            href: paths::tenant_home(slug),
            current: section == Section::Overview,
        }];
        nav.push(NavLink {
            label: "Stock",
            href: paths::stock(slug),
            current: section == Section::Stock,
        });
        nav.push(NavLink {
            label: "My alerts",
            href: paths::subscriptions(slug),
            current: section == Section::Subscriptions,
        });
        if member.roles.contains(Role::Admin) || member.roles.contains(Role::Manager) {
            nav.push(NavLink {
                label: "Sync",
                href: paths::sync(slug),
                current: section == Section::Sync,
            });
        }
        if member.roles.contains(Role::Admin) {
            nav.push(NavLink {
                label: "Odoo",
                href: paths::odoo_settings(slug),
                current: section == Section::Odoo,
            });
            nav.push(NavLink {
                label: "Stock settings",
                href: paths::stock_settings(slug),
                current: section == Section::StockSettings,
            });
            nav.push(NavLink {
                label: "Members",
                href: paths::members(slug),
                current: section == Section::Members,
            });
            nav.push(NavLink {
                label: "Alert rules",
                href: paths::alert_rules(slug),
                current: section == Section::Alerts,
            });
            nav.push(NavLink {
                label: "Emails",
                href: paths::emails(slug),
                current: section == Section::Emails,
            });
        }
        Self {
            tenant_name: Some(member.tenant_name.clone()),
            tenant_href: Some(paths::tenant_home(slug)),
            nav,
            ..Self::signed_in(&member.user, section)
        }
    }
}
