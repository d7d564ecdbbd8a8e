/* Huifang agent console: what the agent should know before speaking, from the screen pop
 * (console/services/screen_pop.py): the follow-ups the call covers, the customer's consent per
 * channel and purpose, open complaint cases, and earlier calls with their outcomes. The
 * visits' 6QS flags are drawn by agent.js with the visits. As window.HuifangRecord, loaded
 * before agent.js, which calls render(pop, fmt) from its own screen pop and clear() after. */
(() => {
  'use strict';

  const { $, t, label, h } = window.Huifang;
  const NOT_ANSWERED = new Set(['no_answer', 'busy', 'rejected', 'invalid_number', 'unreachable', 'voicemail', 'failed']);

  const emptyRow = (cols, text) => h('tr', { class: 'hf-empty-row' }, h('td', { colspan: cols }, text));
  const typeBadge = (code) => h('span', { class: 'badge hf-badge-task', 'data-type': code }, label('task_types', code));

  function renderCovers(covers, fmt) {
    $('covers-body').replaceChildren(...covers.map((c) => h('tr', { 'data-type': c.type },
      h('td', null, typeBadge(c.type)),
      h('td', { class: 'hf-plate' }, c.plate || '—'),
      h('td', { class: 'hf-mono' }, fmt.dateTime(c.due)),
      h('td', { class: 'hf-mono' }, fmt.dateTime(c.deadline)),
      h('td', { class: 'hf-reason-cell' }, c.reason || ''))));
  }

  function renderConsent(consent) {
    for (const chip of document.querySelectorAll('#customer-consent .hf-consent-chip')) {
      const given = ((consent || {})[chip.dataset.channel] || {})[chip.dataset.purpose];
      chip.dataset.granted = String(!!given);
      chip.querySelector('b').textContent = given ? t('consent_yes') : t('consent_no');
    }
  }

  function renderCases(cases, fmt) {
    const count = $('cases-count');
    count.hidden = cases.length === 0;
    count.textContent = String(cases.length);
    $('cases').dataset.open = String(cases.length > 0);
    $('cases-list').replaceChildren(...(cases.length ? cases.map((c) => h('li', { class: 'hf-case', 'data-testid': 'case', 'data-case': c.id },
      h('div', { class: 'hf-case-head' },
        h('span', { class: 'badge hf-badge-6qs', 'data-category': c.category }, c.category_label || c.category),
        h('span', { class: 'hf-case-status', 'data-status': c.status }, c.status_label || c.status),
        h('span', { class: 'hf-muted hf-mono' }, fmt.dateTime(c.opened_at)),
        h('span', { class: 'hf-muted' }, t('case_ref', { id: c.id }))),
      c.verbatim ? h('q', { class: 'hf-case-words' }, c.verbatim) : null))
      : [h('li', { class: 'hf-empty-small' }, t('no_cases'))]));
  }

  function result(call) {
    if (call.code) return h('span', { class: 'hf-outcome hf-outcome-ok', 'data-code': call.code }, label('outcomes', call.code));
    const network = call.network_outcome;
    const missed = NOT_ANSWERED.has(network);
    return h('span', { class: `hf-outcome ${missed ? 'hf-outcome-miss' : 'hf-outcome-ok'}`, 'data-outcome': network || '' },
      network ? label('networks', network) : t('not_reached'));
  }

  function renderHistory(history, fmt) {
    $('history-body').replaceChildren(...(history.length ? history.map((c) => h('tr', { 'data-testid': 'history-row' },
      h('td', { class: 'hf-mono' }, fmt.dateTime(c.at)),
      h('td', null, ...(c.types || []).map(typeBadge)),
      h('td', null, result(c)),
      h('td', null, c.satisfaction != null ? `${c.satisfaction} ${label('satisfaction', c.satisfaction)}` : '—'),
      h('td', null, c.agent || '—'))) : [emptyRow(5, t('no_history'))]));
  }

  function render(pop, fmt) {
    renderCovers(pop.covers || [], fmt);
    renderConsent(pop.consent);
    renderCases(pop.cases || [], fmt);
    renderHistory(pop.history || [], fmt);
  }

  function clear() {
    for (const id of ['covers-body', 'cases-list', 'history-body']) $(id).replaceChildren();
    $('cases-count').hidden = true;
  }

  window.HuifangRecord = { render, clear };
})();
