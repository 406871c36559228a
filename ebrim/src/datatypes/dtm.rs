//! DTM timestamps as XDS restricts them.

use super::{DatatypeError, string_datatype};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// An XDS DTM: `YYYY[MM[DD[hh[mm[ss]]]]]`, digits only, in UTC (ITI TF-3
/// 4.2.3.1.7). Time zones and fractional seconds are not allowed. The value
/// keeps its precision; [`Dtm::normalized`] gives the 14-character form the
/// database orders by.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Dtm(String);

impl Dtm {
    const KIND: &'static str = "DTM timestamp";

    pub fn parse(value: &str) -> Result<Self, DatatypeError> {
        let err = |reason| DatatypeError::new(Self::KIND, value, reason);
        if !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err(
                "only digits are allowed (YYYY[MM[DD[hh[mm[ss]]]]], UTC, no time zone)",
            ));
        }
        if !matches!(value.len(), 4 | 6 | 8 | 10 | 12 | 14) {
            return Err(err(
                "expected 4, 6, 8, 10, 12 or 14 digits (YYYY[MM[DD[hh[mm[ss]]]]])",
            ));
        }
        // All ASCII digits, so byte slicing is safe and parsing cannot fail.
        let field =
            |from: usize| -> Option<u32> { value.get(from..from + 2).and_then(|f| f.parse().ok()) };
        let year: u32 = value
            .get(..4)
            .and_then(|f| f.parse().ok())
            .unwrap_or_default();
        if let Some(month) = field(4) {
            if !(1..=12).contains(&month) {
                return Err(err("month out of range 01-12"));
            }
            if let Some(day) = field(6)
                && !(1..=days_in_month(year, month)).contains(&day)
            {
                return Err(err("day out of range for the month"));
            }
        }
        if field(8).is_some_and(|hour| hour > 23) {
            return Err(err("hour out of range 00-23"));
        }
        if field(10).is_some_and(|minute| minute > 59) {
            return Err(err("minute out of range 00-59"));
        }
        if field(12).is_some_and(|second| second > 59) {
            return Err(err("second out of range 00-59"));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value right-padded with `0` to 14 characters (`2004` ->
    /// `20040000000000`). Lexical order of normalized strings is time order,
    /// and a bound given at low precision sorts before every value inside
    /// it, which is what `From <= value < To` needs.
    pub fn normalized(&self) -> String {
        format!("{:0<14}", self.0)
    }

    /// Compares two timestamps on the precision both have: `2006` and
    /// `20060315` are `Equal` because the year contains the day. Used for
    /// serviceStartTime <= serviceStopTime, where a coarse stop time covers
    /// its whole period.
    pub fn cmp_common_precision(&self, other: &Dtm) -> Ordering {
        let n = self.0.len().min(other.0.len());
        self.0.get(..n).cmp(&other.0.get(..n))
    }
}

string_datatype!(Dtm);

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn accepts_every_precision() {
        for ok in [
            "2004",
            "200412",
            "20041224",
            "2004122408",
            "200412240856",
            "20041224085659",
            "20000229",
            "20240229",
        ] {
            assert_eq!(Dtm::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn rejects_bad_lengths_characters_and_ranges() {
        for bad in [
            "",
            "200",
            "20041",
            "2004-12-24",
            "20041224085659.123",
            "20041224085659+0100",
            "200413",
            "200400",
            "20040230",
            "19000229",
            "20230229",
            "20040431",
            "2004122424",
            "200412240860",
            "20041224085960",
            "２００４",
        ] {
            assert!(Dtm::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn normalized_orders_like_time() {
        assert_eq!(Dtm::parse("2004").unwrap().normalized(), "20040000000000");
        assert_eq!(
            Dtm::parse("200412240856").unwrap().normalized(),
            "20041224085600"
        );
        let mut values: Vec<String> = ["20050101", "2004", "20041231235959", "200412"]
            .iter()
            .map(|v| Dtm::parse(v).unwrap().normalized())
            .collect();
        values.sort();
        assert_eq!(
            values,
            [
                "20040000000000",
                "20041200000000",
                "20041231235959",
                "20050101000000"
            ]
        );
    }

    #[test]
    fn common_precision_comparison() {
        let year = Dtm::parse("2006").unwrap();
        let day = Dtm::parse("20060315").unwrap();
        let later = Dtm::parse("20070101").unwrap();
        assert_eq!(day.cmp_common_precision(&year), Ordering::Equal);
        assert_eq!(later.cmp_common_precision(&year), Ordering::Greater);
        assert_eq!(year.cmp_common_precision(&later), Ordering::Less);
    }
}
