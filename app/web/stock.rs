//! The stock table (`/t/<slug>/stock`, every member): the figures of DESIGN §2.8 per product, at one
//! place — all locations, a group (store, warehouse, region), a channel or a location — or broken down
//! by location; searched by SKU, barcode or name, filtered by status, category and supplier, sorted by
//! any column, paged. The URL holds the whole view (shareable; the back button works): htmx swaps only
//! the table and pushes the URL. A member scoped to location groups sees those groups and their
//! locations only.
//!
//! Bad input answers 400 with what was wrong and what is allowed; page numbers past the end show the
//! last page.

use std::collections::{HashMap, HashSet};

use actix_web::web::{self, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse, Responder as _, get};
use askama::Template;
use askama_web::WebTemplate;
use uuid::Uuid;

use crate::db::entities::{location_group, settings, stock_scope};
use crate::db::stock::{self, SortKey, StockQuery, StockRow};
use crate::db::tenancy::with_tenant;
use crate::domain::stock::{Exception, Status};

use super::AppState;
use super::errors::AppError;
use super::extractors::{Member, is_htmx, parse_form};
use super::format::{ago, money, quantity};
use super::paths;
use super::shell::{Section, Shell};

/// Rows per page.
pub const PAGE_ROWS: u64 = 50;
/// The longest search accepted.
const MAX_SEARCH_CHARS: usize = 100;

/// The query string as typed; every field is checked by [`View::parse`].
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct Params {
    at: Option<String>,
    by: Option<String>,
    q: Option<String>,
    status: Option<String>,
    exception: Option<String>,
    category: Option<String>,
    supplier: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
    page: Option<String>,
}

/// Where the rows are about: a scope's natural key in the URL (`total`, `group:<uuid>`,
/// `channel:<uuid>`, `location:<odoo id>`), stable across rebuilds of the scopes.
fn scope_key(scope: &stock_scope::Model) -> String {
    match scope.kind.as_str() {
        "group" => format!("group:{}", scope.group_id.unwrap_or_default()),
        "channel" => format!("channel:{}", scope.channel_id.unwrap_or_default()),
        "location" => format!("location:{}", scope.location_id.unwrap_or_default()),
        _ => "total".into(),
    }
}

/// What a row of the table is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rows {
    /// One per product, at the chosen place.
    Product,
    /// One per product and location group within the chosen place.
    Group,
    /// One per product and location within the chosen place.
    Location,
}

impl Rows {
    fn as_str(self) -> &'static str {
        match self {
            Rows::Product => "product",
            Rows::Group => "group",
            Rows::Location => "location",
        }
    }
}

/// The checked view: what the URL asks for, in domain terms.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct View {
    at: Option<String>,
    rows: Rows,
    search: Option<String>,
    status: Option<Status>,
    exception: Option<Exception>,
    category: Option<i64>,
    supplier: Option<i64>,
    sort: SortKey,
    descending: bool,
    page: u64,
}

fn bad(message: impl Into<String>) -> AppError {
    AppError::BadRequest(message.into())
}

fn id_param(name: &str, value: Option<&str>) -> Result<Option<i64>, AppError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(text) => text.parse::<i64>().ok().filter(|id| *id > 0).map(Some).ok_or_else(|| {
            bad(format!(
                "The {name} filter must be chosen from its list (got {text:?})."
            ))
        }),
    }
}

impl View {
    pub(super) fn parse(params: Params) -> Result<Self, AppError> {
        let non_empty = |v: Option<String>| v.map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let search = non_empty(params.q);
        if search.as_ref().is_some_and(|s| s.chars().count() > MAX_SEARCH_CHARS) {
            return Err(bad(format!("Search for at most {MAX_SEARCH_CHARS} characters.")));
        }
        if search.as_ref().is_some_and(|s| s.chars().any(char::is_control)) {
            return Err(bad("Search for letters, digits and punctuation only."));
        }
        let status = match non_empty(params.status) {
            None => None,
            Some(text) => Some(Status::parse(&text).ok_or_else(|| {
                bad(format!(
                    "Unknown status {text:?}: choose negative, out, low, overstock or ok."
                ))
            })?),
        };
        let sort = match non_empty(params.sort) {
            None => SortKey::Value,
            Some(text) => SortKey::parse(&text).ok_or_else(|| {
                let known: Vec<&str> = SortKey::ALL.iter().map(|k| k.as_str()).collect();
                bad(format!("Unknown sort {text:?}: sort by one of {}.", known.join(", ")))
            })?,
        };
        let descending = match non_empty(params.dir).as_deref() {
            None => matches!(sort, SortKey::Value | SortKey::OnHand | SortKey::Available),
            Some("asc") => false,
            Some("desc") => true,
            Some(other) => return Err(bad(format!("Unknown direction {other:?}: use asc or desc."))),
        };
        let rows = match non_empty(params.by).as_deref() {
            None | Some("product") => Rows::Product,
            Some("group") => Rows::Group,
            Some("location") => Rows::Location,
            Some(other) => {
                return Err(bad(format!(
                    "Unknown breakdown {other:?}: use product, group or location."
                )));
            }
        };
        let exception = match non_empty(params.exception) {
            None => None,
            Some(text) => Some(Exception::parse(&text).ok_or_else(|| {
                bad(format!(
                    "Unknown exception {text:?}: choose negative, out_fast_mover, low_nothing_incoming or overstock."
                ))
            })?),
        };
        let page = match non_empty(params.page) {
            None => 1,
            Some(text) => text
                .parse::<u64>()
                .ok()
                .filter(|p| *p >= 1)
                .ok_or_else(|| bad(format!("The page must be a number from 1 (got {text:?}).")))?,
        };
        Ok(Self {
            at: non_empty(params.at),
            rows,
            search,
            status,
            exception,
            category: id_param("category", params.category.as_deref())?,
            supplier: id_param("supplier", params.supplier.as_deref())?,
            sort,
            descending,
            page,
        })
    }

    /// This view's URL with some parameters changed (`None` drops one).
    fn url(&self, slug: &str, changes: &[(&str, Option<String>)]) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        let mut put = |key: &'static str, value: Option<String>| {
            let value = changes
                .iter()
                .find(|(k, _)| *k == key)
                .map_or(value, |(_, v)| v.clone());
            if let Some(value) = value {
                pairs.push((key, value));
            }
        };
        put("at", self.at.clone());
        put(
            "by",
            (self.rows != Rows::Product).then(|| self.rows.as_str().to_string()),
        );
        put("q", self.search.clone());
        put("status", self.status.map(|s| s.as_str().to_string()));
        put("exception", self.exception.map(|e| e.as_str().to_string()));
        put("category", self.category.map(|c| c.to_string()));
        put("supplier", self.supplier.map(|s| s.to_string()));
        put("sort", Some(self.sort.as_str().to_string()));
        put("dir", Some(if self.descending { "desc" } else { "asc" }.to_string()));
        put("page", (self.page > 1).then(|| self.page.to_string()));
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        format!("{}?{query}", paths::stock(slug))
    }
}

/// The scopes a member may look at: all of them, or for a member scoped to location groups, those
/// groups, the groups below them, and the locations they hold.
pub(super) struct Visible {
    scopes: Vec<stock_scope::Model>,
}

async fn visible_scopes(
    tx: &crate::db::tenancy::TenantTxn,
    member_groups: Option<&[Uuid]>,
) -> Result<Visible, sea_orm::DbErr> {
    let scopes = stock::scopes(tx).await?;
    let Some(allowed_roots) = member_groups else {
        return Ok(Visible { scopes });
    };
    let groups: Vec<location_group::Model> = crate::db::location_groups::list(tx).await?;
    // Groups below an allowed group (a region's stores) are allowed too.
    let allowed = crate::db::location_groups::with_groups_below(&groups, allowed_roots.iter().copied());
    let group_scopes: Vec<i64> = scopes
        .iter()
        .filter(|s| s.group_id.is_some_and(|g| allowed.contains(&g)))
        .map(|s| s.id)
        .collect();
    let locations: HashSet<i64> = stock::scope_locations(tx, &group_scopes)
        .await?
        .into_iter()
        .map(|(_, location)| location)
        .collect();
    let scopes = scopes
        .into_iter()
        .filter(|s| match s.kind.as_str() {
            "group" => s.group_id.is_some_and(|g| allowed.contains(&g)),
            "location" => s.location_id.is_some_and(|l| locations.contains(&l)),
            _ => false,
        })
        .collect();
    Ok(Visible { scopes })
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct RowView {
    pub href: String,
    pub sku: String,
    pub name: String,
    pub barcode: String,
    pub place: String,
    pub on_hand: String,
    pub reserved: String,
    pub available: String,
    pub incoming: String,
    pub outgoing: String,
    pub forecast: String,
    pub cover: String,
    pub value: String,
    pub sellable: String,
    pub consigned: String,
    pub status: String,
    pub at_stake: String,
}

/// An exception as the overview and the filter name it.
pub fn exception_label(exception: Exception) -> &'static str {
    match exception {
        Exception::Negative => "Negative stock",
        Exception::OutFastMover => "Out of stock, and it sells",
        Exception::LowNothingIncoming => "Low, nothing incoming",
        Exception::Overstock => "Overstock",
    }
}

pub struct Column {
    pub label: &'static str,
    pub href: String,
    /// `ascending`, `descending` or `none` (aria-sort).
    pub sorted: &'static str,
    pub numeric: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/stock/index.html", blocks = ["table"])]
pub struct StockPage {
    pub shell: Shell,
    pub action: String,
    pub search: String,
    pub places: Vec<Choice>,
    pub rows_per: String,
    pub by_place: bool,
    pub exceptions: Vec<Choice>,
    pub show_at_stake: bool,
    pub statuses: Vec<Choice>,
    pub categories: Vec<Choice>,
    pub suppliers: Vec<Choice>,
    pub place_label: String,
    pub columns: Vec<Column>,
    pub rows: Vec<RowView>,
    pub channel: bool,
    pub total_rows: u64,
    pub page: u64,
    pub pages: u64,
    pub previous_href: Option<String>,
    pub next_href: Option<String>,
    pub sort: String,
    pub dir: String,
    pub figures_age: String,
    pub recomputing: bool,
    pub notice: Option<String>,
    pub currency: String,
    /// The current view as CSV and XLSX.
    pub csv_href: String,
    pub xlsx_href: String,
}

fn age(at: Option<chrono::DateTime<chrono::Utc>>) -> String {
    match at {
        None => "not computed yet".into(),
        at => format!("computed {}", ago(at, chrono::Utc::now())),
    }
}

#[get("/t/{slug}/stock")]
async fn index(req: HttpRequest, state: web::Data<AppState>, member: Member) -> Result<HttpResponse, AppError> {
    let params: Params = parse_form(req.query_string().as_bytes())?;
    let view = View::parse(params)?;
    // htmx asks for the table alone, except when it restores a page from history.
    let fragment = is_htmx(&req) && !req.headers().contains_key("HX-History-Restore-Request");
    let slug = member.slug.as_str().to_string();
    let page = with_tenant(&state.db, member.tenant, async |tx| {
        load(tx, &member, &slug, view, fragment).await
    })
    .await?;
    if fragment {
        let html = page.as_table().render().map_err(AppError::internal)?;
        Ok(HttpResponse::Ok()
            .content_type(actix_web::http::header::ContentType::html())
            .body(html))
    } else {
        Ok(page.respond_to(&req).map_into_boxed_body())
    }
}

/// Everything the page shows, read in one transaction. A fragment (the table alone) skips the
/// filter lists it does not show.
pub(super) async fn resolve(
    tx: &crate::db::tenancy::TenantTxn,
    member: &Member,
    view: &View,
    fragment: bool,
) -> Result<Resolved, AppError> {
    use sea_orm::EntityTrait as _;
    let visible = visible_scopes(tx, member.scope_group_ids.as_deref()).await?;
    let settings = settings::Entity::find_by_id(1_i16)
        .one(tx)
        .await?
        .ok_or_else(|| AppError::Internal("tenant settings row missing".into()))?;
    let refresh = stock::refresh_state(tx).await?;

    // Where: the one asked for, or the default (everything; a scoped member's first group).
    let by_key: HashMap<String, &stock_scope::Model> = visible.scopes.iter().map(|s| (scope_key(s), s)).collect();
    let default = visible
        .scopes
        .iter()
        .find(|s| s.kind == "total")
        .or_else(|| visible.scopes.iter().find(|s| s.kind == "group"));
    let at = match view.at.as_deref() {
        None => default,
        Some(key) => Some(*by_key.get(key).ok_or_else(|| {
            bad(format!(
                "{key:?} is not a location, group or channel you can see: choose one from the list."
            ))
        })?),
    };
    let mut notice = None;
    let (scope_ids, place_label, channel) = match at {
        None => {
            notice = Some(if member.scope_group_ids.is_some() {
                "Your membership covers no location group with stock yet. Ask a tenant admin to check your scope."
            } else {
                "No stock figures yet: they appear after the first sync with Odoo."
            });
            (Vec::new(), String::new(), false)
        }
        Some(scope) if view.rows == Rows::Group => {
            // The groups within the chosen place: all of them, or a group and those below it.
            let ids: Vec<i64> = match scope.kind.as_str() {
                "total" => visible
                    .scopes
                    .iter()
                    .filter(|s| s.kind == "group")
                    .map(|s| s.id)
                    .collect(),
                "group" => {
                    let groups = crate::db::location_groups::list(tx).await?;
                    let wanted = crate::db::location_groups::with_groups_below(&groups, scope.group_id);
                    visible
                        .scopes
                        .iter()
                        .filter(|s| s.group_id.is_some_and(|g| wanted.contains(&g)))
                        .map(|s| s.id)
                        .collect()
                }
                _ => {
                    return Err(bad(
                        "Rows per group are for all locations or a group: choose one of those in Where.",
                    ));
                }
            };
            (ids, format!("{}, by group", scope.name), false)
        }
        Some(scope) if view.rows == Rows::Location => {
            let inside: HashSet<i64> = if scope.kind == "total" {
                visible.scopes.iter().filter_map(|s| s.location_id).collect()
            } else {
                stock::scope_locations(tx, &[scope.id])
                    .await?
                    .into_iter()
                    .map(|(_, location)| location)
                    .collect()
            };
            let ids = visible
                .scopes
                .iter()
                .filter(|s| s.location_id.is_some_and(|l| inside.contains(&l)))
                .map(|s| s.id)
                .collect();
            (ids, format!("{}, by location", scope.name), false)
        }
        Some(scope) => (vec![scope.id], scope.name.clone(), scope.kind == "channel"),
    };
    let categories = if fragment && view.category.is_none() {
        Vec::new()
    } else {
        stock::categories(tx).await?
    };
    let category_ids = match view.category {
        None => None,
        Some(id) => {
            let chosen = categories
                .iter()
                .find(|c| c.odoo_id == id)
                .ok_or_else(|| bad(format!("There is no product category {id}: choose one from the list.")))?;
            // The category and every category below it.
            let prefix = format!("{} / ", chosen.complete_name.clone().unwrap_or_default());
            Some(
                categories
                    .iter()
                    .filter(|c| c.odoo_id == id || c.complete_name.as_deref().is_some_and(|n| n.starts_with(&prefix)))
                    .map(|c| c.odoo_id)
                    .collect::<Vec<_>>(),
            )
        }
    };
    if let Some(id) = view.supplier
        && !stock::is_supplier(tx, id).await?
    {
        return Err(bad(format!("There is no supplier {id}: choose one from the list.")));
    }
    let suppliers = if fragment {
        Vec::new()
    } else {
        stock::suppliers(tx).await?
    };

    let query = StockQuery {
        scopes: scope_ids,
        search: view.search.clone(),
        status: view.status.map(|s| s.as_str().to_string()),
        exception: view.exception.map(|e| e.as_str().to_string()),
        categories: category_ids,
        supplier: view.supplier,
        sort: view.sort,
        descending: view.descending,
        offset: 0,
        limit: PAGE_ROWS,
    };
    let place_names = visible.scopes.iter().map(|s| (s.id, s.name.clone())).collect();
    let at = at.cloned();
    Ok(Resolved {
        visible,
        at,
        query,
        place_label,
        place_names,
        channel,
        notice,
        settings,
        refresh,
        categories,
        suppliers,
    })
}

/// A view resolved against what the member may see: the query, and what labels it.
pub(super) struct Resolved {
    visible: Visible,
    at: Option<stock_scope::Model>,
    pub(super) query: StockQuery,
    place_label: String,
    pub(super) place_names: HashMap<i64, String>,
    channel: bool,
    notice: Option<&'static str>,
    settings: settings::Model,
    refresh: crate::db::entities::stock_refresh_state::Model,
    categories: Vec<crate::db::entities::odoo_product_category::Model>,
    suppliers: Vec<crate::db::entities::odoo_res_partner::Model>,
}

/// Everything the page shows, read in one transaction. A fragment (the table alone) skips the
/// filter lists it does not show.
async fn load(
    tx: &crate::db::tenancy::TenantTxn,
    member: &Member,
    slug: &str,
    mut view: View,
    fragment: bool,
) -> Result<StockPage, AppError> {
    let Resolved {
        visible,
        at,
        mut query,
        place_label,
        place_names,
        channel,
        mut notice,
        settings,
        refresh,
        categories,
        suppliers,
    } = resolve(tx, member, &view, fragment).await?;
    let total = if query.scopes.is_empty() {
        0
    } else {
        stock::stock_count(tx, &query).await?
    };
    let pages = total.div_ceil(PAGE_ROWS).max(1);
    if view.page > pages {
        // Past the end: the last page, said so.
        view.page = pages;
        notice = notice.or(Some("That page is past the end: showing the last page."));
    }
    query.offset = (view.page - 1) * PAGE_ROWS;
    let rows = if query.scopes.is_empty() {
        Vec::new()
    } else {
        stock::stock_rows(tx, &query).await?
    };
    Ok(render(
        slug,
        &view,
        PageData {
            member,
            visible: &visible,
            at: at.as_ref(),
            place_label,
            channel,
            rows: &rows,
            place_names: &place_names,
            total,
            pages,
            settings: &settings,
            refresh_age: age(refresh.refreshed_at),
            recomputing: refresh.scopes_stale || refresh.full_next_product.is_some(),
            categories: &categories,
            suppliers: &suppliers,
            notice: notice.map(str::to_string),
        },
    ))
}

struct PageData<'a> {
    member: &'a Member,
    visible: &'a Visible,
    at: Option<&'a stock_scope::Model>,
    place_label: String,
    channel: bool,
    rows: &'a [StockRow],
    place_names: &'a HashMap<i64, String>,
    total: u64,
    pages: u64,
    settings: &'a settings::Model,
    refresh_age: String,
    recomputing: bool,
    categories: &'a [crate::db::entities::odoo_product_category::Model],
    suppliers: &'a [crate::db::entities::odoo_res_partner::Model],
    notice: Option<String>,
}

fn render(slug: &str, view: &View, data: PageData<'_>) -> StockPage {
    let at_key = data.at.map(scope_key);
    let kind_label = |kind: &str| match kind {
        "total" => "",
        "group" => "Group: ",
        "channel" => "Channel: ",
        _ => "Location: ",
    };
    let places = data
        .visible
        .scopes
        .iter()
        .map(|s| Choice {
            value: scope_key(s),
            label: format!("{}{}", kind_label(&s.kind), s.name),
            selected: at_key.as_deref() == Some(scope_key(s).as_str()),
        })
        .collect();
    let statuses = Status::ALL
        .into_iter()
        .map(|s| Choice {
            value: s.as_str().into(),
            label: s.as_str().into(),
            selected: view.status == Some(s),
        })
        .collect();
    let categories = data
        .categories
        .iter()
        .map(|c| Choice {
            value: c.odoo_id.to_string(),
            label: c.complete_name.clone().or_else(|| c.name.clone()).unwrap_or_default(),
            selected: view.category == Some(c.odoo_id),
        })
        .collect();
    let suppliers = data
        .suppliers
        .iter()
        .map(|p| Choice {
            value: p.odoo_id.to_string(),
            label: p.name.clone().unwrap_or_default(),
            selected: view.supplier == Some(p.odoo_id),
        })
        .collect();
    let mut keys = vec![("SKU", SortKey::Sku, false), ("Product", SortKey::Name, false)];
    if view.rows != Rows::Product {
        keys.push(("Where", SortKey::Where, false));
    }
    keys.extend([
        ("On hand", SortKey::OnHand, true),
        ("Available", SortKey::Available, true),
        ("Incoming", SortKey::Incoming, true),
        ("Outgoing", SortKey::Outgoing, true),
        ("Forecast", SortKey::Forecast, true),
        ("Days of cover", SortKey::Cover, true),
        ("Value", SortKey::Value, true),
    ]);
    if data.channel {
        keys.push(("Available to sell", SortKey::Sellable, true));
    }
    if view.exception.is_some() {
        keys.push(("At stake", SortKey::AtStake, true));
    }
    keys.push(("Status", SortKey::Status, false));
    let columns = keys
        .into_iter()
        .map(|(label, key, numeric)| {
            let current = view.sort == key;
            // A second click on the sorted column reverses it; numbers start with the largest.
            let descending = if current { !view.descending } else { numeric };
            Column {
                label,
                href: view.url(
                    slug,
                    &[
                        ("sort", Some(key.as_str().into())),
                        ("dir", Some(if descending { "desc" } else { "asc" }.into())),
                        ("page", None),
                    ],
                ),
                sorted: match (current, view.descending) {
                    (false, _) => "none",
                    (true, true) => "descending",
                    (true, false) => "ascending",
                },
                numeric,
            }
        })
        .collect();
    let rows = data
        .rows
        .iter()
        .map(|r| RowView {
            href: paths::product(slug, r.product_id),
            sku: r.sku.clone().unwrap_or_default(),
            name: r.name.clone().unwrap_or_default(),
            barcode: r.barcode.clone().unwrap_or_default(),
            place: data.place_names.get(&r.scope_id).cloned().unwrap_or_default(),
            on_hand: quantity(r.on_hand),
            reserved: quantity(r.reserved),
            available: quantity(r.available),
            incoming: quantity(r.incoming),
            outgoing: quantity(r.outgoing),
            forecast: quantity(r.forecast),
            cover: r.cover_days.map_or_else(|| "—".into(), |d| format!("{d:.1}")),
            value: money(r.value),
            sellable: r.sellable.map(quantity).unwrap_or_default(),
            consigned: if r.consigned == 0.0 {
                String::new()
            } else {
                quantity(r.consigned)
            },
            status: r.status.clone(),
            at_stake: money(r.at_stake),
        })
        .collect();
    let page_href = |page: u64| view.url(slug, &[("page", (page > 1).then(|| page.to_string()))]);
    StockPage {
        shell: Shell::member(data.member, Section::Stock),
        action: paths::stock(slug),
        search: view.search.clone().unwrap_or_default(),
        places,
        rows_per: view.rows.as_str().into(),
        by_place: view.rows != Rows::Product,
        exceptions: Exception::ALL
            .into_iter()
            .map(|e| Choice {
                value: e.as_str().into(),
                label: exception_label(e).into(),
                selected: view.exception == Some(e),
            })
            .collect(),
        show_at_stake: view.exception.is_some(),
        statuses,
        categories,
        suppliers,
        place_label: data.place_label,
        columns,
        rows,
        channel: data.channel,
        total_rows: data.total,
        page: view.page,
        pages: data.pages,
        previous_href: (view.page > 1).then(|| page_href(view.page - 1)),
        next_href: (view.page < data.pages).then(|| page_href(view.page + 1)),
        sort: view.sort.as_str().into(),
        dir: if view.descending { "desc" } else { "asc" }.into(),
        figures_age: data.refresh_age,
        recomputing: data.recomputing,
        notice: data.notice,
        currency: data.settings.currency.clone(),
        csv_href: export_href(slug, view, "csv"),
        xlsx_href: export_href(slug, view, "xlsx"),
    }
}

/// The export of `view` (all its pages) in `format`.
fn export_href(slug: &str, view: &View, format: &str) -> String {
    let url = view.url(slug, &[("page", None)]);
    let query = url.split_once('?').map_or("", |(_, q)| q);
    format!("{}/export.{format}?{query}", paths::stock(slug))
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(index);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_or_unknown_parameters_are_refused_with_what_is_allowed() {
        let parse = |query: &str| View::parse(serde_html_form::from_str(query).unwrap());
        assert!(parse("sort=value;DROP TABLE x").is_err());
        assert!(parse("status=lowish").is_err());
        assert!(parse("page=0").is_err());
        assert!(parse("page=-1").is_err());
        assert!(parse("category=abc").is_err());
        assert!(parse("dir=up").is_err());
        assert!(parse(&format!("q={}", "x".repeat(101))).is_err());
        let view = parse("q=%20shirt%20&status=low&sort=cover&dir=asc&page=3").unwrap();
        assert_eq!(view.search.as_deref(), Some("shirt"));
        assert_eq!((view.sort, view.descending, view.page), (SortKey::Cover, false, 3));
        let url = view.url("acme", &[("page", None)]);
        assert_eq!(url, "/t/acme/stock?q=shirt&status=low&sort=cover&dir=asc");
    }
}
