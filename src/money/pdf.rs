//! A statement as PDF (A4, in the producer's language: Japanese or English): every sale, return and charge, the tax per rate, the
//! aggregator's charges with their tax, the fund share and the net payable. The Japanese font
//! (`money.statement_font`, or the first IPAex / IPA Gothic found on the machine) is subset and
//! embedded by krilla with its ToUnicode map, so the file prints anywhere and its text can be
//! searched and read back.
use super::statements::{StatementDetail, StatementLine};
use crate::{
    core::{locale::Locale, money::grouped},
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

/// The words of a statement in one language (the figures and the sale lines are the same in
/// both; the English one keeps the Japanese document title, which is what the tax office reads).
struct Words {
    title: &'static str,
    period: &'static str,
    seller: &'static str,
    number: &'static str,
    none_exempt: &'static str,
    address: &'static str,
    agent: &'static str,
    none: &'static str,
    intermediary: &'static str,
    by_channel: &'static str,
    sales: &'static str,
    returns: &'static str,
    sale_head: &'static str,
    return_head: &'static str,
    sale: &'static str,
    ret: &'static str,
    loss_head: &'static str,
    loss: &'static str,
    adjust_head: &'static str,
    adjust: &'static str,
    charge_head: &'static str,
    items: &'static str,
    yen: &'static str,
    rate8: &'static str,
    rate10: &'static str,
    rate0: &'static str,
    of_which_tax: &'static str,
    returns_line: &'static str,
    charges_total: &'static str,
    fund: &'static str,
    opening: &'static str,
    net: &'static str,
    reduced_note: &'static str,
}

const JA: Words = Words {
    title: "委託販売精算書（売上計算書）",
    period: "対象期間",
    seller: "販売者（委託者）",
    number: "登録番号",
    none_exempt: "なし（免税事業者）",
    address: "住所",
    agent: "受託者",
    none: "なし",
    intermediary: "本書は媒介者交付特例により交付した適格請求書の写しを兼ねます。",
    by_channel: "【販売経路別】",
    sales: "売上",
    returns: "返品",
    sale_head: "【売上明細】 日付・注文番号・販売経路・品名・数量 × 単価・税率・金額（税込）",
    return_head: "【返品明細】",
    sale: "売上",
    ret: "返品",
    loss_head: "【在庫の損失】 日付・品名・数量 × 単価・負担・補償額",
    loss: "損失",
    adjust_head: "【調整】",
    adjust: "調整",
    charge_head: "【受託者の手数料（10%対象）】",
    items: "点",
    yen: "円",
    rate8: "8%対象 ※",
    rate10: "10%対象",
    rate0: "0%（輸出免税）",
    of_which_tax: "うち消費税",
    returns_line: "返品",
    charges_total: "手数料合計",
    fund: "地域基金への拠出",
    opening: "前期繰越",
    net: "差引お支払額",
    reduced_note: "※は軽減税率（8%）対象です。",
};

const EN: Words = Words {
    title: "Consignment sales statement (委託販売精算書)",
    period: "Period",
    seller: "Seller (consignor)",
    number: "registration no.",
    none_exempt: "none (tax-exempt business)",
    address: "Address",
    agent: "Agent (consignee)",
    none: "none",
    intermediary: "This statement is also the copy of the qualified invoices issued under the \
                   intermediary rule (媒介者交付特例).",
    by_channel: "[By sales channel]",
    sales: "sales",
    returns: "returns",
    sale_head: "[Sales] date, order, channel, item, qty × unit price, rate, amount (tax incl.)",
    return_head: "[Returns]",
    sale: "Sale",
    ret: "Return",
    loss_head: "[Stock lost] date, item, qty × unit price, borne by, credit",
    loss: "Loss",
    adjust_head: "[Adjustments]",
    adjust: "Adjustment",
    charge_head: "[The agent's charges (10 %)]",
    items: "pcs",
    yen: "yen",
    rate8: "8 % ※ sales",
    rate10: "10 % sales",
    rate0: "0 % (export, exempt)",
    of_which_tax: "of which consumption tax",
    returns_line: "Returns",
    charges_total: "Charges in all",
    fund: "Community-fund share",
    opening: "Carried over",
    net: "Net payable",
    reduced_note: "※ marks the reduced rate (8 %).",
};

/// The text lines of the statement in `locale`, in order (also what a reader finds in the
/// PDF).
pub fn text_lines(d: &StatementDetail, locale: Locale) -> Vec<String> {
    let w = if locale == Locale::En { &EN } else { &JA };
    let s = &d.statement;
    let yen = |v: i64| format!("{} {}", grouped(v), w.yen);
    let mut out = vec![
        format!("{}  No. {}", w.title, s.number),
        format!("{}: {} 〜 {}", w.period, d.starts_on, d.ends_on),
        format!(
            "{}: {}  {}: {}",
            w.seller,
            s.producer_name,
            w.number,
            s.producer_invoice_number
                .as_deref()
                .unwrap_or(w.none_exempt)
        ),
        format!("{}: {}", w.address, s.producer_address),
        format!(
            "{}: {}  {}: {}",
            w.agent,
            s.aggregator_name,
            w.number,
            s.aggregator_invoice_number.as_deref().unwrap_or(w.none)
        ),
    ];
    if s.intermediary {
        out.push(w.intermediary.into());
    }
    out.push(String::new());
    let line = |kind: &str, l: &StatementLine| {
        format!(
            "{kind} {}  {}  {}  {}{}  {} {} × {}  {}%  {}",
            l.date,
            l.order_number,
            l.channel,
            l.title,
            if l.tax_rate == 8 { " ※" } else { "" },
            l.qty,
            w.items,
            yen(l.unit_price),
            l.tax_rate,
            yen(l.amount)
        )
    };
    out.push(w.by_channel.into());
    for c in &d.by_channel {
        out.push(format!(
            "{}  {} {}  {} {}",
            c.channel,
            w.sales,
            yen(c.sales),
            w.returns,
            yen(c.returns)
        ));
    }
    out.push(w.sale_head.into());
    out.extend(d.sales.iter().map(|l| line(w.sale, l)));
    if !d.returns.is_empty() {
        out.push(w.return_head.into());
        out.extend(d.returns.iter().map(|l| line(w.ret, l)));
    }
    if !d.losses.is_empty() {
        out.push(w.loss_head.into());
        for l in &d.losses {
            out.push(format!(
                "{}  {}  {} ({})  {} × {}  {}  {}",
                w.loss,
                l.date,
                l.title,
                l.sku_code,
                l.qty,
                yen(l.unit_price),
                super::statements::bearer_label(&l.bearer, locale),
                yen(l.credit)
            ));
        }
    }
    if !d.adjustments.is_empty() {
        out.push(w.adjust_head.into());
        for a in &d.adjustments {
            out.push(format!(
                "{}  {}  {}  {}",
                w.adjust,
                a.date,
                a.reason,
                yen(a.amount)
            ));
        }
    }
    if !d.charges.is_empty() {
        out.push(w.charge_head.into());
        for c in &d.charges {
            out.push(format!(
                "{}  {}  {}",
                fee_label(&c.fee_type, locale),
                c.subject,
                yen(c.amount)
            ));
        }
    }
    out.push(String::new());
    if s.sales0 != 0 {
        out.push(format!("{} {} {}", w.rate0, w.sales, yen(s.sales0)));
    }
    let taxed = |head: &str, sales: i64, tax: i64| {
        format!(
            "{head} {} {}（{} {}）",
            w.sales,
            yen(sales),
            w.of_which_tax,
            yen(tax)
        )
    };
    out.extend([
        taxed(w.rate8, s.sales8, s.tax8),
        taxed(w.rate10, s.sales10, s.tax10),
        format!(
            "{} {} {}（{} {}） {} {}（{} {}）",
            w.returns_line,
            w.rate8,
            yen(s.returns8),
            w.of_which_tax,
            yen(s.returns_tax8),
            w.rate10,
            yen(s.returns10),
            w.of_which_tax,
            yen(s.returns_tax10)
        ),
        format!(
            "{} {}（{}、{} {}）",
            w.charges_total,
            yen(s.charges_total),
            w.rate10,
            w.of_which_tax,
            yen(s.charges_tax10)
        ),
        format!("{} {}", w.fund, yen(s.fund_share)),
        format!("{} {}", w.opening, yen(s.opening_balance)),
        format!("{} {}", w.net, yen(s.net_payable)),
        w.reduced_note.into(),
    ]);
    out
}

/// A fee type's name on statements.
pub fn fee_label(t: &str, locale: Locale) -> &'static str {
    let (ja, en) = match t {
        "commission" => ("販売手数料", "commission"),
        "payment_fee" => ("決済手数料", "payment fee"),
        "channel_fee" => ("モール手数料", "channel fee"),
        "packing" => ("梱包料", "packing"),
        "cool_chain" => ("クール配送料", "cool chain"),
        "storage" => ("保管料", "storage"),
        "inbound_handling" => ("入庫料", "inbound handling"),
        "fund_share" => ("地域基金拠出", "community fund"),
        _ => ("手数料", "charge"),
    };
    if locale == Locale::En { en } else { ja }
}

/// The PDF of statement `d` set in the font `font`.
///
/// # Errors
/// 503 for a font krilla cannot read; 500 when the PDF cannot be written.
pub fn render(
    d: &StatementDetail,
    locale: Locale,
    font: std::sync::Arc<Vec<u8>>,
) -> ApiResult<Vec<u8>> {
    let font = Font::new(font.into(), 0).ok_or(ApiError::Unavailable)?;
    let lines = text_lines(d, locale);
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
