//! The product detail (`/t/<slug>/stock/products/<id>`, every member): the product's positions per
//! location and group; its available-to-sell per channel as a waterfall whose every step links to the
//! quants behind it; its quants, open moves, incoming receipts with the dates promised for them, recent
//! moves; and on hand over the last 90 days as a chart (uPlot, vendored), with the same figures as a
//! table. A member scoped to location groups sees only those groups' locations, and no channel.

use std::collections::{HashMap, HashSet};

use actix_web::get;
use actix_web::web::{self, ServiceConfig};
use askama::Template;
use askama_web::WebTemplate;
use chrono::{Duration, Utc};

use crate::db::entities::{settings, stock_scope};
use crate::db::stock::{self, ProductDetail};
use crate::db::tenancy::with_tenant;
use crate::domain::stock::{self as figures, Buffer, DoneMove, Group, Location, Locations, Quant, StepKind};

use super::AppState;
use super::errors::AppError;
use super::extractors::Member;
use super::format::{money, quantity};
use super::paths;
use super::shell::{Section, Shell};

/// Days of on-hand history on the chart.
pub const HISTORY_DAYS: u32 = 90;

pub struct PositionRow {
    pub place: String,
    pub on_hand: String,
    pub reserved: String,
    pub available: String,
    pub incoming: String,
    pub outgoing: String,
    pub forecast: String,
    pub consigned: String,
    pub value: String,
    pub cover: String,
    pub status: String,
}

pub struct StepRow {
    pub label: String,
    pub change: String,
    /// The quants behind the step (an anchor on this page).
    pub href: Option<String>,
}

pub struct ChannelView {
    pub name: String,
    pub steps: Vec<StepRow>,
    pub sellable: String,
}

pub struct QuantRow {
    pub anchor: String,
    pub location: String,
    pub quantity: String,
    pub reserved: String,
    pub owner: String,
    pub lot: String,
    pub company: String,
}

pub struct MoveRow {
    pub reference: String,
    pub date: String,
    pub from: String,
    pub to: String,
    pub quantity: String,
    pub state: String,
}

pub struct ReceiptRow {
    pub reference: String,
    pub order: String,
    pub supplier: String,
    pub to: String,
    pub remaining: String,
    pub promised: String,
    pub first_promised: String,
    pub slipped: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/stock/product.html")]
pub struct ProductPage {
    pub shell: Shell,
    pub back: String,
    pub name: String,
    pub sku: String,
    pub barcode: String,
    pub category: String,
    pub costs: Vec<(String, String)>,
    pub currency: String,
    pub positions: Vec<PositionRow>,
    pub channels: Vec<ChannelView>,
    pub quants: Vec<QuantRow>,
    pub open_moves: Vec<MoveRow>,
    pub receipts: Vec<ReceiptRow>,
    pub recent_moves: Vec<MoveRow>,
    pub history_place: String,
    /// `[[unix seconds…], [on hand…]]` for the chart.
    pub history_json: String,
    pub history: Vec<(String, String)>,
}

fn date(at: Option<chrono::DateTime<Utc>>) -> String {
    at.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default()
}

#[get("/t/{slug}/stock/products/{product}")]
async fn detail(
    state: web::Data<AppState>,
    member: Member,
    path: web::Path<(String, String)>,
) -> Result<ProductPage, AppError> {
    // Anything but a positive id is no product.
    let product_id = path
        .1
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(AppError::NotFound)?;
    let since = Utc::now() - Duration::days(i64::from(HISTORY_DAYS) + 1);
    let member_groups = member.scope_group_ids.clone();
    let (detail, scopes, visible_locations, settings) = with_tenant(&state.db, member.tenant, async |tx| {
        use sea_orm::EntityTrait as _;
        let Some(detail) = stock::product_detail(tx, product_id, since).await? else {
            return Err(AppError::NotFound);
        };
        let scopes = stock::scopes(tx).await?;
        // What a scoped member may see: its groups' scopes and their locations.
        let visible_locations: Option<HashSet<i64>> = match &member_groups {
            None => None,
            Some(groups) => {
                let ids: Vec<i64> = scopes
                    .iter()
                    .filter(|s| s.group_id.is_some_and(|g| groups.contains(&g)))
                    .map(|s| s.id)
                    .collect();
                Some(
                    stock::scope_locations(tx, &ids)
                        .await?
                        .into_iter()
                        .map(|(_, l)| l)
                        .collect(),
                )
            }
        };
        let settings = settings::Entity::find_by_id(1_i16)
            .one(tx)
            .await?
            .ok_or_else(|| AppError::Internal("tenant settings row missing".into()))?;
        Ok::<_, AppError>((detail, scopes, visible_locations, settings))
    })
    .await?;
    Ok(render(&member, detail, &scopes, visible_locations.as_ref(), &settings))
}

fn render(
    member: &Member,
    d: ProductDetail,
    scopes: &[stock_scope::Model],
    visible: Option<&HashSet<i64>>,
    settings: &settings::Model,
) -> ProductPage {
    let slug = member.slug.as_str();
    let sees = |location: Option<i64>| visible.is_none_or(|v| location.is_some_and(|l| v.contains(&l)));
    let names: HashMap<i64, String> = d
        .locations
        .iter()
        .map(|l| {
            let name = l.complete_name.clone().or_else(|| l.name.clone()).unwrap_or_default();
            (l.odoo_id, name)
        })
        .collect();
    let name_of = |id: Option<i64>| id.and_then(|i| names.get(&i).cloned()).unwrap_or_default();
    let company = |id: i64| d.companies.get(&id).cloned().unwrap_or_else(|| format!("company {id}"));
    let tree = Locations::new(d.locations.iter().map(|l| Location {
        id: l.odoo_id,
        parent: l.location_id,
        internal: l.usage.as_deref() == Some("internal"),
    }));

    // Positions: the total and the groups first, then the locations, as the member may see them.
    let scope_of: HashMap<i64, &stock_scope::Model> = scopes.iter().map(|s| (s.id, s)).collect();
    let groups: HashSet<uuid::Uuid> = member.scope_group_ids.iter().flatten().copied().collect();
    let rank = |kind: &str| match kind {
        "total" => 0,
        "group" => 1,
        "channel" => 2,
        _ => 3,
    };
    let mut rows: Vec<(&stock_scope::Model, &crate::db::entities::stock_position::Model)> = d
        .positions
        .iter()
        .filter_map(|p| scope_of.get(&p.scope_id).map(|s| (*s, p)))
        .filter(|(s, _)| match s.kind.as_str() {
            "location" => sees(s.location_id),
            "group" => visible.is_none() || s.group_id.is_some_and(|g| groups.contains(&g)),
            "channel" => false,
            _ => visible.is_none(),
        })
        .collect();
    rows.sort_by(|a, b| (rank(&a.0.kind), &a.0.name).cmp(&(rank(&b.0.kind), &b.0.name)));
    let positions = rows
        .iter()
        .map(|(s, p)| PositionRow {
            place: s.name.clone(),
            on_hand: quantity(p.on_hand),
            reserved: quantity(p.reserved),
            available: quantity(p.available),
            incoming: quantity(p.incoming),
            outgoing: quantity(p.outgoing),
            forecast: quantity(p.forecast),
            consigned: if p.consigned == 0.0 {
                String::new()
            } else {
                quantity(p.consigned)
            },
            value: money(p.value),
            cover: p.cover_days.map_or_else(|| "—".into(), |c| format!("{c:.1}")),
            status: p.status.clone(),
        })
        .collect();

    // Available to sell per channel (members who see everything): the waterfall of DESIGN §2.8.
    let quants: Vec<Quant> = d
        .quants
        .iter()
        .filter_map(|q| {
            Some(Quant {
                location: q.location_id?,
                quantity: q.quantity,
                reserved: q.reserved_quantity,
                consigned: q.owner_id.is_some(),
                company: q.company_id,
            })
        })
        .collect();
    let quarantine_roots: HashSet<i64> = d.quarantine.iter().copied().collect();
    let anchor = |location: i64| format!("quants-{location}");
    let channels = if visible.is_some() {
        Vec::new()
    } else {
        d.channels
            .iter()
            .map(|channel| {
                let sources: HashSet<i64> = d
                    .channel_sources
                    .iter()
                    .filter(|(c, _)| *c == channel.id)
                    .map(|(_, l)| *l)
                    .collect();
                let available = figures::channel_locations(&tree, &sources, &quants);
                let held_back: HashSet<i64> = available
                    .iter()
                    .map(|(l, _)| *l)
                    .filter(|l| tree.within(*l, &quarantine_roots))
                    .collect();
                let buffer = match channel.buffer_kind.as_str() {
                    "percent" => Buffer::Percent(channel.buffer_value),
                    _ => Buffer::Units(channel.buffer_value),
                };
                let (sellable, steps) = figures::available_to_sell(&available, &held_back, buffer);
                let steps = steps
                    .into_iter()
                    .map(|step| match step.kind {
                        StepKind::Source { location, available } => StepRow {
                            label: if available < 0.0 {
                                format!(
                                    "{}: {} available, counted as 0",
                                    name_of(Some(location)),
                                    quantity(available)
                                )
                            } else {
                                format!("{}: available", name_of(Some(location)))
                            },
                            change: format!("+{}", quantity(step.change)),
                            href: Some(format!("#{}", anchor(location))),
                        },
                        StepKind::Quarantined { location } => StepRow {
                            label: format!("{}: quarantine, not sold", name_of(Some(location))),
                            change: "0".into(),
                            href: Some(format!("#{}", anchor(location))),
                        },
                        StepKind::Buffer => StepRow {
                            label: match buffer {
                                Buffer::Units(u) => format!("safety buffer ({} per SKU)", quantity(u)),
                                Buffer::Percent(p) => format!("safety buffer ({}%)", quantity(p)),
                            },
                            change: quantity(step.change),
                            href: None,
                        },
                    })
                    .collect();
                ChannelView {
                    name: channel.name.clone(),
                    steps,
                    sellable: quantity(sellable),
                }
            })
            .collect()
    };

    let quant_rows = d
        .quants
        .iter()
        .filter(|q| sees(q.location_id) && q.location_id.is_some_and(|l| tree.is_internal(l)))
        .map(|q| QuantRow {
            anchor: q.location_id.map(anchor).unwrap_or_default(),
            location: name_of(q.location_id),
            quantity: quantity(q.quantity),
            reserved: quantity(q.reserved_quantity),
            owner: q
                .owner_id
                .map(|o| format!("partner {o} (consigned)"))
                .unwrap_or_default(),
            lot: q.lot_id.map(|l| format!("lot {l}")).unwrap_or_default(),
            company: q.company_id.map(&company).unwrap_or_default(),
        })
        .collect();
    let move_row = |m: &crate::db::entities::odoo_stock_move::Model| MoveRow {
        reference: m.reference.clone().or_else(|| m.name.clone()).unwrap_or_default(),
        date: date(m.date),
        from: name_of(m.location_id),
        to: name_of(m.location_dest_id),
        quantity: quantity(if m.state.as_deref() == Some("done") {
            m.quantity_done_product_uom
        } else {
            m.quantity_remaining_product_uom
        }),
        state: m.state.clone().unwrap_or_default(),
    };
    let touches = |m: &&crate::db::entities::odoo_stock_move::Model| sees(m.location_id) || sees(m.location_dest_id);
    let open_moves = d
        .moves
        .iter()
        .filter(|m| !matches!(m.state.as_deref(), Some("done" | "cancel")))
        .filter(touches)
        .map(move_row)
        .collect();
    let recent_moves = d
        .moves
        .iter()
        .filter(|m| m.state.as_deref() == Some("done"))
        .filter(touches)
        .take(50)
        .map(move_row)
        .collect();
    let receipts = d
        .receipts
        .iter()
        .filter(|r| sees(r.location_dest_id))
        .map(|r| ReceiptRow {
            reference: r.reference.clone().unwrap_or_default(),
            order: r.order.clone().unwrap_or_default(),
            supplier: r.supplier.clone().unwrap_or_default(),
            to: name_of(r.location_dest_id),
            remaining: quantity(r.remaining),
            promised: date(r.promised.or(r.scheduled)),
            first_promised: date(r.first_promised),
            slipped: matches!((r.promised, r.first_promised), (Some(now), Some(first)) if now > first),
        })
        .collect();

    // On hand over the last 90 days, where the member looks (all of it, or their groups' locations).
    let (history_place, roots): (String, HashSet<i64>) = match visible {
        None => (
            "all locations".into(),
            d.locations
                .iter()
                .filter(|l| l.usage.as_deref() == Some("internal"))
                .map(|l| l.odoo_id)
                .collect(),
        ),
        Some(v) => ("your locations".into(), v.clone()),
    };
    let group = Group::of(roots.iter().copied());
    let position = figures::position(&tree, &group, &quants, &[]);
    let tz: chrono_tz::Tz = settings.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let done: Vec<DoneMove> = d
        .moves
        .iter()
        .filter(|m| m.state.as_deref() == Some("done"))
        .filter_map(|m| {
            Some(DoneMove {
                from: m.location_id?,
                to: m.location_dest_id?,
                quantity: m.quantity_done_product_uom,
                day: m.date?.with_timezone(&tz).date_naive(),
            })
        })
        .collect();
    let today = Utc::now().with_timezone(&tz).date_naive();
    let history = figures::on_hand_history(&tree, &group, position.on_hand, &done, today, HISTORY_DAYS);
    let xs: Vec<i64> = history
        .iter()
        .map(|(day, _)| day.and_hms_opt(12, 0, 0).map_or(0, |t| t.and_utc().timestamp()))
        .collect();
    let ys: Vec<f64> = history.iter().map(|(_, v)| (*v * 1000.0).round() / 1000.0).collect();
    let history_json = serde_json::json!([xs, ys]).to_string();

    let template = d.template.as_ref();
    ProductPage {
        shell: Shell::member(member, Section::Stock),
        back: paths::stock(slug),
        name: d
            .product
            .display_name
            .clone()
            .or_else(|| template.and_then(|t| t.name.clone()))
            .unwrap_or_else(|| format!("Product {}", d.product.odoo_id)),
        sku: d.product.default_code.clone().unwrap_or_default(),
        barcode: d.product.barcode.clone().unwrap_or_default(),
        category: d.category.clone().unwrap_or_default(),
        costs: d.costs.iter().map(|(id, cost)| (company(*id), money(*cost))).collect(),
        currency: settings.currency.clone(),
        positions,
        channels,
        quants: quant_rows,
        open_moves,
        receipts,
        recent_moves,
        history_place,
        history_json,
        history: history
            .iter()
            .rev()
            .map(|(day, v)| (day.format("%Y-%m-%d").to_string(), quantity(*v)))
            .collect(),
    }
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(detail);
}
