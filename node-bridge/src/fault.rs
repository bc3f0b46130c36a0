//! Crash points for tests: a test arms one [`FaultPoint`] and the next write that reaches it stops
//! there with [`crate::HostError::Fault`], before its transaction commits (so redb drops every
//! write of that transaction, as a crash would) — or, for [`FaultPoint::AfterCommit`], after the
//! commit and before the reply. Arming needs the `fault-injection` feature; without it the checks
//! compile to nothing.

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
}

impl Faults {
    /// Arms `point` for the next write sequence that reaches it.
    #[cfg(feature = "fault-injection")]
    pub(crate) fn arm(&mut self, point: Option<FaultPoint>) {
        self.armed = point;
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
