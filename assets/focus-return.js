// A dialog gives the focus back to what opened it when it closes (WCAG 2.4.3). Radix returns
// focus only to its own Dialog.Trigger; ordertrack's dialogs open from server state (a button's
// event sets ``open``), so this remembers the last focused or clicked control outside a dialog
// and focuses it again once no dialog is open and the focus fell back to the page.
(function () {
  if (window.__otFocusReturn) return;
  window.__otFocusReturn = true;
  var opener = null;
  var open = false;
  function outside(el) {
    return el instanceof HTMLElement && el !== document.body && !el.closest('[role=dialog],[role=alertdialog]');
  }
  document.addEventListener('focusin', function (e) { if (outside(e.target)) opener = e.target; }, true);
  document.addEventListener('pointerdown', function (e) {
    var el = e.target instanceof Element ? e.target.closest('button,a,[tabindex],input,select,textarea') : null;
    if (el && outside(el)) opener = el;
  }, true);
  function check() {
    var now = !!document.querySelector('[role=dialog],[role=alertdialog]');
    if (open && !now) {
      setTimeout(function () {
        var active = document.activeElement;
        if (opener && opener.isConnected && (!active || active === document.body)) opener.focus();
      }, 30);
    }
    open = now;
  }
  new MutationObserver(check).observe(document.documentElement, {childList: true, subtree: true});
})();
