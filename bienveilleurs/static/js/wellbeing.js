/* The measure page: the three questions and the networks are asked only when the person
   accepts to answer (« Ne souhaite pas répondre » hides them; the server ignores them then). */
(function () {
  "use strict";
  var form = document.querySelector("form[data-outbox=wellbeing]");
  if (!form) return;
  var block = form.querySelector("[data-when-answered]");
  function update() {
    var chosen = form.querySelector("input[name=answered]:checked");
    block.hidden = !chosen || chosen.value !== "true";
  }
  Array.prototype.forEach.call(form.querySelectorAll("input[name=answered]"), function (input) {
    input.addEventListener("change", update);
  });
  update();
})();
