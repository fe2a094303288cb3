//! Counting compact CVR CSV, the ballot-per-row form `canvass simulate --cvrs` writes
//! (docs/simulate.md), in one pass over the bytes.
//!
//! ```text
//! style,batch,position,c1,c2,c3
//! 17,1,1,1,2,0
//! 17,1,2,2,-1,1
//! ```
//!
//! A ballot style's slots `cN` hold the contests `styles.csv` (`style,precinct,slot,contest`)
//! gives; a mark is `0` (undervote), `k` (the contest's `k`-th column, 1-based, per
//! `contests.csv`: `contest,code,selection,line`) or `-1` (overvote); slots the style does not
//! use are empty. Counting is one array increment per mark: counts are kept per style and
//! slot as `[undervotes, column 1, ..., column n, overvotes]`, so a precinct's results and
//! the national totals both come from the same array.

use std::collections::HashMap;

/// A malformed compact CVR file or layout.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}, line {line}, field {field}: {message}")]
pub struct CompactCvrError {
    /// The file.
    pub file: String,
    /// The 1-based line.
    pub line: u64,
    /// The field (column name).
    pub field: String,
    /// What is wrong, and what was expected.
    pub message: String,
}

/// One contest's columns, from `contests.csv`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LayoutContest {
    /// The contest id.
    pub id: String,
    /// Its columns in code order (code 1 first): selection id and ballot line.
    pub columns: Vec<(String, Option<String>)>,
}

/// Which contest each slot of each ballot style holds, and where its counts are.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompactLayout {
    /// The contests, in `contests.csv` order.
    pub contests: Vec<LayoutContest>,
    /// The precinct of each style (`None` for a style number `styles.csv` skips).
    pub precincts: Vec<Option<String>>,
    /// `slots[style_start[s]..style_start[s + 1]]`: style `s`'s contests, slot by slot.
    style_start: Vec<u32>,
    slots: Vec<u32>,
    /// The offset of each slot's counts.
    base: Vec<u32>,
    /// Total counters.
    size: usize,
}

/// Splits one simple CSV line (RFC 4180 quotes allowed) into fields.
fn fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// Reads a small CSV with the given header; returns its rows with their line numbers.
fn rows(
    file: &str,
    text: &str,
    header: &[&str],
) -> Result<Vec<(u64, Vec<String>)>, CompactCvrError> {
    let mut lines = text.lines().enumerate();
    let got = lines.next().map(|(_, l)| fields(l.trim_end_matches('\r')));
    if got
        .as_deref()
        .map(|h| h.iter().map(String::as_str).collect::<Vec<_>>())
        != Some(header.to_vec())
    {
        return Err(CompactCvrError {
            file: file.into(),
            line: 1,
            field: "header".into(),
            message: format!("expected the header `{}`", header.join(",")),
        });
    }
    let mut out = Vec::new();
    for (i, l) in lines {
        let l = l.trim_end_matches('\r');
        if l.is_empty() {
            continue;
        }
        let f = fields(l);
        if f.len() != header.len() {
            return Err(CompactCvrError {
                file: file.into(),
                line: i as u64 + 1,
                field: "row".into(),
                message: format!("{} fields, expected {}", f.len(), header.len()),
            });
        }
        out.push((i as u64 + 1, f));
    }
    Ok(out)
}

impl CompactLayout {
    /// Builds the layout from the texts of `contests.csv` and `styles.csv`.
    ///
    /// # Errors
    /// [`CompactCvrError`] naming the file, line and field of a bad header, row, number,
    /// unknown contest, or slots out of order.
    pub fn parse(contests_csv: &str, styles_csv: &str) -> Result<Self, CompactCvrError> {
        let err = |file: &str, line: u64, field: &str, message: String| CompactCvrError {
            file: file.into(),
            line,
            field: field.into(),
            message,
        };
        let mut layout = CompactLayout::default();
        let mut contest_of: HashMap<String, usize> = HashMap::new();
        for (line, f) in rows(
            "contests.csv",
            contests_csv,
            &["contest", "code", "selection", "line"],
        )? {
            let ci = *contest_of.entry(f[0].clone()).or_insert_with(|| {
                layout.contests.push(LayoutContest {
                    id: f[0].clone(),
                    columns: Vec::new(),
                });
                layout.contests.len() - 1
            });
            let c = &mut layout.contests[ci];
            if f[1].parse::<usize>().ok() != Some(c.columns.len() + 1) {
                return Err(err(
                    "contests.csv",
                    line,
                    "code",
                    format!("expected code {} for contest {}", c.columns.len() + 1, c.id),
                ));
            }
            c.columns
                .push((f[2].clone(), (!f[3].is_empty()).then(|| f[3].clone())));
        }
        for (line, f) in rows(
            "styles.csv",
            styles_csv,
            &["style", "precinct", "slot", "contest"],
        )? {
            let style: usize = f[0].parse().map_err(|_| {
                err(
                    "styles.csv",
                    line,
                    "style",
                    format!("a whole number, not {:?}", f[0]),
                )
            })?;
            let slot: usize = f[2].parse().map_err(|_| {
                err(
                    "styles.csv",
                    line,
                    "slot",
                    format!("a whole number, not {:?}", f[2]),
                )
            })?;
            let Some(&ci) = contest_of.get(&f[3]) else {
                return Err(err(
                    "styles.csv",
                    line,
                    "contest",
                    format!("contest {:?} is not in contests.csv", f[3]),
                ));
            };
            let last = layout.precincts.len().checked_sub(1);
            if last != Some(style) {
                if last.is_some_and(|l| style < l) || style > 100_000_000 {
                    return Err(err(
                        "styles.csv",
                        line,
                        "style",
                        format!(
                            "styles must come in increasing order; {style} comes after {}",
                            last.unwrap_or(0)
                        ),
                    ));
                }
                while layout.precincts.len() <= style {
                    layout.style_start.push(layout.slots.len() as u32);
                    layout.precincts.push(None);
                }
                layout.precincts[style] = Some(f[1].clone());
            }
            let start = layout.style_start[style] as usize;
            if slot != layout.slots.len() - start + 1 {
                return Err(err(
                    "styles.csv",
                    line,
                    "slot",
                    format!(
                        "expected slot {} of style {style}",
                        layout.slots.len() - start + 1
                    ),
                ));
            }
            layout.slots.push(ci as u32);
            layout.base.push(layout.size as u32);
            layout.size += layout.contests[ci].columns.len() + 2;
            if layout.size > u32::MAX as usize {
                return Err(err(
                    "styles.csv",
                    line,
                    "style",
                    "too many styles and slots to count".into(),
                ));
            }
        }
        layout.style_start.push(layout.slots.len() as u32);
        Ok(layout)
    }

    /// Style `s`'s contests (indexes into [`CompactLayout::contests`]), slot by slot.
    pub fn style_contests(&self, s: usize) -> &[u32] {
        match (self.style_start.get(s), self.style_start.get(s + 1)) {
            (Some(&a), Some(&b)) => &self.slots[a as usize..b as usize],
            _ => &[],
        }
    }
}

/// Counts of compact CVR files against one layout; merge counters of several threads.
#[derive(Debug, Clone)]
pub struct CompactCounter<'l> {
    layout: &'l CompactLayout,
    counts: Vec<u32>,
    /// Ballots counted.
    pub ballots: u64,
}

/// Parses the unsigned integer at `d[*i..]`, up to the next byte that is not a digit.
#[inline]
fn number(d: &[u8], i: &mut usize) -> Option<u64> {
    let start = *i;
    let mut v: u64 = 0;
    while let Some(&c) = d.get(*i) {
        if !c.is_ascii_digit() {
            break;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
        *i += 1;
    }
    (*i > start).then_some(v)
}

impl<'l> CompactCounter<'l> {
    /// A counter with every count zero.
    pub fn new(layout: &'l CompactLayout) -> Self {
        CompactCounter {
            layout,
            counts: vec![0; layout.size],
            ballots: 0,
        }
    }

    /// Counts one whole file (header first); returns its ballots.
    ///
    /// # Errors
    /// [`CompactCvrError`] naming the line and field of the first malformed row (a style
    /// not in the layout, a mark out of range, a missing or extra field); nothing of a
    /// file with an error should be used, so count each file into a fresh counter and
    /// [`CompactCounter::merge`] it only on success when that matters.
    pub fn count(&mut self, file: &str, d: &[u8]) -> Result<u64, CompactCvrError> {
        let err = |line: u64, field: String, message: String| CompactCvrError {
            file: file.into(),
            line,
            field,
            message,
        };
        let header_end = d.iter().position(|&c| c == b'\n').unwrap_or(d.len());
        let header = std::str::from_utf8(&d[..header_end])
            .unwrap_or("")
            .trim_end_matches('\r');
        let names: Vec<&str> = header.split(',').collect();
        let slots = names.len().saturating_sub(3);
        let ok = names.len() >= 3
            && names[..3] == ["style", "batch", "position"]
            && names[3..]
                .iter()
                .enumerate()
                .all(|(k, n)| *n == format!("c{}", k + 1));
        if !ok {
            return Err(err(
                1,
                "header".into(),
                "expected `style,batch,position,c1,...,cN`".into(),
            ));
        }
        let mut i = (header_end + 1).min(d.len());
        let mut line = 1u64;
        let mut ballots = 0u64;
        let counts = &mut self.counts;
        let layout = self.layout;
        while i < d.len() {
            line += 1;
            let Some(style) = number(d, &mut i) else {
                return Err(err(line, "style".into(), "a style number".into()));
            };
            if layout
                .precincts
                .get(style as usize)
                .is_none_or(Option::is_none)
            {
                return Err(err(
                    line,
                    "style".into(),
                    format!("style {style} is not in styles.csv"),
                ));
            }
            let contests = layout.style_contests(style as usize);
            let start = layout.style_start[style as usize] as usize;
            for f in ["batch", "position"] {
                if d.get(i) != Some(&b',') || {
                    i += 1;
                    number(d, &mut i).is_none()
                } {
                    return Err(err(line, f.into(), "a whole number".into()));
                }
            }
            for k in 0..slots {
                if d.get(i) != Some(&b',') {
                    return Err(err(
                        line,
                        format!("c{}", k + 1),
                        format!("{slots} slots; the row ends early"),
                    ));
                }
                i += 1;
                let Some(&ci) = contests.get(k) else {
                    if matches!(d.get(i), Some(b',' | b'\n' | b'\r') | None) {
                        continue;
                    }
                    return Err(err(
                        line,
                        format!("c{}", k + 1),
                        format!("empty: style {style} has {} slots", contests.len()),
                    ));
                };
                let n = layout.contests[ci as usize].columns.len();
                let code = if d.get(i) == Some(&b'-') {
                    i += 1;
                    match number(d, &mut i) {
                        Some(1) => n + 1,
                        _ => {
                            return Err(err(
                                line,
                                format!("c{}", k + 1),
                                "a mark: 0, a column from 1, or -1".into(),
                            ));
                        }
                    }
                } else {
                    match number(d, &mut i) {
                        Some(v) if v as usize <= n => v as usize,
                        _ => {
                            return Err(err(
                                line,
                                format!("c{}", k + 1),
                                format!(
                                    "a mark of contest {}: 0 to {n}, or -1",
                                    layout.contests[ci as usize].id
                                ),
                            ));
                        }
                    }
                };
                counts[layout.base[start + k] as usize + code] += 1;
            }
            if d.get(i) == Some(&b'\r') {
                i += 1;
            }
            match d.get(i) {
                Some(b'\n') => i += 1,
                None => {}
                Some(_) => {
                    return Err(err(
                        line,
                        "row".into(),
                        format!("{} fields; the row is longer", slots + 3),
                    ));
                }
            }
            ballots += 1;
        }
        self.ballots += ballots;
        Ok(ballots)
    }

    /// Adds another counter's counts (same layout) to this one.
    pub fn merge(&mut self, other: &CompactCounter<'_>) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.ballots += other.ballots;
    }

    /// Style `s`'s counts per slot: `(contest index, [undervotes, column 1, ..., overvotes])`.
    pub fn style(&self, s: usize) -> impl Iterator<Item = (usize, &[u32])> + '_ {
        let layout = self.layout;
        let start = layout.style_start.get(s).map_or(0, |&v| v as usize);
        layout
            .style_contests(s)
            .iter()
            .enumerate()
            .map(move |(k, &ci)| {
                let b = layout.base[start + k] as usize;
                let n = layout.contests[ci as usize].columns.len() + 2;
                (ci as usize, &self.counts[b..b + n])
            })
    }

    /// Totals per contest of the layout: `[undervotes, column 1, ..., overvotes]`.
    pub fn totals(&self) -> Vec<Vec<u64>> {
        let mut out: Vec<Vec<u64>> = self
            .layout
            .contests
            .iter()
            .map(|c| vec![0; c.columns.len() + 2])
            .collect();
        for s in 0..self.layout.precincts.len() {
            for (ci, counts) in self.style(s) {
                for (t, &c) in out[ci].iter_mut().zip(counts) {
                    *t += u64::from(c);
                }
            }
        }
        out
    }
}
