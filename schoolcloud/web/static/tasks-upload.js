// Uploads on the task pages (handing in, material, feedback files) with progress bars.
// Progressive enhancement: without this module the forms post their files as multipart and the server
// streams them into the files layer. With it, chosen files go through the resumable tus endpoint first
// (tusUpload from files-upload.js) into the user's work folder for the task (asked for at
// data-folder-url); then the form is sent without the files, and the server hands in / saves what is
// now in the folder. If an upload fails (e.g. over quota), the form is not sent and what was typed stays.
"use strict";

import {tusUpload} from "/static/files-upload.js";
import {progressRow} from "/static/upload-rows.js";

const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

async function folderId(url) {
  const response = await fetch(url, {method: "POST", headers: {"X-CSRF-Token": csrf()}});
  let body = null;
  try { body = await response.json(); } catch (_) { /* not JSON */ }
  if (!response.ok) throw new Error(body?.error?.message || `HTTP ${response.status}`);
  return body.folder_id;
}

function setup(form) {
  const texts = form.dataset;
  const input = form.querySelector('input[type="file"]');
  const status = form.querySelector(".upload-status");
  const list = status.querySelector(".upload-list");
  const summary = status.querySelector(".upload-summary");
  const button = form.querySelector('button[type="submit"]');
  let busy = false;

  form.addEventListener("submit", async (event) => {
    if (!input.files.length) return; // nothing to upload: the plain form post does the rest
    event.preventDefault();
    if (busy) return;
    busy = true;
    button.disabled = true;
    status.hidden = false;
    list.replaceChildren();
    summary.textContent = "";
    status.querySelector("h3").focus();
    let failed = false;
    try {
      const folder = await folderId(texts.folderUrl);
      for (const file of [...input.files]) {
        const view = progressRow(list, file.name, texts);
        const show = (sent) => view.show(sent, file.size);
        try {
          await tusUpload(file, folder, {onProgress: show, onRetry: () => { view.percent.textContent = texts.textRetrying; }});
          show(file.size);
          view.percent.textContent = `100 % – ${texts.textDone}`;
          view.item.classList.add("upload-done");
        } catch (error) {
          failed = true;
          view.item.classList.add("upload-failed");
          view.percent.textContent = `${texts.textFailed}: ${error.message}`;
          summary.textContent = `${texts.textFailed}: ${error.message}`;
          break;
        }
      }
    } catch (error) {
      failed = true;
      summary.textContent = `${texts.textFailed}: ${error.message}`;
    }
    if (failed) {
      busy = false;
      button.disabled = false;
      return;
    }
    summary.textContent = texts.textSending;
    input.value = "";
    input.required = false;
    form.submit(); // the files are in the work folder now; the server records them with the form
  });
}

for (const form of document.querySelectorAll("form.task-upload[data-folder-url]")) setup(form);
