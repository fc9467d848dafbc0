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
            include_str!("pages.rs"),
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
    fn keys_are_unique() {
        let mut keys: Vec<&str> = TEXTS.iter().map(|(k, _, _)| *k).collect();
        keys.sort_unstable();
        let before = keys.len();
        keys.dedup();
        assert_eq!(before, keys.len());
    }
}
