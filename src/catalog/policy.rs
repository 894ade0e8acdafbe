//! Which backups a retention policy keeps: restic's `forget` semantics, on backup datetimes.
//!
//! Mirrors `ApplyPolicy` of restic (`internal/data/snapshot_policy.go`, as of 2026) so that operators
//! who know `restic forget --keep-daily 7` get the same answer from `ferry prune`:
//!
//! 1. Backups are ordered newest first (by datetime, UTC; equal datetimes by id, descending).
//! 2. An empty policy keeps everything.
//! 3. `--keep-within SPAN` keeps every backup strictly newer than *the newest backup* minus
//!    SPAN (not now minus SPAN: a repository that stopped receiving backups does not empty
//!    itself). The newest backup is the newest one not in the future.
//! 4. Each count rule (`last`, `hourly`, `daily`, `weekly`, `monthly`, `yearly`) is a bucket
//!    with a counter. Going from the newest backup to the oldest, a backup whose period (its
//!    hour, day, ISO week, month or year; for `last` every backup is its own period) differs
//!    from the period of the last backup that rule kept is kept by it, and the counter drops
//!    by one; when the counter is 0 the rule keeps nothing more. So `--keep-daily 7` keeps the
//!    newest backup of each of the 7 most recent days *that have a backup* (days without one
//!    do not count), and the rules are independent: one backup may be kept by several.
//! 5. restic's extra rule: while a rule still has counts left, it also keeps the *oldest*
//!    backup, even when that one's period is the same as the last one it kept (the reason
//!    then reads `oldest daily`). This keeps the longest history possible while the counts
//!    are not used up.
//! 6. `unlimited` for a count keeps one backup per period without limit.
//! 7. `--keep-within-hourly SPAN` (and daily, weekly, monthly, yearly) keeps the newest backup
//!    of each period, for backups within SPAN of the newest, with no count; rule 5 holds for
//!    them too, when the oldest backup is within SPAN.
//!
//! Spans are restic's: `1y5m7d2h` is years, *months*, days and hours, taken off the calendar
//! (`m` is months here, unlike `--max-age`). Going back a month from the 31st lands on the
//! last day of the shorter month (restic's Go arithmetic would land on the 1st–3rd of the next).

use chrono::{DateTime, Datelike, Months, Timelike, Utc};

/// How many backups a count rule keeps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Count {
    /// Keep this many (0: the rule is off).
    #[default]
    Off,
    N(u32),
    /// One per period, without limit (restic's `unlimited`).
    Unlimited,
}

impl Count {
    /// `7`, `0` or `unlimited`.
    pub fn parse(s: &str) -> Result<Count, String> {
        match s.trim() {
            "unlimited" => Ok(Count::Unlimited),
            n => match n.parse::<u32>() {
                Ok(0) => Ok(Count::Off),
                Ok(n) => Ok(Count::N(n)),
                Err(_) => Err(format!("{s:?} is not a count (a number or \"unlimited\")")),
            },
        }
    }

    fn is_on(self) -> bool {
        !matches!(self, Count::Off | Count::N(0))
    }
}

/// A calendar span, restic's `Duration`: `2y`, `6m` (months), `30d`, `12h`, or sums of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Span {
    pub years: u32,
    pub months: u32,
    pub days: u32,
    pub hours: u32,
}

impl Span {
    pub fn parse(s: &str) -> Result<Span, String> {
        let bad = || format!("{s:?} is not a span such as 30d, 6m (months), 1y or 1y6m2d12h");
        let mut span = Span::default();
        let mut rest = s.trim();
        if rest.is_empty() {
            return Err(bad());
        }
        while !rest.is_empty() {
            let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
            let n: u32 = rest[..digits].parse().map_err(|_| bad())?;
            let field = match rest[digits..].chars().next() {
                Some('y') => &mut span.years,
                Some('m') => &mut span.months,
                Some('d') => &mut span.days,
                Some('h') => &mut span.hours,
                _ => return Err(bad()),
            };
            *field = n;
            rest = &rest[digits + 1..];
        }
        Ok(span)
    }

    pub fn is_zero(&self) -> bool {
        *self == Span::default()
    }

    /// The moment this span before `t`; the earliest representable time when it goes past it.
    pub fn before(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        let months = self.years.saturating_mul(12).saturating_add(self.months);
        t.checked_sub_months(Months::new(months))
            .and_then(|t| t.checked_sub_days(chrono::Days::new(self.days.into())))
            .and_then(|t| t.checked_sub_signed(chrono::Duration::hours(self.hours.into())))
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    }
}

impl std::fmt::Display for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (n, unit) in [
            (self.years, 'y'),
            (self.months, 'm'),
            (self.days, 'd'),
            (self.hours, 'h'),
        ] {
            if n != 0 {
                write!(f, "{n}{unit}")?;
            }
        }
        Ok(())
    }
}

/// A retention policy (`ferry prune --keep-...`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    pub last: Count,
    pub hourly: Count,
    pub daily: Count,
    pub weekly: Count,
    pub monthly: Count,
    pub yearly: Count,
    pub within: Span,
    pub within_hourly: Span,
    pub within_daily: Span,
    pub within_weekly: Span,
    pub within_monthly: Span,
    pub within_yearly: Span,
}

/// A period a backup falls in, as one comparable number (restic's "bucker").
#[derive(Debug, Clone, Copy)]
enum Period {
    Each,
    Hour,
    Day,
    Week,
    Month,
    Year,
}

impl Period {
    fn of(self, t: DateTime<Utc>, nr: usize) -> i64 {
        let (y, m, d, h) = (
            i64::from(t.year()),
            i64::from(t.month()),
            i64::from(t.day()),
            i64::from(t.hour()),
        );
        match self {
            Period::Each => nr as i64,
            Period::Hour => ((y * 100 + m) * 100 + d) * 100 + h,
            Period::Day => (y * 100 + m) * 100 + d,
            Period::Week => {
                let w = t.iso_week();
                i64::from(w.year()) * 100 + i64::from(w.week())
            }
            Period::Month => y * 100 + m,
            Period::Year => y,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Period::Each => "last",
            Period::Hour => "hourly",
            Period::Day => "daily",
            Period::Week => "weekly",
            Period::Month => "monthly",
            Period::Year => "yearly",
        }
    }
}

/// The verdict on one backup: kept (with every rule that keeps it) or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict<T> {
    pub item: T,
    pub datetime: DateTime<Utc>,
    /// Why it is kept (`daily`, `within 30d`, `weekly within 1y`, ...); empty: remove it.
    pub reasons: Vec<String>,
}

impl<T> Verdict<T> {
    pub fn keep(&self) -> bool {
        !self.reasons.is_empty()
    }
}

impl Policy {
    /// No rule set: [`Policy::apply`] keeps everything.
    pub fn is_empty(&self) -> bool {
        *self == Policy::default()
    }

    /// Decides for every backup, given as `(item, datetime, tie-break key)`; the verdicts
    /// come newest first. `now` only decides which backups are "in the future" (rule 3).
    pub fn apply<T, K: Ord>(
        &self,
        mut backups: Vec<(T, DateTime<Utc>, K)>,
        now: DateTime<Utc>,
    ) -> Vec<Verdict<T>> {
        backups.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| b.2.cmp(&a.2)));
        if self.is_empty() {
            return backups
                .into_iter()
                .map(|(item, datetime, _)| Verdict {
                    item,
                    datetime,
                    reasons: vec!["the policy is empty".into()],
                })
                .collect();
        }
        let latest = backups
            .iter()
            .map(|b| b.1)
            .filter(|t| *t < now)
            .max()
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        let mut counted = [
            (self.last, Period::Each),
            (self.hourly, Period::Hour),
            (self.daily, Period::Day),
            (self.weekly, Period::Week),
            (self.monthly, Period::Month),
            (self.yearly, Period::Year),
        ]
        .map(|(count, period)| (count, period, None::<i64>));
        let mut within = [
            (self.within_hourly, Period::Hour),
            (self.within_daily, Period::Day),
            (self.within_weekly, Period::Week),
            (self.within_monthly, Period::Month),
            (self.within_yearly, Period::Year),
        ]
        .map(|(span, period)| (span, period, None::<i64>));
        let oldest = backups.len().saturating_sub(1);
        let mut out = Vec::with_capacity(backups.len());
        for (nr, (item, datetime, _)) in backups.into_iter().enumerate() {
            let mut reasons = Vec::new();
            if !self.within.is_zero() && datetime > self.within.before(latest) {
                reasons.push(format!("within {}", self.within));
            }
            for (count, period, last) in &mut counted {
                if !count.is_on() {
                    continue;
                }
                let value = period.of(datetime, nr);
                if Some(value) != *last || nr == oldest {
                    reasons.push(reason(Some(value) == *last, period.name()));
                    *last = Some(value);
                    if let Count::N(n) = count {
                        *n -= 1;
                        if *n == 0 {
                            *count = Count::Off;
                        }
                    }
                }
            }
            for (span, period, last) in &mut within {
                if span.is_zero() || datetime <= span.before(latest) {
                    continue;
                }
                let value = period.of(datetime, nr);
                if Some(value) != *last || nr == oldest {
                    let name = format!("{} within", period.name());
                    reasons.push(format!("{} {span}", reason(Some(value) == *last, &name)));
                    *last = Some(value);
                }
            }
            out.push(Verdict {
                item,
                datetime,
                reasons,
            });
        }
        out
    }
}

/// A rule's reason; `oldest ...` when only rule 5 keeps the backup.
fn reason(only_as_oldest: bool, name: &str) -> String {
    if only_as_oldest {
        format!("oldest {name}")
    } else {
        name.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_spans_parse() {
        assert_eq!(Count::parse("7"), Ok(Count::N(7)));
        assert_eq!(Count::parse("0"), Ok(Count::Off));
        assert_eq!(Count::parse("unlimited"), Ok(Count::Unlimited));
        for bad in ["-1", "x", "", "1.5"] {
            assert!(Count::parse(bad).is_err(), "{bad:?}");
        }
        let s = Span::parse("1y1d1m").expect("span");
        assert_eq!((s.years, s.months, s.days, s.hours), (1, 1, 1, 0));
        assert_eq!(s.to_string(), "1y1m1d");
        assert_eq!(Span::parse("30d").expect("span").to_string(), "30d");
        for bad in ["", "d", "5", "5x", "1h30", "-1d", "1.5d"] {
            assert!(Span::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn spans_go_back_on_the_calendar() {
        let t = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .expect("time")
                .with_timezone(&Utc)
        };
        let span = |s: &str| Span::parse(s).expect("span");
        assert_eq!(
            span("1m").before(t("2026-03-31T10:00:00Z")),
            t("2026-02-28T10:00:00Z")
        );
        assert_eq!(
            span("1y2m3d3h").before(t("2016-01-18T12:02:03Z")),
            t("2014-11-15T09:02:03Z")
        );
        assert_eq!(
            span("4000000000y").before(t("2016-01-18T12:02:03Z")),
            DateTime::<Utc>::MIN_UTC
        );
    }
}
