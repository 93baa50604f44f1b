//! Tenant query module of the stock positions (DESIGN §2.1, §2.8): keeping them up to date through
//! the functions of tenant migration 000008, which hold the SQL of the figures (tested against
//! `domain::stock`), and reading them for the stock screens.

use sea_orm::sea_query::{Alias, Func, Query, SimpleExpr};
use sea_orm::{ConnectionTrait as _, DbErr, EntityTrait, QueryResult};

use super::entities::{
    location_group, odoo_product_category, odoo_product_product, odoo_product_product_cost, odoo_product_supplierinfo,
    odoo_product_template, odoo_purchase_order, odoo_purchase_order_line, odoo_purchase_order_line_history,
    odoo_res_company, odoo_res_partner, odoo_stock_location, odoo_stock_move, odoo_stock_picking, odoo_stock_quant,
    quarantine_location, sales_channel, sales_channel_source, settings, stock_dirty_product, stock_position,
    stock_refresh_state, stock_scope, stock_scope_exception, stock_scope_location, stock_scope_summary,
};
use super::tenancy::TenantTxn;

/// Calls one of the schema's stock functions; its one row.
async fn call(tx: &TenantTxn, function: &str, args: Vec<SimpleExpr>) -> Result<QueryResult, DbErr> {
    let mut call = Func::cust(Alias::new(function));
    for arg in args {
        call = call.arg(arg);
    }
    let select = Query::select().expr(call).to_owned();
    tx.query_one(&select)
        .await?
        .ok_or_else(|| DbErr::Custom(format!("{function}() returned no row")))
}

/// Calls a function that returns how many products it refreshed.
async fn count(tx: &TenantTxn, function: &str, batch: i32) -> Result<u64, DbErr> {
    let done: i64 = call(tx, function, vec![batch.into()]).await?.try_get_by_index(0)?;
    Ok(done.max(0) as u64)
}

/// Where the positions stand: scopes to rebuild, a full refresh under way, the sales window's day.
pub async fn refresh_state(tx: &TenantTxn) -> Result<stock_refresh_state::Model, DbErr> {
    stock_refresh_state::Entity::find_by_id(1i16)
        .one(tx)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("stock_refresh_state".into()))
}

/// Rebuilds the scopes from the tenant's setup (deriving the setup from Odoo's warehouses if nobody
/// has configured it yet) and schedules a full refresh.
pub async fn rebuild_scopes(tx: &TenantTxn) -> Result<(), DbErr> {
    call(tx, "stock_rebuild_scopes", Vec::new()).await?;
    Ok(())
}

/// Refreshes the next `batch` products of a full refresh; 0 when there is none under way or it just
/// ended.
pub async fn refresh_full(tx: &TenantTxn, batch: i32) -> Result<u64, DbErr> {
    count(tx, "stock_refresh_full", batch).await
}

/// Refreshes the products of up to `batch` marks left by writes to the mirror; 0 when none are left.
pub async fn refresh_marked(tx: &TenantTxn, batch: i32) -> Result<u64, DbErr> {
    count(tx, "stock_refresh_dirty", batch).await
}

/// Recomputes the per-scope summaries (the overview's totals) from the positions.
pub async fn summarize(tx: &TenantTxn) -> Result<(), DbErr> {
    call(tx, "stock_summarize", Vec::new()).await?;
    Ok(())
}

/// Whether any scope has a summary yet.
pub async fn has_summaries(tx: &TenantTxn) -> Result<bool, DbErr> {
    use sea_orm::PaginatorTrait as _;
    Ok(stock_scope_summary::Entity::find().count(tx).await? > 0)
}

/// The summaries of `scopes`.
pub async fn summaries(tx: &TenantTxn, scopes: &[i64]) -> Result<Vec<stock_scope_summary::Model>, DbErr> {
    use sea_orm::{ColumnTrait as _, QueryFilter as _};
    stock_scope_summary::Entity::find()
        .filter(stock_scope_summary::Column::ScopeId.is_in(scopes.iter().copied()))
        .all(tx)
        .await
}

/// Schedules a full refresh when the tenant's day has moved on since the last one (the sales window
/// slid); whether it did.
pub async fn start_full_if_new_day(tx: &TenantTxn) -> Result<bool, DbErr> {
    call(tx, "stock_start_full_if_new_day", Vec::new())
        .await?
        .try_get_by_index(0)
}

/// Forgets what names Odoo locations when the tenant switches to another Odoo database: the stock
/// positions, the location groups and channels (their locations are the old database's), the
/// quarantine list; the setup is derived anew from the new database's warehouses after its first
/// sync. Members scoped to a removed group see nothing until an admin scopes them again (fail closed).
pub async fn forget_locations(tx: &TenantTxn) -> Result<(), DbErr> {
    use sea_orm::{ActiveValue::Set, ColumnTrait as _, QueryFilter as _};
    stock_position::Entity::delete_many().exec(tx).await?;
    stock_scope::Entity::delete_many().exec(tx).await?;
    stock_dirty_product::Entity::delete_many().exec(tx).await?;
    quarantine_location::Entity::delete_many().exec(tx).await?;
    sales_channel::Entity::delete_many().exec(tx).await?;
    location_group::Entity::delete_many().exec(tx).await?;
    settings::Entity::update_many()
        .set(settings::ActiveModel {
            locations_configured: Set(false),
            ..Default::default()
        })
        .filter(settings::Column::Id.eq(1i16))
        .exec(tx)
        .await?;
    Ok(())
}

/// Every scope: the stock table's "where" choices.
pub async fn scopes(tx: &TenantTxn) -> Result<Vec<stock_scope::Model>, DbErr> {
    use sea_orm::QueryOrder as _;
    stock_scope::Entity::find()
        .order_by_asc(stock_scope::Column::Kind)
        .order_by_asc(stock_scope::Column::Name)
        .all(tx)
        .await
}

/// The internal locations of `scopes`, by scope (a group's locations, a channel's sources).
pub async fn scope_locations(tx: &TenantTxn, scopes: &[i64]) -> Result<Vec<(i64, i64)>, DbErr> {
    use sea_orm::{ColumnTrait as _, QueryFilter as _};
    Ok(stock_scope_location::Entity::find()
        .filter(stock_scope_location::Column::ScopeId.is_in(scopes.iter().copied()))
        .filter(stock_scope_location::Column::Internal.eq(true))
        .all(tx)
        .await?
        .into_iter()
        .map(|row| (row.scope_id, row.location_id))
        .collect())
}

/// A column the stock table sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Sku,
    Name,
    Where,
    OnHand,
    Available,
    Incoming,
    Outgoing,
    Forecast,
    Cover,
    Value,
    Sellable,
    Status,
    AtStake,
}

impl SortKey {
    pub const ALL: [SortKey; 13] = [
        SortKey::Sku,
        SortKey::Name,
        SortKey::Where,
        SortKey::OnHand,
        SortKey::Available,
        SortKey::Incoming,
        SortKey::Outgoing,
        SortKey::Forecast,
        SortKey::Cover,
        SortKey::Value,
        SortKey::Sellable,
        SortKey::Status,
        SortKey::AtStake,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::Sku => "sku",
            SortKey::Name => "name",
            SortKey::Where => "where",
            SortKey::OnHand => "on_hand",
            SortKey::Available => "available",
            SortKey::Incoming => "incoming",
            SortKey::Outgoing => "outgoing",
            SortKey::Forecast => "forecast",
            SortKey::Cover => "cover",
            SortKey::Value => "value",
            SortKey::Sellable => "sellable",
            SortKey::Status => "status",
            SortKey::AtStake => "at_stake",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|key| key.as_str() == text)
    }
}

/// What the stock table shows: rows of some scopes, filtered, sorted, one page.
#[derive(Debug, Clone)]
pub struct StockQuery {
    pub scopes: Vec<i64>,
    /// Matched against SKU, barcode and name (case-insensitive substring, trigram-indexed).
    pub search: Option<String>,
    pub status: Option<String>,
    /// An exception kind (`domain::stock::Exception`).
    pub exception: Option<String>,
    /// Categories (a category and those below it).
    pub categories: Option<Vec<i64>>,
    /// A supplier (`res.partner`) with a price for the product or its template.
    pub supplier: Option<i64>,
    pub sort: SortKey,
    pub descending: bool,
    pub offset: u64,
    pub limit: u64,
}

/// One row of the stock table.
#[derive(Debug, Clone, sea_orm::FromQueryResult)]
pub struct StockRow {
    pub scope_id: i64,
    pub product_id: i64,
    pub sku: Option<String>,
    pub name: Option<String>,
    pub barcode: Option<String>,
    pub on_hand: f64,
    pub reserved: f64,
    pub available: f64,
    pub incoming: f64,
    pub outgoing: f64,
    pub forecast: f64,
    pub consigned: f64,
    pub value: f64,
    pub cover_days: Option<f64>,
    pub sellable: Option<f64>,
    pub status: String,
    pub exception: Option<String>,
    pub at_stake: f64,
    pub computed_at: chrono::DateTime<chrono::Utc>,
}

/// `%text%` for LIKE, with LIKE's own characters taken literally.
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

fn filtered(query: &StockQuery) -> sea_orm::sea_query::SelectStatement {
    use sea_orm::sea_query::{Cond, Expr, ExprTrait as _};
    use stock_position::Column as P;
    let mut select = Query::select();
    select
        .from(stock_position::Entity)
        .and_where(Expr::col(P::ScopeId).is_in(query.scopes.iter().copied()));
    if let Some(status) = &query.status {
        select.and_where(Expr::col(P::Status).eq(status.as_str()));
    }
    if let Some(exception) = &query.exception {
        select.and_where(Expr::col(P::Exception).eq(exception.as_str()));
    }
    if let Some(categories) = &query.categories {
        select.and_where(Expr::col(P::CategoryId).is_in(categories.iter().copied()));
    }
    if let Some(text) = &query.search {
        // One trigram-indexed text of SKU, barcode and name, lower-cased (tenant migration 000008).
        // Backslash is LIKE's default escape character (sea-query renders an explicit ESCAPE clause
        // inside parentheses, which PostgreSQL refuses).
        let matching = Query::select()
            .column(odoo_product_product::Column::OdooId)
            .from(odoo_product_product::Entity)
            .and_where(Expr::col(Alias::new("search_text")).like(contains_pattern(&text.to_lowercase())))
            .to_owned();
        select.and_where(Expr::col(P::ProductId).in_subquery(matching));
    }
    if let Some(partner) = query.supplier {
        // Products the supplier has a price for: named ones, and every variant of a named template.
        use odoo_product_supplierinfo::Column as S;
        let named = Query::select()
            .column(S::ProductId)
            .from(odoo_product_supplierinfo::Entity)
            .and_where(Expr::col(S::PartnerId).eq(partner))
            .and_where(Expr::col(S::OdooDeletedAt).is_null())
            .and_where(Expr::col(S::ProductId).is_not_null())
            .to_owned();
        let templates = Query::select()
            .column(S::ProductTmplId)
            .from(odoo_product_supplierinfo::Entity)
            .and_where(Expr::col(S::PartnerId).eq(partner))
            .and_where(Expr::col(S::OdooDeletedAt).is_null())
            .and_where(Expr::col(S::ProductId).is_null())
            .to_owned();
        let variants = Query::select()
            .column(odoo_product_product::Column::OdooId)
            .from(odoo_product_product::Entity)
            .and_where(Expr::col(odoo_product_product::Column::ProductTmplId).in_subquery(templates))
            .to_owned();
        select.cond_where(
            Cond::any()
                .add(Expr::col(P::ProductId).in_subquery(named))
                .add(Expr::col(P::ProductId).in_subquery(variants)),
        );
    }
    select
}

/// How many rows of the stock table match `query` (its paging aside).
pub async fn stock_count(tx: &TenantTxn, query: &StockQuery) -> Result<u64, DbErr> {
    use sea_orm::sea_query::Expr;
    let unfiltered = query.search.is_none()
        && query.status.is_none()
        && query.exception.is_none()
        && query.categories.is_none()
        && query.supplier.is_none();
    if unfiltered {
        // The summaries hold it, as of the last refresh, for every scope they cover.
        let summaries = summaries(tx, &query.scopes).await?;
        if summaries.len() == query.scopes.len() {
            return Ok(summaries.iter().map(|s| u64::try_from(s.rows).unwrap_or(0)).sum());
        }
    }
    let mut count = filtered(query);
    count.expr(Func::count(Expr::col(stock_position::Column::ProductId)));
    let total: i64 = match tx.query_one(&count).await? {
        Some(row) => row.try_get_by_index(0)?,
        None => 0,
    };
    Ok(u64::try_from(total).unwrap_or(0))
}

/// One page of the stock table.
pub async fn stock_rows(tx: &TenantTxn, query: &StockQuery) -> Result<Vec<StockRow>, DbErr> {
    use sea_orm::FromQueryResult as _;
    use sea_orm::sea_query::{Expr, ExprTrait as _, NullOrdering, Order, SubQueryStatement};
    use stock_position::Column as P;
    let mut page = filtered(query);
    let wanted = [
        P::ScopeId,
        P::ProductId,
        P::Sku,
        P::Name,
        P::Barcode,
        P::OnHand,
        P::Reserved,
        P::Available,
        P::Incoming,
        P::Outgoing,
        P::Forecast,
        P::Consigned,
        P::Value,
        P::CoverDays,
        P::Sellable,
        P::Status,
        P::Exception,
        P::AtStake,
        P::ComputedAt,
    ];
    page.columns(wanted);
    let order = if query.descending { Order::Desc } else { Order::Asc };
    let column = |column: P| Expr::col((stock_position::Entity, column));
    let key = match query.sort {
        SortKey::Sku => column(P::Sku),
        SortKey::Name => column(P::Name),
        // The location's name.
        SortKey::Where => Expr::SubQuery(
            None,
            Box::new(SubQueryStatement::SelectStatement(
                Query::select()
                    .column(stock_scope::Column::Name)
                    .from(stock_scope::Entity)
                    .and_where(
                        Expr::col((stock_scope::Entity, stock_scope::Column::Id))
                            .equals((stock_position::Entity, P::ScopeId)),
                    )
                    .to_owned(),
            )),
        ),
        SortKey::OnHand => column(P::OnHand),
        SortKey::Available => column(P::Available),
        SortKey::Incoming => column(P::Incoming),
        SortKey::Outgoing => column(P::Outgoing),
        SortKey::Forecast => column(P::Forecast),
        SortKey::Cover => column(P::CoverDays),
        SortKey::Value => column(P::Value),
        SortKey::Sellable => column(P::Sellable),
        SortKey::AtStake => column(P::AtStake),
        // By severity, the most urgent first when ascending.
        SortKey::Status => Expr::case(column(P::Status).eq("negative"), 0)
            .case(column(P::Status).eq("out"), 1)
            .case(column(P::Status).eq("low"), 2)
            .case(column(P::Status).eq("overstock"), 3)
            .finally(4)
            .into(),
    };
    // Missing values (no SKU, no cover) last whichever the direction (columns that are never null
    // sort as their indexes do); ties in a stable order.
    let nullable = matches!(
        query.sort,
        SortKey::Sku | SortKey::Name | SortKey::Cover | SortKey::Sellable | SortKey::Where
    );
    if nullable {
        page.order_by_expr_with_nulls(key, order.clone(), NullOrdering::Last);
    } else {
        page.order_by_expr(key, order.clone());
    }
    page.order_by(P::ProductId, Order::Asc);
    if query.scopes.len() > 1 {
        page.order_by(P::ScopeId, Order::Asc);
    }
    page.offset(query.offset).limit(query.limit);
    tx.query_all(&page)
        .await?
        .iter()
        .map(|row| StockRow::from_query_result(row, ""))
        .collect()
}

/// The product categories, for the filter (id, full name).
pub async fn categories(tx: &TenantTxn) -> Result<Vec<odoo_product_category::Model>, DbErr> {
    use sea_orm::{ColumnTrait as _, QueryFilter as _, QueryOrder as _};
    odoo_product_category::Entity::find()
        .filter(odoo_product_category::Column::OdooDeletedAt.is_null())
        .order_by_asc(odoo_product_category::Column::CompleteName)
        .all(tx)
        .await
}

/// Whether `partner` is a supplier (has a supplier rank).
pub async fn is_supplier(tx: &TenantTxn, partner: i64) -> Result<bool, DbErr> {
    Ok(odoo_res_partner::Entity::find_by_id(partner)
        .one(tx)
        .await?
        .is_some_and(|p| p.supplier_rank > 0 && p.odoo_deleted_at.is_none()))
}

/// The suppliers (partners with a supplier rank), for the filter.
pub async fn suppliers(tx: &TenantTxn) -> Result<Vec<odoo_res_partner::Model>, DbErr> {
    use sea_orm::{ColumnTrait as _, QueryFilter as _, QueryOrder as _};
    odoo_res_partner::Entity::find()
        .filter(odoo_res_partner::Column::SupplierRank.gt(0))
        .filter(odoo_res_partner::Column::OdooDeletedAt.is_null())
        .order_by_asc(odoo_res_partner::Column::Name)
        .all(tx)
        .await
}

/// One kind of exception over some scopes: how many rows, and the value at stake in all.
#[derive(Debug, Clone, PartialEq)]
pub struct ExceptionTotal {
    pub exception: String,
    pub rows: i64,
    pub at_stake: f64,
}

/// The exceptions in `scopes`, by kind (from the summaries).
pub async fn exception_totals(tx: &TenantTxn, scopes: &[i64]) -> Result<Vec<ExceptionTotal>, DbErr> {
    use sea_orm::{ColumnTrait as _, QueryFilter as _};
    let mut totals: Vec<ExceptionTotal> = Vec::new();
    for row in stock_scope_exception::Entity::find()
        .filter(stock_scope_exception::Column::ScopeId.is_in(scopes.iter().copied()))
        .all(tx)
        .await?
    {
        match totals.iter_mut().find(|t| t.exception == row.exception) {
            Some(total) => {
                total.rows += row.rows;
                total.at_stake += row.at_stake;
            }
            None => totals.push(ExceptionTotal {
                exception: row.exception,
                rows: row.rows,
                at_stake: row.at_stake,
            }),
        }
    }
    Ok(totals)
}

/// The rows of one exception kind in `scopes` with the most at stake.
pub async fn top_exceptions(
    tx: &TenantTxn,
    scopes: &[i64],
    exception: &str,
    limit: u64,
) -> Result<Vec<stock_position::Model>, DbErr> {
    use sea_orm::{ColumnTrait as _, QueryFilter as _, QueryOrder as _, QuerySelect as _};
    stock_position::Entity::find()
        .filter(stock_position::Column::ScopeId.is_in(scopes.iter().copied()))
        .filter(stock_position::Column::Exception.eq(exception))
        .order_by_desc(stock_position::Column::AtStake)
        .order_by_asc(stock_position::Column::ProductId)
        .limit(limit)
        .all(tx)
        .await
}

/// Σ stock value over `scopes` (from the summaries).
pub async fn stock_value(tx: &TenantTxn, scopes: &[i64]) -> Result<f64, DbErr> {
    Ok(summaries(tx, scopes).await?.iter().map(|s| s.value).sum())
}

/// Everything the product detail shows of one product, as the mirror holds it.
#[derive(Debug, Clone)]
pub struct ProductDetail {
    pub product: odoo_product_product::Model,
    pub template: Option<odoo_product_template::Model>,
    pub category: Option<String>,
    /// Cost per company (company id, cost).
    pub costs: Vec<(i64, f64)>,
    /// Company names by id.
    pub companies: std::collections::HashMap<i64, String>,
    pub positions: Vec<stock_position::Model>,
    pub quants: Vec<odoo_stock_quant::Model>,
    /// Open moves, and moves done since `since`, newest first.
    pub moves: Vec<odoo_stock_move::Model>,
    pub locations: Vec<odoo_stock_location::Model>,
    pub channels: Vec<sales_channel::Model>,
    pub channel_sources: Vec<(uuid::Uuid, i64)>,
    pub quarantine: Vec<i64>,
    /// Open receipts from suppliers: (move, purchase order name, supplier name, promised date now,
    /// first promised date).
    pub receipts: Vec<Receipt>,
}

/// An open receipt of the product from a supplier, with what was promised.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub move_id: i64,
    pub reference: Option<String>,
    pub order: Option<String>,
    pub supplier: Option<String>,
    pub remaining: f64,
    pub location_dest_id: Option<i64>,
    pub scheduled: Option<chrono::DateTime<chrono::Utc>>,
    pub promised: Option<chrono::DateTime<chrono::Utc>>,
    pub first_promised: Option<chrono::DateTime<chrono::Utc>>,
}

/// The product detail's data; `None` when the mirror has no such product.
pub async fn product_detail(
    tx: &TenantTxn,
    product_id: i64,
    since: chrono::DateTime<chrono::Utc>,
) -> Result<Option<ProductDetail>, DbErr> {
    use sea_orm::sea_query::Cond;
    use sea_orm::{ColumnTrait as _, QueryFilter as _, QueryOrder as _};
    let Some(product) = odoo_product_product::Entity::find_by_id(product_id).one(tx).await? else {
        return Ok(None);
    };
    let template = match product.product_tmpl_id {
        Some(id) => odoo_product_template::Entity::find_by_id(id).one(tx).await?,
        None => None,
    };
    let category = match template.as_ref().and_then(|t| t.categ_id) {
        Some(id) => odoo_product_category::Entity::find_by_id(id)
            .one(tx)
            .await?
            .and_then(|c| c.complete_name.or(c.name)),
        None => None,
    };
    let costs = odoo_product_product_cost::Entity::find()
        .filter(odoo_product_product_cost::Column::OdooId.eq(product_id))
        .filter(odoo_product_product_cost::Column::OdooDeletedAt.is_null())
        .order_by_asc(odoo_product_product_cost::Column::CompanyId)
        .all(tx)
        .await?
        .into_iter()
        .map(|c| (c.company_id, c.standard_price))
        .collect();
    let companies = odoo_res_company::Entity::find()
        .all(tx)
        .await?
        .into_iter()
        .map(|c| (c.odoo_id, c.name.unwrap_or_else(|| format!("company {}", c.odoo_id))))
        .collect();
    let positions = stock_position::Entity::find()
        .filter(stock_position::Column::ProductId.eq(product_id))
        .all(tx)
        .await?;
    let quants = odoo_stock_quant::Entity::find()
        .filter(odoo_stock_quant::Column::ProductId.eq(product_id))
        .filter(odoo_stock_quant::Column::OdooDeletedAt.is_null())
        .order_by_asc(odoo_stock_quant::Column::LocationId)
        .order_by_asc(odoo_stock_quant::Column::OdooId)
        .all(tx)
        .await?;
    let moves = odoo_stock_move::Entity::find()
        .filter(odoo_stock_move::Column::ProductId.eq(product_id))
        .filter(odoo_stock_move::Column::OdooDeletedAt.is_null())
        .filter(
            Cond::any()
                .add(odoo_stock_move::Column::State.is_not_in(["done", "cancel"]))
                .add(
                    Cond::all()
                        .add(odoo_stock_move::Column::State.eq("done"))
                        .add(odoo_stock_move::Column::Date.gte(since)),
                ),
        )
        .order_by_desc(odoo_stock_move::Column::Date)
        .order_by_desc(odoo_stock_move::Column::OdooId)
        .all(tx)
        .await?;
    let locations = odoo_stock_location::Entity::find()
        .filter(odoo_stock_location::Column::OdooDeletedAt.is_null())
        .all(tx)
        .await?;
    let channels = sales_channel::Entity::find()
        .order_by_asc(sales_channel::Column::Name)
        .all(tx)
        .await?;
    let channel_sources = sales_channel_source::Entity::find()
        .all(tx)
        .await?
        .into_iter()
        .map(|s| (s.channel_id, s.location_id))
        .collect();
    let quarantine = quarantine_location::Entity::find()
        .all(tx)
        .await?
        .into_iter()
        .map(|q| q.location_id)
        .collect();
    let receipts = receipts(tx, &moves, &locations).await?;
    Ok(Some(ProductDetail {
        product,
        template,
        category,
        costs,
        companies,
        positions,
        quants,
        moves,
        locations,
        channels,
        channel_sources,
        quarantine,
        receipts,
    }))
}

/// The open moves among `moves` that come from a supplier location, with their purchase order and
/// the dates promised for them (now, and first: the purchase line's history).
async fn receipts(
    tx: &TenantTxn,
    moves: &[odoo_stock_move::Model],
    locations: &[odoo_stock_location::Model],
) -> Result<Vec<Receipt>, DbErr> {
    use sea_orm::{ColumnTrait as _, QueryFilter as _, QueryOrder as _};
    let suppliers: std::collections::HashSet<i64> = locations
        .iter()
        .filter(|l| l.usage.as_deref() == Some("supplier"))
        .map(|l| l.odoo_id)
        .collect();
    let open: Vec<&odoo_stock_move::Model> = moves
        .iter()
        .filter(|m| !matches!(m.state.as_deref(), Some("done" | "cancel")))
        .filter(|m| m.location_id.is_some_and(|l| suppliers.contains(&l)))
        .collect();
    let line_ids: Vec<i64> = open.iter().filter_map(|m| m.purchase_line_id).collect();
    let picking_ids: Vec<i64> = open.iter().filter_map(|m| m.picking_id).collect();
    let lines: std::collections::HashMap<i64, odoo_purchase_order_line::Model> =
        odoo_purchase_order_line::Entity::find()
            .filter(odoo_purchase_order_line::Column::OdooId.is_in(line_ids.clone()))
            .all(tx)
            .await?
            .into_iter()
            .map(|l| (l.odoo_id, l))
            .collect();
    let order_ids: Vec<i64> = lines.values().filter_map(|l| l.order_id).collect();
    let orders: std::collections::HashMap<i64, odoo_purchase_order::Model> = odoo_purchase_order::Entity::find()
        .filter(odoo_purchase_order::Column::OdooId.is_in(order_ids))
        .all(tx)
        .await?
        .into_iter()
        .map(|o| (o.odoo_id, o))
        .collect();
    let partner_ids: Vec<i64> = orders.values().filter_map(|o| o.partner_id).collect();
    let partners: std::collections::HashMap<i64, Option<String>> = odoo_res_partner::Entity::find()
        .filter(odoo_res_partner::Column::OdooId.is_in(partner_ids))
        .all(tx)
        .await?
        .into_iter()
        .map(|p| (p.odoo_id, p.name))
        .collect();
    let pickings: std::collections::HashMap<i64, odoo_stock_picking::Model> = odoo_stock_picking::Entity::find()
        .filter(odoo_stock_picking::Column::OdooId.is_in(picking_ids))
        .all(tx)
        .await?
        .into_iter()
        .map(|p| (p.odoo_id, p))
        .collect();
    // The first promised date: the oldest recorded entry of each line's history.
    let mut first_promised = std::collections::HashMap::new();
    for entry in odoo_purchase_order_line_history::Entity::find()
        .filter(odoo_purchase_order_line_history::Column::OdooId.is_in(line_ids))
        .order_by_desc(odoo_purchase_order_line_history::Column::RecordedAt)
        .all(tx)
        .await?
    {
        first_promised.insert(entry.odoo_id, entry.date_planned);
    }
    Ok(open
        .into_iter()
        .map(|m| {
            let line = m.purchase_line_id.and_then(|id| lines.get(&id));
            let order = line.and_then(|l| l.order_id).and_then(|id| orders.get(&id));
            Receipt {
                move_id: m.odoo_id,
                reference: m.reference.clone(),
                order: order.and_then(|o| o.name.clone()),
                supplier: order
                    .and_then(|o| o.partner_id)
                    .and_then(|p| partners.get(&p).cloned().flatten()),
                remaining: m.quantity_remaining_product_uom,
                location_dest_id: m.location_dest_id,
                scheduled: m
                    .picking_id
                    .and_then(|p| pickings.get(&p))
                    .and_then(|p| p.scheduled_date),
                promised: line.and_then(|l| l.date_planned),
                first_promised: m
                    .purchase_line_id
                    .and_then(|id| first_promised.get(&id).copied().flatten()),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_take_like_wildcards_literally() {
        assert_eq!(contains_pattern("a%b_c\\d"), "%a\\%b\\_c\\\\d%");
    }
}
