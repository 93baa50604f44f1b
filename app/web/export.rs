//! Exports of the stock table's current view (`/t/<slug>/stock/export.csv` and `.xlsx`, the same query
//! string as the table): every row of the view, not just a page, read in batches from one snapshot of
//! the data, so an export is consistent even while the sync writes. CSV streams to the client as it is
//! read (a bounded channel keeps memory flat); XLSX is built with rust_xlsxwriter in constant-memory
//! mode (rows go to a temporary file) and sent once complete. Columns are typed: numbers are numbers,
//! text is text. Formula injection is prevented: a CSV text cell starting with `=`, `+`, `-`, `@`, a tab
//! or a carriage return is prefixed with `'`; XLSX writes text as text, never as a formula. A view
//! larger than [`MAX_EXPORT_ROWS`] is refused with a message saying how to narrow it.

use actix_web::http::header;
use actix_web::web::{self, Bytes, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse, get};

use crate::db::stock::{self, StockQuery, StockRow};
use crate::db::tenancy::{TenantTxn, with_tenant, with_tenant_snapshot};

use super::AppState;
use super::errors::AppError;
use super::extractors::{Member, parse_form};
use super::stock::{Params, View, resolve};

/// The most rows one export holds (retail-L's whole catalogue at one place fits).
pub const MAX_EXPORT_ROWS: u64 = 250_000;
/// Rows read per statement.
const BATCH: u64 = 5_000;

const HEADER: [&str; 17] = [
    "SKU",
    "Product",
    "Barcode",
    "Where",
    "On hand",
    "Reserved",
    "Available",
    "Incoming",
    "Outgoing",
    "Forecast",
    "Consigned",
    "Days of cover",
    "Value",
    "Available to sell",
    "Status",
    "Exception",
    "At stake",
];

/// One cell of an exported row.
enum Cell {
    Text(String),
    Number(f64),
    Empty,
}

fn cells(row: &StockRow, place: &str) -> [Cell; 17] {
    let text = |v: &Option<String>| v.clone().map_or(Cell::Empty, Cell::Text);
    let number = |v: Option<f64>| v.map_or(Cell::Empty, Cell::Number);
    [
        text(&row.sku),
        text(&row.name),
        text(&row.barcode),
        Cell::Text(place.to_string()),
        Cell::Number(row.on_hand),
        Cell::Number(row.reserved),
        Cell::Number(row.available),
        Cell::Number(row.incoming),
        Cell::Number(row.outgoing),
        Cell::Number(row.forecast),
        Cell::Number(row.consigned),
        number(row.cover_days),
        Cell::Number(row.value),
        number(row.sellable),
        Cell::Text(row.status.clone()),
        text(&row.exception),
        Cell::Number(row.at_stake),
    ]
}

/// A text cell a spreadsheet would read as a formula gets a leading `'`.
pub fn defuse(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

fn csv_bytes(
    rows: &[StockRow],
    places: &std::collections::HashMap<i64, String>,
    header: bool,
) -> Result<Bytes, csv::Error> {
    let mut out = csv::Writer::from_writer(Vec::with_capacity(rows.len() * 160));
    if header {
        out.write_record(HEADER)?;
    }
    for row in rows {
        let place = places.get(&row.scope_id).map(String::as_str).unwrap_or_default();
        let record: Vec<String> = cells(row, place)
            .into_iter()
            .map(|cell| match cell {
                Cell::Text(t) => defuse(&t).into_owned(),
                Cell::Number(n) => n.to_string(),
                Cell::Empty => String::new(),
            })
            .collect();
        out.write_record(&record)?;
    }
    out.into_inner()
        .map(Bytes::from)
        .map_err(|e| csv::Error::from(e.into_error()))
}

/// Refuses a view too large to export, with how to narrow it.
async fn check_size(tx: &TenantTxn, query: &StockQuery) -> Result<u64, AppError> {
    let rows = if query.scopes.is_empty() {
        0
    } else {
        stock::stock_count(tx, query).await?
    };
    if rows > MAX_EXPORT_ROWS {
        return Err(AppError::BadRequest(format!(
            "This view has {rows} rows; an export holds at most {MAX_EXPORT_ROWS}. Narrow it with a place, a \
             status, a category or a search first."
        )));
    }
    Ok(rows)
}

fn file_name(slug: &str, extension: &str) -> String {
    format!("stock-{slug}-{}.{extension}", chrono::Utc::now().format("%Y-%m-%d"))
}

fn attachment(name: &str) -> (header::HeaderName, String) {
    (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\""))
}

#[get("/t/{slug}/stock/export.csv")]
async fn export_csv(req: HttpRequest, state: web::Data<AppState>, member: Member) -> Result<HttpResponse, AppError> {
    let view = View::parse(parse_form::<Params>(req.query_string().as_bytes())?)?;
    // Bad input and size are answered before the download starts.
    with_tenant(&state.db, member.tenant, async |tx| {
        let resolved = resolve(tx, &member, &view, true).await?;
        check_size(tx, &resolved.query).await
    })
    .await?;
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let (db, tenant, name) = (state.db.clone(), member.tenant, file_name(member.slug.as_str(), "csv"));
    tokio::spawn(async move {
        let read = with_tenant_snapshot(&db, tenant, async |tx| {
            let resolved = resolve(tx, &member, &view, true).await?;
            let mut query = resolved.query;
            query.limit = BATCH;
            let mut offset = 0;
            loop {
                query.offset = offset;
                let rows = if query.scopes.is_empty() {
                    Vec::new()
                } else {
                    stock::stock_rows(tx, &query).await?
                };
                let chunk = csv_bytes(&rows, &resolved.place_names, offset == 0)
                    .map_err(|e| AppError::Internal(format!("writing CSV: {e}")))?;
                if sender.send(Ok(chunk)).await.is_err() {
                    return Ok(()); // The client went away.
                }
                offset += BATCH;
                if (rows.len() as u64) < BATCH || offset >= MAX_EXPORT_ROWS {
                    return Ok::<_, AppError>(());
                }
            }
        })
        .await;
        if let Err(e) = read {
            // The download fails visibly (the body ends with an error) instead of looking complete.
            tracing::error!(error = %e, "stock export failed");
            let _ = sender.send(Err(std::io::Error::other("the export failed"))).await;
        }
    });
    let body = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(attachment(&name))
        .streaming(body))
}

#[get("/t/{slug}/stock/export.xlsx")]
async fn export_xlsx(req: HttpRequest, state: web::Data<AppState>, member: Member) -> Result<HttpResponse, AppError> {
    use rust_xlsxwriter::{Format, Workbook};
    let view = View::parse(parse_form::<Params>(req.query_string().as_bytes())?)?;
    let failed = |e: rust_xlsxwriter::XlsxError| AppError::Internal(format!("writing XLSX: {e}"));
    let mut workbook = with_tenant_snapshot(&state.db, member.tenant, async |tx| {
        let resolved = resolve(tx, &member, &view, true).await?;
        check_size(tx, &resolved.query).await?;
        let mut workbook = Workbook::new();
        let bold = Format::new().set_bold();
        let sheet = workbook.add_worksheet_with_constant_memory().map_err(failed)?;
        sheet.set_name("Stock").map_err(failed)?;
        for (col, title) in HEADER.iter().enumerate() {
            sheet
                .write_string_with_format(0, col as u16, *title, &bold)
                .map_err(failed)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(failed)?;
        let mut query = resolved.query;
        query.limit = BATCH;
        let mut line: u32 = 1;
        loop {
            let rows = if query.scopes.is_empty() {
                Vec::new()
            } else {
                stock::stock_rows(tx, &query).await?
            };
            for row in &rows {
                let place = resolved
                    .place_names
                    .get(&row.scope_id)
                    .map(String::as_str)
                    .unwrap_or_default();
                for (col, cell) in cells(row, place).into_iter().enumerate() {
                    match cell {
                        // Text stays text: no formula is ever written.
                        Cell::Text(t) => sheet.write_string(line, col as u16, t).map_err(failed)?,
                        Cell::Number(n) => sheet.write_number(line, col as u16, n).map_err(failed)?,
                        Cell::Empty => sheet,
                    };
                }
                line += 1;
            }
            query.offset += BATCH;
            if (rows.len() as u64) < BATCH || query.offset >= MAX_EXPORT_ROWS {
                break;
            }
        }
        Ok::<_, AppError>(workbook)
    })
    .await?;
    let bytes = tokio::task::spawn_blocking(move || workbook.save_to_buffer())
        .await
        .map_err(|e| AppError::Internal(format!("writing XLSX: {e}")))?
        .map_err(failed)?;
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header(attachment(&file_name(member.slug.as_str(), "xlsx")))
        .body(bytes))
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(export_csv).service(export_xlsx);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_a_spreadsheet_would_run_are_defused() {
        for hostile in ["=HYPERLINK(\"x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert!(defuse(hostile).starts_with('\''), "{hostile:?}");
        }
        assert_eq!(defuse("Blue shirt"), "Blue shirt");
    }
}
