//! The officer's sales page (issue 17): the same report as `GET /api/v1/analytics/sales`, with
//! its filters in the URL (a view can be bookmarked and shared), a line chart of each group's
//! monthly sales drawn on the server as SVG (suppressed months left out of the lines, never
//! drawn as zero) and the table with growth against the same month a year before.
use super::extract::SignedIn;
use super::pages::{Chrome, FieldErrors, ctx, error_page};
use super::warehouse_pages::form_errors;
use crate::{
    analytics::service::{self, MonthFigure, SalesQuery},
    core::money::grouped,
    http::actor::Role,
    state::AppState,
};
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;

/// One table cell.
struct CellView {
    text: String,
    growth: String,
    suppressed: bool,
}

struct RowView {
    label: String,
    cells: Vec<CellView>,
    total: String,
}

/// One group's line in the chart.
struct Series {
    label: String,
    color: &'static str,
    /// `points` attributes of the polylines (a suppressed month breaks the line).
    lines: Vec<String>,
    /// (x, y, yen) of each shown month.
    points: Vec<(i64, i64, String)>,
}

#[derive(Template)]
#[template(config = "src/askama.toml", path = "web/templates/officer_sales.html")]
struct SalesPage {
    c: Chrome,
    hint: String,
    by: String,
    by_options: Vec<(String, &'static str)>,
    from: String,
    to: String,
    errors: FieldErrors,
    months: Vec<String>,
    rows: Vec<RowView>,
    totals: Vec<CellView>,
    series: Vec<Series>,
    ticks: Vec<(i64, String)>,
    /// (month, active, new, churned)
    producers: Vec<(String, usize, usize, usize)>,
    width: i64,
    height: i64,
    y_max: String,
}

const COLORS: [&str; 8] = [
    "#2a7f62", "#c05621", "#2b6cb0", "#805ad5", "#b83280", "#975a16", "#2c7a7b", "#4a5568",
];

fn cell_view(f: &MonthFigure, suppressed_text: &str) -> CellView {
    let growth = match (f.yoy_bp, f.yoy_new) {
        (Some(bp), _) => format!(
            "{}{}.{} %",
            if bp < 0 { "−" } else { "+" },
            (bp.abs()) / 100,
            (bp.abs() % 100) / 10
        ),
        (None, true) => "new".into(),
        _ => String::new(),
    };
    CellView {
        text: f.sales.map_or_else(|| suppressed_text.to_string(), grouped),
        growth,
        suppressed: f.suppressed,
    }
}

/// The officer's sales page.
#[utoipa::path(get, path = "/officer/sales", tag = "pages",
    params(SalesQuery),
    responses((status = 200, description = "the report", content_type = "text/html"),
        (status = 303, description = "not signed in: to /login"),
        (status = 403, description = "not an officer", content_type = "text/html"),
        (status = 422, description = "the form with the errors", content_type = "text/html")))]
pub async fn sales_page(
    app: web::Data<AppState>,
    req: HttpRequest,
    SignedIn(actor): SignedIn,
    q: web::Query<std::collections::HashMap<String, String>>,
) -> HttpResponse {
    if actor.role != Role::Officer {
        return error_page(&req, &crate::error::ApiError::forbidden());
    }
    let cx = ctx(&req, Some(&actor.locale));
    let pick = |k: &str| {
        q.get(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let query = SalesQuery {
        from: pick("from"),
        to: pick("to"),
        by: pick("by"),
    };
    let by = query.by.clone().unwrap_or_else(|| "island".into());
    let by_options: Vec<(String, &'static str)> = [
        "island",
        "municipality",
        "category",
        "channel",
        "market",
        "destination",
    ]
    .iter()
    .map(|b| (b.to_string(), cx.t.label("officer.by", b)))
    .collect();
    let (report, errors, status) = match service::sales(&app, &actor, query.clone()).await {
        Ok(r) => (Some(r), FieldErrors::default(), StatusCode::OK),
        Err(e) => match form_errors(&cx, &e) {
            Some(errors) => (None, errors, StatusCode::UNPROCESSABLE_ENTITY),
            None => return error_page(&req, &e),
        },
    };
    let suppressed_text = cx.t.get("officer.suppressed");
    let (width, height) = (720i64, 260i64);
    let mut page = SalesPage {
        c: cx.chrome(Some(actor.display_name.clone())),
        hint: cx
            .t
            .get("officer.hint")
            .replace("%{k}", &app.settings.analytics.k.to_string()),
        by,
        by_options,
        from: query.from.clone().unwrap_or_default(),
        to: query.to.clone().unwrap_or_default(),
        errors,
        months: Vec::new(),
        rows: Vec::new(),
        totals: Vec::new(),
        series: Vec::new(),
        ticks: Vec::new(),
        producers: Vec::new(),
        width,
        height,
        y_max: String::new(),
    };
    if let Some(r) = report {
        let n = r.months.len().max(1) as i64;
        let x = |i: usize| 60 + (i as i64) * (width - 80) / (n - 1).max(1);
        let max = r
            .groups
            .iter()
            .flat_map(|g| g.months.iter().filter_map(|m| m.sales))
            .max()
            .unwrap_or(0)
            .max(1);
        let y = |v: i64| height - 30 - v.max(0) * (height - 50) / max;
        page.y_max = grouped(max);
        page.ticks = r
            .months
            .iter()
            .enumerate()
            .map(|(i, m)| (x(i), m.clone()))
            .collect();
        for (gi, g) in r.groups.iter().enumerate().take(COLORS.len()) {
            let mut lines = Vec::new();
            let mut current: Vec<String> = Vec::new();
            let mut points = Vec::new();
            for (i, m) in g.months.iter().enumerate() {
                match m.sales {
                    Some(v) => {
                        current.push(format!("{},{}", x(i), y(v)));
                        points.push((x(i), y(v), grouped(v)));
                    }
                    None => {
                        if current.len() > 1 {
                            lines.push(current.join(" "));
                        }
                        current.clear();
                    }
                }
            }
            if current.len() > 1 {
                lines.push(current.join(" "));
            }
            page.series.push(Series {
                label: g.label.clone(),
                color: COLORS[gi],
                lines,
                points,
            });
        }
        page.rows = r
            .groups
            .iter()
            .map(|g| RowView {
                label: g.label.clone(),
                cells: g
                    .months
                    .iter()
                    .map(|m| cell_view(m, suppressed_text))
                    .collect(),
                total: g
                    .total
                    .sales
                    .map_or_else(|| suppressed_text.to_string(), grouped),
            })
            .collect();
        page.totals = r
            .totals
            .iter()
            .map(|m| cell_view(m, suppressed_text))
            .collect();
        page.producers = r
            .producers
            .iter()
            .map(|a| (a.month.clone(), a.active, a.new, a.churned))
            .collect();
        page.months = r.months;
    }
    cx.respond(status, page.render())
}
