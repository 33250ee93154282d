//! The main navigation: which links a role has, and which one the page being served sits under,
//! so the current page is marked for screen readers (`aria-current`) and by eye.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

tokio::task_local! {
    /// The path of the page being rendered. Set around each page request, so the layout can mark
    /// the current section without every handler passing it along.
    static PATH: String;
}

/// Remember the request's path while its page is rendered.
pub async fn remember_path(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    PATH.scope(path, next.run(req)).await
}

pub(crate) fn current_path() -> String {
    PATH.try_with(Clone::clone).unwrap_or_default()
}

/// One link in the main navigation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    /// `Some("page")` on the page itself, `Some("true")` on a page within its section.
    pub current: Option<&'static str>,
}

/// The sections of the service and the paths that sit under each, beyond its own.
const SECTIONS: &[(&str, &[&str])] = &[
    ("/", &[]),
    ("/cases", &["/cases/", "/people/"]),
    ("/team", &["/team/"]),
    ("/triage", &["/triage/", "/referrals/"]),
    ("/marac", &["/marac/"]),
    ("/admin/users", &["/admin/users/"]),
    ("/admin/tokens", &[]),
    ("/admin/instruments", &["/admin/instruments/"]),
    ("/audit", &["/audit/"]),
    ("/break-glass/log", &[]),
];

/// How `path` stands to the section at `href`.
pub fn current(href: &str, path: &str) -> Option<&'static str> {
    if path == href {
        return Some("page");
    }
    SECTIONS
        .iter()
        .find(|(h, _)| *h == href)
        .filter(|(_, under)| under.iter().any(|u| path.starts_with(u)))
        .map(|_| "true")
}

/// The links shown, in order, given what the role may do.
pub fn links(path: &str, shown: &[(&'static str, &'static str, bool)]) -> Vec<NavLink> {
    shown
        .iter()
        .filter(|(.., on)| *on)
        .map(|&(href, label, _)| NavLink {
            href,
            label,
            current: current(href, path),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_itself_and_pages_under_it_are_marked_differently() {
        assert_eq!(current("/", "/"), Some("page"));
        assert_eq!(current("/", "/cases"), None, "home is not every page");
        assert_eq!(current("/cases", "/cases"), Some("page"));
        assert_eq!(current("/cases", "/cases/0b3e/history"), Some("true"));
        assert_eq!(current("/cases", "/people/0b3e"), Some("true"));
        assert_eq!(current("/team", "/cases"), None);
        assert_eq!(current("/admin/users", "/admin/users/new"), Some("true"));
        assert_eq!(current("/admin/users", "/admin/tokens"), None);
    }

    #[test]
    fn links_a_role_may_not_use_are_left_out() {
        let l = links(
            "/team",
            &[
                ("/", "Home", true),
                ("/team", "Team", true),
                ("/audit", "Audit", false),
            ],
        );
        assert_eq!(l.len(), 2);
        assert_eq!(l[1].current, Some("page"));
        assert_eq!(l[0].current, None);
    }
}
