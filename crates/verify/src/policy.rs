//! The witness policy file of `canvass verify --policy` and `canvass monitor --policy`: which
//! C2SP tlog-witness keys (cosignature/v1 vkeys) count, and how many must have cosigned.
//!
//! ```text
//! # k of n: two of these three witnesses must cosign every checkpoint
//! witness witness.example.org/w1+1f3a9c07+BH8...
//! witness witness.example.net/w2+28d1e4a0+BO2...
//! witness witness.example.com/w3+7a0b9c11+BKq...
//! quorum 2
//! ```
//!
//! Blank lines and lines starting with `#` are ignored. Without a `quorum` line every listed
//! witness must cosign.

use canvass_log::{CosignatureVerifier, WitnessPolicy};

/// A policy file that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("witness policy line {line}: {reason}")]
pub struct PolicyError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

/// Parses a witness policy file.
///
/// # Errors
/// [`PolicyError`] naming the line: an unknown keyword, a malformed witness key, a second
/// `quorum`, a quorum of 0 or above the number of witnesses, or no witness at all.
pub fn parse(text: &str) -> Result<WitnessPolicy, PolicyError> {
    let mut witnesses: Vec<CosignatureVerifier> = Vec::new();
    let mut quorum: Option<(usize, usize)> = None;
    let mut last = 0;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        last = line;
        let bad = |reason: String| PolicyError { line, reason };
        let l = raw.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let (word, rest) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
        let rest = rest.trim();
        match word {
            "witness" => {
                let w = CosignatureVerifier::from_vkey(rest)
                    .map_err(|e| bad(format!("witness key {rest:?}: {e}")))?;
                if witnesses.iter().any(|x| x.name() == w.name()) {
                    return Err(bad(format!("witness {} is listed twice", w.name())));
                }
                witnesses.push(w);
            }
            "quorum" => {
                if quorum.is_some() {
                    return Err(bad("a second quorum line".into()));
                }
                let k: usize = rest
                    .parse()
                    .map_err(|_| bad(format!("quorum {rest:?} is not a number")))?;
                quorum = Some((k, line));
            }
            w => {
                return Err(bad(format!(
                    "unknown keyword {w:?}: lines are `witness <vkey>` or `quorum <k>`"
                )));
            }
        }
    }
    if witnesses.is_empty() {
        return Err(PolicyError {
            line: last,
            reason: "no witness listed: add `witness <vkey>` lines".into(),
        });
    }
    let threshold = match quorum {
        None => witnesses.len(),
        Some((k, line)) if k == 0 || k > witnesses.len() => {
            return Err(PolicyError {
                line,
                reason: format!(
                    "quorum {k} must be between 1 and the {} witnesses listed",
                    witnesses.len()
                ),
            });
        }
        Some((k, _)) => k,
    };
    Ok(WitnessPolicy {
        witnesses,
        threshold,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use canvass_log::Cosigner;

    fn vkey(name: &str, seed: u8) -> String {
        Cosigner::from_seed(name, [seed; 32])
            .unwrap()
            .verifier()
            .to_vkey()
    }

    #[test]
    fn two_of_three() {
        let text = format!(
            "# comment\n\nwitness {}\nwitness {}\nwitness {}\nquorum 2\n",
            vkey("w1", 1),
            vkey("w2", 2),
            vkey("w3", 3)
        );
        let p = parse(&text).unwrap();
        assert_eq!((p.witnesses.len(), p.threshold), (3, 2));
        let p = parse(&format!("witness {}\n", vkey("w1", 1))).unwrap();
        assert_eq!(p.threshold, 1);
    }

    #[test]
    fn errors_name_the_line() {
        let w = vkey("w1", 1);
        assert_eq!(
            parse("").unwrap_err().reason,
            "no witness listed: add `witness <vkey>` lines"
        );
        assert_eq!(
            parse(&format!("witness {w}\nquorum 2\n")).unwrap_err().line,
            2
        );
        assert_eq!(
            parse(&format!("witness {w}\nquorum 0\n")).unwrap_err().line,
            2
        );
        assert_eq!(
            parse(&format!("witness {w}\nwitness {w}\n"))
                .unwrap_err()
                .line,
            2
        );
        assert_eq!(parse("witnesses x\n").unwrap_err().line, 1);
        assert_eq!(parse("witness not-a-key\n").unwrap_err().line, 1);
        assert_eq!(
            parse(&format!("witness {w}\nquorum x\n")).unwrap_err().line,
            2
        );
    }
}
