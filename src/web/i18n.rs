//! Page texts in Japanese (default) and English. Keys are checked by a unit test.
use crate::core::locale::Locale;

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
        "form.unreadable",
        "送信された内容を読み取れませんでした。もう一度お試しください。",
        "The form could not be read. Please try again.",
    ),
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
    ("nav.portal", "商品管理", "My products"),
    ("nav.review", "審査", "Review"),
    ("portal.title", "商品管理", "My products"),
    ("portal.new", "新しい商品を登録", "Add a product"),
    ("portal.empty", "まだ商品がありません。", "No products yet."),
    ("portal.edit_title", "商品の編集", "Edit product"),
    ("portal.new_title", "新しい商品", "New product"),
    ("portal.save", "保存する", "Save"),
    ("portal.submit_review", "審査に出す", "Submit for review"),
    ("portal.status", "状態", "Status"),
    (
        "portal.review_comments",
        "担当者からのコメント",
        "Reviewer comments",
    ),
    (
        "portal.pending_revision",
        "変更を審査中です。承認されるまで、掲載中の内容は変わりません。",
        "Your changes are being reviewed; the live listing stays as it is until they are approved.",
    ),
    ("portal.skus", "SKU（販売単位）", "SKUs"),
    ("portal.add_sku", "SKU を追加", "Add SKU"),
    ("portal.photos", "写真", "Photos"),
    ("portal.upload", "写真を追加", "Upload photo"),
    (
        "portal.photo_file",
        "写真（JPEG / PNG / WebP）",
        "Photo (JPEG / PNG / WebP)",
    ),
    ("portal.sellable", "販売できる状態です", "Sellable now"),
    (
        "portal.not_sellable",
        "まだ販売できません",
        "Not sellable yet",
    ),
    ("status.draft", "下書き", "Draft"),
    ("status.submitted", "審査中", "In review"),
    ("status.listed", "掲載中", "Listed"),
    ("status.rejected", "差し戻し", "Sent back"),
    ("status.paused", "一時停止", "Paused"),
    ("status.retired", "販売終了", "Retired"),
    ("status.pending", "審査待ち", "Pending"),
    ("status.approved", "承認済み", "Approved"),
    ("status.suspended", "停止中", "Suspended"),
    ("prod.title_ja", "商品名（日本語）", "Name (Japanese)"),
    (
        "prod.title_en",
        "商品名（英語・任意）",
        "Name (English, optional)",
    ),
    (
        "prod.description_ja",
        "説明（日本語）",
        "Description (Japanese)",
    ),
    ("prod.category_code", "カテゴリ", "Category"),
    ("prod.temperature_class", "温度帯", "Temperature"),
    ("prod.temperature.ambient", "常温", "Ambient"),
    ("prod.temperature.chilled", "冷蔵", "Chilled"),
    ("prod.temperature.frozen", "冷凍", "Frozen"),
    ("prod.date_kind", "期限の種類", "Date kind"),
    ("prod.date.best_before", "賞味期限", "Best before"),
    ("prod.date.use_by", "消費期限", "Use by"),
    (
        "prod.shelf_life_days",
        "期限までの日数",
        "Shelf life (days)",
    ),
    (
        "prod.allergens",
        "アレルゲン（特定原材料など）",
        "Allergens",
    ),
    ("prod.ingredients", "原材料名", "Ingredients"),
    ("prod.additives", "添加物", "Additives"),
    ("prod.net_content", "内容量", "Net content"),
    ("prod.storage", "保存方法", "Storage"),
    ("prod.tax_rate", "消費税率", "Tax rate"),
    ("prod.alcohol", "酒類です", "This is alcohol"),
    (
        "prod.quarantine_class",
        "植物検疫の区分",
        "Plant quarantine class",
    ),
    (
        "prod.hs_code",
        "HS コード（輸出用・任意）",
        "HS code (export, optional)",
    ),
    (
        "prod.err",
        "この項目を確認してください。",
        "Please check this field.",
    ),
    ("sku.code", "SKU コード", "SKU code"),
    (
        "sku.price_yen",
        "価格（税込・円）",
        "Price (yen, tax included)",
    ),
    ("sku.weight_g", "重さ（g）", "Weight (g)"),
    ("sku.jan", "JAN コード（任意）", "JAN (optional)"),
    ("review.title", "審査", "Review"),
    ("review.producers", "生産者の登録", "Producer registrations"),
    ("review.products", "商品の審査", "Products to review"),
    (
        "review.revisions",
        "掲載中商品の変更",
        "Changes to listed products",
    ),
    ("review.approve", "承認する", "Approve"),
    ("review.reject", "差し戻す", "Send back"),
    ("review.reason", "理由・コメント", "Reason / comment"),
    ("review.field", "対象の項目", "Field"),
    (
        "review.nothing",
        "審査待ちはありません。",
        "Nothing waiting.",
    ),
    ("review.change_from", "変更前", "Before"),
    ("review.change_to", "変更後", "After"),
    ("forbidden.title", "権限がありません", "Not allowed"),
    (
        "forbidden.body",
        "このページを使う権限がありません。",
        "You are not allowed to use this page.",
    ),
    (
        "reg.proxy_title",
        "生産者の代理登録",
        "Register a producer on their behalf",
    ),
    (
        "reg.proxy_intro",
        "フォームを使えない生産者のために、同意を得たうえで代理で登録します。生産者にはパスワード設定用のメールが届きます。",
        "Register a producer who cannot use the form, with their consent. They get an email to set their password.",
    ),
    (
        "reg.consent_date",
        "生産者が同意した日",
        "Date the producer agreed",
    ),
    (
        "reg.err.consent_date",
        "同意した日を入力してください（今日以前）。",
        "Enter the date the producer agreed (today or earlier).",
    ),
    ("profile.title", "登録情報", "My details"),
    ("profile.closures", "休業・出荷停止", "Closures"),
    ("profile.closed_now", "本日は休業中", "Closed today"),
    ("profile.island_wide", "島全体", "whole island"),
    ("profile.closed_from", "開始日", "From"),
    ("profile.closed_to", "終了日", "To"),
    ("profile.add_closure", "休業を登録", "Add closure"),
    (
        "profile.bank_pending",
        "審査中の新しい口座",
        "New account waiting for approval",
    ),
    (
        "profile.bank_requested",
        "口座の変更を受け付けました。担当者の承認後に切り替わります。",
        "Your new account was received and is used after staff approve it.",
    ),
    (
        "profile.current_password",
        "現在のパスワード（確認のため）",
        "Current password (to confirm)",
    ),
    (
        "profile.request_bank",
        "口座の変更を申請",
        "Request the change",
    ),
    (
        "reg.err.current_password",
        "パスワードが違います。",
        "The password is not correct.",
    ),
    ("ops.producers", "生産者一覧", "Producers"),
    ("ops.suspend", "一時停止", "Suspend"),
    ("ops.reinstate", "再開", "Reinstate"),
    (
        "ops.island_closure",
        "島全体の出荷停止（欠航など）",
        "Whole-island closure (e.g. ferries suspended)",
    ),
    ("ops.import", "CSV 取り込み", "CSV import"),
    (
        "ops.import_help",
        "1 行に 1 商品と 1 SKU。UTF-8（BOM 可）か Shift_JIS。1 行でも誤りがあれば何も取り込みません（部分取り込みを選んだ場合を除く）。",
        "One product and one SKU per row; UTF-8 (with or without BOM) or Shift_JIS. One bad row stops the whole import unless partial import is chosen.",
    ),
    (
        "ops.import_rolled_back",
        "誤りがあったため、何も取り込んでいません。",
        "Nothing was imported because some rows have problems.",
    ),
    ("ops.imported", "取り込んだ件数", "Imported"),
    ("ops.row", "行", "Row"),
    ("ops.problem", "内容", "Problem"),
    (
        "ops.partial",
        "正しい行だけ取り込む",
        "Import the good rows anyway",
    ),
    (
        "ops.export_utf8",
        "CSV 書き出し（UTF-8）",
        "Export CSV (UTF-8)",
    ),
    (
        "ops.export_sjis",
        "CSV 書き出し（Shift_JIS）",
        "Export CSV (Shift_JIS)",
    ),
    ("nav.profile", "登録情報", "My details"),
    ("nav.producers", "生産者一覧", "Producers"),
    (
        "prod.description_en",
        "説明（英語・任意）",
        "Description (English, optional)",
    ),
    (
        "prod.tags",
        "ブランド・コレクション（カンマ区切り）",
        "Brand / collection tags (comma-separated)",
    ),
    (
        "prod.origin_municipality_code",
        "主原料の産地（市町村）",
        "Origin of the main ingredient",
    ),
    ("prod.nutrition", "栄養成分表示", "Nutrition facts"),
    (
        "prod.nutrition_basis",
        "表示単位（例: 100g 当たり）",
        "Per (e.g. 100 g)",
    ),
    ("prod.energy_kcal", "エネルギー（kcal）", "Energy (kcal)"),
    ("prod.protein_g", "たんぱく質（g）", "Protein (g)"),
    ("prod.fat_g", "脂質（g）", "Fat (g)"),
    ("prod.carbohydrate_g", "炭水化物（g）", "Carbohydrate (g)"),
    ("prod.salt_g", "食塩相当量（g）", "Salt equivalent (g)"),
    (
        "ops.import_too_large",
        "ファイルが大きすぎるか、読み取れませんでした。何も取り込んでいません。",
        "The file is too large or could not be read. Nothing was imported.",
    ),
    (
        "flag.clearance",
        "期限間近（販売停止）",
        "Close to date (not for sale)",
    ),
    (
        "flag.disposal",
        "期限切れ（廃棄・返送）",
        "Past date (dispose / return)",
    ),
    ("stock.title", "在庫", "Stock"),
    (
        "stock.expiring",
        "期限まで N 日以内のみ",
        "Only lots dated within N days",
    ),
    ("stock.filter", "絞り込む", "Filter"),
    ("stock.empty", "在庫はありません。", "No stock."),
    ("stock.lot", "ロット", "Lot"),
    ("stock.date", "期限", "Date"),
    ("stock.days", "残り日数", "Days left"),
    ("stock.on_hand", "在庫", "On hand"),
    ("stock.reserved", "引当済み", "Reserved"),
    ("stock.available", "販売可能", "Available"),
    ("stock.locations", "保管場所", "Locations"),
    ("stock.location_code", "棚番号", "Bin code"),
    ("stock.add_location", "保管場所を追加", "Add location"),
    (
        "ship.title",
        "入荷予定（出荷連絡）",
        "Shipments to the warehouse",
    ),
    ("ship.new", "新しい出荷連絡", "New shipment notice"),
    ("ship.transport", "輸送手段", "Transport"),
    ("ship.ferry", "フェリー", "Ferry"),
    ("ship.air", "航空便", "Air"),
    ("ship.truck", "トラック", "Truck"),
    ("ship.post", "郵便・宅配", "Post / parcel"),
    ("ship.expected_arrival", "到着予定日", "Expected arrival"),
    ("ship.boxes", "箱数", "Boxes"),
    ("ship.line", "明細", "Line"),
    ("ship.qty", "数量", "Quantity"),
    (
        "ship.ship_now",
        "発送済みとして登録する",
        "Mark as shipped now",
    ),
    ("ship.declare", "出荷連絡を送る", "Send the notice"),
    ("ship.ship", "発送済みにする", "Mark as shipped"),
    ("ship.declared", "予定", "Declared"),
    ("ship.received", "入荷", "Received"),
    ("ship.damaged", "破損", "Damaged"),
    ("ship.refused", "受入不可", "Refused"),
    (
        "ship.err.shelf_life",
        "期限までの日数がこの分類の販売基準を下回っています。受入不可の数に入れてください。",
        "Too few days left before the date for this category: count these units as refused.",
    ),
    (
        "ship.err.photo",
        "写真を保存できませんでした。JPEG・PNG・WebPの画像（10MBまで、1回の入荷に10枚まで）を選んでください。",
        "The photo could not be saved: choose a JPEG, PNG or WebP image (up to 10 MB, 10 per receiving event).",
    ),
    ("ship.receipts", "入荷記録", "Receiving events"),
    ("ship.damage_bearer", "破損の負担", "Damage borne by"),
    (
        "ship.err.damage_bearer",
        "破損がある場合は、負担する相手を選んでください。",
        "Choose who bears the damaged units.",
    ),
    (
        "ship.new_for",
        "生産者に代わって入荷予定を登録",
        "Declare a shipment for a producer",
    ),
    ("ship.ship_date", "発送日", "Ship date"),
    (
        "ship.production_date",
        "製造日（期限が空欄のとき、賞味期間から計算）",
        "Production date (when the date is empty, from the shelf life)",
    ),
    ("ship.notes", "メモ", "Notes"),
    ("ship.close", "入荷を締める", "Close shipment"),
    ("ship.add_photo", "写真を追加", "Add photo"),
    ("ship.photo", "写真", "Photo"),
    (
        "ship.err.location",
        "この温度帯の棚を選んでください。",
        "Choose a bin of this temperature zone.",
    ),
    (
        "ship.err.counts",
        "数量を確認してください（0以上、すべて0は不可）。",
        "Check the counts (0 or more, not all 0).",
    ),
    ("ship.missing", "不足", "Missing"),
    ("ship.receive", "入荷を記録", "Record receipt"),
    ("ship.status.draft", "下書き", "Draft"),
    ("ship.status.shipped", "発送済み", "Shipped"),
    (
        "ship.status.partially_received",
        "一部入荷",
        "Partly received",
    ),
    ("ship.status.received", "入荷済み", "Received"),
    ("ship.status.closed", "完了", "Closed"),
    ("ship.status.cancelled", "取消", "Cancelled"),
    ("nav.stock", "在庫", "Stock"),
    ("nav.shipments", "出荷連絡・入荷", "Shipments"),
    ("lot.title", "ロット", "Lot"),
    ("lot.back", "← 在庫一覧", "← Stock"),
    ("lot.history", "入出庫の履歴", "Movement history"),
    ("lot.time", "日時", "Time"),
    ("lot.kind", "種類", "Kind"),
    ("lot.bearer", "損失の負担", "Loss borne by"),
    ("lot.reason", "理由", "Reason"),
    ("lot.adjust", "在庫を調整", "Adjust stock"),
    (
        "lot.qty_delta",
        "増減数（減らすときはマイナス）",
        "Change (negative to remove)",
    ),
    ("lot.open", "履歴", "History"),
    ("mv.receipt", "入荷", "Receipt"),
    ("mv.reservation", "引当", "Reservation"),
    ("mv.release", "引当解除", "Release"),
    ("mv.shipment", "出荷", "Shipment"),
    ("mv.return_to_stock", "返品（在庫へ）", "Return to stock"),
    ("mv.adjustment", "調整", "Adjustment"),
    ("mv.damage", "破損", "Damage"),
    ("mv.disposal", "廃棄", "Disposal"),
    (
        "mv.return_to_producer",
        "生産者へ返送",
        "Return to producer",
    ),
    (
        "adj.kind.adjustment",
        "棚卸の修正（±）",
        "Count correction (±)",
    ),
    ("adj.kind.damage", "破損", "Damage"),
    ("adj.kind.loss", "紛失", "Loss"),
    ("adj.kind.disposal", "廃棄", "Disposal"),
    (
        "adj.kind.return_to_producer",
        "生産者へ返送",
        "Return to producer",
    ),
    ("bearer.producer", "生産者", "Producer"),
    ("bearer.aggregator", "事業者（集荷・販売）", "Aggregator"),
    ("bearer.carrier", "運送会社", "Carrier"),
    ("hold.title", "取り置き・引当", "Holds and reservations"),
    ("hold.all", "すべて", "All"),
    ("hold.new", "在庫を取り置く", "Hold stock"),
    (
        "hold.destination",
        "配送先の都道府県",
        "Destination prefecture",
    ),
    (
        "hold.reference",
        "参照（注文番号など）",
        "Reference (order no. etc.)",
    ),
    ("hold.minutes", "取り置き時間（分）", "Hold for (minutes)"),
    ("hold.submit", "取り置く", "Hold"),
    ("hold.empty", "取り置きはありません。", "No holds."),
    ("hold.expires", "期限", "Expires"),
    ("hold.returned", "返品済み", "Returned"),
    ("hold.consume", "出荷する", "Ship"),
    ("hold.release", "解除する", "Release"),
    ("hold.return", "返品を記録", "Record a return"),
    ("hold.disposition", "扱い", "Disposition"),
    ("hold.restock", "在庫に戻す", "Restock"),
    ("hold.dispose", "廃棄する", "Dispose"),
    ("hold.status_label", "状態", "Status"),
    ("hold.status.held", "取り置き中", "Held"),
    ("hold.status.consumed", "出荷済み", "Shipped"),
    ("hold.status.released", "解除済み", "Released"),
    ("hold.status.expired", "期限切れ", "Expired"),
    ("rule.title", "在庫ルール", "Inventory rules"),
    (
        "rule.defaults",
        "既定値（設定ファイル）",
        "Defaults (configuration)",
    ),
    (
        "rule.min_days_category",
        "販売に必要な残り日数（分類別）",
        "Days left needed for sale (per category)",
    ),
    (
        "rule.transit_days_prefecture",
        "配送日数（都道府県別）",
        "Transit days (per prefecture)",
    ),
    (
        "rule.okinawa",
        "沖縄県内の配送日数",
        "Transit days within Okinawa",
    ),
    (
        "rule.other",
        "県外への配送日数",
        "Transit days to other prefectures",
    ),
    ("rule.kind", "種類", "Kind"),
    ("rule.key", "対象", "Applies to"),
    ("rule.days", "日数", "Days"),
    ("rule.save", "保存", "Save"),
    ("recall.title", "リコール追跡", "Recall trace"),
    (
        "recall.help",
        "生産者と期限の範囲を選ぶと、そのロットから引き当てたすべての注文・取り置きを表示します。",
        "Choose a producer and a date range to list every order or hold that took units from those lots.",
    ),
    ("recall.producer", "生産者", "Producer"),
    ("recall.from", "期限（から）", "Dated from"),
    ("recall.to", "期限（まで）", "Dated until"),
    ("recall.search", "検索", "Search"),
    (
        "recall.none",
        "該当する引当はありません。",
        "No reservation took units from these lots.",
    ),
    ("nav.holds", "取り置き・引当", "Holds"),
    ("nav.rules", "在庫ルール", "Inventory rules"),
    ("nav.recall", "リコール追跡", "Recall trace"),
    ("stock.producer", "生産者", "Producer"),
    ("stock.island", "島", "Island"),
    ("stock.any", "すべて", "Any"),
    ("stock.per_sku", "SKU別", "Per SKU"),
    ("stock.per_lot", "ロット別", "Per lot"),
    ("stock.lots", "ロット数", "Lots"),
    ("stock.sellable", "販売に使える数", "Sellable"),
    ("stock.next_date", "最も近い期限", "Nearest date"),
    ("stock.low", "残りわずか", "Low"),
    (
        "stock.err.filter",
        "絞り込みの条件を確認してください。",
        "Check this filter.",
    ),
    (
        "wh.err.qty_delta",
        "0以外の整数を入力してください（在庫・引当数を超えて減らせません）。",
        "Enter a whole number other than 0 (it cannot remove more than is unreserved).",
    ),
    (
        "wh.err.reason",
        "理由を入力してください（500文字まで）。",
        "Enter a reason (up to 500 characters).",
    ),
    (
        "wh.err.loss_bearer",
        "損失を負担する相手を選んでください。",
        "Choose who bears the loss.",
    ),
    ("wh.err.kind", "種類を選んでください。", "Choose a kind."),
    (
        "wh.err.insufficient_stock",
        "引当されていない在庫が足りません。",
        "Not enough unreserved stock in this lot.",
    ),
    (
        "wh.err.qty",
        "数量を1以上の整数で入力してください。",
        "Enter a quantity of 1 or more.",
    ),
    ("wh.err.sku_id", "SKUを選んでください。", "Choose a SKU."),
    (
        "wh.err.lines",
        "少なくとも1行、SKUと数量を入力してください。",
        "Enter at least one line with a SKU and a quantity.",
    ),
    (
        "wh.err.out_of_stock",
        "在庫が足りません（期限が近いロットは販売に使えません）。",
        "Not enough stock (lots too close to their date cannot be sold).",
    ),
    (
        "wh.err.destination_prefecture",
        "都道府県を選び直してください。",
        "Choose the prefecture again.",
    ),
    (
        "wh.err.reference",
        "参照は200文字までです。",
        "The reference is at most 200 characters.",
    ),
    (
        "wh.err.expires_in_minutes",
        "取り置き時間を分単位の整数で入力してください。",
        "Enter the hold time in whole minutes.",
    ),
    (
        "wh.err.reservation_not_held",
        "この取り置きはすでに出荷・解除されています。",
        "This hold was already shipped or released.",
    ),
    (
        "wh.err.reservation_not_consumed",
        "出荷済みの引当だけ返品を記録できます。",
        "Only shipped reservations take returns.",
    ),
    (
        "wh.err.return_exceeds_shipped",
        "出荷した数より多くは返品できません。",
        "You cannot take back more than was shipped.",
    ),
    (
        "wh.err.disposition",
        "扱いを選んでください。",
        "Choose restock or dispose.",
    ),
    (
        "wh.err.lot_id",
        "この引当のロットではありません。",
        "Not a lot of this reservation.",
    ),
    (
        "wh.err.days",
        "日数を0〜3650の整数で入力してください。",
        "Enter days as a whole number from 0 to 3650.",
    ),
    (
        "wh.err.key",
        "対象を選び直してください。",
        "Choose what the rule applies to again.",
    ),
    (
        "wh.err.producer_id",
        "生産者を選んでください。",
        "Choose a producer.",
    ),
    ("wh.err.from", "日付を確認してください。", "Check the date."),
    ("wh.err.to", "日付を確認してください。", "Check the date."),
    (
        "wh.err.idempotency_key_reused",
        "この画面は古くなっています。再読み込みしてください。",
        "This page is out of date: reload it.",
    ),
    ("shoporder.title", "ご注文の確認", "Your order"),
    ("shoporder.number", "注文番号", "Order number"),
    ("shoporder.status", "状態", "Status"),
    ("shoporder.pay_by", "お振込み期限", "Pay by"),
    ("shoporder.item", "商品", "Item"),
    ("shoporder.qty", "数量", "Qty"),
    ("shoporder.amount", "金額（税込）", "Amount (incl. tax)"),
    (
        "shoporder.reduced_note",
        "※は軽減税率（8%）対象の商品です。",
        "※ marks reduced-rate (8%) items.",
    ),
    (
        "shoporder.tracking",
        "送り状番号（個口）",
        "Tracking number, parcel",
    ),
    (
        "shoporder.cancel",
        "この注文をキャンセルする",
        "Cancel this order",
    ),
    (
        "shoporder.cancelled",
        "この注文はキャンセルされました。",
        "This order has been cancelled.",
    ),
    (
        "shoporder.not_cancellable",
        "この注文はすでに発送済みかキャンセル済みのため、キャンセルできません。",
        "This order has already shipped or been cancelled, so it cannot be cancelled.",
    ),
    ("shoporder.st.open", "受付中", "Open"),
    ("shoporder.st.cancelled", "キャンセル", "Cancelled"),
    ("shoporder.st.closed", "完了", "Closed"),
    ("shoporder.pay.pending", "お支払い待ち", "Awaiting payment"),
    ("shoporder.pay.paid", "お支払い済み", "Paid"),
    (
        "shoporder.pay.cash_on_delivery",
        "代金引換",
        "Cash on delivery",
    ),
    ("shoporder.pay.refunded", "返金済み", "Refunded"),
    (
        "shoporder.pay.partially_refunded",
        "一部返金",
        "Partly refunded",
    ),
    (
        "shoporder.ful.unfulfilled",
        "発送準備前",
        "Not yet prepared",
    ),
    ("shoporder.ful.picking", "ピッキング中", "Picking"),
    ("shoporder.ful.packed", "梱包済み", "Packed"),
    ("shoporder.ful.shipped", "発送済み", "Shipped"),
    ("shoporder.ful.delivered", "お届け済み", "Delivered"),
    (
        "receipt.title_paid",
        "領収書（適格簡易請求書）",
        "Receipt (simplified qualified invoice)",
    ),
    (
        "receipt.title_unpaid",
        "ご注文明細（適格簡易請求書）",
        "Order statement (simplified qualified invoice)",
    ),
    ("receipt.issuer", "発行者", "Issued by"),
    ("receipt.reg_no", "登録番号", "Registration number"),
    (
        "receipt.no_reg_no",
        "（適格請求書発行事業者の登録なし）",
        "(not a registered qualified-invoice issuer)",
    ),
    ("receipt.date", "取引年月日", "Date of sale"),
    ("receipt.unit", "単価（税込）", "Unit price (incl. tax)"),
    (
        "receipt.fees",
        "送料・手数料（10%対象）",
        "Shipping and fees (10%)",
    ),
    (
        "receipt.amount_incl",
        "対象額（税込）",
        "Amount (incl. tax)",
    ),
    ("receipt.tax_in", "うち消費税", "Tax included"),
    ("receipt.rate8", "8%対象 ※", "8% (reduced) ※"),
    ("receipt.rate10", "10%対象", "10%"),
    ("receipt.total", "合計（税込）", "Total (incl. tax)"),
    (
        "receipt.returns",
        "返品・返金（適格返還請求書）",
        "Returns and refunds (qualified return invoice)",
    ),
    ("receipt.refund", "返金額（税込）", "Refund (incl. tax)"),
    (
        "shoporder.receipt",
        "領収書・明細を表示",
        "Receipt / statement",
    ),
    ("shop.title", "ショップ", "Shop"),
    ("shop.cart", "カート", "Cart"),
    (
        "shop.legal",
        "特定商取引法に基づく表記",
        "Legal notice (Specified Commercial Transactions Act)",
    ),
    ("shop.search", "検索", "Search"),
    ("shop.temperature", "温度帯", "Temperature"),
    ("shop.any", "指定なし", "Any"),
    ("shop.sort", "並び順", "Sort"),
    ("shop.temp.ambient", "常温", "Ambient"),
    ("shop.temp.chilled", "冷蔵", "Chilled"),
    ("shop.temp.frozen", "冷凍", "Frozen"),
    ("shop.sortby.new", "新着順", "Newest"),
    (
        "shop.sortby.price_asc",
        "価格の安い順",
        "Price: low to high",
    ),
    (
        "shop.sortby.price_desc",
        "価格の高い順",
        "Price: high to low",
    ),
    (
        "shop.bad_filter",
        "検索条件を確認してください。",
        "Please check the search conditions.",
    ),
    (
        "shop.none",
        "該当する商品はありません。",
        "No products found.",
    ),
    ("shop.tax_incl", "（税込）", " (incl. tax)"),
    ("shop.sold_out", "売り切れ", "Sold out"),
    ("shop.next", "次のページ", "Next page"),
    ("shop.back", "商品一覧へ", "Back to the shop"),
    ("shop.ingredients", "原材料名", "Ingredients"),
    ("shop.allergens", "アレルギー物質", "Allergens"),
    ("shop.net_content", "内容量", "Net content"),
    ("shop.storage", "保存方法", "Storage"),
    ("shop.tax", "消費税率", "Tax rate"),
    ("shop.tax8", "8%（軽減税率）", "8% (reduced rate)"),
    ("shop.tax10", "10%", "10%"),
    ("shop.add", "カートに入れる", "Add to cart"),
    (
        "shop.bad_qty",
        "数量は0〜999で指定してください。",
        "The quantity must be 0 to 999.",
    ),
    ("shop.cart_empty", "カートは空です。", "Your cart is empty."),
    ("shop.update", "変更", "Update"),
    (
        "shop.goods_total",
        "商品合計（税込）",
        "Goods total (incl. tax)",
    ),
    ("shop.buyer", "ご注文者", "Buyer"),
    (
        "shop.gift",
        "お届け先（ご注文者と異なる場合）",
        "Ship to (if not the buyer)",
    ),
    ("shop.delivery", "お届け", "Delivery"),
    (
        "shop.age",
        "20歳以上です（酒類のご注文に必要）",
        "I am 20 or older (needed for alcohol)",
    ),
    ("shop.to_confirm", "確認画面へ", "Review order"),
    ("shop.f.name", "お名前", "Name"),
    ("shop.f.kana", "フリガナ", "Name (kana)"),
    ("shop.f.email", "メールアドレス", "Email"),
    ("shop.f.phone", "電話番号", "Phone"),
    ("shop.f.postal_code", "郵便番号", "Postal code"),
    ("shop.f.prefecture", "都道府県", "Prefecture"),
    ("shop.f.city", "市区町村", "City"),
    ("shop.f.address1", "番地", "Street address"),
    ("shop.f.address2", "建物名・部屋番号", "Building, room"),
    ("shop.f.to_name", "お届け先のお名前", "Recipient's name"),
    ("shop.f.to_phone", "お届け先の電話番号", "Recipient's phone"),
    (
        "shop.f.to_postal_code",
        "お届け先の郵便番号",
        "Recipient's postal code",
    ),
    (
        "shop.f.to_prefecture",
        "お届け先の都道府県",
        "Recipient's prefecture",
    ),
    ("shop.f.to_city", "お届け先の市区町村", "Recipient's city"),
    (
        "shop.f.to_address1",
        "お届け先の番地",
        "Recipient's street address",
    ),
    (
        "shop.f.to_address2",
        "お届け先の建物名",
        "Recipient's building",
    ),
    ("shop.f.time_slot", "配達時間帯", "Delivery time"),
    ("shop.f.payment_method", "お支払い方法", "Payment"),
    ("shop.slot.0812", "午前中", "Morning"),
    ("shop.slot.1416", "14〜16時", "14:00–16:00"),
    ("shop.slot.1618", "16〜18時", "16:00–18:00"),
    ("shop.slot.1820", "18〜20時", "18:00–20:00"),
    ("shop.slot.1921", "19〜21時", "19:00–21:00"),
    (
        "shop.pm.bank_transfer",
        "銀行振込（前払い）",
        "Bank transfer (in advance)",
    ),
    ("shop.pm.cash_on_delivery", "代金引換", "Cash on delivery"),
    ("shop.pm.card", "クレジットカード", "Card"),
    (
        "shop.err.check",
        "入力内容を確認してください",
        "Please check this field",
    ),
    (
        "shop.refuse.out_of_stock",
        "在庫が足りない商品があります。数量を見直してください。",
        "Some items are out of stock; please change the quantities.",
    ),
    (
        "shop.refuse.quarantine",
        "植物防疫法により、この商品はお届け先へ発送できません。",
        "Plant quarantine rules forbid sending this item to that address.",
    ),
    (
        "shop.refuse.alcohol",
        "この店舗では酒類を販売できません。",
        "This shop cannot sell alcohol.",
    ),
    (
        "shop.refuse.age",
        "酒類のご注文には20歳以上であることの確認が必要です。",
        "Please confirm you are 20 or older to buy alcohol.",
    ),
    (
        "shop.refuse.closed",
        "出荷を休止中の生産者の商品があります。",
        "A producer of these items is not shipping at the moment.",
    ),
    (
        "shop.refuse.limit",
        "1回のご注文の上限を超えています。",
        "The order is over the per-order limit.",
    ),
    (
        "shop.refuse.price_changed",
        "価格または送料が変わりました。もう一度ご確認ください。",
        "The price or shipping changed; please review the order again.",
    ),
    (
        "shop.refuse.not_configured",
        "このショップは準備中です。",
        "This shop is not open yet.",
    ),
    (
        "shop.refuse.other",
        "ご注文を受け付けられませんでした。内容をご確認ください。",
        "The order could not be accepted; please check it.",
    ),
    ("shop.confirm", "ご注文内容の最終確認", "Final confirmation"),
    ("shop.parcel", "荷物", "Parcel"),
    ("shop.shipping", "送料等", "Shipping"),
    ("shop.fc.quantity", "分量", "Quantity"),
    ("shop.fc.total", "お支払い総額", "Total to pay"),
    (
        "shop.fc.payment",
        "お支払いの時期と方法",
        "Payment timing and method",
    ),
    ("shop.fc.delivery", "お届けの時期", "Delivery timing"),
    (
        "shop.fc.cancellation",
        "キャンセル・返品",
        "Cancellation and returns",
    ),
    ("shop.fc.deadline", "申込みの期限", "Order deadline"),
    ("shop.place", "注文を確定する", "Place the order"),
    ("shop.back_to_cart", "カートに戻る", "Back to the cart"),
    (
        "shop.legal_incomplete",
        "表記の一部が未設定です。",
        "Parts of this notice are not set yet.",
    ),
    ("shop.l.seller", "販売業者", "Seller"),
    ("shop.l.responsible", "運営統括責任者", "Responsible person"),
    ("shop.l.address", "所在地", "Address"),
    ("shop.l.phone", "電話番号", "Phone"),
    ("shop.l.email", "メールアドレス", "Email"),
    ("shop.l.prices", "販売価格", "Prices"),
    ("shop.l.shipping", "送料", "Shipping fees"),
    ("shop.l.elsewhere", "その他の地域", "elsewhere"),
    (
        "shop.l.other_fees",
        "商品代金以外の必要料金",
        "Other charges",
    ),
    ("shop.l.payment", "お支払い方法", "Payment methods"),
    ("shop.l.payment_timing", "お支払い時期", "Payment timing"),
    ("shop.l.delivery", "引渡し時期", "Delivery"),
    ("shop.l.cancellation", "キャンセル", "Cancellation"),
    ("shop.l.returns", "返品・交換", "Returns"),
    ("orders.title", "受注", "Orders"),
    ("orders.settings", "ショップ設定", "Shop settings"),
    ("orders.payment", "入金", "Payment"),
    ("orders.fulfilment", "出荷", "Fulfilment"),
    ("orders.placed", "受注日時", "Placed"),
    (
        "orders.purged",
        "（個人情報は保存期間を過ぎたため削除済み）",
        "(personal data erased after the retention period)",
    ),
    ("orders.returned", "返品数", "Returned"),
    ("orders.parcels", "荷物", "Parcels"),
    ("orders.save", "保存", "Save"),
    ("orders.mark_paid", "入金済みにする", "Mark paid"),
    ("orders.pick", "ピッキング開始", "Start picking"),
    ("orders.pack", "梱包完了", "Packed"),
    ("orders.delivered", "配達完了", "Delivered"),
    ("orders.reason", "理由", "Reason"),
    ("orders.saved", "保存しました。", "Saved."),
    (
        "orders.settings_help",
        "送料表・離島加算・支払方法・酒類免許・上限・特商法の表記・ヤマト請求先顧客コードをJSONで編集します。誤りは項目名つきで表示され、保存されません。",
        "Edit the fee table, island surcharges, payment methods, liquor licence, limits, legal texts and Yamato customer code as JSON. Problems are listed by field and nothing is saved.",
    ),
    (
        "asn.ship_failed",
        "出荷通知は下書きとして保存しましたが、発送済みにできませんでした。一覧から発送してください。",
        "The notice was saved as a draft but could not be marked shipped; ship it from the list.",
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

    /// The text for `{prefix}.{name}` (for labels of fields rendered in a loop).
    pub fn label(&self, prefix: &str, name: &str) -> &'static str {
        self.get(&format!("{prefix}.{name}"))
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
            include_str!("portal.rs"),
            include_str!("manage.rs"),
            include_str!("templates/profile.html"),
            include_str!("templates/operator_producers.html"),
            include_str!("templates/import.html"),
            include_str!("templates/stock.html"),
            include_str!("templates/shipments.html"),
            include_str!("stock_pages.rs"),
            include_str!("templates/portal_products.html"),
            include_str!("templates/product_form.html"),
            include_str!("templates/review.html"),
            include_str!("templates/lot.html"),
            include_str!("templates/holds.html"),
            include_str!("templates/rules.html"),
            include_str!("templates/recall.html"),
            include_str!("warehouse_pages.rs"),
            include_str!("templates/shop_order.html"),
            include_str!("templates/shop_receipt.html"),
            include_str!("templates/shop_list.html"),
            include_str!("templates/shop_product.html"),
            include_str!("templates/shop_cart.html"),
            include_str!("templates/shop_confirm.html"),
            include_str!("templates/shop_legal.html"),
            include_str!("storefront.rs"),
            include_str!("order_pages.rs"),
            include_str!("templates/operator_orders.html"),
            include_str!("templates/operator_order.html"),
            include_str!("templates/operator_shop_settings.html"),
            include_str!("shop_pages.rs"),
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
        for f in [
            "title_ja",
            "title_en",
            "ingredients",
            "additives",
            "net_content",
            "storage",
        ] {
            assert_ne!(t.label("prod", f), "??", "prod.{f}");
        }
        for f in crate::web::producer_pages::TEXT_FIELDS {
            assert_ne!(t.get(&format!("reg.{}", f.0)), "??", "reg.{}", f.0);
        }
    }

    #[test]
    fn every_stock_code_shown_on_pages_has_a_label() {
        use crate::inventory::ledger::kind;
        for locale in [Locale::Ja, Locale::En] {
            let t = T { locale };
            for k in [
                kind::RECEIPT,
                kind::RESERVATION,
                kind::RELEASE,
                kind::SHIPMENT,
                kind::RETURN_TO_STOCK,
                kind::ADJUSTMENT,
                kind::DAMAGE,
                kind::DISPOSAL,
                kind::RETURN_TO_PRODUCER,
            ] {
                assert_ne!(t.label("mv", k), "??", "mv.{k}");
            }
            for s in ["held", "released", "consumed", "expired"] {
                assert_ne!(t.label("hold.status", s), "??", "hold.status.{s}");
            }
            for b in crate::inventory::adjustments::BEARERS {
                assert_ne!(t.label("bearer", b), "??", "bearer.{b}");
            }
            for k in [
                "adjustment",
                "damage",
                "loss",
                "disposal",
                "return_to_producer",
            ] {
                assert_ne!(t.label("adj.kind", k), "??", "adj.kind.{k}");
            }
            for k in [
                crate::inventory::rules::MIN_DAYS_CATEGORY,
                crate::inventory::rules::TRANSIT_DAYS_PREFECTURE,
            ] {
                assert_ne!(t.label("rule", k), "??", "rule.{k}");
            }
            for f in ["clearance", "disposal"] {
                assert_ne!(t.label("flag", f), "??", "flag.{f}");
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
