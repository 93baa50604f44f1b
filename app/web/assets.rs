//! Static files, compiled into the binary so that no deployment can serve a stale or missing copy.
//! Vendored files carry their version in the name and are cached for a year.

use actix_web::http::header;
use actix_web::web::{self, ServiceConfig};
use actix_web::{HttpResponse, get};

use super::errors::AppError;

struct Asset {
    path: &'static str,
    content_type: &'static str,
    immutable: bool,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        path: "js/htmx-2.0.11.min.js",
        content_type: "text/javascript; charset=utf-8",
        immutable: true,
        body: include_bytes!("../../static/js/htmx-2.0.11.min.js"),
    },
    Asset {
        path: "css/pico-2.1.1.min.css",
        content_type: "text/css; charset=utf-8",
        immutable: true,
        body: include_bytes!("../../static/css/pico-2.1.1.min.css"),
    },
    Asset {
        path: "js/uplot-1.6.32.iife.min.js",
        content_type: "text/javascript; charset=utf-8",
        immutable: true,
        body: include_bytes!("../../static/js/uplot-1.6.32.iife.min.js"),
    },
    Asset {
        path: "css/uplot-1.6.32.min.css",
        content_type: "text/css; charset=utf-8",
        immutable: true,
        body: include_bytes!("../../static/css/uplot-1.6.32.min.css"),
    },
    Asset {
        path: "js/charts.js",
        content_type: "text/javascript; charset=utf-8",
        immutable: false,
        body: include_bytes!("../../static/js/charts.js"),
    },
    Asset {
        path: "css/truestock.css",
        content_type: "text/css; charset=utf-8",
        immutable: false,
        body: include_bytes!("../../static/css/truestock.css"),
    },
];

#[get("/static/{path:.*}")]
async fn asset(path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let asset = ASSETS
        .iter()
        .find(|a| a.path == path.as_str())
        .ok_or(AppError::NotFound)?;
    let cache = if asset.immutable {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=3600"
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, asset.content_type))
        .insert_header((header::CACHE_CONTROL, cache))
        .body(asset.body))
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(asset);
}
