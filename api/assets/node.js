// The chain node's status page: /v1/status every 3 s, tables and a chart of chain heights
// (kept in the page, at most 2,000 points).
"use strict";
(function () {
  var m = masspoc;
  var charts = { heights: null, labels: "" };
  var history = { t: [], heights: [] };
  window.masspocStatus = { charts: charts, history: history, status: null };

  function render(s) {
    window.masspocStatus.status = s;
    m.cards("node", [
      ["PoW height", s.pow_height === null ? "–" : s.pow_height],
      ["peers", s.peers === null ? "no network" : s.peers],
      ["chains", s.chains.length], ["evidence", s.evidence.length],
      ["anchoring", s.anchors ? "on" : "off"],
      ["up", m.duration(s.now_ms - s.started_ms)]
    ]);
    m.table("chains", ["chain", "height", "tip", "difficulty", "target interval", "id"],
      s.chains.map(function (c) {
        return [c.name, c.height, c.tip_hash.slice(0, 16) + "…", c.difficulty, m.duration(c.target_interval_ms), c.chain_id.slice(0, 16) + "…"];
      }));
    var a = s.anchors;
    document.getElementById("anchor-summary").textContent = a
      ? a.pending_items + " item(s) waiting for the next batch" + (a.fee_budget ? "; fee budget: " + JSON.stringify(a.fee_budget) : "")
      : "this node keeps no anchoring outbox";
    m.table("anchors", ["batch", "state", "items", "txid", "block", "confirmations"],
      a ? a.batches.slice(-50).reverse().map(function (b) {
        return [b.seq, b.state, b.items, b.txid ? b.txid.slice(0, 16) + "…" : null, b.block_height, b.confirmations];
      }) : []);
    m.table("evidence", ["evidence", "chain", "height", "farmer", "anchored"],
      s.evidence.map(function (e) {
        return [e.id.slice(0, 16) + "…", e.chain, e.height, e.farmer_pk.slice(0, 16) + "…", e.anchored ? "yes" : "no"];
      }));
    var labels = s.chains.map(function (c) { return c.name; }).join("\u0000");
    if (charts.labels !== labels) {
      charts.labels = labels;
      history.t = []; history.heights = s.chains.map(function () { return []; });
      if (charts.heights) charts.heights.destroy();
      charts.heights = m.chart("chart-heights", s.chains.map(function (c) { return c.name; }));
    }
    history.t.push(s.now_ms / 1000);
    s.chains.forEach(function (c, i) { history.heights[i].push(c.height); });
    if (history.t.length > 2000) {
      history.t.shift();
      history.heights.forEach(function (h) { h.shift(); });
    }
    charts.heights.setData([history.t].concat(history.heights));
  }

  window.masspocStatus.polls = [m.poll("/v1/status", 3000, render)];
})();
