// Drag a board card onto another column: the drop fills the hidden form #ot-drop-form and
// submits it, so the move goes through the same guarded server handler as the dialog.
(function () {
  if (window.__otDnd) return;
  window.__otDnd = true;
  let dragged = null;
  const column = (el) => (el && el.closest ? el.closest("[data-drop-column]") : null);
  const clear = () => document.querySelectorAll(".ot-drop-target").forEach((c) => c.classList.remove("ot-drop-target"));
  document.addEventListener("dragstart", (e) => {
    const card = e.target && e.target.closest ? e.target.closest("[data-drag-number]") : null;
    if (!card) return;
    dragged = { number: card.dataset.dragNumber, version: card.dataset.dragVersion };
    e.dataTransfer.setData("text/plain", dragged.number);
    e.dataTransfer.effectAllowed = "move";
  });
  document.addEventListener("dragover", (e) => {
    const col = column(e.target);
    if (col && dragged) {
      e.preventDefault();
      clear();
      col.classList.add("ot-drop-target");
    }
  });
  document.addEventListener("dragend", () => { dragged = null; clear(); });
  document.addEventListener("drop", (e) => {
    const col = column(e.target);
    clear();
    if (!col || !dragged) return;
    e.preventDefault();
    const form = document.getElementById("ot-drop-form");
    if (!form) return;
    form.elements.number.value = dragged.number;
    form.elements.version.value = dragged.version;
    form.elements.column.value = col.dataset.dropColumn;
    dragged = null;
    form.requestSubmit();
  });
})();
