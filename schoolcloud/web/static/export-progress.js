// The progress bar of a data export being prepared: asks for its status every two seconds and moves the
// bar; when the export is ready (or failed) the page reloads to show the download link (or the message).
// Without JavaScript, reloading the page shows the same state.
for (const box of document.querySelectorAll("[data-export-status]")) {
  const bar = box.querySelector("progress");
  const text = box.querySelector("[data-export-text]");
  const poll = async () => {
    try {
      const response = await fetch(box.dataset.exportStatus, {headers: {Accept: "application/json"}});
      if (response.ok) {
        const state = await response.json();
        if (state.status !== "queued" && state.status !== "running") {
          window.location.reload();
          return;
        }
        if (state.total > 0) {
          bar.max = state.total;
          bar.value = state.done;
          bar.textContent = `${state.percent} %`;
        }
        text.textContent = state.text;
      }
    } catch (error) {
      // a network hiccup: try again at the next tick
    }
    window.setTimeout(poll, 2000);
  };
  window.setTimeout(poll, 2000);
}
