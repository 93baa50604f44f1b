//! A tenant's alert rules, their recipients and subscriptions, the conditions that hold, the digest's
//! pending items, and the two stock readings the evaluation needs (SQL functions of migration 000009).

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sea_orm::sea_query::{Alias, Asterisk, Expr, ExprTrait as _, Func, OnConflict, Query, SelectStatement};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use super::entities::{
    alert_condition, alert_digest_item, alert_recipient, alert_rule, alert_subscription, odoo_product_category,
    odoo_product_product, settings,
};
use super::tenancy::TenantTxn;
use crate::domain::alert::{Delivery, Recipient};

pub async fn list(tx: &TenantTxn) -> Result<Vec<alert_rule::Model>, DbErr> {
    alert_rule::Entity::find()
        .order_by_asc(alert_rule::Column::CreatedAt)
        .all(tx)
        .await
}

pub async fn find(tx: &TenantTxn, id: Uuid) -> Result<Option<alert_rule::Model>, DbErr> {
    alert_rule::Entity::find_by_id(id).one(tx).await
}

/// A rule to create, with the people named on it.
#[derive(Debug, Clone)]
pub struct NewRule {
    pub name: String,
    pub kind: &'static str,
    pub product_ids: Option<Vec<i64>>,
    pub category_id: Option<i64>,
    pub group_id: Option<Uuid>,
    pub roles: Vec<String>,
    pub created_by_name: String,
    /// `(account id, email, name)` of accounts named on the rule.
    pub accounts: Vec<(Uuid, String, String)>,
    /// `(email, name)` of external addresses; they wait for confirmation.
    pub externals: Vec<(String, String)>,
}

/// Creates a rule; returns its id and the external recipients (id, email, name) to ask for confirmation.
pub async fn create(tx: &TenantTxn, rule: &NewRule) -> Result<(Uuid, Vec<alert_recipient::Model>), DbErr> {
    let id = Uuid::now_v7();
    let now = Utc::now();
    alert_rule::Entity::insert(alert_rule::ActiveModel {
        id: Set(id),
        name: Set(rule.name.clone()),
        kind: Set(rule.kind.to_string()),
        product_ids: Set(rule.product_ids.clone()),
        category_id: Set(rule.category_id),
        group_id: Set(rule.group_id),
        recipient_roles: Set(rule.roles.clone()),
        enabled: Set(true),
        created_by_name: Set(rule.created_by_name.clone()),
        created_at: Set(now),
    })
    .exec_without_returning(tx)
    .await?;
    let mut externals = Vec::new();
    let named = rule
        .accounts
        .iter()
        .map(|(account, email, name)| (Some(*account), email, name, Some(now)))
        .chain(rule.externals.iter().map(|(email, name)| (None, email, name, None)));
    for (account_id, email, name, confirmed_at) in named {
        let recipient = alert_recipient::Model {
            id: Uuid::now_v7(),
            rule_id: id,
            account_id,
            email: email.clone(),
            name: name.clone(),
            confirmed_at,
            created_at: now,
        };
        let inserted = alert_recipient::Entity::insert(alert_recipient::ActiveModel {
            id: Set(recipient.id),
            rule_id: Set(id),
            account_id: Set(account_id),
            email: Set(recipient.email.clone()),
            name: Set(recipient.name.clone()),
            confirmed_at: Set(confirmed_at),
            created_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([alert_recipient::Column::RuleId, alert_recipient::Column::Email])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(tx)
        .await?;
        // An address named twice is one recipient, asked once.
        if account_id.is_none() && inserted == 1 {
            externals.push(recipient);
        }
    }
    Ok((id, externals))
}

pub async fn delete(tx: &TenantTxn, id: Uuid) -> Result<bool, DbErr> {
    let done = alert_rule::Entity::delete_by_id(id).exec(tx).await?;
    Ok(done.rows_affected == 1)
}

pub async fn set_enabled(tx: &TenantTxn, id: Uuid, enabled: bool) -> Result<bool, DbErr> {
    let done = alert_rule::Entity::update_many()
        .col_expr(alert_rule::Column::Enabled, Expr::value(enabled))
        .filter(alert_rule::Column::Id.eq(id))
        .exec(tx)
        .await?;
    if !enabled {
        // A rule switched back on starts from what holds then.
        alert_condition::Entity::delete_many()
            .filter(alert_condition::Column::RuleId.eq(id))
            .exec(tx)
            .await?;
    }
    Ok(done.rows_affected == 1)
}

/// Every named recipient of the tenant's rules.
pub async fn recipients(tx: &TenantTxn) -> Result<Vec<alert_recipient::Model>, DbErr> {
    alert_recipient::Entity::find()
        .order_by_asc(alert_recipient::Column::CreatedAt)
        .all(tx)
        .await
}

/// Confirms an external recipient; the recipient, or `None` when it no longer exists.
pub async fn confirm_recipient(tx: &TenantTxn, id: Uuid) -> Result<Option<alert_recipient::Model>, DbErr> {
    alert_recipient::Entity::update_many()
        .col_expr(
            alert_recipient::Column::ConfirmedAt,
            Expr::col(alert_recipient::Column::ConfirmedAt).if_null(Utc::now()),
        )
        .filter(alert_recipient::Column::Id.eq(id))
        .exec(tx)
        .await?;
    alert_recipient::Entity::find_by_id(id).one(tx).await
}

/// Every recipient's choice, by rule and recipient.
pub async fn deliveries(tx: &TenantTxn) -> Result<HashMap<(Uuid, String), Delivery>, DbErr> {
    let rows = alert_subscription::Entity::find().all(tx).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| Delivery::parse(&r.delivery).map(|d| ((r.rule_id, r.recipient), d)))
        .collect())
}

pub async fn set_delivery(
    tx: &TenantTxn,
    rule_id: Uuid,
    recipient: Recipient,
    delivery: Delivery,
) -> Result<(), DbErr> {
    alert_subscription::Entity::insert(alert_subscription::ActiveModel {
        rule_id: Set(rule_id),
        recipient: Set(recipient.to_string()),
        delivery: Set(delivery.as_str().to_string()),
        changed_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([
            alert_subscription::Column::RuleId,
            alert_subscription::Column::Recipient,
        ])
        .update_columns([
            alert_subscription::Column::Delivery,
            alert_subscription::Column::ChangedAt,
        ])
        .to_owned(),
    )
    .exec_without_returning(tx)
    .await?;
    Ok(())
}

/// The subjects whose condition held at the rule's last evaluation.
pub async fn held(tx: &TenantTxn, rule_id: Uuid) -> Result<HashSet<String>, DbErr> {
    let rows = alert_condition::Entity::find()
        .filter(alert_condition::Column::RuleId.eq(rule_id))
        .all(tx)
        .await?;
    Ok(rows.into_iter().map(|r| r.subject).collect())
}

pub async fn start_conditions(tx: &TenantTxn, rule_id: Uuid, subjects: &[String]) -> Result<(), DbErr> {
    if subjects.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    alert_condition::Entity::insert_many(subjects.iter().map(|s| alert_condition::ActiveModel {
        rule_id: Set(rule_id),
        subject: Set(s.clone()),
        started_at: Set(now),
    }))
    .on_conflict(
        OnConflict::columns([alert_condition::Column::RuleId, alert_condition::Column::Subject])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(tx)
    .await?;
    Ok(())
}

pub async fn clear_conditions(tx: &TenantTxn, rule_id: Uuid, subjects: &[String]) -> Result<(), DbErr> {
    if subjects.is_empty() {
        return Ok(());
    }
    alert_condition::Entity::delete_many()
        .filter(alert_condition::Column::RuleId.eq(rule_id))
        .filter(alert_condition::Column::Subject.is_in(subjects.iter().cloned()))
        .exec(tx)
        .await?;
    Ok(())
}

/// A product of a low-stock reading.
#[derive(Debug, Clone, FromQueryResult)]
pub struct LowStock {
    pub product_id: i64,
    pub sku: Option<String>,
    pub name: Option<String>,
    pub status: String,
    pub available: f64,
    pub cover_days: Option<f64>,
}

/// The priority SKUs (ids or a category) low or out in `group` (or the total).
pub async fn low_stock(
    tx: &TenantTxn,
    group: Option<Uuid>,
    products: &[i64],
    category: Option<i64>,
) -> Result<Vec<LowStock>, DbErr> {
    let call = Func::cust(Alias::new("alert_low_stock"))
        .arg(Expr::val(group).cast_as(Alias::new("uuid")))
        .arg(Expr::val(products.to_vec()).cast_as(Alias::new("bigint[]")))
        .arg(Expr::val(category).cast_as(Alias::new("bigint")));
    rows_of(
        tx,
        Query::select()
            .column(Asterisk)
            .from_function(call, Alias::new("f"))
            .to_owned(),
    )
    .await
}

async fn rows_of<T: FromQueryResult>(tx: &TenantTxn, select: SelectStatement) -> Result<Vec<T>, DbErr> {
    let rows = tx.query_all(&select).await?;
    rows.iter().map(|r| T::from_query_result(r, "")).collect()
}

/// A product of a negative-stock reading.
#[derive(Debug, Clone, FromQueryResult)]
pub struct NegativeStock {
    pub product_id: i64,
    pub sku: Option<String>,
    pub name: Option<String>,
    pub on_hand: f64,
    pub locations: Option<String>,
}

/// The products below zero somewhere in `group` (or anywhere).
pub async fn negative_stock(tx: &TenantTxn, group: Option<Uuid>) -> Result<Vec<NegativeStock>, DbErr> {
    let call = Func::cust(Alias::new("alert_negative_stock")).arg(Expr::val(group).cast_as(Alias::new("uuid")));
    rows_of(
        tx,
        Query::select()
            .column(Asterisk)
            .from_function(call, Alias::new("f"))
            .to_owned(),
    )
    .await
}

/// The ids of products with these internal references (SKUs), by reference.
pub async fn products_by_sku(tx: &TenantTxn, skus: &[String]) -> Result<HashMap<String, i64>, DbErr> {
    let rows = odoo_product_product::Entity::find()
        .filter(odoo_product_product::Column::DefaultCode.is_in(skus.iter().cloned()))
        .filter(odoo_product_product::Column::OdooDeletedAt.is_null())
        .all(tx)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|p| p.default_code.map(|code| (code, p.odoo_id)))
        .collect())
}

/// The product categories, for the rule form: `(id, full name)`, by name.
pub async fn categories(tx: &TenantTxn) -> Result<Vec<(i64, String)>, DbErr> {
    let rows = odoo_product_category::Entity::find()
        .filter(odoo_product_category::Column::OdooDeletedAt.is_null())
        .order_by_asc(odoo_product_category::Column::CompleteName)
        .all(tx)
        .await?;
    Ok(rows
        .into_iter()
        .map(|c| {
            let name = c
                .complete_name
                .or(c.name)
                .unwrap_or_else(|| format!("category {}", c.odoo_id));
            (c.odoo_id, name)
        })
        .collect())
}

/// Whether a category of this id is mirrored (and not deleted in Odoo).
pub async fn category_exists(tx: &TenantTxn, id: i64) -> Result<bool, DbErr> {
    let found = odoo_product_category::Entity::find_by_id(id)
        .filter(odoo_product_category::Column::OdooDeletedAt.is_null())
        .one(tx)
        .await?;
    Ok(found.is_some())
}

pub async fn set_digest_hour(tx: &TenantTxn, hour: i16) -> Result<(), DbErr> {
    settings::Entity::update_many()
        .col_expr(settings::Column::DigestHour, Expr::value(hour))
        .col_expr(settings::Column::UpdatedAt, Expr::value(Utc::now()))
        .exec(tx)
        .await?;
    Ok(())
}

/// Makes the tenant's alert evaluations take turns: locks the settings row until the transaction ends.
pub async fn lock_evaluation(tx: &TenantTxn) -> Result<(), DbErr> {
    settings::Entity::find().lock_exclusive().one(tx).await?;
    Ok(())
}

/// The tenant's time zone and digest hour.
pub async fn digest_schedule(tx: &TenantTxn) -> Result<(String, i16), DbErr> {
    let row = settings::Entity::find()
        .one(tx)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("settings".into()))?;
    Ok((row.time_zone, row.digest_hour))
}

pub async fn add_digest_item(tx: &TenantTxn, item: alert_digest_item::ActiveModel) -> Result<(), DbErr> {
    alert_digest_item::Entity::insert(item)
        .exec_without_returning(tx)
        .await?;
    Ok(())
}

pub async fn pending_digest_items(tx: &TenantTxn) -> Result<Vec<alert_digest_item::Model>, DbErr> {
    alert_digest_item::Entity::find()
        .filter(alert_digest_item::Column::SentAt.is_null())
        .order_by_asc(alert_digest_item::Column::Id)
        .all(tx)
        .await
}

pub async fn mark_digest_items_sent(tx: &TenantTxn, ids: &[i64]) -> Result<(), DbErr> {
    alert_digest_item::Entity::update_many()
        .col_expr(alert_digest_item::Column::SentAt, Expr::value(Utc::now()))
        .filter(alert_digest_item::Column::Id.is_in(ids.iter().copied()))
        .exec(tx)
        .await?;
    Ok(())
}
