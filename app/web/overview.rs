//! The tenant overview (`/t/<slug>`, every member): exceptions first — negative stock, fast movers out
//! of stock, low stock with nothing incoming, overstock — ranked by the value at stake, each opening
//! its filtered stock view; tiles for stock value, products each channel cannot sell and sync
//! freshness. Every figure says how old its data is, and the page says when the data is stale (the sync
//! lagging or failing). Exceptions are counted per location group (where people act); a member scoped
//! to groups sees theirs only, and no channel. Admins also see the recent activity.

use std::collections::HashMap;

use actix_web::get;
use actix_web::web::{self, ServiceConfig};
use askama::Template;
use askama_web::WebTemplate;
use chrono::{DateTime, Utc};

use crate::db::entities::{audit_log, settings, stock_scope};
use crate::db::tenancy::with_tenant;
use crate::db::{alerts, audit, control, mirror, stock};
use crate::domain::account::Role;
use crate::domain::stock::Exception;
use crate::sync::connection::SyncSettings;

use super::AppState;
use super::errors::AppError;
use super::extractors::Member;
use super::format::{ago, money, quantity};
use super::paths;
use super::shell::{Section, Shell};
use super::stock::exception_label;

/// Rows listed under each exception.
const TOP: u64 = 5;

pub struct TopRow {
    pub href: String,
    pub product: String,
    pub place: String,
    pub on_hand: String,
    pub at_stake: String,
}

pub struct ExceptionView {
    pub label: &'static str,
    pub rows: i64,
    pub at_stake: String,
    pub href: String,
    pub top: Vec<TopRow>,
}

pub struct ChannelTile {
    pub name: String,
    pub outs: i64,
    pub href: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/tenants/overview.html")]
pub struct OverviewPage {
    pub shell: Shell,
    pub tenant_name: String,
    pub roles: String,
    pub scoped: bool,
    pub currency: String,
    pub exceptions: Vec<ExceptionView>,
    pub stock_value: String,
    pub channels: Vec<ChannelTile>,
    pub stock_href: String,
    pub figures_age: String,
    pub last_sync: String,
    /// Why the figures cannot be trusted to be current, if they cannot.
    pub stale: Option<String>,
    pub has_figures: bool,
    /// Only admins see the audit trail.
    pub recent_activity: Option<Vec<audit_log::Model>>,
}

#[get("/t/{slug}")]
async fn overview(state: web::Data<AppState>, member: Member) -> Result<OverviewPage, AppError> {
    let now = Utc::now();
    let slug = member.slug.as_str().to_string();
    let pull_every = control::find_odoo_connection(&state.db, member.tenant.as_uuid())
        .await?
        .map(|row| SyncSettings::of(&row).pull_every());
    let member_groups = member.scope_group_ids.clone();
    let is_admin = member.roles.contains(Role::Admin);
    let data = with_tenant(&state.db, member.tenant, async |tx| {
        use sea_orm::EntityTrait as _;
        let settings = settings::Entity::find_by_id(1_i16)
            .one(tx)
            .await?
            .ok_or_else(|| AppError::Internal("tenant settings row missing".into()))?;
        let scopes = stock::scopes(tx).await?;
        // Exceptions per group: the member's groups, or every group.
        let groups: Vec<&stock_scope::Model> = scopes
            .iter()
            .filter(|s| s.kind == "group")
            .filter(|s| {
                member_groups
                    .as_ref()
                    .is_none_or(|allowed| s.group_id.is_some_and(|g| allowed.contains(&g)))
            })
            .collect();
        let group_ids: Vec<i64> = groups.iter().map(|s| s.id).collect();
        let totals = stock::exception_totals(tx, &group_ids).await?;
        let mut tops = HashMap::new();
        for kind in Exception::ALL {
            tops.insert(kind, stock::top_exceptions(tx, &group_ids, kind.as_str(), TOP).await?);
        }
        // Stock value: the total, or the member's own groups.
        let value_scopes: Vec<i64> = match &member_groups {
            None => scopes.iter().filter(|s| s.kind == "total").map(|s| s.id).collect(),
            Some(_) => group_ids.clone(),
        };
        let value = stock::stock_value(tx, &value_scopes).await?;
        let outs: Vec<(i64, i64)> = if member_groups.is_none() {
            let channels: Vec<i64> = scopes.iter().filter(|s| s.kind == "channel").map(|s| s.id).collect();
            stock::summaries(tx, &channels)
                .await?
                .into_iter()
                .map(|s| (s.scope_id, s.unsellable))
                .collect()
        } else {
            Vec::new()
        };
        let refresh = stock::refresh_state(tx).await?;
        let runs = mirror::recent_runs(tx, 20).await?;
        let last_good = runs
            .iter()
            .filter(|r| matches!(r.status.as_str(), "succeeded" | "partial"))
            .find_map(|r| r.finished_at);
        let failing = alerts::open(tx)
            .await?
            .into_iter()
            .find(|a| matches!(a.kind.as_str(), "sync_failing" | "credential_invalid"))
            .map(|a| a.message);
        let activity = if is_admin {
            Some(audit::recent(tx, 10).await?)
        } else {
            None
        };
        Ok::<_, AppError>(Loaded {
            settings,
            scopes: scopes.clone(),
            totals,
            tops,
            value,
            outs,
            refreshed_at: refresh.refreshed_at,
            last_good,
            failing,
            activity,
        })
    })
    .await?;

    let names: HashMap<i64, &str> = data.scopes.iter().map(|s| (s.id, s.name.as_str())).collect();
    let currency = data.settings.currency.clone();
    let stock_filtered = |exception: Exception| {
        format!(
            "{}?by=group&exception={}&sort=at_stake&dir=desc",
            paths::stock(&slug),
            exception.as_str()
        )
    };
    let mut ranked: Vec<(f64, ExceptionView)> = Exception::ALL
        .into_iter()
        .filter_map(|kind| {
            let total = data.totals.iter().find(|t| t.exception == kind.as_str())?;
            let top = data.tops.get(&kind).into_iter().flatten();
            Some((
                total.at_stake,
                ExceptionView {
                    label: exception_label(kind),
                    rows: total.rows,
                    at_stake: money(total.at_stake),
                    href: stock_filtered(kind),
                    top: top
                        .map(|row| TopRow {
                            href: paths::product(&slug, row.product_id),
                            product: match (&row.sku, &row.name) {
                                (Some(sku), Some(name)) if !name.contains(sku.as_str()) => format!("[{sku}] {name}"),
                                (_, Some(name)) => name.clone(),
                                (Some(sku), None) => sku.clone(),
                                (None, None) => format!("product {}", row.product_id),
                            },
                            place: names.get(&row.scope_id).copied().unwrap_or_default().to_string(),
                            on_hand: quantity(row.on_hand),
                            at_stake: money(row.at_stake),
                        })
                        .collect(),
                },
            ))
        })
        .collect();
    // The most at stake first.
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
    let exceptions = ranked.into_iter().map(|(_, view)| view).collect();
    let channels = data
        .scopes
        .iter()
        .filter(|s| s.kind == "channel" && member_groups.is_none())
        .map(|s| ChannelTile {
            name: s.name.clone(),
            outs: data.outs.iter().find(|(id, _)| *id == s.id).map_or(0, |(_, n)| *n),
            href: format!(
                "{}?at=channel:{}&sort=sellable&dir=asc",
                paths::stock(&slug),
                s.channel_id.unwrap_or_default()
            ),
        })
        .collect();
    let lag_limit = pull_every.map(|every| chrono::Duration::from_std(every * 3).unwrap_or_default());
    let stale = match (&data.failing, data.last_good, lag_limit) {
        (Some(message), _, _) => Some(format!(
            "The sync with Odoo is failing, so these figures are getting older. {message}"
        )),
        (None, Some(at), Some(limit)) if now - at > limit => Some(format!(
            "The last successful sync was {}: the figures may be behind Odoo.",
            ago(Some(at), now)
        )),
        (None, None, Some(_)) => Some("No sync with Odoo has succeeded yet.".into()),
        _ => None,
    };
    Ok(OverviewPage {
        shell: Shell::member(&member, Section::Overview),
        tenant_name: member.tenant_name.clone(),
        roles: member.roles.to_string(),
        scoped: member.scope_group_ids.is_some(),
        currency,
        has_figures: data.refreshed_at.is_some(),
        exceptions,
        stock_value: money(data.value),
        channels,
        stock_href: paths::stock(&slug),
        figures_age: ago(data.refreshed_at, now),
        last_sync: ago(data.last_good, now),
        stale,
        recent_activity: data.activity,
    })
}

struct Loaded {
    settings: settings::Model,
    scopes: Vec<stock_scope::Model>,
    totals: Vec<stock::ExceptionTotal>,
    tops: HashMap<Exception, Vec<crate::db::entities::stock_position::Model>>,
    value: f64,
    outs: Vec<(i64, i64)>,
    refreshed_at: Option<DateTime<Utc>>,
    last_good: Option<DateTime<Utc>>,
    failing: Option<String>,
    activity: Option<Vec<audit_log::Model>>,
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(overview);
}
