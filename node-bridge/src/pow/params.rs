//! Network rules for following a chain: proof-of-work limit and where `bits` may change.

use super::header::BlockHeader;
use super::target::Target;
use crate::error::PowError;

/// The proof-of-work rules of one network, as far as the follower checks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PowParams {
    /// The easiest allowed target (`powLimit`).
    pub pow_limit: Target,
    /// Blocks between difficulty adjustments (Litecoin: 2016).
    pub retarget_interval: u64,
    /// Regtest: the difficulty never changes.
    pub no_retargeting: bool,
    /// Testnet: minimum-difficulty blocks may appear anywhere.
    pub allow_min_difficulty: bool,
}

impl PowParams {
    /// Litecoin regtest (chainparams.cpp, CRegTestParams: powLimit 7fffff…, no retargeting).
    pub fn regtest() -> Self {
        PowParams {
            pow_limit: Target::from_compact(0x207fffff).expect("valid constant"),
            retarget_interval: 2016,
            no_retargeting: true,
            allow_min_difficulty: true,
        }
    }

    /// Litecoin mainnet (powLimit 00000fff…, retarget every 2016 blocks).
    pub fn mainnet() -> Self {
        PowParams {
            pow_limit: Target::from_hex(
                "00000fffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
            )
            .expect("valid constant"),
            retarget_interval: 2016,
            no_retargeting: false,
            allow_min_difficulty: false,
        }
    }

    /// Litecoin testnet (mainnet limit, minimum-difficulty blocks allowed).
    pub fn testnet() -> Self {
        PowParams {
            allow_min_difficulty: true,
            ..Self::mainnet()
        }
    }

    /// Parameters by name: `regtest`, `main`/`mainnet`, `test`/`testnet`.
    pub fn by_name(name: &str) -> Option<Self> {
        match name {
            "regtest" => Some(Self::regtest()),
            "main" | "mainnet" => Some(Self::mainnet()),
            "test" | "testnet" => Some(Self::testnet()),
            _ => None,
        }
    }

    /// Checks the `bits` of `header` at `height` given its parent's `bits`: the target must be
    /// within the limit; without retargeting it must equal the parent's; on a network that
    /// retargets, it may change only at multiples of the interval (or to the limit where
    /// minimum-difficulty blocks are allowed), and then only within what a retarget can give: between
    /// the results for a quarter and four times the target timespan, compact-rounded
    /// (`within_retarget_bounds`).
    pub fn check_bits(
        &self,
        header: &BlockHeader,
        height: u64,
        parent_bits: Option<u32>,
    ) -> Result<(), PowError> {
        let target = header.target()?;
        if target > self.pow_limit {
            return Err(PowError::AboveLimit(header.bits));
        }
        let Some(parent_bits) = parent_bits else {
            return Ok(());
        };
        if header.bits == parent_bits {
            return Ok(());
        }
        let bad = |expected: String| PowError::BadBits {
            height,
            got: header.bits,
            expected,
        };
        if self.no_retargeting {
            return Err(bad(format!("{parent_bits:#010x} (no retargeting)")));
        }
        // Testnet: a minimum-difficulty block states the limit's compact form (0x1e0fffff, which
        // decodes to 00000fffff000000…, not to the limit itself), and the block after one returns
        // to the last normal bits, which the follower does not keep: checked only against the
        // limit (`docs/bridge.md`, "Proof-of-work checks").
        let min_bits = super::retarget::to_compact(&self.pow_limit);
        if self.allow_min_difficulty && (header.bits == min_bits || parent_bits == min_bits) {
            return Ok(());
        }
        if !height.is_multiple_of(self.retarget_interval) && !self.allow_min_difficulty {
            return Err(bad(format!("{parent_bits:#010x} (not a retarget height)")));
        }
        Target::from_compact(parent_bits)?;
        if within_retarget_bounds(parent_bits, &target, &self.pow_limit) != Some(true) {
            return Err(bad(format!(
                "a retarget from {parent_bits:#010x} (at most 4x either way)"
            )));
        }
        Ok(())
    }
}

impl PowParams {
    /// The height whose block time starts the period a retarget at `height` measures
    /// (`GetNextWorkRequired`: back 2015 blocks from the last one for the first retarget,
    /// 2016 for every later one — Litecoin's time-warp fix); `None` when `height` is no
    /// retarget height or the network never retargets.
    pub fn retarget_first_height(&self, height: u64) -> Option<u64> {
        let i = self.retarget_interval;
        if self.no_retargeting || i == 0 || height == 0 || !height.is_multiple_of(i) {
            return None;
        }
        Some(if height == i { 0 } else { height - i - 1 })
    }

    /// At a retarget height: `header`'s `bits` must be exactly what
    /// [`super::retarget::next_work_required`] gives from its parent's `bits` and time and the
    /// time of the block at [`PowParams::retarget_first_height`] (testnet too: its
    /// minimum-difficulty exemption does not apply at retarget heights). Elsewhere: `Ok`.
    pub fn check_retarget(
        &self,
        header: &BlockHeader,
        height: u64,
        parent_bits: u32,
        parent_time: u32,
        first_time: u32,
    ) -> Result<(), PowError> {
        let Some(first) = self.retarget_first_height(height) else {
            return Ok(());
        };
        let expected = super::retarget::next_work_required(
            parent_bits,
            i64::from(parent_time),
            i64::from(first_time),
            &self.pow_limit,
            false,
        )
        .ok_or(PowError::BadBits {
            height,
            got: header.bits,
            expected: format!("a retarget from the invalid bits {parent_bits:#010x}"),
        })?;
        if header.bits != expected {
            return Err(PowError::BadBits {
                height,
                got: header.bits,
                expected: format!(
                    "{expected:#010x} (the retarget over blocks {first}..{})",
                    height - 1
                ),
            });
        }
        Ok(())
    }
}

/// True when `new` lies between the targets a retarget from `old_bits` can give: the results of
/// [`super::retarget::next_work_required`] for the shortest and the longest clamped timespan
/// (a quarter and four times [`super::retarget::TARGET_TIMESPAN`]), compact-rounded and capped
/// at the limit as the retarget itself is. This is Bitcoin Core's `PermittedDifficultyTransition`
/// (`src/pow.cpp`, v24 and later) with Litecoin's retarget arithmetic; a bound on the unrounded
/// target (`old / 4`) would refuse real retargets, e.g. `0x1b075cf1` → `0x1b01d73c`
/// (Litecoin Core `src/test/pow_tests.cpp`, `get_next_work_lower_limit_actual`), whose compact
/// form rounds below `old / 4`. `None` when `old_bits` does not decode.
fn within_retarget_bounds(old_bits: u32, new: &Target, pow_limit: &Target) -> Option<bool> {
    let span = super::retarget::TARGET_TIMESPAN as i64;
    let bound = |actual: i64| {
        super::retarget::next_work_required(old_bits, actual, 0, pow_limit, false)
            .and_then(|bits| Target::from_compact(bits).ok())
    };
    let (smallest, largest) = (bound(span / 4)?, bound(span * 4)?);
    Some(smallest <= *new && *new <= largest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pow::Hash256;

    /// A header with `bits` (the bits rules do not look at the proof of work).
    fn with_bits(bits: u32) -> BlockHeader {
        BlockHeader {
            version: 1,
            prev: Hash256([1; 32]),
            merkle_root: Hash256([2; 32]),
            time: 0,
            bits,
            nonce: 0,
        }
    }

    /// The four cases of Litecoin Core `src/test/pow_tests.cpp` (v0.21.5.5), mainnet parameters,
    /// as (test name, height of the new block = `pindexLast.nHeight + 1`, `pindexLast.nBits`,
    /// `pindexLast.nTime`, `nLastRetargetTime`, expected bits).
    const CORE_POW_TESTS: [(&str, u64, u32, u32, u32, u32); 4] = [
        // Block #280223's bits and time: no clamp applies.
        (
            "get_next_work",
            280_224,
            0x1c0ac141,
            1_358_378_777,
            1_358_118_740,
            0x1c093f8d,
        ),
        // Block #2015 after genesis (1317972665): capped at the pow limit.
        (
            "get_next_work_pow_limit",
            2_016,
            0x1e0ffff0,
            1_318_480_354,
            1_317_972_665,
            0x1e0fffff,
        ),
        // 75000 s, below a quarter of 3.5 days: clamped to a quarter (the target ÷ 4).
        (
            "get_next_work_lower_limit_actual",
            578_592,
            0x1b075cf1,
            1_401_757_934,
            1_401_682_934,
            0x1b01d73c,
        ),
        // 1210000 s, above four times 3.5 days: clamped to four times (the target × 4).
        (
            "get_next_work_upper_limit_actual",
            1_001_952,
            0x1b015318,
            1_464_900_315,
            1_463_690_315,
            0x1b054c60,
        ),
    ];

    #[test]
    fn check_retarget_accepts_exactly_litecoin_cores_values() {
        let main = PowParams::mainnet();
        for (name, height, bits, last, first, want) in CORE_POW_TESTS {
            main.check_retarget(&with_bits(want), height, bits, last, first)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            for wrong in [want - 1, want + 1, bits] {
                assert!(
                    main.check_retarget(&with_bits(wrong), height, bits, last, first)
                        .is_err(),
                    "{name}: {wrong:#x} accepted"
                );
            }
        }
    }

    #[test]
    fn the_first_retarget_measures_from_genesis_later_ones_the_full_window() {
        let main = PowParams::mainnet();
        // pow_tests.cpp get_next_work_pow_limit: the retarget after block #2015 measures from
        // block #0's time (1317972665, the genesis time of chainparams.cpp CMainParams).
        assert_eq!(main.retarget_first_height(2_016), Some(0));
        // src/pow.cpp GetNextWorkRequired: later retargets go back the full interval (2016
        // blocks) from pindexLast = height − 1.
        assert_eq!(main.retarget_first_height(4_032), Some(4_031 - 2_016));
        assert_eq!(main.retarget_first_height(280_224), Some(280_223 - 2_016));
        assert_eq!(main.retarget_first_height(280_223), None);
        assert_eq!(PowParams::regtest().retarget_first_height(2_016), None);
    }

    #[test]
    fn the_bound_without_the_first_time_admits_cores_clamped_retargets_and_nothing_beyond() {
        let main = PowParams::mainnet();
        let check = |height: u64, parent: u32, bits: u32| {
            main.check_bits(&with_bits(bits), height, Some(parent))
        };
        for (name, height, bits, _, _, want) in CORE_POW_TESTS {
            check(height, bits, want).unwrap_or_else(|e| panic!("{name}: {e}"));
            // Off a retarget height no change is allowed on mainnet.
            assert!(check(height + 1, bits, want).is_err(), "{name}");
        }
        // get_next_work_lower_limit_actual: 0x1b01d73c is the quarter, compact-rounded (below
        // the unrounded old / 4); one step harder is beyond the clamp.
        assert!(check(578_592, 0x1b075cf1, 0x1b01d73b).is_err());
        // get_next_work_upper_limit_actual: 0x1b054c60 is exactly four times; one step easier
        // is beyond it.
        assert!(check(1_001_952, 0x1b015318, 0x1b054c61).is_err());
        // get_next_work_pow_limit: the result is capped at the limit (0x1e0fffff); above it,
        // refused whatever the retarget would give.
        assert!(matches!(
            check(2_016, 0x1e0ffff0, 0x1e100000),
            Err(PowError::AboveLimit(0x1e100000))
        ));
    }
}
