//! How figures and times read on the pages: quantities without trailing zeros, money with two
//! decimals and thousands separators, times as "how long ago".

use chrono::{DateTime, Utc};

/// How long ago, in words.
pub fn ago(at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    let Some(at) = at else { return "never".into() };
    let seconds = (now - at).num_seconds().max(0);
    match seconds {
        0..60 => format!("{seconds} s ago"),
        60..3_600 => format!("{} min ago", seconds / 60),
        3_600..172_800 => format!("{} h ago", seconds / 3_600),
        _ => format!("{} days ago", seconds / 86_400),
    }
}

/// A quantity as people read it: no trailing zeros, at most three decimals.
pub fn quantity(value: f64) -> String {
    let rounded = (value * 1000.0).round() / 1000.0;
    let text = format!("{rounded:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" { "0".into() } else { text.into() }
}

/// Money with two decimals and thousands separators.
pub fn money(value: f64) -> String {
    let cents = (value * 100.0).round() as i64;
    let (sign, cents) = if cents < 0 { ("-", -cents) } else { ("", cents) };
    let units = (cents / 100).to_string();
    let mut grouped = String::new();
    for (n, digit) in units.chars().enumerate() {
        if n > 0 && (units.len() - n).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("{sign}{grouped}.{:02}", cents % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_and_money_read_as_people_write_them() {
        assert_eq!(quantity(12.0), "12");
        assert_eq!(quantity(-3.5), "-3.5");
        assert_eq!(quantity(0.0001), "0");
        assert_eq!(quantity(-0.0001), "0");
        assert_eq!(money(1234567.891), "1,234,567.89");
        assert_eq!(money(-12.5), "-12.50");
        assert_eq!(money(999.999), "1,000.00");
    }
}
