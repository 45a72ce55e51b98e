/* Compact header on phones: the « Menu » button opens the navigation and the account block.
   Without this script everything stays visible; app.css hides the menu only under .nav-js,
   and only while the button says aria-expanded="false". */
(function () {
  "use strict";
  var button = document.querySelector("[data-menu-toggle]");
  if (!button) { return; }
  var menu = document.getElementById(button.getAttribute("aria-controls"));
  if (!menu) { return; }

  function setOpen(open) { button.setAttribute("aria-expanded", open ? "true" : "false"); }
  function isOpen() { return button.getAttribute("aria-expanded") === "true"; }

  button.addEventListener("click", function () { setOpen(!isOpen()); });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !isOpen()) { return; }
    var target = event.target;
    if (target !== button && target !== document.body && !menu.contains(target)) { return; }
    setOpen(false);
    button.focus();
  });
  setOpen(false);
  document.documentElement.classList.add("nav-js");
})();
