//! Checks a run of headers fetched from the node (pure): each header's id equals what the node
//! reported, it links to its parent, its `bits` obey the network rules and its scrypt proof of
//! work meets its target. The proof-of-work hashes, the expensive part, run in parallel.

use crate::error::{FollowError, PowError};
use crate::pow::retarget::median_time_past;
use crate::pow::{check_pow, BlockHeader, Hash256, PowParams};
use rayon::prelude::*;

/// The last accepted header a run must extend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parent {
    /// Its height.
    pub height: u64,
    /// Its id.
    pub id: Hash256,
    /// Its compact target.
    pub bits: u32,
}

/// One header as fetched: height, the hash the node gave for that height, and the raw bytes.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// Height.
    pub height: u64,
    /// The node's hash for this height.
    pub reported: Hash256,
    /// The 80 bytes the node served.
    pub raw: Vec<u8>,
}

/// Validates `run` (consecutive heights) on top of `parent` (`None`: the run starts at the
/// configured start block, whose own parent is not checked). Returns the decoded headers.
pub fn validate_run(
    params: &PowParams,
    parent: Option<Parent>,
    run: &[Fetched],
) -> Result<Vec<BlockHeader>, FollowError> {
    validate_run_after(params, parent, None, run)
}

/// [`validate_run`], and with `history` — the times of the blocks up to and including the
/// parent, oldest first, at least the last 11 (or every one from genesis) — each header's time
/// must be above the median time past of the 11 blocks before it (`pow::retarget`).
pub fn validate_run_after(
    params: &PowParams,
    parent: Option<Parent>,
    history: Option<&[u32]>,
    run: &[Fetched],
) -> Result<Vec<BlockHeader>, FollowError> {
    validate_run_with(params, parent, history, &|_| None, run)
}

/// [`validate_run_after`], and at every retarget height the exact `bits`
/// ([`PowParams::check_retarget`]) when the parent's time (the last of `history`, or the run's)
/// and the period's first block time are known: `time_at(h)` gives a stored block's time below
/// the run (`None`: not stored, the exact check is skipped and the 4× bound stays).
pub fn validate_run_with(
    params: &PowParams,
    parent: Option<Parent>,
    history: Option<&[u32]>,
    time_at: &dyn Fn(u64) -> Option<u32>,
    run: &[Fetched],
) -> Result<Vec<BlockHeader>, FollowError> {
    let invalid = |height: u64, reason: PowError| FollowError::InvalidHeader { height, reason };
    let decoded: Vec<BlockHeader> = run
        .iter()
        .map(|f| BlockHeader::decode(&f.raw).map_err(|e| invalid(f.height, e)))
        .collect::<Result<_, _>>()?;
    // Parallel: id and scrypt proof of work of every header.
    decoded
        .par_iter()
        .zip(run.par_iter())
        .try_for_each(|(h, f)| {
            let check = check_pow(h);
            if check.id != f.reported {
                return Err(invalid(
                    f.height,
                    PowError::IdMismatch {
                        computed: check.id.to_string(),
                        reported: f.reported.to_string(),
                    },
                ));
            }
            check.verdict.map_err(|e| invalid(f.height, e))
        })?;
    // Sequential: links, difficulty rules and median time past.
    let mut prev = parent;
    let mut times: Option<Vec<u32>> = history.map(<[u32]>::to_vec);
    let mut prev_time: Option<u32> = history.and_then(|t| t.last().copied());
    let run_start = run.first().map_or(0, |f| f.height);
    let time_of = |height: u64| -> Option<u32> {
        match height.checked_sub(run_start) {
            Some(i) => decoded.get(usize::try_from(i).ok()?).map(|h| h.time),
            None => time_at(height),
        }
    };
    for (h, f) in decoded.iter().zip(run) {
        if let Some(median) = times.as_deref().and_then(median_time_past) {
            if h.time <= median {
                return Err(invalid(
                    f.height,
                    PowError::TimeTooOld {
                        height: f.height,
                        time: h.time,
                        median,
                    },
                ));
            }
        }
        if let Some(t) = times.as_mut() {
            t.push(h.time);
        }
        if let Some(p) = prev {
            if f.height != p.height + 1 || h.prev != p.id {
                return Err(invalid(
                    f.height,
                    PowError::BadLink {
                        id: f.reported.to_string(),
                        prev: h.prev.to_string(),
                        expected: p.id.to_string(),
                    },
                ));
            }
        }
        // At a retarget height with the period's first time known: the exact value (capped at
        // the limit), which replaces the 4× bound. Elsewhere: the bits rules.
        let exact = match (prev, prev_time) {
            (Some(p), Some(pt)) => params
                .retarget_first_height(f.height)
                .and_then(time_of)
                .map(|first_time| (p.bits, pt, first_time)),
            _ => None,
        };
        match exact {
            Some((bits, pt, first_time)) => {
                params.check_retarget(h, f.height, bits, pt, first_time)
            }
            None => params.check_bits(h, f.height, prev.map(|p| p.bits)),
        }
        .map_err(|e| invalid(f.height, e))?;
        prev_time = Some(h.time);
        prev = Some(Parent {
            height: f.height,
            id: f.reported,
            bits: h.bits,
        });
    }
    Ok(decoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Grinds regtest headers (target 7fffff…: about half of all nonces pass) on top of `prev`.
    fn chain(prev: Hash256, n: usize, want_valid: bool) -> Vec<Fetched> {
        let mut out = Vec::new();
        let mut prev = prev;
        for i in 0..n {
            let mut h = BlockHeader {
                version: 0x2000_0000,
                prev,
                merkle_root: Hash256([i as u8; 32]),
                time: 1_700_000_000 + i as u32,
                bits: 0x207fffff,
                nonce: 0,
            };
            while check_pow(&h).verdict.is_ok() != want_valid {
                h.nonce += 1;
            }
            out.push(Fetched {
                height: i as u64 + 1,
                reported: h.id(),
                raw: h.encode().to_vec(),
            });
            prev = h.id();
        }
        out
    }

    fn genesis() -> Parent {
        Parent {
            height: 0,
            id: Hash256([9; 32]),
            bits: 0x207fffff,
        }
    }

    #[test]
    fn accepts_a_valid_run() {
        let run = chain(genesis().id, 6, true);
        assert_eq!(
            validate_run(&PowParams::regtest(), Some(genesis()), &run)
                .unwrap()
                .len(),
            6
        );
    }

    #[test]
    fn refuses_insufficient_work() {
        let mut run = chain(genesis().id, 3, true);
        run.extend(chain(run[2].reported, 1, false).into_iter().map(|mut f| {
            f.height = 4;
            f
        }));
        let e = validate_run(&PowParams::regtest(), Some(genesis()), &run).unwrap_err();
        assert!(
            matches!(
                e,
                FollowError::InvalidHeader {
                    height: 4,
                    reason: PowError::InsufficientWork { .. }
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn refuses_bad_link_and_wrong_id() {
        let run = chain(Hash256([1; 32]), 2, true);
        let e = validate_run(&PowParams::regtest(), Some(genesis()), &run).unwrap_err();
        assert!(matches!(
            e,
            FollowError::InvalidHeader {
                reason: PowError::BadLink { .. },
                ..
            }
        ));
        let mut run = chain(genesis().id, 2, true);
        run[1].reported = Hash256([7; 32]);
        let e = validate_run(&PowParams::regtest(), Some(genesis()), &run).unwrap_err();
        assert!(matches!(
            e,
            FollowError::InvalidHeader {
                reason: PowError::IdMismatch { .. },
                ..
            }
        ));
    }

    #[test]
    fn refuses_a_time_not_above_the_median_time_past() {
        // Eleven earlier blocks at 1000..=1010: the median is 1005.
        let history: Vec<u32> = (1000..=1010).collect();
        let grind = |time: u32| {
            let mut h = BlockHeader {
                version: 0x2000_0000,
                prev: genesis().id,
                merkle_root: Hash256([3; 32]),
                time,
                bits: 0x207fffff,
                nonce: 0,
            };
            while check_pow(&h).verdict.is_err() {
                h.nonce += 1;
            }
            vec![Fetched {
                height: 1,
                reported: h.id(),
                raw: h.encode().to_vec(),
            }]
        };
        let params = PowParams::regtest();
        let e =
            validate_run_after(&params, Some(genesis()), Some(&history), &grind(1005)).unwrap_err();
        assert!(
            matches!(
                e,
                FollowError::InvalidHeader {
                    reason: PowError::TimeTooOld {
                        median: 1005,
                        time: 1005,
                        ..
                    },
                    ..
                }
            ),
            "{e}"
        );
        validate_run_after(&params, Some(genesis()), Some(&history), &grind(1006)).unwrap();
        // Without a complete history nothing is checked.
        validate_run_after(&params, Some(genesis()), None, &grind(1005)).unwrap();
    }

    /// A network like regtest (limit 7fffff…) that retargets every 4 blocks.
    fn fast_retarget() -> PowParams {
        PowParams {
            retarget_interval: 4,
            no_retargeting: false,
            allow_min_difficulty: false,
            ..PowParams::regtest()
        }
    }

    /// Grinds one header at `height` on `prev` with `bits` and `time`.
    fn one(prev: Hash256, height: u64, bits: u32, time: u32) -> Fetched {
        let mut h = BlockHeader {
            version: 0x2000_0000,
            prev,
            merkle_root: Hash256([height as u8; 32]),
            time,
            bits,
            nonce: 0,
        };
        while check_pow(&h).verdict.is_err() {
            h.nonce += 1;
        }
        Fetched {
            height,
            reported: h.id(),
            raw: h.encode().to_vec(),
        }
    }

    #[test]
    fn checks_the_exact_retarget_value_at_each_boundary() {
        let params = fast_retarget();
        // Retargets measure from block 0 (the first), then from 2016 − 2016 − 1 back: here 3.
        assert_eq!(params.retarget_first_height(4), Some(0));
        assert_eq!(params.retarget_first_height(8), Some(3));
        assert_eq!(params.retarget_first_height(5), None);
        assert_eq!(PowParams::regtest().retarget_first_height(2016), None);
        assert_eq!(PowParams::mainnet().retarget_first_height(4032), Some(2015));
        // Blocks 1..=3 a second apart after genesis at 1000: the period took 3 s (clamped to a
        // quarter of 3.5 days). This test is about wiring — which parent and which first time
        // `validate_run_with` hands to the retarget — so the value is our own
        // `next_work_required`'s, not a known answer: on this limit the product wraps as in
        // Litecoin Core's arith_uint256 (its one-bit shift guards only the mainnet limit;
        // regtest never retargets) and no Litecoin network has such a retarget. The arithmetic
        // is pinned by Core's pow_tests in `pow::params` and `pow::retarget`; a header at a
        // Core-sized target cannot be ground here.
        let exact = crate::pow::retarget::next_work_required(
            0x207fffff,
            1003,
            1000,
            &params.pow_limit,
            false,
        )
        .unwrap();
        assert_ne!(exact, 0x207fffff);
        let mut run = Vec::new();
        let mut prev = genesis().id;
        for height in 1..=3u64 {
            let f = one(prev, height, 0x207fffff, 1000 + height as u32);
            prev = f.reported;
            run.push(f);
        }
        let history = [1000u32];
        let time_at = |h: u64| (h == 0).then_some(1000u32);
        let unchanged = [run.clone(), vec![one(prev, 4, 0x207fffff, 1004)]].concat();
        let e = validate_run_with(
            &params,
            Some(genesis()),
            Some(&history),
            &time_at,
            &unchanged,
        )
        .unwrap_err();
        assert!(
            matches!(
                e,
                FollowError::InvalidHeader {
                    height: 4,
                    reason: PowError::BadBits {
                        got: 0x207fffff,
                        ..
                    }
                }
            ),
            "{e}"
        );
        // Within the 4× bound but not the exact value: refused too.
        let near = [run.clone(), vec![one(prev, 4, 0x203fffff, 1004)]].concat();
        assert!(
            validate_run_with(&params, Some(genesis()), Some(&history), &time_at, &near).is_err()
        );
        let right = [run.clone(), vec![one(prev, 4, exact, 1004)]].concat();
        validate_run_with(&params, Some(genesis()), Some(&history), &time_at, &right).unwrap();
        // Without the period's first time (not stored) the exact value is not asked for: the
        // bits rules alone let unchanged bits pass.
        validate_run_with(
            &params,
            Some(genesis()),
            Some(&history),
            &|_| None,
            &unchanged,
        )
        .unwrap();
    }

    #[test]
    fn refuses_changed_bits_on_regtest() {
        let mut run = chain(genesis().id, 1, true);
        let mut h = BlockHeader::decode(&run[0].raw).unwrap();
        h.bits = 0x1f7fffff;
        while check_pow(&h).verdict.is_err() {
            h.nonce += 1;
        }
        run[0].raw = h.encode().to_vec();
        run[0].reported = h.id();
        let e = validate_run(&PowParams::regtest(), Some(genesis()), &run).unwrap_err();
        assert!(matches!(
            e,
            FollowError::InvalidHeader {
                reason: PowError::BadBits { .. },
                ..
            }
        ));
    }
}
