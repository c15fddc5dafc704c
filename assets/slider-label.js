// Radix's slider puts the accessible name on its root, not on the thumb that has role=slider
// and takes the focus (axe: aria-input-field-name). Give each thumb its slider's name.
(function () {
  if (window.__otSliderLabel) return;
  window.__otSliderLabel = true;
  function name() {
    document.querySelectorAll(".rt-SliderRoot[aria-label] [role=slider]").forEach(function (t) {
      var label = t.closest(".rt-SliderRoot").getAttribute("aria-label");
      if (t.getAttribute("aria-label") !== label) t.setAttribute("aria-label", label);
    });
  }
  new MutationObserver(name).observe(document.documentElement,
                                     {childList: true, subtree: true, attributes: true, attributeFilter: ["aria-label"]});
  name();
})();
