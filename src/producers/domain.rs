//! Producer facts parsed at the boundary, so a value that exists is valid: qualified-invoice
//! registration numbers, postal codes, bank accounts (including Japan Post Bank's 記号・番号)
//! and account-holder names in the Zengin character set. Rules: DOMAIN-JP.md §1, §2, §4.

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

/// Deposit types in a Zengin data record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountType {
    /// 普通 (1)
    Ordinary,
    /// 当座 (2)
    Current,
    /// 貯蓄 (4)
    Savings,
}

impl AccountType {
    /// The Zengin code.
    pub fn code(self) -> char {
        match self {
            Self::Ordinary => '1',
            Self::Current => '2',
            Self::Savings => '4',
        }
    }
}

/// A bank account as a Zengin data record needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankAccount {
    pub bank_code: String,
    pub branch_code: String,
    pub account_type: AccountType,
    pub number: String,
    pub holder_kana: String,
}

/// Japan Post Bank's bank code.
pub const JAPAN_POST_BANK: &str = "9900";

impl BankAccount {
    /// A bank account from bank code (4 digits), branch code (3), type and number (up to 7,
    /// zero-padded) and the holder's name (converted to Zengin kana).
    ///
    /// # Errors
    /// `(field, message)` for the first bad field.
    pub fn new(
        bank_code: &str,
        branch_code: &str,
        account_type: AccountType,
        number: &str,
        holder: &str,
    ) -> Result<Self, (&'static str, String)> {
        let bank = to_half_width_ascii(bank_code.trim());
        let branch = to_half_width_ascii(branch_code.trim());
        let number = to_half_width_ascii(number.trim());
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if bank.len() != 4 || !all_digits(&bank) {
            return Err(("bank_code", "must be 4 digits".into()));
        }
        if branch.len() != 3 || !all_digits(&branch) {
            return Err(("branch_code", "must be 3 digits".into()));
        }
        if number.len() > 7 || !all_digits(&number) {
            return Err(("account_number", "must be up to 7 digits".into()));
        }
        let holder_kana = zengin_kana(holder).map_err(|m| ("holder_kana", m))?;
        if holder_kana.chars().count() > 30 {
            // Half-width kana are one byte each in Shift_JIS: 30 bytes is the payee field.
            return Err((
                "holder_kana",
                "must be at most 30 half-width characters".into(),
            ));
        }
        Ok(Self {
            bank_code: bank,
            branch_code: branch,
            account_type,
            number: format!("{number:0>7}"),
            holder_kana,
        })
    }

    /// A Japan Post Bank account from its 記号 (5 digits, starting with 1) and 番号 (up to 8
    /// digits, the last being 1): branch = 2nd–3rd digits of the 記号 followed by 8, account
    /// number = the 番号 without its last digit, zero-padded to 7 *(verify: DOMAIN-JP.md §2)*.
    ///
    /// # Errors
    /// `(field, message)` for the first bad field.
    pub fn japan_post(
        kigou: &str,
        bangou: &str,
        holder: &str,
    ) -> Result<Self, (&'static str, String)> {
        let kigou = to_half_width_ascii(kigou.trim());
        let bangou = to_half_width_ascii(bangou.trim());
        if kigou.len() != 5 || !kigou.bytes().all(|b| b.is_ascii_digit()) || !kigou.starts_with('1')
        {
            return Err(("jp_bank_symbol", "must be 5 digits starting with 1".into()));
        }
        if bangou.is_empty()
            || bangou.len() > 8
            || !bangou.bytes().all(|b| b.is_ascii_digit())
            || !bangou.ends_with('1')
        {
            return Err((
                "jp_bank_number",
                "must be up to 8 digits ending with 1".into(),
            ));
        }
        let branch = format!("{}8", &kigou[1..3]);
        let number = &bangou[..bangou.len() - 1];
        Self::new(
            JAPAN_POST_BANK,
            &branch,
            AccountType::Ordinary,
            number,
            holder,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn names_outside_the_zengin_set_are_refused_naming_the_character() {
        let e = zengin_kana("山田 ハナコ").err().unwrap_or_default();
        assert!(e.contains("山"), "{e}");
        assert!(zengin_kana("ハナコ!").is_err());
        assert!(zengin_kana("   ").is_err());
    }

    #[test]
    fn bank_accounts_are_checked_and_padded() {
        let a = BankAccount::new("0187", "101", AccountType::Ordinary, "12345", "ﾔﾏﾀﾞ ﾊﾅｺ");
        assert_eq!(a.as_ref().map(|a| a.number.as_str()), Ok("0012345"));
        assert_eq!(
            BankAccount::new("187", "101", AccountType::Ordinary, "1", "ﾔﾏﾀﾞ")
                .err()
                .map(|e| e.0),
            Some("bank_code")
        );
        assert_eq!(
            BankAccount::new("0187", "10", AccountType::Ordinary, "1", "ﾔﾏﾀﾞ")
                .err()
                .map(|e| e.0),
            Some("branch_code")
        );
        assert_eq!(
            BankAccount::new("0187", "101", AccountType::Ordinary, "12345678", "ﾔﾏﾀﾞ")
                .err()
                .map(|e| e.0),
            Some("account_number")
        );
        assert_eq!(
            BankAccount::new("0187", "101", AccountType::Ordinary, "1", "山田")
                .err()
                .map(|e| e.0),
            Some("holder_kana")
        );
        let long = "ｱ".repeat(31);
        assert_eq!(
            BankAccount::new("0187", "101", AccountType::Ordinary, "1", &long)
                .err()
                .map(|e| e.0),
            Some("holder_kana")
        );
    }

    #[test]
    fn japan_post_bank_symbols_convert_to_branch_and_number() {
        let a = BankAccount::japan_post("17010", "12345671", "ヒガ ケン");
        let a = a.ok();
        assert_eq!(a.as_ref().map(|a| a.bank_code.as_str()), Some("9900"));
        assert_eq!(a.as_ref().map(|a| a.branch_code.as_str()), Some("708"));
        assert_eq!(a.as_ref().map(|a| a.number.as_str()), Some("1234567"));
        assert!(BankAccount::japan_post("27010", "12345671", "ﾋｶﾞ").is_err());
        assert!(BankAccount::japan_post("17010", "12345670", "ﾋｶﾞ").is_err());
    }
}
