// Toasts from HX-Trigger "toast" events, and <dialog> helpers.  Kept tiny on purpose.
(function () {
  function showToasts(items) {
    const box = document.getElementById("toasts");
    if (!box) return;
    items.forEach(function (item) {
      const el = document.createElement("div");
      el.className = "toast toast-" + item.level;
      el.textContent = item.text;
      box.appendChild(el);
      setTimeout(function () { el.remove(); }, 6000);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("#toasts .toast").forEach(function (el) {
      setTimeout(function () { el.remove(); }, 8000);
    });
  });
  document.addEventListener("toast", function (e) { showToasts(e.detail.items || []); });
  window.rogerToast = showToasts;
})();

// Bulk selection in the document list (R9): the Re-sync (N) button shows once a row is ticked.  The selection is
// kept across the list's pages (sessionStorage), and "select all N documents matching this filter" sends the filter
// itself (the server reads the documents again), never thousands of ids.
(function () {
  const KEY = "roger.selection";
  function load() {
    try { return JSON.parse(sessionStorage.getItem(KEY)) || { ids: [], all: false, query: "" }; }
    catch (e) { return { ids: [], all: false, query: "" }; }
  }
  function save(state) { sessionStorage.setItem(KEY, JSON.stringify(state)); }
  function rowBoxes() { return Array.prototype.slice.call(document.querySelectorAll("input[name='document_ids']")); }
  function table() { return document.getElementById("document-table"); }
  function words(el, key, n) { return (el.dataset[key] || "").replace("__N__", String(n)); }

  function render() {
    const state = load();
    const boxes = rowBoxes();
    const tableEl = table();
    // A "select all matching" selection belongs to the filter it was made with.
    if (state.all && tableEl && tableEl.dataset.query !== state.query) { state.all = false; save(state); }
    boxes.forEach(function (b) { b.checked = state.all || state.ids.indexOf(b.value) >= 0; });
    const matching = tableEl ? parseInt(tableEl.dataset.matching || "0", 10) : 0;
    const count = state.all ? matching : state.ids.length;
    if (tableEl) tableEl.classList.toggle("has-selection", count > 0);
    const button = document.getElementById("bulk-resync");
    if (button) {
      button.hidden = count === 0;
      document.getElementById("bulk-count").textContent = String(count);
    }
    const ids = document.getElementById("selected-ids");
    if (ids) ids.value = state.all ? "" : state.ids.join(",");
    const mode = document.getElementById("select-mode");
    if (mode) mode.value = state.all ? "filter" : "";
    const label = document.getElementById("bulk-selected");
    if (label) {
      const here = boxes.filter(function (b) { return b.checked; }).length;
      let text = count === 0 ? "" : count === 1 ? (label.dataset.one || "1 selected") : words(label, "many", count);
      if (state.all) text = words(label, "all", count);
      else if (count > here) text += " " + words(label, "elsewhere", count - here);
      label.textContent = text;
    }
    const clear = document.getElementById("clear-selection");
    if (clear) clear.hidden = count === 0;
    const all = document.getElementById("select-all");
    const checkedHere = boxes.filter(function (b) { return b.checked; }).length;
    if (all) {
      all.checked = checkedHere > 0 && checkedHere === boxes.length;
      all.indeterminate = checkedHere > 0 && checkedHere < boxes.length;
    }
    const offer = document.getElementById("select-matching");
    if (offer) offer.hidden = state.all || !(boxes.length > 0 && checkedHere === boxes.length);
  }

  document.addEventListener("change", function (e) {
    const target = e.target;
    if (!(target instanceof HTMLInputElement)) return;
    if (!target.matches("[data-select-all], input[name='document_ids']")) return;
    const state = load();
    const changed = target.matches("[data-select-all]") ? rowBoxes() : [target];
    const checked = target.checked;
    if (state.all) {  // ticking off one of "all matching" keeps the rest of this page, as ticks
      state.all = false;
      state.ids = rowBoxes().map(function (b) { return b.value; });
    }
    changed.forEach(function (b) {
      const at = state.ids.indexOf(b.value);
      if (checked && at < 0) state.ids.push(b.value);
      if (!checked && at >= 0) state.ids.splice(at, 1);
    });
    save(state);
    render();
  });
  document.addEventListener("click", function (e) {
    const target = e.target instanceof Element ? e.target : null;
    if (!target) return;
    if (target.closest("#select-all-matching")) {
      const tableEl = table();
      save({ ids: [], all: true, query: tableEl ? tableEl.dataset.query : "" });
      render();
    } else if (target.closest("#clear-selection")) {
      save({ ids: [], all: false, query: "" });
      render();
    }
  });
  // The request has already carried the selection: clear it so the next batch starts fresh.
  document.addEventListener("bulkStarted", function () {
    save({ ids: [], all: false, query: "" });
    render();
  });
  document.addEventListener("htmx:afterSettle", render);
  document.addEventListener("DOMContentLoaded", render);
})();

// <dialog> modals loaded by htmx: open on arrival, focus inside, Escape/Cancel close, focus returns to the opener.
(function () {
  let opener = null;
  let refocusId = null;
  document.addEventListener("htmx:beforeRequest", function (e) {
    const el = e.detail && e.detail.elt;
    const trigger = el && el.closest ? el.closest("[data-opens-modal]") : null;
    if (trigger) opener = trigger;
  });
  function openDialogs() {
    document.querySelectorAll("dialog[data-onload-showmodal]").forEach(function (dialog) {
      dialog.removeAttribute("data-onload-showmodal");
      const returnTo = opener;
      opener = null;
      dialog.addEventListener("close", function () {
        dialog.remove();
        if (returnTo && returnTo.isConnected) returnTo.focus();
        // The panel behind may be re-rendered right after (syncStarted): refocus its button by id then.
        refocusId = returnTo ? returnTo.id : null;
      });
      dialog.showModal();
      // Focus the chosen option (not the first element in document order, which may be a hidden input).
      const first = ["[autofocus]", "input:checked", "input:not([type=hidden])", "select", "button.primary"]
        .map(function (sel) { return dialog.querySelector(sel); })
        .filter(Boolean)[0];
      if (first) first.focus();
    });
    if (refocusId && (document.activeElement === document.body || !document.activeElement)) {
      const el = document.getElementById(refocusId);
      if (el) { el.focus(); refocusId = null; }
    }
  }
  document.addEventListener("htmx:afterSettle", openDialogs);
  document.addEventListener("closeModal", function () {
    document.querySelectorAll("dialog[open]").forEach(function (d) { d.close(); });
  });
  document.addEventListener("click", function (e) {
    const closer = e.target instanceof Element ? e.target.closest("[data-close-dialog]") : null;
    const dialog = closer ? closer.closest("dialog") : null;
    if (dialog) { e.preventDefault(); dialog.close(); }
  });
})();

// The language switcher (and any select marked data-submit-on-change) applies the choice at once.
document.addEventListener("change", function (e) {
  const target = e.target;
  if (target instanceof HTMLSelectElement && target.matches("[data-submit-on-change]") && target.form) target.form.submit();
});
