//! The audit trail in the browser, for admins: filtered by account, event
//! and dates (Japan time), a page at a time, and as CSV for Excel in Japan
//! (UTF-8 with a byte-order mark), every cell inert as a formula.

use crate::domain::LoginId;
use crate::error::{AppError, Field, Problem};
use crate::server::clock::{format_jst, japan_day_start, parse_date};
use crate::server::db::audit::{self, AuditRow, Filter};
use crate::server::AppState;
use crate::text;
use crate::types::{AuditLine, AuditPage};

/// Records on one page.
pub const PAGE_SIZE: i64 = 50;
/// The most rows one CSV holds.
pub const CSV_MAX_ROWS: i64 = 100_000;

/// What the filter form sent, as typed.
#[derive(Debug, Default, Clone)]
pub struct Query<'a> {
    pub login_id: &'a str,
    pub event: &'a str,
    pub from: &'a str,
    pub to: &'a str,
}

fn date(raw: &str) -> Result<Option<time::Date>, AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    parse_date(raw)
        .map(Some)
        .ok_or(AppError::validation(Field::Date, Problem::DateFormat))
}

fn filter(query: &Query<'_>) -> Result<Filter, AppError> {
    let login_id = match query.login_id.trim() {
        "" => None,
        raw => Some(LoginId::parse(raw)?.as_str().to_owned()),
    };
    // Only a known event filters; anything else is "any".
    let event = text::EVENT_LABELS
        .iter()
        .find(|(name, _)| *name == query.event)
        .map(|(name, _)| (*name).to_owned());
    Ok(Filter {
        login_id,
        event,
        from: date(query.from)?.map(japan_day_start),
        until: date(query.to)?
            .and_then(|d| d.next_day())
            .map(japan_day_start),
    })
}

/// Who staff actors are, by login ID: their names.
pub struct Actors(std::collections::HashMap<String, String>);

impl Actors {
    pub async fn load(state: &AppState) -> Result<Self, AppError> {
        let names = crate::server::db::directory::staff_names(&state.db).await?;
        Ok(Self(names.into_iter().collect()))
    }

    /// The actor as staff read it: `本人`, a staff member's name and login
    /// ID, the command line's operating-system user, an application.
    fn show(&self, actor: &str) -> String {
        match actor.split_once(':') {
            None if actor == "user" => text::ACTOR_SELF.to_owned(),
            None if actor == "system" => text::ACTOR_SYSTEM.to_owned(),
            Some(("helpdesk" | "admin", login_id)) => match self.0.get(login_id) {
                Some(name) => format!("{name}（{login_id}）"),
                None => login_id.to_owned(),
            },
            Some(("cli", os_user)) => format!("{}（{os_user}）", text::ACTOR_CLI),
            Some(("client", client_id)) => format!("{}（{client_id}）", text::ACTOR_CLIENT),
            _ => actor.to_owned(),
        }
    }
}

/// One record as staff read it.
pub fn line(row: AuditRow, actors: &Actors) -> AuditLine {
    let actor = actors.show(&row.actor);
    AuditLine {
        at: format_jst(row.at),
        account: row.login_id.unwrap_or_default(),
        name: row.name.unwrap_or_default(),
        event: text::event_label(&row.event).to_owned(),
        actor,
        reason: row.reason.unwrap_or_default(),
        detail: row.detail.unwrap_or_default(),
        address: row.address.unwrap_or_default(),
    }
}

/// Page `page` (from 1) of the records `query` selects, newest first.
pub async fn page(state: &AppState, query: &Query<'_>, page: u32) -> Result<AuditPage, AppError> {
    let filter = filter(query)?;
    let page = page.clamp(1, 100_000);
    let offset = i64::from(page - 1) * PAGE_SIZE;
    let mut rows = audit::search(&state.db, &filter, PAGE_SIZE + 1, offset).await?;
    let more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let actors = Actors::load(state).await?;
    Ok(AuditPage {
        lines: rows.into_iter().map(|row| line(row, &actors)).collect(),
        page,
        more,
    })
}

/// One CSV cell: quoted, quotes doubled, and text that a spreadsheet would
/// take for a formula made inert with a leading apostrophe (OWASP's
/// advice).
pub fn csv_cell(value: &str) -> String {
    let inert = if looks_like_formula(value) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    format!("\"{}\"", inert.replace('"', "\"\""))
}

/// True when a spreadsheet could read `value` as a formula: a control
/// character first (tab, carriage return, line feed), or, after any
/// leading white space (full-width too), `=`, `+`, `-` or `@` in any of
/// their forms: full-width (`＝＋－＠`, what a Japanese input method
/// types, and Excel takes them), small (`﹦﹢﹣﹫`), or the minus sign.
fn looks_like_formula(value: &str) -> bool {
    use unicode_normalization::char::decompose_compatible;
    if value.starts_with(char::is_control) {
        return true;
    }
    let Some(first) = value.trim_start().chars().next() else {
        return false;
    };
    let mut plain = None;
    decompose_compatible(first, |c| {
        plain.get_or_insert(c);
    });
    matches!(plain, Some('=' | '+' | '-' | '@')) || first == '\u{2212}'
}

/// The records `query` selects as CSV: UTF-8 with a byte-order mark (so
/// Excel in Japan reads the Japanese), CRLF line ends, a header row.
/// The audit trail as a file to download.
pub struct Csv {
    /// `audit-YYYY-MM-DD.csv`, dated in Japan.
    pub name: String,
    pub body: String,
}

pub async fn csv(state: &AppState, query: &Query<'_>) -> Result<Csv, AppError> {
    let filter = filter(query)?;
    let rows = audit::search(&state.db, &filter, CSV_MAX_ROWS, 0).await?;
    let mut out = String::from("\u{FEFF}");
    let header: Vec<_> = text::AUDIT_CSV_HEADER.iter().map(|h| csv_cell(h)).collect();
    out.push_str(&header.join(","));
    out.push_str("\r\n");
    let actors = Actors::load(state).await?;
    for row in rows {
        let l = line(row, &actors);
        let cells = [
            l.at, l.account, l.name, l.event, l.actor, l.reason, l.detail, l.address,
        ];
        let cells: Vec<_> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    Ok(Csv {
        name: format!(
            "audit-{}.csv",
            crate::server::clock::japan_date(state.clock.now())
        ),
        body: out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_show_names_login_ids_and_the_operating_system_user() {
        let actors = Actors([("hd01".to_owned(), "山田 花子".to_owned())].into());
        assert_eq!(actors.show("helpdesk:hd01"), "山田 花子（hd01）");
        assert_eq!(
            actors.show("admin:gone"),
            "gone",
            "an account since removed"
        );
        assert_eq!(actors.show("user"), text::ACTOR_SELF);
        assert_eq!(
            actors.show("cli:root"),
            format!("{}（root）", text::ACTOR_CLI)
        );
        assert!(actors.show("client:abc").ends_with("（abc）"));
    }

    #[test]
    fn formulas_are_inert_and_quotes_are_doubled() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        for lead in ["+1", "-1+2", "@SUM(A1)", "\tx", "\rx"] {
            assert!(csv_cell(lead).starts_with("\"'"), "{lead}");
        }
        assert_eq!(csv_cell("山田"), "\"山田\"");
    }

    #[test]
    fn full_width_small_and_spaced_formulas_and_line_feeds_are_inert_too() {
        for lead in [
            "＝SUM(1,2)",
            "＋1",
            "－1＋2",
            "＠SUM(A1)",
            "﹦1+1",
            "﹢1",
            "﹣1",
            "﹫x",
            "\u{2212}1",
            "\n=1+1",
            "\u{b}x",
            " =1+1",
            "\u{3000}＝1",
        ] {
            assert!(csv_cell(lead).starts_with("\"'"), "{lead:?}");
        }
        for plain in ["", " ", "ＳＵＭ", "dealer01", "2026-12-03", "（株）山田"] {
            assert!(!csv_cell(plain).starts_with("\"'"), "{plain:?}");
        }
    }
}
