//! The Zengin 総合振込 file (種別 21) as pure functions, to the byte of DOMAIN-JP.md §2: header
//! `1`, data `2` × n, trailer `8`, end `9`, each record 120 bytes of Shift_JIS where every
//! allowed character is one byte, followed by CRLF or nothing as the bank profile says.
//! Numbers right-aligned and zero-padded, text left-aligned and space-padded, lengths measured
//! after encoding. Payee names: the kana the bank has, small kana full size, the long vowel
//! as `-`, 株式会社 / 有限会社 / 合同会社 spelled out become `ｶ)` / `(ｶ` (and `ﾕ`, `ﾄﾞ`), cut to 30
//! bytes. And the bank calendar: 振込指定日 moves off weekends, national holidays (a data file)
//! and 12-31 to 01-03.
use crate::core::jp::zengin_kana;
use chrono::{Datelike, NaiveDate, Weekday};
use std::{collections::BTreeSet, sync::OnceLock};

/// What the file's header says about who pays (the bank profile).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requester {
    /// 依頼人コード (10 digits, from the bank).
    pub code: String,
    /// 依頼人名 in Zengin kana.
    pub name: String,
    pub bank_code: String,
    pub bank_name: String,
    pub branch_code: String,
    pub branch_name: String,
    /// 1 普通, 2 当座, 9 その他.
    pub account_type: char,
    pub account_number: String,
}

/// One data record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    pub bank_code: String,
    /// Optional for 総合振込: spaces when empty.
    pub bank_name: String,
    pub branch_code: String,
    pub branch_name: String,
    /// 1 普通, 2 当座, 4 貯蓄, 9 その他.
    pub account_type: char,
    pub account_number: String,
    /// Already a payee name ([`payee_name`]).
    pub payee: String,
    pub amount: i64,
    /// 新規コード: 0, 1 or 2.
    pub new_code: char,
    /// 顧客コード1 (10 digits), what the bank's result is matched on.
    pub customer_code: String,
    /// 振込指定区分: 7 電信, 8 文書.
    pub transfer_kind: char,
}

/// The line break after each record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineBreak {
    Crlf,
    None,
}

impl LineBreak {
    /// From the bank profile's setting (`crlf` or `none`).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "crlf" => Some(Self::Crlf),
            "none" => Some(Self::None),
            _ => None,
        }
    }
}

/// Why a file cannot be written (each names the record and field).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZenginError {
    #[error("{record} {field}: {message}")]
    Field {
        record: String,
        field: &'static str,
        message: String,
    },
}

fn bad(record: &str, field: &'static str, message: impl Into<String>) -> ZenginError {
    ZenginError::Field {
        record: record.to_string(),
        field,
        message: message.into(),
    }
}

/// Is `c` one of the characters a Zengin text field may hold (DOMAIN-JP §2)?
fn allowed(c: char) -> bool {
    matches!(c, 'A'..='Z' | '0'..='9' | ' ' | '(' | ')' | ',' | '-' | '.' | '/' | '\u{FF61}'..='\u{FF9F}')
}

/// `s` as a text field of `width` bytes: Shift_JIS, left-aligned, space-padded; cut to
/// `width` bytes when `cut`, refused when longer otherwise.
fn text(
    out: &mut Vec<u8>,
    s: &str,
    width: usize,
    cut: bool,
    record: &str,
    field: &'static str,
) -> Result<(), ZenginError> {
    if let Some(c) = s.chars().find(|c| !allowed(*c)) {
        return Err(bad(
            record,
            field,
            format!("「{c}」 is not in the Zengin character set"),
        ));
    }
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(s);
    // Every allowed character is one byte in Shift_JIS.
    if unmappable || bytes.len() != s.chars().count() {
        return Err(bad(record, field, "is not single-byte Shift_JIS"));
    }
    if bytes.len() > width && !cut {
        return Err(bad(
            record,
            field,
            format!("is {} bytes, at most {width} fit", bytes.len()),
        ));
    }
    let n = bytes.len().min(width);
    out.extend_from_slice(&bytes[..n]);
    out.extend(std::iter::repeat_n(b' ', width - n));
    Ok(())
}

/// `digits` (ASCII digits only) right-aligned and zero-padded to `width`.
fn digits(
    out: &mut Vec<u8>,
    s: &str,
    width: usize,
    record: &str,
    field: &'static str,
) -> Result<(), ZenginError> {
    if s.is_empty() || s.len() > width || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(record, field, format!("must be 1 to {width} digits")));
    }
    out.extend(std::iter::repeat_n(b'0', width - s.len()));
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

fn amount(
    out: &mut Vec<u8>,
    n: i64,
    width: usize,
    record: &str,
    field: &'static str,
) -> Result<(), ZenginError> {
    if n < 0 {
        return Err(bad(record, field, "is negative"));
    }
    digits(out, &n.to_string(), width, record, field)
}

fn code(
    out: &mut Vec<u8>,
    c: char,
    allowed: &[char],
    record: &str,
    field: &'static str,
) -> Result<(), ZenginError> {
    if !allowed.contains(&c) {
        return Err(bad(record, field, format!("must be one of {allowed:?}")));
    }
    out.push(c as u8);
    Ok(())
}

fn spaces(out: &mut Vec<u8>, n: usize) {
    out.extend(std::iter::repeat_n(b' ', n));
}

/// The legal-form words spelled out in kana and their Zengin abbreviation.
const FORMS: [(&str, &str); 3] = [("ｶﾌﾞｼｷｶﾞｲｼﾔ", "ｶ"), ("ﾕｳｹﾞﾝｶﾞｲｼﾔ", "ﾕ"), ("ｺﾞｳﾄﾞｳｶﾞｲｼﾔ", "ﾄﾞ")];

/// A payee name for the data record from the account holder's kana as the bank has it:
/// Zengin kana ([`zengin_kana`]), a legal form spelled out at the start written `ｶ)` and at
/// the end `(ｶ`, cut to 30 bytes (every character is one byte).
///
/// # Errors
/// A character outside the Zengin set, or an empty name.
pub fn payee_name(holder_kana: &str) -> Result<String, String> {
    let k = zengin_kana(holder_kana)?;
    let mut name = k.trim().to_string();
    for (long, short) in FORMS {
        if let Some(rest) = name.strip_prefix(long) {
            name = format!("{short}){}", rest.trim_start());
            break;
        }
        if let Some(rest) = name.strip_suffix(long) {
            name = format!("{}({short}", rest.trim_end());
            break;
        }
    }
    Ok(name.chars().take(30).collect())
}

/// The whole file: header, one data record per transfer (none of 0 yen), trailer, end.
///
/// # Errors
/// A field that does not fit or holds a character outside the set; no transfers; a
/// zero-amount transfer.
pub fn file(
    r: &Requester,
    transfer_date: NaiveDate,
    transfers: &[Transfer],
    lb: LineBreak,
) -> Result<Vec<u8>, ZenginError> {
    if transfers.is_empty() {
        return Err(bad(
            "file",
            "transfers",
            "a file needs at least one transfer",
        ));
    }
    let mut out = Vec::with_capacity((transfers.len() + 3) * 122);
    let end = |out: &mut Vec<u8>| {
        if lb == LineBreak::Crlf {
            out.extend_from_slice(b"\r\n");
        }
    };
    // Header.
    let h = "header";
    out.extend_from_slice(b"1210");
    digits(&mut out, &r.code, 10, h, "requester_code")?;
    text(&mut out, &r.name, 40, false, h, "requester_name")?;
    out.extend_from_slice(
        format!("{:02}{:02}", transfer_date.month(), transfer_date.day()).as_bytes(),
    );
    digits(&mut out, &r.bank_code, 4, h, "bank_code")?;
    text(&mut out, &r.bank_name, 15, false, h, "bank_name")?;
    digits(&mut out, &r.branch_code, 3, h, "branch_code")?;
    text(&mut out, &r.branch_name, 15, false, h, "branch_name")?;
    code(
        &mut out,
        r.account_type,
        &['1', '2', '9'],
        h,
        "account_type",
    )?;
    digits(&mut out, &r.account_number, 7, h, "account_number")?;
    spaces(&mut out, 17);
    end(&mut out);
    // Data.
    let mut total = 0i64;
    for (i, t) in transfers.iter().enumerate() {
        let d = format!("data record {}", i + 1);
        if t.amount <= 0 {
            return Err(bad(&d, "amount", "must be at least 1 yen"));
        }
        out.push(b'2');
        digits(&mut out, &t.bank_code, 4, &d, "bank_code")?;
        text(&mut out, &t.bank_name, 15, true, &d, "bank_name")?;
        digits(&mut out, &t.branch_code, 3, &d, "branch_code")?;
        text(&mut out, &t.branch_name, 15, true, &d, "branch_name")?;
        out.extend_from_slice(b"0000");
        code(
            &mut out,
            t.account_type,
            &['1', '2', '4', '9'],
            &d,
            "account_type",
        )?;
        digits(&mut out, &t.account_number, 7, &d, "account_number")?;
        text(&mut out, &t.payee, 30, true, &d, "payee")?;
        amount(&mut out, t.amount, 10, &d, "amount")?;
        code(&mut out, t.new_code, &['0', '1', '2'], &d, "new_code")?;
        if t.customer_code.len() != 10 || !t.customer_code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(&d, "customer_code", "must be 10 digits"));
        }
        out.extend_from_slice(t.customer_code.as_bytes());
        spaces(&mut out, 10);
        code(&mut out, t.transfer_kind, &['7', '8'], &d, "transfer_kind")?;
        spaces(&mut out, 8);
        end(&mut out);
        total += t.amount;
    }
    // Trailer and end.
    let tr = "trailer";
    out.push(b'8');
    amount(&mut out, transfers.len() as i64, 6, tr, "count")?;
    amount(&mut out, total, 12, tr, "total")?;
    spaces(&mut out, 101);
    end(&mut out);
    out.push(b'9');
    spaces(&mut out, 119);
    end(&mut out);
    Ok(out)
}

/// SHA-256 of `bytes`, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn holidays() -> &'static BTreeSet<NaiveDate> {
    static SET: OnceLock<BTreeSet<NaiveDate>> = OnceLock::new();
    SET.get_or_init(|| {
        include_str!("holidays_jp.txt")
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_whitespace().next())
            .filter_map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .collect()
    })
}

/// The last day the holiday calendar covers.
pub fn calendar_ends() -> NaiveDate {
    let last_year = holidays().iter().next_back().map_or(2025, |d| d.year());
    NaiveDate::from_ymd_opt(last_year, 12, 31).unwrap_or_default()
}

/// Are banks open on `d`? Not on weekends, national holidays, or 12-31 to 01-03.
pub fn bank_business_day(d: NaiveDate) -> bool {
    let new_year = (d.month() == 12 && d.day() == 31) || (d.month() == 1 && d.day() <= 3);
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !new_year && !holidays().contains(&d)
}

/// `d` or the first bank business day after it; `None` past the calendar's end.
pub fn transfer_day(d: NaiveDate) -> Option<NaiveDate> {
    let mut day = d;
    while day <= calendar_ends() {
        if bank_business_day(day) {
            return Some(day);
        }
        day = day.succ_opt()?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn the_transfer_day_moves_off_weekends_holidays_and_new_year() {
        // Silver week 2026: 9-19 Sat … 9-23 秋分の日.
        assert_eq!(transfer_day(day(2026, 9, 19)), Some(day(2026, 9, 24)));
        // 2027-01-01 is a Friday, 01-02/03 the bank new year and a weekend.
        assert_eq!(transfer_day(day(2026, 12, 31)), Some(day(2027, 1, 4)));
        // 振替休日 2027-03-22 (春分の日 on a Sunday).
        assert_eq!(transfer_day(day(2027, 3, 21)), Some(day(2027, 3, 23)));
        assert_eq!(transfer_day(day(2026, 12, 8)), Some(day(2026, 12, 8)));
        assert_eq!(transfer_day(day(2029, 1, 10)), None);
    }

    #[test]
    fn payee_names_take_the_zengin_forms() {
        assert_eq!(payee_name("カブシキガイシャ　ヤマダ"), Ok("ｶ)ﾔﾏﾀﾞ".into()));
        assert_eq!(payee_name("ﾔﾏﾀﾞ ｶﾌﾞｼｷｶﾞｲｼｬ"), Ok("ﾔﾏﾀﾞ(ｶ".into()));
        assert_eq!(payee_name("ゴウドウガイシャ　シマ"), Ok("ﾄﾞ)ｼﾏ".into()));
        assert_eq!(payee_name("キョウカイ"), Ok("ｷﾖｳｶｲ".into()));
        assert_eq!(payee_name("サトウ　ユーコ"), Ok("ｻﾄｳ ﾕ-ｺ".into()));
        let long = payee_name("ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐ").unwrap_or_default();
        assert_eq!(long.chars().count(), 30);
        assert!(payee_name("山田").is_err());
    }

    #[test]
    fn a_field_that_does_not_fit_is_refused_naming_it() {
        let r = Requester {
            code: "12345678901".into(),
            name: "ﾕｲﾏﾙ".into(),
            bank_code: "0001".into(),
            bank_name: String::new(),
            branch_code: "001".into(),
            branch_name: String::new(),
            account_type: '1',
            account_number: "1234567".into(),
        };
        let t = Transfer {
            bank_code: "0001".into(),
            bank_name: String::new(),
            branch_code: "001".into(),
            branch_name: String::new(),
            account_type: '1',
            account_number: "1".into(),
            payee: "ﾔﾏﾀﾞ".into(),
            amount: 1,
            new_code: '0',
            customer_code: "0000010001".into(),
            transfer_kind: '7',
        };
        let err = file(
            &r,
            day(2027, 1, 4),
            std::slice::from_ref(&t),
            LineBreak::None,
        )
        .err()
        .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("header requester_code: must be 1 to 10 digits")
        );
        let r = Requester {
            code: "1".into(),
            name: "ﾕｲﾏﾙ ｼﾖｳｼﾞ ｶﾌﾞｼｷｶﾞｲｼﾔ ｵｷﾅﾜ ｹﾝ ﾅﾊ ｼ ｱｲｳｴｵｶ".into(),
            ..r
        };
        assert!(file(&r, day(2027, 1, 4), &[t], LineBreak::None).is_err());
    }

    /// A transfer to `(bank, branch, type, number)`.
    fn to(
        (bank, branch, account_type, number): (&str, &str, char, &str),
        holder: &str,
        amount: i64,
        new_code: char,
        seq: u32,
    ) -> Transfer {
        Transfer {
            bank_code: bank.into(),
            bank_name: String::new(),
            branch_code: branch.into(),
            branch_name: String::new(),
            account_type,
            account_number: number.into(),
            payee: payee_name(holder).unwrap_or_default(),
            amount,
            new_code,
            customer_code: format!("{:010}", 10_000 + seq),
            transfer_kind: '7',
        }
    }

    #[test]
    fn files_equal_the_hand_written_golden_files_byte_for_byte() {
        let r = Requester {
            code: "1234567890".into(),
            name: payee_name("カブシキガイシャ　ユイマル").unwrap_or_default(),
            bank_code: "0188".into(),
            bank_name: "ｵｷﾅﾜ".into(),
            branch_code: "101".into(),
            branch_name: "ﾎﾝﾃﾝ".into(),
            account_type: '1',
            account_number: "1234567".into(),
        };
        let ts = [
            to(
                ("0187", "201", '1', "0012345"),
                "カブシキガイシャ シマノハタケ",
                98_765,
                '1',
                1,
            ),
            to(
                ("0188", "305", '2', "0765432"),
                "キョウドウクミアイ　ハーブエン",
                12_000,
                '0',
                2,
            ),
            // ゆうちょ 記号 17010 番号 12345671.
            to(
                ("9900", "708", '1', "1234567"),
                "ヨナグニ タロウ",
                3_500,
                '2',
                3,
            ),
            to(
                ("0005", "123", '1', "7654321"),
                "オキナワケンゲンサンショクヒンカコウキョウドウクミアイレンゴウカイ",
                1,
                '0',
                4,
            ),
            to(
                ("0190", "050", '4', "0000077"),
                "ﾔﾏﾀﾞ ｶﾌﾞｼｷｶﾞｲｼｬ",
                1_000_000,
                '0',
                5,
            ),
        ];
        let date = transfer_day(day(2027, 1, 1)).unwrap_or_default();
        assert_eq!(date, day(2027, 1, 4));
        let crlf = file(&r, date, &ts, LineBreak::Crlf).unwrap_or_default();
        let none = file(&r, date, &ts, LineBreak::None).unwrap_or_default();
        assert_eq!(
            crlf,
            include_bytes!("../../tests/golden/zengin/run_crlf.txt")
        );
        assert_eq!(
            none,
            include_bytes!("../../tests/golden/zengin/run_none.txt")
        );
        assert_eq!(none.len(), 8 * 120);
    }

    #[test]
    fn zero_amount_lines_are_never_written() {
        let r = Requester {
            code: "1".into(),
            name: "ﾕｲﾏﾙ".into(),
            bank_code: "0188".into(),
            bank_name: String::new(),
            branch_code: "101".into(),
            branch_name: String::new(),
            account_type: '1',
            account_number: "1".into(),
        };
        let t = to(("0187", "201", '1', "1"), "ﾔﾏﾀﾞ", 0, '0', 1);
        assert!(file(&r, day(2027, 1, 4), &[t], LineBreak::None).is_err());
        assert!(file(&r, day(2027, 1, 4), &[], LineBreak::None).is_err());
    }
}
