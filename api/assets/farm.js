// The farmer's status page: /status.json and /history.json every 3 s, tables and two charts.
"use strict";
(function () {
  var m = masspoc;
  var charts = { latency: null, blocks: null, labels: "" };
  var history = { t: [], p50: [], p99: [], chains: [] };
  var last = 0;
  window.masspocStatus = { charts: charts, history: history, status: null };

  function render(s) {
    window.masspocStatus.status = s;
    var box = document.getElementById("alerts-box"), list = document.getElementById("alerts");
    list.replaceChildren();
    s.alerts.forEach(function (a) {
      var li = m.el("li", a.kind + " — " + a.subject + ": ");
      li.appendChild(m.el("span", a.what + ". " + a.todo + " (since " + m.time(a.since_ms) + ")"));
      list.appendChild(li);
    });
    box.className = s.alerts.length ? "" : "hidden";
    m.cards("space", [
      ["local plots", s.local.plots], ["local space", m.bytes(s.local.bytes)],
      ["harvester plots", s.remote.plots], ["harvester space", m.bytes(s.remote.bytes)],
      ["lookup budget", s.lookup_budget_ms + " ms"], ["up", m.duration(s.now_ms - s.started_ms)]
    ]);
    m.table("chains", ["chain", "node", "height", "difficulty", "share", "expected win", "proofs 24 h", "signed 24 h", "accepted 24 h", "over budget 24 h", "last error"],
      s.chains.map(function (c) {
        return [c.label, m.el("span", c.reachable ? "up" : "down", c.reachable ? "ok" : "bad"), c.height, c.difficulty,
          c.share_ppm === null ? null : (c.share_ppm / 10000).toFixed(2) + " %", m.duration(c.expected_win_ms),
          c.proofs_24h, c.signed_24h, c.accepted_24h, c.over_budget_24h,
          c.last_error ? m.time(c.last_error.at_ms) + " " + c.last_error.message : null];
      }));
    var rows = [];
    s.disks.forEach(function (d) {
      rows.push([m.el("b", d.path), m.el("span", d.available ? "available" : "unavailable", d.available ? "ok" : "bad"), d.plots, m.bytes(d.bytes), d.stalled_lookups ? d.stalled_lookups + " stalled" : ""]);
      d.plot_list.forEach(function (p) {
        rows.push(["  " + p.path.split("/").pop(), m.el("span", p.state, p.state === "ok" ? "ok" : "bad"), "k " + p.k, m.bytes(p.bytes), ""]);
      });
      d.skipped.forEach(function (f) {
        rows.push(["  " + f.path.split("/").pop(), m.el("span", "skipped", "bad"), "", "", f.reason]);
      });
    });
    m.table("disks", ["directory / plot", "state", "plots", "size", "note"], rows);
    m.table("harvesters", ["harvester", "state", "plots", "space", "lookups", "p50", "p99", "errors", "invalid", "timeouts"],
      s.harvesters.map(function (h) {
        return [h.id.slice(0, 16) + "…", m.el("span", h.connected ? "connected" : "unreachable", h.connected ? "ok" : "bad"),
          h.plots, m.bytes(h.bytes), h.lookups, h.p50_us === null ? null : (h.p50_us / 1000).toFixed(2) + " ms",
          h.p99_us === null ? null : (h.p99_us / 1000).toFixed(2) + " ms", h.errors, h.invalid, h.timeouts];
      }));
  }

  function addHistory(h) {
    var labels = h.chains.map(function (c) { return c.label; }).join("\u0000");
    if (charts.labels !== labels) {
      charts.labels = labels;
      history.t = []; history.p50 = []; history.p99 = [];
      history.chains = h.chains.map(function () { return { proofs: [], accepted: [] }; });
      if (charts.blocks) charts.blocks.destroy();
      var names = [];
      h.chains.forEach(function (c) { names.push(c.label + " proofs", c.label + " accepted"); });
      charts.blocks = m.chart("chart-blocks", names);
    }
    if (!charts.latency) charts.latency = m.chart("chart-latency", ["p50", "p99"]);
    var ms = function (v) { return v === null ? null : v / 1000; };
    for (var i = 0; i < h.t_ms.length; i++) {
      history.t.push(h.t_ms[i] / 1000);
      history.p50.push(ms(h.p50_us[i]));
      history.p99.push(ms(h.p99_us[i]));
      h.chains.forEach(function (c, j) {
        history.chains[j].proofs.push(c.proofs[i]);
        history.chains[j].accepted.push(c.accepted[i]);
      });
      last = h.t_ms[i];
    }
    var max = 8640;
    if (history.t.length > max) {
      var cut = history.t.length - max;
      history.t.splice(0, cut); history.p50.splice(0, cut); history.p99.splice(0, cut);
      history.chains.forEach(function (c) { c.proofs.splice(0, cut); c.accepted.splice(0, cut); });
    }
    charts.latency.setData([history.t, history.p50, history.p99]);
    var data = [history.t];
    history.chains.forEach(function (c) { data.push(c.proofs, c.accepted); });
    charts.blocks.setData(data);
  }

  window.masspocStatus.polls = [
    m.poll("/status.json", 3000, render),
    m.poll({ toString: function () { return "/history.json?after=" + last; } }, 3000, addHistory)
  ];
})();
