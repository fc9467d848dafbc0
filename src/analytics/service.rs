//! The officer's sales report: monthly sales (tax included, returns taken off) and units of
//! the producers of the officer's prefecture, by island, municipality, category, channel or
//! market, with growth month on month and year on year, under the privacy rules of
//! [`super::report`]. Aggregates only, computed here; no buyer data exists in the rollup;
//! every query is audit-logged (who, which filters).
use super::report::{self, Cell, Privacy};
use crate::{
    audit::{self, AuditRecord},
    error::{ApiError, ApiResult},
    http::actor::{Actor, Role},
    state::AppState,
};
use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use utoipa::{IntoParams, ToSchema};

/// What the report shows.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SalesQuery {
    /// First month, `YYYY-MM` (default: eleven months before `to`).
    pub from: Option<String>,
    /// Last month, `YYYY-MM` (default: this month).
    pub to: Option<String>,
    /// `island` (default), `municipality`, `category`, `channel`, `market` or `destination`
    /// (the buyers' prefecture: where the demand comes from).
    pub by: Option<String>,
}

/// The report as CSV, with an encoding.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SalesCsvQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub by: Option<String>,
    /// `utf-8` (with a BOM, the default) or `shift_jis`.
    pub encoding: Option<String>,
}

/// How many of the prefecture's producers sold in a month: active (sold), new (sold for the
/// first time in the data), churned (sold the month before, not this one). Counts of
/// producers, no sales: nothing is suppressed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProducerActivity {
    pub month: String,
    pub active: usize,
    pub new: usize,
    pub churned: usize,
}

/// One month of a group (or of a total).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MonthFigure {
    pub month: String,
    /// Yen, tax included, returns taken off; `None` when suppressed.
    pub sales: Option<i64>,
    pub units: Option<i64>,
    pub suppressed: bool,
    /// Basis points against the month before (`None`: suppressed, or nothing on either side).
    pub mom_bp: Option<i64>,
    /// Basis points against the same month a year before.
    pub yoy_bp: Option<i64>,
    /// The base month had no sales: new, not a growth rate.
    pub mom_new: bool,
    pub yoy_new: bool,
}

/// One group's row.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GroupRow {
    pub key: String,
    pub label: String,
    pub months: Vec<MonthFigure>,
    /// The whole range.
    pub total: MonthFigure,
}

/// The report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SalesReport {
    pub prefecture_code: String,
    pub by: String,
    pub months: Vec<String>,
    pub groups: Vec<GroupRow>,
    /// Every group together, per month.
    pub totals: Vec<MonthFigure>,
    /// Producers active, new and churned per month.
    pub producers: Vec<ProducerActivity>,
    /// The privacy rules applied.
    pub k: usize,
    pub dominance_bp: i64,
}

const BY: [&str; 6] = [
    "island",
    "municipality",
    "category",
    "channel",
    "market",
    "destination",
];

fn month_of(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d").ok()
}

fn ym(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

/// The months from `from` to `to` (inclusive).
fn months(from: NaiveDate, to: NaiveDate) -> Vec<String> {
    let mut out = Vec::new();
    let mut at = from;
    while at <= to && out.len() < 240 {
        out.push(ym(at));
        at = at + Months::new(1);
    }
    out
}

/// The sales report for officer `actor` (see the module).
///
/// # Errors
/// 403 for anyone but an officer with a prefecture; 422 `from`, `to`, `by`.
#[tracing::instrument(skip_all)]
pub async fn sales(app: &AppState, actor: &Actor, q: SalesQuery) -> ApiResult<SalesReport> {
    actor.require(&[Role::Officer])?;
    let pref = actor
        .prefecture_code
        .clone()
        .ok_or_else(ApiError::forbidden)?;
    let by = q.by.clone().unwrap_or_else(|| "island".into());
    let mut errors: Vec<(String, String)> = Vec::new();
    if !BY.contains(&by.as_str()) {
        errors.push((
            "by".into(),
            "must be island, municipality, category, channel, market or destination".into(),
        ));
    }
    let today = crate::core::today_jst();
    let to = match q.to.as_deref() {
        Some(t) => {
            let m = month_of(t);
            if m.is_none() {
                errors.push(("to".into(), "must be a month as YYYY-MM".into()));
            }
            m
        }
        None => NaiveDate::from_ymd_opt(today.year(), today.month(), 1),
    };
    let from = match (q.from.as_deref(), to) {
        (Some(f), _) => {
            let m = month_of(f);
            if m.is_none() {
                errors.push(("from".into(), "must be a month as YYYY-MM".into()));
            }
            m
        }
        (None, Some(t)) => t.checked_sub_months(Months::new(11)),
        (None, None) => None,
    };
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            errors.push(("from".into(), "must not be after to".into()));
        } else if months(f, t).len() > 36 {
            errors.push(("from".into(), "the range is at most 36 months".into()));
        }
    }
    let (Some(from), Some(to)) = (from, to) else {
        return Err(ApiError::invalid(errors));
    };
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    let shown = months(from, to);
    // A year before the first month, for the growth bases.
    let base_from = from - Months::new(12);
    let end = to + Months::new(1);
    let municipalities = crate::reference::repo::municipalities(&app.db, Some(&pref)).await?;
    let codes: Vec<String> = municipalities.iter().map(|m| m.code.clone()).collect();
    let cells = super::repo::cells_of_municipalities(&app.db, codes, base_from, end).await?;
    let labels = labels(app, &by, &pref, &municipalities).await?;
    // (group, month) → per-producer net sales and units.
    let mut table: BTreeMap<(String, String), Cell> = BTreeMap::new();
    for c in &cells {
        let group = match by.as_str() {
            "municipality" => c.municipality_code.clone(),
            "category" => c.category_code.clone(),
            "channel" => {
                if c.channel == super::domain::SHOP {
                    super::domain::SHOP.to_string()
                } else {
                    "channel".to_string()
                }
            }
            "market" => c.market.clone(),
            "destination" => c.destination_prefecture.clone(),
            _ => c.island_code.clone(),
        };
        let cell = table.entry((group, ym(c.day))).or_default();
        *cell.by_producer.entry(c.producer_id).or_default() += c.sales_incl - c.returns_incl;
        cell.units += c.units - c.returns_units;
    }
    let privacy = Privacy {
        k: app.settings.analytics.k,
        dominance_bp: app.settings.analytics.dominance_bp,
    };
    // Every month of the range and its bases, every group: a full table, so the complementary
    // cells are chosen over what any view shows.
    let all_months = months(base_from, to);
    let groups: Vec<String> = {
        let mut g: Vec<String> = table.keys().map(|(g, _)| g.clone()).collect();
        g.sort();
        g.dedup();
        g
    };
    for g in &groups {
        for m in &all_months {
            table.entry((g.clone(), m.clone())).or_default();
        }
    }
    let hidden = report::suppress(&table, privacy);
    let figure = |cell: Option<&Cell>,
                  hidden_now: bool,
                  m: &str,
                  base: &dyn Fn(&str) -> (Option<i64>, bool)| {
        let sales = cell.map_or(0, Cell::sales);
        let units = cell.map_or(0, |c| c.units);
        let (prev, yago) = report::previous(m).unwrap_or_default();
        let rate = |b: &str| -> (Option<i64>, bool) {
            if hidden_now {
                return (None, false);
            }
            match base(b) {
                (Some(v), false) => match report::growth(sales, v) {
                    Some(Some(bp)) => (Some(bp), false),
                    Some(None) => (None, true),
                    None => (None, false),
                },
                _ => (None, false),
            }
        };
        let (mom_bp, mom_new) = rate(&prev);
        let (yoy_bp, yoy_new) = rate(&yago);
        MonthFigure {
            month: m.to_string(),
            sales: (!hidden_now).then_some(sales),
            units: (!hidden_now).then_some(units),
            suppressed: hidden_now,
            mom_bp,
            yoy_bp,
            mom_new,
            yoy_new,
        }
    };
    let mut rows = Vec::new();
    for g in &groups {
        let base = |b: &str| -> (Option<i64>, bool) {
            let k = (g.clone(), b.to_string());
            match table.get(&k) {
                Some(c) => (Some(c.sales()), hidden.contains(&k)),
                None => (None, false),
            }
        };
        let months_of: Vec<MonthFigure> = shown
            .iter()
            .map(|m| {
                let k = (g.clone(), m.clone());
                figure(table.get(&k), hidden.contains(&k), m, &base)
            })
            .collect();
        let mut total = Cell::default();
        for m in &shown {
            if let Some(c) = table.get(&(g.clone(), m.clone())) {
                total.add(c);
            }
        }
        let total_hidden = !report::passes(&total, privacy);
        let range = format!("{} – {}", shown[0], shown[shown.len() - 1]);
        let mut t = figure(Some(&total), total_hidden, &range, &|_| (None, false));
        t.mom_bp = None;
        t.yoy_bp = None;
        rows.push(GroupRow {
            key: g.clone(),
            label: labels.get(g).cloned().unwrap_or_else(|| g.clone()),
            months: months_of,
            total: t,
        });
    }
    // Categories are ranked (the top categories first: by the range's total, suppressed
    // totals last); other groupings keep their codes' order.
    if by == "category" {
        rows.sort_by_key(|r| std::cmp::Reverse(r.total.sales.unwrap_or(i64::MIN)));
    }
    // Per month over every group: the column totals.
    let column = |m: &str| -> Cell {
        let mut c = Cell::default();
        for g in &groups {
            if let Some(x) = table.get(&(g.clone(), m.to_string())) {
                c.add(x);
            }
        }
        c
    };
    let totals: Vec<MonthFigure> = shown
        .iter()
        .map(|m| {
            let c = column(m);
            let base = |b: &str| -> (Option<i64>, bool) {
                let bc = column(b);
                (Some(bc.sales()), !report::passes(&bc, privacy))
            };
            figure(Some(&c), !report::passes(&c, privacy), m, &base)
        })
        .collect();
    // Producers per month, from every cell of the prefecture (the first month of the data
    // makes everyone new, so "new" is counted from the second month the data holds).
    let mut by_month: BTreeMap<String, std::collections::BTreeSet<uuid::Uuid>> = BTreeMap::new();
    for c in &cells {
        if c.sales_incl - c.returns_incl != 0 {
            by_month.entry(ym(c.day)).or_default().insert(c.producer_id);
        }
    }
    let earlier = super::repo::producers_before(
        &app.db,
        municipalities.iter().map(|m| m.code.clone()).collect(),
        base_from,
    )
    .await?;
    let producers = shown
        .iter()
        .map(|m| {
            let now = by_month.get(m).cloned().unwrap_or_default();
            let (prev, _) = report::previous(m).unwrap_or_default();
            let before = by_month.get(&prev).cloned().unwrap_or_default();
            let seen_before = |p: &uuid::Uuid| {
                earlier.contains(p) || by_month.range(..m.clone()).any(|(_, s)| s.contains(p))
            };
            ProducerActivity {
                month: m.clone(),
                active: now.len(),
                new: now.iter().filter(|p| !seen_before(p)).count(),
                churned: before.iter().filter(|p| !now.contains(p)).count(),
            }
        })
        .collect();
    audit::record(
        &app.db,
        AuditRecord {
            aggregator_id: None,
            actor_user_id: Some(actor.user_id),
            action: "officer_query",
            subject_type: "sales_report",
            subject_id: None,
            details: serde_json::json!({
                "prefecture": pref, "by": by, "from": ym(from), "to": ym(to),
            }),
        },
    )
    .await?;
    Ok(SalesReport {
        prefecture_code: pref,
        by,
        months: shown,
        groups: rows,
        totals,
        producers,
        k: privacy.k,
        dominance_bp: privacy.dominance_bp,
    })
}

/// The groups' names in Japanese (islands, municipalities, categories; channels and markets by
/// kind).
async fn labels(
    app: &AppState,
    by: &str,
    pref: &str,
    municipalities: &[entity::municipality::Model],
) -> ApiResult<HashMap<String, String>> {
    Ok(match by {
        "municipality" => municipalities
            .iter()
            .map(|m| (m.code.clone(), m.name_ja.clone()))
            .collect(),
        "category" => crate::catalog::repo::categories(&app.db)
            .await?
            .into_iter()
            .map(|c| (c.code, c.name_ja))
            .collect(),
        "channel" => HashMap::from([
            ("shop".to_string(), "自社ショップ".to_string()),
            ("channel".to_string(), "モール・販路".to_string()),
        ]),
        "destination" => crate::reference::repo::prefectures(&app.db)
            .await?
            .into_iter()
            .map(|p| (p.code, p.name_ja))
            .chain(std::iter::once((String::new(), "海外".to_string())))
            .collect(),
        "market" => HashMap::from([
            ("domestic".to_string(), "国内".to_string()),
            ("overseas".to_string(), "海外".to_string()),
        ]),
        _ => {
            let mut m: HashMap<String, String> =
                crate::reference::repo::islands(&app.db, Some(pref))
                    .await?
                    .into_iter()
                    .map(|i| (i.code, i.name_ja))
                    .collect();
            m.insert(String::new(), "離島以外".into());
            m
        }
    })
}

/// `r` as CSV text: one row per group and month, then the totals (`全体`), with the same
/// suppression (a suppressed cell has no figures and 秘匿 = 1).
pub fn csv_text(r: &SalesReport) -> ApiResult<String> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let pct = |bp: Option<i64>, new: bool| match (bp, new) {
        (Some(v), _) => format!("{:.1}", v as f64 / 100.0),
        (None, true) => "new".into(),
        _ => String::new(),
    };
    let row = |w: &mut ::csv::Writer<Vec<u8>>, key: &str, label: &str, m: &MonthFigure| {
        w.write_record([
            key.to_string(),
            crate::core::csv::escape_cell(label),
            m.month.clone(),
            m.sales.map(|v| v.to_string()).unwrap_or_default(),
            m.units.map(|v| v.to_string()).unwrap_or_default(),
            if m.suppressed { "1" } else { "0" }.to_string(),
            pct(m.yoy_bp, m.yoy_new),
            pct(m.mom_bp, m.mom_new),
        ])
    };
    let failed = |e: ::csv::Error| ApiError::Internal(e.into());
    w.write_record([
        "区分コード",
        "区分",
        "月",
        "売上（税込・返品控除）",
        "数量",
        "秘匿",
        "前年同月比（%）",
        "前月比（%）",
    ])
    .map_err(failed)?;
    for g in &r.groups {
        for m in &g.months {
            row(&mut w, &g.key, &g.label, m).map_err(failed)?;
        }
    }
    for m in &r.totals {
        row(&mut w, "", "全体", m).map_err(failed)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("csv: {e}")))?;
    String::from_utf8(bytes).map_err(|e| ApiError::Internal(e.into()))
}
