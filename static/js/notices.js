/* Huifang notices screen: a notice pushed over Socket.IO (/notices) is added at the top of the
 * list, unread, with its mark-as-read form. Texts and labels come from the page (common.js). */
(() => {
  'use strict';

  const { $, t, label, h } = window.Huifang;
  const list = $('notices');
  const empty = $('notices-empty');
  const count = document.querySelector('[data-testid=unread-count]');
  const csrf = () => $('notice-form').content.cloneNode(true);
  const pad = (n) => String(n).padStart(2, '0');
  const local = (iso) => {
    const d = new Date(iso);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  };

  function body(n) {
    const p = n.payload || {};
    if (n.kind !== 'case_opened') return h('div', { class: 'hf-notice-body' }, h('div', { class: 'hf-notice-title' }, n.kind));
    const facts = [`${t('customer')} ${p.customer_name || ''}`];
    if (p.plate) facts.push(`${t('plate')} ${p.plate}`);
    if (p.ro_number) facts.push(`${t('ro')} ${p.ro_number}`);
    return h('div', { class: 'hf-notice-body' },
      h('div', { class: 'hf-notice-title' }, t('case_opened', { case: p.case_id, category: label('categories', p.category) })),
      h('div', { class: 'hf-notice-facts' }, facts.join(' · ')),
      p.verbatim ? h('blockquote', { class: 'hf-notice-quote' }, p.verbatim) : null);
  }

  function add(n) {
    if (!n || list.querySelector(`[data-id="${n.id}"]`)) return;
    const form = h('form', { method: 'post', action: list.dataset.readUrl.replace(/\/0\/read$/, `/${n.id}/read`), class: 'm-0' },
      csrf(), h('button', { type: 'submit', class: 'btn btn-sm btn-outline-primary', 'data-testid': 'mark-read' }, t('mark_read')));
    list.prepend(h('li', { class: 'hf-notice', 'data-testid': 'notice', 'data-id': n.id, 'data-kind': n.kind, 'data-read': 'false' },
      body(n), h('span', { class: 'hf-notice-time hf-mono' }, local(n.created_at)), form));
    empty.hidden = true;
    const unread = Number(count.dataset.unread || 0) + 1;
    count.dataset.unread = String(unread);
    count.textContent = count.textContent.replace(/\d+/, String(unread));
    const nav = document.querySelector('[data-testid=nav-notices]');
    let badge = document.querySelector('[data-testid=nav-notices-unread]');
    if (nav && !badge) {
      badge = h('span', { class: 'badge rounded-pill text-bg-danger', 'data-testid': 'nav-notices-unread' });
      nav.append(' ', badge);
    }
    if (badge) badge.textContent = String(unread);
  }

  const socket = io('/notices');
  socket.on('notice', add);
})();
