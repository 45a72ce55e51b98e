/* Confirmations' « Annuler », then the header's menu.
   The header's menu is a <details> (templates/base.html) that works without this script and
   never moves the page at load. This only adds: Escape closes the open menu and returns to
   « Menu »; on a wide screen of a browser that cannot show a closed <details>' content
   (no ::details-content), the menu is opened so that the navigation shows as a row. */
(function () {
  "use strict";
  /* « Annuler » of a confirmation (templates/_forms.html, confirm_submit): close it, back to
     the first button. The buttons stay hidden without this script, the summary closing it. */
  Array.prototype.forEach.call(document.querySelectorAll("[data-confirm-cancel]"), function (b) {
    var box = b.closest("details");
    b.hidden = false;
    b.addEventListener("click", function () { closeConfirm(box); });
  });
  function closeConfirm(box) {
    box.open = false;
    box.querySelector("summary").focus();
  }
  document.addEventListener("keydown", function (event) {
    var box = event.key === "Escape" && event.target.closest && event.target.closest(".confirm[open]");
    if (box) { closeConfirm(box); }
  });

  var menu = document.querySelector("[data-site-menu]");
  if (!menu) { return; }
  var summary = menu.querySelector("summary");

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !menu.open) { return; }
    var target = event.target;
    if (target !== document.body && !menu.contains(target)) { return; }
    menu.open = false;
    summary.focus();
  });

  var wide = window.matchMedia("(min-width: 40em)");
  var supported = window.CSS && CSS.supports && CSS.supports("selector(::details-content)");
  if (!supported && wide.matches) { menu.open = true; }
})();
