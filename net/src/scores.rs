//! Peer scores: every invalid header, evidence or sync answer costs its sender
//! [`INVALID_PENALTY`]; a peer at or below [`BAN_THRESHOLD`] is disconnected and refused for
//! [`BAN_DURATION`]. Scores recover by [`RECOVERY_PER_MINUTE`] a minute towards 0, so an honest
//! node that once relayed a header this node's clock thought too new is never banned, while a
//! peer sending junk is cut off after its third bad message. The clock is passed in.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Score lost per invalid message.
pub const INVALID_PENALTY: i64 = 20;
/// A peer at or below this score is banned.
pub const BAN_THRESHOLD: i64 = -50;
/// How long a ban lasts.
pub const BAN_DURATION: Duration = Duration::from_secs(600);
/// Score regained per minute (up to 0).
pub const RECOVERY_PER_MINUTE: i64 = 5;

#[derive(Debug, Clone, Copy)]
struct Entry {
    score: i64,
    updated: Instant,
    banned_until: Option<Instant>,
}

/// Scores of the peers by id.
#[derive(Debug)]
pub struct PeerScores<P> {
    peers: HashMap<P, Entry>,
}

impl<P> Default for PeerScores<P> {
    fn default() -> Self {
        PeerScores {
            peers: HashMap::new(),
        }
    }
}

impl<P: std::hash::Hash + Eq + Copy> PeerScores<P> {
    fn entry(&mut self, peer: P, now: Instant) -> &mut Entry {
        let e = self.peers.entry(peer).or_insert(Entry {
            score: 0,
            updated: now,
            banned_until: None,
        });
        let minutes = now.saturating_duration_since(e.updated).as_secs() / 60;
        if minutes > 0 {
            let gain = i64::try_from(minutes)
                .unwrap_or(i64::MAX)
                .saturating_mul(RECOVERY_PER_MINUTE);
            e.score = e.score.saturating_add(gain).min(0);
            e.updated = now;
        }
        e
    }

    /// The peer's score now.
    pub fn score(&mut self, peer: P, now: Instant) -> i64 {
        self.entry(peer, now).score
    }

    /// Records an invalid message; returns true when this makes the peer banned.
    pub fn penalise(&mut self, peer: P, now: Instant) -> bool {
        let e = self.entry(peer, now);
        e.score = e.score.saturating_sub(INVALID_PENALTY);
        if e.score <= BAN_THRESHOLD && e.banned_until.is_none_or(|t| t <= now) {
            e.banned_until = Some(now + BAN_DURATION);
            return true;
        }
        false
    }

    /// Whether the peer is banned now.
    pub fn is_banned(&mut self, peer: P, now: Instant) -> bool {
        self.entry(peer, now).banned_until.is_some_and(|t| t > now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn third_invalid_message_bans_and_scores_recover() {
        let t0 = Instant::now();
        let mut s = PeerScores::default();
        assert!(!s.penalise(1u8, t0));
        assert!(!s.penalise(1, t0));
        assert_eq!(s.score(1, t0), -40);
        assert!(!s.is_banned(1, t0));
        assert!(s.penalise(1, t0), "third strike bans");
        assert!(s.is_banned(1, t0));
        assert!(!s.penalise(1, t0), "already banned: reported once");
        assert!(s.is_banned(1, t0 + BAN_DURATION - Duration::from_secs(1)));
        assert!(!s.is_banned(1, t0 + BAN_DURATION));
        // Another peer is untouched; one bad message a quarter of an hour never bans.
        let mut t = t0;
        for _ in 0..20 {
            assert!(!s.penalise(2, t));
            t += Duration::from_secs(15 * 60);
        }
        assert_eq!(s.score(3, t), 0);
        // Recovery stops at 0.
        assert_eq!(s.score(2, t + Duration::from_secs(3600)), 0);
    }
}
