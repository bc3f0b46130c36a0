//! The anchoring fee budget: what the anchor transactions of the last hour and the last day
//! paid, kept in the outbox's database (table `anchor_spend`, written in the same transaction
//! as the signed transaction it pays for), and the pure check of a new fee against it.
//!
//! Amounts are integer litoshi (1 LTC = 100 000 000 litoshi). A replace-by-fee bump counts only
//! what it adds to the fee it replaces; a transaction built anew (its inputs were gone) counts
//! its whole fee, so the ledger never counts less than was paid.

use super::outbox::Outbox;
use crate::error::StoreError;
use redb::{ReadableTable, TableDefinition};

/// Spends: counter → (unix ms, litoshi).
pub(crate) const SPEND: TableDefinition<u64, (u64, u64)> = TableDefinition::new("anchor_spend");

const HOUR_MS: u64 = 3_600_000;
const DAY_MS: u64 = 24 * HOUR_MS;

/// One fee paid (or committed to) at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spend {
    /// Unix time in milliseconds.
    pub at_ms: u64,
    /// The fee, in litoshi.
    pub litoshi: u64,
}

/// The rolling window a budget covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// The last 3 600 s.
    Hour,
    /// The last 86 400 s.
    Day,
}

impl Window {
    /// Its length in milliseconds.
    pub fn ms(self) -> u64 {
        match self {
            Window::Hour => HOUR_MS,
            Window::Day => DAY_MS,
        }
    }

    /// `"hour"` or `"day"`.
    pub fn name(self) -> &'static str {
        match self {
            Window::Hour => "hour",
            Window::Day => "day",
        }
    }
}

/// How much the anchor transactions may pay per hour and per day, in litoshi.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeeBudget {
    /// Per rolling hour.
    pub per_hour: u64,
    /// Per rolling day.
    pub per_day: u64,
}

impl Default for FeeBudget {
    /// 0.01 LTC an hour, 0.1 LTC a day (`docs/anchoring.md`, "Budget").
    fn default() -> Self {
        FeeBudget {
            per_hour: 1_000_000,
            per_day: 10_000_000,
        }
    }
}

/// A fee that does not fit a window's budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exhausted {
    /// The window whose budget is used up.
    pub window: Window,
    /// What the window already spent (litoshi).
    pub spent: u64,
    /// The window's budget (litoshi).
    pub budget: u64,
    /// When enough of the spent fees leave the window for this fee to fit; `None` when the fee
    /// alone is larger than the budget.
    pub until_ms: Option<u64>,
}

impl FeeBudget {
    /// Whether `fee` fits both windows at `now_ms` after `spends`; the first window it does not
    /// fit otherwise (the day before the hour when both are full, as the day lasts longer).
    pub fn check(&self, spends: &[Spend], now_ms: u64, fee: u64) -> Result<(), Exhausted> {
        for (window, budget) in [(Window::Day, self.per_day), (Window::Hour, self.per_hour)] {
            check_window(spends, now_ms, fee, window, budget)?;
        }
        Ok(())
    }
}

fn check_window(
    spends: &[Spend],
    now_ms: u64,
    fee: u64,
    window: Window,
    budget: u64,
) -> Result<(), Exhausted> {
    let from = now_ms.saturating_sub(window.ms());
    let mut inside: Vec<Spend> = spends.iter().copied().filter(|s| s.at_ms > from).collect();
    inside.sort_by_key(|s| s.at_ms);
    let spent: u64 = inside
        .iter()
        .map(|s| s.litoshi)
        .fold(0, u64::saturating_add);
    if spent.saturating_add(fee) <= budget {
        return Ok(());
    }
    // The oldest spends leave the window first: the first moment the rest plus `fee` fits.
    let until_ms = if fee > budget {
        None
    } else {
        let mut left = spent;
        inside.iter().find_map(|s| {
            left -= s.litoshi;
            (left.saturating_add(fee) <= budget).then_some(s.at_ms + window.ms())
        })
    };
    Err(Exhausted {
        window,
        spent,
        budget,
        until_ms,
    })
}

impl Outbox {
    /// The spends of the last day.
    pub fn spends(&self, now_ms: u64) -> Result<Vec<Spend>, StoreError> {
        let s = self.store();
        let tx = s.begin_read()?;
        let t = tx.open_table(SPEND).map_err(|e| s.err(e))?;
        let from = now_ms.saturating_sub(DAY_MS);
        let mut out = Vec::new();
        for row in t.iter().map_err(|e| s.err(e))? {
            let (_, v) = row.map_err(|e| s.err(e))?;
            let (at_ms, litoshi) = v.value();
            if at_ms > from {
                out.push(Spend { at_ms, litoshi });
            }
        }
        Ok(out)
    }

    /// Records `spend` inside the caller's write transaction, dropping spends older than a day.
    pub(crate) fn record_spend_in(
        &self,
        tx: &redb::WriteTransaction,
        spend: Spend,
    ) -> Result<(), StoreError> {
        let s = self.store();
        let mut t = tx.open_table(SPEND).map_err(|e| s.err(e))?;
        let from = spend.at_ms.saturating_sub(DAY_MS);
        let mut old = Vec::new();
        for row in t.iter().map_err(|e| s.err(e))? {
            let (k, v) = row.map_err(|e| s.err(e))?;
            if v.value().0 <= from {
                old.push(k.value());
            }
        }
        for k in old {
            t.remove(k).map_err(|e| s.err(e))?;
        }
        let next = t
            .last()
            .map_err(|e| s.err(e))?
            .map_or(0, |(k, _)| k.value() + 1);
        t.insert(next, (spend.at_ms, spend.litoshi))
            .map_err(|e| s.err(e))?;
        Ok(())
    }
}

impl Outbox {
    /// Removes the latest ledger row equal to `spend`, inside the caller's write transaction.
    pub(crate) fn remove_spend_in(
        &self,
        tx: &redb::WriteTransaction,
        spend: Spend,
    ) -> Result<(), StoreError> {
        let s = self.store();
        let mut t = tx.open_table(SPEND).map_err(|e| s.err(e))?;
        let mut found = None;
        for row in t.iter().map_err(|e| s.err(e))? {
            let (k, v) = row.map_err(|e| s.err(e))?;
            if v.value() == (spend.at_ms, spend.litoshi) {
                found = Some(k.value());
            }
        }
        if let Some(k) = found {
            t.remove(k).map_err(|e| s.err(e))?;
        }
        Ok(())
    }
}

/// Reads an amount in LTC as the node's JSON shows it (`0.0000452`, `4.52e-5`, `1`) into
/// litoshi, exactly (no floating point); `None` for a negative amount or more than 8 decimals.
pub fn litoshi_of(amount: &serde_json::Value) -> Option<u64> {
    let text = match amount {
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) => s.clone(),
        _ => return None,
    };
    let (mantissa, exp) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().ok()?),
        None => (text.as_str(), 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.starts_with('-') || !(int.chars().chain(frac.chars())).all(|c| c.is_ascii_digit()) {
        return None;
    }
    let digits = format!("{int}{frac}");
    // value = digits × 10^(exp − len(frac)); litoshi = value × 10^8.
    let shift = exp + 8 - i32::try_from(frac.len()).ok()?;
    let mut v: u64 = digits.trim_start_matches('0').parse().unwrap_or(0);
    if shift >= 0 {
        for _ in 0..shift {
            v = v.checked_mul(10)?;
        }
        Some(v)
    } else {
        for _ in 0..(-shift) {
            if !v.is_multiple_of(10) {
                return None;
            }
            v /= 10;
        }
        Some(v)
    }
}

/// Litoshi as an LTC amount string with 8 decimals (`"0.00004520"`), as the node takes it.
pub fn ltc_string(litoshi: u64) -> String {
    format!("{}.{:08}", litoshi / 100_000_000, litoshi % 100_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(min: u64, litoshi: u64) -> Spend {
        Spend {
            at_ms: min * 60_000,
            litoshi,
        }
    }

    #[test]
    fn a_fee_fits_until_a_window_is_full_and_says_when_it_frees() {
        let b = FeeBudget {
            per_hour: 10_000,
            per_day: 50_000,
        };
        let spends = [at(100, 4_000), at(110, 4_000)];
        assert_eq!(b.check(&spends, 120 * 60_000, 2_000), Ok(()));
        let e = b.check(&spends, 120 * 60_000, 2_001).unwrap_err();
        assert_eq!(e.window, Window::Hour);
        assert_eq!(e.spent, 8_000);
        // The spend at minute 100 leaves the hour at minute 160; then 4 000 + 2 001 fits.
        assert_eq!(e.until_ms, Some(160 * 60_000));
        // An hour later the first spend no longer counts.
        assert_eq!(b.check(&spends, 161 * 60_000, 6_000), Ok(()));
        // A fee larger than the budget never fits.
        assert_eq!(b.check(&[], 0, 10_001).unwrap_err().until_ms, None);
        // The day: 6 spends of 9 000 spread over hours fill 50 000.
        let day: Vec<Spend> = (0..6).map(|h| at(h * 120 + 1, 9_000)).collect();
        let e = b.check(&day, 11 * 60 * 60_000, 1).unwrap_err();
        assert_eq!(e.window, Window::Day);
        assert_eq!(e.spent, 54_000);
        // 45 000 + 1 fits once the first spend (minute 1) is a day old.
        assert_eq!(e.until_ms, Some(60_000 + DAY_MS));
    }

    #[test]
    fn amounts_convert_exactly() {
        assert_eq!(litoshi_of(&json!(0.0000452)), Some(4_520));
        assert_eq!(litoshi_of(&json!(4.52e-5)), Some(4_520));
        assert_eq!(litoshi_of(&json!(1)), Some(100_000_000));
        assert_eq!(litoshi_of(&json!(50.0)), Some(5_000_000_000));
        assert_eq!(litoshi_of(&json!(0.00000001)), Some(1));
        assert_eq!(litoshi_of(&json!("0.12345678")), Some(12_345_678));
        assert_eq!(litoshi_of(&json!("0.123456789")), None);
        assert_eq!(litoshi_of(&json!(-0.1)), None);
        assert_eq!(litoshi_of(&json!("x")), None);
        assert_eq!(ltc_string(4_520), "0.00004520");
        assert_eq!(ltc_string(5_000_000_001), "50.00000001");
    }
}
