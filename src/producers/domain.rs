//! Producer facts parsed at the boundary, so a value that exists is valid: bank accounts
//! (including Japan Post Bank's 記号・番号) with holder names in the Zengin character set.
//! The Japanese value types they use live in [`crate::core::jp`]. Rules: DOMAIN-JP.md §2.
use crate::core::jp::{to_half_width_ascii, zengin_kana};

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
    /// `(field, message)` for every bad field.
    pub fn new(
        bank_code: &str,
        branch_code: &str,
        account_type: AccountType,
        number: &str,
        holder: &str,
    ) -> Result<Self, Vec<(&'static str, String)>> {
        let bank = to_half_width_ascii(bank_code.trim());
        let branch = to_half_width_ascii(branch_code.trim());
        let number = to_half_width_ascii(number.trim());
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        // Every bad field at once.
        let mut errors = Vec::new();
        if bank.len() != 4 || !all_digits(&bank) {
            errors.push(("bank_code", "must be 4 digits".into()));
        }
        if branch.len() != 3 || !all_digits(&branch) {
            errors.push(("branch_code", "must be 3 digits".into()));
        }
        if number.len() > 7 || !all_digits(&number) {
            errors.push(("account_number", "must be up to 7 digits".into()));
        }
        match zengin_kana(holder) {
            // Half-width kana are one byte each in Shift_JIS: 30 bytes is the payee field.
            Ok(k) if k.chars().count() > 30 => errors.push((
                "holder_kana",
                "must be at most 30 half-width characters".into(),
            )),
            Ok(k) if errors.is_empty() => {
                return Ok(Self {
                    bank_code: bank,
                    branch_code: branch,
                    account_type,
                    number: format!("{number:0>7}"),
                    holder_kana: k,
                });
            }
            Ok(_) => {}
            Err(m) => errors.push(("holder_kana", m)),
        }
        Err(errors)
    }

    /// A Japan Post Bank account from its 記号 (5 digits, starting with 1) and 番号 (up to 8
    /// digits, the last being 1): branch = 2nd–3rd digits of the 記号 followed by 8, account
    /// number = the 番号 without its last digit, zero-padded to 7 *(verify: DOMAIN-JP.md §2)*.
    ///
    /// # Errors
    /// `(field, message)` for every bad field.
    pub fn japan_post(
        kigou: &str,
        bangou: &str,
        holder: &str,
    ) -> Result<Self, Vec<(&'static str, String)>> {
        let kigou = to_half_width_ascii(kigou.trim());
        let bangou = to_half_width_ascii(bangou.trim());
        let mut errors = Vec::new();
        if kigou.len() != 5 || !kigou.bytes().all(|b| b.is_ascii_digit()) || !kigou.starts_with('1')
        {
            errors.push(("jp_bank_symbol", "must be 5 digits starting with 1".into()));
        }
        if bangou.is_empty()
            || bangou.len() > 8
            || !bangou.bytes().all(|b| b.is_ascii_digit())
            || !bangou.ends_with('1')
        {
            errors.push((
                "jp_bank_number",
                "must be up to 8 digits ending with 1".into(),
            ));
        }
        if !errors.is_empty() {
            if let Err(m) = zengin_kana(holder) {
                errors.push(("holder_kana", m));
            }
            return Err(errors);
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
    fn bank_accounts_are_checked_and_padded() {
        let a = BankAccount::new("0187", "101", AccountType::Ordinary, "12345", "ﾔﾏﾀﾞ ﾊﾅｺ");
        assert_eq!(a.as_ref().map(|a| a.number.as_str()), Ok("0012345"));
        assert_eq!(
            BankAccount::new("187", "101", AccountType::Ordinary, "1", "ﾔﾏﾀﾞ")
                .err()
                .map(|e| e[0].0),
            Some("bank_code")
        );
        assert_eq!(
            BankAccount::new("0187", "10", AccountType::Ordinary, "1", "ﾔﾏﾀﾞ")
                .err()
                .map(|e| e[0].0),
            Some("branch_code")
        );
        assert_eq!(
            BankAccount::new("0187", "101", AccountType::Ordinary, "12345678", "ﾔﾏﾀﾞ")
                .err()
                .map(|e| e[0].0),
            Some("account_number")
        );
        assert_eq!(
            BankAccount::new("0187", "101", AccountType::Ordinary, "1", "山田")
                .err()
                .map(|e| e[0].0),
            Some("holder_kana")
        );
        // Every bad field at once.
        let all: Vec<&str> = BankAccount::new("1", "2", AccountType::Ordinary, "x", "山田")
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.0)
            .collect();
        assert_eq!(
            all,
            ["bank_code", "branch_code", "account_number", "holder_kana"]
        );
        let long = "ｱ".repeat(31);
        assert_eq!(
            BankAccount::new("0187", "101", AccountType::Ordinary, "1", &long)
                .err()
                .map(|e| e[0].0),
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
