//! Japanese values parsed at the boundary, so a value that exists is valid: full-width to
//! half-width ASCII, qualified-invoice registration numbers (T-numbers), postal codes, phone
//! numbers and names in the Zengin character set (half-width kana). Rules: DOMAIN-JP.md §1,
//! §2, §4. Shared by every area (no I/O).

/// Full-width ASCII (digits, letters, punctuation, space) to half-width; other text unchanged.
pub fn to_half_width_ascii(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            '‐' | '−' | '―' => '-',
            _ => c,
        })
        .collect()
}

/// A qualified-invoice issuer registration number: `T` + 13 digits whose first digit is the
/// corporate-number check digit (法人番号; individuals' numbers use the same check).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceRegistrationNumber(String);

impl InvoiceRegistrationNumber {
    /// Parses `T1234567890123`, also with full-width characters, spaces or hyphens.
    ///
    /// # Errors
    /// A message naming what is wrong.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let s: String = to_half_width_ascii(raw)
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        let digits = s
            .strip_prefix('T')
            .or_else(|| s.strip_prefix('t'))
            .ok_or("must start with T followed by 13 digits")?;
        if digits.len() != 13 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err("must be T followed by 13 digits");
        }
        let d: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
        // P_n: the n-th digit of the 12-digit base counted from the right; Q_n = 1 (odd n) or 2.
        let sum: u32 = (1..=12)
            .map(|n| {
                let p = d[13 - n];
                let q = if n % 2 == 1 { 1 } else { 2 };
                p * q
            })
            .sum();
        let check = 9 - (sum % 9);
        if d[0] != check {
            return Err("check digit does not match: please check the number");
        }
        Ok(Self(format!("T{digits}")))
    }

    /// `T` + 13 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A Japanese postal code, stored as `NNN-NNNN`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostalCode(String);

impl PostalCode {
    /// Parses 7 digits, with or without the hyphen, half- or full-width, with or without 〒.
    ///
    /// # Errors
    /// A message naming what is wrong.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let s: String = to_half_width_ascii(raw)
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '〒')
            .collect();
        let digits: String = match s.split_once('-') {
            Some((a, b)) if a.len() == 3 && b.len() == 4 => format!("{a}{b}"),
            Some(_) => return Err("must be 7 digits, written NNN-NNNN"),
            None => s,
        };
        if digits.len() != 7 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err("must be 7 digits, written NNN-NNNN");
        }
        Ok(Self(format!("{}-{}", &digits[..3], &digits[3..])))
    }

    /// `NNN-NNNN`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Converts a name to the Zengin character set: katakana (full- or half-width) and hiragana to
/// half-width katakana, small kana to full size, the long vowel mark to `-`, full-width ASCII to
/// half-width, latin letters to upper case. Anything else is refused, naming the character.
///
/// # Errors
/// The first character outside the set.
pub fn zengin_kana(raw: &str) -> Result<String, String> {
    let src = to_half_width_ascii(raw.trim());
    let mut out = String::new();
    for c in src.chars() {
        match c {
            'A'..='Z' | '0'..='9' | ' ' | '(' | ')' | ',' | '-' | '.' | '/' => out.push(c),
            'a'..='z' => out.push(c.to_ascii_uppercase()),
            'ｰ' | 'ー' => out.push('-'),
            // Half-width katakana already (small ones become full size).
            '\u{FF66}'..='\u{FF9F}' => out.push(half_small_to_full(c)),
            _ => {
                let k = hiragana_to_katakana(c);
                match full_katakana_to_half(k) {
                    Some(h) => out.push_str(h),
                    None => {
                        return Err(format!(
                            "「{c}」 cannot be used: use katakana, A-Z, 0-9, space and ( ) , - . /"
                        ));
                    }
                }
            }
        }
    }
    if out.trim().is_empty() {
        return Err("is required".into());
    }
    Ok(out)
}

fn hiragana_to_katakana(c: char) -> char {
    match c {
        '\u{3041}'..='\u{3096}' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
        _ => c,
    }
}

fn half_small_to_full(c: char) -> char {
    match c {
        'ｧ' => 'ｱ',
        'ｨ' => 'ｲ',
        'ｩ' => 'ｳ',
        'ｪ' => 'ｴ',
        'ｫ' => 'ｵ',
        'ｬ' => 'ﾔ',
        'ｭ' => 'ﾕ',
        'ｮ' => 'ﾖ',
        'ｯ' => 'ﾂ',
        _ => c,
    }
}

/// Full-width katakana to half-width, small kana written full size (ｷﾖｳｶｲ).
fn full_katakana_to_half(c: char) -> Option<&'static str> {
    const TABLE: &[(char, &str)] = &[
        ('ア', "ｱ"),
        ('イ', "ｲ"),
        ('ウ', "ｳ"),
        ('エ', "ｴ"),
        ('オ', "ｵ"),
        ('ァ', "ｱ"),
        ('ィ', "ｲ"),
        ('ゥ', "ｳ"),
        ('ェ', "ｴ"),
        ('ォ', "ｵ"),
        ('カ', "ｶ"),
        ('キ', "ｷ"),
        ('ク', "ｸ"),
        ('ケ', "ｹ"),
        ('コ', "ｺ"),
        ('ガ', "ｶﾞ"),
        ('ギ', "ｷﾞ"),
        ('グ', "ｸﾞ"),
        ('ゲ', "ｹﾞ"),
        ('ゴ', "ｺﾞ"),
        ('サ', "ｻ"),
        ('シ', "ｼ"),
        ('ス', "ｽ"),
        ('セ', "ｾ"),
        ('ソ', "ｿ"),
        ('ザ', "ｻﾞ"),
        ('ジ', "ｼﾞ"),
        ('ズ', "ｽﾞ"),
        ('ゼ', "ｾﾞ"),
        ('ゾ', "ｿﾞ"),
        ('タ', "ﾀ"),
        ('チ', "ﾁ"),
        ('ツ', "ﾂ"),
        ('ッ', "ﾂ"),
        ('テ', "ﾃ"),
        ('ト', "ﾄ"),
        ('ダ', "ﾀﾞ"),
        ('ヂ', "ﾁﾞ"),
        ('ヅ', "ﾂﾞ"),
        ('デ', "ﾃﾞ"),
        ('ド', "ﾄﾞ"),
        ('ナ', "ﾅ"),
        ('ニ', "ﾆ"),
        ('ヌ', "ﾇ"),
        ('ネ', "ﾈ"),
        ('ノ', "ﾉ"),
        ('ハ', "ﾊ"),
        ('ヒ', "ﾋ"),
        ('フ', "ﾌ"),
        ('ヘ', "ﾍ"),
        ('ホ', "ﾎ"),
        ('バ', "ﾊﾞ"),
        ('ビ', "ﾋﾞ"),
        ('ブ', "ﾌﾞ"),
        ('ベ', "ﾍﾞ"),
        ('ボ', "ﾎﾞ"),
        ('パ', "ﾊﾟ"),
        ('ピ', "ﾋﾟ"),
        ('プ', "ﾌﾟ"),
        ('ペ', "ﾍﾟ"),
        ('ポ', "ﾎﾟ"),
        ('マ', "ﾏ"),
        ('ミ', "ﾐ"),
        ('ム', "ﾑ"),
        ('メ', "ﾒ"),
        ('モ', "ﾓ"),
        ('ヤ', "ﾔ"),
        ('ユ', "ﾕ"),
        ('ヨ', "ﾖ"),
        ('ャ', "ﾔ"),
        ('ュ', "ﾕ"),
        ('ョ', "ﾖ"),
        ('ラ', "ﾗ"),
        ('リ', "ﾘ"),
        ('ル', "ﾙ"),
        ('レ', "ﾚ"),
        ('ロ', "ﾛ"),
        ('ワ', "ﾜ"),
        ('ヲ', "ｦ"),
        ('ン', "ﾝ"),
        ('ヴ', "ｳﾞ"),
        ('ヰ', "ｲ"),
        ('ヱ', "ｴ"),
        ('ヮ', "ﾜ"),
        ('ヵ', "ｶ"),
        ('ヶ', "ｹ"),
        ('゛', "ﾞ"),
        ('゜', "ﾟ"),
        ('・', "."),
        ('（', "("),
        ('）', ")"),
        ('，', ","),
        ('．', "."),
        ('／', "/"),
    ];
    TABLE.iter().find(|(k, _)| *k == c).map(|(_, v)| *v)
}

/// A name's reading in full-width katakana (フリガナ): katakana, ー, ・ and single spaces.
/// Half-width katakana and hiragana are converted, full-width spaces become one space; kanji,
/// latin letters and emoji are refused. One validator for registration, checkout, pages and
/// CSV imports (orders from marketplaces keep what the channel sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kana(String);

impl Kana {
    /// Parses a reading of at most `max` characters.
    ///
    /// # Errors
    /// "is required" for an empty reading; otherwise a message naming the characters that are
    /// not katakana.
    pub fn parse(raw: &str, max: usize) -> Result<Self, String> {
        use unicode_normalization::UnicodeNormalization;
        // NFKC turns half-width kana (with their voicing marks) into full-width and the
        // ideographic space into a space.
        let text: String = raw
            .nfkc()
            .map(hiragana_to_katakana)
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if text.is_empty() {
            return Err("is required".into());
        }
        let mut bad: Vec<char> = text.chars().filter(|c| !is_kana_char(*c)).collect();
        if !bad.is_empty() {
            bad.dedup();
            let shown: String = bad.iter().collect();
            return Err(format!(
                "「{shown}」 is not katakana: write the reading in katakana (e.g. ヤマダ ハナコ)"
            ));
        }
        if text.chars().count() > max {
            return Err(format!("must be at most {max} characters"));
        }
        Ok(Self(text))
    }

    /// The reading.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Full-width katakana (ァ–ヺ, ヽヾ), the long vowel mark, the middle dot and a space.
fn is_kana_char(c: char) -> bool {
    matches!(c, '\u{30A1}'..='\u{30FA}' | 'ー' | '・' | 'ヽ' | 'ヾ' | ' ')
}

/// A Japanese phone number as written for people and carriers: 10 or 11 digits starting with
/// 0, hyphens allowed (full-width digits and spaces are normalised).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    /// Parses a phone number.
    ///
    /// # Errors
    /// A message naming the expected shape.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let p: String = to_half_width_ascii(raw.trim())
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let digits = p.chars().filter(char::is_ascii_digit).count();
        if !(10..=11).contains(&digits)
            || p.len() > 13
            || !p.chars().all(|c| c.is_ascii_digit() || c == '-')
            || !p.starts_with('0')
        {
            return Err("must be a Japanese phone number, e.g. 0980-12-3456");
        }
        Ok(Self(p))
    }

    /// The normalised number.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_are_normalised_or_refused() {
        assert_eq!(
            Phone::parse("０９０－１２３４－５６７８").map(|p| p.0),
            Ok("090-1234-5678".into())
        );
        assert_eq!(
            Phone::parse("0980 12 3456").map(|p| p.0),
            Ok("0980123456".into())
        );
        for bad in ["12345", "+81-90-1234-5678", "090-1234-567a", "1234567890"] {
            assert!(Phone::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn invoice_numbers_from_the_tax_office_examples_are_valid() {
        for ok in [
            "T7120001168421",
            "T9011101097073",
            "Ｔ７１２０００１１６８４２１",
            "T 7120-0011-68421",
        ] {
            assert!(InvoiceRegistrationNumber::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            InvoiceRegistrationNumber::parse("t7120001168421").map(|n| n.as_str().to_string()),
            Ok("T7120001168421".to_string())
        );
    }

    #[test]
    fn invoice_numbers_with_a_wrong_check_digit_or_shape_are_refused() {
        for bad in [
            "T8120001168421",
            "7120001168421",
            "T712000116842",
            "T71200011684211",
            "TABCDEFGHIJKLM",
            "",
        ] {
            assert!(InvoiceRegistrationNumber::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn postal_codes_accept_common_spellings() {
        for (raw, want) in [
            ("907-0004", "907-0004"),
            ("9070004", "907-0004"),
            ("９０７－０００４", "907-0004"),
            ("〒907-0004", "907-0004"),
            (" 907 0004 ", "907-0004"),
        ] {
            assert_eq!(
                PostalCode::parse(raw).map(|p| p.as_str().to_string()),
                Ok(want.to_string()),
                "{raw}"
            );
        }
        for bad in ["907-004", "90-70004", "abcdefg", "", "9070004 1"] {
            assert!(PostalCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn holder_names_are_converted_to_zengin_kana() {
        for (raw, want) in [
            ("ヤマダ ハナコ", "ﾔﾏﾀﾞ ﾊﾅｺ"),
            ("やまだ はなこ", "ﾔﾏﾀﾞ ﾊﾅｺ"),
            ("キョウカイ", "ｷﾖｳｶｲ"),
            ("ｷｮｳｶｲ", "ｷﾖｳｶｲ"),
            ("ユーシー", "ﾕ-ｼ-"),
            ("カ）イシガキブッサン", "ｶ)ｲｼｶﾞｷﾌﾞﾂｻﾝ"),
            ("abc 123", "ABC 123"),
            ("ＡＢＣ", "ABC"),
            ("パパイヤ", "ﾊﾟﾊﾟｲﾔ"),
        ] {
            assert_eq!(zengin_kana(raw), Ok(want.to_string()), "{raw}");
        }
    }

    #[test]
    fn readings_are_katakana_with_half_width_and_hiragana_converted() {
        for (raw, want) in [
            ("ヤマダ ハナコ", "ヤマダ ハナコ"),
            ("ﾔﾏﾀﾞ　ﾊﾅｺ", "ヤマダ ハナコ"),
            ("やまだ  はなこ", "ヤマダ ハナコ"),
            (" ヒガノウエン ", "ヒガノウエン"),
            ("ジョン・スミス", "ジョン・スミス"),
            ("ユーシー", "ユーシー"),
        ] {
            assert_eq!(
                Kana::parse(raw, 100).map(|k| k.0),
                Ok(want.to_string()),
                "{raw}"
            );
        }
        for (raw, named) in [
            ("ヒガ😀ノウエン", "😀"),
            ("比嘉農園", "比嘉農園"),
            ("Higa Farm", "Higa"),
            ("yamada", "yamada"),
        ] {
            let e = Kana::parse(raw, 100).err().unwrap_or_default();
            assert!(e.contains(named), "{raw}: {e}");
        }
        assert_eq!(Kana::parse("  ", 100), Err("is required".into()));
        assert!(Kana::parse("アイウ", 2).is_err());
    }

    #[test]
    fn names_outside_the_zengin_set_are_refused_naming_the_character() {
        let e = zengin_kana("山田 ハナコ").err().unwrap_or_default();
        assert!(e.contains("山"), "{e}");
        assert!(zengin_kana("ハナコ!").is_err());
        assert!(zengin_kana("   ").is_err());
    }
}
