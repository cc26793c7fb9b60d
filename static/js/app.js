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
