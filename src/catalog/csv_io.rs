//! Catalogue CSV: bulk import by operators (UTF-8 with or without BOM, or Shift_JIS; per-row
//! errors with row and column; all-or-nothing unless partial import is asked for) and export
//! (UTF-8 with BOM or Shift_JIS, so Excel opens it with the right characters).
use super::{
    content::{Nutrition, ProductContent},
    domain::Jan,
    service::{self, SkuInput, check_content, check_sku, write_content},
};
use crate::core::csv::RowError;
use crate::{
    audit::{self, AuditRecord},
    core::{
        self,
        csv::{CsvEncoding, decode, encode, escape_cell, unescape_cell},
    },
    db,
    error::{ApiError, ApiResult},
    http::actor::{Actor, Role},
    state::AppState,
};
use entity::{product, sku};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use utoipa::ToSchema;
use uuid::Uuid;

/// The columns, in order (import accepts any order; export writes this one).
pub const COLUMNS: [&str; 21] = [
    "producer_id",
    "title_ja",
    "title_en",
    "description_ja",
    "category_code",
    "temperature_class",
    "date_kind",
    "shelf_life_days",
    "allergens",
    "ingredients",
    "additives",
    "net_content",
    "storage",
    "tax_rate",
    "alcohol",
    "quarantine_class",
    "hs_code",
    "sku_code",
    "price_yen",
    "weight_g",
    "jan",
];

/// The result of an import.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportReport {
    pub imported: usize,
    pub failed: Vec<RowError>,
    /// Nothing was written because a row failed and partial import was not asked for.
    pub rolled_back: bool,
}

struct ParsedRow {
    producer_id: Uuid,
    aggregator_id: Uuid,
    content: ProductContent,
    sku: SkuInput,
}

/// Imports products (one product with one SKU per row) as drafts of the named producers.
///
/// # Errors
/// 403 non-staff; 422 `file`/`encoding` for unreadable files. Row errors are in the report;
/// with `partial = false` any row error means nothing is written (`rolled_back`).
#[tracing::instrument(skip_all)]
pub async fn import(
    app: &AppState,
    actor: &Actor,
    bytes: &[u8],
    enc: CsvEncoding,
    partial: bool,
) -> ApiResult<ImportReport> {
    // Staff import for any producer of their aggregator; a producer imports its own products
    // (its rows name no producer, or itself).
    actor.require(&[Role::Operator, Role::Admin, Role::Producer])?;
    let text = decode(bytes, enc)?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|_| ApiError::field("file", "the first line must be the header"))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let staff = actor.role != Role::Producer;
    if staff && !headers.iter().any(|h| h == "producer_id") {
        return Err(ApiError::field(
            "file",
            "the header has no column producer_id",
        ));
    }
    for required in [
        "title_ja",
        "category_code",
        "sku_code",
        "price_yen",
        "weight_g",
    ] {
        if !headers.iter().any(|h| h == required) {
            return Err(ApiError::field(
                "file",
                format!("the header has no column {required}"),
            ));
        }
    }
    // `status` is written by the export and ignored here, so an export can be re-imported.
    if let Some(unknown) = headers
        .iter()
        .find(|h| !COLUMNS.contains(&h.as_str()) && h.as_str() != "status")
    {
        return Err(ApiError::field("file", format!("unknown column {unknown}")));
    }
    let mut failed = Vec::new();
    let mut rows = Vec::new();
    let mut codes_in_file: HashSet<String> = HashSet::new();
    // Loaded once for the whole file (each row names its category).
    let categories = service::categories(&app.db).await?;
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                failed.push(RowError {
                    row: line,
                    column: "row".into(),
                    message: format!("unreadable row: {e}"),
                });
                continue;
            }
        };
        let cell: BTreeMap<&str, String> = headers
            .iter()
            .zip(record.iter())
            .map(|(h, v)| (h.as_str(), unescape_cell(v.trim())))
            .collect();
        match parse_row(app, actor, line, &cell, &categories, &mut codes_in_file).await {
            Ok(r) => rows.push(r),
            Err(errs) => failed.extend(errs),
        }
    }
    if rows.is_empty() && failed.is_empty() {
        return Err(ApiError::field("file", "the file has no rows"));
    }
    if !failed.is_empty() && !partial {
        return Ok(ImportReport {
            imported: 0,
            failed,
            rolled_back: true,
        });
    }
    let txn = db::begin_write(&app.db).await?;
    let now = core::now();
    let mut imported = 0;
    for r in rows {
        let mut am = product::ActiveModel {
            id: Set(core::new_id()),
            aggregator_id: Set(r.aggregator_id),
            producer_id: Set(r.producer_id),
            status: Set(service::status::DRAFT.into()),
            review_comments: Set("{}".into()),
            created_at: Set(now),
            updated_at: Set(now),
            submitted_at: Set(None),
            listed_at: Set(None),
            ..Default::default()
        };
        write_content(&mut am, &r.content);
        let p = super::repo::insert_product(&txn, am).await?;
        let jan = r
            .sku
            .jan
            .as_deref()
            .filter(|j| !j.is_empty())
            .and_then(|j| Jan::parse(j).ok());
        let row = sku::ActiveModel {
            id: Set(core::new_id()),
            aggregator_id: Set(p.aggregator_id),
            producer_id: Set(p.producer_id),
            product_id: Set(p.id),
            code: Set(r.sku.code.clone().unwrap_or_default()),
            name: Set(p.title_ja.clone()),
            jan_local_only: Set(jan.as_ref().is_some_and(Jan::is_local_only)),
            jan: Set(jan.map(|j| j.as_str().to_string())),
            price_yen: Set(r.sku.price_yen.unwrap_or_default()),
            weight_g: Set(r.sku.weight_g.unwrap_or_default()),
            low_stock_threshold: Set(0),
            active: Set(true),
            low_stock_flagged: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
        };
        super::repo::insert_sku(&txn, row).await?;
        imported += 1;
    }
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: actor.aggregator_id,
            actor_user_id: Some(actor.user_id),
            action: "products_imported",
            subject_type: "product",
            subject_id: None,
            details: serde_json::json!({ "imported": imported, "failed_rows": failed.len(), "partial": partial }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(ImportReport {
        imported,
        failed,
        rolled_back: false,
    })
}

async fn parse_row(
    app: &AppState,
    actor: &Actor,
    line: usize,
    cell: &BTreeMap<&str, String>,
    categories: &[entity::category::Model],
    codes_in_file: &mut HashSet<String>,
) -> Result<ParsedRow, Vec<RowError>> {
    let get = |k: &str| cell.get(k).cloned().unwrap_or_default();
    let err = |column: &str, message: &str| RowError {
        row: line,
        column: column.into(),
        message: message.into(),
    };
    let mut errors = Vec::new();
    let named = get("producer_id");
    let wanted = match (actor.producer_id, named.is_empty()) {
        // A producer's rows are its own; naming another producer is refused.
        (Some(own), true) => Ok(own),
        (Some(own), false) => match Uuid::parse_str(&named) {
            Ok(id) if id == own => Ok(own),
            _ => {
                errors.push(err(
                    "producer_id",
                    "a producer imports only its own products",
                ));
                Err(())
            }
        },
        (None, _) => Uuid::parse_str(&named).map_err(|_| {
            errors.push(err("producer_id", "must be a producer id (UUID)"));
        }),
    };
    let producer = match wanted {
        Err(()) => None,
        Ok(id) => match crate::producers::repo::producer(&app.db, id).await {
            Ok(Some(p)) if actor.in_tenant(Some(p.aggregator_id)) => Some(p),
            Ok(_) => {
                errors.push(err("producer_id", "no such producer in your aggregator"));
                None
            }
            Err(_) => return Err(vec![err("row", "database error")]),
        },
    };
    let int = |k: &str, errors: &mut Vec<RowError>| -> Option<i64> {
        let v = get(k);
        if v.is_empty() {
            return None;
        }
        match v.replace(',', "").parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                errors.push(err(k, "must be a whole number"));
                None
            }
        }
    };
    let shelf = int("shelf_life_days", &mut errors);
    let tax = int("tax_rate", &mut errors);
    let price = int("price_yen", &mut errors);
    let weight = int("weight_g", &mut errors);
    let alcohol = matches!(
        get("alcohol").to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "はい"
    );
    let opt = |k: &str| Some(get(k)).filter(|v| !v.is_empty());
    let suggested = super::content::default_tax_rate(categories, &get("category_code"));
    let mut content = ProductContent {
        title_ja: get("title_ja"),
        title_en: opt("title_en"),
        description_ja: Some(get("description_ja"))
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| get("title_ja")),
        description_en: None,
        category_code: get("category_code"),
        tags: Vec::new(),
        temperature_class: opt("temperature_class").unwrap_or_else(|| "ambient".into()),
        date_kind: opt("date_kind").unwrap_or_else(|| "best_before".into()),
        shelf_life_days: narrow(shelf, "shelf_life_days", line, &mut errors).unwrap_or(0),
        allergens: get("allergens")
            .split([';', ' ', '|'])
            .filter(|a| !a.is_empty())
            .map(str::to_string)
            .collect(),
        ingredients: get("ingredients"),
        additives: get("additives"),
        net_content: get("net_content"),
        storage: get("storage"),
        origin_municipality_code: None,
        nutrition: Nutrition::default(),
        tax_rate: narrow(tax, "tax_rate", line, &mut errors).unwrap_or(suggested),
        alcohol,
        quarantine_class: opt("quarantine_class").unwrap_or_else(|| "none".into()),
        hs_code: opt("hs_code"),
    };
    match check_content(&app.db, &mut content).await {
        Ok(_) => {}
        Err(ApiError::Validation { fields, .. }) => {
            errors.extend(fields.into_iter().map(|(f, m)| RowError {
                row: line,
                column: f,
                message: m,
            }))
        }
        Err(_) => errors.push(err("row", "this row could not be checked")),
    }
    let sku = SkuInput {
        code: opt("sku_code"),
        name: None,
        jan: opt("jan"),
        price_yen: price,
        weight_g: narrow(weight, "weight_g", line, &mut errors),
        low_stock_threshold: None,
        active: None,
    };
    if let Err(ApiError::Validation { fields, .. }) = check_sku(&sku, true) {
        // (check_sku has no database access: validation is its only error.)
        errors.extend(fields.into_iter().map(|(f, m)| {
            let column = match f.as_str() {
                "code" => "sku_code".to_string(),
                other => other.to_string(),
            };
            RowError {
                row: line,
                column,
                message: m,
            }
        }));
    }
    if let (Some(code), Some(p)) = (&sku.code, &producer) {
        let taken = super::repo::sku_by_code(&app.db, p.aggregator_id, code)
            .await
            .ok()
            .flatten()
            .is_some();
        if taken || !codes_in_file.insert(code.clone()) {
            errors.push(err("sku_code", "another SKU already uses this code"));
        }
    }
    match producer {
        Some(p) if errors.is_empty() => Ok(ParsedRow {
            producer_id: p.id,
            aggregator_id: p.aggregator_id,
            content,
            sku,
        }),
        _ => Err(errors),
    }
}

/// Exports the catalogue in scope (one row per SKU) as CSV bytes in `enc` (UTF-8 gets a BOM).
///
/// # Errors
/// 403 officers; database failure.
#[tracing::instrument(skip_all)]
pub async fn export(app: &AppState, actor: &Actor, enc: CsvEncoding) -> ApiResult<Vec<u8>> {
    actor.require(&[Role::Operator, Role::Admin, Role::Finance, Role::Producer])?;
    let cond = match actor.role {
        Role::Producer => Condition::all().add(
            product::Column::ProducerId.eq(actor.producer_id.ok_or_else(ApiError::forbidden)?),
        ),
        _ if actor.is_global_admin() => Condition::all(),
        _ => Condition::all().add(
            product::Column::AggregatorId
                .eq(actor.aggregator_id.ok_or_else(ApiError::forbidden)?),
        ),
    };
    let products = super::repo::all_products_where(&app.db, cond).await?;
    let ids: Vec<Uuid> = products.iter().map(|p| p.id).collect();
    let skus = super::repo::skus_of_products(&app.db, &ids, false).await?;
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let map_err = |e: csv::Error| ApiError::Internal(e.into());
    let mut header: Vec<&str> = COLUMNS.to_vec();
    header.insert(1, "status");
    w.write_record(&header).map_err(map_err)?;
    for p in &products {
        let c = ProductContent::from_model(p);
        for s in skus.iter().filter(|s| s.product_id == p.id) {
            let cells = [
                p.producer_id.to_string(),
                p.status.clone(),
                c.title_ja.clone(),
                c.title_en.clone().unwrap_or_default(),
                c.description_ja.clone(),
                c.category_code.clone(),
                c.temperature_class.clone(),
                c.date_kind.clone(),
                c.shelf_life_days.to_string(),
                c.allergens.join(";"),
                c.ingredients.clone(),
                c.additives.clone(),
                c.net_content.clone(),
                c.storage.clone(),
                c.tax_rate.to_string(),
                if c.alcohol { "1".into() } else { "0".into() },
                c.quarantine_class.clone(),
                c.hs_code.clone().unwrap_or_default(),
                s.code.clone(),
                s.price_yen.to_string(),
                s.weight_g.to_string(),
                s.jan.clone().unwrap_or_default(),
            ];
            w.write_record(cells.iter().map(|c| escape_cell(c)))
                .map_err(map_err)?;
        }
    }
    let text = String::from_utf8(
        w.into_inner()
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("{e}")))?,
    )
    .map_err(|e| ApiError::Internal(e.into()))?;
    encode(&text, enc)
}

/// A whole number from the file narrowed to its column type, or a row error.
fn narrow<T: TryFrom<i64>>(
    v: Option<i64>,
    column: &str,
    line: usize,
    errors: &mut Vec<RowError>,
) -> Option<T> {
    let v = v?;
    match T::try_from(v) {
        Ok(t) => Some(t),
        Err(_) => {
            errors.push(RowError {
                row: line,
                column: column.into(),
                message: "is out of range".into(),
            });
            None
        }
    }
}
