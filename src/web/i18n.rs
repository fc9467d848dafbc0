//! Page texts in Japanese (default) and English. Keys are checked by a unit test.
use crate::mail::messages::Locale;

const TEXTS: &[(&str, &str, &str)] = &[
    ("app.name", "ゆいまーる", "yuimaru"),
    (
        "app.tagline",
        "島の生産者のための共同ストア",
        "A shared shop for island producers",
    ),
    ("nav.home", "ホーム", "Home"),
    ("nav.docs", "API ドキュメント", "API docs"),
    ("nav.logout", "ログアウト", "Log out"),
    ("nav.login", "ログイン", "Log in"),
    ("lang.switch", "English", "日本語"),
    ("login.title", "ログイン", "Log in"),
    ("login.email", "メールアドレス", "Email"),
    ("login.password", "パスワード", "Password"),
    ("login.submit", "ログインする", "Log in"),
    (
        "login.forgot",
        "パスワードをお忘れの方",
        "Forgot your password?",
    ),
    (
        "login.invalid",
        "メールアドレスまたはパスワードが違います。",
        "The email or password is incorrect.",
    ),
    (
        "login.too_many",
        "ログインの失敗が続いたため、しばらくお待ちください。",
        "Too many failed attempts. Please wait and try again.",
    ),
    (
        "field.email_invalid",
        "メールアドレスの形式が正しくありません。",
        "Enter a valid email address.",
    ),
    (
        "field.required",
        "入力してください。",
        "This field is required.",
    ),
    (
        "field.password_short",
        "パスワードは 10 文字以上にしてください。",
        "Use at least 10 characters.",
    ),
    (
        "field.password_mismatch",
        "確認用パスワードが一致しません。",
        "The passwords do not match.",
    ),
    (
        "reset.request_title",
        "パスワードの再設定",
        "Reset your password",
    ),
    (
        "reset.request_help",
        "登録したメールアドレスを入力してください。再設定用のリンクをお送りします。",
        "Enter your email address and we will send you a link to set a new password.",
    ),
    ("reset.request_submit", "リンクを送る", "Send the link"),
    (
        "reset.request_done",
        "アカウントがあれば、再設定用のリンクをメールでお送りしました。メールをご確認ください。",
        "If an account exists for this address, we have emailed a link. Please check your inbox.",
    ),
    (
        "reset.title",
        "新しいパスワードの設定",
        "Set a new password",
    ),
    (
        "reset.new_password",
        "新しいパスワード（10 文字以上）",
        "New password (at least 10 characters)",
    ),
    (
        "reset.confirm_password",
        "新しいパスワード（確認）",
        "Confirm the new password",
    ),
    ("reset.submit", "パスワードを設定する", "Set password"),
    (
        "reset.invalid_link",
        "このリンクは無効か、使用済みか、有効期限が切れています。もう一度お手続きください。",
        "This link is invalid, already used or expired. Please request a new one.",
    ),
    (
        "reset.done",
        "パスワードを設定しました。ログインしてください。",
        "Your password is set. Please log in.",
    ),
    ("home.title", "ようこそ", "Welcome"),
    ("home.signed_in_as", "ログイン中", "Signed in as"),
    ("home.role", "役割", "Role"),
    ("csrf.title", "もう一度お試しください", "Please try again"),
    (
        "csrf.body",
        "フォームの有効期限が切れたか、不正な送信です。ページを開き直してから送信してください。",
        "The form expired or the request was not valid. Reload the page and submit again.",
    ),
    ("notfound.title", "ページが見つかりません", "Page not found"),
    (
        "notfound.body",
        "お探しのページは見つかりませんでした。",
        "The page you are looking for does not exist.",
    ),
    ("error.title", "エラー", "Error"),
    (
        "error.body",
        "問題が発生しました。時間をおいてもう一度お試しください。",
        "Something went wrong. Please try again later.",
    ),
    (
        "form.has_errors",
        "入力内容を確認してください。",
        "Please check the highlighted fields.",
    ),
    ("back.login", "ログインへ戻る", "Back to log in"),
    ("reg.title", "生産者登録", "Producer registration"),
    (
        "reg.intro",
        "商品を出荷するだけで、共同ストアや各モールでまとめて販売します。登録後、担当者が内容を確認します。",
        "Ship your products and we sell them together in the shared shop and on marketplaces. Our staff review your registration.",
    ),
    (
        "reg.section.business",
        "事業者の情報",
        "About your business",
    ),
    ("reg.section.contact", "連絡先", "Contact"),
    (
        "reg.section.tax",
        "インボイス（適格請求書発行事業者）",
        "Qualified invoice registration",
    ),
    (
        "reg.section.bank",
        "売上の振込先",
        "Where we pay your sales",
    ),
    (
        "reg.section.login",
        "ログイン用パスワード",
        "Password for logging in",
    ),
    (
        "reg.legal_name",
        "事業者名（屋号・氏名）",
        "Business or personal name",
    ),
    (
        "reg.legal_name_kana",
        "事業者名（フリガナ）",
        "Name in kana",
    ),
    ("reg.representative", "代表者名", "Representative"),
    ("reg.municipality_code", "市町村", "Municipality"),
    ("reg.island_code", "島", "Island"),
    ("reg.postal_code", "郵便番号", "Postal code"),
    ("reg.address", "住所", "Address"),
    ("reg.phone", "電話番号", "Phone"),
    ("reg.email", "メールアドレス", "Email"),
    (
        "reg.password",
        "パスワード（10 文字以上）",
        "Password (at least 10 characters)",
    ),
    (
        "reg.tax_registered",
        "登録番号があります",
        "I have a registration number",
    ),
    (
        "reg.tax_exempt",
        "免税事業者です（登録番号なし）",
        "I am tax-exempt (no number)",
    ),
    (
        "reg.invoice_number",
        "登録番号（T から始まる 14 桁）",
        "Registration number (T + 13 digits)",
    ),
    (
        "reg.bank_kind_bank",
        "銀行・信用金庫・JA など",
        "Bank, credit union, JA",
    ),
    (
        "reg.bank_kind_japan_post",
        "ゆうちょ銀行",
        "Japan Post Bank",
    ),
    (
        "reg.bank_code",
        "金融機関コード（4 桁）",
        "Bank code (4 digits)",
    ),
    (
        "reg.branch_code",
        "支店コード（3 桁）",
        "Branch code (3 digits)",
    ),
    ("reg.account_type", "口座の種類", "Account type"),
    ("reg.account_type.ordinary", "普通", "Ordinary"),
    ("reg.account_type.current", "当座", "Current"),
    ("reg.account_type.savings", "貯蓄", "Savings"),
    (
        "reg.account_number",
        "口座番号（7 桁まで）",
        "Account number (up to 7 digits)",
    ),
    (
        "reg.jp_bank_symbol",
        "記号（5 桁）",
        "Symbol (記号, 5 digits)",
    ),
    (
        "reg.jp_bank_number",
        "番号（8 桁まで）",
        "Number (番号, up to 8 digits)",
    ),
    (
        "reg.holder_kana",
        "口座名義（カタカナ）",
        "Account holder (katakana)",
    ),
    (
        "reg.consent",
        "利用規約と個人情報の取り扱いに同意します",
        "I agree to the terms and the privacy policy",
    ),
    ("reg.submit", "登録する", "Register"),
    ("reg.choose", "選んでください", "Choose"),
    ("reg.none", "（なし）", "(none)"),
    (
        "reg.done_title",
        "登録を受け付けました",
        "Registration received",
    ),
    (
        "reg.done_body",
        "確認のメールをお送りしました。メール内のリンクを開いてメールアドレスを確認してください。担当者の審査が終わるとメールでお知らせします。",
        "We have emailed you: open the link in it to confirm your address. We will email you again when our staff have reviewed your registration.",
    ),
    (
        "reg.err.legal_name",
        "事業者名を入力してください。",
        "Enter your business or personal name.",
    ),
    (
        "reg.err.legal_name_kana",
        "フリガナを入力してください。",
        "Enter the name in kana.",
    ),
    (
        "reg.err.representative",
        "代表者名を入力してください。",
        "Enter the representative's name.",
    ),
    (
        "reg.err.municipality_code",
        "市町村を一覧から選んでください。",
        "Choose a municipality from the list.",
    ),
    (
        "reg.err.island_code",
        "島を一覧から選んでください。",
        "Choose an island from the list.",
    ),
    (
        "reg.err.postal_code",
        "郵便番号は 7 桁の数字で入力してください（例: 907-0004）。",
        "Enter 7 digits, e.g. 907-0004.",
    ),
    (
        "reg.err.address",
        "住所を入力してください。",
        "Enter your address.",
    ),
    (
        "reg.err.phone",
        "電話番号を入力してください（例: 0980-12-3456）。",
        "Enter a Japanese phone number, e.g. 0980-12-3456.",
    ),
    (
        "reg.err.email",
        "メールアドレスが正しくないか、すでに登録されています。",
        "The email is not valid or already registered.",
    ),
    (
        "reg.err.password",
        "パスワードは 10 文字以上にしてください。",
        "Use at least 10 characters.",
    ),
    (
        "reg.err.invoice_number",
        "登録番号が正しくありません（T と 13 桁の数字。チェック数字も確認してください）。免税事業者の方は「免税事業者です」を選んでください。",
        "The number is not valid (T + 13 digits with a check digit). Choose \"tax-exempt\" if you have none.",
    ),
    (
        "reg.err.bank_kind",
        "振込先の種類を選んでください。",
        "Choose the kind of account.",
    ),
    (
        "reg.err.bank_code",
        "金融機関コードは 4 桁の数字です。",
        "The bank code is 4 digits.",
    ),
    (
        "reg.err.branch_code",
        "支店コードは 3 桁の数字です。",
        "The branch code is 3 digits.",
    ),
    (
        "reg.err.account_type",
        "口座の種類を選んでください。",
        "Choose the account type.",
    ),
    (
        "reg.err.account_number",
        "口座番号は 7 桁までの数字です。",
        "The account number is up to 7 digits.",
    ),
    (
        "reg.err.jp_bank_symbol",
        "記号は 1 から始まる 5 桁の数字です。",
        "The symbol is 5 digits starting with 1.",
    ),
    (
        "reg.err.jp_bank_number",
        "番号は 1 で終わる 8 桁までの数字です。",
        "The number is up to 8 digits ending with 1.",
    ),
    (
        "reg.err.holder_kana",
        "口座名義はカタカナ・英大文字・数字で、通帳のとおりに入力してください（漢字・ひらがな以外の記号は使えません）。",
        "Write the holder as in the passbook, in katakana, capital letters and digits.",
    ),
    (
        "reg.err.consent",
        "登録には同意が必要です。",
        "Please agree to continue.",
    ),
    (
        "reg.err.locale",
        "言語を選び直してください。",
        "Choose a language.",
    ),
    (
        "confirm.done_title",
        "メールアドレスを確認しました",
        "Email address confirmed",
    ),
    (
        "confirm.done_body",
        "ありがとうございます。審査が終わりましたらお知らせします。",
        "Thank you. We will let you know when the review is done.",
    ),
    (
        "confirm.invalid_title",
        "リンクが無効です",
        "This link is not valid",
    ),
    (
        "confirm.invalid_body",
        "このリンクは無効か、使用済みか、有効期限が切れています。",
        "This link is invalid, already used or expired.",
    ),
];

/// Looks up page texts for one locale.
#[derive(Debug, Clone, Copy)]
pub struct T {
    pub locale: Locale,
}

impl T {
    /// The text for `key` (the key itself when missing, which a test prevents).
    pub fn get(&self, key: &str) -> &'static str {
        for (k, ja, en) in TEXTS {
            if *k == key {
                return match self.locale {
                    Locale::Ja => ja,
                    Locale::En => en,
                };
            }
        }
        "??"
    }

    /// `ja` or `en`, for `<html lang>`.
    pub fn lang(&self) -> &'static str {
        self.locale.as_str()
    }

    /// The other locale's code, for the switch link.
    pub fn other_lang(&self) -> &'static str {
        match self.locale {
            Locale::Ja => "en",
            Locale::En => "ja",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_used_in_templates_and_pages_exists() {
        let sources = [
            include_str!("templates/layout.html"),
            include_str!("templates/login.html"),
            include_str!("templates/reset_request.html"),
            include_str!("templates/reset.html"),
            include_str!("templates/home.html"),
            include_str!("templates/message.html"),
            include_str!("templates/register.html"),
            include_str!("pages.rs"),
            include_str!("producer_pages.rs"),
        ];
        let t = T { locale: Locale::Ja };
        for src in sources {
            for part in src.split("t.get(\"").skip(1) {
                let key = part.split('"').next().unwrap_or_default();
                assert_ne!(t.get(key), "??", "missing text key {key}");
            }
        }
    }

    #[test]
    fn every_registration_field_has_a_label_or_an_error_text() {
        let t = T { locale: Locale::En };
        for f in crate::web::producer_pages::ERROR_FIELDS {
            assert_ne!(t.get(&format!("reg.err.{f}")), "??", "reg.err.{f}");
        }
        for f in crate::web::producer_pages::TEXT_FIELDS {
            assert_ne!(t.get(&format!("reg.{}", f.0)), "??", "reg.{}", f.0);
        }
    }

    #[test]
    fn keys_are_unique() {
        let mut keys: Vec<&str> = TEXTS.iter().map(|(k, _, _)| *k).collect();
        keys.sort_unstable();
        let before = keys.len();
        keys.dedup();
        assert_eq!(before, keys.len());
    }
}
