//! The access matrix: one row per route and relation, writes as well as reads, pages and API,
//! with the answer every role must get written down. A route added to the router without a row
//! here fails [`every_route_in_the_router_has_a_row`]: nothing new is reachable untested.
//!
//! Writes are sent empty. A role the policy refuses must be refused (403, or 404 where it may
//! not know the record exists) before the input is even read; a role it allows must get past
//! the policy to the handler, which then answers about the input (`W`).
//!
//! A new route needs a row. `HEARTH_MATRIX_DUMP=1 cargo test -p hearth --test it route_matrix
//! -- --nocapture` prints what every role got from every row, to check against the policy
//! (`docs/access-policy.md`) before writing the expected answers down, never to copy blindly.

use crate::common::*;
use futures_util::future::join_all;
use reqwest::Client;
use serde_json::{json, Value};
use std::collections::BTreeSet;

const A: u16 = 200; // allowed, and the page or record is shown
const H: u16 = 404; // hidden: as if it did not exist
const F: u16 = 403; // forbidden: the function is not part of the role
const W: u16 = 0; // past the policy: the handler answered about the input (not 401/403/404/5xx)
const P: u16 = 1; // public or about one's own session: not governed by role (never a 5xx)

/// An id that names no record.
const NOBODY: &str = "00000000-0000-0000-0000-000000000007";

/// (method, route as written in the router, path tried, answer per role in `ROLES` order:
/// admin, service manager, team manager, Idva, children's worker, Engage, group facilitator,
/// peer-mentor coordinator, training coordinator, evaluator, external referrer).
type Row = (&'static str, &'static str, &'static str, [u16; 11]);

#[rustfmt::skip]
const MATRIX: &[Row] = &[
    ("GET", "/", "/", [A, A, A, A, A, A, A, A, A, A, A]),
    ("GET", "/cases", "/cases", [A, A, A, A, A, A, A, A, A, A, A]),
    ("GET", "/search", "/search", [A, A, A, A, A, A, A, A, A, A, A]),
    ("GET", "/team", "/team", [F, A, A, F, F, F, F, F, F, F, F]),
    ("GET", "/break-glass", "/break-glass", [F, F, A, A, A, A, A, A, F, F, F]),
    ("POST", "/break-glass", "/break-glass", [F, F, W, W, W, W, W, W, F, F, F]),
    ("GET", "/break-glass/log", "/break-glass/log", [F, A, F, F, F, F, F, F, F, F, F]),
    ("GET", "/cases/{id}", "/cases/{case}", [H, A, A, A, A, A, H, H, H, H, H]),
    ("GET", "/cases/{id}/history", "/cases/{case}/history", [H, A, A, H, H, H, H, H, H, H, H]),
    ("POST", "/cases/{id}/entries", "/cases/{case}/entries", [H, W, W, W, W, W, H, H, H, H, H]),
    ("POST", "/cases/{id}/allocations", "/cases/{case}/allocations", [H, W, W, F, F, F, H, H, H, H, H]),
    ("POST", "/cases/{id}/members", "/cases/{case}/members", [H, W, W, W, W, W, H, H, H, H, H]),
    ("POST", "/cases/{id}/involvements/close", "/cases/{case}/involvements/close", [H, W, W, F, F, F, H, H, H, H, H]),
    ("POST", "/cases/{id}/agencies", "/cases/{case}/agencies", [H, W, W, W, W, W, H, H, H, H, H]),
    ("POST", "/cases/{id}/relationships", "/cases/{case}/relationships", [H, W, W, W, W, W, H, H, H, H, H]),
    ("POST", "/cases/{id}/allocations/end", "/cases/{case}/allocations/end", [H, H, H, H, H, H, H, H, H, H, H]),
    ("POST", "/cases/{id}/close", "/cases/{case}/close", [H, W, W, F, F, F, H, H, H, H, H]),
    ("GET", "/cases/{id}/entries/new", "/cases/{case}/entries/new", [H, A, A, A, A, A, H, H, H, H, H]),
    ("GET", "/cases/{id}/entries/{entry}", "/cases/{case}/entries/{entry}", [H, A, A, A, A, H, H, H, H, H, H]),
    ("GET", "/cases/{id}/entries/{entry}/correct", "/cases/{case}/entries/{entry}/correct", [H, A, A, A, A, H, H, H, H, H, H]),
    ("POST", "/cases/{id}/entries/{entry}/correct", "/cases/{case}/entries/{entry}/correct", [H, W, W, W, W, H, H, H, H, H, H]),
    ("POST", "/cases/{id}/entries/{entry}/withdraw", "/cases/{case}/entries/{entry}/withdraw", [H, W, W, F, F, F, H, H, H, H, H]),
    ("GET", "/people/{id}", "/people/{victim}", [H, A, A, A, A, A, H, H, H, H, H]),
    ("GET", "/people/{id}/edit", "/people/{victim}/edit", [H, A, A, A, A, F, H, H, H, H, H]),
    ("POST", "/people/{id}/edit", "/people/{victim}/edit", [H, W, W, W, W, F, H, H, H, H, H]),
    ("GET", "/people/{id}/contact", "/people/{victim}/contact", [H, A, A, A, A, F, H, H, H, H, H]),
    ("POST", "/people/{id}/contact", "/people/{victim}/contact", [H, W, W, W, W, F, H, H, H, H, H]),
    ("GET", "/people/{id}/history", "/people/{victim}/history", [H, A, A, H, H, H, H, H, H, H, H]),
    ("GET", "/people/{id}/risk", "/people/{victim}/risk", [H, A, A, A, A, F, H, H, H, H, H]),
    ("POST", "/people/{id}/risk", "/people/{victim}/risk", [H, W, W, W, W, F, H, H, H, H, H]),
    ("GET", "/people/{id}/risk/new", "/people/{victim}/risk/new", [H, A, A, A, A, F, H, H, H, H, H]),
    ("POST", "/people/{id}/incidents", "/people/{victim}/incidents", [H, W, W, W, W, F, H, H, H, H, H]),
    ("GET", "/people/{id}/safety-plan", "/people/{victim}/safety-plan", [H, A, A, A, A, F, H, H, H, H, H]),
    ("POST", "/people/{id}/safety-plan", "/people/{victim}/safety-plan", [H, W, W, W, W, F, H, H, H, H, H]),
    ("GET", "/people/{id}/safety-plan/edit", "/people/{victim}/safety-plan/edit", [H, A, A, A, A, F, H, H, H, H, H]),
    ("GET", "/people/{id}/safety-plan/print", "/people/{victim}/safety-plan/print", [H, H, H, H, H, F, H, H, H, H, H]),
    ("GET", "/people/{id}/marac/new", "/people/{victim}/marac/new", [H, A, A, A, A, F, H, H, H, H, H]),
    ("POST", "/people/{id}/marac", "/people/{victim}/marac", [H, W, W, W, W, F, H, H, H, H, H]),
    ("GET", "/marac", "/marac", [F, A, A, F, F, F, F, F, F, F, F]),
    ("POST", "/marac/meetings", "/marac/meetings", [F, W, W, F, F, F, F, F, F, F, F]),
    ("GET", "/marac/meetings/{id}", "/marac/meetings/{meeting}", [F, A, A, F, F, F, F, F, F, F, F]),
    ("POST", "/marac/meetings/{id}/agenda", "/marac/meetings/{meeting}/agenda", [F, W, W, F, F, F, F, F, F, F, F]),
    ("POST", "/marac/meetings/{id}/attendance", "/marac/meetings/{meeting}/attendance", [F, W, W, F, F, F, F, F, F, F, F]),
    ("GET", "/marac/referrals/{id}", "/marac/referrals/{marac_referral}", [H, A, A, A, A, F, H, H, H, H, H]),
    ("POST", "/marac/referrals/{id}/actions", "/marac/referrals/{marac_referral}/actions", [F, W, W, F, F, F, F, F, F, F, F]),
    ("POST", "/marac/referrals/{id}/meeting", "/marac/referrals/{marac_referral}/meeting", [F, W, W, F, F, F, F, F, F, F, F]),
    ("POST", "/marac/actions/{id}/status", "/marac/actions/{missing}/status", [H, H, H, H, H, H, H, H, H, H, H]),
    ("GET", "/cases/{id}/enrolments/new", "/cases/{case}/enrolments/new", [H, A, A, A, A, A, H, H, H, H, H]),
    ("POST", "/cases/{id}/enrolments", "/cases/{case}/enrolments", [H, W, W, W, W, W, H, H, H, H, H]),
    ("GET", "/cases/{id}/idva-offers/{person}", "/cases/{case}/idva-offers/{victim}", [H, A, A, A, A, H, H, H, H, H, H]),
    ("POST", "/cases/{id}/idva-offers/{person}", "/cases/{case}/idva-offers/{victim}", [H, W, W, W, W, H, H, H, H, H, H]),
    ("GET", "/enrolments/{id}", "/enrolments/{enrolment}", [H, A, A, A, A, H, H, H, H, H, H]),
    ("POST", "/enrolments/{id}/change", "/enrolments/{enrolment}/change", [H, W, W, F, F, H, H, H, H, H, H]),
    ("POST", "/enrolments/{id}/sessions", "/enrolments/{enrolment}/sessions", [H, W, W, W, W, H, H, H, H, H, H]),
    ("GET", "/enrolments/{id}/sessions/{session}", "/enrolments/{enrolment}/sessions/{session}", [H, A, A, A, A, H, H, H, H, H, H]),
    ("POST", "/enrolments/{id}/sessions/{session}", "/enrolments/{enrolment}/sessions/{session}", [H, W, W, W, W, H, H, H, H, H, H]),
    ("POST", "/enrolments/{id}/waiting", "/enrolments/{enrolment}/waiting", [F, W, W, F, F, F, F, F, F, F, F]),
    ("POST", "/partner-news/{id}/told", "/partner-news/{missing}/told", [H, H, H, H, H, H, H, H, H, H, H]),
    ("GET", "/programmes", "/programmes", [F, A, A, F, F, F, F, F, F, F, F]),
    ("GET", "/programmes/{key}/waiting", "/programmes/idva/waiting", [F, A, A, F, F, F, F, F, F, F, F]),
    ("GET", "/admin/programmes", "/admin/programmes", [A, A, F, F, F, F, F, F, F, F, F]),
    ("POST", "/admin/programmes", "/admin/programmes", [W, W, F, F, F, F, F, F, F, F, F]),
    ("GET", "/login", "/login", [P, P, P, P, P, P, P, P, P, P, P]),
    ("POST", "/login", "/login", [P, P, P, P, P, P, P, P, P, P, P]),
    ("GET", "/login/code", "/login/code", [P, P, P, P, P, P, P, P, P, P, P]),
    ("POST", "/login/code", "/login/code", [P, P, P, P, P, P, P, P, P, P, P]),
    ("GET", "/login/enrol", "/login/enrol", [P, P, P, P, P, P, P, P, P, P, P]),
    ("POST", "/login/enrol", "/login/enrol", [P, P, P, P, P, P, P, P, P, P, P]),
    ("POST", "/logout", "/logout", [P, P, P, P, P, P, P, P, P, P, P]),
    ("GET", "/account/password", "/account/password", [P, P, P, P, P, P, P, P, P, P, P]),
    ("POST", "/account/password", "/account/password", [P, P, P, P, P, P, P, P, P, P, P]),
    ("GET", "/admin/users", "/admin/users", [A, A, A, F, F, F, F, F, F, F, F]),
    ("POST", "/admin/users", "/admin/users", [W, F, F, F, F, F, F, F, F, F, F]),
    ("GET", "/admin/users/new", "/admin/users/new", [A, F, F, F, F, F, F, F, F, F, F]),
    ("GET", "/admin/users/{id}", "/admin/users/{user}", [A, A, A, F, F, F, F, F, F, F, F]),
    ("POST", "/admin/users/{id}/disable", "/admin/users/{user}/disable", [W, F, F, F, F, F, F, F, F, F, F]),
    ("POST", "/admin/users/{id}/enable", "/admin/users/{user}/enable", [W, F, F, F, F, F, F, F, F, F, F]),
    ("POST", "/admin/users/{id}/reset-password", "/admin/users/{user}/reset-password", [W, F, F, F, F, F, F, F, F, F, F]),
    ("POST", "/admin/users/{id}/reset-second-factor", "/admin/users/{user}/reset-second-factor", [W, F, F, F, F, F, F, F, F, F, F]),
    ("GET", "/admin/tokens", "/admin/tokens", [A, F, F, F, F, F, F, F, F, F, F]),
    ("POST", "/admin/tokens", "/admin/tokens", [W, F, F, F, F, F, F, F, F, F, F]),
    ("POST", "/admin/tokens/{id}/revoke", "/admin/tokens/{missing}/revoke", [H, F, F, F, F, F, F, F, F, F, F]),
    ("GET", "/admin/instruments", "/admin/instruments", [A, A, F, F, F, F, F, F, F, F, F]),
    ("POST", "/admin/instruments", "/admin/instruments", [W, W, F, F, F, F, F, F, F, F, F]),
    ("GET", "/admin/instruments/{key}/{version}", "/admin/instruments/{instrument}", [A, A, F, F, F, F, F, F, F, F, F]),
    ("GET", "/audit", "/audit", [A, A, F, F, F, F, F, F, F, F, F]),
    ("GET", "/refer", "/refer", [P, P, P, P, P, P, P, P, P, P, P]),
    ("GET", "/refer/{org}", "/refer/northshire", [P, P, P, P, P, P, P, P, P, P, P]),
    ("POST", "/refer/{org}", "/refer/northshire", [P, P, P, P, P, P, P, P, P, P, P]),
    ("POST", "/referrals", "/referrals", [F, W, W, W, W, W, W, W, F, F, W]),
    ("GET", "/referrals/new", "/referrals/new", [A, A, A, A, A, A, A, A, A, A, A]),
    ("GET", "/triage", "/triage", [F, A, A, F, F, F, F, F, F, F, F]),
    ("GET", "/triage/{id}", "/triage/{referral}", [F, A, A, F, F, F, F, F, F, F, F]),
    ("POST", "/triage/{id}", "/triage/{referral}", [F, W, W, F, F, F, F, F, F, F, F]),
    ("GET", "/static/quick-exit.js", "/static/quick-exit.js", [P, P, P, P, P, P, P, P, P, P, P]),
    ("GET", "/healthz", "/healthz", [P, P, P, P, P, P, P, P, P, P, P]),
    ("GET", "/static/hearth.css", "/static/hearth.css", [P, P, P, P, P, P, P, P, P, P, P]),
    ("GET", "/api/openapi.json", "/api/openapi.json", [P, P, P, P, P, P, P, P, P, P, P]),
    ("GET", "/api/v1/me", "/api/v1/me", [A, A, A, A, A, A, A, A, A, A, A]),
    ("GET", "/api/v1/users", "/api/v1/users", [A, A, A, F, F, F, F, F, F, F, F]),
    ("POST", "/api/v1/users", "/api/v1/users", [W, F, F, F, F, F, F, F, F, F, F]),
    ("GET", "/api/v1/users/{id}", "/api/v1/users/{user}", [A, A, A, F, F, F, F, F, F, F, F]),
    ("POST", "/api/v1/users/{id}/disable", "/api/v1/users/{user}/disable", [W, F, F, F, F, F, F, F, F, F, F]),
    ("POST", "/api/v1/users/{id}/reset-password", "/api/v1/users/{user}/reset-password", [W, F, F, F, F, F, F, F, F, F, F]),
    ("GET", "/api/v1/audit", "/api/v1/audit", [A, A, F, F, F, F, F, F, F, F, F]),
    ("GET", "/api/v1/caseload", "/api/v1/caseload", [A, A, A, A, A, A, A, A, A, A, A]),
    ("GET", "/api/v1/search", "/api/v1/search", [W, W, W, W, W, W, W, W, W, W, W]),
    ("GET", "/api/v1/break-glass", "/api/v1/break-glass", [F, A, F, F, F, F, F, F, F, F, F]),
    ("POST", "/api/v1/break-glass", "/api/v1/break-glass", [F, F, W, W, W, W, W, W, F, F, F]),
    ("GET", "/api/v1/caseloads", "/api/v1/caseloads", [F, A, A, F, F, F, F, F, F, F, F]),
    ("GET", "/api/v1/cases", "/api/v1/cases", [A, A, A, A, A, A, A, A, A, A, A]),
    ("GET", "/api/v1/cases/{id}", "/api/v1/cases/{case}", [H, A, A, A, A, A, H, H, H, H, H]),
    ("GET", "/api/v1/cases/{id}/history", "/api/v1/cases/{case}/history", [H, A, A, H, H, H, H, H, H, H, H]),
    ("GET", "/api/v1/cases/{id}/timeline", "/api/v1/cases/{case}/timeline", [H, A, A, A, A, A, H, H, H, H, H]),
    ("POST", "/api/v1/cases/{id}/timeline", "/api/v1/cases/{case}/timeline", [H, W, W, W, W, W, H, H, H, H, H]),
    ("POST", "/api/v1/cases/{id}/timeline/{entry}/corrections", "/api/v1/cases/{case}/timeline/{entry}/corrections", [H, W, W, W, W, H, H, H, H, H, H]),
    ("POST", "/api/v1/cases/{id}/timeline/{entry}/withdraw", "/api/v1/cases/{case}/timeline/{entry}/withdraw", [H, W, W, F, F, F, H, H, H, H, H]),
    ("POST", "/api/v1/cases/{id}/allocations", "/api/v1/cases/{case}/allocations", [H, W, W, F, F, F, H, H, H, H, H]),
    ("POST", "/api/v1/cases/{id}/allocations/end", "/api/v1/cases/{case}/allocations/end", [H, H, H, F, F, F, H, H, H, H, H]),
    ("POST", "/api/v1/cases/{id}/members", "/api/v1/cases/{case}/members", [H, W, W, W, W, W, H, H, H, H, H]),
    ("POST", "/api/v1/cases/{id}/involvements/close", "/api/v1/cases/{case}/involvements/close", [H, W, W, F, F, F, H, H, H, H, H]),
    ("GET", "/api/v1/cases/{id}/agencies", "/api/v1/cases/{case}/agencies", [H, A, A, A, A, A, H, H, H, H, H]),
    ("POST", "/api/v1/cases/{id}/agencies", "/api/v1/cases/{case}/agencies", [H, W, W, W, W, W, H, H, H, H, H]),
    ("POST", "/api/v1/cases/{id}/relationships", "/api/v1/cases/{case}/relationships", [H, W, W, W, W, W, H, H, H, H, H]),
    ("POST", "/api/v1/cases/{id}/close", "/api/v1/cases/{case}/close", [H, W, W, F, F, F, H, H, H, H, H]),
    ("GET", "/api/v1/referrals", "/api/v1/referrals", [F, A, A, F, F, F, F, F, F, F, F]),
    ("POST", "/api/v1/referrals", "/api/v1/referrals", [F, W, W, W, W, W, W, W, F, F, W]),
    ("GET", "/api/v1/referrals/{id}", "/api/v1/referrals/{referral}", [F, A, A, F, F, F, F, F, F, F, F]),
    ("POST", "/api/v1/referrals/{id}/decision", "/api/v1/referrals/{referral}/decision", [F, W, W, F, F, F, F, F, F, F, F]),
    ("GET", "/api/v1/people/{id}", "/api/v1/people/{victim}", [H, A, A, A, A, A, H, H, H, H, H]),
    ("GET", "/api/v1/people/{id}/details", "/api/v1/people/{victim}/details", [H, A, A, A, A, A, H, H, H, H, H]),
    ("PUT", "/api/v1/people/{id}/details", "/api/v1/people/{victim}/details", [H, W, W, W, W, F, H, H, H, H, H]),
    ("GET", "/api/v1/people/{id}/contact", "/api/v1/people/{victim}/contact", [H, A, A, A, A, A, H, H, H, H, H]),
    ("PUT", "/api/v1/people/{id}/contact", "/api/v1/people/{victim}/contact", [H, W, W, W, W, F, H, H, H, H, H]),
    ("GET", "/api/v1/people/{id}/history", "/api/v1/people/{victim}/history", [H, A, A, H, H, H, H, H, H, H, H]),
    ("GET", "/api/v1/people/{id}/risk", "/api/v1/people/{victim}/risk", [H, A, A, A, A, F, H, H, H, H, H]),
    ("POST", "/api/v1/people/{id}/risk", "/api/v1/people/{victim}/risk", [H, W, W, W, W, F, H, H, H, H, H]),
    ("POST", "/api/v1/people/{id}/incidents", "/api/v1/people/{victim}/incidents", [H, W, W, W, W, F, H, H, H, H, H]),
    ("GET", "/api/v1/people/{id}/safety-plan", "/api/v1/people/{victim}/safety-plan", [H, A, A, A, A, F, H, H, H, H, H]),
    ("PUT", "/api/v1/people/{id}/safety-plan", "/api/v1/people/{victim}/safety-plan", [H, W, W, W, W, F, H, H, H, H, H]),
    ("GET", "/api/v1/people/{id}/marac", "/api/v1/people/{victim}/marac", [H, A, A, A, A, F, H, H, H, H, H]),
    ("POST", "/api/v1/people/{id}/marac", "/api/v1/people/{victim}/marac", [H, W, W, W, W, F, H, H, H, H, H]),
    ("GET", "/api/v1/instruments", "/api/v1/instruments", [A, A, F, F, F, F, F, F, F, F, F]),
    ("POST", "/api/v1/instruments", "/api/v1/instruments", [W, W, F, F, F, F, F, F, F, F, F]),
    ("GET", "/api/v1/due", "/api/v1/due", [A, A, A, A, A, A, A, A, A, A, A]),
    ("GET", "/api/v1/due/team", "/api/v1/due/team", [F, A, A, F, F, F, F, F, F, F, F]),
    ("GET", "/api/v1/marac", "/api/v1/marac", [F, A, A, F, F, F, F, F, F, F, F]),
    ("POST", "/api/v1/marac/meetings", "/api/v1/marac/meetings", [F, W, W, F, F, F, F, F, F, F, F]),
    ("GET", "/api/v1/marac/meetings/{id}", "/api/v1/marac/meetings/{meeting}", [F, A, A, F, F, F, F, F, F, F, F]),
    ("POST", "/api/v1/marac/meetings/{id}/agenda", "/api/v1/marac/meetings/{meeting}/agenda", [F, W, W, F, F, F, F, F, F, F, F]),
    ("PUT", "/api/v1/marac/meetings/{id}/attendance", "/api/v1/marac/meetings/{meeting}/attendance", [F, W, W, F, F, F, F, F, F, F, F]),
    ("GET", "/api/v1/marac/referrals/{id}", "/api/v1/marac/referrals/{marac_referral}", [H, A, A, A, A, F, H, H, H, H, H]),
    ("POST", "/api/v1/marac/referrals/{id}/actions", "/api/v1/marac/referrals/{marac_referral}/actions", [F, W, W, F, F, F, F, F, F, F, F]),
    ("POST", "/api/v1/marac/actions/{id}/status", "/api/v1/marac/actions/{missing}/status", [H, H, H, H, H, H, H, H, H, H, H]),
    ("GET", "/cases/{id}", "/cases/{team_case}", [H, A, A, H, H, H, H, H, H, H, H]),
    ("GET", "/cases/{id}", "/cases/{other_team_case}", [H, A, H, H, H, H, H, H, H, H, H]),
    ("GET", "/cases/{id}", "/cases/{other_org_case}", [H, H, H, H, H, H, H, H, H, H, H]),
    ("GET", "/cases/{id}/history", "/cases/{other_team_case}/history", [H, A, H, H, H, H, H, H, H, H, H]),
    ("GET", "/cases/{id}/history", "/cases/{other_org_case}/history", [H, H, H, H, H, H, H, H, H, H, H]),
    ("GET", "/people/{id}", "/people/{perpetrator}", [H, A, A, A, A, A, H, H, H, H, H]),
    ("GET", "/people/{id}", "/people/{child}", [H, A, A, A, A, A, H, H, H, H, H]),
    ("GET", "/people/{id}", "/people/{other_org_person}", [H, H, H, H, H, H, H, H, H, H, H]),
    ("GET", "/people/{id}/history", "/people/{other_org_person}/history", [H, H, H, H, H, H, H, H, H, H, H]),
    ("GET", "/people/{id}/risk", "/people/{perpetrator}/risk", [H, A, A, A, A, A, H, H, H, H, H]),
    ("GET", "/people/{id}/risk", "/people/{other_org_person}/risk", [H, H, H, H, H, H, H, H, H, H, H]),
    ("GET", "/admin/users/{id}", "/admin/users/{other_org_user}", [H, H, H, F, F, F, F, F, F, F, F]),
    ("POST", "/cases/{id}/entries", "/cases/{team_case}/entries", [H, W, W, H, H, H, H, H, H, H, H]),
    ("POST", "/cases/{id}/entries", "/cases/{other_org_case}/entries", [H, H, H, H, H, H, H, H, H, H, H]),
    ("POST", "/cases/{id}/allocations", "/cases/{other_team_case}/allocations", [H, W, H, H, H, H, H, H, H, H, H]),
    ("POST", "/cases/{id}/close", "/cases/{other_org_case}/close", [H, H, H, H, H, H, H, H, H, H, H]),
    ("POST", "/people/{id}/contact", "/people/{perpetrator}/contact", [H, W, W, W, W, W, H, H, H, H, H]),
    ("POST", "/people/{id}/safety-plan", "/people/{other_org_person}/safety-plan", [H, H, H, H, H, H, H, H, H, H, H]),
    ("GET", "/api/v1/cases/{id}", "/api/v1/cases/{team_case}", [H, A, A, H, H, H, H, H, H, H, H]),
    ("GET", "/api/v1/cases/{id}", "/api/v1/cases/{other_team_case}", [H, A, H, H, H, H, H, H, H, H, H]),
    ("GET", "/api/v1/cases/{id}", "/api/v1/cases/{other_org_case}", [H, H, H, H, H, H, H, H, H, H, H]),
    ("GET", "/api/v1/people/{id}", "/api/v1/people/{perpetrator}", [H, A, A, A, A, A, H, H, H, H, H]),
    ("GET", "/api/v1/people/{id}", "/api/v1/people/{child}", [H, A, A, A, A, A, H, H, H, H, H]),
    ("GET", "/api/v1/people/{id}", "/api/v1/people/{other_org_person}", [H, H, H, H, H, H, H, H, H, H, H]),
    ("GET", "/api/v1/people/{id}/risk", "/api/v1/people/{perpetrator}/risk", [H, A, A, A, A, A, H, H, H, H, H]),
    ("GET", "/api/v1/people/{id}/contact", "/api/v1/people/{perpetrator}/contact", [H, A, A, A, A, A, H, H, H, H, H]),
    ("GET", "/api/v1/users/{id}", "/api/v1/users/{other_org_user}", [H, H, H, F, F, F, F, F, F, F, F]),
    ("POST", "/api/v1/cases/{id}/timeline", "/api/v1/cases/{other_org_case}/timeline", [H, H, H, H, H, H, H, H, H, H, H]),
    ("PUT", "/api/v1/people/{id}/contact", "/api/v1/people/{other_org_person}/contact", [H, H, H, H, H, H, H, H, H, H, H]),
    ("POST", "/api/v1/cases/{id}/allocations", "/api/v1/cases/{team_case}/allocations", [H, W, W, H, H, H, H, H, H, H, H]),
    ("GET", "/api/v1/programmes", "/api/v1/programmes", [A, A, F, F, F, F, F, F, F, F, F]),
    ("POST", "/api/v1/programmes", "/api/v1/programmes", [W, W, F, F, F, F, F, F, F, F, F]),
    ("GET", "/api/v1/programmes/demand", "/api/v1/programmes/demand", [F, A, A, F, F, F, F, F, F, F, F]),
    ("GET", "/api/v1/programmes/{key}/waiting", "/api/v1/programmes/idva/waiting", [F, A, A, F, F, F, F, F, F, F, F]),
    ("POST", "/api/v1/enrolments/{id}/waiting", "/api/v1/enrolments/{enrolment}/waiting", [F, W, W, F, F, F, F, F, F, F, F]),
    ("GET", "/api/v1/cases/{id}/plan", "/api/v1/cases/{case}/plan", [H, A, A, A, A, A, H, H, H, H, H]),
    ("POST", "/api/v1/cases/{id}/enrolments", "/api/v1/cases/{case}/enrolments", [H, W, W, W, W, W, H, H, H, H, H]),
    ("GET", "/api/v1/enrolments/{id}", "/api/v1/enrolments/{enrolment}", [H, A, A, A, A, H, H, H, H, H, H]),
    ("POST", "/api/v1/enrolments/{id}/change", "/api/v1/enrolments/{enrolment}/change", [H, W, W, F, F, H, H, H, H, H, H]),
    ("POST", "/api/v1/enrolments/{id}/sessions", "/api/v1/enrolments/{enrolment}/sessions", [H, W, W, W, W, H, H, H, H, H, H]),
    ("POST", "/api/v1/enrolments/{id}/sessions/{session}/attendance", "/api/v1/enrolments/{enrolment}/sessions/{session}/attendance", [H, W, W, W, W, H, H, H, H, H, H]),
    ("PUT", "/api/v1/cases/{id}/idva-offers/{person}", "/api/v1/cases/{case}/idva-offers/{victim}", [H, W, W, W, W, H, H, H, H, H, H]),
    ("POST", "/api/v1/partner-news/{id}/told", "/api/v1/partner-news/{missing}/told", [H, H, H, H, H, H, H, H, H, H, H]),
];

/// Every (method, route) the router serves: the pages as declared in their router, and the API
/// as its own document lists them (the API router is built from that same list).
fn router_routes() -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    let src = include_str!("../../../hearth-web/src/pages/mod.rs");
    for chunk in src.split(".route(").skip(1) {
        let path = chunk
            .split('"')
            .nth(1)
            .expect("a route starts with its path");
        // The handlers run to the matching close of `.route(`.
        let mut depth = 1;
        let mut end = chunk.len();
        for (i, c) in chunk.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let handlers = &chunk[..end];
        for method in ["get", "post", "put", "patch", "delete"] {
            let called = handlers.match_indices(&format!("{method}(")).any(|(i, _)| {
                i == 0
                    || !handlers[..i]
                        .chars()
                        .last()
                        .is_some_and(|c| c.is_alphanumeric() || c == '_')
            });
            if called {
                out.insert((method.to_uppercase(), path.to_string()));
            }
        }
    }
    let doc = serde_json::to_value(hearth_web::api::document()).expect("the document");
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("operations").keys() {
            out.insert((method.to_uppercase(), path.clone()));
        }
    }
    out.insert(("GET".into(), "/api/openapi.json".into()));
    out
}

#[test]
fn every_route_in_the_router_has_a_row() {
    let routes = router_routes();
    assert!(routes.len() > 100, "the routes were read: {}", routes.len());
    let rows: BTreeSet<(String, String)> = MATRIX
        .iter()
        .map(|(m, r, ..)| (m.to_string(), r.to_string()))
        .collect();
    let missing: Vec<_> = routes.difference(&rows).collect();
    assert!(
        missing.is_empty(),
        "routes with no row in the matrix: {missing:#?}"
    );
    let stale: Vec<_> = rows.difference(&routes).collect();
    assert!(
        stale.is_empty(),
        "rows for routes that do not exist: {stale:#?}"
    );
}

/// The records the rows are tried against, beyond the shared world.
struct Fixtures {
    ids: Vec<(&'static str, String)>,
}

impl Fixtures {
    async fn make(t: &TestApp, w: &World) -> Fixtures {
        let admin = t.token_for(w.org, w.staff["admin"].0).await;
        let Records {
            entry,
            referral,
            meeting,
            marac_referral,
        } = Records::make(t, w, "ordinary").await;
        let idva = t.token_for(w.org, w.staff["idva"].0).await;
        let id_of = |v: Value| {
            v["id"]
                .as_str()
                .unwrap_or_else(|| panic!("a fixture was made: {v}"))
                .to_string()
        };
        let enrolment = id_of(
            t.api_post(
                &idva,
                &format!("/api/v1/cases/{}/enrolments", w.case),
                &json!({"programme": "idva", "people": [w.victim], "submission_key": new_key()}),
            )
            .await
            .json()
            .await
            .unwrap(),
        );
        let manager = t.token_for(w.org, w.staff["team_manager"].0).await;
        let started = t
            .api_post(
                &manager,
                &format!("/api/v1/enrolments/{enrolment}/change"),
                &json!({"to": "active", "worker_id": w.staff["idva"].0, "based_on": 1}),
            )
            .await;
        assert_eq!(
            started.status(),
            reqwest::StatusCode::NO_CONTENT,
            "the fixture enrolment starts"
        );
        let session = id_of(
            t.api_post(&idva, &format!("/api/v1/enrolments/{enrolment}/sessions"), &json!({"date": "23/11/2026", "time": "08:00", "place": "Office", "submission_key": new_key()}))
                .await
                .json()
                .await
                .unwrap(),
        );
        let instruments: Value = t
            .api_get(&admin, "/api/v1/instruments")
            .await
            .json()
            .await
            .unwrap();
        let instrument = format!(
            "{}/{}",
            instruments[0]["key"].as_str().expect("an instrument"),
            instruments[0]["version"]
        );
        let ids = vec![
            ("{case}", w.case.to_string()),
            ("{team_case}", w.team_case.to_string()),
            ("{other_team_case}", w.other_team_case.to_string()),
            ("{other_org_case}", w.other_org_case.to_string()),
            ("{victim}", w.victim.to_string()),
            ("{perpetrator}", w.perpetrator.to_string()),
            ("{child}", w.child.to_string()),
            ("{other_org_person}", w.other_org_person.to_string()),
            ("{user}", w.staff["idva2"].0.to_string()),
            ("{other_org_user}", w.other_org_user.to_string()),
            ("{entry}", entry),
            ("{referral}", referral),
            ("{meeting}", meeting),
            ("{marac_referral}", marac_referral),
            ("{instrument}", instrument),
            ("{enrolment}", enrolment),
            ("{session}", session),
            ("{missing}", NOBODY.to_string()),
        ];
        Fixtures { ids }
    }

    fn fill(&self, path: &str) -> String {
        let mut p = path.to_string();
        for (k, v) in &self.ids {
            p = p.replace(k, v);
        }
        assert!(!p.contains('{'), "every placeholder is known: {p}");
        p
    }
}

async fn answer(
    t: &TestApp,
    browser: &Client,
    csrf: &str,
    token: &str,
    method: &str,
    path: &str,
) -> u16 {
    let url = t.url(path);
    let api = path.starts_with("/api/");
    let r = match (method, api) {
        ("GET", true) => Client::new().get(url).bearer_auth(token).send().await,
        ("GET", false) => browser.get(url).send().await,
        // Ids a body must carry are given, but name nobody: past the policy, the handler
        // can only refuse them as input.
        (m, true) => Client::new()
            .request(m.parse().unwrap(), url)
            .bearer_auth(token)
            .json(&json!({"worker_id": NOBODY, "person_id": NOBODY, "from_person": NOBODY, "to_person": NOBODY, "kind": ""}))
            .send()
            .await,
        (m, false) => browser
            .request(m.parse().unwrap(), url)
            .form(&[("csrf_token", csrf)])
            .send()
            .await,
    };
    r.unwrap().status().as_u16()
}

fn matches(expected: u16, got: u16) -> bool {
    match expected {
        W => !matches!(got, 401 | 403 | 404) && got < 500,
        P => got < 500,
        e => e == got,
    }
}

#[tokio::test]
async fn every_route_answers_every_role_as_the_matrix_says() {
    let t = spawn_app().await;
    let w = t.world().await;
    let f = Fixtures::make(&t, &w).await;
    let dump = std::env::var("HEARTH_MATRIX_DUMP").is_ok();
    let mut failures = Vec::new();
    let mut seen: Vec<Vec<u16>> = vec![Vec::new(); MATRIX.len()];
    // Reads first, then writes, so that a write that succeeds cannot change what a read sees;
    // writes that would end the session (signing out) are public rows and are not sent.
    for writes in [false, true] {
        for (col, (key, role)) in ROLES.iter().enumerate() {
            let (user_id, email) = &w.staff[key];
            let token = t.token_for(w.org, *user_id).await;
            let browser = t.signed_in(email).await;
            let home = browser
                .get(t.url("/account/password"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let csrf = csrf_in(&home);
            let checks = MATRIX
                .iter()
                .enumerate()
                .filter(|(_, (m, ..))| (*m != "GET") == writes)
                .map(|(i, (method, _, path, expected))| {
                    let (t, browser, csrf, token, f, dump) =
                        (&t, &browser, &csrf, &token, &f, dump);
                    async move {
                        if (expected[col] == P && *method != "GET" && !dump)
                            || path.ends_with("/logout")
                        {
                            return (i, P, P);
                        }
                        let got = answer(t, browser, csrf, token, method, &f.fill(path)).await;
                        (i, expected[col], got)
                    }
                });
            for (i, expected, got) in join_all(checks).await {
                seen[i].push(got);
                if !matches(expected, got) {
                    let (method, _, path, _) = MATRIX[i];
                    failures.push(format!(
                        "{role:?} {method} {path}: expected {expected}, got {got}"
                    ));
                }
            }
        }
    }
    if dump {
        for (i, (method, route, path, _)) in MATRIX.iter().enumerate() {
            println!(
                "    (\"{method}\", \"{route}\", \"{path}\", {:?}),",
                seen[i]
            );
        }
    }
    assert!(
        failures.is_empty(),
        "access matrix broken:\n{}",
        failures.join("\n")
    );
}
