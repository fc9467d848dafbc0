//! Carrier label exports behind one trait: each carrier turns the same parcel rows into the
//! file its label software imports. Yamato B2 Cloud is the first (DOMAIN-JP.md §4: Shift_JIS,
//! the column order of the B2 layout, cool code per parcel, 発払い or コレクト); Japan Post and
//! Sagawa layouts would be further implementations.
use chrono::NaiveDate;

/// An address on a label (recipient or sender).
#[derive(Debug, Clone, Default)]
pub struct LabelAddress {
    /// Hyphenated (`090-1234-5678`).
    pub phone: String,
    /// `NNN-NNNN`.
    pub postal_code: String,
    /// Prefecture, municipality and street.
    pub address: String,
    /// Building and room.
    pub building: String,
    pub name: String,
    pub kana: String,
}

/// Cash on delivery collected with a parcel.
#[derive(Debug, Clone, Copy)]
pub struct Collect {
    /// Amount to collect, tax included (yen).
    pub amount: i64,
    /// Consumption tax included in it (yen).
    pub tax: i64,
}

/// One parcel to label.
#[derive(Debug, Clone)]
pub struct LabelRow {
    /// Our reference printed on the label and returned with the tracking number
    /// (`{order number}-{parcel seq}`).
    pub reference: String,
    /// `ambient`, `chilled` or `frozen`.
    pub temperature_class: String,
    pub collect: Option<Collect>,
    pub ship_date: NaiveDate,
    pub delivery_date: Option<NaiveDate>,
    /// Yamato slot code (`0812`, `1416`, …).
    pub time_slot: Option<String>,
    pub to: LabelAddress,
    pub from: LabelAddress,
    pub item_name: String,
    /// Handling note (荷扱い), e.g. ナマモノ.
    pub handling: String,
    /// Free note (記事).
    pub note: String,
    /// The shipper's billing customer code with the carrier.
    pub billing_code: String,
}

/// A label row that the carrier's file cannot carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportError {
    pub reference: String,
    pub field: &'static str,
    pub message: String,
}

/// A carrier's label-import file.
pub trait CarrierExporter: Send + Sync {
    /// The carrier code (`yamato`).
    fn code(&self) -> &'static str;
    /// The file's media type with its charset.
    fn content_type(&self) -> &'static str;
    /// A file name for the download.
    fn filename(&self, ship_date: NaiveDate) -> String;
    /// The file with every row it can hold; a row with a value the carrier cannot print is
    /// left out and named in [`LabelExport::skipped`] (one bad parcel never blocks a batch).
    fn export(&self, rows: &[LabelRow]) -> LabelExport;
}

/// A carrier file and the parcels it could not hold.
#[derive(Debug, Clone, Default)]
pub struct LabelExport {
    pub bytes: Vec<u8>,
    /// Rows written (the header not counted).
    pub written: usize,
    pub skipped: Vec<ExportError>,
}

/// The exporter of `carrier`, if there is one.
pub fn exporter(carrier: &str) -> Option<Box<dyn CarrierExporter>> {
    match carrier {
        "yamato" => Some(Box::new(YamatoB2)),
        _ => None,
    }
}

/// Carriers with an exporter.
pub const CARRIERS: [&str; 1] = ["yamato"];

/// Yamato B2 Cloud 外部データ取込 (the 42 leading columns of the standard layout, with a header
/// row; later columns are optional and left out).
pub struct YamatoB2;

/// The header row of [`YamatoB2`] (DOMAIN-JP.md §4, columns 1–42).
pub const B2_HEADER: [&str; 42] = [
    "お客様管理番号",
    "送り状種類",
    "クール区分",
    "伝票番号",
    "出荷予定日",
    "お届け予定日",
    "配達時間帯",
    "お届け先コード",
    "お届け先電話番号",
    "お届け先電話番号枝番",
    "お届け先郵便番号",
    "お届け先住所",
    "お届け先アパートマンション名",
    "お届け先会社・部門１",
    "お届け先会社・部門２",
    "お届け先名",
    "お届け先名(ｶﾅ)",
    "敬称",
    "ご依頼主コード",
    "ご依頼主電話番号",
    "ご依頼主電話番号枝番",
    "ご依頼主郵便番号",
    "ご依頼主住所",
    "ご依頼主アパートマンション",
    "ご依頼主名",
    "ご依頼主名(ｶﾅ)",
    "品名コード１",
    "品名１",
    "品名コード２",
    "品名２",
    "荷扱い１",
    "荷扱い２",
    "記事",
    "ｺﾚｸﾄ代金引換額（税込)",
    "内消費税額等",
    "止置き",
    "営業所コード",
    "発行枚数",
    "個数口表示フラグ",
    "請求先顧客コード",
    "請求先分類コード",
    "運賃管理番号",
];

/// B2 クール区分: 0 normal, 1 frozen, 2 chilled.
pub fn b2_cool_code(class: &str) -> &'static str {
    match class {
        "frozen" => "1",
        "chilled" => "2",
        _ => "0",
    }
}

impl YamatoB2 {
    fn columns(r: &LabelRow) -> [String; 42] {
        let date = |d: &NaiveDate| d.format("%Y/%m/%d").to_string();
        let (kind, amount, tax) = match r.collect {
            // 2 コレクト (cash on delivery) with the amount and its tax.
            Some(c) => ("2", c.amount.to_string(), c.tax.to_string()),
            // 0 発払い (prepaid by the shipper).
            None => ("0", String::new(), String::new()),
        };
        [
            r.reference.clone(),
            kind.into(),
            b2_cool_code(&r.temperature_class).into(),
            String::new(),
            date(&r.ship_date),
            r.delivery_date.as_ref().map(date).unwrap_or_default(),
            r.time_slot.clone().unwrap_or_default(),
            String::new(),
            r.to.phone.clone(),
            String::new(),
            r.to.postal_code.clone(),
            r.to.address.clone(),
            r.to.building.clone(),
            String::new(),
            String::new(),
            r.to.name.clone(),
            r.to.kana.clone(),
            "様".into(),
            String::new(),
            r.from.phone.clone(),
            String::new(),
            r.from.postal_code.clone(),
            r.from.address.clone(),
            r.from.building.clone(),
            r.from.name.clone(),
            r.from.kana.clone(),
            String::new(),
            r.item_name.clone(),
            String::new(),
            String::new(),
            r.handling.clone(),
            String::new(),
            r.note.clone(),
            amount,
            tax,
            "0".into(),
            String::new(),
            String::new(),
            String::new(),
            r.billing_code.clone(),
            String::new(),
            "01".into(),
        ]
    }
}

const FIELD_NAMES: [&str; 42] = [
    "reference",
    "kind",
    "cool",
    "tracking",
    "ship_date",
    "delivery_date",
    "time_slot",
    "to.code",
    "to.phone",
    "to.phone_branch",
    "to.postal_code",
    "to.address",
    "to.building",
    "to.company1",
    "to.company2",
    "to.name",
    "to.kana",
    "honorific",
    "from.code",
    "from.phone",
    "from.phone_branch",
    "from.postal_code",
    "from.address",
    "from.building",
    "from.name",
    "from.kana",
    "item_code1",
    "item_name",
    "item_code2",
    "item_name2",
    "handling",
    "handling2",
    "note",
    "collect_amount",
    "collect_tax",
    "hold",
    "office",
    "copies",
    "count_flag",
    "billing_code",
    "billing_class",
    "freight_number",
];

/// One encoded CSV field: quoted, inner quotes doubled (a quote is one byte in Shift_JIS and
/// never a trail byte), line breaks and controls already turned into spaces.
fn field_bytes(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len() + 2);
    out.push(b'"');
    for b in v {
        if *b == b'"' {
            out.push(b'"');
        }
        out.push(*b);
    }
    out.push(b'"');
    out
}

/// Line breaks and other controls turned into spaces.
fn flatten(v: &str) -> String {
    v.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// One CSV field: quoted, inner quotes doubled, line breaks and controls turned into spaces.
fn field(v: &str) -> String {
    format!("\"{}\"", flatten(v).replace('"', "\"\""))
}

/// One field in Shift_JIS: people's names and addresses as they print on a label
/// ([`crate::core::label::label_text`]: NFKC, the variant table, JIS X 0208 only); our own
/// texts (item name, handling, note) with what cannot print dropped.
fn sjis(reference: &str, name: &'static str, text: &str) -> Result<Vec<u8>, ExportError> {
    let printable = if PEOPLE_FIELDS.contains(&name) {
        crate::core::label::label_text(text).map_err(|message| ExportError {
            reference: reference.into(),
            field: name,
            message,
        })?
    } else {
        crate::core::label::label_text_lossy(text)
    };
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&printable);
    if unmappable {
        return Err(ExportError {
            reference: reference.into(),
            field: name,
            message: "cannot be written in Shift_JIS".into(),
        });
    }
    Ok(bytes.into_owned())
}

/// Fields typed by people (checked, never altered beyond the documented normalisation).
const PEOPLE_FIELDS: [&str; 10] = [
    "to.address",
    "to.building",
    "to.name",
    "to.kana",
    "from.address",
    "from.building",
    "from.name",
    "from.kana",
    "to.phone",
    "from.phone",
];

impl CarrierExporter for YamatoB2 {
    fn code(&self) -> &'static str {
        "yamato"
    }

    fn content_type(&self) -> &'static str {
        "text/csv; charset=Shift_JIS"
    }

    fn filename(&self, ship_date: NaiveDate) -> String {
        format!("b2-{}.csv", ship_date.format("%Y%m%d"))
    }

    fn export(&self, rows: &[LabelRow]) -> LabelExport {
        let header: Vec<String> = B2_HEADER.iter().map(|h| field(h)).collect();
        let header = header.join(",");
        let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(&header);
        let mut out = LabelExport {
            bytes: bytes.into_owned(),
            ..LabelExport::default()
        };
        out.bytes.extend_from_slice(b"\r\n");
        for r in rows {
            let mut line = Vec::new();
            let mut failed = None;
            for (i, c) in Self::columns(r).iter().enumerate() {
                if i > 0 {
                    line.push(b',');
                }
                match sjis(&r.reference, FIELD_NAMES[i], &flatten(c)) {
                    Ok(b) => line.extend(field_bytes(&b)),
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
            match failed {
                Some(e) => out.skipped.push(e),
                None => {
                    out.bytes.extend(line);
                    out.bytes.extend_from_slice(b"\r\n");
                    out.written += 1;
                }
            }
        }
        out
    }
}

/// A phone number with hyphens where the buyer typed none (mobile 3-4-4, Tokyo/Osaka 2-4-4,
/// other fixed lines 3-3-4; DOMAIN-JP.md §4 wants them hyphenated).
pub fn hyphenated_phone(phone: &str) -> String {
    if phone.contains('-') {
        return phone.to_string();
    }
    let d = phone;
    match d.len() {
        11 => format!("{}-{}-{}", &d[..3], &d[3..7], &d[7..]),
        10 if d.starts_with("03") || d.starts_with("06") => {
            format!("{}-{}-{}", &d[..2], &d[2..6], &d[6..])
        }
        10 => format!("{}-{}-{}", &d[..3], &d[3..6], &d[6..]),
        _ => d.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_get_hyphens() {
        for (raw, want) in [
            ("09012345678", "090-1234-5678"),
            ("0312345678", "03-1234-5678"),
            ("0988765432", "098-876-5432"),
            ("098-876-5432", "098-876-5432"),
        ] {
            assert_eq!(hyphenated_phone(raw), want);
        }
    }

    #[test]
    fn cool_codes_follow_b2() {
        assert_eq!(b2_cool_code("ambient"), "0");
        assert_eq!(b2_cool_code("frozen"), "1");
        assert_eq!(b2_cool_code("chilled"), "2");
    }

    fn row(reference: &str, name: &str) -> LabelRow {
        LabelRow {
            reference: reference.into(),
            temperature_class: "ambient".into(),
            collect: None,
            ship_date: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap_or_default(),
            delivery_date: None,
            time_slot: None,
            to: LabelAddress {
                name: name.into(),
                ..LabelAddress::default()
            },
            from: LabelAddress::default(),
            item_name: "紅いも😀タルト".into(),
            handling: String::new(),
            note: String::new(),
            billing_code: String::new(),
        }
    }

    #[test]
    fn an_unprintable_parcel_is_named_and_the_rest_exported() {
        let out = YamatoB2.export(&[
            row("ABCD2345-1", "髙橋 太郎"),
            row("ABCD2346-1", "田中😀"),
            row("ABCD2347-1", "山﨑 花子"),
        ]);
        assert_eq!(out.written, 2);
        assert_eq!(out.skipped.len(), 1);
        assert_eq!(out.skipped[0].reference, "ABCD2346-1");
        assert_eq!(out.skipped[0].field, "to.name");
        assert!(out.skipped[0].message.contains('😀'), "{:?}", out.skipped);
        let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&out.bytes);
        assert!(!bad);
        assert!(
            text.contains("\"高橋 太郎\"") && text.contains("\"山崎 花子\""),
            "{text}"
        );
        assert!(
            text.contains("\"紅いもタルト\""),
            "item names drop what cannot print"
        );
        assert!(!text.contains("ABCD2346"), "{text}");
    }

    #[test]
    fn quotes_are_doubled_and_line_breaks_flattened() {
        let mut r = row("ABCD2348-1", "山田");
        r.to.building = "\"梅田\"ビル\n3F".into();
        let out = YamatoB2.export(&[r]);
        let (text, _, _) = encoding_rs::SHIFT_JIS.decode(&out.bytes);
        assert!(text.contains("\"\"\"梅田\"\"ビル 3F\""), "{text}");
    }
}
