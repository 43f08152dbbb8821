// File drop page (/s/{token}, templates/files/link_drop.html): sends the chosen or dropped files one
// after the other with a progress bar each (progressive enhancement: without this module the form
// posts to /s/{token}/drop and the page lists what was sent).
//
// Each file is a resumable tus upload through the link (/s/{token}/tus, the same client as the folder
// view's: files-upload.js), so a broken connection continues where it stopped. The server names only
// what this upload was stored under, so the list shows nothing but this visitor's own files. A
// password link's ticket cookie goes along by itself (same origin). All texts come from data-
// attributes of the form.
"use strict";

import {tusUpload} from "./files-upload.js";
import {progressRow} from "./upload-rows.js";

function setup(form) {
  const texts = form.dataset;
  const section = form.closest("section");
  const status = section.querySelector(".upload-status");
  const list = status.querySelector(".upload-list");
  const summary = status.querySelector(".upload-summary");
  const input = form.querySelector("#drop-files");
  const zone = document.getElementById("drop-zone");
  form.querySelector(".drop-zone-hint").hidden = false;

  let queue = Promise.resolve();
  let pending = 0;
  let failed = 0;

  function start(files) {
    if (!files.length) return;
    status.hidden = false;
    summary.textContent = "";
    status.querySelector("h2").focus();
    for (const file of files) {
      const view = progressRow(list, file.name, texts);
      pending += 1;
      queue = queue.then(async () => {
        const show = (sent) => view.show(sent, file.size);
        try {
          show(0);
          const storedName = await tusUpload(file, null, {
            endpoint: form.dataset.tus, onProgress: show,
            onRetry: () => { view.percent.textContent = texts.textRetrying; }});
          show(file.size);
          let text = `100 % – ${texts.textDone}`;
          if (storedName !== file.name) text += ` (${texts.textSavedAs.replace("{name}", storedName)})`;
          view.percent.textContent = text;
          view.item.classList.add("upload-done");
        } catch (error) {
          failed += 1;
          view.item.classList.add("upload-failed");
          view.percent.textContent = `${texts.textFailed}: ${error.message}`;
        } finally {
          pending -= 1;
          if (pending === 0) {
            summary.textContent = failed ? texts.textSomeFailed : texts.textAllDone;
            failed = 0;
          }
        }
      });
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    start([...input.files]);
    input.value = "";
  });

  zone.addEventListener("dragover", (event) => {
    if (![...event.dataTransfer.types].includes("Files")) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
    zone.classList.add("dragging");
  });
  zone.addEventListener("dragleave", (event) => {
    if (!zone.contains(event.relatedTarget)) zone.classList.remove("dragging");
  });
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("dragging");
    start([...event.dataTransfer.files]);
  });
}

const form = document.getElementById("drop-form");
if (form) setup(form);
