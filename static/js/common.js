/* Huifang: helpers shared by the live pages (agent console, wallboard), as window.Huifang.
 * Plain browser JavaScript, no build step; loaded by base.html before the page's own script.
 * Texts come translated from the page (#hf-ui-texts, plus the connection indicator's
 * #hf-conn-texts); labels from #hf-labels. */
(() => {
  'use strict';

  // ---------- page data ----------
  const $ = (id) => document.getElementById(id);
  const readJSON = (id) => {
    const node = $(id);
    if (!node) return {};
    try { return JSON.parse(node.textContent) || {}; } catch (e) { return {}; }
  };
  const TEXTS = Object.assign({}, readJSON('hf-conn-texts'), readJSON('hf-ui-texts'));
  const LABELS = readJSON('hf-labels');
  const t = (key, vars) => {
    let s = TEXTS[key] != null ? String(TEXTS[key]) : key;
    if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] != null ? String(vars[k]) : m));
    return s;
  };
  const label = (group, code) => {
    const map = LABELS[group] || {};
    return map[code] != null ? map[code] : (code == null ? '' : String(code));
  };

  // ---------- elements ----------
  // h('tr', {class: 'x', 'data-id': 3}, child, 'text', …): attributes that are null or false
  // are left out, true gives an empty attribute, 'text' sets the text; null/false children are skipped.
  const h = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v == null || v === false) continue;
        if (k === 'class') node.className = v;
        else if (k === 'text') node.textContent = v;
        else node.setAttribute(k, v === true ? '' : v);
      }
    }
    for (const c of children) {
      if (c == null || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  };

  // ---------- times ----------
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
  // Milliseconds since the epoch, or null when missing or unreadable.
  const parseTime = (iso) => {
    if (!iso) return null;
    const text = String(iso);
    const ms = Date.parse(/T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text) ? `${text}Z` : text);
    return Number.isNaN(ms) ? null : ms;
  };

  // ---------- connection indicator (#conn-status, in base.html) ----------
  // Follows a Socket.IO socket's connection; `stale` (an element) is dimmed while not connected,
  // `onChange(status)` runs after every change. Returns setConn(status) for the page's own use.
  function watchConnection(socket, stale, onChange) {
    const conn = $('conn-status');
    const setConn = (status) => {
      conn.dataset.conn = status;
      conn.querySelector('.hf-conn-text').textContent = t(`conn_${status}`);
      if (stale) stale.classList.toggle('hf-stale', status !== 'connected');
      if (onChange) onChange(status);
    };
    socket.on('connect', () => setConn('connected'));
    // The server closed us (e.g. logged out elsewhere): no automatic reconnection.
    socket.on('disconnect', (reason) => setConn(reason === 'io server disconnect' ? 'disconnected' : 'reconnecting'));
    socket.on('connect_error', () => setConn(socket.active ? 'reconnecting' : 'disconnected'));
    socket.io.on('reconnect_attempt', () => setConn('reconnecting'));
    return setConn;
  }

  window.Huifang = Object.freeze({
    $, readJSON, TEXTS, LABELS, t, label, h, pad, fmtDuration, fmtClock, parseTime, watchConnection,
  });
})();
