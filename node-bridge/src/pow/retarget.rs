//! Litecoin's difficulty rules as pure integer functions: the retarget value
//! (`CalculateNextWorkRequired`, with Litecoin's one-bit shift against overflow), the testnet
//! minimum-difficulty rule (`GetNextWorkRequired`), the compact encoding of a target
//! (`GetCompact`), the median time past (`CBlockIndex::GetMedianTimePast`) and a block's work
//! (`GetBlockProof`, summed into the node's `chainwork`).
//!
//! Source: Litecoin Core 0.21 `src/pow.cpp`, `src/arith_uint256.cpp`, `src/chain.h`; consensus
//! constants from `src/chainparams.cpp` (main, test and regtest: `nPowTargetTimespan` 3.5 days,
//! `nPowTargetSpacing` 150 s, so 2016 blocks per adjustment). Known answers: Litecoin Core's
//! `src/test/pow_tests.cpp`.

// Limb arithmetic walks several 4-limb arrays by the same index: index loops read clearest.
#![allow(clippy::needless_range_loop)]

use super::target::Target;

/// Litecoin's target timespan of one adjustment period, seconds (3.5 days).
pub const TARGET_TIMESPAN: u64 = 302_400;
/// Litecoin's target block spacing, seconds (2.5 minutes).
pub const TARGET_SPACING: u64 = 150;
/// How many timestamps the median time past takes.
pub const MEDIAN_TIME_SPAN: usize = 11;

type U256 = [u64; 4];

fn bits_of(x: &U256) -> u32 {
    for i in (0..4).rev() {
        if x[i] != 0 {
            return 64 * i as u32 + (64 - x[i].leading_zeros());
        }
    }
    0
}

fn shr(x: &U256, n: u32) -> U256 {
    let mut out = [0u64; 4];
    let (limbs, bits) = ((n / 64) as usize, n % 64);
    for i in 0..4 {
        let src = i + limbs;
        if src < 4 {
            out[i] = x[src] >> bits;
            if bits > 0 && src + 1 < 4 {
                out[i] |= x[src + 1] << (64 - bits);
            }
        }
    }
    out
}

fn shl1(x: &U256) -> U256 {
    let mut out = [0u64; 4];
    let mut carry = 0;
    for i in 0..4 {
        out[i] = (x[i] << 1) | carry;
        carry = x[i] >> 63;
    }
    out
}

/// `x * m`, truncated to 256 bits as `arith_uint256` does.
fn mul(x: &U256, m: u64) -> U256 {
    let mut out = [0u64; 4];
    let mut carry = 0u128;
    for i in 0..4 {
        let v = u128::from(x[i]) * u128::from(m) + carry;
        out[i] = v as u64;
        carry = v >> 64;
    }
    out
}

fn div(x: &U256, d: u64) -> U256 {
    let mut out = [0u64; 4];
    let mut rem = 0u128;
    for i in (0..4).rev() {
        let v = (rem << 64) | u128::from(x[i]);
        out[i] = (v / u128::from(d)) as u64;
        rem = v % u128::from(d);
    }
    out
}

/// `a + b` and `a − b`, wrapping at 2^256 as `arith_uint256` does.
fn add(a: &U256, b: &U256) -> U256 {
    let mut out = [0u64; 4];
    let mut carry = false;
    for i in 0..4 {
        let (s, c1) = a[i].overflowing_add(b[i]);
        let (s, c2) = s.overflowing_add(u64::from(carry));
        out[i] = s;
        carry = c1 || c2;
    }
    out
}

fn sub(a: &U256, b: &U256) -> U256 {
    add(a, &add(&b.map(|l| !l), &[1, 0, 0, 0]))
}

fn ge(a: &U256, b: &U256) -> bool {
    a.iter().rev().cmp(b.iter().rev()).is_ge()
}

/// `n / d` for a non-zero `d` (shift and subtract, one bit at a time).
fn div_wide(n: &U256, d: &U256) -> U256 {
    let (mut q, mut rem) = ([0u64; 4], [0u64; 4]);
    for bit in (0..256).rev() {
        let overflow = rem[3] >> 63 == 1;
        rem = shl1(&rem);
        rem[0] |= (n[bit / 64] >> (bit % 64)) & 1;
        // With the shifted-out bit the remainder is at least 2^256 > d; wrapping gives it right.
        if overflow || ge(&rem, d) {
            rem = sub(&rem, d);
            q[bit / 64] |= 1 << (bit % 64);
        }
    }
    q
}

/// The work of a block whose target is `target`: the expected number of hashes to meet it,
/// `2^256 / (target + 1)` (`GetBlockProof`, computed as `~target / (target + 1) + 1`), as u64
/// limbs, least significant first. The node's `chainwork` of a block is the sum of these from
/// genesis up to it.
pub fn block_work(target: &Target) -> [u64; 4] {
    let t = target.limbs();
    let d = add(&t, &[1, 0, 0, 0]);
    if d == [0; 4] {
        return [1, 0, 0, 0];
    }
    add(&div_wide(&t.map(|l| !l), &d), &[1, 0, 0, 0])
}

/// `total + work` (wrapping at 2^256; no chain comes near it).
pub fn add_work(total: &[u64; 4], work: &[u64; 4]) -> [u64; 4] {
    add(total, work)
}

/// `later − earlier` of two chainwork values (wrapping at 2^256).
pub fn work_between(earlier: &[u64; 4], later: &[u64; 4]) -> [u64; 4] {
    sub(later, earlier)
}

/// A 256-bit value as 64 big-endian hex digits (as the node writes `chainwork`).
pub fn work_hex(work: &[u64; 4]) -> String {
    from_limbs(work).to_string()
}

fn from_limbs(x: &U256) -> Target {
    let mut be = [0u8; 32];
    for (i, limb) in x.iter().enumerate() {
        be[32 - 8 * (i + 1)..32 - 8 * i].copy_from_slice(&limb.to_be_bytes());
    }
    Target(be)
}

/// The compact encoding of a target (`arith_uint256::GetCompact`, positive).
pub fn to_compact(t: &Target) -> u32 {
    let x = t.limbs();
    let mut size = bits_of(&x).div_ceil(8);
    let mut compact = if size <= 3 {
        (x[0] << (8 * (3 - size))) as u32
    } else {
        shr(&x, 8 * (size - 3))[0] as u32
    };
    if compact & 0x0080_0000 != 0 {
        compact >>= 8;
        size += 1;
    }
    compact | (size << 24)
}

/// The `bits` of the first block of a new period (`CalculateNextWorkRequired`): the last
/// block's target scaled by the period's actual timespan (`last_time − first_time`, clamped to
/// [timespan/4, timespan·4]) over [`TARGET_TIMESPAN`], capped at `pow_limit`. With
/// `no_retargeting` (regtest) the last `bits` stay.
pub fn next_work_required(
    last_bits: u32,
    last_time: i64,
    first_time: i64,
    pow_limit: &Target,
    no_retargeting: bool,
) -> Option<u32> {
    if no_retargeting {
        return Some(last_bits);
    }
    let span = TARGET_TIMESPAN as i64;
    let actual = (last_time - first_time).clamp(span / 4, span * 4) as u64;
    let mut new = Target::from_compact(last_bits).ok()?.limbs();
    let limit = pow_limit.limbs();
    // Litecoin: the intermediate product can overflow by one bit.
    let shift = bits_of(&new) > bits_of(&limit) - 1;
    if shift {
        new = shr(&new, 1);
    }
    new = div(&mul(&new, actual), TARGET_TIMESPAN);
    if shift {
        new = shl1(&new);
    }
    let new = from_limbs(&new);
    Some(to_compact(if new > *pow_limit { pow_limit } else { &new }))
}

/// Testnet's rule between retargets (`GetNextWorkRequired` with `fPowAllowMinDifficultyBlocks`):
/// the `bits` a block must carry. A block more than 2 × [`TARGET_SPACING`] after its parent
/// carries the minimum difficulty (`pow_limit`'s compact form, `0x1e0fffff`); any other carries
/// `last_normal_bits`, the bits of the last block before it that is not a minimum-difficulty
/// block (or is at a retarget height).
pub fn testnet_bits(
    block_time: i64,
    parent_time: i64,
    last_normal_bits: u32,
    pow_limit: &Target,
) -> u32 {
    if block_time > parent_time + 2 * TARGET_SPACING as i64 {
        to_compact(pow_limit)
    } else {
        last_normal_bits
    }
}

/// The median of the last (up to) [`MEDIAN_TIME_SPAN`] block times, newest last
/// (`GetMedianTimePast`: sorted, the element at `len / 2`). A block's time must be above its
/// parent's median time past. `None` for no times.
pub fn median_time_past(times: &[u32]) -> Option<u32> {
    let from = times.len().saturating_sub(MEDIAN_TIME_SPAN);
    let mut last: Vec<u32> = times[from..].to_vec();
    last.sort_unstable();
    last.get(last.len() / 2).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn main_limit() -> Target {
        Target::from_hex("00000fffffffffffffffffffffffffffffffffffffffffffffffffffffffffff")
            .unwrap()
    }

    /// Litecoin Core `src/test/pow_tests.cpp` (v0.21.5.5), mainnet parameters.
    #[test]
    fn retarget_matches_litecoin_cores_pow_tests() {
        let cases = [
            // get_next_work: block #280223, last retarget time 1358118740.
            (0x1c0ac141, 1_358_378_777, 1_358_118_740, 0x1c093f8d),
            // get_next_work_pow_limit: block #2015, capped at the limit.
            (0x1e0ffff0, 1_318_480_354, 1_317_972_665, 0x1e0fffff),
            // get_next_work_lower_limit_actual: block #578591.
            (0x1b075cf1, 1_401_757_934, 1_401_682_934, 0x1b01d73c),
            // get_next_work_upper_limit_actual.
            (0x1b015318, 1_464_900_315, 1_463_690_315, 0x1b054c60),
        ];
        for (bits, last, first, want) in cases {
            assert_eq!(
                next_work_required(bits, last, first, &main_limit(), false),
                Some(want),
                "{bits:#x}"
            );
        }
        assert_eq!(
            next_work_required(0x207fffff, 10, 0, &main_limit(), true),
            Some(0x207fffff)
        );
    }

    #[test]
    fn compact_encoding_round_trips_known_limits() {
        // chainparams.cpp: main/test powLimit 00000fff… is 0x1e0fffff; regtest 7fff… 0x207fffff.
        assert_eq!(to_compact(&main_limit()), 0x1e0fffff);
        let regtest =
            Target::from_hex("7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff")
                .unwrap();
        assert_eq!(to_compact(&regtest), 0x207fffff);
        for bits in [0x1c093f8d, 0x1b01d73c, 0x1d00ffff, 0x1e0ffff0, 0x03123456] {
            assert_eq!(to_compact(&Target::from_compact(bits).unwrap()), bits);
        }
    }

    #[test]
    fn testnet_minimum_difficulty_after_twice_the_spacing() {
        let limit = main_limit();
        assert_eq!(
            testnet_bits(1_000 + 301, 1_000, 0x1c093f8d, &limit),
            0x1e0fffff
        );
        assert_eq!(
            testnet_bits(1_000 + 300, 1_000, 0x1c093f8d, &limit),
            0x1c093f8d
        );
    }

    /// Hand-worked examples of `GetMedianTimePast` (`src/chain.h`); the known answers from a
    /// real node are in `tests/pow_known_answers.rs` (`median_time_past_matches_a_real_regtest_node`).
    #[test]
    fn block_work_matches_the_nodes_chainwork() {
        let work = |bits: u32| block_work(&Target::from_compact(bits).unwrap());
        // Litecoin regtest: every block adds 2 (genesis chainwork …02, block 1 …04).
        assert_eq!(work(0x207fffff), [2, 0, 0, 0]);
        // Bitcoin's 0x1d00ffff: 2^256 / (0xffff · 2^208 + 1) = 0x100010001.
        assert_eq!(work(0x1d00ffff), [0x1_0001_0001, 0, 0, 0]);
        // Litecoin mainnet genesis (0x1e0ffff0): chainwork 0x100010 (getblockheader of block 0).
        assert_eq!(work(0x1e0ffff0), [0x10_0010, 0, 0, 0]);
        let total = add_work(&work(0x1d00ffff), &work(0x207fffff));
        assert_eq!(work_between(&work(0x207fffff), &total), work(0x1d00ffff));
        assert_eq!(
            work_hex(&[0x10_0010, 0, 0, 0]),
            format!("{:064x}", 0x10_0010)
        );
        // Wider than 64 bits: limb boundaries carry.
        let big = [u64::MAX, 1, 0, 0];
        assert_eq!(add_work(&big, &[1, 0, 0, 0]), [0, 2, 0, 0]);
        assert_eq!(work_between(&[1, 0, 0, 0], &[0, 2, 0, 0]), big);
    }

    #[test]
    fn median_time_past_is_the_middle_of_the_last_eleven() {
        assert_eq!(median_time_past(&[]), None);
        assert_eq!(median_time_past(&[5]), Some(5));
        assert_eq!(
            median_time_past(&[1, 9]),
            Some(9),
            "element len/2 of the sorted two"
        );
        let times: Vec<u32> = (0..20).map(|i| 1_000 + i * 10).collect();
        // The last 11 are 1090..=1190; the middle one 1140.
        assert_eq!(median_time_past(&times), Some(1_140));
        let shuffled = [7, 3, 11, 1, 9, 5, 2, 8, 10, 4, 6];
        assert_eq!(median_time_past(&shuffled), Some(6));
    }
}
