/* Huifang supervisor wallboard: live counts over Socket.IO (/supervisor).
 * Plain browser JavaScript, no build step. Shared helpers, page texts (#hf-ui-texts) and
 * labels (#hf-labels) come from common.js (window.Huifang). */
(() => {
  'use strict';

  const { $, t, label, h, fmtDuration, fmtClock, parseTime, watchConnection } = window.Huifang;

  const num = (v) => {
    const n = Number(v);
    return Number.isFinite(n) ? n : 0;
  };

  // Server time minus browser time, from the last stats' "at": timers then agree with the server.
  let clockOffset = 0;
  const serverNow = () => Date.now() + clockOffset;

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

  // A paused agent's reason by the state badge; the timer beside it counts from the pause.
  const pauseTag = (a) => (a.state === 'paused' && a.pause_reason
    ? h('span', { class: 'hf-pause-tag', 'data-testid': 'agent-pause-reason', 'data-reason': a.pause_reason },
      label('pause_reasons', a.pause_reason))
    : null);

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
        }, label('states', a.state)), pauseTag(a)),
        h('td', { class: 'text-end hf-mono hf-timer', 'data-since': since == null ? '' : String(since) },
          since == null ? '—' : fmtDuration(serverNow() - since)));
    }));
    const empty = $('agents-empty');
    empty.textContent = t('no_agents');
    empty.hidden = agents.length > 0;
  }

  function renderOverdue(tasks) {
    $('overdue-body').replaceChildren(...tasks.map((task) => h('tr', { 'data-testid': 'overdue-row' },
      h('td', null, task.customer),
      h('td', null, ...task.types.map((type) => h('span', { class: 'badge hf-badge-task' }, label('task_types', type)))),
      h('td', { class: 'text-end hf-mono hf-text-overdue' }, task.deadline),
      h('td', { class: 'text-end hf-mono' }, String(task.attempts)))));
    const empty = $('overdue-empty');
    empty.textContent = t('no_overdue');
    empty.hidden = tasks.length > 0;
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
    if (at != null) clockOffset = at - Date.now();

    const agents = Array.isArray(s.agents) ? s.agents : [];
    let byState = s.by_state;
    if (!byState || typeof byState !== 'object') {
      byState = {};
      for (const a of agents) byState[a.state] = (byState[a.state] || 0) + 1;
    }
    for (const node of document.querySelectorAll('[data-testid^="count-state-"]')) {
      setCount(node, num(byState[node.dataset.testid.slice('count-state-'.length)]));
    }
    const pauses = s.paused_by_reason || {};
    renderBars('data-pause', pauses, num(byState.paused), 'pause_reasons', 'count-pause-', 'hf-pause-bar-');

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
    renderOverdue(Array.isArray(s.overdue_tasks) ? s.overdue_tasks : []);
    $('updated-at').textContent = t('updated_at', { time: fmtClock(at ?? Date.now()) });
  }

  // ---------- Socket.IO ----------
  const socket = io('/supervisor');
  // The whole board dims while the connection is down.
  const setConn = watchConnection(socket, $('wallboard'));
  socket.on('stats', render);

  if (!socket.connected) setConn('connecting');
})();
