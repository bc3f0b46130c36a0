// Shared helpers of the status pages: DOM building without innerHTML, number formats, charts.
"use strict";
var masspoc = (function () {
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function table(id, head, rows) {
    var t = document.getElementById(id);
    t.replaceChildren();
    var tr = el("tr");
    head.forEach(function (h) { tr.appendChild(el("th", h)); });
    t.appendChild(tr);
    if (rows.length === 0) {
      var r = el("tr"), td = el("td", "none", "muted");
      td.colSpan = head.length;
      r.appendChild(td);
      t.appendChild(r);
    }
    rows.forEach(function (row) {
      var r = el("tr");
      row.forEach(function (c) {
        if (c instanceof Node) { var td = el("td"); td.appendChild(c); r.appendChild(td); }
        else r.appendChild(el("td", c === null || c === undefined ? "–" : c, typeof c === "number" ? "num" : ""));
      });
      t.appendChild(r);
    });
  }
  function cards(id, pairs) {
    var box = document.getElementById(id);
    box.replaceChildren();
    pairs.forEach(function (p) {
      var c = el("div", null, "card");
      c.appendChild(el("div", p[1], "v"));
      c.appendChild(el("div", p[0], "k"));
      box.appendChild(c);
    });
  }
  function bytes(n) {
    n = Number(n);
    var u = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"], i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i === 0 ? n : n.toFixed(1)) + " " + u[i];
  }
  function duration(ms) {
    if (ms === null || ms === undefined) return "–";
    var s = ms / 1000;
    if (s < 120) return s.toFixed(1) + " s";
    if (s < 7200) return (s / 60).toFixed(1) + " min";
    if (s < 172800) return (s / 3600).toFixed(1) + " h";
    return (s / 86400).toFixed(1) + " d";
  }
  function time(ms) { return new Date(ms).toLocaleTimeString(); }
  function chart(id, series) {
    var box = document.getElementById(id);
    var width = function () { return Math.max(280, box.clientWidth - 2); };
    var opts = {
      width: width(), height: 230,
      series: [{}].concat(series.map(function (s, i) {
        return { label: s, stroke: ["#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#bf3989"][i % 6], width: 2, spanGaps: false };
      })),
      axes: [{}, {}],
      scales: { x: { time: true } }
    };
    var data = [[]].concat(series.map(function () { return []; }));
    var u = new uPlot(opts, data, box);
    window.addEventListener("resize", function () { u.setSize({ width: width(), height: 230 }); });
    return u;
  }
  function poll(url, every, onData) {
    var state = { ok: 0, failed: 0 };
    function once() {
      fetch(url, { cache: "no-store" })
        .then(function (r) { if (!r.ok) throw new Error(url + ": HTTP " + r.status); return r.json(); })
        .then(function (j) { state.ok++; onData(j); document.getElementById("updated").textContent = "updated " + time(Date.now()); })
        .catch(function (e) { state.failed++; document.getElementById("updated").textContent = "cannot reach the server: " + e.message; })
        .finally(function () { setTimeout(once, every); });
    }
    once();
    return state;
  }
  return { el: el, table: table, cards: cards, bytes: bytes, duration: duration, time: time, chart: chart, poll: poll };
})();
