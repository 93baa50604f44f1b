//! Stock settings (tenant admins, `/t/<slug>/settings/stock`): the time zone, currency, sales window
//! and days-of-cover bounds the figures use; location groups (stores, warehouses, the web shop,
//! regions) and the Odoo locations they hold; sales channels with their source locations and safety
//! buffer; quarantine locations. Until an admin saves any of it, the setup is the one derived from
//! Odoo's warehouses. Every change is audited, and queues a refresh of the stock figures.

use std::collections::HashSet;

use actix_web::http::{StatusCode, header};
use actix_web::web::{self, ServiceConfig};
use actix_web::{HttpResponse, get, post};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;
use uuid::Uuid;

use crate::db::entities::{location_group, settings};
use crate::db::stock_setup::{self, ChannelInput, Choosable, FigureSettings, GroupInput};
use crate::db::tenancy::{TenantTxn, with_tenant};
use crate::db::{audit, location_groups};

use super::AppState;
use super::auth::render;
use super::errors::AppError;
use super::extractors::{AdminRole, Authorized, Member, parse_form};
use super::paths;
use super::shell::{Section, Shell};

const GROUP_KINDS: [(&str, &str); 4] = [
    ("store", "Store"),
    ("warehouse", "Warehouse"),
    ("web_shop", "Web shop"),
    ("region", "Region"),
];

pub struct Choice {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

pub struct GroupRow {
    pub name: String,
    pub kind: String,
    pub region: String,
    pub locations: String,
    pub edit_href: String,
}

pub struct ChannelRow {
    pub name: String,
    pub buffer: String,
    pub sources: String,
    pub edit_href: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/settings/stock.html")]
pub struct StockSettingsPage {
    pub shell: Shell,
    pub notice: Option<String>,
    pub error: Option<String>,
    pub general_action: String,
    pub time_zone: String,
    pub currency: String,
    pub sales_window_days: String,
    pub low_cover_days: String,
    pub overstock_cover_days: String,
    pub derived: bool,
    pub groups: Vec<GroupRow>,
    pub new_group_href: String,
    pub channels: Vec<ChannelRow>,
    pub new_channel_href: String,
    pub quarantine_action: String,
    pub quarantine: Vec<Choice>,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/settings/stock_group.html")]
pub struct GroupPage {
    pub shell: Shell,
    pub title: String,
    pub action: String,
    pub delete_action: Option<String>,
    pub back: String,
    pub error: Option<String>,
    pub name: String,
    pub kinds: Vec<Choice>,
    pub regions: Vec<Choice>,
    pub locations: Vec<Choice>,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/settings/stock_channel.html")]
pub struct ChannelPage {
    pub shell: Shell,
    pub title: String,
    pub action: String,
    pub delete_action: Option<String>,
    pub back: String,
    pub error: Option<String>,
    pub name: String,
    pub percent: bool,
    pub buffer_value: String,
    pub locations: Vec<Choice>,
}

#[derive(Deserialize, Default)]
struct NoticeQuery {
    saved: Option<String>,
}

fn names_of(ids: &[i64], locations: &[Choosable]) -> String {
    let names: Vec<&str> = ids
        .iter()
        .map(|id| {
            locations
                .iter()
                .find(|l| l.id == *id)
                .map_or("(gone from Odoo)", |l| l.name.as_str())
        })
        .collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

fn location_choices(locations: &[Choosable], chosen: &HashSet<i64>, internal_only: bool) -> Vec<Choice> {
    locations
        .iter()
        .filter(|l| !internal_only || l.usage == "internal")
        .map(|l| Choice {
            value: l.id.to_string(),
            label: if l.usage == "view" {
                format!("{} (all of it)", l.name)
            } else {
                l.name.clone()
            },
            checked: chosen.contains(&l.id),
        })
        .collect()
}

fn to_settings(slug: &str, saved: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            format!("{}?saved={saved}", paths::stock_settings(slug)),
        ))
        .finish()
}

/// Audits a change and queues the refresh that brings the figures in line with it, in the change's
/// transaction.
async fn after_change(
    tx: &TenantTxn,
    member: &Member,
    action: &str,
    subject: &str,
    details: serde_json::Value,
) -> Result<(), AppError> {
    audit::record(tx, &member.user.actor(), action, subject, details).await?;
    crate::jobs::enqueue(tx, &crate::sync::positions::job(member.tenant)).await?;
    Ok(())
}

#[get("/t/{slug}/settings/stock")]
async fn index(
    state: web::Data<AppState>,
    admin: Authorized<AdminRole>,
    query: web::Query<NoticeQuery>,
) -> Result<StockSettingsPage, AppError> {
    let notice = query.saved.as_deref().map(|what| {
        format!("Saved {what}. The stock figures are being recomputed; they follow within a minute or two.")
    });
    settings_page(&state, &admin, notice, None, None).await
}

async fn settings_page(
    state: &AppState,
    admin: &Member,
    notice: Option<String>,
    error: Option<String>,
    typed: Option<&GeneralForm>,
) -> Result<StockSettingsPage, AppError> {
    use sea_orm::EntityTrait as _;
    let slug = admin.slug.as_str();
    let (settings, groups, group_locations, channels, sources, quarantine, locations) =
        with_tenant(&state.db, admin.tenant, async |tx| {
            let settings = settings::Entity::find_by_id(1_i16)
                .one(tx)
                .await?
                .ok_or_else(|| AppError::Internal("tenant settings row missing".into()))?;
            Ok::<_, AppError>((
                settings,
                location_groups::list(tx).await?,
                stock_setup::group_locations(tx).await?,
                stock_setup::channels(tx).await?,
                stock_setup::channel_sources(tx).await?,
                stock_setup::quarantine(tx).await?,
                stock_setup::choosable_locations(tx).await?,
            ))
        })
        .await?;
    let kind_label = |kind: &str| {
        GROUP_KINDS
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or_else(|| kind.to_string(), |(_, l)| (*l).to_string())
    };
    let quarantined: HashSet<i64> = quarantine.into_iter().collect();
    let text = |typed: Option<&str>, stored: String| typed.map_or(stored, str::to_string);
    Ok(StockSettingsPage {
        shell: Shell::member(admin, Section::StockSettings),
        notice,
        error,
        general_action: format!("{}/general", paths::stock_settings(slug)),
        time_zone: text(typed.map(|t| t.time_zone.as_str()), settings.time_zone.clone()),
        currency: text(typed.map(|t| t.currency.as_str()), settings.currency.clone()),
        sales_window_days: text(
            typed.map(|t| t.sales_window_days.as_str()),
            settings.sales_window_days.to_string(),
        ),
        low_cover_days: text(
            typed.map(|t| t.low_cover_days.as_str()),
            settings.low_cover_days.to_string(),
        ),
        overstock_cover_days: text(
            typed.map(|t| t.overstock_cover_days.as_str()),
            settings.overstock_cover_days.to_string(),
        ),
        derived: !settings.locations_configured,
        groups: groups
            .iter()
            .map(|g| GroupRow {
                name: g.name.clone(),
                kind: kind_label(&g.kind),
                region: g
                    .parent_id
                    .and_then(|p| groups.iter().find(|r| r.id == p))
                    .map(|r| r.name.clone())
                    .unwrap_or_default(),
                locations: names_of(group_locations.get(&g.id).map_or(&[][..], Vec::as_slice), &locations),
                edit_href: paths::stock_settings_group(slug, &g.id.to_string()),
            })
            .collect(),
        new_group_href: paths::stock_settings_group(slug, "new"),
        channels: channels
            .iter()
            .map(|c| ChannelRow {
                name: c.name.clone(),
                buffer: match c.buffer_kind.as_str() {
                    "percent" => format!("{}%", super::format::quantity(c.buffer_value)),
                    _ => format!("{} per SKU", super::format::quantity(c.buffer_value)),
                },
                sources: names_of(sources.get(&c.id).map_or(&[][..], Vec::as_slice), &locations),
                edit_href: paths::stock_settings_channel(slug, &c.id.to_string()),
            })
            .collect(),
        new_channel_href: paths::stock_settings_channel(slug, "new"),
        quarantine_action: format!("{}/quarantine", paths::stock_settings(slug)),
        quarantine: location_choices(&locations, &quarantined, true),
    })
}

#[derive(Deserialize, Default)]
struct GeneralForm {
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    sales_window_days: String,
    #[serde(default)]
    low_cover_days: String,
    #[serde(default)]
    overstock_cover_days: String,
}

impl GeneralForm {
    fn check(&self) -> Result<FigureSettings, String> {
        let time_zone = self.time_zone.trim();
        if time_zone.parse::<chrono_tz::Tz>().is_err() {
            return Err(format!(
                "{time_zone:?} is not a time zone: use an IANA name such as Europe/Paris or America/New_York."
            ));
        }
        let currency = self.currency.trim().to_uppercase();
        if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
            return Err("The currency is a three-letter ISO code, such as EUR or USD.".into());
        }
        let window: i32 = self
            .sales_window_days
            .trim()
            .parse()
            .ok()
            .filter(|d| (1..=365).contains(d))
            .ok_or("The sales window is a whole number of days from 1 to 365.")?;
        let days = |text: &str, what: &str| {
            text.trim()
                .parse::<f64>()
                .ok()
                .filter(|d| d.is_finite() && (0.0..=3650.0).contains(d))
                .ok_or(format!("{what} is a number of days from 0 to 3650."))
        };
        let low = days(&self.low_cover_days, "Low below")?;
        let over = days(&self.overstock_cover_days, "Overstock above")?;
        if over <= low {
            return Err("Overstock above must be more days of cover than low below.".into());
        }
        Ok(FigureSettings {
            time_zone: time_zone.to_string(),
            currency,
            sales_window_days: window,
            low_cover_days: low,
            overstock_cover_days: over,
        })
    }
}

#[post("/t/{slug}/settings/stock/general")]
async fn save_general(
    state: web::Data<AppState>,
    admin: Authorized<AdminRole>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form: GeneralForm = parse_form(&body)?;
    let chosen = match form.check() {
        Ok(chosen) => chosen,
        Err(why) => {
            let page = settings_page(&state, &admin, None, Some(why), Some(&form)).await?;
            return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    with_tenant(&state.db, admin.tenant, async |tx| {
        stock_setup::save_settings(tx, &chosen).await?;
        let details = serde_json::json!({
            "time_zone": chosen.time_zone, "currency": chosen.currency,
            "sales_window_days": chosen.sales_window_days, "low_cover_days": chosen.low_cover_days,
            "overstock_cover_days": chosen.overstock_cover_days,
        });
        after_change(tx, &admin, "stock_settings.updated", "figures", details).await
    })
    .await?;
    Ok(to_settings(admin.slug.as_str(), "the figures' settings"))
}

/// Location ids from a form's checkboxes; anything else is refused.
fn location_ids(values: &[String]) -> Result<Vec<i64>, String> {
    let mut ids = values
        .iter()
        .map(|v| {
            v.parse::<i64>()
                .map_err(|_| "One of the chosen locations is not valid.".to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// `new`, or the uuid of an existing row (404 otherwise).
fn existing_or_new(text: &str) -> Result<Option<Uuid>, AppError> {
    if text == "new" {
        Ok(None)
    } else {
        Uuid::parse_str(text).map(Some).map_err(|_| AppError::NotFound)
    }
}

async fn group_page(
    state: &AppState,
    admin: &Member,
    id: Option<Uuid>,
    typed: Option<(&GroupForm, String)>,
) -> Result<GroupPage, AppError> {
    let slug = admin.slug.as_str();
    let (groups, group_locations, locations) = with_tenant(&state.db, admin.tenant, async |tx| {
        Ok::<_, AppError>((
            location_groups::list(tx).await?,
            stock_setup::group_locations(tx).await?,
            stock_setup::choosable_locations(tx).await?,
        ))
    })
    .await?;
    let stored: Option<&location_group::Model> = match id {
        Some(id) => Some(groups.iter().find(|g| g.id == id).ok_or(AppError::NotFound)?),
        None => None,
    };
    let (name, kind, parent, chosen, error) = match &typed {
        Some((form, why)) => (
            form.name.clone(),
            form.kind.clone(),
            form.parent.clone(),
            location_ids(&form.location).unwrap_or_default().into_iter().collect(),
            Some(why.clone()),
        ),
        None => (
            stored.map(|g| g.name.clone()).unwrap_or_default(),
            stored.map_or("store".to_string(), |g| g.kind.clone()),
            stored
                .and_then(|g| g.parent_id)
                .map(|p| p.to_string())
                .unwrap_or_default(),
            stored
                .and_then(|g| group_locations.get(&g.id))
                .map(|l| l.iter().copied().collect::<HashSet<i64>>())
                .unwrap_or_default(),
            None,
        ),
    };
    let target = id.map_or("new".to_string(), |id| id.to_string());
    Ok(GroupPage {
        shell: Shell::member(admin, Section::StockSettings),
        title: stored.map_or("New location group".to_string(), |g| g.name.clone()),
        action: paths::stock_settings_group(slug, &target),
        delete_action: id.map(|id| format!("{}/delete", paths::stock_settings_group(slug, &id.to_string()))),
        back: paths::stock_settings(slug),
        error,
        name,
        kinds: GROUP_KINDS
            .iter()
            .map(|(value, label)| Choice {
                value: (*value).into(),
                label: (*label).into(),
                checked: kind == *value,
            })
            .collect(),
        regions: groups
            .iter()
            .filter(|g| g.kind == "region" && Some(g.id) != id)
            .map(|g| Choice {
                value: g.id.to_string(),
                label: g.name.clone(),
                checked: parent == g.id.to_string(),
            })
            .collect(),
        locations: location_choices(&locations, &chosen, false),
    })
}

#[get("/t/{slug}/settings/stock/groups/{id}")]
async fn group_form(
    state: web::Data<AppState>,
    admin: Authorized<AdminRole>,
    path: web::Path<(String, String)>,
) -> Result<GroupPage, AppError> {
    group_page(&state, &admin, existing_or_new(&path.1)?, None).await
}

#[derive(Deserialize, Default)]
struct GroupForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    parent: String,
    #[serde(default)]
    location: Vec<String>,
}

#[post("/t/{slug}/settings/stock/groups/{id}")]
async fn save_group(
    state: web::Data<AppState>,
    admin: Authorized<AdminRole>,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let id = existing_or_new(&path.1)?;
    let form: GroupForm = parse_form(&body)?;
    let name = form.name.trim().to_string();
    let checked = (|| {
        if name.is_empty() || name.chars().count() > 200 {
            return Err("A group's name is 1 to 200 characters.".to_string());
        }
        if !GROUP_KINDS.iter().any(|(k, _)| *k == form.kind) {
            return Err("Choose whether the group is a store, a warehouse, the web shop or a region.".into());
        }
        let parent = match form.parent.trim() {
            "" => None,
            text => Some(Uuid::parse_str(text).map_err(|_| "The chosen region is not valid.".to_string())?),
        };
        if parent.is_some() && form.kind == "region" {
            return Err("A region is not inside another region.".into());
        }
        let locations = location_ids(&form.location)?;
        Ok((parent, locations))
    })();
    let (parent, locations) = match checked {
        Ok(ok) => ok,
        Err(why) => {
            let page = group_page(&state, &admin, id, Some((&form, why))).await?;
            return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let input = GroupInput {
        name,
        kind: form.kind.clone(),
        parent_id: parent,
        locations,
    };
    let saved = with_tenant(&state.db, admin.tenant, async |tx| {
        let groups = location_groups::list(tx).await?;
        if id.is_some_and(|id| !groups.iter().any(|g| g.id == id)) {
            return Err(AppError::NotFound);
        }
        if let Some(parent) = input.parent_id
            && !groups.iter().any(|g| g.id == parent && g.kind == "region")
        {
            return Ok(Err("The chosen region no longer exists.".to_string()));
        }
        if !stock_setup::locations_exist(tx, &input.locations).await? {
            return Ok(Err("One of the chosen locations is no longer in Odoo.".to_string()));
        }
        let saved = stock_setup::save_group(tx, id, &input).await?;
        let details = serde_json::json!({
            "group_id": saved, "name": input.name, "kind": input.kind,
            "parent_id": input.parent_id, "locations": input.locations,
        });
        let action = if id.is_some() {
            "location_group.updated"
        } else {
            "location_group.created"
        };
        after_change(tx, &admin, action, &input.name, details).await?;
        Ok(Ok(()))
    })
    .await?;
    match saved {
        Ok(()) => Ok(to_settings(admin.slug.as_str(), "the location group")),
        Err(why) => {
            let page = group_page(&state, &admin, id, Some((&form, why))).await?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

#[post("/t/{slug}/settings/stock/groups/{id}/delete")]
async fn delete_group(
    state: web::Data<AppState>,
    admin: Authorized<AdminRole>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let id = Uuid::parse_str(&path.1).map_err(|_| AppError::NotFound)?;
    with_tenant(&state.db, admin.tenant, async |tx| {
        if !stock_setup::delete_group(tx, id).await? {
            return Err(AppError::NotFound);
        }
        after_change(
            tx,
            &admin,
            "location_group.deleted",
            &id.to_string(),
            serde_json::json!({"group_id": id}),
        )
        .await
    })
    .await?;
    Ok(to_settings(admin.slug.as_str(), "the deletion of the location group"))
}

async fn channel_page(
    state: &AppState,
    admin: &Member,
    id: Option<Uuid>,
    typed: Option<(&ChannelForm, String)>,
) -> Result<ChannelPage, AppError> {
    let slug = admin.slug.as_str();
    let (channels, sources, locations) = with_tenant(&state.db, admin.tenant, async |tx| {
        Ok::<_, AppError>((
            stock_setup::channels(tx).await?,
            stock_setup::channel_sources(tx).await?,
            stock_setup::choosable_locations(tx).await?,
        ))
    })
    .await?;
    let stored = match id {
        Some(id) => Some(channels.iter().find(|c| c.id == id).ok_or(AppError::NotFound)?),
        None => None,
    };
    let (name, percent, value, chosen, error) = match &typed {
        Some((form, why)) => (
            form.name.clone(),
            form.buffer_kind == "percent",
            form.buffer_value.clone(),
            location_ids(&form.location).unwrap_or_default().into_iter().collect(),
            Some(why.clone()),
        ),
        None => (
            stored.map(|c| c.name.clone()).unwrap_or_default(),
            stored.is_some_and(|c| c.buffer_kind == "percent"),
            stored.map_or("0".to_string(), |c| c.buffer_value.to_string()),
            stored
                .and_then(|c| sources.get(&c.id))
                .map(|l| l.iter().copied().collect::<HashSet<i64>>())
                .unwrap_or_default(),
            None,
        ),
    };
    let target = id.map_or("new".to_string(), |id| id.to_string());
    Ok(ChannelPage {
        shell: Shell::member(admin, Section::StockSettings),
        title: stored.map_or("New sales channel".to_string(), |c| c.name.clone()),
        action: paths::stock_settings_channel(slug, &target),
        delete_action: id.map(|id| format!("{}/delete", paths::stock_settings_channel(slug, &id.to_string()))),
        back: paths::stock_settings(slug),
        error,
        name,
        percent,
        buffer_value: value,
        locations: location_choices(&locations, &chosen, false),
    })
}

#[get("/t/{slug}/settings/stock/channels/{id}")]
async fn channel_form(
    state: web::Data<AppState>,
    admin: Authorized<AdminRole>,
    path: web::Path<(String, String)>,
) -> Result<ChannelPage, AppError> {
    channel_page(&state, &admin, existing_or_new(&path.1)?, None).await
}

#[derive(Deserialize, Default)]
struct ChannelForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    buffer_kind: String,
    #[serde(default)]
    buffer_value: String,
    #[serde(default)]
    location: Vec<String>,
}

#[post("/t/{slug}/settings/stock/channels/{id}")]
async fn save_channel(
    state: web::Data<AppState>,
    admin: Authorized<AdminRole>,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let id = existing_or_new(&path.1)?;
    let form: ChannelForm = parse_form(&body)?;
    let name = form.name.trim().to_string();
    let checked = (|| {
        if name.is_empty() || name.chars().count() > 200 {
            return Err("A channel's name is 1 to 200 characters.".to_string());
        }
        let kind = match form.buffer_kind.as_str() {
            "units" | "percent" => form.buffer_kind.clone(),
            _ => return Err("Choose a buffer in units per SKU or in percent.".into()),
        };
        let value = form
            .buffer_value
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0 && (kind == "units" || *v <= 100.0))
            .ok_or("The buffer is a number from 0 (up to 100 in percent).")?;
        let sources = location_ids(&form.location)?;
        if sources.is_empty() {
            return Err("Choose at least one location the channel sells from.".into());
        }
        Ok((kind, value, sources))
    })();
    let input = match checked {
        Ok((buffer_kind, buffer_value, sources)) => ChannelInput {
            name,
            buffer_kind,
            buffer_value,
            sources,
        },
        Err(why) => {
            let page = channel_page(&state, &admin, id, Some((&form, why))).await?;
            return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let saved = with_tenant(&state.db, admin.tenant, async |tx| {
        if let Some(id) = id
            && !stock_setup::channels(tx).await?.iter().any(|c| c.id == id)
        {
            return Err(AppError::NotFound);
        }
        if !stock_setup::locations_exist(tx, &input.sources).await? {
            return Ok(Err("One of the chosen locations is no longer in Odoo.".to_string()));
        }
        let saved = stock_setup::save_channel(tx, id, &input).await?;
        let details = serde_json::json!({
            "channel_id": saved, "name": input.name, "buffer_kind": input.buffer_kind,
            "buffer_value": input.buffer_value, "sources": input.sources,
        });
        let action = if id.is_some() {
            "sales_channel.updated"
        } else {
            "sales_channel.created"
        };
        after_change(tx, &admin, action, &input.name, details).await?;
        Ok(Ok(()))
    })
    .await?;
    match saved {
        Ok(()) => Ok(to_settings(admin.slug.as_str(), "the sales channel")),
        Err(why) => {
            let page = channel_page(&state, &admin, id, Some((&form, why))).await?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

#[post("/t/{slug}/settings/stock/channels/{id}/delete")]
async fn delete_channel(
    state: web::Data<AppState>,
    admin: Authorized<AdminRole>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let id = Uuid::parse_str(&path.1).map_err(|_| AppError::NotFound)?;
    with_tenant(&state.db, admin.tenant, async |tx| {
        if !stock_setup::delete_channel(tx, id).await? {
            return Err(AppError::NotFound);
        }
        after_change(
            tx,
            &admin,
            "sales_channel.deleted",
            &id.to_string(),
            serde_json::json!({"channel_id": id}),
        )
        .await
    })
    .await?;
    Ok(to_settings(admin.slug.as_str(), "the deletion of the sales channel"))
}

#[derive(Deserialize, Default)]
struct QuarantineForm {
    #[serde(default)]
    location: Vec<String>,
}

#[post("/t/{slug}/settings/stock/quarantine")]
async fn save_quarantine(
    state: web::Data<AppState>,
    admin: Authorized<AdminRole>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form: QuarantineForm = parse_form(&body)?;
    let locations = match location_ids(&form.location) {
        Ok(ids) => ids,
        Err(why) => {
            let page = settings_page(&state, &admin, None, Some(why), None).await?;
            return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let saved = with_tenant(&state.db, admin.tenant, async |tx| {
        if !stock_setup::locations_exist(tx, &locations).await? {
            return Ok(false);
        }
        stock_setup::save_quarantine(tx, &locations).await?;
        after_change(
            tx,
            &admin,
            "quarantine.updated",
            "quarantine",
            serde_json::json!({"locations": locations}),
        )
        .await?;
        Ok::<_, AppError>(true)
    })
    .await?;
    if !saved {
        let why = "One of the chosen locations is no longer in Odoo.".to_string();
        let page = settings_page(&state, &admin, None, Some(why), None).await?;
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    Ok(to_settings(admin.slug.as_str(), "the quarantine locations"))
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(index)
        .service(save_general)
        .service(save_quarantine)
        .service(group_form)
        .service(delete_group)
        .service(save_group)
        .service(channel_form)
        .service(delete_channel)
        .service(save_channel);
}
