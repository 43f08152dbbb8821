// Resumable uploads for the folder view (progressive enhancement: without this module the upload
// form posts to /files/upload/{folder} and works as well).
//
// A small tus 1.0 client (core + creation): POST /api/v1/files/tus creates an upload (Upload-Length,
// Upload-Metadata: filename, folder, filetype, on_conflict), PATCH sends chunks at Upload-Offset;
// after a network error HEAD asks for the offset and the upload continues from there. Several files,
// whole folders (subfolders are created through the API) and drag-and-drop onto the list.
// All texts come from data- attributes of the form, translated by the server.
"use strict";

import {progressRow} from "./upload-rows.js";

const ENDPOINT = "/api/v1/files/tus";
const API = "/api/v1/files";
const CHUNK = 8 * 1024 * 1024;
const RETRY_DELAYS = [1000, 2000, 4000, 8000, 15000, 30000];

const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content
  || document.querySelector('input[name="csrf_token"]')?.value || "";

function b64(text) {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function metadata(values) {
  return Object.entries(values).map(([k, v]) => `${k} ${b64(String(v))}`).join(",");
}

class HttpError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

async function errorFrom(response) {
  let body = null;
  try { body = await response.json(); } catch (_) { /* not JSON */ }
  const message = body?.error?.message || `HTTP ${response.status}`;
  return new HttpError(response.status, message, body);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// One PATCH with upload progress (fetch cannot report it); resolves with the new offset and, from a
// file drop's last PATCH, the name the file was stored under.
function patch(url, blob, offset, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PATCH", url);
    xhr.setRequestHeader("Tus-Resumable", "1.0.0");
    xhr.setRequestHeader("Upload-Offset", String(offset));
    xhr.setRequestHeader("Content-Type", "application/offset+octet-stream");
    xhr.setRequestHeader("X-CSRF-Token", csrf());
    xhr.upload.onprogress = (event) => onProgress(offset + event.loaded);
    xhr.onload = () => {
      if (xhr.status === 204) {
        resolve({offset: Number(xhr.getResponseHeader("Upload-Offset")),
                 storedName: xhr.getResponseHeader("Upload-Stored-Name")});
        return;
      }
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch (_) { /* not JSON */ }
      reject(new HttpError(xhr.status, body?.error?.message || `HTTP ${xhr.status}`, body));
    };
    xhr.onerror = () => reject(new TypeError("network error"));
    xhr.send(blob);
  });
}

async function currentOffset(url) {
  const response = await fetch(url, {method: "HEAD", headers: {"Tus-Resumable": "1.0.0", "X-CSRF-Token": csrf()}});
  if (!response.ok) throw await errorFrom(response);
  return Number(response.headers.get("Upload-Offset"));
}

// Upload one file into a folder (or, with `endpoint` /s/{token}/tus and folderId null, into a file
// drop); onProgress(bytesSent), onRetry() while reconnecting. Resolves with the name the file was
// stored under where the server names it (file drops number a taken name), else with its own name.
export async function tusUpload(file, folderId, {onProgress = () => {}, onRetry = () => {}, endpoint = ENDPOINT} = {}) {
  const values = {filename: file.name, filetype: file.type || "", on_conflict: "rename"};
  if (folderId !== null) values.folder = folderId;
  const created = await fetch(endpoint, {
    method: "POST",
    headers: {
      "Tus-Resumable": "1.0.0",
      "Upload-Length": String(file.size),
      "Upload-Metadata": metadata(values),
      "X-CSRF-Token": csrf(),
    },
  });
  if (created.status !== 201) throw await errorFrom(created);
  const url = created.headers.get("Location");
  let storedName = created.headers.get("Upload-Stored-Name");
  let offset = 0;
  let failures = 0;
  onProgress(0);
  while (offset < file.size) {
    try {
      const sent = await patch(url, file.slice(offset, Math.min(offset + CHUNK, file.size)), offset, onProgress);
      offset = sent.offset;
      storedName = sent.storedName || storedName;
      failures = 0;
      onProgress(offset);
    } catch (error) {
      // 409 (offset mismatch) or a broken connection: ask the server where we are and go on.
      const resumable = error instanceof TypeError || (error instanceof HttpError && error.status === 409);
      if (!resumable || failures >= RETRY_DELAYS.length) throw error;
      onRetry();
      await sleep(RETRY_DELAYS[failures]);
      failures += 1;
      try { offset = await currentOffset(url); } catch (headError) {
        if (headError instanceof HttpError) throw headError;
      }
    }
  }
  onProgress(file.size);
  return storedName ? decodeURIComponent(storedName) : file.name;
}

// The id of the subfolder `name` of `parentId`, created when missing.
const folderCache = new Map();
async function subfolder(parentId, name) {
  const key = `${parentId}/${name}`;
  if (!folderCache.has(key)) {
    folderCache.set(key, (async () => {
      const response = await fetch(`${API}/nodes/${parentId}/folders`, {
        method: "POST",
        headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf()},
        body: JSON.stringify({name}),
      });
      if (response.status === 201) return (await response.json()).id;
      const error = await errorFrom(response);
      const existing = error.body?.existing || error.body?.error?.existing;
      if (response.status === 409 && existing && existing.kind === "folder") return existing.id;
      throw error;
    })());
  }
  try {
    return await folderCache.get(key);
  } catch (error) {
    folderCache.delete(key);
    throw error;
  }
}

async function targetFolder(rootId, relativePath) {
  const parts = relativePath.split("/").filter(Boolean);
  parts.pop(); // the file's own name
  let id = rootId;
  for (const part of parts) id = await subfolder(id, part);
  return id;
}

// Files (with their relative paths) from a drop, directories walked recursively.
async function droppedFiles(dataTransfer) {
  const entries = [...dataTransfer.items].map((item) => item.webkitGetAsEntry?.()).filter(Boolean);
  if (!entries.length) return [...dataTransfer.files].map((file) => ({file, path: file.name}));
  const result = [];
  async function walk(entry, prefix) {
    if (entry.isFile) {
      const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
      result.push({file, path: prefix + file.name});
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      for (;;) {
        const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
        if (!batch.length) break;
        for (const child of batch) await walk(child, `${prefix}${entry.name}/`);
      }
    }
  }
  for (const entry of entries) await walk(entry, "");
  return result;
}

function setup(form) {
  const folderId = Number(form.dataset.folder);
  const texts = form.dataset;
  const section = form.closest("section");
  const status = section.querySelector(".upload-status");
  const list = status.querySelector(".upload-list");
  const summary = status.querySelector(".upload-summary");
  const reload = status.querySelector(".upload-reload");
  const filesInput = form.querySelector("#upload-files");
  const folderInput = form.querySelector("#upload-folder");
  const drop = document.getElementById("file-drop");

  // Features that need this script become visible only with it.
  form.querySelector(".upload-folder-field").hidden = !("webkitdirectory" in folderInput);
  form.querySelector(".upload-drop-hint").hidden = false;

  let queue = Promise.resolve();
  let pending = 0;
  let failed = 0;

  function start(items) {
    if (!items.length) return;
    status.hidden = false;
    reload.hidden = true;
    summary.textContent = "";
    status.querySelector("h3").focus();
    for (const {file, path} of items) {
      const view = progressRow(list, path, texts);
      pending += 1;
      queue = queue.then(async () => {
        const show = (sent) => view.show(sent, file.size);
        try {
          const target = await targetFolder(folderId, path);
          await tusUpload(file, target, {onProgress: show, onRetry: () => { view.percent.textContent = texts.textRetrying; }});
          show(file.size);
          view.percent.textContent = `100 % – ${texts.textDone}`;
          view.item.classList.add("upload-done");
        } catch (error) {
          failed += 1;
          view.item.classList.add("upload-failed");
          view.percent.textContent = `${texts.textFailed}: ${error.message}`;
        } finally {
          pending -= 1;
          if (pending === 0) {
            summary.textContent = failed ? texts.textSomeFailed : texts.textAllDone;
            reload.hidden = false;
            failed = 0;
          }
        }
      });
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    start([...filesInput.files].map((file) => ({file, path: file.name})));
    filesInput.value = "";
  });
  folderInput.addEventListener("change", () => {
    start([...folderInput.files].map((file) => ({file, path: file.webkitRelativePath || file.name})));
    folderInput.value = "";
  });

  if (drop) {
    drop.setAttribute("data-drop-text", texts.textDrop);
    drop.addEventListener("dragover", (event) => {
      if (![...event.dataTransfer.types].includes("Files")) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
      drop.classList.add("dragging");
    });
    drop.addEventListener("dragleave", (event) => {
      if (!drop.contains(event.relatedTarget)) drop.classList.remove("dragging");
    });
    drop.addEventListener("drop", async (event) => {
      event.preventDefault();
      drop.classList.remove("dragging");
      start(await droppedFiles(event.dataTransfer));
    });
  }
}

const form = document.getElementById("upload-form");
if (form) setup(form);
