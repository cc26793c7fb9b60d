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

// Bulk selection in the document list (R9): the Re-sync (N) button shows once a row is ticked.
(function () {
  function rowBoxes() { return Array.prototype.slice.call(document.querySelectorAll("input[name='document_ids']")); }
  function updateSelection() {
    const boxes = rowBoxes();
    const checked = boxes.filter(function (b) { return b.checked; }).length;
    const table = document.getElementById("document-table");
    if (table) table.classList.toggle("has-selection", checked > 0);
    const button = document.getElementById("bulk-resync");
    if (button) {
      button.hidden = checked === 0;
      document.getElementById("bulk-count").textContent = String(checked);
    }
    const label = document.getElementById("bulk-selected");
    if (label) {
      // The words come from the page, in the user's language.
      const many = label.dataset.many || "__N__ selected";
      label.textContent = checked === 0 ? "" : checked === 1 ? (label.dataset.one || "1 selected") : many.replace("__N__", String(checked));
    }
    const all = document.getElementById("select-all");
    if (all) {
      all.checked = checked > 0 && checked === boxes.length;
      all.indeterminate = checked > 0 && checked < boxes.length;
    }
  }
  document.addEventListener("change", function (e) {
    const target = e.target;
    if (!(target instanceof HTMLInputElement)) return;
    if (target.matches("[data-select-all]")) {
      rowBoxes().forEach(function (b) { b.checked = target.checked; });
    }
    if (target.matches("[data-select-all], input[name='document_ids']")) updateSelection();
  });
  // The request has already carried the ids: clear the selection so the next batch starts fresh.
  document.addEventListener("bulkStarted", function () {
    rowBoxes().forEach(function (b) { b.checked = false; });
    updateSelection();
  });
  document.addEventListener("htmx:afterSettle", updateSelection);
  document.addEventListener("DOMContentLoaded", updateSelection);
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
