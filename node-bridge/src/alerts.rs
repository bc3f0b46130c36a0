//! The chain node's alerts (`docs/bridge.md`, "Alerts"): anchoring stalled, the paying wallet
//! low, the anchoring fee budget exhausted. Evaluated after every pass of the bridge loop from
//! the anchorer's status; episodes, the rate limit and delivery (a `warn` line always, the
//! `[alerts]` webhook and command of the chains file) are `masspoc_alert`'s, shared with the
//! farmer.

use crate::anchor::{AnchorStatus, Hold};
use crate::rpc::RpcClient;
use masspoc_alert::{AlertMessage, Condition, Delivery, Episodes, Kind};

/// The node's alert kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum NodeAlertKind {
    /// Anchors have been held (nobody mining, mempool chain) or anchoring passes have failed
    /// for `stalled_secs`.
    AnchoringStalled,
    /// The paying wallet's confirmed balance is below `wallet_low_litoshi`.
    WalletLow,
    /// The anchoring fee budget of the hour or the day is used up.
    FeeBudgetExhausted,
}

impl Kind for NodeAlertKind {
    fn name(self) -> &'static str {
        match self {
            NodeAlertKind::AnchoringStalled => "anchoring_stalled",
            NodeAlertKind::WalletLow => "wallet_low",
            NodeAlertKind::FeeBudgetExhausted => "fee_budget_exhausted",
        }
    }
}

/// The `[alerts]` table of the chains file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeAlertsConfig {
    /// Webhook and command.
    pub delivery: Delivery,
    /// At most one delivery per kind in this many seconds (default 300).
    pub min_interval_secs: u64,
    /// How long anchoring may be held or failing before `anchoring_stalled` (default 600).
    pub stalled_secs: u64,
    /// `wallet_low` below this confirmed balance, litoshi (default 1,000,000 = 0.01 LTC;
    /// 0: never).
    pub wallet_low_litoshi: u64,
}

impl Default for NodeAlertsConfig {
    fn default() -> Self {
        NodeAlertsConfig {
            delivery: Delivery {
                webhook: None,
                command: None,
                command_timeout: masspoc_alert::COMMAND_TIMEOUT,
            },
            min_interval_secs: 300,
            stalled_secs: 600,
            wallet_low_litoshi: 1_000_000,
        }
    }
}

/// How often the wallet's balance is asked (`getbalances`), ms.
pub const BALANCE_EVERY_MS: u64 = 60_000;

/// What one pass left, as far as alerts go.
#[derive(Debug, Clone, Default)]
pub struct PassState {
    /// The anchorer's status after the pass.
    pub anchor: AnchorStatus,
    /// The anchoring pass's error, if it failed.
    pub anchor_error: Option<String>,
}

/// The alert state of one node.
pub struct NodeAlerts {
    config: NodeAlertsConfig,
    node: String,
    wallet_name: String,
    episodes: Episodes<NodeAlertKind>,
    stalled_since_ms: Option<u64>,
    balance: Option<(u64, Option<u64>)>,
}

impl NodeAlerts {
    /// Alerts of the node at `node` (its API address, named in each message), paying from the
    /// wallet `wallet_name`.
    #[must_use]
    pub fn new(config: NodeAlertsConfig, node: String, wallet_name: String) -> Self {
        NodeAlerts {
            episodes: Episodes::new(config.min_interval_secs.saturating_mul(1000)),
            config,
            node,
            wallet_name,
            stalled_since_ms: None,
            balance: None,
        }
    }

    /// After one pass at `now_ms`: asks the wallet's balance (at most every
    /// [`BALANCE_EVERY_MS`]), evaluates the conditions, logs new episodes and delivers them on
    /// a thread of their own (the pass does not wait). Returns the messages sent.
    pub fn after_pass(
        &mut self,
        now_ms: u64,
        pass: &PassState,
        wallet: &RpcClient,
    ) -> Vec<AlertMessage> {
        if self.config.wallet_low_litoshi > 0
            && self
                .balance
                .is_none_or(|(at, _)| now_ms.saturating_sub(at) >= BALANCE_EVERY_MS)
        {
            self.balance = Some((now_ms, confirmed_litoshi(wallet)));
        }
        let conditions = self.conditions(now_ms, pass);
        let delivery = &self.config.delivery;
        let fresh = self
            .episodes
            .observe(now_ms, conditions, delivery.delivers());
        let msgs: Vec<AlertMessage> = fresh
            .iter()
            .map(|c| AlertMessage {
                node: Some(self.node.clone()),
                ..AlertMessage::new("masspoc-node-alert", c, now_ms)
            })
            .collect();
        if !msgs.is_empty() {
            let (to, batch) = (delivery.clone(), msgs.clone());
            // Bounded (webhook 5 s, command killed at its timeout); the pass goes on.
            std::thread::spawn(move || {
                for m in &batch {
                    masspoc_alert::deliver(&to, m);
                }
            });
        }
        msgs
    }

    /// The alerts whose condition holds now.
    #[must_use]
    pub fn active(&self) -> Vec<masspoc_alert::Episode<NodeAlertKind>> {
        self.episodes.active()
    }

    fn conditions(&mut self, now_ms: u64, pass: &PassState) -> Vec<Condition<NodeAlertKind>> {
        let mut out = Vec::new();
        let st = &pass.anchor;
        if let Some(h @ Hold::Budget(e)) = &st.hold {
            out.push(Condition {
                kind: NodeAlertKind::FeeBudgetExhausted,
                subject: format!("anchoring fee budget per {}", e.window.name()),
                what: h.message(),
                todo: format!(
                    "raise fee_budget_per_{} in the [anchoring] table of the chains file and \
                     restart the node, or wait: {} item(s) stay queued",
                    e.window.name(),
                    st.queued
                ),
            });
        }
        let stalled = match (&st.hold, &pass.anchor_error) {
            (Some(h @ (Hold::WaitingForBlocks { .. } | Hold::MempoolChain { .. })), _) => {
                Some(h.message())
            }
            (_, Some(e)) => Some(format!("anchoring passes fail: {e}")),
            _ => None,
        };
        match stalled {
            None => self.stalled_since_ms = None,
            Some(why) => {
                let since = *self.stalled_since_ms.get_or_insert(now_ms);
                let secs = now_ms.saturating_sub(since) / 1000;
                if secs >= self.config.stalled_secs {
                    out.push(Condition {
                        kind: NodeAlertKind::AnchoringStalled,
                        subject: "anchoring".into(),
                        what: format!("no anchor has gone out for {secs} s: {why}"),
                        todo: "check that the litecoind node runs, is in sync and that blocks \
                               are mined; the node's log says why each pass stops"
                            .into(),
                    });
                }
            }
        }
        if let Some((_, Some(have))) = self.balance {
            if have < self.config.wallet_low_litoshi {
                out.push(Condition {
                    kind: NodeAlertKind::WalletLow,
                    subject: format!("wallet {}", self.wallet_name),
                    what: format!(
                        "the paying wallet holds {have} litoshi confirmed, below {} \
                         (wallet_low_litoshi)",
                        self.config.wallet_low_litoshi
                    ),
                    todo: "send LTC to the wallet (`litecoin-cli -rpcwallet=… getnewaddress`); \
                           anchors wait while it cannot pay"
                        .into(),
                });
            }
        }
        out
    }
}

/// The wallet's confirmed ("trusted") balance in litoshi, `None` when it cannot be asked.
fn confirmed_litoshi(wallet: &RpcClient) -> Option<u64> {
    let b = wallet
        .call_value("getbalances", serde_json::json!([]))
        .ok()?;
    crate::anchor::budget::litoshi_of(&b["mine"]["trusted"])
}
