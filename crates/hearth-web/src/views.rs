//! What every page shares: the layout, the error page, and formatting for people.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use hearth_app::auth::SignedIn;
use hearth_domain::validation::Invalid;
use hearth_domain::Timestamp;

/// The frame around every page.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    pub title: String,
    pub user_name: String,
    pub user_role: String,
    pub org_name: String,
    pub demo: bool,
    pub csrf: String,
    pub signed_in: bool,
    pub has_errors: bool,
    /// A public page about getting support: it carries the quick exit.
    pub quick_exit: bool,
    /// What the last action did, shown as a success banner on the page it landed on.
    pub notice: Option<&'static str>,
    /// The main navigation for the user's role, the current page marked.
    pub nav: Vec<crate::nav::NavLink>,
    /// The search box sits in the header on every signed-in page but the search page itself.
    pub header_search: bool,
}

impl Layout {
    pub fn public(title: &str, demo: bool, csrf: &str) -> Self {
        Self {
            title: title.into(),
            demo,
            csrf: csrf.into(),
            ..Default::default()
        }
    }

    pub fn signed(title: &str, who: &SignedIn) -> Self {
        use hearth_domain::access::{grant, Action, Scope};
        let role = who.user.role;
        let may = |a: Action| grant(role, a) != Scope::None;
        let path = crate::nav::current_path();
        let nav = crate::nav::links(
            &path,
            &[
                ("/", "Home", true),
                ("/cases", "Case list", may(Action::ViewCaseRecord)),
                ("/triage", "Triage", may(Action::Triage)),
                ("/team", "Team workload", may(Action::Triage)),
                ("/marac", "MARAC", may(Action::RunMarac)),
                ("/admin/users", "Staff", may(Action::ManageUsers)),
                ("/admin/tokens", "API tokens", may(Action::ManageUsers)),
                ("/programmes", "Programmes", may(Action::Allocate)),
                (
                    "/admin/instruments",
                    "Instruments",
                    may(Action::ManageInstruments),
                ),
                (
                    "/admin/programmes",
                    "Programme catalogue",
                    may(Action::ManageProgrammes),
                ),
                ("/audit", "Audit trail", may(Action::ViewServiceAudit)),
                (
                    "/break-glass/log",
                    "Break-glass log",
                    grant(role, Action::ViewRecordHistory) == Scope::Organisation,
                ),
            ],
        );
        Self {
            nav,
            header_search: path != "/search",
            title: title.into(),
            user_name: who.user.display_name.clone(),
            user_role: who.user.role.label().into(),
            org_name: who.org.name.clone(),
            demo: who.org.is_demo,
            csrf: who.csrf_token.clone(),
            signed_in: true,
            has_errors: false,
            quick_exit: false,
            notice: None,
        }
    }

    /// Show the banner for what was just done (`?done=` on the redirect after a save). Only the
    /// known codes have words, so nothing a link carries is ever printed.
    pub fn with_done(mut self, done: &str) -> Self {
        self.notice = notice(done);
        self
    }

    pub fn with_errors(mut self, e: &Invalid) -> Self {
        self.has_errors = !e.0.is_empty();
        self
    }
}

/// A stored code as words: `not_known` is "Not known", `new` is "New". Codes are never shown raw.
pub fn words(code: &str) -> String {
    let spaced = code.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A stored safety code in the words the contact page uses (`Safety::label`).
pub fn safety(code: &str) -> &'static str {
    hearth_domain::contact::Safety::parse(code)
        .unwrap_or(hearth_domain::contact::Safety::NotKnown)
        .label()
}

/// The banner for each thing a save can report, in the words a practitioner would use.
pub fn notice(done: &str) -> Option<&'static str> {
    Some(match done {
        "accepted" => {
            "Referral accepted. The case is open: allocate a worker below to start the work."
        }
        "accepted_elsewhere" => {
            "Referral accepted into a new case for another team. That team will allocate it."
        }
        "allocated" => "Worker allocated.",
        "allocation_ended" => "Allocation ended.",
        "case_closed" => "Case closed.",
        "member_added" => "Person added to the family.",
        "relationship_added" => "Relationship recorded.",
        "agency_added" => "Agency recorded.",
        "involvement_closed" => {
            "Their involvement is closed. The rest of the family's work goes on."
        }
        "contact" => "Contact recorded on the timeline.",
        "entry" => "Saved to the timeline.",
        "safety_plan" => "Safety plan saved. The new version is below; earlier ones are kept.",
        "action_added" => "MARAC action added.",
        "action_done" => "MARAC action marked done.",
        "action_open" => "MARAC action opened again.",
        "action_changed" => "MARAC action updated.",
        "proposed" => "Support proposed. It is on the family's plan below.",
        "enrolment_changed" => "Enrolment updated. Its history is below.",
        "session_planned" => "Session planned.",
        "session_recorded" => "Session recorded. The note is on the case's timeline.",
        "idva_offer" => "Idva offer recorded.",
        "told" => "Marked as told.",
        "waiting_moved" => "Waiting list reordered.",
        _ => return None,
    })
}

pub fn render<T: Template>(status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Sorry, there is a problem with Hearth.",
            )
                .into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub status: StatusCode,
    pub heading: String,
    pub body: String,
}

impl ErrorPage {
    pub fn new(status: StatusCode, heading: &str, body: &str) -> Self {
        Self {
            layout: Layout::public(heading, false, ""),
            status,
            heading: heading.into(),
            body: body.into(),
        }
    }
}

impl IntoResponse for ErrorPage {
    fn into_response(self) -> Response {
        render(self.status, &self)
    }
}

/// "23 November 2026, 14:05" in UK time.
pub fn when(t: &Timestamp) -> String {
    hearth_domain::ukdate::format_datetime(*t)
}

/// An ISO date from the store as "3 November 2026"; anything unparseable shown as stored.
pub fn date(iso: &str) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(iso, &fmt)
        .map(hearth_domain::ukdate::format_date)
        .unwrap_or_else(|_| iso.to_string())
}

pub fn when_unix(secs: &i64) -> String {
    when(&hearth_domain::clock::from_unix(*secs))
}

/// An audit action in plain English.
pub fn describe(action: &str) -> &'static str {
    match action {
        "case.view" => "Opened the case",
        "case.list" => "Listed cases",
        "case.history_view" => "Looked at who viewed the case",
        "person.view" => "Opened the person's record",
        "person.history_view" => "Looked at who viewed the person's record",
        "caseload.view" => "Looked at their caseload",
        "session.start" => "Signed in",
        "session.end" => "Session ended",
        "auth.password_accepted" => "Password accepted; second step pending",
        "auth.password_refused" => "Sign-in refused (password)",
        "auth.code_refused" => "Sign-in refused (code)",
        "user.add" => "Added a staff account",
        "user.disable" => "Disabled a staff account",
        "user.enable" => "Enabled a staff account",
        "user.reset_password" => "Reset a password",
        "user.reset_second_factor" => "Reset an authenticator app",
        "user.second_factor_enrolled" => "Set up an authenticator app",
        "user.password_changed" => "Changed their password",
        "api_token.create" => "Created an API token",
        "api_token.revoke" => "Revoked an API token",
        "demo.seed" => "Created the demo service",
        _ => "Other action",
    }
}

/// A link to the record an audit entry is about. Built only from identifiers.
pub fn record_link(entity_type: &str, id: &Option<uuid::Uuid>) -> String {
    match (entity_type, id) {
        ("case", Some(id)) => format!("<a href=\"/cases/{id}\">Case</a>"),
        ("person", Some(id)) => format!("<a href=\"/people/{id}\">Person</a>"),
        ("user", Some(id)) => format!("<a href=\"/admin/users/{id}\">Staff account</a>"),
        (t, _) => askama::filters::escape(t, askama::filters::Html)
            .map(|s| s.to_string())
            .unwrap_or_default(),
    }
}

pub fn method(code: &str) -> &'static str {
    hearth_domain::timeline::label_of(hearth_domain::timeline::CONTACT_METHODS, code)
}

pub fn outcome_of(code: &str) -> &'static str {
    hearth_domain::timeline::label_of(hearth_domain::timeline::CONTACT_OUTCOMES, code)
}

pub fn outcome(code: &Option<String>) -> &'static str {
    outcome_of(code.as_deref().unwrap_or(""))
}

pub fn agency(code: &str) -> &'static str {
    hearth_domain::timeline::label_of(hearth_domain::referral::AGENCIES, code)
}

/// "2 days, 3 hours" for how long something has waited.
pub fn waiting(d: &time::Duration) -> String {
    let hours = d.whole_hours().max(0);
    let (days, hours) = (hours / 24, hours % 24);
    let plural = |n: i64, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    match (days, hours) {
        (0, 0) => "under an hour".into(),
        (0, h) => plural(h, "hour"),
        (d, 0) => plural(d, "day"),
        (d, h) => format!("{}, {}", plural(d, "day"), plural(h, "hour")),
    }
}

/// A case's first-contact standing, as table-cell markup. Built only from our own date formatting.
pub fn first_contact(fc: &Option<hearth_domain::targets::FirstContact>) -> String {
    use hearth_domain::targets::FirstContact;
    match fc {
        None => "–".into(),
        Some(FirstContact::Overdue { since }) => {
            format!(
                "<strong class=\"tag tag--danger\">Overdue</strong> since {}",
                when(since)
            )
        }
        Some(FirstContact::Due { by }) => format!("Due by {}", when(by)),
        Some(FirstContact::Made { at, on_time: true }) => format!("Made {}", when(at)),
        Some(FirstContact::Made { at, on_time: false }) => {
            format!("Made {} (after the target)", when(at))
        }
    }
}

/// A date as "3 November 2026".
/// A task's status as the GOV.UK task list shows it: completed as plain text, work to do as a
/// blue tag, overdue as a red one. Built only from our own labels.
pub fn task_status(s: &hearth_domain::first_weeks::TaskStatus) -> String {
    use hearth_domain::first_weeks::TaskStatus;
    let class = match s {
        TaskStatus::Completed => return s.label().to_string(),
        TaskStatus::NotNeeded => return format!("<span class=\"muted\">{}</span>", s.label()),
        TaskStatus::Overdue => "tag tag--danger",
        TaskStatus::InProgress | TaskStatus::NotYetStarted => "tag tag--blue",
    };
    format!("<strong class=\"{class}\">{}</strong>", s.label())
}

pub fn day(d: &time::Date) -> String {
    hearth_domain::ukdate::format_date(*d)
}

/// A risk level as a tag in its own colour (red, orange, grey), the same in every list. Built only
/// from our own labels.
pub fn level_tag(l: &hearth_domain::risk::RiskLevel) -> String {
    use hearth_domain::risk::RiskLevel;
    let class = match l {
        RiskLevel::High => "tag tag--high",
        RiskLevel::Medium => "tag tag--medium",
        RiskLevel::Standard => "tag tag--standard",
    };
    format!("<strong class=\"{class}\">{} risk</strong>", l.label())
}

/// Where an enrolment stands, as a tag: active in blue, waiting and proposed in grey, ended as
/// plain words. Built only from our own labels.
pub fn enrolment_tag(s: &hearth_domain::programme::EnrolmentState) -> String {
    use hearth_domain::programme::EnrolmentState;
    match s {
        EnrolmentState::Active => format!("<strong class=\"tag tag--blue\">{}</strong>", s.label()),
        EnrolmentState::Waiting | EnrolmentState::Proposed => {
            format!("<strong class=\"tag tag--grey\">{}</strong>", s.label())
        }
        EnrolmentState::Ended => s.label().to_string(),
    }
}

/// How many items in a due list are overdue.
pub fn overdue_count(due: &[hearth_domain::due::DueItem]) -> usize {
    due.iter().filter(|i| i.overdue).count()
}

/// A due list as a page shows it: the worker's own tasks grouped by case and narrowed to what
/// they chose, and other agencies' MARAC actions apart, to follow up rather than do.
pub struct DueView {
    pub groups: Vec<hearth_domain::due::CaseGroup>,
    pub others: Vec<hearth_domain::due::DueItem>,
    /// The worker's own overdue tasks in the whole list, whatever is shown.
    pub overdue: usize,
    /// Own tasks in the whole list, and how many the filter keeps.
    pub total: usize,
    pub kept: usize,
    pub show: hearth_domain::due::Show,
    /// Whether to show who each case is allocated to (a manager's list).
    pub workers: bool,
    /// Where the filter form goes; `None` for a list too short to need one.
    pub action: Option<String>,
    /// The way through the own tasks when they run to more than one page.
    pub pager: Option<Pager>,
    /// Other agencies' actions in the whole list, and the way through them when they run to
    /// more than one page.
    pub others_total: usize,
    pub others_pager: Option<Pager>,
}

/// Where a page of a long list is, and the way to the others.
pub struct Pager {
    /// The list's address up to the page number, for example "/triage?page=".
    pub base: String,
    pub page: usize,
    pub pages: usize,
    /// The place of the first and last shown in the whole list, from 1.
    pub first: usize,
    pub last: usize,
}

impl Pager {
    /// Page `page` of `pages`, `shown` items on it and `size` to a page; `None` when the list
    /// fits on one page.
    pub fn of(
        base: String,
        (page, pages): (usize, usize),
        shown: usize,
        size: usize,
    ) -> Option<Self> {
        let before = (page - 1) * size;
        (pages > 1).then(|| Pager {
            base,
            page,
            pages,
            first: before + 1,
            last: before + shown,
        })
    }
}

impl DueView {
    pub fn new(
        items: Vec<hearth_domain::due::DueItem>,
        show: hearth_domain::due::Show,
        workers: bool,
        action: Option<String>,
    ) -> Self {
        let (others, own): (Vec<_>, Vec<_>) = items.into_iter().partition(|i| i.other_agency);
        let overdue = overdue_count(&own);
        let total = own.len();
        let kept: Vec<_> = own.into_iter().filter(|i| show.keeps(i)).collect();
        Self {
            kept: kept.len(),
            groups: hearth_domain::due::by_case(kept),
            others_total: others.len(),
            others,
            overdue,
            total,
            show,
            workers,
            action,
            pager: None,
            others_pager: None,
        }
    }

    /// One page of a manager's list, counted in full by the app (a large team's list is
    /// paged, never cut off), with who each case is allocated to.
    pub fn counted(
        due: hearth_app::team_due::TeamDue,
        show: hearth_domain::due::Show,
        action: Option<String>,
        (pager, others_pager): (Option<Pager>, Option<Pager>),
    ) -> Self {
        Self {
            groups: hearth_domain::due::by_case(due.items),
            others: due.others,
            overdue: due.overdue,
            total: due.own,
            kept: due.kept,
            show,
            workers: true,
            action,
            others_total: due.others_total,
            pager,
            others_pager,
        }
    }

    pub fn is_shown(&self, code: &str) -> bool {
        self.show.code() == code
    }

    pub fn columns(&self) -> usize {
        if self.workers {
            5
        } else {
            4
        }
    }
}
