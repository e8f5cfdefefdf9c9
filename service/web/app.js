// The Barrage web UI (issue 13 item 7): a hash-routed single page over /api/v1.
//
//   #/login                      token and project, kept in sessionStorage (never a cookie)
//   #/projects/P/runs            the project's runs, refreshed every few seconds; pick two to compare
//   #/runs/ID                    one run: live charts from its event stream, then verdict and report
//   #/compare?base=A&run=B       the comparison of two runs, regressions highlighted
//   #/workers                    the pool
//
// A first load with #token=T&project=P[&next=/runs/7] signs in and removes them from the
// address bar. Every API call sends Authorization: Bearer; a 401 goes back to the login view
// with the server's words. Data reaches the DOM as text only (textContent, attributes), never
// as markup. Test hooks: the run page's data-status, the live chart's data-points, the runs
// list rows' data-run-id.
'use strict';

(function () {
  const API = 'api/v1';  // relative: the UI also works behind a proxy that adds a path prefix
  const REFRESH_MS = 3000;
  const RECONNECT_MS = 2000;
  // The page's CSP nonce (service/web_ui.cc): the report frame inherits the page's policy,
  // so the report's own <script> and <style> need it to run.
  const NONCE = document.currentScript ? document.currentScript.nonce : '';
  const ENDED = ['passed', 'failed', 'partial', 'aborted', 'errored'];
  const STATUSES = ['queued', 'running'].concat(ENDED);

  // ---- session ----

  const KEY_TOKEN = 'barrage.token';
  const KEY_PROJECT = 'barrage.project';
  const KEY_LOGIN_ERROR = 'barrage.login_error';

  function token() { return sessionStorage.getItem(KEY_TOKEN) || ''; }
  function project() { return sessionStorage.getItem(KEY_PROJECT) || ''; }

  function signIn(t, p) {
    sessionStorage.setItem(KEY_TOKEN, t);
    sessionStorage.setItem(KEY_PROJECT, p);
    sessionStorage.removeItem(KEY_LOGIN_ERROR);
  }

  function signOut(message) {
    sessionStorage.removeItem(KEY_TOKEN);
    if (message) sessionStorage.setItem(KEY_LOGIN_ERROR, message);
    if (location.hash === '#/login') route(); else location.hash = '#/login';
  }

  // #token=T&project=P[&next=/path]: into sessionStorage, out of the address bar and history.
  function takeCredentialsFromFragment() {
    const h = location.hash.slice(1);
    if (!h.startsWith('token=')) return;
    const params = new URLSearchParams(h);
    const t = params.get('token') || '';
    const p = params.get('project') || '';
    let next = params.get('next') || '';
    if (!next.startsWith('/')) next = '/';
    if (t && p) signIn(t, p);
    history.replaceState(null, '', location.pathname + location.search + '#' + next);
  }

  // ---- DOM ----

  // el('td', {class: 'num', 'data-x': 1}, 'text', node...): attributes and children as text.
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
      else if (k === 'class') e.className = v;
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  function main() { return document.getElementById('main'); }

  function show(...nodes) { main().replaceChildren(...nodes); }

  function errorBox(message) { return el('p', {class: 'error', role: 'alert'}, message); }

  function statusBadge(status) {
    const known = STATUSES.includes(status) ? status : 'unknown';
    return el('span', {class: 'status status-' + known, 'data-status': status || ''}, status || '-');
  }

  function runLink(id) { return el('a', {href: '#/runs/' + encodeURIComponent(id)}, 'run ' + id); }

  // ---- formatting ----

  function pad(n) { return String(n).padStart(2, '0'); }

  function formatTime(ms) {
    if (ms === null || ms === undefined || !ms) return '-';
    const d = new Date(ms);
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + pad(d.getHours()) + ':' +
        pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  }

  function formatDuration(ms) {
    if (ms === null || ms === undefined || ms < 0) return '-';
    const s = Math.round(ms / 1000);
    if (s < 60) return s + ' s';
    const m = Math.floor(s / 60);
    if (m < 60) return m + ' min ' + pad(s % 60) + ' s';
    return Math.floor(m / 60) + ' h ' + pad(m % 60) + ' min';
  }

  function runDuration(run) {
    if (!run.started_at_ms) return '-';
    if (run.ended_at_ms) return formatDuration(run.ended_at_ms - run.started_at_ms);
    return run.status === 'running' ? formatDuration(Date.now() - run.started_at_ms) : '-';
  }

  function formatNumber(v, digits) {
    if (v === null || v === undefined || typeof v !== 'number' || !isFinite(v)) return '-';
    return v.toLocaleString('en-US', {maximumFractionDigits: digits === undefined ? 1 : digits});
  }

  // ---- the API ----

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  // fetch() with the token; the JSON body, or the Response itself with {raw: true}. Errors
  // throw ApiError with the server's {"error"} text; a 401 also signs out.
  async function api(path, options) {
    const o = options || {};
    const headers = {Authorization: 'Bearer ' + token()};
    let body;
    if (o.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(o.json);
    }
    const res = await fetch(API + path, {method: o.method || 'GET', headers, body, cache: 'no-store', signal: o.signal});
    if (!res.ok) {
      let message = res.status + ' ' + res.statusText;
      try {
        const doc = await res.json();
        if (doc && typeof doc.error === 'string') message = doc.error;
      } catch (ignored) { /* not JSON: the status line says it */ }
      if (res.status === 401) signOut(message);
      throw new ApiError(res.status, message);
    }
    return o.raw ? res : res.json();
  }

  function isAbort(e) { return e && e.name === 'AbortError'; }

  // Server-Sent Events over fetch (EventSource cannot send the Authorization header): calls
  // onEvent(name, data) for each event whose data is JSON; resolves when the stream ends.
  async function readEvents(path, signal, onEvent) {
    const res = await api(path, {raw: true, signal});
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let name = 'message';
    let data = [];
    for (;;) {
      const {value, done} = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, {stream: true});
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        let line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.endsWith('\r')) line = line.slice(0, -1);
        if (line === '') {
          if (data.length) {
            let doc = null;
            try { doc = JSON.parse(data.join('\n')); } catch (ignored) { doc = null; }
            if (doc !== null) onEvent(name, doc);
          }
          name = 'message';
          data = [];
        } else if (line.startsWith(':')) {
          // a comment: the server's keep-alive while a run waits
        } else {
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          let v = colon < 0 ? '' : line.slice(colon + 1);
          if (v.startsWith(' ')) v = v.slice(1);
          if (field === 'event') name = v;
          else if (field === 'data') data.push(v);
        }
      }
    }
  }

  // GET `path` with the token and save the body as `filename` (a download link of a blob).
  async function download(path, filename) {
    const res = await api(path, {raw: true});
    const url = URL.createObjectURL(await res.blob());
    const a = el('a', {href: url, download: filename});
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  }

  // ---- the line chart (canvas, no library) ----

  const COLORS = ['#2f5fd0', '#c62828', '#1a7f37', '#b26a00', '#7b3fb3'];

  // A chart of series over x (elapsed seconds). The canvas carries data-points: the points
  // drawn so far.
  class LineChart {
    constructor(canvas, series, unit) {
      this.canvas = canvas;
      this.series = series;  // names, one colour each
      this.unit = unit;
      this.points = [];      // {x, ys: [...]}
      canvas.dataset.points = '0';
    }

    add(x, ys) {
      this.points.push({x, ys});
      this.draw();
    }

    draw() {
      const c = this.canvas;
      const ratio = window.devicePixelRatio || 1;
      const width = c.clientWidth || 600;
      const height = c.clientHeight || 240;
      c.width = Math.round(width * ratio);
      c.height = Math.round(height * ratio);
      const g = c.getContext('2d');
      g.setTransform(ratio, 0, 0, ratio, 0, 0);
      g.clearRect(0, 0, width, height);
      const left = 56, right = 12, top = 26, bottom = 28;
      const w = Math.max(10, width - left - right), h = Math.max(10, height - top - bottom);
      let xMax = 1, yMax = 0;
      for (const p of this.points) {
        xMax = Math.max(xMax, p.x);
        for (const y of p.ys) if (typeof y === 'number' && isFinite(y)) yMax = Math.max(yMax, y);
      }
      yMax = niceCeiling(yMax);
      const px = (x) => left + (x / xMax) * w;
      const py = (y) => top + h - (y / yMax) * h;
      g.font = '11px system-ui, sans-serif';
      g.strokeStyle = '#d9dee7';
      g.fillStyle = '#667085';
      g.lineWidth = 1;
      g.textAlign = 'right';
      g.textBaseline = 'middle';
      for (let i = 0; i <= 4; ++i) {
        const y = (yMax * i) / 4;
        g.beginPath();
        g.moveTo(left, py(y));
        g.lineTo(left + w, py(y));
        g.stroke();
        g.fillText(formatNumber(y, 1), left - 6, py(y));
      }
      g.textAlign = 'center';
      g.textBaseline = 'top';
      for (let i = 0; i <= 4; ++i) {
        const x = (xMax * i) / 4;
        g.fillText(formatNumber(x, 0) + ' s', px(x), top + h + 6);
      }
      g.textAlign = 'left';
      g.textBaseline = 'middle';
      let legendX = left;
      this.series.forEach((name, s) => {
        g.fillStyle = COLORS[s % COLORS.length];
        g.fillRect(legendX, 8, 14, 3);
        g.fillStyle = '#1d2330';
        const label = name + (this.unit ? ' (' + this.unit + ')' : '');
        g.fillText(label, legendX + 18, 10);
        legendX += 28 + g.measureText(label).width;
        g.strokeStyle = COLORS[s % COLORS.length];
        g.lineWidth = 2;
        g.beginPath();
        let started = false;
        for (const p of this.points) {
          const y = p.ys[s];
          if (typeof y !== 'number' || !isFinite(y)) {
            started = false;
            continue;
          }
          if (started) g.lineTo(px(p.x), py(y)); else g.moveTo(px(p.x), py(y));
          started = true;
        }
        g.stroke();
        if (this.points.length === 1 && typeof this.points[0].ys[s] === 'number') {
          g.fillStyle = COLORS[s % COLORS.length];
          g.fillRect(px(this.points[0].x) - 2, py(this.points[0].ys[s]) - 2, 4, 4);
        }
      });
      c.dataset.points = String(this.points.length);
    }
  }

  // 0 -> 1; else the next of 1, 2, 5 x 10^n at or above v.
  function niceCeiling(v) {
    if (!(v > 0)) return 1;
    const e = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 5, 10]) if (v <= m * e) return m * e;
    return 10 * e;
  }

  // ---- views ----

  // The current view's lifetime: its timers and requests end when the route changes.
  let current = null;

  class View {
    constructor() {
      this.controller = new AbortController();
      this.timers = [];
      this.alive = true;
    }
    get signal() { return this.controller.signal; }
    every(ms, fn) { this.timers.push(setInterval(fn, ms)); }
    after(ms, fn) { this.timers.push(setTimeout(fn, ms)); }
    close() {
      this.alive = false;
      this.controller.abort();
      for (const t of this.timers) clearTimeout(t), clearInterval(t);
    }
  }

  function renderLogin() {
    const message = sessionStorage.getItem(KEY_LOGIN_ERROR);
    const tokenInput = el('input', {id: 'login-token', type: 'password', autocomplete: 'off', required: true});
    const projectInput = el('input', {id: 'login-project', value: project(), required: true});
    const status = el('div');
    const form = el('form', {class: 'login card', id: 'login-form'},
        el('h1', {}, 'Sign in'),
        el('p', {class: 'muted'},
            'Paste an API token (barrage token create) and the project to show. ',
            'They stay in this tab only (sessionStorage).'),
        message ? errorBox(message) : null,
        el('label', {for: 'login-token'}, 'Token'), tokenInput,
        el('label', {for: 'login-project'}, 'Project'), projectInput,
        el('button', {class: 'primary', type: 'submit'}, 'Sign in'),
        status);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const t = tokenInput.value.trim();
      const p = projectInput.value.trim();
      if (!t || !p) return;
      signIn(t, p);
      status.replaceChildren();
      try {
        await api('/projects/' + encodeURIComponent(p) + '/runs?limit=1');
        location.hash = '#/projects/' + encodeURIComponent(p) + '/runs';
      } catch (e) {
        if (e.status !== 401) status.replaceChildren(errorBox(e.message));
      }
    });
    show(form);
  }

  function renderWho() {
    const who = document.getElementById('who');
    if (!token()) {
      who.replaceChildren(el('a', {href: '#/login'}, 'Sign in'));
      return;
    }
    const out = el('a', {href: '#/login', id: 'sign-out'}, 'Sign out');
    out.addEventListener('click', (event) => {
      event.preventDefault();
      signOut('');
    });
    who.replaceChildren('project ', el('strong', {}, project()), out);
    document.getElementById('nav-runs').setAttribute('href', '#/projects/' + encodeURIComponent(project()) + '/runs');
  }

  function renderRuns(view, p) {
    const selected = new Set();
    const tbody = el('tbody', {id: 'runs-body'});
    const compare = el('button', {id: 'compare-button', class: 'primary', disabled: true}, 'Compare selected');
    const problem = el('div');
    const updated = el('span', {class: 'muted'});
    compare.addEventListener('click', () => {
      const ids = Array.from(selected).map(Number).sort((a, b) => a - b);
      if (ids.length === 2) location.hash = '#/compare?base=' + ids[0] + '&run=' + ids[1];
    });
    function syncCompare() { compare.disabled = selected.size !== 2; }
    function row(run) {
      const box = el('input', {type: 'checkbox', 'aria-label': 'select run ' + run.id});
      box.checked = selected.has(String(run.id));
      box.addEventListener('change', () => {
        if (box.checked) selected.add(String(run.id)); else selected.delete(String(run.id));
        syncCompare();
      });
      const plan = run.plan + (run.version !== null && run.version !== undefined ? ' v' + run.version : '');
      return el('tr', {'data-run-id': run.id, 'data-status': run.status},
          el('td', {}, box),
          el('td', {}, runLink(run.id)),
          el('td', {}, plan),
          el('td', {}, statusBadge(run.status),
              run.queue_position !== null && run.queue_position !== undefined ? ' #' + run.queue_position : ''),
          el('td', {}, run.verdict || '-'),
          el('td', {class: 'num'}, formatNumber(run.samples, 0)),
          el('td', {class: 'num'}, formatNumber(run.errors, 0)),
          el('td', {}, formatTime(run.started_at_ms)),
          el('td', {}, runDuration(run)));
    }
    async function refresh() {
      try {
        const runs = await api('/projects/' + encodeURIComponent(p) + '/runs', {signal: view.signal});
        if (!view.alive) return;
        const ids = new Set(runs.map((r) => String(r.id)));
        for (const id of Array.from(selected)) if (!ids.has(id)) selected.delete(id);
        tbody.replaceChildren(...runs.map(row));
        if (!runs.length) tbody.append(el('tr', {}, el('td', {colspan: 9, class: 'muted'}, 'No runs yet.')));
        syncCompare();
        problem.replaceChildren();
        updated.textContent = 'updated ' + formatTime(Date.now());
      } catch (e) {
        if (!isAbort(e) && view.alive) problem.replaceChildren(errorBox(e.message));
      }
    }
    show(el('h1', {}, 'Runs of ' + p),
        el('div', {class: 'toolbar'}, compare, el('span', {class: 'muted'}, 'select two runs to compare them'),
            updated),
        problem,
        el('table', {id: 'runs-table'},
            el('thead', {}, el('tr', {}, el('th', {}, ''), el('th', {}, 'Run'), el('th', {}, 'Plan'),
                el('th', {}, 'Status'), el('th', {}, 'Verdict'), el('th', {class: 'num'}, 'Samples'),
                el('th', {class: 'num'}, 'Errors'), el('th', {}, 'Started'), el('th', {}, 'Duration'))),
            tbody));
    refresh();
    view.every(REFRESH_MS, refresh);
  }

  const RUN_FIELDS = [
    ['id', 'Run'], ['project', 'Project'], ['plan', 'Plan'], ['version', 'Version'], ['status', 'Status'],
    ['queue_position', 'Queue position'], ['samples', 'Samples'], ['errors', 'Errors'],
    ['started_at_ms', 'Started'], ['ended_at_ms', 'Ended'], ['verdict', 'Verdict'], ['triggered_by', 'Triggered by'],
    ['mode', 'Mode'], ['workers', 'Workers'], ['properties', 'Properties'], ['dropped_iterations', 'Dropped iterations'],
  ];

  function fieldValue(key, v) {
    if (v === null || v === undefined || v === '') return '-';
    if (key === 'started_at_ms' || key === 'ended_at_ms') return formatTime(v);
    if (key === 'status') return statusBadge(v);
    if (typeof v === 'object') return Object.keys(v).length ? JSON.stringify(v) : '-';
    return String(v);
  }

  function renderRun(view, id) {
    const page = el('section', {id: 'run-page', 'data-run-id': id, 'data-status': ''});
    const fields = el('dl', {class: 'fields', id: 'run-fields'});
    const actions = el('div', {class: 'toolbar'});
    const message = el('div', {id: 'run-message'});
    const live = el('section', {id: 'live'});
    const outcome = el('section', {id: 'outcome'});
    page.append(el('h1', {}, 'Run ' + id), el('div', {class: 'card'}, fields), actions, message, live, outcome);
    show(page);

    let run = null;
    let ended = false;
    function setRun(r) {
      run = r;
      page.dataset.status = r.status;
      fields.replaceChildren(...RUN_FIELDS.flatMap(([key, label]) => [el('dt', {}, label), el('dd', {}, fieldValue(key, r[key]))]));
      renderActions();
    }
    function renderActions() {
      actions.replaceChildren();
      if (!ended && (run.status === 'queued' || run.status === 'running')) {
        const stop = el('button', {class: 'danger', id: 'stop-button'}, 'Stop');
        stop.addEventListener('click', async () => {
          stop.disabled = true;
          try {
            await api('/runs/' + encodeURIComponent(id) + '/stop', {method: 'POST', json: {}});
            message.replaceChildren(el('p', {class: 'notice'}, 'Stop requested.'));
          } catch (e) {
            message.replaceChildren(errorBox(e.message));
            stop.disabled = false;
          }
        });
        actions.append(stop);
      }
      actions.append(el('a', {href: '#/projects/' + encodeURIComponent(run.project) + '/runs'}, 'all runs of ' + run.project));
    }

    // The live part: two charts and the per-label table, fed by summary events.
    const throughput = el('canvas', {id: 'live-chart', 'data-points': '0'});
    const latency = el('canvas', {id: 'latency-chart', 'data-points': '0'});
    const labels = el('tbody', {id: 'live-labels'});
    const queued = el('p', {class: 'notice', id: 'queued', hidden: true});
    const charts = {
      rate: new LineChart(throughput, ['samples/s', 'errors/s'], ''),
      time: new LineChart(latency, ['average', 'p95'], 'ms'),
    };
    const liveTitle = el('h2', {}, 'Live');
    let previous = null;
    function showLive() {
      live.replaceChildren(liveTitle, queued,
          el('div', {class: 'charts'},
              el('div', {class: 'chart card'}, el('h3', {}, 'Throughput and errors per second'), throughput),
              el('div', {class: 'chart card'}, el('h3', {}, 'Response time since the start (ms)'), latency)),
          el('table', {id: 'live-table'},
              el('thead', {}, el('tr', {}, ...['Label', 'Samples', 'Errors', 'Average', 'p90', 'p95', 'p99', 'Throughput/s']
                  .map((h, i) => el('th', {class: i ? 'num' : ''}, h)))),
              labels));
    }
    function labelRow(r, total) {
      return el('tr', {class: total ? 'total' : ''},
          el('td', {}, total ? el('strong', {}, r.label) : r.label),
          el('td', {class: 'num'}, formatNumber(r.samples, 0)), el('td', {class: 'num'}, formatNumber(r.errors, 0)),
          el('td', {class: 'num'}, formatNumber(r.average, 0)), el('td', {class: 'num'}, formatNumber(r.p90, 0)),
          el('td', {class: 'num'}, formatNumber(r.p95, 0)), el('td', {class: 'num'}, formatNumber(r.p99, 0)),
          el('td', {class: 'num'}, formatNumber(r.throughput, 1)));
    }
    function onSummary(s) {
      queued.hidden = true;
      if (run && run.status !== 'running') setRun(Object.assign({}, run, {status: 'running'}));
      const t = s.total || {};
      const x = typeof s.elapsed_s === 'number' ? Math.max(0, s.elapsed_s) : 0;
      let rate = null, errorRate = null;
      if (previous && x > previous.x) {
        rate = (t.samples - previous.samples) / (x - previous.x);
        errorRate = (t.errors - previous.errors) / (x - previous.x);
      } else if (!previous && x > 0) {
        rate = t.samples / x;
        errorRate = t.errors / x;
      }
      if (!previous || x > previous.x) {
        charts.rate.add(x, [rate, errorRate]);
        charts.time.add(x, [t.samples ? t.average : null, t.samples ? t.p95 : null]);
        previous = {x, samples: t.samples, errors: t.errors};
      }
      labels.replaceChildren(...(s.labels || []).map((r) => labelRow(r, false)), labelRow(t, true));
    }

    async function showOutcome(r) {
      ended = true;
      setRun(r);
      liveTitle.textContent = 'While it ran';
      queued.hidden = true;
      const verdict = el('div', {id: 'verdict'});
      const downloads = el('div', {class: 'toolbar', id: 'downloads'});
      const report = el('div', {id: 'report'});
      outcome.replaceChildren(el('h2', {}, 'Verdict'), verdict, el('h2', {}, 'Downloads'), downloads,
          el('h2', {}, 'Report'), report);
      const base = '/runs/' + encodeURIComponent(id);
      for (const [label, path, file] of [
        ['JSON', base + '/report?format=json', 'run-' + id + '.json'],
        ['CSV', base + '/report?format=csv', 'run-' + id + '.csv'],
        ['JUnit', base + '/report?format=junit', 'run-' + id + '.junit.xml'],
        ['HTML', base + '/report?format=html', 'run-' + id + '.html'],
        ['JTL', base + '/jtl', 'run-' + id + '.jtl'],
      ]) {
        const b = el('button', {'data-format': label.toLowerCase()}, label);
        b.addEventListener('click', () => download(path, file).catch((e) => message.replaceChildren(errorBox(e.message))));
        downloads.append(b);
      }
      try {
        const v = await api(base + '/verdict', {signal: view.signal});
        verdict.replaceChildren(el('p', {}, v.passed ? 'Passed' : 'Not passed', ' (', statusBadge(v.status), ')'),
            v.thresholds.length === 0 ? el('p', {class: 'muted'}, 'No thresholds.') :
                el('table', {id: 'verdict-table'},
                    el('thead', {}, el('tr', {}, el('th', {}, 'Threshold'), el('th', {}, 'Label'),
                        el('th', {class: 'num'}, 'Observed'), el('th', {}, 'Result'))),
                    el('tbody', {}, ...v.thresholds.map((t) => el('tr', {class: t.passed ? '' : 'regression'},
                        el('td', {}, t.expression), el('td', {}, t.label || 'all'),
                        el('td', {class: 'num'}, formatNumber(t.observed, 2)),
                        el('td', {class: t.passed ? '' : 'regression'}, t.passed ? 'passed' : 'FAILED'))))));
      } catch (e) {
        if (!isAbort(e)) verdict.replaceChildren(errorBox(e.message));
      }
      try {
        const res = await api(base + '/report?format=html', {raw: true, signal: view.signal});
        const html = await res.text();
        if (!view.alive) return;
        // The frame is sandboxed without allow-same-origin: the report's scripts run in an
        // opaque origin, away from this page's token. A srcdoc frame inherits this page's
        // CSP, so the report's script and style elements carry the page's nonce.
        const frame = el('iframe', {id: 'report-frame', class: 'report', sandbox: 'allow-scripts', title: 'report of run ' + id});
        frame.srcdoc = html.replace(/<(script|style)\b/gi, (m) => m + ' nonce="' + NONCE + '"');
        report.replaceChildren(frame);
      } catch (e) {
        if (!isAbort(e)) report.replaceChildren(errorBox(e.message));
      }
    }

    async function follow() {
      while (view.alive && !ended) {
        try {
          await readEvents('/runs/' + encodeURIComponent(id) + '/events', view.signal, (name, data) => {
            if (!view.alive) return;
            if (name === 'queued') {
              queued.hidden = false;
              queued.textContent = 'Queued' + (data.queue_position ? ' at position ' + data.queue_position : '') + '.';
            } else if (name === 'summary') {
              onSummary(data);
            } else if (name === 'end') {
              showOutcome(data);
            } else if (name === 'error') {
              message.replaceChildren(errorBox(data.error || 'the event stream failed'));
            }
          });
        } catch (e) {
          if (isAbort(e) || !view.alive) return;
          message.replaceChildren(errorBox(e.message));
          if (e.status && e.status < 500) return;
        }
        if (!ended && view.alive) await new Promise((resolve) => view.after(RECONNECT_MS, resolve));
      }
    }

    (async () => {
      try {
        const r = await api('/runs/' + encodeURIComponent(id), {signal: view.signal});
        if (!view.alive) return;
        setRun(r);
        if (ENDED.includes(r.status)) {
          showOutcome(r);
        } else {
          showLive();
          follow();
        }
      } catch (e) {
        if (!isAbort(e) && view.alive) message.replaceChildren(errorBox(e.message));
      }
    })();
  }

  function renderCompare(view, query) {
    const base = query.get('base') || '';
    const runId = query.get('run') || '';
    const body = el('div', {id: 'compare'});
    show(el('h1', {}, 'Run ', runLink(runId), ' against run ', runLink(base)), body);
    (async () => {
      try {
        const c = await api('/compare?base=' + encodeURIComponent(base) + '&run=' + encodeURIComponent(runId),
            {signal: view.signal});
        if (!view.alive) return;
        const rows = [];
        for (const l of c.labels) {
          const where = l.in_baseline && l.in_run ? '' : l.in_run ? ' (only in run ' + runId + ')' : ' (only in run ' + base + ')';
          for (const [metric, d] of Object.entries(l.metrics)) {
            const value = (v) => metric === 'error_rate' && typeof v === 'number' ? formatNumber(v * 100, 2) + ' %' :
                formatNumber(v, 2);
            rows.push(el('tr', {class: d.regression ? 'regression' : '', 'data-label': l.label, 'data-metric': metric},
                el('td', {}, l.label + where), el('td', {}, metric),
                el('td', {class: 'num'}, value(d.baseline)), el('td', {class: 'num'}, value(d.run)),
                el('td', {class: 'num'}, value(d.change)),
                el('td', {class: 'num'}, typeof d.relative === 'number' ? formatNumber(d.relative * 100, 1) + ' %' : '-'),
                el('td', {class: d.regression ? 'regression' : ''}, d.regression ? 'REGRESSION' : '')));
          }
        }
        body.replaceChildren(
            el('p', {class: c.regressions ? 'error' : 'notice', id: 'regressions'},
                c.regressions === 0 ? 'No regressions' :
                    c.regressions + (c.regressions === 1 ? ' regression' : ' regressions'),
                ' (tolerance ' + formatNumber(c.tolerance * 100, 1) + ' %)'),
            el('table', {id: 'compare-table'},
                el('thead', {}, el('tr', {}, el('th', {}, 'Label'), el('th', {}, 'Metric'),
                    el('th', {class: 'num'}, 'Run ' + base), el('th', {class: 'num'}, 'Run ' + runId),
                    el('th', {class: 'num'}, 'Change'), el('th', {class: 'num'}, 'Relative'), el('th', {}, ''))),
                el('tbody', {}, rows)));
      } catch (e) {
        if (!isAbort(e) && view.alive) body.replaceChildren(errorBox(e.message));
      }
    })();
  }

  function renderWorkers(view) {
    const tbody = el('tbody', {id: 'workers-body'});
    const problem = el('div');
    async function refresh() {
      try {
        const workers = await api('/workers', {signal: view.signal});
        if (!view.alive) return;
        problem.replaceChildren();
        tbody.replaceChildren(...workers.map((w) => el('tr', {'data-worker': w.name, 'data-state': w.state},
            el('td', {}, w.name), el('td', {}, el('span', {class: 'status status-' + (w.state === 'busy' ? 'running' :
                w.state === 'lost' ? 'failed' : 'passed')}, w.state),
                w.run !== null && w.run !== undefined ? ' in ' : '', w.run !== null && w.run !== undefined ? runLink(w.run) : ''),
            el('td', {}, w.host), el('td', {class: 'num'}, formatNumber(w.cores, 0)), el('td', {}, w.version),
            el('td', {}, formatTime(w.state_since_ms)), el('td', {}, formatTime(w.joined_at_ms)))));
        if (!workers.length) tbody.append(el('tr', {}, el('td', {colspan: 7, class: 'muted'}, 'No worker has joined.')));
      } catch (e) {
        if (!isAbort(e) && view.alive) problem.replaceChildren(errorBox(e.message));
      }
    }
    show(el('h1', {}, 'Workers'),
        el('p', {class: 'muted'}, 'The pool is shared by every project; a busy worker names its run when the run is in this project.'), problem,
        el('table', {id: 'workers-table'},
            el('thead', {}, el('tr', {}, el('th', {}, 'Name'), el('th', {}, 'State'), el('th', {}, 'Address'),
                el('th', {class: 'num'}, 'Cores'), el('th', {}, 'Version'), el('th', {}, 'Since'), el('th', {}, 'Joined'))),
            tbody));
    refresh();
    view.every(REFRESH_MS, refresh);
  }

  // ---- the router ----

  function route() {
    takeCredentialsFromFragment();  // also when only the fragment changed (a link followed in this tab)
    if (current) current.close();
    current = new View();
    const view = current;
    const hash = location.hash.slice(1) || '/';
    const q = hash.indexOf('?');
    const path = q < 0 ? hash : hash.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : hash.slice(q + 1));
    renderWho();
    if (path === '/login' || !token()) {
      renderLogin();
      return;
    }
    let m;
    if (path === '/' || path === '') {
      location.replace('#/projects/' + encodeURIComponent(project()) + '/runs');
    } else if ((m = path.match(/^\/projects\/([^/]+)\/runs$/))) {
      renderRuns(view, decodeURIComponent(m[1]));
    } else if ((m = path.match(/^\/runs\/([0-9]+)$/))) {
      renderRun(view, m[1]);
    } else if (path === '/compare') {
      renderCompare(view, query);
    } else if (path === '/workers') {
      renderWorkers(view);
    } else {
      show(el('h1', {}, 'Not found'), el('p', {}, 'No page ' + path + '. ', el('a', {href: '#/'}, 'Runs')));
    }
  }

  function start() {
    window.addEventListener('hashchange', route);
    route();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start); else start();
})();
