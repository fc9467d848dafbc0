//! Text that can be printed on a carrier label. B2 Cloud and the other carrier systems take
//! JIS X 0208 in Shift_JIS (DOMAIN-JP.md §4): Windows' CP932 extensions (NEC row 13 such as ①,
//! the IBM extension kanji such as 髙 and 﨑) and emoji are refused by them. [`label_text`]
//! normalises what has a safe equivalent — NFKC (full-width ASCII to half-width, half-width
//! kana to full-width, ① to 1, ㈱ to (株)) and the documented variant table [`ITAIJI`] — and
//! refuses the rest, naming the characters.
use unicode_normalization::UnicodeNormalization;

/// Variant kanji outside JIS X 0208 written with their JIS X 0208 form, as carriers and the
/// post office print them (the common name and place-name variants; extend with care: each
/// entry changes how a name is printed).
pub const ITAIJI: [(char, char); 9] = [
    ('髙', '高'),
    ('﨑', '崎'),
    ('𠮷', '吉'),
    ('德', '徳'),
    ('濵', '浜'),
    ('栁', '柳'),
    ('桒', '桑'),
    ('彅', '薙'),
    ('瀨', '瀬'),
];

/// Whether `c` is printable text of JIS X 0208 (or printable ASCII) in Shift_JIS.
pub fn is_printable(c: char) -> bool {
    if (' '..='~').contains(&c) {
        return true;
    }
    let mut buf = [0u8; 4];
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(c.encode_utf8(&mut buf));
    // Two-byte JIS X 0208 rows: 1–8 (lead 0x81–0x84) and 16–84 (0x88–0x9F, 0xE0–0xEA); lead
    // 0x87 (NEC row 13), 0xED–0xEE and 0xFA–0xFC (IBM extensions) and single-byte half-width
    // kana are CP932 only.
    !unmappable && bytes.len() == 2 && matches!(bytes[0], 0x81..=0x84 | 0x88..=0x9F | 0xE0..=0xEA)
}

/// `raw` as it is printed on a label: NFKC, then the variant table.
///
/// # Errors
/// The characters that have no printable form, in a message for the person who typed them.
pub fn label_text(raw: &str) -> Result<String, String> {
    let text = normalised(raw);
    let mut bad: Vec<char> = text.chars().filter(|c| !is_printable(*c)).collect();
    if bad.is_empty() {
        return Ok(text);
    }
    bad.dedup();
    let shown: String = bad
        .iter()
        .map(|c| {
            if c.is_control() {
                format!("U+{:04X}", u32::from(*c))
            } else {
                c.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    Err(format!(
        "「{shown}」 cannot be printed on a shipping label: use characters of JIS X 0208"
    ))
}

/// `raw` for a label with what cannot be printed dropped (our own texts, such as item names,
/// never block a parcel).
pub fn label_text_lossy(raw: &str) -> String {
    normalised(raw)
        .chars()
        .filter(|c| is_printable(*c))
        .collect()
}

/// NFKC, then the variant table.
fn normalised(raw: &str) -> String {
    raw.nfkc()
        .map(|c| {
            ITAIJI
                .iter()
                .find(|(from, _)| *from == c)
                .map_or(c, |(_, to)| *to)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_and_compatibility_forms_are_normalised() {
        for (raw, want) in [
            ("髙橋 一郎", "高橋 一郎"),
            ("山﨑", "山崎"),
            ("𠮷田", "吉田"),
            ("石垣市①-２", "石垣市1-2"),
            ("ｲｼｶﾞｷ", "イシガキ"),
            ("㈱ゆいまーる", "(株)ゆいまーる"),
            ("１－２－３", "1-2-3"),
            ("那覇市港町1-1 〒", "那覇市港町1-1 〒"),
        ] {
            assert_eq!(label_text(raw), Ok(want.to_string()), "{raw}");
        }
    }

    #[test]
    fn emoji_and_cp932_only_characters_are_refused_by_name() {
        for (raw, named) in [
            ("那覇市😀1-1", "😀"),
            ("鷗外", "鷗"),
            ("石垣\u{7}市", "U+0007"),
        ] {
            let e = label_text(raw).err().unwrap_or_default();
            assert!(e.contains(named), "{raw}: {e}");
        }
        assert_eq!(label_text_lossy("紅いも😀タルト"), "紅いもタルト");
    }

    #[test]
    fn the_variant_table_maps_into_jis_x_0208() {
        for (from, to) in ITAIJI {
            assert!(is_printable(to), "{from} → {to}");
            assert!(!is_printable(from), "{from} is printable already: keep it");
        }
        for c in ['①', '髙', '﨑', '㈱', 'ｱ'] {
            assert!(!is_printable(c), "{c} is CP932 only");
        }
    }
}
