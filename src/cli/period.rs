//! The command line's dates: `--period START..END`, `--stale-after DURATION|DATE` (units
//! that cannot be misread: `m` alone is refused, `min` or `mo` asked for) and `--fail-on`.

use crate::config::{Period, StaleAfter, StaleLimit};
use crate::model::FailOn;

/// A day written `YYYY-MM-DD`, and its midnight, UTC.
fn day(text: &str) -> Option<(jiff::civil::Date, jiff::Timestamp)> {
    let shaped = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shaped {
        return None;
    }
    let date: jiff::civil::Date = text.parse().ok()?;
    Some((date, midnight(date)?))
}

fn midnight(date: jiff::civil::Date) -> Option<jiff::Timestamp> {
    date.to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

/// `--period START..END`: two days, `YYYY-MM-DD` (UTC), the first not after the last; both
/// days belong to the period.
pub(super) fn parse_period(text: &str) -> Result<Period, String> {
    let text = text.trim();
    let wrong = || {
        format!(
            "{text:?} is not a period: give its first and last days as START..END \
             (YYYY-MM-DD, UTC), e.g. 2026-07-01..2026-09-30"
        )
    };
    let (first, last) = text.split_once("..").ok_or_else(wrong)?;
    let (first, last) = (first.trim(), last.trim());
    let (Some((_, start)), Some((last_date, _))) = (day(first), day(last)) else {
        return Err(wrong());
    };
    let end = last_date
        .tomorrow()
        .ok()
        .and_then(midnight)
        .ok_or_else(wrong)?;
    if start >= end {
        return Err(format!(
            "the period {text:?} ends before it starts: give START..END, the first day first"
        ));
    }
    Ok(Period {
        start,
        end,
        first_day: first.to_owned(),
        last_day: last.to_owned(),
    })
}

/// `--stale-after`: a date (`YYYY-MM-DD`, UTC: stale when collected before it) or a
/// duration (`30d`, `12weeks`, `3mo`, `1y`), kept as written for the reasons. `m` and `M`
/// alone are refused: minutes or months would be a guess.
pub(super) fn parse_stale_after(text: &str) -> Result<StaleAfter, String> {
    let written = text.trim();
    if let Some((_, at)) = day(written) {
        return Ok(StaleAfter {
            limit: StaleLimit::Before(at),
            written: written.to_owned(),
        });
    }
    let mut units = String::with_capacity(written.len() + 8);
    let mut rest = written;
    while let Some(start) = rest.find(|c: char| c.is_ascii_alphabetic()) {
        let (before, from) = rest.split_at(start);
        units.push_str(before);
        let end = from
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(from.len());
        let (unit, after) = from.split_at(end);
        match unit {
            "m" | "M" => {
                return Err(format!(
                    "{written:?}: `{unit}` could be minutes or months: write `min` for \
                     minutes or `mo` for months (e.g. 90min, 3mo)"
                ));
            }
            "mo" => units.push_str("months"),
            other => units.push_str(other),
        }
        rest = after;
    }
    units.push_str(rest);
    let duration = humantime::parse_duration(&units).map_err(|e| {
        format!(
            "{written:?} is neither a date (YYYY-MM-DD) nor a duration (e.g. 30d, 12weeks, \
             3mo, 1y; units min, h, d, w, mo, y): {e}"
        )
    })?;
    if duration.is_zero() {
        return Err("the duration must be longer than 0".to_owned());
    }
    Ok(StaleAfter {
        limit: StaleLimit::Duration(duration),
        written: written.to_owned(),
    })
}

/// `--fail-on RULE[,RULE...]`: `flagged`, a flag's code (`path_only`, `stale`, ...),
/// `unattributed-value` or `out-of-scope`; `-` and `_` alike.
pub(super) fn parse_fail_on(text: &str) -> Result<Vec<FailOn>, String> {
    text.split(',')
        .map(|rule| {
            let rule = rule.trim().replace('_', "-");
            match rule.as_str() {
                "flagged" => Ok(FailOn::Flagged),
                "unattributed-value" => Ok(FailOn::UnattributedValue),
                "out-of-scope" => Ok(FailOn::OutOfScope),
                code => crate::rollup::Flag::CODES
                    .iter()
                    .find(|c| c.replace('_', "-") == code)
                    .map(|c| FailOn::Flag(c))
                    .ok_or_else(|| {
                        format!(
                            "unknown --fail-on rule {rule:?}: give flagged, unattributed-value, \
                             out-of-scope or a flag ({})",
                            crate::rollup::Flag::CODES.join(", ")
                        )
                    }),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn duration(text: &str) -> std::time::Duration {
        match parse_stale_after(text).unwrap().limit {
            StaleLimit::Duration(d) => d,
            StaleLimit::Before(_) => panic!("{text} read as a date"),
        }
    }

    #[test]
    fn months_are_never_read_as_minutes() {
        for text in ["3m", "3M", "1y 3m", "90 m"] {
            let err = parse_stale_after(text).unwrap_err();
            assert!(err.contains("`min`") && err.contains("`mo`"), "{err}");
        }
        assert_eq!(duration("3mo"), duration("3months"));
        assert!(duration("3mo") > duration("90d"));
        assert_eq!(duration("90min").as_secs(), 90 * 60);
        assert_eq!(duration("30d").as_secs(), 30 * 86_400);
        for kept in [
            "12weeks",
            "90days",
            "2w",
            "36h",
            "1y",
            "1year 2mo",
            "45minutes",
        ] {
            assert!(parse_stale_after(kept).is_ok(), "{kept}");
        }
        assert!(parse_stale_after("0d").is_err());
        assert!(parse_stale_after("soon").is_err());
    }

    #[test]
    fn a_date_is_a_cutoff() {
        let stale = parse_stale_after("2026-07-01").unwrap();
        assert_eq!(
            stale.limit,
            StaleLimit::Before("2026-07-01T00:00:00Z".parse().unwrap())
        );
        assert!(parse_stale_after("2026-13-01").is_err());
    }

    #[test]
    fn periods_are_whole_days_in_order() {
        let period = parse_period("2026-07-01..2026-09-30").unwrap();
        assert_eq!(period.start, "2026-07-01T00:00:00Z".parse().unwrap());
        assert_eq!(period.end, "2026-10-01T00:00:00Z".parse().unwrap());
        assert_eq!(period.last_day, "2026-09-30");
        assert!(parse_period("2026-09-30..2026-09-30").is_ok());
        assert!(parse_period("2026-09-30..2026-07-01").is_err());
        assert!(parse_period("2026-07-01").is_err());
        assert!(parse_period("2026-07-01..2026-09-31").is_err());
        assert!(parse_period("Q3..2026").is_err());
    }

    #[test]
    fn fail_on_takes_rules_and_flag_codes() {
        assert_eq!(
            parse_fail_on("flagged,unattributed-value,out_of_scope,path-only").unwrap(),
            [
                FailOn::Flagged,
                FailOn::UnattributedValue,
                FailOn::OutOfScope,
                FailOn::Flag("path_only")
            ]
        );
        assert!(
            parse_fail_on("weak")
                .unwrap_err()
                .contains("date_from_file_time")
        );
    }
}
