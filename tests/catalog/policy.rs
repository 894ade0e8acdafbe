//! The retention policy against restic's own results: its test calendar and, per policy,
//! what its `ApplyPolicy` keeps and why (`restic_policy.txt`, taken from restic's golden
//! files), plus the cases that file does not cover.

use chrono::{DateTime, NaiveDateTime, Utc};
use ferry::catalog::{Count, Policy, Span};

const GOLDEN: &str = include_str!("restic_policy.txt");

fn at(s: &str) -> DateTime<Utc> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return t.with_timezone(&Utc);
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
        .unwrap_or_else(|e| panic!("{s:?}: {e}"))
        .and_utc()
}

fn policy(spec: &str) -> Policy {
    let mut p = Policy::default();
    for rule in spec.split_whitespace() {
        let (name, value) = rule.split_once('=').expect("name=value");
        let count = || Count::parse(value).expect("count");
        let span = || Span::parse(value).expect("span");
        match name {
            "last" => p.last = count(),
            "hourly" => p.hourly = count(),
            "daily" => p.daily = count(),
            "weekly" => p.weekly = count(),
            "monthly" => p.monthly = count(),
            "yearly" => p.yearly = count(),
            "within" => p.within = span(),
            "within-hourly" => p.within_hourly = span(),
            "within-daily" => p.within_daily = span(),
            "within-weekly" => p.within_weekly = span(),
            "within-monthly" => p.within_monthly = span(),
            "within-yearly" => p.within_yearly = span(),
            other => panic!("unknown rule {other}"),
        }
    }
    p
}

/// The calendar and the `(policy, kept)` cases of the golden file.
type Kept = Vec<(DateTime<Utc>, String)>;

fn golden() -> (Vec<DateTime<Utc>>, Vec<(String, Kept)>) {
    let mut calendar = Vec::new();
    let mut cases: Vec<(String, Kept)> = Vec::new();
    for line in GOLDEN.lines().filter(|l| !l.starts_with('#')) {
        if line == "calendar" {
            continue;
        }
        if let Some(spec) = line.strip_prefix("policy ") {
            let spec = spec.split('#').next().expect("spec").trim();
            cases.push((spec.to_owned(), Vec::new()));
        } else if let Some((_, kept)) = cases.last_mut() {
            let (time, reasons) = line.trim().split_once(' ').expect("time reasons");
            kept.push((at(time), reasons.to_owned()));
        } else {
            calendar.push(at(line.trim()));
        }
    }
    (calendar, cases)
}

#[test]
fn keeps_what_restic_keeps() {
    let (calendar, cases) = golden();
    assert_eq!(calendar.len(), 103);
    assert_eq!(cases.len(), 36);
    // restic keeps equal times in input order: the tie-break is the input position.
    let backups: Vec<(usize, DateTime<Utc>, std::cmp::Reverse<usize>)> = calendar
        .iter()
        .enumerate()
        .map(|(i, t)| (i, *t, std::cmp::Reverse(i)))
        .collect();
    let now = at("2026-01-01 00:00:00");
    for (spec, want) in &cases {
        let verdicts = policy(spec).apply(backups.clone(), now);
        assert_eq!(verdicts.len(), calendar.len(), "{spec}");
        let got: Kept = verdicts
            .iter()
            .filter(|v| v.keep())
            .map(|v| (v.datetime, v.reasons.join(",")))
            .collect();
        assert_eq!(&got, want, "policy {spec}");
    }
}

fn day(d: u32, h: u32) -> DateTime<Utc> {
    at(&format!("2026-03-{d:02} {h:02}:00:00"))
}

fn kept(p: &Policy, backups: &[DateTime<Utc>], now: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let items = backups.iter().map(|t| (*t, *t, 0)).collect();
    p.apply(items, now)
        .into_iter()
        .filter(|v| v.keep())
        .map(|v| v.item)
        .collect()
}

#[test]
fn empty_policy_keeps_everything() {
    let backups = [day(1, 0), day(2, 0), day(3, 0)];
    let verdicts =
        Policy::default().apply(backups.iter().map(|t| (*t, *t, 0)).collect(), day(9, 0));
    assert!(verdicts.iter().all(|v| v.keep()));
    assert_eq!(verdicts[0].item, day(3, 0), "newest first");
}

#[test]
fn within_counts_from_the_newest_backup_not_in_the_future() {
    // A repository whose backups stopped on the 3rd keeps its last days: the span is
    // measured from the newest backup, not from now.
    let backups = [day(1, 12), day(2, 12), day(3, 12), day(20, 12)];
    let p = Policy {
        within: Span::parse("1d").expect("span"),
        ..Policy::default()
    };
    // Now is the 10th: the backup of the 20th is in the future and does not count as newest.
    assert_eq!(
        kept(&p, &backups, day(10, 0)),
        vec![day(20, 12), day(3, 12)]
    );
    // Now is the 21st: it does.
    assert_eq!(kept(&p, &backups, day(21, 0)), vec![day(20, 12)]);
}

#[test]
fn daily_counts_days_that_have_backups_and_keeps_the_oldest_while_counts_remain() {
    // Two a day on the 1st, 2nd, 5th; --keep-daily 2 keeps the newest of the 5th and the
    // 2nd. --keep-daily 5 keeps one a day, and, counts being left, the oldest backup too.
    let backups = [
        day(1, 1),
        day(1, 2),
        day(2, 1),
        day(2, 2),
        day(5, 1),
        day(5, 2),
    ];
    let daily = |n| Policy {
        daily: Count::N(n),
        ..Policy::default()
    };
    assert_eq!(
        kept(&daily(2), &backups, day(9, 0)),
        vec![day(5, 2), day(2, 2)]
    );
    assert_eq!(
        kept(&daily(5), &backups, day(9, 0)),
        vec![day(5, 2), day(2, 2), day(1, 2), day(1, 1)]
    );
    let last = Policy {
        last: Count::N(3),
        ..Policy::default()
    };
    assert_eq!(
        kept(&last, &backups, day(9, 0)),
        vec![day(5, 2), day(5, 1), day(2, 2)]
    );
}
