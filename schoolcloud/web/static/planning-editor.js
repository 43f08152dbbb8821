// Autosave of a plan editor step (progressive enhancement: the form's Save button works without it).
// Posts the whole form with its base revision to the JSON API a moment after the last change, then
// shows "saved" or "conflict", puts the new findings/figures panel in place and marks the fields.
"use strict";
(() => {
  const form = document.querySelector("form[data-autosave]");
  if (!form) return;
  const status = document.getElementById("autosave-status");
  const base = document.getElementById("base-revision");
  const panel = document.getElementById("plan-panel");
  const token = document.querySelector("meta[name=csrf-token]");
  const DELAY = 1500;
  let timer = null;
  let running = false;
  let again = false;

  const say = (text) => { status.textContent = text; };

  function markFields(fieldErrors, marks) {
    for (const old of form.querySelectorAll(".field-error[data-autosave]")) old.remove();
    for (const input of form.querySelectorAll("[name]")) {
      if (input.type === "hidden") continue;
      const name = input.name;
      const path = name.replace(/\.(\d+)(?=\.|$)/g, "[$1]");
      const ids = document.getElementById(input.id + "-hint") ? [input.id + "-hint"] : [];
      let invalid = false;
      if (fieldErrors[name]) {
        const note = document.createElement("p");
        note.className = "field-error";
        note.dataset.autosave = "1";
        note.id = input.id + "-error";
        note.textContent = fieldErrors[name];
        input.closest(".field").appendChild(note);
        ids.push(note.id);
        invalid = true;
      }
      const mark = marks[path];
      if (mark) { ids.push(...mark.ids); invalid = invalid || mark.invalid; }
      if (ids.length) input.setAttribute("aria-describedby", ids.join(" "));
      else input.removeAttribute("aria-describedby");
      if (invalid) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    }
  }

  function showConflict(error) {
    say(status.dataset.conflict);
    const keep = document.createElement("button");
    keep.type = "button";
    keep.className = "button-secondary";
    keep.textContent = status.dataset.keep;
    keep.addEventListener("click", () => { base.value = error.conflict.current_revision; save(); });
    const reload = document.createElement("a");
    reload.href = window.location.pathname;
    reload.textContent = status.dataset.reload;
    status.append(" ", reload, " ", keep);
  }

  // A new row that was just saved got an id: keep it, and offer a fresh empty row below it.
  function adoptNewRows(newIds) {
    for (const [prefix, id] of Object.entries(newIds)) {
      const hidden = form.querySelector(`input[type=hidden][name="${CSS.escape(prefix + ".id")}"]`);
      if (!hidden) continue;
      hidden.value = id;
      const row = hidden.closest("tr");
      if (!row || !row.classList.contains("plan-new-row")) continue;
      row.classList.remove("plan-new-row");
      const fresh = row.cloneNode(true);
      const index = Number(prefix.split(".").pop());
      const from = prefix + ".", to = prefix.replace(/\d+$/, String(index + 1)) + ".";
      const fromId = "f-" + from.replace(/\./g, "-"), toId = "f-" + to.replace(/\./g, "-");
      for (const el of fresh.querySelectorAll("[name], [id], [for]")) {
        if (el.name) el.name = el.name.replace(from, to);
        if (el.id) el.id = el.id.replace(fromId, toId);
        if (el.htmlFor) el.htmlFor = el.htmlFor.replace(fromId, toId);
        // Back to what the empty row showed when the page was made (the defaults of a new entry).
        if (el.type === "checkbox") el.checked = el.defaultChecked;
        else if (el.tagName === "SELECT") for (const option of el.options) option.selected = option.defaultSelected;
        else if (el.type === "hidden") el.value = "";
        else if ("defaultValue" in el) el.value = el.defaultValue;
        el.removeAttribute("aria-invalid");
        el.removeAttribute("aria-describedby");
      }
      for (const note of fresh.querySelectorAll(".field-error")) note.remove();
      fresh.classList.add("plan-new-row");
      row.after(fresh);
    }
  }

  async function save() {
    if (running) { again = true; return; }
    running = true;
    say(status.dataset.saving);
    try {
      const response = await fetch(form.dataset.autosave, {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRF-Token": token ? token.content : "" },
      });
      const body = await response.json();
      if (response.ok) {
        base.value = body.revision;
        say(status.dataset.saved.replace("{n}", body.revision));
        panel.innerHTML = body.panel_html;  // server-rendered, escaped HTML of the same template as the page
        adoptNewRows(body.new_ids);
        markFields(body.field_errors, body.marks);
      } else if (response.status === 409 && body.error && body.error.conflict) {
        showConflict(body.error);
      } else {
        say((body.error && body.error.message) || status.dataset.failed);
      }
    } catch (err) {
      say(status.dataset.failed);
    } finally {
      running = false;
      if (again) { again = false; save(); }
    }
  }

  const later = () => { clearTimeout(timer); timer = setTimeout(save, DELAY); };
  form.addEventListener("input", later);
  form.addEventListener("change", later);
})();
