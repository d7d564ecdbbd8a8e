/* Huifang agent console: the call script in steps, the survey answered inline, and the
 * outcome's details (complaint category, appointment day, churn direction and reason,
 * suggestion), as window.HuifangCapture. Loaded before agent.js, which calls these hooks from
 * its own screen pop, form and keyboard code; the hold and transfer controls are agent.js's.
 *
 * Keyboard (keyAction, asked by agent.js): 1-5 answer the highlighted five-point question,
 * Y / N the highlighted yes/no question (then the next unanswered one is highlighted);
 * Up / Down move the highlight. */
(() => {
  'use strict';

  const { $, h, readJSON } = window.Huifang;
  const TX = readJSON('hf-capture-texts');
  const tx = (key, vars) => {
    let s = TX[key] != null ? String(TX[key]) : key;
    if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] != null ? String(vars[k]) : m));
    return s;
  };
  const FIELDS_BY_CODE = {  // which detail group each outcome code shows
    complaint: 'complaint-category-group',
    appointment_booked: 'appointment-group',
    churn_confirmed: 'churn-group',
  };

  const steps = $('script-steps');
  const survey = $('survey-fields');
  let form = null;
  let onChange = () => {};
  let pop = null;

  // ---------- rendering the steps ----------
  const isChoice = (q) => q.kind === 'five_point' || q.kind === 'yes_no';
  const inputName = (type, key) => `answer|${type}|${key}`;

  function render(data) {
    // The same call again (a reconnect): keep what was answered; agent.js decides whose draft wins.
    const keep = pop && data && pop.attempt_id === data.attempt_id ? readAnswers() : null;
    pop = data;
    const script = (data && data.script) || {};
    const list = script.steps || [];
    document.getElementById('script-lines').hidden = list.length > 0;
    if (list.length) $('script-empty').hidden = true;
    $('satisfaction-group').hidden = list.some((s) => s.step === 'questions' && s.questions.length);
    $('script-kind').textContent = script.kind_label || '';
    $('script-kind').hidden = !script.kind_label;
    steps.replaceChildren(...list.map(renderStep));
    $('agent-app').classList.toggle('hf-has-steps', list.length > 0);
    if (keep) fillAnswers(keep);
    activate(nextOpen(null));
  }

  function stepCard(name, ...children) {
    return h('li', { class: `hf-step hf-step-${name}`, 'data-step': name, 'data-testid': `step-${name}` },
      h('div', { class: 'hf-step-name' }, tx(`step_${name}`)), ...children);
  }

  function renderStep(s) {
    if (s.step === 'consent') {
      return stepCard('consent', h('p', { class: 'hf-say' }, s.text),
        h('div', { class: 'hf-declined' },
          h('span', { class: 'hf-declined-label' }, tx('if_declined')), ' ', s.declined, ' ',
          codeButton('refused', tx('record_refusal'), 'btn-declined')));
    }
    if (s.step === 'questions') return renderQuestions(s);
    if (s.step === 'complaint') {
      return stepCard('complaint', h('p', { class: 'hf-say' }, s.text),
        codeButton('complaint', tx('record_complaint'), 'btn-complaint'));
    }
    return stepCard(s.step, h('p', { class: 'hf-say' }, s.text));
  }

  function codeButton(code, text, testid) {
    const button = h('button', { type: 'button', class: 'btn btn-link btn-sm p-0 hf-code-btn', 'data-testid': testid }, text);
    button.addEventListener('click', () => chooseCode(code));
    return button;
  }

  function renderQuestions(s) {
    const items = s.questions.map((q) => renderQuestion(s.task_type, q));
    return stepCard('questions',
      h('div', { class: 'hf-step-sub' }, s.title),
      s.intro ? h('p', { class: 'hf-say' }, s.intro) : null,
      h('ol', { class: 'hf-questions' }, ...items));
  }

  function renderQuestion(type, q) {
    const id = `${type}-${q.key}`;
    const li = h('li', { class: 'hf-question', 'data-type': type, 'data-key': q.key, 'data-kind': q.kind, 'data-testid': `question-${id}` },
      h('div', { class: 'hf-say' }, q.text,
        isChoice(q) ? h('kbd', { class: 'hf-q-keys' }, q.kind === 'five_point' ? '1–5' : 'Y / N') : null));
    if (q.kind === 'text') {
      li.append(h('input', { type: 'text', class: 'form-control form-control-sm', name: inputName(type, q.key), maxlength: '4000', 'aria-label': q.text, 'data-testid': `answer-${id}` }));
    } else {
      li.append(h('div', { class: 'hf-choices', role: 'radiogroup', 'aria-label': q.text },
        ...q.choices.map((c) => {
          const cid = `answer-${id}-${c.value}`;
          const key = q.kind === 'five_point' ? String(c.value) : (c.value === 'yes' ? 'Y' : 'N');
          return h('span', { class: 'hf-choice' },
            h('input', { type: 'radio', class: 'btn-check', name: inputName(type, q.key), id: cid, value: String(c.value), autocomplete: 'off', 'data-testid': cid }),
            h('label', { class: 'btn btn-sm btn-outline-primary', for: cid }, h('span', { class: 'hf-sat-num' }, key), c.label));
        })));
    }
    li.addEventListener('click', () => activate(li));
    return li;
  }

  // ---------- the highlighted question and its keys ----------
  const questions = () => Array.from(steps.querySelectorAll('.hf-question'));
  const answered = (li) => !!li.querySelector('input:checked');

  function nextOpen(after) {
    const all = questions().filter((li) => li.dataset.kind !== 'text');
    const start = after ? all.indexOf(after) + 1 : 0;
    return all.slice(start).find((li) => !answered(li)) || null;
  }

  function activate(li) {
    for (const q of steps.querySelectorAll('.hf-question[data-active]')) delete q.dataset.active;
    if (li) {
      li.dataset.active = 'true';
      li.scrollIntoView({ block: 'nearest' });
    }
  }

  function answerActive(value) {
    const li = steps.querySelector('.hf-question[data-active]');
    if (!li) return false;
    const input = li.querySelector(`input[type=radio][value="${value}"]`);
    if (!input) return false;
    input.checked = true;
    changed();
    activate(nextOpen(li) || li);
    return true;
  }

  function move(by) {
    const all = questions().filter((li) => li.dataset.kind !== 'text');
    const at = all.indexOf(steps.querySelector('.hf-question[data-active]'));
    const next = all[Math.min(Math.max(at + by, 0), all.length - 1)];
    if (next) activate(next);
  }

  // agent.js's keyboard asks what a key does here (agent_keys.js names the keys): with a survey
  // on screen 1-5 always go to it, never to the hidden overall-satisfaction radios.
  function keyAction(name) {
    if (survey.disabled || !steps.querySelector('.hf-question')) return null;
    if (/^[1-5]$/.test(name)) return { run: () => answerActive(name) };
    if (name === 'Y' || name === 'N') return { run: () => answerActive(name === 'Y' ? 'yes' : 'no') };
    if (name === 'ArrowDown' || name === 'ArrowUp') return { run: () => move(name === 'ArrowDown' ? 1 : -1) };
    return null;
  }

  // ---------- reading and filling ----------
  function readAnswers() {
    const out = {};
    for (const input of steps.querySelectorAll('input[name^="answer|"]')) {
      const [, type, key] = input.name.split('|');
      if (input.type === 'radio' && !input.checked) continue;
      const value = input.type === 'radio' && /^\d$/.test(input.value) ? Number(input.value) : input.value;
      if (value === '') continue;
      (out[type] = out[type] || {})[key] = value;
    }
    return out;
  }

  const details = () => ({
    complaint_category: $('complaint-category').value || null,
    suggestion: $('suggestion').value,
    appointment_on: $('appointment-on').value || null,
    churn_direction: $('churn-direction').value || null,
    churn_reason: $('churn-reason').value || null,
  });

  function read() {
    return Object.assign({ answers: readAnswers() }, details());
  }

  function fillAnswers(answers) {
    for (const input of steps.querySelectorAll('input[name^="answer|"]')) {
      const [, type, key] = input.name.split('|');
      const value = (answers[type] || {})[key];
      if (input.type === 'radio') input.checked = value != null && String(value) === input.value;
      else input.value = value == null ? '' : String(value);
    }
  }

  function fill(draft) {
    const d = draft || {};
    fillAnswers(d.answers || {});
    $('complaint-category').value = d.complaint_category || '';
    $('suggestion').value = d.suggestion || '';
    $('appointment-on').value = d.appointment_on || '';
    $('churn-direction').value = d.churn_direction || '';
    $('churn-reason').value = d.churn_reason || '';
    syncDetails();
    activate(nextOpen(null));
  }

  function clear() {
    pop = null;
    steps.replaceChildren();
    document.getElementById('script-lines').hidden = false;
    $('satisfaction-group').hidden = true;  // the survey asks it; shown for a script without questions
    $('script-kind').hidden = true;
    $('agent-app').classList.remove('hf-has-steps');
    fill(null);
  }

  // ---------- the outcome's details, per code ----------
  function syncDetails() {
    const code = $('outcome-code').value;
    for (const [c, group] of Object.entries(FIELDS_BY_CODE)) $(group).hidden = c !== code;
  }

  function chooseCode(code) {
    const select = $('outcome-code');
    if (survey.disabled) return;
    select.value = code;
    select.dispatchEvent(new Event('change', { bubbles: true }));
    const focus = { complaint: 'complaint-category' }[code];
    if (focus) $(focus).focus();
  }

  function changed() {
    onChange();
  }

  // ---------- errors ----------
  function clearErrors() {
    for (const node of document.querySelectorAll('.hf-capture-invalid')) node.classList.remove('hf-capture-invalid', 'is-invalid');
  }

  // The outcome's detail fields are in agent.js's form, which marks them; the survey is here.
  function showError(err) {
    const [root, type, key] = String((err || {}).field || '').split('.');
    if (root !== 'answers') return;
    const node = type && key
      ? steps.querySelector(`.hf-question[data-type="${CSS.escape(type)}"][data-key="${CSS.escape(key)}"]`)
      : steps.querySelector('.hf-question');
    if (!node) return;
    node.classList.add('hf-capture-invalid', 'is-invalid');
    activate(node);
  }

  // ---------- the case a complaint opened ----------
  function caseOpened(d) {
    const box = $('hf-alerts');
    if (!box || !d) return;
    const text = tx('case_opened', { case: d.case_id, category: d.category_label || d.category });
    box.append(h('div', { class: 'alert alert-warning alert-dismissible fade show', role: 'alert', 'data-testid': 'case-opened' },
      h('strong', null, tx('case_opened_title')), ' ', text,
      h('button', { type: 'button', class: 'btn-close', 'data-bs-dismiss': 'alert', 'aria-label': tx('close') })));
  }

  // ---------- wiring (agent.js calls attach once) ----------
  function attach(opts) {
    form = opts.form;
    onChange = opts.onChange || onChange;
    opts.socket.on('case_opened', caseOpened);
    steps.addEventListener('change', (ev) => {
      const li = ev.target.closest('.hf-question');
      if (li) { li.classList.remove('hf-capture-invalid', 'is-invalid'); if (ev.target.type === 'radio') activate(nextOpen(li) || li); }
      changed();
    });
    steps.addEventListener('input', (ev) => { if (ev.target.type === 'text') changed(); });
    $('outcome-code').addEventListener('change', syncDetails);
    // The survey is answerable exactly when the outcome form is (agent.js enables it).
    const fields = $('outcome-fields');
    const mirror = () => { survey.disabled = fields.disabled; };
    new MutationObserver(mirror).observe(fields, { attributes: true, attributeFilter: ['disabled'] });
    mirror();
    syncDetails();
  }

  window.HuifangCapture = Object.freeze({ attach, render, read, fill, clear, clearErrors, showError, keyAction });
})();
