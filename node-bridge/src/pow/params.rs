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
    /// minimum-difficulty blocks are allowed), and then by at most a factor of four either way.
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
        let old = Target::from_compact(parent_bits)?;
        if !within_factor_four(&old, &target) {
            return Err(bad(format!(
                "a change of at most 4x from {parent_bits:#010x}"
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

/// True when `new` is within `[old / 4 − 1, old · 4 + 1]` (compact rounding is tolerated).
fn within_factor_four(old: &Target, new: &Target) -> bool {
    let mul4 = |t: &Target| -> Option<[u64; 4]> {
        let l = t.limbs();
        let mut out = [0u64; 4];
        let mut carry = 0u64;
        for i in 0..4 {
            out[i] = (l[i] << 2) | carry;
            carry = l[i] >> 62;
        }
        (carry == 0).then_some(out)
    };
    let cmp = |a: &[u64; 4], b: &[u64; 4]| a.iter().rev().cmp(b.iter().rev());
    let (o, n) = (old.limbs(), new.limbs());
    let upper_ok = match mul4(old) {
        Some(o4) => cmp(&n, &o4).is_le(),
        None => true,
    };
    let lower_ok = match mul4(new) {
        Some(n4) => cmp(&n4, &o).is_ge(),
        None => true,
    };
    upper_ok && lower_ok
}
