/* Huifang supervisor wallboard: live counts over Socket.IO (/supervisor).
 * Plain browser JavaScript, no build step. Texts come translated from the page
 * (#hf-ui-texts); labels from #hf-labels. */
(() => {
  'use strict';

  const $ = (id) => document.getElementById(id);
  const readJSON = (id) => {
    const node = $(id);
    if (!node) return {};
    try { return JSON.parse(node.textContent) || {}; } catch (e) { return {}; }
  };
  const TEXTS = readJSON('hf-ui-texts');
  const LABELS = readJSON('hf-labels');
  const t = (key, vars) => {
    let s = TEXTS[key] != null ? String(TEXTS[key]) : key;
    if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] != null ? String(vars[k]) : m));
    return s;
  };
  const label = (group, code) => {
    const map = LABELS[group] || {};
    return map[code] != null ? map[code] : String(code);
  };
  const h = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === 'class') node.className = v;
      else node.setAttribute(k, v);
    }
    for (const c of children) {
      if (c == null) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  };
  const pad = (n) => String(n).padStart(2, '0');
  const fmtDuration = (ms) => {
    const total = Math.max(0, Math.floor(ms / 1000));
    const hh = Math.floor(total / 3600);
    const mm = Math.floor((total % 3600) / 60);
    const ss = total % 60;
    return hh > 0 ? `${hh}:${pad(mm)}:${pad(ss)}` : `${pad(mm)}:${pad(ss)}`;
  };
  const fmtClock = (ms) => {
    const d = new Date(ms);
    return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  };
  // ISO times from the server; one without an offset is taken as UTC (how the server stores time).
  const parseTime = (iso) => {
    if (!iso) return NaN;
    const text = String(iso);
    return Date.parse(/T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text) ? `${text}Z` : text);
  };
  const num = (v) => {
    const n = Number(v);
    return Number.isFinite(n) ? n : 0;
  };

  // Server time minus browser time, from the last stats' "at": timers then agree with the server.
  let clockOffset = 0;
  const serverNow = () => Date.now() + clockOffset;

  // ---------- connection indicator ----------
  const conn = $('conn-status');
  function setConn(status) {
    conn.dataset.conn = status;
    conn.querySelector('.hf-conn-text').textContent = t(`conn_${status}`);
    $('wallboard').classList.toggle('hf-stale', status !== 'connected');
  }

  // ---------- rendering ----------
  function setCount(node, value) {
    if (!node) return;
    const text = String(value);
    if (node.dataset.count !== '' && node.dataset.count !== text) {
      node.classList.remove('hf-changed');
      void node.offsetWidth; // restart the highlight animation
      node.classList.add('hf-changed');
    }
    node.dataset.count = text;
    node.textContent = text;
  }

  function ensureBarRow(container, attr, code, group, testidPrefix, barPrefix) {
    let row = container.querySelector(`[${attr}="${CSS.escape(code)}"]`);
    if (row) return row;
    const text = label(group, code);
    row = h('div', { class: 'hf-bar-row', [attr]: code },
      h('div', { class: 'hf-bar-label', title: text }, text),
      h('div', { class: 'progress hf-bar', role: 'progressbar', 'aria-label': text, 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': '0' },
        h('div', { class: `progress-bar ${barPrefix}${code}`, style: 'width: 0' })),
      h('div', { class: 'hf-bar-num', 'data-testid': `${testidPrefix}${code}`, 'data-count': '' }, '–'));
    container.append(row);
    return row;
  }

  function renderBars(selectorAttr, counts, denominator, group, testidPrefix, barPrefix) {
    const rows = Array.from(document.querySelectorAll(`[${selectorAttr}]`));
    if (!rows.length) return;
    const container = rows[0].parentElement;
    for (const code of Object.keys(counts)) ensureBarRow(container, selectorAttr, code, group, testidPrefix, barPrefix);
    for (const row of container.querySelectorAll(`[${selectorAttr}]`)) {
      const code = row.getAttribute(selectorAttr);
      const value = num(counts[code]);
      const pct = denominator > 0 ? Math.min(100, (value / denominator) * 100) : 0;
      setCount(row.querySelector('.hf-bar-num'), value);
      row.querySelector('.progress-bar').style.width = `${pct.toFixed(1)}%`;
      row.querySelector('.progress').setAttribute('aria-valuenow', String(Math.round(pct)));
      row.classList.toggle('hf-zero', value === 0);
    }
  }

  function renderAgents(agents) {
    const body = $('agents-body');
    body.replaceChildren(...agents.map((a) => {
      const since = parseTime(a.since);
      return h('tr', { 'data-testid': `agent-row-${a.id}`, 'data-agent-id': a.id },
        h('td', { class: 'hf-agent-name' }, a.name || `#${a.id}`),
        h('td', null, h('span', {
          class: `hf-state-badge hf-state-${a.state}`,
          'data-testid': `agent-state-${a.id}`,
          'data-state': a.state,
        }, label('states', a.state))),
        h('td', { class: 'text-end hf-mono hf-timer', 'data-since': Number.isNaN(since) ? '' : String(since) },
          Number.isNaN(since) ? '—' : fmtDuration(serverNow() - since)));
    }));
    const empty = $('agents-empty');
    empty.textContent = t('no_agents');
    empty.hidden = agents.length > 0;
  }

  function tickTimers() {
    const now = serverNow();
    for (const cell of document.querySelectorAll('#agents-body [data-since]')) {
      const since = Number(cell.dataset.since);
      if (cell.dataset.since !== '' && Number.isFinite(since)) cell.textContent = fmtDuration(now - since);
    }
  }
  setInterval(tickTimers, 1000);

  function render(stats) {
    const s = stats || {};
    const at = parseTime(s.at);
    if (!Number.isNaN(at)) clockOffset = at - Date.now();

    const agents = Array.isArray(s.agents) ? s.agents : [];
    let byState = s.by_state;
    if (!byState || typeof byState !== 'object') {
      byState = {};
      for (const a of agents) byState[a.state] = (byState[a.state] || 0) + 1;
    }
    for (const node of document.querySelectorAll('[data-testid^="count-state-"]')) {
      setCount(node, num(byState[node.dataset.testid.slice('count-state-'.length)]));
    }

    const calls = s.calls_today || {};
    const byOutcome = calls.by_outcome || {};
    const outcomeSum = Object.values(byOutcome).reduce((acc, v) => acc + num(v), 0);
    const total = calls.total != null ? num(calls.total) : outcomeSum;
    setCount(document.querySelector('[data-testid="calls-total"]'), total);
    renderBars('data-outcome', byOutcome, Math.max(total, outcomeSum), 'networks', 'count-outcome-', 'hf-outcome-bar-');

    const conv = s.conversations_today || {};
    const convSum = Object.values(conv).reduce((acc, v) => acc + num(v), 0);
    renderBars('data-conv', conv, convSum, 'outcomes', 'count-conv-', 'hf-conv-bar-');

    const tasks = s.tasks || {};
    setCount(document.querySelector('[data-testid="tasks-due"]'), num(tasks.due));
    const overdue = num(tasks.overdue);
    setCount(document.querySelector('[data-testid="tasks-overdue"]'), overdue);
    $('tile-overdue').classList.toggle('hf-tile-alert', overdue > 0);

    renderAgents(agents);
    $('updated-at').textContent = t('updated_at', { time: fmtClock(Number.isNaN(at) ? Date.now() : at) });
  }

  // ---------- Socket.IO ----------
  const socket = io('/supervisor');
  socket.on('connect', () => setConn('connected'));
  socket.on('disconnect', (reason) => setConn(reason === 'io server disconnect' ? 'disconnected' : 'reconnecting'));
  socket.on('connect_error', () => setConn(socket.active ? 'reconnecting' : 'disconnected'));
  socket.io.on('reconnect_attempt', () => setConn('reconnecting'));
  socket.on('stats', render);

  if (!socket.connected) setConn('connecting');
})();
