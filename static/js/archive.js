/* Customer archive pages: keyboard first. Plain browser JavaScript, no build step.
 *  /            focus the search box (from anywhere but a text field)
 *  ↑ ↓ Enter    move through the results and open one
 *  E, Esc       on a record: edit it, back to the search; on the edit form Esc cancels
 *  Ctrl+Enter   save the form (a customer's edit, a segment)
 * Buttons and links that have a shortcut carry it in data-shortcut. */
(() => {
  'use strict';

  const isTextField = (el) => el && (el.isContentEditable
    || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));

  // ---------- results: a selected row, moved with the arrow keys ----------
  const rows = Array.from(document.querySelectorAll('tr[data-href]'));
  let selected = -1;
  const select = (i) => {
    if (!rows.length) return;
    if (selected >= 0) rows[selected].classList.remove('hf-selected');
    selected = Math.max(0, Math.min(rows.length - 1, i));
    rows[selected].classList.add('hf-selected');
    rows[selected].scrollIntoView({ block: 'nearest' });
  };
  rows.forEach((row, i) => {
    row.addEventListener('click', (ev) => {
      if (ev.target.closest('a')) return; // the name link opens on its own
      window.location.href = row.dataset.href;
    });
    row.addEventListener('mouseenter', () => select(i));
  });

  // ---------- edit form: one more empty phone row ----------
  const addPhone = document.getElementById('add-phone');
  const phoneBody = document.querySelector('#phone-rows tbody');
  if (addPhone && phoneBody) {
    addPhone.addEventListener('click', () => {
      const template = phoneBody.querySelector('tr.hf-new-phone') || phoneBody.lastElementChild;
      const index = phoneBody.querySelectorAll('tr').length;
      const row = template.cloneNode(true);
      row.classList.add('hf-new-phone');
      row.querySelectorAll('[name]').forEach((el) => {
        el.name = el.name.replace(/^phones-\d+-/, `phones-${index}-`);
        if (el.id) el.id = el.id.replace(/^phones-\d+-/, `phones-${index}-`);
        if (el.dataset.testid) el.dataset.testid = el.dataset.testid.replace(/\d+$/, String(index));
        if (el.tagName === 'INPUT') el.value = '';
        if (el.tagName === 'SELECT') el.selectedIndex = 0;
        el.classList.remove('is-invalid');
      });
      row.querySelectorAll('.invalid-feedback').forEach((el) => el.remove());
      phoneBody.append(row);
      row.querySelector('input:not([type=hidden])').focus();
    });
  }

  // ---------- import: the file's own time (when the DMS exported it), a busy button ----------
  const upload = document.getElementById('hf-upload-form');
  if (upload) {
    const file = upload.querySelector('input[type=file]');
    file.addEventListener('change', () => {
      const chosen = file.files[0];
      document.getElementById('hf-modified').value = chosen ? String(chosen.lastModified) : '';
    });
  }
  document.querySelectorAll('form').forEach((form) => {
    form.addEventListener('submit', (ev) => {
      const button = ev.submitter;
      if (!button || !button.dataset.busyText) return;
      // one click, one import: later clicks and Enter presses are ignored while it runs
      form.querySelectorAll('button').forEach((b) => { b.disabled = true; });
      button.textContent = button.dataset.busyText;
      if (!button.name) return;
      const keep = document.createElement('input'); // a disabled submitter's value is not sent
      Object.assign(keep, { type: 'hidden', name: button.name, value: button.value });
      form.append(keep);
    });
  });

  // ---------- shortcuts ----------
  const shortcut = (key) => document.querySelector(`[data-shortcut="${key}"]`);
  // Ctrl+Enter submits the page's form through its main button (save), Enter the default one
  const ctrlEnterForm = document.querySelector('form[data-ctrl-enter]');
  // a select that changes what the form offers (a segment's store) resubmits it as a preview
  document.querySelectorAll('select[data-resubmit]').forEach((sel) => {
    sel.addEventListener('change', () => {
      sel.form.requestSubmit(sel.form.querySelector(`[name=step][value="${sel.dataset.resubmit}"]`));
    });
  });
  document.addEventListener('keydown', (ev) => {
    if (ev.isComposing || ev.altKey || ev.metaKey) return;
    if (ev.key === 'Enter' && ev.ctrlKey && ctrlEnterForm) {
      ev.preventDefault();
      const main = ctrlEnterForm.querySelector('[data-ctrl-enter-submit]');
      if (main) ctrlEnterForm.requestSubmit(main); else ctrlEnterForm.requestSubmit();
      return;
    }
    if (ev.ctrlKey) return;
    if (ev.key === 'Escape') {
      const back = shortcut('Escape');
      if (back) { ev.preventDefault(); window.location.href = back.href; }
      return;
    }
    const typing = isTextField(ev.target);
    if (ev.key === '/' && !typing) {
      const box = shortcut('/');
      if (box) { ev.preventDefault(); box.focus(); box.select(); }
      return;
    }
    if (rows.length && (ev.key === 'ArrowDown' || ev.key === 'ArrowUp')
        && (!typing || ev.target.type === 'search')) {
      ev.preventDefault();
      select(selected + (ev.key === 'ArrowDown' ? 1 : -1));
      if (ev.target.type === 'search') ev.target.blur();
      return;
    }
    if (ev.key === 'Enter' && !typing && selected >= 0) {
      ev.preventDefault();
      window.location.href = rows[selected].dataset.href;
      return;
    }
    if ((ev.key === 'e' || ev.key === 'E') && !typing) {
      const edit = shortcut('e');
      if (edit) { ev.preventDefault(); window.location.href = edit.href; }
    }
  });
})();
