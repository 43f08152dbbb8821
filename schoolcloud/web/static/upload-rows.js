// One line per upload in a progress list: name, progress bar (labelled for screen readers) and the
// percentage or state. Used by the folder upload (files-upload.js), the file drop (link-drop.js) and
// the task uploads (tasks-upload.js); texts come from the form's data- attributes (textProgress with
// {name}, textWaiting).
"use strict";

export function progressRow(list, label, texts) {
  const item = document.createElement("li");
  const name = document.createElement("span");
  name.className = "upload-name";
  name.textContent = label;
  const bar = document.createElement("progress");
  bar.max = 100;
  bar.value = 0;
  bar.setAttribute("aria-label", texts.textProgress.replace("{name}", label));
  const percent = document.createElement("span");
  percent.className = "upload-percent";
  percent.setAttribute("aria-live", "polite");
  percent.textContent = texts.textWaiting;
  item.append(name, bar, percent);
  list.append(item);
  let shown = -1;
  // Show `sent` of `size` bytes as a whole percentage (only when it changes).
  const show = (sent, size) => {
    const value = size ? Math.min(100, Math.floor((sent / size) * 100)) : 100;
    if (value === shown) return;
    shown = value;
    bar.value = value;
    percent.textContent = `${value} %`;
  };
  return {item, bar, percent, show};
}
