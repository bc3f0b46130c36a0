//! Crash points for tests: a test arms one [`FaultPoint`] and the next write that reaches it stops
//! there with [`crate::HostError::Fault`], before its transaction commits (so redb drops every
//! write of that transaction, as a crash would) — or, for [`FaultPoint::AfterCommit`], after the
//! commit and before the reply. A test can also stall the next block write before its commit
//! (a slow disk, holding that chain's lock and the database's write transaction). Arming needs
//! the `fault-injection` feature; without it the checks compile to nothing.

/// Where a write sequence of the chain host can be stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultPoint {
    /// A block's header and body were appended to the log; nothing else of its submission was
    /// written.
    AfterHeaderLogged,
    /// The header was also queued for anchoring.
    AfterHeaderQueued,
    /// The header was also shown to the detector (seen, or evidence stored).
    AfterDetector,
    /// Posted evidence was stored by the detector; not yet queued.
    AfterEvidenceStored,
    /// Evidence was queued for anchoring; not yet committed.
    AfterEvidenceQueued,
    /// Everything was committed; the reply was not sent.
    AfterCommit,
}

/// The armed crash point of one chain host.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    #[cfg(feature = "fault-injection")]
    armed: Option<FaultPoint>,
    /// How long the next block write holds its locks before committing (a slow disk).
    #[cfg(feature = "fault-injection")]
    stall: Option<std::time::Duration>,
}

impl Faults {
    /// Arms `point` for the next write sequence that reaches it.
    #[cfg(feature = "fault-injection")]
    pub(crate) fn arm(&mut self, point: Option<FaultPoint>) {
        self.armed = point;
    }

    /// Makes the next block write wait `hold` before its commit.
    #[cfg(feature = "fault-injection")]
    pub(crate) fn stall(&mut self, hold: std::time::Duration) {
        self.stall = Some(hold);
    }

    /// The stall armed for this write, disarming it.
    #[cfg(feature = "fault-injection")]
    pub(crate) fn take_stall(&mut self) -> Option<std::time::Duration> {
        self.stall.take()
    }

    /// Without the `fault-injection` feature nothing is ever stalled.
    #[cfg(not(feature = "fault-injection"))]
    #[inline]
    pub(crate) fn take_stall(&mut self) -> Option<std::time::Duration> {
        None
    }

    /// Stops here if `point` is armed (disarming it).
    #[inline]
    pub(crate) fn hit(&mut self, point: FaultPoint) -> Result<(), crate::HostError> {
        #[cfg(feature = "fault-injection")]
        if self.armed == Some(point) {
            self.armed = None;
            return Err(crate::HostError::Fault(point));
        }
        let _ = point;
        Ok(())
    }
}
