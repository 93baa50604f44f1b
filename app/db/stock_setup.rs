//! Tenant query module of the stock setup an admin edits (DESIGN §2.1): location groups and the Odoo
//! locations they hold, sales channels with their sources and buffers, quarantine locations, and the
//! settings the figures use. Every change marks the scopes stale (triggers of tenant migration 000008)
//! and the setup as configured, so that it is never derived from Odoo's warehouses again.

use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait as _, ActiveValue::Set, ColumnTrait as _, DbErr, EntityTrait, QueryFilter as _, QueryOrder as _,
};
use uuid::Uuid;

use super::entities::{
    location_group, location_group_location, odoo_stock_location, quarantine_location, sales_channel,
    sales_channel_source, settings,
};
use super::tenancy::TenantTxn;

/// A location an admin can put in a group, a channel or quarantine: internal ones and the views
/// above them (a warehouse's view holds all of it).
#[derive(Debug, Clone)]
pub struct Choosable {
    pub id: i64,
    pub name: String,
    pub usage: String,
}

pub async fn choosable_locations(tx: &TenantTxn) -> Result<Vec<Choosable>, DbErr> {
    Ok(odoo_stock_location::Entity::find()
        .filter(odoo_stock_location::Column::OdooDeletedAt.is_null())
        .filter(odoo_stock_location::Column::Usage.is_in(["internal", "view"]))
        .order_by_asc(odoo_stock_location::Column::CompleteName)
        .all(tx)
        .await?
        .into_iter()
        .map(|l| Choosable {
            id: l.odoo_id,
            name: l
                .complete_name
                .or(l.name)
                .unwrap_or_else(|| format!("location {}", l.odoo_id)),
            usage: l.usage.unwrap_or_default(),
        })
        .collect())
}

/// The locations of every group, by group.
pub async fn group_locations(tx: &TenantTxn) -> Result<HashMap<Uuid, Vec<i64>>, DbErr> {
    let mut by_group: HashMap<Uuid, Vec<i64>> = HashMap::new();
    for row in location_group_location::Entity::find().all(tx).await? {
        by_group.entry(row.group_id).or_default().push(row.location_id);
    }
    Ok(by_group)
}

pub async fn channels(tx: &TenantTxn) -> Result<Vec<sales_channel::Model>, DbErr> {
    sales_channel::Entity::find()
        .order_by_asc(sales_channel::Column::Name)
        .all(tx)
        .await
}

/// The sources of every channel, by channel.
pub async fn channel_sources(tx: &TenantTxn) -> Result<HashMap<Uuid, Vec<i64>>, DbErr> {
    let mut by_channel: HashMap<Uuid, Vec<i64>> = HashMap::new();
    for row in sales_channel_source::Entity::find().all(tx).await? {
        by_channel.entry(row.channel_id).or_default().push(row.location_id);
    }
    Ok(by_channel)
}

pub async fn quarantine(tx: &TenantTxn) -> Result<Vec<i64>, DbErr> {
    Ok(quarantine_location::Entity::find()
        .all(tx)
        .await?
        .into_iter()
        .map(|q| q.location_id)
        .collect())
}

/// Whether every id names a location the mirror holds (and Odoo has not deleted).
pub async fn locations_exist(tx: &TenantTxn, ids: &[i64]) -> Result<bool, DbErr> {
    use sea_orm::PaginatorTrait as _;
    if ids.is_empty() {
        return Ok(true);
    }
    let found = odoo_stock_location::Entity::find()
        .filter(odoo_stock_location::Column::OdooId.is_in(ids.iter().copied()))
        .filter(odoo_stock_location::Column::OdooDeletedAt.is_null())
        .count(tx)
        .await?;
    Ok(found == ids.len() as u64)
}

async fn mark_configured(tx: &TenantTxn) -> Result<(), DbErr> {
    settings::Entity::update_many()
        .set(settings::ActiveModel {
            locations_configured: Set(true),
            ..Default::default()
        })
        .filter(settings::Column::Id.eq(1i16))
        .exec(tx)
        .await?;
    Ok(())
}

/// A group as an admin saves it.
#[derive(Debug, Clone)]
pub struct GroupInput {
    pub name: String,
    pub kind: String,
    pub parent_id: Option<Uuid>,
    pub locations: Vec<i64>,
}

/// Creates (`id` None) or replaces a group with its locations; returns its id.
pub async fn save_group(tx: &TenantTxn, id: Option<Uuid>, input: &GroupInput) -> Result<Uuid, DbErr> {
    let now = chrono::Utc::now();
    let id = match id {
        Some(id) => {
            location_group::ActiveModel {
                id: Set(id),
                name: Set(input.name.clone()),
                kind: Set(input.kind.clone()),
                parent_id: Set(input.parent_id),
                updated_at: Set(now),
                ..Default::default()
            }
            .update(tx)
            .await?;
            location_group_location::Entity::delete_many()
                .filter(location_group_location::Column::GroupId.eq(id))
                .exec(tx)
                .await?;
            id
        }
        None => {
            let id = Uuid::new_v4();
            location_group::ActiveModel {
                id: Set(id),
                name: Set(input.name.clone()),
                kind: Set(input.kind.clone()),
                parent_id: Set(input.parent_id),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(tx)
            .await?;
            id
        }
    };
    if !input.locations.is_empty() {
        location_group_location::Entity::insert_many(input.locations.iter().map(|l| {
            location_group_location::ActiveModel {
                group_id: Set(id),
                location_id: Set(*l),
            }
        }))
        .exec_without_returning(tx)
        .await?;
    }
    mark_configured(tx).await?;
    Ok(id)
}

/// Deletes a group (its locations go with it; groups below it lose their parent); whether it existed.
pub async fn delete_group(tx: &TenantTxn, id: Uuid) -> Result<bool, DbErr> {
    let gone = location_group::Entity::delete_by_id(id).exec(tx).await?.rows_affected > 0;
    mark_configured(tx).await?;
    Ok(gone)
}

/// A channel as an admin saves it.
#[derive(Debug, Clone)]
pub struct ChannelInput {
    pub name: String,
    pub buffer_kind: String,
    pub buffer_value: f64,
    pub sources: Vec<i64>,
}

/// Creates (`id` None) or replaces a channel with its sources; returns its id.
pub async fn save_channel(tx: &TenantTxn, id: Option<Uuid>, input: &ChannelInput) -> Result<Uuid, DbErr> {
    let now = chrono::Utc::now();
    let id = match id {
        Some(id) => {
            sales_channel::ActiveModel {
                id: Set(id),
                name: Set(input.name.clone()),
                buffer_kind: Set(input.buffer_kind.clone()),
                buffer_value: Set(input.buffer_value),
                updated_at: Set(now),
                ..Default::default()
            }
            .update(tx)
            .await?;
            sales_channel_source::Entity::delete_many()
                .filter(sales_channel_source::Column::ChannelId.eq(id))
                .exec(tx)
                .await?;
            id
        }
        None => {
            let id = Uuid::new_v4();
            sales_channel::ActiveModel {
                id: Set(id),
                name: Set(input.name.clone()),
                buffer_kind: Set(input.buffer_kind.clone()),
                buffer_value: Set(input.buffer_value),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(tx)
            .await?;
            id
        }
    };
    if !input.sources.is_empty() {
        sales_channel_source::Entity::insert_many(input.sources.iter().map(|l| sales_channel_source::ActiveModel {
            channel_id: Set(id),
            location_id: Set(*l),
        }))
        .exec_without_returning(tx)
        .await?;
    }
    mark_configured(tx).await?;
    Ok(id)
}

pub async fn delete_channel(tx: &TenantTxn, id: Uuid) -> Result<bool, DbErr> {
    let gone = sales_channel::Entity::delete_by_id(id).exec(tx).await?.rows_affected > 0;
    mark_configured(tx).await?;
    Ok(gone)
}

/// Replaces the quarantine locations.
pub async fn save_quarantine(tx: &TenantTxn, locations: &[i64]) -> Result<(), DbErr> {
    quarantine_location::Entity::delete_many().exec(tx).await?;
    if !locations.is_empty() {
        quarantine_location::Entity::insert_many(
            locations
                .iter()
                .map(|l| quarantine_location::ActiveModel { location_id: Set(*l) }),
        )
        .exec_without_returning(tx)
        .await?;
    }
    mark_configured(tx).await
}

/// The settings the figures use.
#[derive(Debug, Clone, PartialEq)]
pub struct FigureSettings {
    pub time_zone: String,
    pub currency: String,
    pub sales_window_days: i32,
    pub low_cover_days: f64,
    pub overstock_cover_days: f64,
}

pub async fn save_settings(tx: &TenantTxn, input: &FigureSettings) -> Result<(), DbErr> {
    settings::Entity::update_many()
        .set(settings::ActiveModel {
            time_zone: Set(input.time_zone.clone()),
            currency: Set(input.currency.clone()),
            sales_window_days: Set(input.sales_window_days),
            low_cover_days: Set(input.low_cover_days),
            overstock_cover_days: Set(input.overstock_cover_days),
            updated_at: Set(chrono::Utc::now()),
            ..Default::default()
        })
        .filter(settings::Column::Id.eq(1i16))
        .exec(tx)
        .await?;
    Ok(())
}
