//! How screens show a moment: `YYYY-MM-DD HH:MM UTC`, the same for every
//! viewer whatever their time zone (the audit log, invitation expiries).

use shared::dates::civil_from_days;

/// Milliseconds since the Unix epoch as `YYYY-MM-DD HH:MM UTC`.
pub fn format_utc(ms: i64) -> String {
    let seconds = ms.div_euclid(1_000);
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let of_day = seconds.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        of_day / 3_600,
        of_day % 3_600 / 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_times() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_utc(951_782_400_000), "2000-02-29 00:00 UTC");
        assert_eq!(format_utc(1_709_251_199_000), "2024-02-29 23:59 UTC");
        assert_eq!(
            format_utc(1_735_689_600_000 - 60_000),
            "2024-12-31 23:59 UTC"
        );
        assert_eq!(format_utc(-1), "1969-12-31 23:59 UTC");
        assert_eq!(format_utc(4_102_444_800_000), "2100-01-01 00:00 UTC");
    }

    #[test]
    fn days_round_trip_over_four_centuries() {
        // Consecutive days give consecutive dates.
        let mut previous = civil_from_days(-1);
        for days in 0..146_097 {
            let (year, month, day) = civil_from_days(days);
            let (py, pm, pd) = previous;
            let next_day = (year, month, day) == (py, pm, pd + 1);
            let next_month = day == 1
                && ((year == py && month == pm + 1) || (year == py + 1 && month == 1 && pm == 12));
            assert!(
                next_day || next_month,
                "{previous:?} -> {:?}",
                (year, month, day)
            );
            previous = (year, month, day);
        }
    }
}
