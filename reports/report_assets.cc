// The report's inline stylesheet and script; see report_assets.h.
//
// The data element's shape (arrays, by position, to keep pages of thousands of operations small):
//   ops:         [index, delivery, kind, invoke_ms, complete_ms|null, outcome, error_class,
//                 client_attempts, server_attempts, operation_id, client, target_status, message]
//   commits:     [index, delivery, time_ms, write_kind, version_before, version_after,
//                 operation_id, changed_fields]
//   transitions: [delivery, time_ms, status_before, status_after, commit_index]
//   leases:      [delivery, start_ms, end_ms, until_ms, owner, ended]
//   faults:      [kind, target, start_ms, end_ms]
//   documents:   [delivery, time_ms, kind, detail]
//   op_violations / commit_violations: {index: [property names]}
// where `delivery` is an index into `deliveries`.
#include "reports/report_assets.h"

namespace tracksim::reports {

const std::string_view kReportStyle = R"css(
:root { --ok: #2e9d5b; --fail: #d64541; --pse: #8e24aa; --unknown: #e8962a; --pending: #9aa0a6;
        --lease: #5c6bc0; --ink: #1f2328; --muted: #656d76; --line: #d0d7de; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
       margin: 0 auto; padding: 16px 24px 48px; max-width: 1280px; }
h1 { font-size: 22px; margin: 0 0 4px; overflow-wrap: anywhere; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line);
     padding-bottom: 4px; }
h3 { font-size: 14px; margin: 14px 0 4px; }
code, pre { font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; }
pre { background: var(--bg); padding: 8px; overflow: auto; }
.meta { color: var(--muted); margin: 2px 0; overflow-wrap: anywhere; }
.verdict { display: inline-block; font-weight: 700; padding: 2px 10px; border-radius: 4px;
           color: #fff; }
.verdict.pass { background: var(--ok); } .verdict.fail { background: var(--fail); }
table { border-collapse: collapse; margin: 4px 0 8px; }
th, td { border: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: var(--bg); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.fail td.verdict-cell { color: var(--fail); font-weight: 700; }
tr.pass td.verdict-cell { color: var(--ok); }
ul.witnesses { margin: 0; padding-left: 18px; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr));
           gap: 0 24px; }
.charts { display: flex; flex-wrap: wrap; gap: 12px 24px; }
.charts figure { margin: 0; }
figcaption { font-weight: 600; font-size: 13px; }
svg.chart { width: 560px; max-width: 100%; height: auto; background: #fff; }
svg.chart .grid { stroke: #eaeef2; } svg.chart .bar { fill: #4a89dc; }
svg.chart .tick, svg.chart .unit { font-size: 10px; fill: var(--muted); }
svg.chart .marker { stroke: var(--fail); stroke-dasharray: 3 2; }
svg.chart .marker-label { font-size: 10px; fill: var(--fail); }
.legend { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 12px; color: var(--muted);
          margin: 4px 0; }
.swatch { display: inline-block; width: 12px; height: 10px; margin-right: 4px;
          vertical-align: -1px; border-radius: 2px; }
.controls { display: flex; flex-wrap: wrap; gap: 6px 10px; align-items: center; margin: 6px 0;
            padding: 6px 8px; background: var(--bg); border: 1px solid var(--line); }
.controls input[type=number] { width: 96px; } .controls input[type=search] { width: 180px; }
.controls select { max-width: 220px; }
#tl-status { color: var(--muted); font-size: 12px; }
#tl-view { border: 1px solid var(--line); overflow-x: hidden; overflow-y: auto; max-height: 75vh;
           min-height: 80px; user-select: none; }
#tl-view svg { display: block; }
#tl-detail { min-height: 24px; font-size: 13px; margin-top: 6px; }
#tl-detail dl { display: grid; grid-template-columns: max-content 1fr; gap: 0 12px; margin: 0; }
#tl-detail dt { color: var(--muted); } #tl-detail dd { margin: 0; word-break: break-all; }
svg .axis text, svg .lane-label { font-size: 11px; fill: var(--ink); }
svg .axis line { stroke: #eaeef2; }
svg .lane-sep { stroke: var(--line); }
svg .op { cursor: pointer; }
svg .op.ok { fill: var(--ok); } svg .op.fail { fill: var(--fail); }
svg .op.pse { fill: var(--pse); }
svg .op.unknown { fill: var(--unknown); } svg .op.pending { fill: var(--pending); }
svg .op.violating { stroke: #000; stroke-width: 1.5; }
svg .op.focus { stroke: #000; stroke-width: 3; }
svg .lease { fill: var(--lease); opacity: 0.75; }
svg .lease.expired { fill: none; stroke: var(--fail); stroke-dasharray: 3 2; opacity: 1; }
svg .transition { stroke: #24292f; stroke-width: 1.5; }
svg .transition-label { font-size: 10px; fill: #24292f; }
svg .doc-event { fill: #fff; stroke: #24292f; }
svg .doc-event.deleted_by_ttl { fill: var(--fail); stroke: var(--fail); }
svg .commit.violating { fill: var(--fail); }
svg .fault { fill: #f4b400; opacity: 0.9; }
svg .band { fill: #f4b400; opacity: 0.12; pointer-events: none; }
svg .band.storage_failover { fill: var(--fail); }
svg .drag { fill: #4a89dc; opacity: 0.15; }
a.op-link, a.commit-link { font-family: ui-monospace, "DejaVu Sans Mono", monospace;
                           font-size: 12px; }
.none { color: var(--muted); }
)css";

const std::string_view kReportScript = R"js(
(function () {
  'use strict';
  var body = document.body;
  window.addEventListener('error', function (e) {
    body.setAttribute('data-error', String(e.message || 'script error'));
  });

  var data = JSON.parse(document.getElementById('tracksim-data').textContent);
  var SVGNS = 'http://www.w3.org/2000/svg';
  var PAGE = 25, MAX_ROWS = 12, ROW_H = 10, LABEL_W = 190;
  var deliveries = data.deliveries, ops = data.ops, commits = data.commits;

  function byDelivery(list, field) {
    var out = deliveries.map(function () { return []; });
    list.forEach(function (item) { out[item[field]].push(item); });
    return out;
  }
  var opsBy = byDelivery(ops, 1), leasesBy = byDelivery(data.leases, 0);
  var transitionsBy = byDelivery(data.transitions, 0), documentsBy = byDelivery(data.documents, 0);
  var commitsBy = byDelivery(commits, 1);

  function opEnd(op) { return op[4] === null ? data.end_ms : op[4]; }

  // Operations of one delivery that overlap in time go on separate rows, packed once so rows do
  // not jump about while zooming.
  var rowOf = {}, rowsBy = [];
  opsBy.forEach(function (list, d) {
    var sorted = list.slice().sort(function (a, b) { return a[3] - b[3] || a[0] - b[0]; });
    var ends = [];
    sorted.forEach(function (op) {
      var row = -1;
      for (var r = 0; r < ends.length; r++) { if (ends[r] <= op[3]) { row = r; break; } }
      if (row < 0 && ends.length < MAX_ROWS) { row = ends.length; ends.push(0); }
      if (row < 0) {
        row = 0;
        for (var k = 1; k < ends.length; k++) { if (ends[k] < ends[row]) row = k; }
      }
      ends[row] = Math.max(ends[row], opEnd(op));
      rowOf[op[0]] = row;
    });
    rowsBy[d] = Math.max(1, ends.length);
  });

  function violatingDelivery(d) {
    return opsBy[d].some(function (op) { return data.op_violations[op[0]]; }) ||
        commitsBy[d].some(function (c) { return data.commit_violations[c[0]]; });
  }

  var state = { filter: '', delivery: -1, violationsOnly: false, page: 0,
                w0: 0, w1: data.end_ms, focusOp: -1, focusCommit: -1 };
  var el = function (id) { return document.getElementById(id); };
  var view = el('tl-view');

  var select = el('tl-delivery');
  deliveries.forEach(function (name, d) {
    var option = document.createElement('option');
    option.value = String(d);
    option.textContent = name + ' (' + opsBy[d].length + ')';
    select.appendChild(option);
  });

  function svg(tag, attrs, parent, text) {
    var node = document.createElementNS(SVGNS, tag);
    for (var k in attrs) node.setAttribute(k, String(attrs[k]));
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }
  function tip(node, text) { svg('title', {}, node, text); return node; }
  function fmt(ms) { return ms >= 1000 ? (ms / 1000).toFixed(3) + ' s' : ms.toFixed(1) + ' ms'; }
  // An axis label with as many decimals as the tick step needs.
  function tickLabel(ms, step) {
    if (step >= 1000) return (ms / 1000).toFixed(step >= 10000 ? 0 : 1) + ' s';
    return ms.toFixed(step >= 1 ? 0 : step >= 0.1 ? 1 : 2) + ' ms';
  }
  function niceStep(raw) {
    var p = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1e-6))));
    var steps = [1, 2, 5, 10];
    for (var i = 0; i < steps.length; i++) { if (steps[i] * p >= raw) return steps[i] * p; }
    return 10 * p;
  }

  function visible() {
    var f = state.filter.toLowerCase(), out = [];
    for (var d = 0; d < deliveries.length; d++) {
      if (state.delivery >= 0 && d !== state.delivery) continue;
      if (f && deliveries[d].toLowerCase().indexOf(f) < 0) continue;
      if (state.violationsOnly && !violatingDelivery(d)) continue;
      out.push(d);
    }
    return out;
  }

  function render() {
    var list = visible();
    var pages = Math.max(1, Math.ceil(list.length / PAGE));
    state.page = Math.min(Math.max(0, state.page), pages - 1);
    var shown = list.slice(state.page * PAGE, state.page * PAGE + PAGE);
    var w0 = state.w0, w1 = state.w1, span = Math.max(w1 - w0, 1e-3);
    var width = Math.max(640, view.clientWidth || 1000), plotW = width - LABEL_W - 12;
    var x = function (t) { return LABEL_W + (t - w0) / span * plotW; };
    var clampX = function (t) { return Math.min(Math.max(x(t), LABEL_W), LABEL_W + plotW); };
    var inWindow = function (a, b) { return b >= w0 && a <= w1; };
    var root = svg('svg', { width: width, id: 'tl-svg' });
    var bands = svg('g', { 'class': 'bands' }, root);
    var y = 0, opsDrawn = 0;

    // The time axis.
    var axis = svg('g', { 'class': 'axis' }, root);
    var step = niceStep(span / 8);
    for (var t = Math.ceil(w0 / step) * step; t <= w1; t += step) {
      svg('line', { x1: x(t), x2: x(t), y1: 16, y2: 100000 }, axis);
      svg('text', { x: x(t), y: 12, 'text-anchor': 'middle' }, axis, tickLabel(t, step));
    }
    svg('text', { x: 4, y: 12 }, axis, 'virtual time');
    y = 20;

    // Faults across every delivery: bars in their own lane, and a band over the lanes below.
    var faultRows = [];
    data.faults.forEach(function (f, i) {
      if (!inWindow(f[2], f[3])) return;
      var row = 0;
      while (faultRows[row] !== undefined && faultRows[row] > f[2]) row++;
      faultRows[row] = f[3];
      var rect = svg('rect', { 'class': 'fault', x: clampX(f[2]), y: y + row * ROW_H,
                               width: Math.max(2, clampX(f[3]) - clampX(f[2])),
                               height: ROW_H - 2 }, root);
      tip(rect, 'fault ' + f[0] + ' on ' + f[1] + ': ' + fmt(f[2]) + ' to ' + fmt(f[3]));
      rect.setAttribute('data-fault', String(i));
    });
    if (faultRows.length) {
      svg('text', { 'class': 'lane-label', x: 4, y: y + 9 }, root, 'faults');
      y += faultRows.length * ROW_H + 6;
    }
    var bandsTop = y;

    shown.forEach(function (d) {
      var rows = rowsBy[d], top = y, header = 14, leaseY = top + header, opsY = leaseY + 7;
      var height = header + 7 + rows * ROW_H + 6;
      svg('line', { 'class': 'lane-sep', x1: 0, x2: width, y1: top, y2: top }, root);
      var label = svg('text', { 'class': 'lane-label', x: 4, y: top + 12 }, root,
                      deliveries[d].length > 26 ? deliveries[d].slice(0, 25) + '…' : deliveries[d]);
      tip(label, deliveries[d] + ': ' + opsBy[d].length + ' operations');
      svg('text', { 'class': 'lane-label', x: 4, y: top + 24, fill: '#656d76' }, root,
          opsBy[d].length + ' ops');

      leasesBy[d].forEach(function (l) {
        if (!inWindow(l[1], l[3])) return;
        var width = Math.max(1.5, clampX(l[2]) - clampX(l[1]));
        var held = svg('rect', { 'class': 'lease', x: clampX(l[1]), y: leaseY, width: width,
                                 height: 5 }, root);
        tip(held, 'operationLock held by ' + l[4] + ' from ' + fmt(l[1]) + ' to ' + fmt(l[2]) +
            ' (lease until ' + fmt(l[3]) + ', ' + l[5] + ')');
        if (l[5] === 'expired' || l[5] === 'open') {
          tip(svg('rect', { 'class': 'lease expired', x: clampX(l[1]), y: leaseY - 1,
                            width: Math.max(1.5, clampX(l[3]) - clampX(l[1])), height: 7 }, root),
              'lease of ' + l[4] + ' ' + l[5] + ' at ' + fmt(l[3]));
        }
      });

      var lastLabelX = -1e9;
      transitionsBy[d].forEach(function (tr) {
        if (!inWindow(tr[1], tr[1])) return;
        var tx = x(tr[1]);
        var mark = svg('line', { 'class': 'transition', x1: tx, x2: tx, y1: top + 2,
                                 y2: opsY + rows * ROW_H }, root);
        tip(mark, 'status ' + tr[2] + ' → ' + tr[3] + ' at ' + fmt(tr[1]) +
                  ' (commit ' + tr[4] + ')');
        // Labels are drawn only where the previous one has ended (about 6 px a character).
        if (tx > lastLabelX) {
          svg('text', { 'class': 'transition-label', x: tx + 2, y: top + 11 }, root, tr[3]);
          lastLabelX = tx + 6 * tr[3].length + 6;
        }
      });
      commitsBy[d].forEach(function (c) {
        if (!data.commit_violations[c[0]] || !inWindow(c[2], c[2])) return;
        tip(svg('circle', { 'class': 'commit violating', cx: x(c[2]), cy: leaseY + 2.5, r: 4,
                            'data-commit': c[0] }, root),
            'commit ' + c[0] + ' (version ' + c[4] + ' → ' + c[5] + ') breaks ' +
            data.commit_violations[c[0]].join(', '));
      });
      documentsBy[d].forEach(function (e) {
        if (!inWindow(e[1], e[1])) return;
        tip(svg('rect', { 'class': 'doc-event ' + e[2], x: x(e[1]) - 4, y: top + 3, width: 8,
                          height: 8, transform: 'rotate(45 ' + x(e[1]) + ' ' + (top + 7) + ')' },
                root),
            'document ' + e[2] + ' at ' + fmt(e[1]) + (e[3] ? ': ' + e[3] : ''));
      });

      opsBy[d].forEach(function (op) {
        var end = opEnd(op);
        if (!inWindow(op[3], end)) return;
        var cls = 'op ' + op[5];
        if (op[6] === 'ParallelSaveError') cls += ' pse';
        if (data.op_violations[op[0]]) cls += ' violating';
        if (op[0] === state.focusOp) cls += ' focus';
        var rect = svg('rect', { 'class': cls, x: clampX(op[3]), y: opsY + rowOf[op[0]] * ROW_H,
                                 width: Math.max(1.5, clampX(end) - clampX(op[3])),
                                 height: ROW_H - 2, 'data-op': op[0] }, root);
        tip(rect, op[9] + ' ' + op[2] + (op[11] ? ' → ' + op[11] : '') + ': ' + op[5] +
            (op[6] ? ' (' + op[6] + ')' : '') + ', ' + fmt(op[3]) + ' to ' +
            (op[4] === null ? 'end' : fmt(op[4])));
        opsDrawn++;
      });
      y += height;
    });

    data.faults.forEach(function (f) {
      if (!inWindow(f[2], f[3]) || f[3] <= f[2]) return;
      svg('rect', { 'class': 'band ' + f[0], x: clampX(f[2]), y: bandsTop,
                    width: Math.max(1, clampX(f[3]) - clampX(f[2])),
                    height: Math.max(0, y - bandsTop) }, bands);
    });
    root.setAttribute('height', String(Math.max(y + 4, 40)));
    root.setAttribute('viewBox', '0 0 ' + width + ' ' + Math.max(y + 4, 40));
    if (!shown.length) {
      svg('text', { x: 8, y: y + 20 }, root, 'No delivery matches the filter.');
      root.setAttribute('height', String(y + 30));
      root.setAttribute('viewBox', '0 0 ' + width + ' ' + (y + 30));
    }
    view.textContent = '';
    view.appendChild(root);
    attachDrag(root, x, w0, span, plotW);

    el('tl-from').value = w0.toFixed(1);
    el('tl-to').value = w1.toFixed(1);
    el('tl-status').textContent = 'deliveries ' + (list.length ? state.page * PAGE + 1 : 0) + '–' +
        (state.page * PAGE + shown.length) + ' of ' + list.length + ' (page ' + (state.page + 1) +
        ' of ' + pages + '), ' + opsDrawn + ' operations in ' + fmt(w0) + ' – ' + fmt(w1);
  }

  // Dragging across the timeline zooms to the dragged span.
  function attachDrag(root, x, w0, span, plotW) {
    var start = null, shade = null;
    var toTime = function (px) { return w0 + (px - LABEL_W) / plotW * span; };
    var localX = function (e) { return e.clientX - root.getBoundingClientRect().left; };
    root.addEventListener('mousedown', function (e) {
      if (e.button !== 0 || localX(e) < LABEL_W) return;
      start = localX(e);
      shade = svg('rect', { 'class': 'drag', x: start, y: 0, width: 0,
                            height: root.getAttribute('height') }, root);
    });
    root.addEventListener('mousemove', function (e) {
      if (start === null) return;
      var now = localX(e);
      shade.setAttribute('x', String(Math.min(start, now)));
      shade.setAttribute('width', String(Math.abs(now - start)));
    });
    root.addEventListener('mouseup', function (e) {
      if (start === null) return;
      var now = localX(e), a = Math.min(start, now), b = Math.max(start, now);
      start = null;
      if (b - a < 5) { shade.remove(); return; }
      setWindow(toTime(a), toTime(b));
    });
  }

  function setWindow(a, b) {
    a = Math.max(0, a); b = Math.min(data.end_ms, b);
    if (!(b > a)) { a = 0; b = data.end_ms; }
    state.w0 = a; state.w1 = b;
    render();
  }
  function zoom(factor) {
    var mid = (state.w0 + state.w1) / 2, half = (state.w1 - state.w0) / 2 * factor;
    var a = mid - half, b = mid + half;
    if (a < 0) { b -= a; a = 0; }
    setWindow(a, b);
  }

  function showDetail(pairs, links) {
    var box = el('tl-detail');
    box.textContent = '';
    var dl = document.createElement('dl');
    pairs.forEach(function (p) {
      var dt = document.createElement('dt'), dd = document.createElement('dd');
      dt.textContent = p[0];
      dd.textContent = String(p[1]);
      dl.appendChild(dt); dl.appendChild(dd);
    });
    (links || []).forEach(function (name) {
      var dt = document.createElement('dt'), dd = document.createElement('dd');
      var a = document.createElement('a');
      dt.textContent = 'breaks';
      a.href = '#property-' + name;
      a.textContent = name;
      dd.appendChild(a);
      dl.appendChild(dt); dl.appendChild(dd);
    });
    box.appendChild(dl);
  }
  function showOp(i) {
    var op = ops[i];
    if (!op) return;
    showDetail([['operation', op[9] + ' (#' + op[0] + ')'], ['delivery', deliveries[op[1]]],
                ['client', op[10]], ['kind', op[2] + (op[11] ? ' → ' + op[11] : '')],
                ['outcome', op[5] + (op[6] ? ' (' + op[6] + ')' : '')],
                ['invoked', fmt(op[3])], ['completed', op[4] === null ? 'never' : fmt(op[4])],
                ['latency', op[4] === null ? '—' : fmt(op[4] - op[3])],
                ['client requests', op[7]], ['server store attempts', op[8]],
                ['message', op[12] || '—']],
               data.op_violations[op[0]]);
  }
  function showCommit(i) {
    var c = commits[i];
    if (!c) return;
    showDetail([['commit', '#' + c[0] + ' ' + c[3]], ['delivery', deliveries[c[1]]],
                ['time', fmt(c[2])], ['version', c[4] + ' → ' + c[5]],
                ['operation', c[6] || '—'], ['changed fields', c[7] ? 'yes' : 'lock only']],
               data.commit_violations[c[0]]);
  }

  function focusOn(d, a, b) {
    state.delivery = d; state.filter = ''; state.violationsOnly = false; state.page = 0;
    select.value = String(d);
    el('tl-filter').value = '';
    el('tl-violations').checked = false;
    var pad = Math.max(20, (b - a) * 2);
    setWindow(a - pad, b + pad);
    // Scroll only when the timeline is out of sight, so the reader is not moved about needlessly.
    var top = el('timeline').getBoundingClientRect().top;
    if (top < 0 || top > window.innerHeight * 0.6) el('timeline').scrollIntoView();
  }
  function focusOp(i) {
    var op = ops[i];
    if (!op) return;
    state.focusOp = i; state.focusCommit = -1;
    focusOn(op[1], op[3], opEnd(op));
    showOp(i);
  }
  function focusCommit(i) {
    var c = commits[i];
    if (!c) return;
    state.focusOp = -1; state.focusCommit = i;
    focusOn(c[1], c[2], c[2]);
    showCommit(i);
  }

  document.addEventListener('click', function (e) {
    var target = e.target;
    if (!target || !target.closest) return;
    var link = target.closest('a[data-op], a[data-commit]');
    if (link) {
      e.preventDefault();
      if (link.hasAttribute('data-op')) focusOp(Number(link.getAttribute('data-op')));
      else focusCommit(Number(link.getAttribute('data-commit')));
      return;
    }
    var shape = target.closest('#tl-svg [data-op], #tl-svg [data-commit]');
    if (shape && shape.hasAttribute('data-op')) showOp(Number(shape.getAttribute('data-op')));
    else if (shape) showCommit(Number(shape.getAttribute('data-commit')));
  });

  el('tl-filter').addEventListener('input', function (e) {
    state.filter = e.target.value; state.page = 0; render();
  });
  select.addEventListener('change', function (e) {
    state.delivery = Number(e.target.value); state.page = 0; render();
  });
  el('tl-violations').addEventListener('change', function (e) {
    state.violationsOnly = e.target.checked; state.page = 0; render();
  });
  el('tl-from').addEventListener('change', function () {
    setWindow(Number(el('tl-from').value), state.w1);
  });
  el('tl-to').addEventListener('change', function () {
    setWindow(state.w0, Number(el('tl-to').value));
  });
  el('tl-zoom-in').addEventListener('click', function () { zoom(0.5); });
  el('tl-zoom-out').addEventListener('click', function () { zoom(2); });
  el('tl-reset').addEventListener('click', function () {
    state.focusOp = -1; state.focusCommit = -1; setWindow(0, data.end_ms);
  });
  el('tl-prev').addEventListener('click', function () { state.page--; render(); });
  el('tl-next').addEventListener('click', function () { state.page++; render(); });
  window.addEventListener('resize', function () { render(); });

  var hash = /^#(op|commit)-(\d+)$/.exec(window.location.hash);
  if (hash && hash[1] === 'op') focusOp(Number(hash[2]));
  else if (hash) focusCommit(Number(hash[2]));
  else render();
  body.setAttribute('data-ok', '1');
})();
)js";

}  // namespace tracksim::reports
