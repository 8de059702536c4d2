/*
 * Forkline's dashboard: polls the admin API once a second (GET /status, GET /events?after=N), shows
 * the workers, charts connections and requests/s per worker over the last minutes (uPlot, shipped in
 * the jar) and the supervisor's events as a timeline.
 *
 * The token, when the API needs one, is asked once, kept in this page's storage and sent as
 * "Authorization: Bearer"; never in a URL. Nothing from the server is trusted to have a shape:
 * a figure that is missing, null, negative or not a number shows as "-", and all text goes in
 * through textContent.
 */
(function () {
  'use strict';

  var POLL_MS = 1000;
  var HISTORY_SECONDS = 300;
  var EVENTS_KEPT = 200;
  var RECENT_MS = 5000;
  var TOKEN_KEY = 'forkline.admin.token';
  var COLOURS = ['#2255aa', '#c0392b', '#1e8449', '#9a6a00', '#7d3c98', '#117a8b', '#d35400', '#5d6d7e'];

  var $ = function (id) { return document.getElementById(id); };
  var state = {
    token: null, lastEvent: 0, events: [], times: [], slots: {}, slotKeys: '', charts: {},
    contactLost: false, lastOk: 0, timer: null
  };

  // ---- reading JSON without trusting it ----

  function num(v) { return typeof v === 'number' && isFinite(v) ? v : NaN; }
  function nonNeg(v) { var n = num(v); return n >= 0 ? n : NaN; }
  function str(v) { return typeof v === 'string' ? v : ''; }
  function obj(v) { return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : {}; }
  function arr(v) { return Array.isArray(v) ? v : []; }

  // ---- formatting (the same units as forkline top) ----

  function whole(v) { return isNaN(v) ? '-' : String(Math.trunc(v)); }
  function scaled(v, base, units) {
    var i = 0;
    while (v >= base && i < units.length - 1) { v /= base; i++; }
    if (i === 0) { return v.toFixed(0) + units[0]; }
    return (v < 10 ? v.toFixed(1) : v.toFixed(0)) + units[i];
  }
  function rate(v) { return isNaN(v) ? '-' : v < 10 ? v.toFixed(1) : scaled(v, 1000, ['', 'k', 'M', 'G', 'T']); }
  function bytes(v) { return isNaN(v) ? '-' : scaled(v, 1024, ['B', 'K', 'M', 'G', 'T']); }
  function percent(v) { return isNaN(v) ? '-' : v < 10 ? v.toFixed(1) : v.toFixed(0); }
  function duration(ms) {
    if (isNaN(ms)) { return '-'; }
    var s = Math.floor(ms / 1000);
    if (s < 60) { return s + 's'; }
    if (s < 3600) { return Math.floor(s / 60) + 'm' + (s % 60) + 's'; }
    if (s < 86400) { return Math.floor(s / 3600) + 'h' + Math.floor(s % 3600 / 60) + 'm'; }
    return Math.floor(s / 86400) + 'd' + Math.floor(s % 86400 / 3600) + 'h';
  }
  function seconds(ms) { return isNaN(ms) ? '-' : ms < 10000 ? (ms / 1000).toFixed(1) + 's' : duration(ms); }
  function clock(ms) {
    if (isNaN(ms)) { return '--:--:--'; }
    var d = new Date(ms);
    return [d.getHours(), d.getMinutes(), d.getSeconds()].map(function (n) { return (n < 10 ? '0' : '') + n; }).join(':');
  }
  function rates(w) { return obj(w.rates); }
  function bytesPerSecond(w) { return nonNeg(rates(w).bytes_in_per_s) + nonNeg(rates(w).bytes_out_per_s); }
  function sum(list, f) {
    var total = NaN;
    list.forEach(function (x) { var v = f(x); if (!isNaN(v)) { total = (isNaN(total) ? 0 : total) + v; } });
    return total;
  }

  /** "running", or the phase with a reload's progress: "reloading 2/4". */
  function phase(s) {
    var p = str(s.phase) || str(s.state);
    var reload = obj(s.reload);
    if (!isNaN(num(reload.done)) && !isNaN(num(reload.slots))) {
      p = (p || 'reloading') + ' ' + whole(num(reload.done)) + '/' + whole(num(reload.slots));
    }
    return (p || '-').toLowerCase();
  }

  // ---- the page ----

  function text(el, value) { el.textContent = value; return el; }
  function el(tag, className, value) {
    var e = document.createElement(tag);
    if (className) { e.className = className; }
    if (value !== undefined) { e.textContent = value; }
    return e;
  }

  function workersOf(s) { return arr(s.workers).filter(function (w) { return w !== null && typeof w === 'object' && !Array.isArray(w); }); }

  function recentKind(pid, now) {
    for (var i = state.events.length - 1; i >= 0; i--) {
      var e = state.events[i];
      if (now - num(e.at_ms) > RECENT_MS) { return null; }
      if (num(e.pid) === pid) { return str(e.kind); }
    }
    return null;
  }

  /** Draws the status: summary, totals, the worker table. Exposed for the browser test. */
  function render(s, now) {
    s = obj(s);
    now = isNaN(num(now)) ? Date.now() : now;
    var workers = workersOf(s);
    var ready = workers.filter(function (w) { return w.role === 'serving' && w.state === 'ready'; }).length;
    text($('summary'), 'pid ' + whole(num(s.pid)) + ' · ' + phase(s) + ' · up ' + duration(num(s.uptime_ms)) + ' · '
      + (str(s.listen) || '-') + ' · generation ' + whole(num(s.generation)) + ' · ' + ready + '/'
      + whole(num(s.workers_desired)) + ' ready');

    var restarts = obj(s.restarts);
    var restartCount = sum(Object.keys(restarts), function (k) { return nonNeg(restarts[k]); });
    var totals = [
      ['connections', whole(nonNeg(s.connections))],
      ['accepts/s', rate(sum(workers, function (w) { return nonNeg(rates(w).accepts_per_s); }))],
      ['requests/s', rate(sum(workers, function (w) { return nonNeg(rates(w).requests_per_s); }))],
      ['bytes/s', bytes(sum(workers, bytesPerSecond))],
      ['restarts', whole(restartCount)],
      ['reloads', whole(nonNeg(s.reloads))]
    ];
    var t = $('totals');
    t.replaceChildren.apply(t, totals.map(function (kv) {
      var d = el('div');
      d.appendChild(el('b', null, kv[1]));
      d.appendChild(el('span', null, kv[0]));
      return d;
    }));

    workers.sort(function (a, b) { return (num(a.slot) - num(b.slot)) || (num(a.pid) - num(b.pid)) || 0; });
    var body = $('workers').tBodies[0];
    body.replaceChildren.apply(body, workers.map(function (w) {
      var r = rates(w);
      var tr = el('tr');
      var pid = num(w.pid);
      tr.dataset.pid = whole(pid);
      var recent = recentKind(pid, now);
      if (recent === 'spawn' || recent === 'respawn' || recent === 'ready') {
        tr.className = 'new';
      } else if (w.role !== 'serving' || w.state !== 'ready') {
        tr.className = 'busy';
      }
      var heap = isNaN(nonNeg(w.heap_used)) ? '-' : bytes(nonNeg(w.heap_used)) + ' / ' + bytes(nonNeg(w.heap_committed));
      [whole(num(w.slot)), whole(pid), whole(num(w.generation)), (str(w.role) || '-') + ' / ' + (str(w.state) || '-'),
        duration(nonNeg(w.uptime_ms)), whole(nonNeg(w.connections)), rate(nonNeg(r.accepts_per_s)),
        rate(nonNeg(r.requests_per_s)), bytes(bytesPerSecond(w)), heap, rate(nonNeg(r.gc_per_s)),
        percent(nonNeg(r.cpu_percent)), seconds(nonNeg(w.heartbeat_age_ms)), whole(nonNeg(w.restarts)),
        str(w.last_exit)].forEach(function (v, i) {
        var td = el('td', null, v);
        td.dataset.col = String(i);
        tr.appendChild(td);
      });
      return tr;
    }));
  }

  function eventClass(kind) {
    if (kind === 'exit' || kind === 'kill' || kind === 'reload_failed') { return 'bad'; }
    if (kind === 'ready' || kind === 'reload_done') { return 'good'; }
    return 'step';
  }

  /** Adds events to the timeline (newest first). Exposed for the browser test. */
  function addEvents(list) {
    arr(list).forEach(function (e) {
      e = obj(e);
      var seq = num(e.seq);
      if (isNaN(seq) || seq <= state.lastEvent) { return; }
      state.lastEvent = seq;
      state.events.push(e);
      if (state.events.length > EVENTS_KEPT) { state.events.shift(); }
      var kind = str(e.kind) || '-';
      var li = el('li', eventClass(kind));
      var at = num(e.at_ms);
      var time = el('time', null, clock(at));
      if (!isNaN(at)) { time.dateTime = new Date(at).toISOString(); }
      li.appendChild(time);
      li.appendChild(el('span', 'kind', kind));
      // No slot: the supervisor's own event, or a standby's (it has a pid).
      var who = !isNaN(num(e.slot)) ? 'worker ' + whole(num(e.slot)) + (isNaN(num(e.pid)) ? '' : ' pid ' + whole(num(e.pid)))
        : isNaN(num(e.pid)) ? 'supervisor' : 'standby pid ' + whole(num(e.pid));
      li.appendChild(el('span', 'who', who + ': '));
      li.appendChild(el('span', 'message', str(e.message)));
      var ol = $('events');
      ol.insertBefore(li, ol.firstChild);
      while (ol.children.length > EVENTS_KEPT) { ol.removeChild(ol.lastChild); }
    });
  }

  // ---- charts ----

  /** One point per poll: the serving worker of each slot, its connections and requests/s. */
  function record(s, nowMs) {
    var x = nowMs / 1000;
    state.times.push(x);
    var seen = {};
    workersOf(s).forEach(function (w) {
      var slot = num(w.slot);
      if (isNaN(slot) || w.role !== 'serving' || slot < 0 || slot > 1023) { return; }
      seen[slot] = { conns: nonNeg(w.connections), reqs: nonNeg(rates(w).requests_per_s) };
    });
    Object.keys(seen).forEach(function (slot) {
      if (!state.slots[slot]) {
        state.slots[slot] = { conns: state.times.slice(0, -1).map(function () { return null; }), reqs: [] };
        state.slots[slot].reqs = state.slots[slot].conns.slice();
      }
    });
    Object.keys(state.slots).forEach(function (slot) {
      var v = seen[slot];
      state.slots[slot].conns.push(v && !isNaN(v.conns) ? v.conns : null);
      state.slots[slot].reqs.push(v && !isNaN(v.reqs) ? v.reqs : null);
    });
    while (state.times.length && state.times[0] < x - HISTORY_SECONDS) {
      state.times.shift();
      Object.keys(state.slots).forEach(function (slot) { state.slots[slot].conns.shift(); state.slots[slot].reqs.shift(); });
    }
    // A slot scaled away leaves the charts once its line has scrolled out.
    Object.keys(state.slots).forEach(function (slot) {
      if (state.slots[slot].conns.every(function (v) { return v === null; })) { delete state.slots[slot]; }
    });
  }

  /** Vertical marks for exits, kills and reloads: the timeline on the charts. */
  function eventMarks(u) {
    var ctx = u.ctx;
    var min = u.scales.x.min;
    var max = u.scales.x.max;
    ctx.save();
    ctx.lineWidth = Math.max(1, window.devicePixelRatio || 1);
    state.events.forEach(function (e) {
      var x = num(e.at_ms) / 1000;
      var kind = str(e.kind);
      if (isNaN(x) || x < min || x > max) { return; }
      if (kind !== 'exit' && kind !== 'kill' && kind !== 'reload' && kind !== 'reload_done') { return; }
      var px = Math.round(u.valToPos(x, 'x', true));
      ctx.strokeStyle = kind === 'reload' || kind === 'reload_done' ? '#9a6a00' : '#c0392b';
      ctx.setLineDash([4, 4]);
      ctx.beginPath();
      ctx.moveTo(px, u.bbox.top);
      ctx.lineTo(px, u.bbox.top + u.bbox.height);
      ctx.stroke();
    });
    ctx.restore();
  }

  function chartSize(id) {
    var box = $(id);
    return { width: Math.max(240, box.clientWidth || box.parentNode.clientWidth - 16), height: 220 };
  }

  function drawCharts() {
    var slots = Object.keys(state.slots).sort(function (a, b) { return a - b; });
    var key = slots.join(',');
    [['chart-connections', 'conns', 'connections'], ['chart-requests', 'reqs', 'requests/s']].forEach(function (c) {
      var data = [state.times.slice()].concat(slots.map(function (slot) { return state.slots[slot][c[1]].slice(); }));
      if (state.charts[c[0]] && state.slotKeys === key) {
        state.charts[c[0]].setData(data);
        return;
      }
      if (state.charts[c[0]]) { state.charts[c[0]].destroy(); }
      var size = chartSize(c[0]);
      state.charts[c[0]] = new uPlot({
        width: size.width, height: size.height,
        scales: {
          // At least the last minute, at most HISTORY_SECONDS: a steady window that fills as the page runs.
          x: { time: true, range: function (u, min, max) { return [Math.max(Math.min(min, max - 60), max - HISTORY_SECONDS), max]; } },
          y: { range: function (u, min, max) { return [0, Math.max(1, max * 1.1)]; } }
        },
        series: [{}].concat(slots.map(function (slot) {
          return { label: 'worker ' + slot, stroke: COLOURS[slot % COLOURS.length], width: 2, spanGaps: false,
            points: { show: false },
            value: function (u, v) { return v === null || v === undefined ? '-' : c[1] === 'reqs' ? rate(v) : whole(v); } };
        })),
        axes: [{ space: 70, values: function (u, vals) { return vals.map(function (v) { return clock(v * 1000); }); } }, {
          size: 56,
          // Connections are whole: ticks at whole steps only.
          incrs: c[1] === 'conns' ? [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000] : undefined,
          values: function (u, vals) { return vals.map(function (v) { return c[1] === 'reqs' ? rate(v) : whole(v); }); }
        }],
        hooks: { draw: [eventMarks] }
      }, data, $(c[0]));
    });
    state.slotKeys = key;
  }

  window.addEventListener('resize', function () {
    Object.keys(state.charts).forEach(function (id) { state.charts[id].setSize(chartSize(id)); });
  });

  // ---- talking to the admin API ----

  function api(path) {
    var headers = {};
    if (state.token) { headers.Authorization = 'Bearer ' + state.token; }
    return fetch(path, { headers: headers, cache: 'no-store', credentials: 'omit' });
  }

  /** A refused or missing token: only the form, and nothing of the supervisor's data stays on the page. */
  function askForToken(refused) {
    clearTimeout(state.timer);
    $('main').hidden = true;
    $('login').hidden = false;
    $('workers').tBodies[0].replaceChildren();
    $('totals').replaceChildren();
    $('events').replaceChildren();
    Object.keys(state.charts).forEach(function (id) { state.charts[id].destroy(); });
    state.charts = {}; state.times = []; state.slots = {}; state.slotKeys = ''; state.events = []; state.lastEvent = 0;
    text($('summary'), 'the admin API needs its token');
    text($('contact'), '');
    text($('login-error'), refused
      ? 'The supervisor refused that token (HTTP 401): check FORKLINE_ADMIN_TOKEN.' : '');
    $('token').value = '';
    $('token').focus();
  }

  function lostContact(why) {
    state.contactLost = true;
    var c = $('contact');
    c.className = 'contact lost';
    text(c, 'lost contact with the supervisor' + (state.lastOk ? ' (last answer at ' + clock(state.lastOk) + ')' : '')
      + ': ' + why + '; retrying every second');
  }

  function poll() {
    var now = Date.now();
    api('/status').then(function (res) {
      if (res.status === 401) { return { refused: true }; }
      if (!res.ok) { throw new Error('HTTP ' + res.status + ' from /status'); }
      return res.json().then(function (status) {
        return api('/events?after=' + state.lastEvent).then(function (er) {
          if (er.status === 401) { return { refused: true }; }
          return er.ok ? er.json().then(function (events) { return { status: status, events: events }; })
            : { status: status, events: {} };
        });
      });
    }).then(function (answer) {
      if (answer.refused) {
        var hadToken = !!state.token;
        forget();
        askForToken(hadToken);
        return;
      }
      $('login').hidden = true;
      $('main').hidden = false;
      $('forget').hidden = !state.token;
      var events = obj(answer.events);
      if (num(events.last) < state.lastEvent) { // a new supervisor numbers its events from 1 again
        state.lastEvent = 0; state.events = []; $('events').replaceChildren();
      }
      addEvents(events.events);
      render(answer.status, now);
      record(answer.status, now);
      drawCharts();
      state.contactLost = false;
      state.lastOk = now;
      var c = $('contact');
      c.className = 'contact';
      text(c, 'live, updated ' + clock(now));
      schedule();
    }).catch(function (e) {
      lostContact(e && e.message ? e.message : String(e));
      schedule();
    });
  }

  function schedule() {
    clearTimeout(state.timer);
    state.timer = setTimeout(poll, POLL_MS);
  }

  function forget() {
    state.token = null;
    try { localStorage.removeItem(TOKEN_KEY); } catch (e) { /* storage disabled: nothing kept */ }
  }

  $('login-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    state.token = $('token').value.trim();
    try { localStorage.setItem(TOKEN_KEY, state.token); } catch (e) { /* kept for this page only */ }
    text($('login-error'), '');
    text($('summary'), 'connecting…');
    poll();
  });
  $('forget').addEventListener('click', function () { forget(); askForToken(false); });

  try { state.token = localStorage.getItem(TOKEN_KEY); } catch (e) { state.token = null; }
  window.forklineDashboard = { render: render, addEvents: addEvents, phase: phase, state: state };
  poll();
}());
