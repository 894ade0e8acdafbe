//! `--bwlimit`'s value, in rclone's forms (`fs/bwtimetable.go`): one rate (`10M`), an
//! upload:download pair (`10M:100k`), `off`, or a timetable of such values that change at
//! given times of the day or the week (`08:00,512k 19:00,off`, `Mon-08:00,1M Sat-00:00,off`).
//! Sizes are Ferry's (and rclone's): a bare number is KiB. `0` is no limit, as in rclone.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Timelike};

use crate::config::parse_size_str;

/// Bytes per second each way; `None`: no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rate {
    /// Writes to a remote store (rclone's Tx).
    pub up: Option<u64>,
    /// Reads from a remote store (rclone's Rx).
    pub down: Option<u64>,
}

impl Rate {
    /// The limit on a copy's file data. One value (`10M`) limits every copy, local ones
    /// too, as rclone's single `--bwlimit` limits all accounted data. A pair (`10M:100k`)
    /// limits, as rclone's does, the traffic with remote stores: uploads by the first,
    /// downloads by the second, a copy between two remotes by the smaller, and a local copy
    /// not at all.
    pub fn limit(self, src_remote: bool, dst_remote: bool) -> Option<u64> {
        if self.up == self.down {
            return self.up;
        }
        match (src_remote, dst_remote) {
            (false, true) => self.up,
            (true, false) => self.down,
            (true, true) => match (self.up, self.down) {
                (Some(u), Some(d)) => Some(u.min(d)),
                (u, d) => u.or(d),
            },
            (false, false) => None,
        }
    }
}

impl FromStr for Rate {
    type Err = String;

    /// `SIZE` or `SIZE:SIZE`, each a size or `off`.
    fn from_str(s: &str) -> Result<Rate, String> {
        let one = |v: &str| -> Result<Option<u64>, String> {
            if v.eq_ignore_ascii_case("off") {
                return Ok(None);
            }
            parse_size_str(v)
                .map(|b| Some(b).filter(|b| *b > 0))
                .ok_or_else(|| {
                    format!("invalid bandwidth {v:?} (a size such as 512k or 10M, or off)")
                })
        };
        match s.split_once(':') {
            Some((up, down)) => Ok(Rate {
                up: one(up)?,
                down: one(down)?,
            }),
            None => {
                let r = one(s)?;
                Ok(Rate { up: r, down: r })
            }
        }
    }
}

/// One entry: from this minute of the week (0 = Sunday 00:00) on, this rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    minute: u32,
    rate: Rate,
}

const DAY: u32 = 24 * 60;

/// A parsed `--bwlimit`: the rate, or the rates by time of the week (local time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BwTimetable {
    /// Sorted by minute of the week.
    slots: Vec<Slot>,
    /// Before the week's first slot: the rate of the entry given last, as rclone's
    /// `LimitAt` starts from `x[len(x)-1]` (not the latest of the week).
    wrap: Rate,
}

impl BwTimetable {
    /// One rate at all times.
    pub fn constant(rate: Rate) -> Self {
        BwTimetable {
            slots: vec![Slot { minute: 0, rate }],
            wrap: rate,
        }
    }

    /// The rate in force at `minute` of the week (0 = Sunday 00:00): the latest slot at or
    /// before it, else (before the week's first slot) the entry given last, as in rclone.
    pub fn at(&self, minute: u32) -> Rate {
        self.slots
            .iter()
            .rev()
            .find(|s| s.minute <= minute)
            .map_or(self.wrap, |s| s.rate)
    }

    /// The rate in force now, by this machine's local time.
    pub fn now(&self) -> Rate {
        if self.slots.len() == 1 {
            return self.slots[0].rate;
        }
        let t = chrono::Local::now();
        let minute = t.weekday().num_days_from_sunday() * DAY + t.hour() * 60 + t.minute();
        self.at(minute)
    }
}

/// `HH:MM` → minutes since midnight.
fn hour(hhmm: &str) -> Result<u32, String> {
    let bad = || format!("invalid time specification (hh:mm): {hhmm:?}");
    let (h, m) = hhmm.split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(bad());
    }
    let h: u32 = h.parse().map_err(|_| bad())?;
    let m: u32 = m.parse().map_err(|_| bad())?;
    if h > 23 {
        return Err(format!(
            "invalid hour (must be between 00 and 23): {hhmm:?}"
        ));
    }
    if m > 59 {
        return Err(format!(
            "invalid minute (must be between 00 and 59): {hhmm:?}"
        ));
    }
    Ok(h * 60 + m)
}

/// `mon`/`monday`… (any case) → days since Sunday.
fn weekday(day: &str) -> Result<u32, String> {
    const DAYS: [&str; 7] = [
        "sunday",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
    ];
    let d = day.to_ascii_lowercase();
    DAYS.iter()
        .position(|full| d == *full || d == full[..3])
        .map(|i| i as u32)
        .ok_or_else(|| format!("invalid weekday: {day:?}"))
}

impl FromStr for BwTimetable {
    type Err = String;

    /// rclone's forms: a value alone, or entries `[DAY-]HH:MM,VALUE` separated by spaces or
    /// semicolons; an entry without a day holds for that time on every day.
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("empty bandwidth limit".into());
        }
        if !s.contains([' ', ',', ';']) {
            return Ok(BwTimetable::constant(s.parse()?));
        }
        let mut slots = Vec::new();
        for entry in s.split([' ', ';']).filter(|e| !e.is_empty()) {
            let Some((when, rate)) = entry.split_once(',').filter(|(_, r)| !r.contains(',')) else {
                return Err(format!("invalid time/bandwidth specification: {entry:?}"));
            };
            let rate: Rate = rate.parse()?;
            match when.split_once('-') {
                Some((day, hhmm)) => slots.push(Slot {
                    minute: weekday(day)? * DAY + hour(hhmm)?,
                    rate,
                }),
                None => {
                    let m = hour(when)?;
                    slots.extend((0..7).map(|d| Slot {
                        minute: d * DAY + m,
                        rate,
                    }));
                }
            }
        }
        let wrap = slots.last().map_or_else(Rate::default, |s: &Slot| s.rate);
        // A later entry for the same minute wins, as it would in rclone's list.
        slots.reverse();
        slots.sort_by_key(|s| s.minute);
        slots.dedup_by_key(|s| s.minute);
        Ok(BwTimetable { slots, wrap })
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let one = |r: Option<u64>| r.map_or("off".to_owned(), |b| format!("{b}B"));
        if self.up == self.down {
            f.write_str(&one(self.up))
        } else {
            write!(f, "{}:{}", one(self.up), one(self.down))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K: u64 = 1 << 10;
    const M: u64 = 1 << 20;

    fn rate(up: Option<u64>, down: Option<u64>) -> Rate {
        Rate { up, down }
    }

    #[test]
    fn single_values_pairs_and_off() {
        let t = |s: &str| s.parse::<BwTimetable>().expect(s).at(0);
        assert_eq!(t("10M"), rate(Some(10 * M), Some(10 * M)));
        assert_eq!(t("512"), rate(Some(512 * K), Some(512 * K)), "bare is KiB");
        assert_eq!(t("10M:100k"), rate(Some(10 * M), Some(100 * K)));
        assert_eq!(t("off"), rate(None, None));
        assert_eq!(t("0"), rate(None, None));
        assert_eq!(t("off:1M"), rate(None, Some(M)));
        for bad in ["", "fast", "10M:x", "1M:2M:3M"] {
            assert!(bad.parse::<BwTimetable>().is_err(), "{bad}");
        }
    }

    #[test]
    fn pairs_limit_the_network_side() {
        let pair = rate(Some(10 * M), Some(100 * K));
        assert_eq!(pair.limit(false, true), Some(10 * M), "upload");
        assert_eq!(pair.limit(true, false), Some(100 * K), "download");
        assert_eq!(pair.limit(true, true), Some(100 * K), "both: the smaller");
        assert_eq!(pair.limit(false, false), None, "local: no transport");
        let one = rate(Some(M), Some(M));
        assert_eq!(
            one.limit(false, false),
            Some(M),
            "one value limits everything"
        );
    }

    #[test]
    fn timetables_by_day_and_week() {
        let t: BwTimetable = "08:00,512k 19:00,off".parse().expect("parses");
        let at = |day: u32, h: u32, m: u32| t.at(day * DAY + h * 60 + m);
        let slow = rate(Some(512 * K), Some(512 * K));
        assert_eq!(at(1, 8, 0), slow);
        assert_eq!(at(3, 18, 59), slow);
        assert_eq!(at(3, 19, 0), rate(None, None));
        assert_eq!(
            at(3, 7, 59),
            rate(None, None),
            "the evening's rate until 08:00"
        );
        assert_eq!(
            at(0, 0, 0),
            rate(None, None),
            "Saturday's evening wraps to Sunday"
        );

        let w: BwTimetable = "Mon-00:00,512 Fri-23:59,10M:1M Sat-10:00,off;sun-20:00,1M"
            .parse()
            .expect("parses");
        assert_eq!(
            w.at(0),
            rate(Some(M), Some(M)),
            "Sunday early: Sunday 20:00 wraps"
        );
        assert_eq!(w.at(DAY + 5), rate(Some(512 * K), Some(512 * K)));
        assert_eq!(w.at(5 * DAY + 23 * 60 + 59), rate(Some(10 * M), Some(M)));
        assert_eq!(w.at(6 * DAY + 10 * 60), rate(None, None));

        for bad in [
            "24:00,1M",
            "08:60,1M",
            "8:00,1M",
            "Mon-8:00,1M",
            "Xyz-08:00,1M",
            "08:00,1M,2M",
            "08:00,fast",
        ] {
            assert!(bad.parse::<BwTimetable>().is_err(), "{bad}");
        }
    }
}
