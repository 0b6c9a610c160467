//! Every word the user sees, in one place, so the manual's wording can be
//! checked against a single file. Quoted manual text is copied verbatim.

// Brand and portal (manual: top page).
pub const BRAND: &str = "autoBank System";
pub const TAGLINE: &str = "Automobile search & estimation system for car-dealers";
pub const BRAND_MENU: &str = "autoBank SYSTEM";
pub const SEARCH_LOGIN: &str = "検索ログイン";
pub const BUSINESS_LOGIN: &str = "業務ログイン";
pub const MFA_SETUP_LINK: &str = "多要素認証設定はこちら";
pub const FORGOT_PASSWORD_LINK: &str = "パスワードを忘れた方はこちら";
pub const INFORMATION: &str = "<<INFORMATION>>";
pub const NEW_MARK: &str = "NEW";
pub const NO_NOTICES: &str = "現在お知らせはありません。";

// Sign-in form.
pub const LOGIN_HEADING_MAKER: &str = "AUCNET";
pub const LOGIN_HEADING_PRODUCT: &str = "AutoBank";
pub const LOGIN_ID: &str = "ログインID";
pub const PASSWORD: &str = "パスワード";
pub const LOGIN_BUTTON: &str = "ログインして下さい";

// Business menu.
pub const LOGOUT: &str = "ログアウト";
pub const MENU_TITLE: &str = "業務メニュー";
pub const BACK_TO_MENU: &str = "業務メニューへ戻る";
pub const BACK_TO_TOP: &str = "トップページへ戻る";

/// The eight tiles of the business menu: (path, title, description).
pub const TILES: [(&str, &str, &str); 8] = [
    ("/menu/terminal", "端末設定", "基本情報やさまざまな端末に関する項目を設定を行ないます。\nまた、規約等もこちらより確認できます。"),
    ("/menu/search-settings", "検索設定", "車両検索における表示方法や表示価格の設定を行ないます。"),
    ("/menu/inventory", "在庫登録", "オークネット在庫データベースに在庫車両を登録します。"),
    ("/menu/estimates", "見積システム設定", "見積書、注文書等を作成するにあたり、手数料や付属品などの項目の設定を行ないます。"),
    ("/menu/customers", "顧客管理システム", "新規のお客様情報登録や既存のお客様情報の変更・抽出、管理などを行ないます。"),
    ("/menu/quality-reports", "車両品質評価書", "自社検査済み車両の評価書一括発行機能、出力済み評価書履歴の確認などを行ないます。"),
    ("/menu/web-negotiations", "WEB商談申込み履歴", "WEB商談の申込み履歴を一覧で閲覧できます。"),
    ("/mfa", "多要素認証設定", "二段階認証(ワンタイムパスワード)設定を行ないます。"),
];

// Pages that are not built yet.
pub const VEHICLE_SEARCH: &str = "車両検索";
pub const NOT_BUILT: &str = "この機能は現在準備中のため、まだご利用いただけません。";

// Forgot password.
pub const FORGOT_TITLE: &str = "パスワードを忘れた方へ";
pub const FORGOT_BODY: &str =
    "パスワードの再設定はヘルプデスクで承ります。お手数ですが、下記までお電話ください。";
pub const HELPDESK: &str = "ヘルプデスク";
pub const HELPDESK_PHONE: &str = "03-3556-0845";
pub const FORGOT_TELL_US: &str = "お電話の際は、会社名・お名前・ログインIDをお伝えください。パスワードはお伝えいただく必要はありません。";

// Messages.
pub const ERR_INVALID_CREDENTIALS: &str = "ログインIDまたはパスワードが正しくありません。";
pub const ERR_LOCKED: &str = "ログインに続けて失敗したため、アカウントを一時的にロックしています。時間をおいて再度お試しいただくか、ヘルプデスク(03-3556-0845)にお問い合わせください。";
pub const ERR_DISABLED: &str = "ログインの失敗が続いたため、安全のためアカウントを停止しました。ヘルプデスク(03-3556-0845)にお問い合わせください。";
/// An account stopped by the helpdesk or an admin (not by failures).
pub const ERR_STOPPED: &str = "このアカウントはヘルプデスクにより停止されています。ご不明な点はヘルプデスク(03-3556-0845)にお問い合わせください。";
pub const ERR_REQUIRED_LOGIN_ID: &str = "ログインIDを入力してください。";
pub const ERR_REQUIRED_PASSWORD: &str = "パスワードを入力してください。";
pub const ERR_TOO_LONG: &str = "256文字以内で入力してください。";
pub const ERR_NOT_SIGNED_IN: &str =
    "ログインの有効期限が切れました。もう一度ログインしてください。";
/// Under `ERR_NOT_SIGNED_IN` when a form was sent: nothing typed is lost.
pub const EXPIRED_INPUT_KEPT: &str = "入力した内容は、パスワードとワンタイムパスワードを除いて、この画面に残っています。下のリンクから別のタブでログインし直し、この画面に戻ってもう一度送信してください。";
pub const EXPIRED_SIGN_IN_LINK: &str = "別のタブでログインする";
pub const ERR_FORBIDDEN: &str = "この操作は許可されていません。";
pub const ERR_STAFF_ONLY: &str = "この画面はヘルプデスク・管理者専用です。";
pub const ERR_ADMIN_ONLY: &str = "この画面は管理者専用です。";
pub const ERR_CROSS_SITE: &str =
    "不正なリクエストのため処理できませんでした。画面を開き直してから操作してください。";
pub const LOGOUT_CONFIRM_TITLE: &str = "ログアウトの確認";
pub const LOGOUT_CONFIRM: &str = "業務アプリからログアウトの依頼がありました。ポータルからログアウトすると、ほかの業務アプリからもログアウトします。ログアウトしますか。";
pub const ERR_APP_REQUEST_TITLE: &str = "業務アプリに移動できません";
pub const ERR_CONFIRM_REMOVAL: &str = "削除する場合は、確認のチェックを入れてください。";
pub const ERR_STAFF_KEEP_MFA: &str =
    "ヘルプデスク・管理者のアカウントは多要素認証が必須のため、OFFにはできません。";
pub const ERR_CONFIRM_ACTION: &str = "この操作を行う場合は、確認のチェックを入れてください。";
pub const ERR_CLIENT_NAME_REQUIRED: &str = "連携アプリの名前を1〜100文字で入力してください。";
pub const ERR_REDIRECT_URI_REQUIRED: &str = "リダイレクトURIを1つ以上入力してください。";
pub const ERR_URI_NOT_ALLOWED: &str = "URIは https:// で始まる完全なURL（開発用には http://127.0.0.1 など）で、#以降やユーザー名を含めずに入力してください。";
pub const ERR_TILE_TAKEN: &str = "このタイルはほかの連携アプリに割り当て済みです。";
pub const ERR_TILE_NEEDS_START_URL: &str =
    "タイルを選んだときは開始URLを、開始URLを入れたときはタイルを選んでください。";
pub const ERR_APP_NOT_WAITING: &str =
    "業務アプリからの要求の有効期限（10分）が切れました。業務アプリの画面を開き直してください。";
pub const ERR_APP_UNKNOWN: &str = "業務アプリからの要求を確認できませんでした。業務アプリの画面を開き直すか、メニューからお進みください。解決しない場合はヘルプデスク(03-3556-0845)にお問い合わせください。";
pub const ERR_UNAVAILABLE_TITLE: &str = "ただいまご利用いただけません";
pub const ERR_UNAVAILABLE: &str =
    "システムが一時的に利用できません。しばらくしてから再度お試しください。";
pub const ERR_TOO_LARGE_TITLE: &str = "送信内容が大きすぎます";
pub const ERR_TOO_LARGE: &str =
    "送信された内容が大きすぎるため受け付けられませんでした。入力内容を確認してください。";
pub const ERR_TIMEOUT_TITLE: &str = "時間内に処理できませんでした";
pub const ERR_TIMEOUT: &str =
    "処理に時間がかかりすぎたため中断しました。しばらくしてから再度お試しください。";
pub const ERR_THROTTLED_TITLE: &str = "操作が続いています";
pub const ERR_THROTTLED: &str =
    "短い時間に操作が続いたため、受け付けを一時的に止めています。しばらく待ってから再度お試しください。";
pub const ERR_BUSY: &str =
    "ただいまアクセスが集中しています。しばらく待ってから再度お試しください。";
pub const ERR_INTERNAL: &str = "エラーが発生しました。しばらくしてから再度お試しください。";
pub const ERR_BAD_REQUEST: &str = "入力内容を確認してください。";
pub const NOT_FOUND_TITLE: &str = "ページが見つかりません";
pub const NOT_FOUND: &str = "お探しのページは見つかりませんでした。";

// Password policy (used wherever a password is set).
pub const PW_TOO_SHORT: &str = "パスワードは10文字以上にしてください。";
pub const PW_TOO_LONG: &str = "パスワードは128文字以内にしてください。";
// A weak password: "推測されやすいパスワードです。" and why.
pub const PW_WEAK_COMMON: &str =
    "推測されやすいパスワードです。よく使われるパスワードや辞書の単語に近いものは使えません。";
pub const PW_WEAK_SEQUENCE: &str = "推測されやすいパスワードです。「abc」「123」などの連続した文字や、キーボードの並びは避けてください。";
pub const PW_WEAK_REPEAT: &str =
    "推測されやすいパスワードです。同じ文字や同じ並びの繰り返しは避けてください。";
pub const PW_WEAK_DATE: &str =
    "推測されやすいパスワードです。日付や年は推測されやすいため避けてください。";
pub const PW_WEAK_PERSONAL: &str =
    "推測されやすいパスワードです。ログインIDや名前を含めないでください。";
pub const PW_WEAK_GENERAL: &str = "推測されやすいパスワードです。単語をいくつか組み合わせるなど、より長く推測されにくいものにしてください。";

// Changing one's own password.
pub const PASSWORD_CHANGE_TITLE: &str = "パスワード変更";
pub const PASSWORD_CHANGE_LINK: &str = "パスワードを変更する";
pub const PASSWORD_CURRENT: &str = "現在のパスワード";
pub const PASSWORD_NEW: &str = "新しいパスワード";
pub const PASSWORD_NEW_AGAIN: &str = "新しいパスワード（確認のため、もう一度）";
pub const PASSWORD_NEW_HINT: &str = "10文字以上128文字以内で、推測されにくいものにしてください。単語をいくつか組み合わせると覚えやすく安全です。";
pub const PASSWORD_CODE_HINT: &str =
    "多要素認証がONのため、いまお使いのアプリに表示されている数字の入力も必要です。";
pub const PASSWORD_CHANGE_BUTTON: &str = "変更する";
/// Shown after a duty done on the way to a business application.
pub const APP_WAITING: &str = "業務アプリへのログインの途中です。";

/// The way back to the business application `name` after a duty.
pub fn back_to_app(name: &str) -> String {
    format!("「{name}」へ進む")
}

pub const PASSWORD_CHANGED: &str = "パスワードを変更しました。ほかのブラウザはログアウトしました。";
pub const ERR_PASSWORDS_DIFFER: &str = "新しいパスワードが一致しません。";

// One-time codes.
pub const ERR_INVALID_CODE: &str =
    "ワンタイムコードが正しくありません。アプリに表示されている最新の6桁の数字を入力してください。";
pub const ERR_CODE_FORMAT: &str = "ワンタイムコードは6桁の数字で入力してください。";

// Login ID rules for new accounts (command line).
pub const ERR_LOGIN_ID_FORMAT: &str =
    "ログインIDは3〜64文字の半角英数字と「. _ - @」で指定してください。";

// One-time code at sign-in (manual: ログイン 4).
pub const CODE_HEADING: &str = "アカウントの安全性向上";
pub const CODE_TEXT: &str =
    "スマートフォンに使用するワンタイムパスワードアプリのインストールを確認してください。";
pub const CODE_STEPS: &str = "事前準備でインストールした「Authenticator」アプリを起動し、表示される数字を「ワンタイムコードの入力」へ入力して『>』を押してください。";
pub const CODE_FIELD: &str = "ワンタイムコードの入力";
pub const REMEMBER_DEVICE: &str = "このデバイスを30日間記録する";
pub const NEXT_BUTTON: &str = ">";
pub const ERR_SIGN_IN_AGAIN: &str =
    "ワンタイムコードを続けて5回間違えたため、ログインを最初からやり直してください。";
pub const SIGN_IN_AGAIN_LINK: &str = "ログイン画面へ戻る";
/// The settings page's hint: recovery codes first, then the helpdesk.
pub const LOST_PHONE_SETTINGS: &str = "スマートフォンをなくした（Authenticatorが使えない）ときは、保管したリカバリーコードでログインできます（ログイン画面の「スマートフォンが手元にない場合は、リカバリーコードでログイン」から）。リカバリーコードもない場合は、ヘルプデスク(03-3556-0845)にお問い合わせください。多要素認証設定を外した設定に変更し、ご連絡致します。";
pub const LOST_PHONE: &str = "スマートフォンをなくした（Authenticatorが使えない）場合は、ヘルプデスク(03-3556-0845)にお問い合わせください。多要素認証設定を外した設定に変更し、ご連絡致します。";

// MFA settings (manual: 多要素認証設定 3-8).
pub const MFA_TITLE: &str = "多要素認証設定";
pub const MFA_CURRENT: &str = "現在の設定";
pub const MFA_STATE_ON: &str = "ON";
pub const MFA_STATE_OFF: &str = "OFF";
pub const MFA_SINCE: &str = "から";
pub const MFA_PREP_HEADING: &str =
    "事前準備（スマートフォンへの Authenticatorアプリのインストール）";
pub const MFA_PREP_IPHONE: &str = "iPhoneの場合：「App Store」をタップし、「authenticator」と入力して「search」ボタンを押します。";
pub const MFA_PREP_ANDROID: &str =
    "Androidの場合：「Play ストア」をタップし、「authenticator」と入力して虫眼鏡ボタンを押します。";
pub const MFA_PREP_APPS: &str = "検索したアプリ一覧から「Google Authenticator」「Microsoft Authenticator」のいずれかで『入手』ボタンを押し、正常にインストールされていることを確認してください。";
pub const MFA_EITHER: &str = "どちらかだけで可";
pub const MFA_CONFIRM: &str = "上記を確認しました";
pub const MFA_SETTING: &str = "多要素認証(ワンタイムパスワード)の設定";
pub const MFA_ON: &str = "ON";
pub const MFA_OFF: &str = "OFF";
pub const MFA_APPLY: &str = "設定";
pub const MFA_CURRENT_CODE: &str = "現在のワンタイムコード";
pub const MFA_CURRENT_CODE_HINT: &str = "多要素認証がONのときは、OFFにする場合も、スマートフォンを変更して設定し直す場合も、いまお使いのアプリに表示されている数字の入力が必要です。";
pub const MFA_CAUTION_TITLE: &str = "【ご注意】";
pub const MFA_CAUTION: &str = "『ON』で『設定』を押しても、次の画面でQRコードを読み取り、表示される数字を入力して『>』を押すまでは、多要素認証は有効になりません。途中でやめた場合は、これまでの設定のままです（設定の途中の画面は10分で無効になります）。多要素認証をやめたい場合は、ログイン後に『OFF』で『設定』を押してください。";
pub const ERR_CONFIRM_REQUIRED: &str = "「上記を確認しました」にチェックを入れてください。";
pub const ERR_CHOOSE_SETTING: &str = "『ON』または『OFF』を選んでください。";
pub const MFA_ALREADY_OFF: &str = "多要素認証は現在OFFです。パスワードのみでログインできます。";
pub const MFA_OFF_DONE: &str =
    "多要素認証をOFFにしました。次回からはパスワードのみでログインできます。";
pub const MFA_ON_DONE: &str = "※次回ログイン時より、ワンタイムコードの入力が必要となります";
pub const MFA_ON_DONE_TITLE: &str = "多要素認証をONにしました。";

// MFA setup screen (manual: 6-8).
pub const SETUP_TITLE: &str = "ワンタイムパスワードの設定";
pub const SETUP_STEP_6: &str = "6 事前準備でインストールした「Authenticator」アプリを起動";
pub const SETUP_STEP_7: &str = "7 「QRコードをスキャン」実施";
pub const SETUP_STEP_8: &str =
    "8 表示される数字を「ワンタイムパスワードの入力」へ入力し『>』を押下";
pub const SETUP_QR_ALT: &str = "QRコードをスキャン：認証アプリで読み取るQRコードです。読み取れない場合は、下の「キー」を文字で入力してください。";
pub const SETUP_OPEN_APP: &str = "このスマートフォンのAuthenticatorアプリで開く";
pub const SETUP_OPEN_APP_HINT: &str = "このスマートフォンにアプリを入れた場合は、QRコードを読み取る代わりにこのボタンを押してください。アプリが開き、アカウントが追加されます。";
pub const SETUP_KEY_HELP: &str = "QRコードを読み取れない場合は、アプリで「セットアップキーを入力」を選び、次のキーを入力してください（種類は「時間ベース」）。";
pub const SETUP_ACCOUNT: &str = "アカウント";
pub const SETUP_KEY: &str = "キー";
pub const SETUP_CODE_FIELD: &str = "ワンタイムパスワードの入力";
pub const SETUP_CANCEL: &str = "設定をやめる（多要素認証の設定は変わりません）";
pub const ERR_SETUP_EXPIRED: &str =
    "設定の途中の画面が無効になりました（10分）。もう一度『ON』を選んで『設定』を押してください。";

// Remembered devices.
pub const DEVICES_TITLE: &str = "記録されたデバイス";
pub const DEVICES_NONE: &str = "記録されたデバイスはありません。";
pub const DEVICE_BROWSER: &str = "ブラウザ";
pub const DEVICE_FIRST_USED: &str = "記録した日時";
pub const DEVICE_LAST_USED: &str = "最後に使った日時";
/// A table's last column, holding its buttons (read aloud only).
pub const TABLE_ACTIONS: &str = "操作";
pub const SEARCH_RESULTS: &str = "検索結果";
pub const AUDIT_RECORDS: &str = "操作・ログインの記録の一覧";
pub const PAGER_LABEL: &str = "ページ送り";
pub const DEVICE_FORGET: &str = "このデバイスの記録を削除";
pub const DEVICE_FORGET_ALL: &str = "すべてのデバイスの記録を削除";
pub const DEVICE_UNKNOWN: &str = "不明なブラウザ";

// Turning MFA on needs the password (MFA off).
pub const MFA_PASSWORD_HINT: &str =
    "多要素認証をONにするには、ご本人の確認のため、ログインに使うパスワードの入力が必要です。";
pub const ERR_WRONG_PASSWORD: &str = "パスワードが正しくありません。";

// Signed-in browsers.
pub const BROWSERS_TITLE: &str = "ログイン中のブラウザ";
pub const BROWSERS_HINT: &str = "心当たりのないブラウザがあれば、ログアウトさせてから、パスワードの変更をヘルプデスクにご依頼ください。";
pub const BROWSER_ADDRESS: &str = "接続元";
pub const BROWSER_SINCE: &str = "ログインした日時";
pub const BROWSER_LAST_SEEN: &str = "最後に使った日時";
pub const BROWSER_THIS_ONE: &str = "このブラウザ";
pub const BROWSER_END: &str = "ログアウトさせる";
pub const BROWSER_END_OTHERS: &str = "このブラウザ以外をすべてログアウトさせる";
pub const BROWSERS_ONLY_THIS: &str = "ほかにログイン中のブラウザはありません。";

// Roles.
pub const ROLE_DEALER: &str = "販売店";
pub const ROLE_HELPDESK: &str = "ヘルプデスク";
pub const ROLE_ADMIN: &str = "管理者";

// Pages that come first after sign-in.
pub const ERR_CHANGE_PASSWORD_FIRST: &str =
    "仮パスワードでログインしています。先に新しいパスワードを設定してください。";
pub const ERR_SET_UP_MFA_FIRST: &str =
    "この画面を使う前に、多要素認証（ワンタイムパスワード）の設定が必要です。";
pub const TEMP_PASSWORD_CHANGE_INTRO: &str = "仮パスワードでログインしました。ほかの画面を使う前に、ご自身で新しいパスワードを設定してください。";
pub const STAFF_MFA_REQUIRED: &str = "ヘルプデスク・管理者のアカウントは多要素認証が必須です。『上記を確認しました』にチェックを入れ、『ON』を選んで『設定』を押し、設定を完了してください。完了するまでほかの画面は使えません。";

// The staff console.
pub const CONSOLE_TILE_TITLE: &str = "ヘルプデスク";
pub const CONSOLE_TILE_DESC: &str =
    "販売店のアカウントを検索し、ロックの解除や多要素認証のリセットなどを行ないます。";
pub const CONSOLE_TITLE: &str = "ヘルプデスク";
pub const CONSOLE_SEARCH: &str = "ログインIDまたは名前（前方一致）";
pub const CONSOLE_SEARCH_BUTTON: &str = "検索";
pub const CONSOLE_NO_RESULTS: &str = "該当するアカウントはありません。";
pub const CONSOLE_PREV: &str = "前へ";
pub const CONSOLE_NEXT: &str = "次へ";
pub const CONSOLE_BACK: &str = "検索へ戻る";
pub const COL_LOGIN_ID: &str = "ログインID";
pub const COL_NAME: &str = "名前";
pub const COL_ROLE: &str = "種別";
pub const COL_STATE: &str = "状態";
pub const STATE_ACTIVE: &str = "利用中";
pub const STATE_LOCKED_UNTIL: &str = "ロック中（解除予定）";
pub const STATE_DISABLED: &str = "停止中";
pub const ACCOUNT_MFA: &str = "多要素認証";
pub const ACCOUNT_MFA_OFF: &str = "OFF";
pub const ACCOUNT_DEVICES: &str = "記録されたデバイス";
pub const ACCOUNT_BROWSERS: &str = "ログイン中のブラウザ";
pub const ACCOUNT_LAST_SIGN_IN: &str = "最後のログイン";
pub const ACCOUNT_NEVER: &str = "なし";
pub const ACCOUNT_TEMP_PASSWORD: &str = "仮パスワード";
pub const ACCOUNT_TEMP_VALID_UNTIL: &str = "有効期限";
pub const ACCOUNT_TEMP_USED: &str = "使用済み（本人による新しいパスワードの設定待ち）";
pub const ACCOUNT_TEMP_EXPIRED: &str = "期限切れ";
pub const ACCOUNT_EVENTS: &str = "最近の記録";
pub const COL_AT: &str = "日時";
pub const COL_EVENT: &str = "内容";
pub const COL_ACTOR: &str = "操作した人";
pub const COL_REASON: &str = "理由";
pub const COL_ADDRESS: &str = "接続元";
pub const COUNT_SUFFIX: &str = "件";
pub const ACTOR_SELF: &str = "本人";
/// The command line on the server; its operating-system user follows.
pub const ACTOR_CLI: &str = "サーバーのコマンド";
pub const ACTOR_CLIENT: &str = "連携アプリ";
pub const ACTOR_SYSTEM: &str = "システム";

// The caller check.
pub const CALLER_CHECK_TITLE: &str = "本人確認（操作の前に必ず行なってください）";
pub const CALLER_CHECK_INTRO: &str = "お電話の方に次のことをお尋ねし、登録内容と一致することを確かめてから操作してください。パスワードやワンタイムコードは決して尋ねないでください。";
pub const CALLER_CHECK_NAME: &str = "会社名・お名前（登録名）";
pub const CALLER_CHECK_LOGIN_ID: &str = "ログインID";
pub const CALLER_CHECK_LAST_SIGN_IN: &str = "最後にログインした日";

// Staff actions.
pub const ACTIONS_TITLE: &str = "操作";
pub const ACTION_REASON: &str = "理由（問い合わせ番号など）";
pub const ACTION_CODE: &str = "あなたのワンタイムコード";
pub const ACTION_CODE_HINT: &str =
    "操作の前に、あなた自身のワンタイムコードの確認が必要です（確認から10分間は不要です）。";
pub const ACTION_UNLOCK: &str = "ロックを解除する";
pub const ACTION_RESET_MFA: &str = "多要素認証をリセットする（OFFにする）";
pub const ACTION_TEMP_PASSWORD: &str = "仮パスワードを発行する";
pub const ACTION_END_SESSIONS: &str = "すべてのログインを終了させる";
pub const ACTION_DISABLE: &str = "アカウントを停止する";
/// The group of actions that stop the account holder from working.
pub const ACTIONS_STOPPING_TITLE: &str = "利用を止める操作（取り消すにはもう一度操作が必要です）";
pub const ACTIONS_STOPPING_CONFIRM: &str = "お客様に説明し、この操作を行うことを確認しました";
pub const ACTION_ENABLE: &str = "アカウントの停止を解除する";
pub const ACTION_DONE: &str = "操作を完了しました。記録に残っています。";
pub const ACTIONS_NOT_ALLOWED_SELF: &str = "ご自身のアカウントはこの画面では操作できません。";
pub const ACTIONS_STAFF_RECOVERY_ON_SERVER: &str = "ヘルプデスク・管理者のアカウントの仮パスワード発行と多要素認証のリセットは、この画面ではできません。サーバーで運用担当者がコマンド（autobank user set-password / autobank user reset-mfa）で行います。";
pub const TEMP_PASSWORD_SHOWN_ONCE: &str = "仮パスワードを発行しました。この画面を離れると二度と表示されません。お電話の方にお伝えください（24時間有効、1回だけログインに使えます。ログイン後すぐに新しいパスワードの設定が必要です）。";
pub const ERR_REASON_REQUIRED: &str = "理由（問い合わせ番号など）を入力してください。";
pub const ERR_REASON_TOO_LONG: &str = "理由は200文字以内で入力してください。";
pub const ERR_STEP_UP_REQUIRED: &str =
    "操作を続けるには、あなたのワンタイムコードを入力してください（10分ごとに確認します）。";
pub const ERR_NOT_ON_THIS_ACCOUNT: &str =
    "このアカウントは操作できません（ご自身のアカウント、ヘルプデスクからのヘルプデスク・管理者のアカウント、または管理者のアカウントの仮パスワード発行・多要素認証のリセット）。";
pub const ERR_CHANGED: &str = "操作の間に、対象のアカウントまたはあなたの権限が変わったため、何も変更していません。画面を開き直して、もう一度確認してください。";
pub const ERR_NO_SUCH_ACCOUNT: &str = "該当するアカウントはありません。";

/// The audit trail's events, by stored name, as staff read them.
pub const EVENT_LABELS: [(&str, &str); 39] = [
    ("sign_in_success", "ログイン（パスワード）"),
    ("sign_in_failure", "ログイン失敗"),
    ("password_failure", "パスワードの誤り（設定画面）"),
    ("code_success", "ワンタイムコード確認"),
    ("code_failure", "ワンタイムコードの誤り"),
    ("recovery_code_used", "リカバリーコードを使用"),
    ("recovery_codes_created", "リカバリーコード発行"),
    ("step_up", "操作前のワンタイムコード確認"),
    ("locked", "ロック"),
    ("lock_extended", "ロック（延長）"),
    ("disabled", "アカウント停止"),
    ("enabled", "アカウント停止の解除"),
    ("unlocked", "ロック解除"),
    ("sign_out", "ログアウト"),
    ("user_created", "アカウント作成"),
    ("role_changed", "種別の変更"),
    ("password_changed", "パスワード変更"),
    ("temp_password_issued", "仮パスワード発行"),
    ("mfa_on", "多要素認証ON"),
    ("mfa_off", "多要素認証OFF"),
    ("mfa_reset", "多要素認証リセット"),
    ("mfa_policy_set", "多要素認証の必須化の設定"),
    ("signing_key_rotated", "署名鍵の更新（連携アプリ向け）"),
    ("client_registered", "連携アプリの登録"),
    ("client_removed", "連携アプリの削除"),
    ("client_secret_replaced", "連携アプリのシークレット再発行"),
    ("app_sign_in", "業務アプリへのログイン"),
    ("code_replayed", "認可コードの再使用"),
    ("code_mismatched", "認可コードの検証失敗"),
    ("client_auth_failed", "連携アプリの認証失敗"),
    ("refresh_token_replayed", "リフレッシュトークンの再使用"),
    (
        "backchannel_logout_failed",
        "連携アプリへのログアウト通知失敗",
    ),
    ("device_remembered", "デバイスを記録"),
    ("device_used", "記録されたデバイスでログイン"),
    ("device_forgotten", "デバイスの記録を削除"),
    ("session_ended", "ブラウザをログアウトさせた"),
    ("other_sessions_ended", "ほかのブラウザをログアウトさせた"),
    ("all_sessions_ended", "すべてのログインを終了"),
    ("notice_changed", "お知らせの変更"),
];

/// An event's name as staff read it (the stored name if unknown).
pub fn event_label(event: &str) -> &str {
    EVENT_LABELS
        .iter()
        .find(|(name, _)| *name == event)
        .map_or(event, |(_, label)| label)
}

// Recovery codes.
pub const RECOVERY_TITLE: &str = "リカバリーコード";
pub const RECOVERY_NEW_TITLE: &str = "リカバリーコードを保管してください";
pub const RECOVERY_NEW_INTRO: &str = "スマートフォンが手元にないときは、ワンタイムコードの代わりに次のリカバリーコードでログインできます。1つのコードは1回だけ使えます。この画面を離れると二度と表示されませんので、印刷するかダウンロードして、パソコンやスマートフォンとは別の安全な場所に保管してください。";
pub const RECOVERY_PRINT: &str = "印刷する";
pub const RECOVERY_DOWNLOAD: &str = "ダウンロードする";
pub const RECOVERY_FILE_NAME: &str = "autobank-recovery-codes.txt";
pub const RECOVERY_FILE_HEADING: &str =
    "autoBank System リカバリーコード（各コードは1回だけ使えます）";
pub const RECOVERY_NEW_DONE: &str =
    "新しいリカバリーコードを発行しました。これまでのリカバリーコードは使えません。";
pub const RECOVERY_LEFT: &str = "残りのリカバリーコード";
pub const RECOVERY_LEFT_SUFFIX: &str = "個";
pub const RECOVERY_NONE_LEFT: &str =
    "リカバリーコードが残っていません。新しいリカバリーコードを発行してください。";
pub const RECOVERY_REGENERATE: &str = "新しいリカバリーコードを発行する";
pub const RECOVERY_REGENERATE_HINT: &str = "新しく発行すると、これまでのリカバリーコードはすべて使えなくなります。いまお使いのアプリに表示されている数字の入力が必要です。";
pub const RECOVERY_LINK: &str = "スマートフォンが手元にない場合は、リカバリーコードでログイン";
pub const RECOVERY_FIELD: &str = "リカバリーコード";
pub const RECOVERY_FIELD_HINT: &str = "多要素認証をONにしたときに保管した10個のコードのうち、まだ使っていないものを1つ入力してください（例：abcde-fghjk）。";
pub const RECOVERY_BUTTON: &str = "ログイン";
pub const RECOVERY_BACK: &str = "ワンタイムコードの入力に戻る";
pub const ERR_RECOVERY_FORMAT: &str =
    "リカバリーコードは10文字（例：abcde-fghjk）で入力してください。";
pub const ERR_INVALID_RECOVERY: &str = "リカバリーコードが正しくないか、すでに使われています。";

// The audit trail in the browser (admins).
pub const AUDIT_TITLE: &str = "操作・ログインの記録";
pub const AUDIT_ACCOUNT: &str = "ログインID";
pub const AUDIT_EVENT: &str = "内容";
pub const AUDIT_ANY_EVENT: &str = "すべて";
pub const AUDIT_FROM: &str = "開始日";
pub const AUDIT_TO: &str = "終了日";
pub const AUDIT_FILTER: &str = "絞り込む";
pub const AUDIT_CSV: &str = "CSVでダウンロード（Excel用）";
pub const AUDIT_NONE: &str = "該当する記録はありません。";
pub const AUDIT_CSV_HEADER: [&str; 8] = [
    "日時",
    "ログインID",
    "名前",
    "内容",
    "操作した人",
    "理由",
    "詳細",
    "接続元",
];
pub const ADMIN_LINKS: &str = "管理者メニュー";
pub const ERR_DATE_FORMAT: &str = "日付はYYYY-MM-DDの形で入力してください。";

// Admins: accounts, roles, the MFA policy.
pub const NEW_ACCOUNT_TITLE: &str = "アカウント作成";
pub const NEW_ACCOUNT_NAME: &str = "会社名・お名前（登録名）";
pub const NEW_ACCOUNT_ROLE: &str = "種別";
pub const NEW_ACCOUNT_BUTTON: &str = "作成する（仮パスワードを発行）";
pub const ERR_NAME_REQUIRED: &str = "会社名・お名前を1〜100文字で入力してください。";
pub const ERR_LOGIN_ID_TAKEN: &str = "このログインIDはすでに使われています。";
pub const ROLE_CHANGE_TITLE: &str = "種別の変更";
pub const ROLE_CHANGE_BUTTON: &str = "種別を変更する";
pub const POLICY_TITLE: &str = "多要素認証の必須化";
pub const POLICY_INTRO: &str = "販売店のアカウントに多要素認証を必須にする日を設定します。その日から、多要素認証がOFFの販売店はログイン時に設定画面へ案内されます。それまでは業務メニューに予定日が表示されます。ヘルプデスク・管理者は常に必須です。";
pub const POLICY_CURRENT: &str = "現在の設定";
pub const POLICY_NONE: &str = "必須化の予定はありません。";
pub const POLICY_DATE: &str = "販売店に必須にする日";
pub const POLICY_SET: &str = "設定する";
pub const POLICY_LIFT: &str = "日付を空にして『設定する』を押すと、必須化を取りやめます。";
pub const POLICY_DONE: &str = "設定しました。";
pub const MFA_REQUIRED_FROM: &str = "から、多要素認証（ワンタイムパスワード）の設定が必須になります。お早めに「多要素認証設定」から設定してください。";
pub const MFA_REQUIRED_NOW: &str = "多要素認証（ワンタイムパスワード）の設定が必須になりました。『上記を確認しました』にチェックを入れ、『ON』を選んで『設定』を押し、設定を完了してください。完了するまでほかの画面は使えません。";

// Admins: notices.
pub const NOTICES_ADMIN_TITLE: &str = "お知らせの管理";

// `/admin/clients`: the business applications that sign in through the
// portal (OpenID Connect clients).
pub const CLIENTS_TITLE: &str = "連携アプリの管理";
pub const CLIENTS_INTRO: &str = "業務アプリ（連携アプリ）は、ポータルでログインした販売店をそのまま受け入れます。登録・削除・シークレットの再発行には、あなたのワンタイムコードが必要です。";
pub const CLIENTS_NONE: &str = "登録されている連携アプリはありません。";
pub const CLIENT_NEW: &str = "連携アプリを登録する";
pub const CLIENT_NAME: &str = "名前";
pub const CLIENT_ID: &str = "クライアントID";
pub const CLIENT_KIND: &str = "種類";
pub const CLIENT_CONFIDENTIAL: &str = "サーバーあり（シークレットを使用）";
pub const CLIENT_PUBLIC: &str = "公開クライアント（シークレットなし）";
pub const CLIENT_PUBLIC_LABEL: &str =
    "公開クライアント（ブラウザ・スマートフォンのアプリ。シークレットを使わない）";
pub const CLIENT_MFA_REQUIRED: &str = "多要素認証を必須にする";
pub const CLIENT_MFA_REQUIRED_SHORT: &str = "多要素認証必須";
pub const CLIENT_REDIRECT_URIS: &str = "リダイレクトURI（1行に1つ）";
pub const CLIENT_POST_LOGOUT_URIS: &str = "ログアウト後に戻るURI（1行に1つ、任意）";
pub const CLIENT_BACKCHANNEL_URI: &str = "バックチャネルログアウトURI（任意）";
pub const CLIENT_URI_HINT: &str = "https:// で始まる完全なURL（開発用には http://127.0.0.1 も可）。一文字でも違うURIには戻りません。";
pub const CLIENT_TILE: &str = "割り当てるタイル";
pub const CLIENT_TILE_NONE: &str = "なし";
pub const CLIENT_START_URL: &str = "開始URL（タイルを選んだとき）";
pub const CLIENT_REGISTER: &str = "登録する";
pub const CLIENT_NEW_SECRET: &str = "シークレットを再発行する";
pub const CLIENT_REMOVE: &str = "削除する";
pub const CLIENT_REMOVE_CONFIRM: &str =
    "この連携アプリを削除します（ログイン中の販売店も使えなくなります）";
pub const CLIENT_SECRET_SHOWN: &str =
    "この画面でだけ表示します。連携アプリの担当者に安全な方法で伝えてください。";
pub const CLIENT_SECRET: &str = "クライアントシークレット";
pub const CLIENT_DONE: &str = "連携アプリを更新しました。";
/// The tiles an admin binds, by `--tile` name, with the words the menu
/// shows: the menu's business tiles (their path's last part) and
/// `検索ログイン` (`search`).
pub fn client_tiles() -> impl Iterator<Item = (&'static str, &'static str)> {
    TILES
        .iter()
        .filter_map(|(path, title, _)| Some((path.strip_prefix("/menu/")?, *title)))
        .chain([("search", SEARCH_LOGIN)])
}
pub const NOTICE_NEW: &str = "新しいお知らせ";
pub const NOTICE_DATE: &str = "日付";
pub const NOTICE_TITLE: &str = "タイトル";
pub const NOTICE_BODY: &str = "本文";
pub const NOTICE_POST: &str = "掲載する";
pub const NOTICE_SAVE: &str = "保存する";
pub const NOTICE_DELETE: &str = "削除する";
pub const NOTICE_DONE: &str = "お知らせを更新しました。";
pub const ERR_TITLE_REQUIRED: &str = "タイトルを1〜200文字で入力してください。";
pub const ERR_BODY_TOO_LONG: &str = "本文は2000文字以内で入力してください。";
pub const ERR_GONE: &str = "対象がすでに削除されています。画面を開き直してください。";
pub const ERR_ROLE_WITH_TEMP_PASSWORD: &str =
    "仮パスワードが新しいパスワードに変更されるまで、ヘルプデスク・管理者にはできません。";
