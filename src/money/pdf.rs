//! A statement as PDF (A4, Japanese): every sale, return and charge, the tax per rate, the
//! aggregator's charges with their tax, the fund share and the net payable. The Japanese font
//! (`money.statement_font`, or the first IPAex / IPA Gothic found on the machine) is subset and
//! embedded by krilla with its ToUnicode map, so the file prints anywhere and its text can be
//! searched and read back.
use super::statements::{StatementDetail, StatementLine};
use crate::{
    core::money::grouped,
    error::{ApiError, ApiResult},
};
use krilla::{
    Document,
    geom::Point,
    page::PageSettings,
    text::{Font, TextDirection},
};

/// Where a Japanese TrueType font is looked for when `money.statement_font` is empty (Debian's
/// `fonts-ipaexfont-gothic` and `fonts-ipafont-gothic`).
pub const FONT_PATHS: [&str; 4] = [
    "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
    "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf",
    "/usr/share/fonts/truetype/ipafont-gothic/ipag.ttf",
];

/// The font's bytes: `configured` when set, else the first of [`FONT_PATHS`] that exists;
/// read once per path and kept (a few MB), not on every statement.
///
/// # Errors
/// 503 when no font is found (install `fonts-ipaexfont-gothic` or set the path).
pub fn font_bytes(configured: &str) -> ApiResult<std::sync::Arc<Vec<u8>>> {
    use std::{
        collections::HashMap,
        sync::{Arc, Mutex, OnceLock},
    };
    static READ: OnceLock<Mutex<HashMap<String, Arc<Vec<u8>>>>> = OnceLock::new();
    let candidates: Vec<&str> = if configured.is_empty() {
        FONT_PATHS.to_vec()
    } else {
        vec![configured]
    };
    let cache = READ.get_or_init(|| Mutex::new(HashMap::new()));
    for p in candidates {
        if let Some(b) = cache.lock().ok().and_then(|c| c.get(p).cloned()) {
            return Ok(b);
        }
        if let Ok(b) = std::fs::read(p) {
            let b = Arc::new(b);
            if let Ok(mut c) = cache.lock() {
                c.insert(p.to_string(), b.clone());
            }
            return Ok(b);
        }
    }
    tracing::error!("no Japanese font for statement PDFs: set money.statement_font");
    Err(ApiError::Unavailable)
}

const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const MARGIN: f32 = 48.0;
const SIZE: f32 = 9.0;
const LEADING: f32 = 14.0;

/// The text lines of the statement, in order (also what a reader finds in the PDF).
pub fn text_lines(d: &StatementDetail) -> Vec<String> {
    let s = &d.statement;
    let yen = |v: i64| format!("{} 円", grouped(v));
    let mut out = vec![
        format!("委託販売精算書（売上計算書）  No. {}", s.number),
        format!("対象期間: {} 〜 {}", d.starts_on, d.ends_on),
        format!(
            "販売者（委託者）: {}  登録番号: {}",
            s.producer_name,
            s.producer_invoice_number
                .as_deref()
                .unwrap_or("なし（免税事業者）")
        ),
        format!("住所: {}", s.producer_address),
        format!(
            "受託者: {}  登録番号: {}",
            s.aggregator_name,
            s.aggregator_invoice_number.as_deref().unwrap_or("なし")
        ),
    ];
    if s.intermediary {
        out.push("本書は媒介者交付特例により交付した適格請求書の写しを兼ねます。".into());
    }
    out.push(String::new());
    let line = |kind: &str, l: &StatementLine| {
        format!(
            "{kind} {}  {}  {}  {}{}  {} 点 × {}  {}%  {}",
            l.date,
            l.order_number,
            l.channel,
            l.title,
            if l.tax_rate == 8 { " ※" } else { "" },
            l.qty,
            yen(l.unit_price),
            l.tax_rate,
            yen(l.amount)
        )
    };
    out.push("【販売経路別】".into());
    for c in &d.by_channel {
        out.push(format!(
            "{}  売上 {}  返品 {}",
            c.channel,
            yen(c.sales),
            yen(c.returns)
        ));
    }
    out.push("【売上明細】 日付・注文番号・販売経路・品名・数量 × 単価・税率・金額（税込）".into());
    out.extend(d.sales.iter().map(|l| line("売上", l)));
    if !d.returns.is_empty() {
        out.push("【返品明細】".into());
        out.extend(d.returns.iter().map(|l| line("返品", l)));
    }
    if !d.losses.is_empty() {
        out.push("【在庫の損失】 日付・品名・数量 × 単価・負担・補償額".into());
        for l in &d.losses {
            out.push(format!(
                "損失  {}  {} ({})  {} × {}  {}  {}",
                l.date,
                l.title,
                l.sku_code,
                l.qty,
                yen(l.unit_price),
                super::statements::bearer_name(&l.bearer),
                yen(l.credit)
            ));
        }
    }
    if !d.adjustments.is_empty() {
        out.push("【調整】".into());
        for a in &d.adjustments {
            out.push(format!("調整  {}  {}  {}", a.date, a.reason, yen(a.amount)));
        }
    }
    if !d.charges.is_empty() {
        out.push("【受託者の手数料（10%対象）】".into());
        for c in &d.charges {
            out.push(format!(
                "{}  {}  {}",
                fee_name(&c.fee_type),
                c.subject,
                yen(c.amount)
            ));
        }
    }
    out.push(String::new());
    out.extend([
        format!(
            "8%対象 ※ 売上 {}（うち消費税 {}）",
            yen(s.sales8),
            yen(s.tax8)
        ),
        format!(
            "10%対象 売上 {}（うち消費税 {}）",
            yen(s.sales10),
            yen(s.tax10)
        ),
        format!(
            "返品 8%対象 {}（うち消費税 {}） 10%対象 {}（うち消費税 {}）",
            yen(s.returns8),
            yen(s.returns_tax8),
            yen(s.returns10),
            yen(s.returns_tax10)
        ),
        format!(
            "手数料合計 {}（10%対象、うち消費税 {}）",
            yen(s.charges_total),
            yen(s.charges_tax10)
        ),
        format!("地域基金への拠出 {}", yen(s.fund_share)),
        format!("前期繰越 {}", yen(s.opening_balance)),
        format!("差引お支払額 {}", yen(s.net_payable)),
        "※は軽減税率（8%）対象です。".into(),
    ]);
    out
}

fn fee_name(t: &str) -> &'static str {
    match t {
        "commission" => "販売手数料",
        "payment_fee" => "決済手数料",
        "channel_fee" => "モール手数料",
        "packing" => "梱包料",
        "cool_chain" => "クール配送料",
        "fund_share" => "地域基金拠出",
        _ => "手数料",
    }
}

/// The PDF of statement `d` set in the font `font`.
///
/// # Errors
/// 503 for a font krilla cannot read; 500 when the PDF cannot be written.
pub fn render(d: &StatementDetail, font: std::sync::Arc<Vec<u8>>) -> ApiResult<Vec<u8>> {
    let font = Font::new(font.into(), 0).ok_or(ApiError::Unavailable)?;
    let lines = text_lines(d);
    let per_page = ((HEIGHT - 2.0 * MARGIN) / LEADING).floor().max(1.0) as usize;
    let mut doc = Document::new();
    let settings = PageSettings::from_wh(WIDTH, HEIGHT)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("page size")))?;
    let pages = lines.len().div_ceil(per_page).max(1);
    for (n, chunk) in lines.chunks(per_page).enumerate() {
        let mut page = doc.start_page_with(settings.clone());
        let mut surface = page.surface();
        for (i, text) in chunk.iter().enumerate() {
            if text.is_empty() {
                continue;
            }
            let size = if n == 0 && i == 0 { SIZE + 5.0 } else { SIZE };
            surface.draw_text(
                Point::from_xy(MARGIN, MARGIN + LEADING * (i as f32 + 1.0)),
                font.clone(),
                size,
                text,
                false,
                TextDirection::Auto,
            );
        }
        surface.draw_text(
            Point::from_xy(WIDTH - MARGIN - 40.0, HEIGHT - MARGIN / 2.0),
            font.clone(),
            SIZE - 1.0,
            &format!("{} / {pages}", n + 1),
            false,
            TextDirection::Auto,
        );
        surface.finish();
        page.finish();
    }
    doc.finish()
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("statement PDF: {e:?}")))
}
