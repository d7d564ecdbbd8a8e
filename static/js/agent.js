/* Huifang agent console: state, screen pop, outcome form over Socket.IO (/agent).
 * Plain browser JavaScript, no build step. Shared helpers, page texts (#hf-ui-texts) and
 * labels (#hf-labels) come from common.js (window.Huifang); keys pressed while a request is in
 * flight wait for its ack in agent_keys.js (window.HuifangKeys), which asks resolveKey here. */
(() => {
  'use strict';

  const { $, TEXTS, t, label, h, fmtDuration, fmtClock, parseTime, watchConnection } = window.Huifang;

  const CALL_STATES = new Set(['preview', 'ringing', 'on_call', 'wrap_up']);
  const ANSWERED_STATES = new Set(['on_call', 'wrap_up']);
  const LOG_KEY = 'huifang.agent.calllog';
  const LOG_MAX = 10;

  // ---------- elements ----------
  const app = $('agent-app');
  const stateBadge = $('agent-state');
  const stateTimer = $('state-timer');
  const stateError = $('state-error');
  const ringingInfo = $('ringing-info');
  const btnReady = $('btn-ready');
  const btnPause = $('btn-pause');
  const btnHangup = $('btn-hangup');
  const btnHold = $('btn-hold');
  const btnTransfer = $('btn-transfer');
  const transferTarget = $('transfer-target');
  const dtmfKeys = Array.from(document.querySelectorAll('[data-dtmf]'));
  const phoneStatus = $('phone-status');
  const callLogBody = $('call-log');
  const callLogEmpty = $('call-log-empty');
  const customerEmpty = $('customer-empty');
  const customerRecord = $('customer-record');
  const scriptTitle = $('script-title');
  const scriptLines = $('script-lines');
  const scriptEmpty = $('script-empty');
  const form = $('outcome-form');
  const fields = $('outcome-fields');
  const codeSelect = $('outcome-code');
  const callbackGroup = $('callback-group');
  const callbackAt = $('callback-at');
  const complaintText = $('complaint-text');
  const notesText = $('notes');
  const pauseAfter = $('pause-after');
  const formError = $('form-error');
  const btnWrapup = $('btn-wrapup');
  const draftStatus = $('draft-status');
  const capture = window.HuifangCapture;  // script steps, survey, outcome details: agent_capture.js
  const record = window.HuifangRecord;  // covers, consent, cases, earlier calls: agent_record.js
  const pauseMenu = $('pause-menu');
  const pauseReasons = Array.from(pauseMenu.querySelectorAll('[data-reason]'));
  const pauseAfterReason = $('pause-after-reason');
  const wrapBox = $('wrap-countdown');
  const previewControls = $('preview-controls');
  const btnDial = $('btn-dial');
  const btnSkip = $('btn-skip');
  const keyStatus = $('key-status');

  // ---------- small helpers ----------
  // Store times arrive as ISO text in the store's own time zone: show their wall-clock part
  // as written, so agents see store time whatever their PC's time zone.
  const WALL = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?/;
  const fmtDateTime = (iso) => {
    const m = WALL.exec(String(iso || ''));
    if (!m) return iso ? String(iso) : '—';
    const md = `${m[2]}-${m[3]}`;
    const day = Number(m[1]) === new Date().getFullYear() ? md : `${m[1]}-${md}`;
    return m[4] ? `${day} ${m[4]}:${m[5]}` : day;
  };
  const fmtDate = (iso) => {
    const m = WALL.exec(String(iso || ''));
    if (!m) return iso ? String(iso) : '—';
    return `${m[1]}-${m[2]}-${m[3]}`;
  };
  const lang = document.documentElement.lang || 'zh-Hans';
  const fmtNumber = (value, digits) => {
    const n = Number(value);
    if (value == null || value === '' || Number.isNaN(n)) return value == null ? '—' : String(value);
    return n.toLocaleString(lang, { minimumFractionDigits: digits, maximumFractionDigits: digits });
  };
  function showAlert(message, kind = 'danger') {
    const box = $('hf-alerts');
    if (!box) return;
    const alert = h('div', {
      class: `alert alert-${kind} alert-dismissible fade show`,
      role: 'alert',
      'data-testid': kind === 'danger' ? 'alert-error' : 'alert-info',
    }, message, h('button', { type: 'button', class: 'btn-close', 'data-bs-dismiss': 'alert', 'aria-label': t('close') }));
    box.append(alert);
    while (box.children.length > 4) box.firstElementChild.remove();
    if (kind !== 'danger') setTimeout(() => alert.remove(), 4000);
  }

  // ---------- state ----------
  const S = {
    state: stateBadge.dataset.state || 'offline',
    since: Date.now(),
    attemptId: null,      // attempt the server says we are on
    answered: false,      // the current call was answered: the form may be filled
    pop: null,            // last screen_pop payload
    ringing: null,        // last ringing payload
    numbers: {},          // attempt_id -> {number, name}
    busy: false,          // a set_state/hangup request is in flight
    submitting: false,    // wrap_up in flight
    wrappedUp: new Set(), // attempts whose wrap-up the server acknowledged: never sent again
    draftTimer: null,
    localVersion: 0,      // bumps on every form change
    savedVersion: 0,      // last version the server acknowledged
    phone: null,          // the agent's headset leg: none | dialling | connected | down
    held: false,          // the customer is on hold
    transferring: false,  // an advisor is being called for the customer
    pauseReason: null,    // why the agent is paused (break, lunch, training, meeting)
    wrapUpS: 0,           // the store's wrap-up timer in seconds; 0: the agent ends it
  };

  // ---------- Socket.IO ----------
  const socket = io('/agent');
  capture.attach({ socket, form, onChange: () => onFormChange() });

  // The state badge dims while the connection is down; the buttons follow it.
  const setConn = watchConnection(socket, stateBadge, updateControls);

  function request(event, payload, timeoutMs = 8000) {
    return new Promise((resolve) => {
      socket.timeout(timeoutMs).emit(event, payload, (err, resp) => {
        if (err) {
          resolve({ ok: false, error: { code: 'timeout', message: t('ack_timeout') } });
        } else if (resp == null) {
          resolve({ ok: true });
        } else if (typeof resp === 'object') {
          resolve(resp);
        } else {
          resolve({ ok: false, error: { code: 'bad_response', message: t('error_generic') } });
        }
      });
    });
  }
  const errorText = (err) => (err && (err.message || err.code)) || t('error_generic');

  // ---------- rendering: state panel ----------
  function renderState() {
    stateBadge.dataset.state = S.state;
    for (const cls of Array.from(stateBadge.classList)) {
      if (cls.startsWith('hf-state-') && cls !== 'hf-state-badge' && cls !== 'hf-state-big') stateBadge.classList.remove(cls);
    }
    stateBadge.classList.add(`hf-state-${S.state}`);
    stateBadge.textContent = label('states', S.state);
    const reason = S.state === 'paused' && S.pauseReason ? label('pause_reasons', S.pauseReason) : '';
    stateBadge.dataset.pauseReason = reason ? S.pauseReason : '';
    if (reason) stateBadge.append(h('span', { class: 'hf-state-reason', 'data-testid': 'pause-reason' }, reason));
    app.dataset.state = S.state;
    tick();
    renderEmptyState();
    updateControls();
  }

  function renderEmptyState() {
    const title = $('empty-title');
    const hint = $('empty-hint');
    if (S.state === 'ringing' && S.ringing) {
      title.textContent = t('title_ringing', { name: S.ringing.customer_name || '' });
      hint.textContent = `${S.ringing.number || ''} · ${t('hint_ringing')}`;
      return;
    }
    const key = { offline: 'offline', ready: 'ready', paused: 'paused' }[S.state];
    title.textContent = key ? t(`title_${key}`) : label('states', S.state);
    if (S.state === 'paused' && S.pauseReason) title.textContent += ` · ${label('pause_reasons', S.pauseReason)}`;
    hint.textContent = t(`hint_${S.state}`);
  }

  function renderRinging() {
    const r = S.ringing;
    const show = !!r && S.state === 'ringing';
    ringingInfo.hidden = !show;
    if (show) {
      $('ringing-name').textContent = r.customer_name || '';
      $('ringing-number').textContent = r.number || '';
    }
  }

  function tick() {
    stateTimer.textContent = fmtDuration(Date.now() - S.since);
    renderWrapUp();
  }

  // A timed wrap-up (dialing.wrap_up_s): time left, then time over; the next call may start in
  // its last seconds (dialer/dialing.py), the outcome still has to be saved.
  function renderWrapUp() {
    const timed = S.state === 'wrap_up' && S.wrapUpS > 0;
    wrapBox.hidden = !timed;
    if (!timed) return;
    const left = S.wrapUpS * 1000 - (Date.now() - S.since);
    const over = left <= -1000;  // "0 s left" for the last second, then over
    wrapBox.dataset.over = String(over);
    wrapBox.dataset.left = String(Math.ceil(left / 1000));
    $('wrap-left').textContent = t(over ? 'wrap_over' : 'wrap_left', { time: fmtDuration(over ? -left : Math.max(0, left) + 999) });
    $('wrap-bar').style.width = `${over ? 100 : Math.min(100, 100 - (left / (S.wrapUpS * 1000)) * 100)}%`;
  }
  setInterval(tick, 1000);

  function updateControls() {
    const online = socket.connected;
    // Mirrors the server's transitions (dialer/agent_state.py): offline -> paused -> ready.
    btnReady.disabled = !online || S.busy || S.state !== 'paused';
    // Paused: F3 again changes the reason (a new pause).
    btnPause.disabled = !online || S.busy || !['offline', 'ready', 'paused'].includes(S.state);
    if (btnPause.disabled) openPauseMenu(false);
    for (const b of pauseReasons) b.disabled = btnPause.disabled;
    pauseAfterReason.hidden = !pauseAfter.checked;
    btnHangup.disabled = !online || S.busy || !['ringing', 'on_call'].includes(S.state);
    fields.disabled = !S.answered;
    btnWrapup.disabled = !online || !S.answered || S.submitting;
    app.dataset.answered = String(S.answered);
    // In-call controls: only with the customer on the line (dialer/seat_audio.py).
    const talking = online && !S.busy && S.state === 'on_call' && !S.transferring;
    btnHold.disabled = !talking;
    btnHold.setAttribute('aria-pressed', String(S.held));
    $('hold-label').textContent = S.held ? t('resume') : t('hold');
    btnTransfer.disabled = !talking || S.held || !transferTarget.value;
    for (const key of dtmfKeys) key.disabled = !talking || S.held;
    const previewing = S.state === 'preview';
    previewControls.hidden = !previewing;
    btnDial.disabled = btnSkip.disabled = !online || S.busy || !previewing;
  }

  function renderPhone() {
    phoneStatus.dataset.phone = S.phone || '';
    phoneStatus.textContent = S.phone ? t(`phone_${S.phone}`) : '';
    phoneStatus.classList.toggle('text-danger', S.phone === 'down');
  }

  async function loadAdvisors() {
    const resp = await request('advisors', {});
    const advisors = resp.ok ? (resp.advisors || []) : [];
    const chosen = transferTarget.value;
    transferTarget.replaceChildren(...(advisors.length
      ? advisors.map((a) => h('option', { value: String(a.id) }, a.name))
      : [h('option', { value: '' }, t('no_advisors'))]));
    if (advisors.some((a) => String(a.id) === chosen)) transferTarget.value = chosen;
    updateControls();
  }

  // ---------- rendering: call log ----------
  let callLog = [];
  try { callLog = JSON.parse(sessionStorage.getItem(LOG_KEY) || '[]'); } catch (e) { callLog = []; }
  if (!Array.isArray(callLog)) callLog = [];

  function renderCallLog() {
    callLogBody.replaceChildren(...callLog.map((c) => {
      const ok = c.outcome === 'answered';
      const who = c.hung_up_by ? TEXTS[`hung_up_by_${c.hung_up_by}`] : '';
      const title = [c.name, who, c.sip ? `SIP ${c.sip}` : ''].filter(Boolean).join(' · ');
      return h('tr', { 'data-attempt': c.attempt_id, title },
        h('td', { class: 'hf-mono' }, fmtClock(c.at)),
        h('td', { class: 'hf-mono hf-number' }, c.number || '—'),
        h('td', null, h('span', { class: `hf-outcome ${ok ? 'hf-outcome-ok' : 'hf-outcome-miss'}`, 'data-outcome': c.outcome }, label('networks', c.outcome))));
    }));
    callLogEmpty.hidden = callLog.length > 0;
  }

  function logCall(d) {
    const known = S.numbers[d.attempt_id] || {};
    const entry = {
      attempt_id: d.attempt_id,
      at: Date.now(),
      number: known.number || '',
      name: known.name || '',
      outcome: d.network_outcome,
      sip: d.sip_status || null,
      hung_up_by: d.hung_up_by || null,
    };
    callLog = [entry, ...callLog.filter((c) => c.attempt_id !== d.attempt_id)].slice(0, LOG_MAX);
    try { sessionStorage.setItem(LOG_KEY, JSON.stringify(callLog)); } catch (e) { /* private mode */ }
    renderCallLog();
  }

  // ---------- rendering: customer record and script ----------
  function phoneChip(p) {
    const validity = p.validity || '';
    const bad = ['wrong', 'empty', 'invalid', 'wrong_number', 'empty_number'].includes(validity);
    const validityText = validity && validity !== 'valid'
      ? h('span', { class: `hf-validity${bad ? ' hf-validity-bad' : ''}` }, TEXTS[`validity_${validity}`] || validity)
      : null;
    return h('span', { class: `hf-phone${p.dialled ? ' hf-phone-dialled' : ''}`, 'data-testid': 'customer-phone' },
      h('span', { class: 'hf-mono' }, p.number || ''),
      p.kind ? h('span', { class: 'hf-muted' }, TEXTS[`phone_kind_${p.kind}`] || p.kind) : null,
      validityText,
      p.dialled ? h('span', { class: 'hf-dialled' }, t('dialled')) : null);
  }

  const emptyRow = (cols, text) => h('tr', { class: 'hf-empty-row' }, h('td', { colspan: cols }, text));

  function renderPop(pop) {
    const task = pop.task || {};
    const c = pop.customer || {};
    $('task-ref').textContent = t('task_ref', { task: task.id ?? '—', attempt: pop.attempt_id ?? '—' });

    $('customer-name').textContent = c.name || '—';
    const gender = $('customer-gender');
    gender.hidden = !(c.gender === 'M' || c.gender === 'F');
    gender.textContent = gender.hidden ? '' : t(`gender_${c.gender}`);
    $('customer-kind').textContent = c.is_company ? t('company') : t('private');
    $('customer-city').textContent = c.city || '';

    $('task-types').replaceChildren(...(task.types || []).map((code) =>
      h('span', { class: 'badge hf-badge-task', 'data-type': code }, label('task_types', code))));
    $('task-overdue').hidden = !task.overdue;
    $('task-due').textContent = fmtDateTime(task.due);
    $('task-deadline').textContent = fmtDateTime(task.deadline);

    const phones = c.phones || [];
    $('customer-phones').replaceChildren(...(phones.length
      ? phones.map(phoneChip)
      : [h('span', { class: 'hf-muted' }, t('no_phones'))]));

    const vehicles = c.vehicles || [];
    $('vehicles-body').replaceChildren(...(vehicles.length ? vehicles.map((v) => h('tr', null,
      h('td', { class: 'hf-plate' }, v.plate || '—'),
      h('td', null, v.model || '—'),
      h('td', null, v.model_year ?? '—'),
      h('td', { class: 'hf-mono hf-vin' }, v.vin || '—'),
      h('td', { class: 'hf-mono' }, fmtDate(v.delivered_on)))) : [emptyRow(5, t('no_vehicles'))]));

    const visits = c.visits || [];
    $('visits-body').replaceChildren(...(visits.length ? visits.map((v) => h('tr', { 'data-six-qs': String((v.six_qs || []).length > 0), 'data-ro': v.ro_number },
      h('td', { class: 'hf-mono' }, fmtDate(v.closed_at)),
      h('td', null, v.ro_type_label || v.ro_type || '—'),
      h('td', null, v.advisor || '—'),
      h('td', { class: 'text-end hf-mono' }, fmtNumber(v.amount, 2)),
      h('td', { class: 'text-end hf-mono' }, v.odometer_km != null ? `${fmtNumber(v.odometer_km, 0)} ${t('km')}` : '—'),
      h('td', { class: 'hf-mono hf-muted' }, v.ro_number || '—'),
      h('td', { 'data-testid': 'six-qs' }, ...(v.six_qs_labels || []).map((text, i) =>
        h('span', { class: 'badge hf-badge-6qs', 'data-category': (v.six_qs || [])[i] }, text))))) : [emptyRow(7, t('no_visits'))]));
    record.render(pop, { dateTime: fmtDateTime, date: fmtDate });

    customerEmpty.hidden = true;
    customerRecord.hidden = false;

    const script = pop.script || {};
    const lines = script.lines || [];
    scriptTitle.textContent = script.title || '';
    scriptLines.replaceChildren(...lines.map((line) => h('li', null, line)));
    scriptEmpty.textContent = lines.length ? '' : t('no_script');
    scriptEmpty.hidden = lines.length > 0;
    capture.render(pop);
  }

  function clearScreen() {
    customerRecord.hidden = true;
    customerEmpty.hidden = false;
    $('task-ref').textContent = '';
    scriptTitle.textContent = '';
    scriptLines.replaceChildren();
    scriptEmpty.textContent = t('script_waiting');
    scriptEmpty.hidden = false;
    capture.clear();
    record.clear();
    renderEmptyState();
  }

  // ---------- the outcome form ----------
  const satisfactionInputs = () => Array.from(form.querySelectorAll('input[name="satisfaction"]'));

  function readForm() {
    const sat = form.querySelector('input[name="satisfaction"]:checked');
    return {
      code: codeSelect.value || null,
      satisfaction: sat ? Number(sat.value) : null,
      complaint_text: complaintText.value,
      notes: notesText.value,
      callback_at: callbackAt.value || null,
      ...capture.read(),  // survey answers and the outcome's details
    };
  }

  function syncCallbackField() {
    callbackGroup.hidden = codeSelect.value !== 'call_back_later';
  }

  function fillForm(draft) {
    const d = draft || {};
    const code = d.code == null ? '' : String(d.code);
    codeSelect.value = Array.from(codeSelect.options).some((o) => o.value === code) ? code : '';
    for (const input of satisfactionInputs()) input.checked = d.satisfaction != null && Number(input.value) === Number(d.satisfaction);
    complaintText.value = d.complaint_text || '';
    notesText.value = d.notes || '';
    callbackAt.value = d.callback_at ? String(d.callback_at).slice(0, 16) : '';
    syncCallbackField();
    capture.fill(d);
  }

  function clearErrors() {
    capture.clearErrors();
    formError.hidden = true;
    formError.textContent = '';
    for (const node of form.querySelectorAll('.is-invalid')) node.classList.remove('is-invalid');
    for (const fb of form.querySelectorAll('[data-error-for]')) { fb.textContent = ''; fb.style.display = ''; }
  }

  function showFormError(err) {
    const e = err || {};
    capture.showError(e);
    const names = [].concat(e.field || [], e.fields || []);
    for (const name of names) {
      const input = form.querySelector(`[name="${CSS.escape(name)}"]`);
      const fb = form.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
      if (name === 'satisfaction') $('satisfaction-group').classList.add('is-invalid');
      else if (input) input.classList.add('is-invalid');
      if (fb) { fb.textContent = e.message || t('field_missing'); fb.style.display = 'block'; }
    }
    formError.textContent = errorText(e);
    formError.hidden = false;
  }

  function setDraftStatus(text, bad) {
    draftStatus.textContent = text || '';
    draftStatus.classList.toggle('text-danger', !!bad);
  }

  function currentAttempt() {
    if (S.pop && S.pop.attempt_id != null) return S.pop.attempt_id;
    return S.attemptId;
  }

  function scheduleDraft(delay = 400) {
    clearTimeout(S.draftTimer);
    S.draftTimer = setTimeout(sendDraft, delay);
  }

  async function sendDraft() {
    S.draftTimer = null;
    const attempt = currentAttempt();
    if (!S.answered || attempt == null) return;
    const version = S.localVersion;
    const resp = await request('draft', Object.assign({ attempt_id: attempt }, readForm()), 10000);
    if (currentAttempt() !== attempt) return;
    if (resp.ok) {
      S.savedVersion = Math.max(S.savedVersion, version);
      if (S.savedVersion === S.localVersion) setDraftStatus(t('draft_saved', { time: fmtClock(Date.now()) }));
    } else {
      setDraftStatus(t('draft_failed', { message: errorText(resp.error) }), true);
    }
  }

  function onFormChange(ev) {
    if (ev && ev.target === pauseAfter) { pauseAfterReason.hidden = !pauseAfter.checked; return; }
    if (ev && ev.target === pauseAfterReason) return;
    if (ev && ev.target === codeSelect) syncCallbackField();
    if (!S.answered) return;
    if (ev && ev.target) {
      ev.target.classList.remove('is-invalid');
      if (ev.target.name === 'satisfaction') $('satisfaction-group').classList.remove('is-invalid');
    }
    S.localVersion += 1;
    scheduleDraft();
  }
  form.addEventListener('input', onFormChange);
  form.addEventListener('change', onFormChange);

  $('satisfaction-clear').addEventListener('click', () => {
    for (const input of satisfactionInputs()) input.checked = false;
    onFormChange();
  });

  function resetForm() {
    clearTimeout(S.draftTimer);
    S.draftTimer = null;
    S.localVersion = 0;
    S.savedVersion = 0;
    fillForm(null);
    clearErrors();
    setDraftStatus('');
  }

  async function submitWrapUp() {
    const attempt = currentAttempt();
    if (!S.answered || S.submitting || !socket.connected || S.wrappedUp.has(attempt)) return;
    clearTimeout(S.draftTimer);
    S.draftTimer = null;
    clearErrors();
    const next = pauseAfter.checked ? { next: 'paused', pause_reason: pauseAfterReason.value } : { next: 'ready' };
    const payload = Object.assign({ attempt_id: attempt }, readForm(), next);
    S.submitting = true;
    updateControls();
    const resp = await request('wrap_up', payload, 10000);
    S.submitting = false;
    if (resp.ok) {
      S.wrappedUp.add(attempt);
      if (currentAttempt() === attempt) endCall();
      pauseAfter.checked = false;
      pauseAfterReason.hidden = true;
      showAlert(t('wrapped_up'), 'success');
    } else {
      showFormError(resp.error);
    }
    updateControls();
    keys.drain();
  }
  form.addEventListener('submit', (ev) => { ev.preventDefault(); submitWrapUp(); });

  function endCall() {
    S.pop = null;
    S.ringing = null;
    S.answered = false;
    resetForm();
    clearScreen();
    renderRinging();
    updateControls();
  }

  // ---------- state buttons ----------
  async function act(event, payload) {
    if (S.busy) return;
    S.busy = true;
    stateError.hidden = true;
    updateControls();
    const resp = await request(event, payload);
    S.busy = false;
    if (!resp.ok) {
      stateError.textContent = errorText(resp.error);
      stateError.hidden = false;
    }
    updateControls();
    keys.drain();
  }
  btnReady.addEventListener('click', () => act('set_state', { state: 'ready' }));
  // F3: from offline, take the seat (paused); otherwise choose why (1-4), Esc to cancel.
  function openPauseMenu(open) {
    pauseMenu.hidden = !open;
    btnPause.setAttribute('aria-expanded', String(open));
  }
  function pauseFor(reason) {
    openPauseMenu(false);
    act('set_state', { state: 'paused', reason });
  }
  btnPause.addEventListener('click', () => {
    if (S.state === 'offline') act('set_state', { state: 'paused' });
    else openPauseMenu(pauseMenu.hidden);
  });
  for (const b of pauseReasons) b.addEventListener('click', () => pauseFor(b.dataset.reason));
  btnHangup.addEventListener('click', () => act('hangup', {}));
  btnHold.addEventListener('click', () => act('hold', { hold: !S.held }));
  btnTransfer.addEventListener('click', () => act('transfer', { advisor_id: Number(transferTarget.value) }));
  transferTarget.addEventListener('change', updateControls);
  for (const key of dtmfKeys) key.addEventListener('click', () => act('dtmf', { digits: key.dataset.dtmf }));

  // preview dialing: Dial (F9) and Skip on the previewed record
  btnDial.addEventListener('click', () => act('dial', {}));
  btnSkip.addEventListener('click', () => act('skip', {}));

  // ---------- keyboard (agent_keys.js): what each key does on the screen as it is now ----------
  // A key pressed while a request awaits its ack runs after it; `when` is the screen it was
  // pressed on: {attempt, submitting}, null for a key pressed now.
  const KEY_BUTTONS = { F2: btnReady, F3: btnPause, F4: btnHangup, F6: btnHold, F7: btnTransfer, F9: btnDial };
  const FOR_THE_CALL = new Set(['F4', 'F6', 'F7', 'F9']);  // hang up, hold, transfer, dial

  function resolveKey(name, when) {
    if (name === 'Ctrl+Enter') return wrapUpKey(when);
    const menu = pauseMenuKey(name);
    if (menu) return menu;
    const callChanged = !!when && when.attempt !== currentAttempt();
    const button = KEY_BUTTONS[name];
    if (button) {
      if (FOR_THE_CALL.has(name) && callChanged) return { drop: 'call_changed' };
      return button.disabled ? { drop: 'unavailable' } : { run: () => button.click() };
    }
    const answer = capture.keyAction(name) || satisfactionKey(name);  // about the call's form
    if (answer && callChanged) return { drop: 'call_changed' };
    return answer;
  }

  function wrapUpKey(when) {
    const attempt = when ? when.attempt : currentAttempt();
    if (S.wrappedUp.has(attempt)) return { drop: 'saved' };
    if (when && when.submitting) return { drop: 'repeat' };  // the same outcome, in flight then
    if (when && attempt !== currentAttempt()) return { drop: 'call_changed' };
    return btnWrapup.disabled ? { drop: 'unavailable' } : { run: submitWrapUp };
  }

  // F3 opened the reasons: 1-4 pause for one, Esc closes.
  function pauseMenuKey(name) {
    if (pauseMenu.hidden) return null;
    if (name === 'Escape') return { run: () => openPauseMenu(false) };
    const chosen = pauseReasons.find((b) => b.dataset.key === name);
    if (!chosen) return null;
    return chosen.disabled ? { drop: 'unavailable' } : { run: () => pauseFor(chosen.dataset.reason) };
  }

  function satisfactionKey(name) {
    const input = /^[1-5]$/.test(name) && form.querySelector(`input[name="satisfaction"][value="${name}"]`);
    if (!input) return null;
    if (fields.disabled) return { drop: 'unavailable' };
    return { run: () => { input.checked = true; input.dispatchEvent(new Event('change', { bubbles: true })); } };
  }

  // The status line under the buttons: the keys waiting, then any dropped, for a few seconds.
  // A text's {key} or {keys} is drawn as the keys themselves.
  const withKeys = (text, names) => {
    const [before, after = ''] = t(text).split(/\{keys?\}/);
    return [before, ...names.map((name) => h('kbd', null, name)), after];
  };
  let keysHeld = [];  // names of the keys waiting
  let keyDrops = [];  // {name, why} of the keys dropped lately
  let dropsTimer = null;
  function renderKeyStatus() {
    const lines = keyDrops.map((d) => h('span', { class: 'hf-key-line' }, ...withKeys(`key_dropped_${d.why}`, [d.name])));
    if (keysHeld.length) lines.push(h('span', { class: 'hf-key-line' }, ...withKeys('keys_waiting', keysHeld)));
    keyStatus.dataset.kind = keysHeld.length ? 'waiting' : 'dropped';
    keyStatus.dataset.waiting = keysHeld.join(' ');
    keyStatus.dataset.dropped = keyDrops.map((d) => d.name).join(' ');
    keyStatus.replaceChildren(...lines);
    keyStatus.hidden = lines.length === 0;
  }
  function keysWaiting(names) {
    keysHeld = names;
    renderKeyStatus();
  }
  function keyDropped(name, why) {
    keyDrops = [...keyDrops, { name, why }].slice(-3);
    renderKeyStatus();
    clearTimeout(dropsTimer);
    dropsTimer = setTimeout(() => { keyDrops = []; renderKeyStatus(); }, 5000);
  }

  const keys = window.HuifangKeys.attach({
    waiting: () => S.busy || S.submitting,
    context: () => ({ attempt: currentAttempt(), submitting: S.submitting }),
    resolve: resolveKey,
    show: keysWaiting,
    dropped: keyDropped,
  });

  // ---------- server events ----------
  socket.on('state', (d) => {
    const data = d || {};
    if ((data.state || 'offline') !== S.state) openPauseMenu(false);  // chosen for the old state
    S.state = data.state || 'offline';
    S.since = parseTime(data.since) ?? Date.now();
    S.attemptId = data.attempt_id ?? null;
    S.pauseReason = data.pause_reason || null;
    S.wrapUpS = Number(data.wrap_up_s) || 0;
    if (S.state !== 'on_call') { S.held = false; S.transferring = false; }
    if (!CALL_STATES.has(S.state)) {
      // No call in progress: whatever was on screen is finished.
      if (S.pop || S.answered || S.ringing) endCall();
    } else if (S.pop && S.attemptId != null && S.pop.attempt_id !== S.attemptId) {
      endCall();  // a different call started
    }
    if (ANSWERED_STATES.has(S.state)) S.answered = true;
    renderState();
    renderRinging();
  });

  socket.on('ringing', (d) => {
    if (!d) return;
    if (S.pop && S.pop.attempt_id !== d.attempt_id) endCall();
    S.ringing = d;
    S.numbers[d.attempt_id] = { number: d.number || '', name: d.customer_name || '' };
    renderRinging();
    renderEmptyState();
  });

  socket.on('screen_pop', (d) => {
    if (!d) return;
    const sameCall = S.pop && S.pop.attempt_id === d.attempt_id;
    if (S.pop && !sameCall) endCall();
    S.pop = d;
    if (!S.numbers[d.attempt_id]) {
      const dialled = ((d.customer || {}).phones || []).find((p) => p.dialled);
      S.numbers[d.attempt_id] = { number: dialled ? dialled.number : '', name: (d.customer || {}).name || '' };
    }
    if (ANSWERED_STATES.has(S.state)) S.answered = true;
    renderPop(d);
    if (sameCall && S.localVersion > S.savedVersion) {
      // We typed while the connection was down: ours is newer than the server's draft.
      scheduleDraft(0);
    } else {
      fillForm(d.draft);
      S.localVersion = 0;
      S.savedVersion = 0;
    }
    updateControls();
  });

  socket.on('call_ended', (d) => {
    if (!d) return;
    logCall(d);
    S.ringing = null;
    renderRinging();
    if (d.answered) {
      S.answered = true;
      const hint = $('empty-hint');
      if (hint) hint.textContent = t('hint_wrap_up');
    } else if (!S.answered) {
      endCall();
    }
    updateControls();
  });

  socket.on('connect', loadAdvisors);

  socket.on('phone', (d) => {
    S.phone = (d || {}).phone || null;
    renderPhone();
  });

  socket.on('call_control', (d) => {
    const c = d || {};
    if (c.action === 'hold' || c.action === 'unhold') {
      if (c.ok) S.held = c.action === 'hold';
    } else if (c.action === 'transfer') {
      S.transferring = c.ok && c.detail === 'ringing';
      if (c.ok && c.detail === 'ringing') showAlert(t('transfer_ringing'), 'info');
      else if (c.ok) showAlert(t('transfer_done'), 'success');
      else showAlert(t('transfer_failed', { reason: label('networks', c.detail) || c.detail || '' }), 'danger');
      updateControls();
      return;
    }
    if (!c.ok) showAlert(t('control_failed', { reason: c.detail || '' }), 'danger');
    updateControls();
  });

  socket.on('error', (d) => {
    const e = d || {};
    showAlert(e.message || e.code || t('error_generic'), 'danger');
  });

  // ---------- start ----------
  renderCallLog();
  clearScreen();
  renderState();
  renderPhone();
  if (!socket.connected) setConn('connecting');
})();
