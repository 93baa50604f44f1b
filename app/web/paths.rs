//! Every URL the app links to, built in one place (never as string literals in templates or handlers).

use uuid::Uuid;

pub fn login(next: Option<&str>) -> String {
    match next.and_then(safe_next) {
        Some(next) => format!(
            "/login?next={}",
            url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
        ),
        None => "/login".into(),
    }
}

pub const LOGOUT: &str = "/logout";
pub const TENANT_PICKER: &str = "/tenants";
pub const PASSWORD: &str = "/account/password";

pub fn tenant_home(slug: &str) -> String {
    format!("/t/{slug}")
}

pub fn stock(slug: &str) -> String {
    format!("/t/{slug}/stock")
}

pub fn product(slug: &str, product_id: i64) -> String {
    format!("/t/{slug}/stock/products/{product_id}")
}

pub fn stock_settings(slug: &str) -> String {
    format!("/t/{slug}/settings/stock")
}

/// A location group's form (`new` for a new one).
pub fn stock_settings_group(slug: &str, group: &str) -> String {
    format!("/t/{slug}/settings/stock/groups/{group}")
}

/// A sales channel's form (`new` for a new one).
pub fn stock_settings_channel(slug: &str, channel: &str) -> String {
    format!("/t/{slug}/settings/stock/channels/{channel}")
}

pub fn members(slug: &str) -> String {
    format!("/t/{slug}/settings/members")
}

pub fn alert_rules(slug: &str) -> String {
    format!("/t/{slug}/settings/alerts")
}

pub fn alert_rule_action(slug: &str, id: Uuid, action: &str) -> String {
    format!("/t/{slug}/settings/alerts/{id}/{action}")
}

/// What a member receives, and how.
pub fn subscriptions(slug: &str) -> String {
    format!("/t/{slug}/alerts")
}

pub fn emails(slug: &str) -> String {
    format!("/t/{slug}/settings/emails")
}

pub fn email_retry(slug: &str, id: Uuid) -> String {
    format!("/t/{slug}/settings/emails/{id}/retry")
}

pub fn member_invite(slug: &str) -> String {
    format!("/t/{slug}/settings/members/invite")
}

pub fn member(slug: &str, membership_id: Uuid) -> String {
    format!("/t/{slug}/settings/members/{membership_id}")
}

pub fn member_edit(slug: &str, membership_id: Uuid) -> String {
    format!("/t/{slug}/settings/members/{membership_id}/edit")
}

pub fn member_remove(slug: &str, membership_id: Uuid) -> String {
    format!("/t/{slug}/settings/members/{membership_id}/remove")
}

/// A `next` target after sign-in, accepted only as a local path (no scheme, host or `//`), so the
/// sign-in page cannot be used as an open redirect.
pub fn safe_next(next: &str) -> Option<&str> {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && next.len() <= 2000
        && !next.chars().any(|c| c.is_control() || c == '\\');
    local.then_some(next)
}

pub fn sync(slug: &str) -> String {
    format!("/t/{slug}/sync")
}

pub fn sync_status(slug: &str) -> String {
    format!("/t/{slug}/sync/status")
}

pub fn sync_now(slug: &str) -> String {
    format!("/t/{slug}/sync/now")
}

pub fn sync_job(slug: &str, id: i64, action: &str) -> String {
    format!("/t/{slug}/sync/jobs/{id}/{action}")
}

pub fn odoo_settings(slug: &str) -> String {
    format!("/t/{slug}/settings/odoo")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_targets_must_be_local_paths() {
        assert_eq!(safe_next("/t/acme/stock?q=1"), Some("/t/acme/stock?q=1"));
        for bad in ["https://evil.example", "//evil.example", "/\\evil", "evil", "/a\nb"] {
            assert_eq!(safe_next(bad), None, "{bad:?}");
        }
        assert_eq!(login(Some("//evil")), "/login");
        assert_eq!(login(Some("/t/a b")), "/login?next=%2Ft%2Fa+b");
    }
}
