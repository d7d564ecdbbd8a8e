// SMS templates: a live preview and part counter asked of the server as the text changes
// (debounced), and Ctrl+Enter to save.
(function () {
  "use strict";
  const form = document.getElementById("template-form");
  if (!form) return;
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const out = document.getElementById("preview-text");
  const counter = document.getElementById("preview-count");
  let timer = null;
  let lastField = document.getElementById("body_zh");

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, (_, key) => String(values[key]));
  }

  async function preview() {
    const data = new FormData();
    data.append("csrf_token", token);
    data.append("body", lastField.value);
    data.append("kind", form.kind.value);
    data.append("language", lastField.dataset.lang);
    data.append("store_id", form.store_id ? form.store_id.value : "");
    const reply = await fetch(form.dataset.preview, { method: "POST", body: data, headers: { "X-CSRFToken": token } });
    const result = await reply.json();
    if (!result.ok) {
      out.textContent = result.error;
      out.classList.add("text-danger");
      counter.textContent = "";
      return;
    }
    out.classList.remove("text-danger");
    out.textContent = result.text;
    counter.textContent = format(counter.dataset.template, result.count);
    counter.dataset.parts = result.count.parts;
  }

  function later(event) {
    if (event && event.target.dataset && event.target.dataset.lang) lastField = event.target;
    clearTimeout(timer);
    timer = setTimeout(preview, 250);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", later);
  form.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  preview();
})();
