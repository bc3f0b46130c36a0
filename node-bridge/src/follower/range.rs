//! A stretch of the node's best chain checked without a store, as a light verifier needs it
//! (`masspoc verify-chain --pow-rpc`): the headers `from..=to` are fetched in batches
//! ([`super::fetch_run`]) and each batch is checked by the follower's own
//! [`validate_run_with`] on top of the batch before, with the median-time-past history and the
//! retarget period starts taken from the headers already checked. Only each header's id and time
//! are kept (36 bytes a header); one batch of raw headers is in memory at a time. The work the
//! checked headers hold is summed and must be the growth of the node's own `chainwork` over the
//! range ([`check_chainwork`]).

use super::fetch_run;
use super::validate::{validate_run_with, Parent};
use crate::error::{FollowError, PowError, RpcError};
use crate::pow::retarget::{add_work, block_work, work_between, work_hex, MEDIAN_TIME_SPAN};
use crate::pow::{Hash256, PowParams, Target};
use crate::rpc::RpcClient;
use serde_json::{json, Value};

/// Headers per batch when the caller has no preference (the follower's default chunk).
pub const DEFAULT_CHUNK: u64 = 500;

/// The first height to check so that every header from `lowest` on gets every check the
/// follower makes: the [`MEDIAN_TIME_SPAN`] blocks before `lowest` (its median time past), and,
/// when a retarget height lies in `lowest..=to`, the block its period starts at
/// ([`PowParams::retarget_first_height`]) so that its exact `bits` are checked.
pub fn range_start(params: &PowParams, lowest: u64, to: u64) -> u64 {
    let mut start = lowest.saturating_sub(MEDIAN_TIME_SPAN as u64);
    let interval = params.retarget_interval.max(1);
    let first_retarget = lowest.div_ceil(interval).saturating_mul(interval);
    if first_retarget <= to {
        if let Some(first) = params.retarget_first_height(first_retarget) {
            start = start.min(first);
        }
    }
    start
}

/// What [`check_range`] accepted: the id of every header of `from..=to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedRange {
    /// The first height checked (its own parent is not checked, as the follower's start block).
    pub from: u64,
    ids: Vec<Hash256>,
    times: Vec<u32>,
    /// The work of the headers above `from` (u64 limbs, least significant first).
    work: [u64; 4],
}

impl CheckedRange {
    /// How many headers were checked.
    pub fn len(&self) -> u64 {
        self.ids.len() as u64
    }

    /// The work of the checked headers above the first, 64 hex digits (as the node writes
    /// `chainwork`).
    pub fn work_hex(&self) -> String {
        work_hex(&self.work)
    }

    /// True when no header was checked.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The checked header's id at `height`, `None` outside the range.
    pub fn id_at(&self, height: u64) -> Option<Hash256> {
        self.index(height).map(|i| self.ids[i])
    }

    fn index(&self, height: u64) -> Option<usize> {
        let i = usize::try_from(height.checked_sub(self.from)?).ok()?;
        (i < self.ids.len()).then_some(i)
    }

    /// The times of the last [`MEDIAN_TIME_SPAN`] checked headers (every one when the range
    /// starts at genesis), as [`validate_run_with`] wants its history; `None` while there are
    /// fewer above genesis (the median time past cannot be computed as the node does).
    fn history(&self) -> Option<&[u32]> {
        let n = self.times.len();
        match (self.from, n) {
            (_, 0) => None,
            (0, _) => Some(&self.times[n.saturating_sub(MEDIAN_TIME_SPAN)..]),
            (_, n) if n >= MEDIAN_TIME_SPAN => Some(&self.times[n - MEDIAN_TIME_SPAN..]),
            _ => None,
        }
    }
}

/// Fetches the node's best-chain headers `from..=to` in batches of `chunk` and checks them as
/// the follower does (id, scrypt proof of work, link to the header before, `bits` against the
/// network's limit and rules, the exact retarget value when the period start is in the range,
/// time above the median time past once 11 headers are checked). The first failure is
/// [`FollowError::InvalidHeader`] with its height; [`check_name`] says which check it was.
pub fn check_range(
    rpc: &RpcClient,
    params: &PowParams,
    from: u64,
    to: u64,
    chunk: u64,
) -> Result<CheckedRange, FollowError> {
    let mut range = CheckedRange {
        from,
        ids: Vec::new(),
        times: Vec::new(),
        work: [0; 4],
    };
    let mut parent: Option<Parent> = None;
    let mut next = from;
    while next <= to {
        let end = to.min(next.saturating_add(chunk.max(1) - 1));
        let run = fetch_run(rpc, next, end)?;
        let time_at = |h: u64| range.index(h).map(|i| range.times[i]);
        let headers = validate_run_with(params, parent, range.history(), &time_at, &run)?;
        for (header, f) in headers.iter().zip(&run) {
            if f.height > from {
                let target = header
                    .target()
                    .map_err(|reason| FollowError::InvalidHeader {
                        height: f.height,
                        reason,
                    })?;
                range.work = add_work(&range.work, &block_work(&target));
            }
            range.ids.push(f.reported);
            range.times.push(header.time);
            parent = Some(Parent {
                height: f.height,
                id: f.reported,
                bits: header.bits,
            });
        }
        next = end + 1;
    }
    Ok(range)
}

/// The node's `chainwork` and the checked headers' work disagree.
#[derive(Debug, thiserror::Error)]
#[error(
    "the node's chainwork grows by {reported} from height {from} to {to}, but the headers \
     checked there hold {computed}"
)]
pub struct ChainworkMismatch {
    /// The first height of the range.
    pub from: u64,
    /// The last.
    pub to: u64,
    /// `chainwork(to) − chainwork(from)` as the node reports them (hex).
    pub reported: String,
    /// The work of the checked headers above `from` (hex).
    pub computed: String,
}

/// A [`CheckedRange`] compared with the node's `chainwork` failed.
#[derive(Debug, thiserror::Error)]
pub enum ChainworkError {
    /// Asking the node failed.
    #[error(transparent)]
    Rpc(#[from] RpcError),
    /// The node's figures disagree with the headers.
    #[error(transparent)]
    Mismatch(#[from] ChainworkMismatch),
}

/// Checks that the node's `chainwork` (`getblockheader ID true`) of the range's last header
/// exceeds that of its first by exactly the work of the checked headers in between: the node's
/// own cumulative-work figure, which a user may compare with other sources, is then backed by the
/// headers checked. Nothing to check for fewer than two headers.
pub fn check_chainwork(rpc: &RpcClient, range: &CheckedRange) -> Result<(), ChainworkError> {
    let (Some(first), Some(last)) = (range.ids.first(), range.ids.last()) else {
        return Ok(());
    };
    if range.ids.len() < 2 {
        return Ok(());
    }
    let chainwork = |id: &Hash256| -> Result<[u64; 4], RpcError> {
        let v = rpc.call_value("getblockheader", json!([id.to_string(), true]))?;
        v.get("chainwork")
            .and_then(Value::as_str)
            .and_then(|s| Target::from_hex(s).ok())
            .map(|t| t.limbs())
            .ok_or_else(|| RpcError::UnexpectedResult {
                method: "getblockheader".to_string(),
                detail: format!("no 64-digit chainwork in {v}"),
            })
    };
    let reported = work_between(&chainwork(first)?, &chainwork(last)?);
    if reported != range.work {
        return Err(ChainworkMismatch {
            from: range.from,
            to: range.from + range.len() - 1,
            reported: work_hex(&reported),
            computed: range.work_hex(),
        }
        .into());
    }
    Ok(())
}

/// The check a refused header failed, in one word: `link` (does not extend the header before),
/// `bits` (target above the limit, or not what the rules require), `pow` (scrypt hash above the
/// target), `id` (hashes to something else than the node called it), `time` (not above the
/// median time past) or `decode` (not an 80-byte header).
pub fn check_name(reason: &PowError) -> &'static str {
    match reason {
        PowError::BadLink { .. } => "link",
        PowError::NegativeTarget(_)
        | PowError::OverflowTarget(_)
        | PowError::ZeroTarget(_)
        | PowError::AboveLimit(_)
        | PowError::BadBits { .. } => "bits",
        PowError::InsufficientWork { .. } => "pow",
        PowError::IdMismatch { .. } => "id",
        PowError::TimeTooOld { .. } => "time",
        PowError::BadLength(_) | PowError::BadHex(_) => "decode",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_range_starts_early_enough_for_the_median_and_the_retarget() {
        let regtest = PowParams::regtest();
        assert_eq!(range_start(&regtest, 150, 4000), 139);
        assert_eq!(range_start(&regtest, 5, 10), 0);
        let main = PowParams::mainnet();
        // No retarget in 4100..=4200: the median's 11 blocks only.
        assert_eq!(range_start(&main, 4100, 4200), 4089);
        // The retarget at 6048 measures from 4031.
        assert_eq!(range_start(&main, 4100, 6048), 4031);
        assert_eq!(range_start(&main, 4100, 6047), 4089);
        // Lowest on a retarget height itself.
        assert_eq!(range_start(&main, 4032, 4040), 2015);
        // The first retarget measures from genesis.
        assert_eq!(range_start(&main, 100, 2016), 0);
    }

    #[test]
    fn history_needs_eleven_times_above_genesis() {
        let mut r = CheckedRange {
            from: 7,
            ids: vec![Hash256([0; 32]); 10],
            times: (0..10).collect(),
            work: [0; 4],
        };
        assert_eq!(r.history(), None);
        r.ids.push(Hash256([0; 32]));
        r.times.push(10);
        assert_eq!(r.history().map(<[u32]>::len), Some(11));
        r.from = 0;
        r.ids.truncate(3);
        r.times.truncate(3);
        assert_eq!(r.history(), Some(&[0u32, 1, 2][..]));
        assert_eq!(r.id_at(2), Some(Hash256([0; 32])));
        assert_eq!(r.id_at(3), None);
    }
}
