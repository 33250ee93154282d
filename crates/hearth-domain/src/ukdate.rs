//! Showing instants in UK local time. UK summer time runs from 01:00 UTC on the last Sunday
//! of March to 01:00 UTC on the last Sunday of October (the Summer Time Order 2002); a
//! time-zone database would be a heavy dependency for this one rule.

use crate::Timestamp;
use time::{
    macros::format_description, Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset,
    Weekday,
};

fn last_sunday(year: i32, month: Month) -> Date {
    let mut d =
        Date::from_calendar_date(year, month, month.length(year)).expect("valid last day of month");
    while d.weekday() != Weekday::Sunday {
        d = d.previous_day().expect("in range");
    }
    d
}

/// The UK's offset from UTC at this instant: +1 hour in summer time, otherwise none.
pub fn uk_offset(t: Timestamp) -> UtcOffset {
    let utc = t.to_offset(UtcOffset::UTC);
    let year = utc.year();
    let one_am = Time::from_hms(1, 0, 0).expect("valid time");
    let starts = PrimitiveDateTime::new(last_sunday(year, Month::March), one_am).assume_utc();
    let ends = PrimitiveDateTime::new(last_sunday(year, Month::October), one_am).assume_utc();
    if utc >= starts && utc < ends {
        UtcOffset::from_hms(1, 0, 0).expect("valid offset")
    } else {
        UtcOffset::UTC
    }
}

pub fn to_uk(t: Timestamp) -> OffsetDateTime {
    t.to_offset(uk_offset(t))
}

/// The moment a UK wall clock shows this date and time: the offset at that moment taken as
/// UTC, then corrected.
pub fn from_uk(date: Date, time: Time) -> Timestamp {
    let local = PrimitiveDateTime::new(date, time);
    local
        .assume_offset(uk_offset(local.assume_utc()))
        .to_offset(UtcOffset::UTC)
}

/// "23 November 2026, 14:05": the one style for a moment, everywhere.
pub fn format_datetime(t: Timestamp) -> String {
    to_uk(t)
        .format(format_description!(
            "[day padding:none] [month repr:long] [year], [hour]:[minute]"
        ))
        .unwrap_or_default()
}

/// "23 November 2026": for dates in prose.
pub fn format_date(d: Date) -> String {
    d.format(format_description!(
        "[day padding:none] [month repr:long] [year]"
    ))
    .unwrap_or_default()
}

/// A date typed as DD/MM/YYYY (or YYYY-MM-DD, which date pickers send). Empty is `None`.
pub fn parse_date(field: &str, raw: &str, what: &str) -> Result<Option<Date>, crate::FieldError> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    Date::parse(
        s,
        format_description!("[day padding:none]/[month padding:none]/[year]"),
    )
    .or_else(|_| Date::parse(s, format_description!("[year]-[month]-[day]")))
    .map(Some)
    .map_err(|_| {
        crate::FieldError::new(
            field,
            format!("Enter {what} as a real date, like 27/03/2027"),
        )
    })
}

/// The same day a number of months later (or earlier), held to the month's last day: a year
/// after 29 February is 28 February.
pub fn add_months(d: Date, months: i32) -> Date {
    let total = d.year() * 12 + (d.month() as i32 - 1) + months;
    let (year, month0) = (total.div_euclid(12), total.rem_euclid(12));
    let month = Month::try_from(month0 as u8 + 1).expect("month in range");
    let day = d.day().min(month.length(year));
    Date::from_calendar_date(year, month, day).expect("valid date")
}

/// ISO form for storage: sorts as text in date order on both databases.
pub fn iso(d: Date) -> String {
    d.format(format_description!("[year]-[month]-[day]"))
        .unwrap_or_default()
}

/// "23/02/2027": how a date goes back into a form field, in the form staff type it.
pub fn typed(d: Date) -> String {
    d.format(format_description!("[day]/[month]/[year]"))
        .unwrap_or_default()
}

pub fn from_iso(s: &str) -> Option<Date> {
    Date::parse(s, format_description!("[year]-[month]-[day]")).ok()
}

/// Today's date in the UK at this instant.
pub fn uk_today(t: Timestamp) -> Date {
    to_uk(t).date()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn months_are_added_on_the_calendar() {
        assert_eq!(add_months(date!(2026 - 11 - 23), 12), date!(2027 - 11 - 23));
        assert_eq!(
            add_months(date!(2024 - 02 - 29), -12),
            date!(2023 - 02 - 28)
        );
        assert_eq!(add_months(date!(2026 - 01 - 31), 1), date!(2026 - 02 - 28));
        assert_eq!(add_months(date!(2026 - 03 - 15), -3), date!(2025 - 12 - 15));
        assert_eq!(
            from_iso(&iso(date!(2026 - 03 - 05))),
            Some(date!(2026 - 03 - 05))
        );
        assert_eq!(
            parse_date("d", "5/3/2026", "the date").unwrap(),
            Some(date!(2026 - 03 - 05))
        );
        assert!(parse_date("d", "31/2/2026", "the date").is_err());
    }

    #[test]
    fn winter_is_gmt() {
        assert_eq!(
            format_datetime(datetime!(2026-11-23 14:05 UTC)),
            "23 November 2026, 14:05"
        );
    }

    #[test]
    fn summer_is_bst() {
        assert_eq!(
            format_datetime(datetime!(2026-07-01 14:05 UTC)),
            "1 July 2026, 15:05"
        );
    }

    #[test]
    fn changeover_instants() {
        // 2026: BST from 29 March 01:00 UTC to 25 October 01:00 UTC.
        assert_eq!(uk_offset(datetime!(2026-03-29 00:59 UTC)), UtcOffset::UTC);
        assert_eq!(uk_offset(datetime!(2026-03-29 01:00 UTC)).whole_hours(), 1);
        assert_eq!(uk_offset(datetime!(2026-10-25 00:59 UTC)).whole_hours(), 1);
        assert_eq!(uk_offset(datetime!(2026-10-25 01:00 UTC)), UtcOffset::UTC);
    }

    #[test]
    fn dates_in_prose() {
        assert_eq!(format_date(date!(2026 - 11 - 03)), "3 November 2026");
    }
}
