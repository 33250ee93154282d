//! First-contact targets: how soon after a referral the service must first speak with the person,
//! by risk. Working days skip Saturdays and Sundays in UK time. (Bank holidays are not yet known
//! to Hearth: a target that falls on one is a day early, which errs on the side of safety.)

use crate::Timestamp;
use serde::Deserialize;
use time::{Duration, Weekday};

/// Days allowed for first contact, by risk. From configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FirstContactTargets {
    /// High risk: a risk checklist score at or above the threshold.
    pub high_risk_working_days: u32,
    pub other_working_days: u32,
}

impl Default for FirstContactTargets {
    fn default() -> Self {
        Self {
            high_risk_working_days: 1,
            other_working_days: 3,
        }
    }
}

/// The standard checklist's high-risk threshold (14 yes answers).
pub const HIGH_RISK_SCORE: u8 = 14;

impl FirstContactTargets {
    pub fn days_for(&self, dash_score: Option<u8>) -> u32 {
        if dash_score.is_some_and(|s| s >= HIGH_RISK_SCORE) {
            self.high_risk_working_days
        } else {
            self.other_working_days
        }
    }
}

/// `start` plus whole working days, at the same time of day (UK weekends skipped).
pub fn add_working_days(start: Timestamp, days: u32) -> Timestamp {
    let mut t = start;
    let mut left = days;
    while left > 0 {
        t += Duration::days(1);
        let wd = crate::ukdate::to_uk(t).weekday();
        if wd != Weekday::Saturday && wd != Weekday::Sunday {
            left -= 1;
        }
    }
    t
}

/// Where a case stands against its first-contact target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstContact {
    /// Made, on or after referral.
    Made { at: Timestamp, on_time: bool },
    /// Not yet made; due by this time.
    Due { by: Timestamp },
    /// Not yet made and past the target.
    Overdue { since: Timestamp },
}

pub fn first_contact_status(
    referred_at: Timestamp,
    dash_score: Option<u8>,
    first_successful_contact: Option<Timestamp>,
    targets: &FirstContactTargets,
    now: Timestamp,
) -> FirstContact {
    let due = add_working_days(referred_at, targets.days_for(dash_score));
    match first_successful_contact {
        Some(at) => FirstContact::Made {
            at,
            on_time: at <= due,
        },
        None if now > due => FirstContact::Overdue { since: due },
        None => FirstContact::Due { by: due },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn working_days_skip_weekends() {
        // Friday 20 November 2026, 15:00 UTC.
        let friday = datetime!(2026-11-20 15:00 UTC);
        assert_eq!(
            add_working_days(friday, 1),
            datetime!(2026-11-23 15:00 UTC),
            "Friday + 1 is Monday"
        );
        assert_eq!(add_working_days(friday, 3), datetime!(2026-11-25 15:00 UTC));
        assert_eq!(
            add_working_days(datetime!(2026-11-21 10:00 UTC), 1),
            datetime!(2026-11-23 10:00 UTC),
            "Saturday + 1 is Monday"
        );
        assert_eq!(add_working_days(friday, 0), friday);
    }

    #[test]
    fn high_risk_is_due_sooner() {
        let t = FirstContactTargets::default();
        let referred = datetime!(2026-11-23 09:00 UTC); // a Monday
        let now = datetime!(2026-11-24 10:00 UTC);
        assert_eq!(
            first_contact_status(referred, Some(15), None, &t, now),
            FirstContact::Overdue {
                since: datetime!(2026-11-24 09:00 UTC)
            }
        );
        assert_eq!(
            first_contact_status(referred, Some(9), None, &t, now),
            FirstContact::Due {
                by: datetime!(2026-11-26 09:00 UTC)
            }
        );
        assert_eq!(
            first_contact_status(referred, None, None, &t, now),
            FirstContact::Due {
                by: datetime!(2026-11-26 09:00 UTC)
            }
        );
        let made = datetime!(2026-11-23 16:00 UTC);
        assert_eq!(
            first_contact_status(referred, Some(15), Some(made), &t, now),
            FirstContact::Made {
                at: made,
                on_time: true
            }
        );
        let late = datetime!(2026-11-25 16:00 UTC);
        assert_eq!(
            first_contact_status(referred, Some(15), Some(late), &t, now),
            FirstContact::Made {
                at: late,
                on_time: false
            }
        );
    }
}
