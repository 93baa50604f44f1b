//! Alert rules (DESIGN §2.6): what a tenant's admins ask to be told about, and to whom.
//!
//! - `alert_rules`: low stock on priority SKUs (a list of products or a category with its
//!   subcategories, in one location group or everywhere), negative stock (in a group or everywhere),
//!   and the sync's own troubles (syncs failing, Odoo refusing the key, the key expiring), each with
//!   the roles whose members receive it.
//! - `alert_recipients`: people named on a rule — accounts, and external addresses, which receive
//!   nothing until they confirm through the emailed link.
//! - `alert_subscriptions`: each recipient's choice per rule (immediately, in the daily digest, or not
//!   at all — the unsubscribe link sets this); without a row, immediately.
//! - `alert_conditions`: the conditions that hold now, per rule and subject (a product, an open
//!   admin alert). A rule fires when its condition starts and again only after it has cleared.
//! - `alert_digest_items`: what the daily digest will tell each recipient, at the tenant's
//!   `digest_hour` in its time zone.
//!
//! `alert_low_stock()` and `alert_negative_stock()` read the stock positions for the evaluation.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, SQL).await
    }
}

const SQL: &str = r#"
ALTER TABLE settings ADD COLUMN digest_hour smallint NOT NULL DEFAULT 7 CHECK (digest_hour BETWEEN 0 AND 23);

CREATE TABLE alert_rules (
    id              uuid PRIMARY KEY,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind            text NOT NULL CHECK (kind IN ('low_stock', 'negative_stock', 'sync_failing',
                                                  'credential_invalid', 'key_expiring')),
    product_ids     bigint[],
    category_id     bigint,
    group_id        uuid REFERENCES location_groups (id) ON DELETE CASCADE,
    recipient_roles text[] NOT NULL DEFAULT '{}'
                    CHECK (recipient_roles <@ ARRAY['viewer','manager','steward','finance','admin']),
    enabled         boolean NOT NULL DEFAULT true,
    created_by_name text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT alert_rules_priority_skus
        CHECK (kind <> 'low_stock' OR cardinality(product_ids) > 0 OR category_id IS NOT NULL)
);

CREATE TABLE alert_recipients (
    id           uuid PRIMARY KEY,
    rule_id      uuid NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
    -- an account named on the rule (a snapshot of its name and address), or NULL for an external address
    account_id   uuid,
    email        text NOT NULL,
    name         text NOT NULL,
    -- external addresses receive nothing before confirming; accounts are confirmed from the start
    confirmed_at timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (rule_id, email)
);

-- `recipient`: `account:<uuid>` or `external:<alert_recipients.id>`
CREATE TABLE alert_subscriptions (
    rule_id    uuid NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
    recipient  text NOT NULL,
    delivery   text NOT NULL CHECK (delivery IN ('immediate', 'digest', 'off')),
    changed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (rule_id, recipient)
);

CREATE TABLE alert_conditions (
    rule_id    uuid NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
    subject    text NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (rule_id, subject)
);

CREATE TABLE alert_digest_items (
    id         bigserial PRIMARY KEY,
    rule_id    uuid NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
    recipient  text NOT NULL,
    email      text NOT NULL,
    name       text NOT NULL,
    headline   text NOT NULL,
    lines      jsonb NOT NULL DEFAULT '[]',
    link       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at    timestamptz
);
CREATE INDEX alert_digest_items_pending ON alert_digest_items (created_at) WHERE sent_at IS NULL;

-- The priority SKUs of a low-stock rule whose status is low or out in the group's scope (or the
-- total's, without a group).
CREATE OR REPLACE FUNCTION alert_low_stock(p_group uuid, p_products bigint[], p_category bigint)
RETURNS TABLE (product_id bigint, sku text, name text, status text, available double precision,
               cover_days double precision)
LANGUAGE sql STABLE AS $$
    WITH RECURSIVE categories AS (
        SELECT odoo_id FROM odoo_product_category WHERE odoo_id = p_category
        UNION
        SELECT c.odoo_id FROM odoo_product_category c JOIN categories k ON c.parent_id = k.odoo_id
    )
    SELECT p.product_id, p.sku, p.name, p.status, p.available, p.cover_days
    FROM stock_positions p
    JOIN stock_scopes s ON s.id = p.scope_id
    WHERE (CASE WHEN p_group IS NULL THEN s.kind = 'total' ELSE s.kind = 'group' AND s.group_id = p_group END)
      AND p.status IN ('low', 'out')
      AND (p.product_id = ANY (coalesce(p_products, '{}'))
           OR p.category_id IN (SELECT odoo_id FROM categories))
    ORDER BY p.sku NULLS LAST, p.product_id
$$;

-- The products below zero at some internal location of the group (or anywhere, without a group),
-- with the most negative quantity and where.
CREATE OR REPLACE FUNCTION alert_negative_stock(p_group uuid)
RETURNS TABLE (product_id bigint, sku text, name text, on_hand double precision, locations text)
LANGUAGE sql STABLE AS $$
    WITH places AS (
        SELECT DISTINCT l.id AS scope_id, l.name
        FROM stock_scopes l
        WHERE l.kind = 'location'
          AND (p_group IS NULL OR l.location_id IN (
                SELECT sl.location_id FROM stock_scope_locations sl
                JOIN stock_scopes g ON g.id = sl.scope_id
                WHERE g.kind = 'group' AND g.group_id = p_group AND sl.internal))
    )
    SELECT p.product_id, min(p.sku), min(p.name), min(p.on_hand),
           string_agg(pl.name, ', ' ORDER BY pl.name)
    FROM stock_positions p JOIN places pl ON pl.scope_id = p.scope_id
    WHERE p.on_hand < 0
    GROUP BY p.product_id
    ORDER BY min(p.sku) NULLS LAST, p.product_id
$$;
"#;
