/* The relay's calls of a check-in campaign (« Mes personnes » and its offline shell).

   The three buttons of a call (forms with data-campaign-call) are kept in the phone's outbox
   (outbox-core.js) with a client UUID, then sent through the JSON API: at once with the
   network, otherwise when it comes back (outbox.js sends on the `online` event). The server
   is idempotent on that UUID, so a replay never records a call twice.
   Without the network, the shell lists the calls kept in the copy of « Mes personnes »
   (GET /api/v1/me/offline, "checks"), for the campaign's duration only. */
(function () {
  "use strict";
  // Deferred scripts of the page body may run before outbox-core.js: start once all have run.
  if (document.readyState === "complete") start();
  else document.addEventListener("DOMContentLoaded", start);

  function start() {
  var core = window.BvOutbox;
  if (!core || !window.indexedDB || window.bvCampaignStarted) return;
  window.bvCampaignStarted = true;

  var OUTCOMES = { ok: "Joint, va bien", needs_help: "A besoin d'aide", not_reached: "Pas de réponse" };
  var KINDS = { heatwave: "Veille canicule", cold: "Veille grand froid", other: "Veille" };
  var KEEP_AFTER_DEADLINE_MS = 24 * 3600 * 1000;  // then the copy forgets the campaign
  var userId = document.body.getAttribute("data-user-id");

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) node.textContent = text;
    return node;
  }

  function callUrl(form) {
    return "/api/v1/campaigns/" + form.getAttribute("data-campaign-id") + "/checks/" +
      form.getAttribute("data-check-id") + "/calls";
  }

  function show(form, text) {
    var state = form.querySelector("[data-call-state]");
    if (state) state.textContent = text;
  }

  function owner() {
    if (userId) return Promise.resolve(userId);
    return core.getMeta("people").then(function (copy) { return copy && copy.user_id; });
  }

  var SETTLED = { ok: true, needs_help: true };

  // How many people are left to reach in each campaign's block, with the calls noted here.
  function countLeft() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-campaign]"), function (section) {
      var left = 0;
      Array.prototype.forEach.call(section.querySelectorAll("form[data-campaign-call]"), function (form) {
        var badge = form.closest("li") && form.closest("li").querySelector("[data-check-status]");
        var known = badge ? badge.getAttribute("data-check-status") : "pending";
        var noted = form.getAttribute("data-recorded");
        if (!SETTLED[known] && !SETTLED[noted]) left += 1;
      });
      var count = section.querySelector("[data-campaign-left]");
      if (count) count.textContent = left + " personne" + (left > 1 ? "s" : "");
    });
  }

  // Mark the forms whose call still waits in the outbox, and those just sent.
  function refresh() {
    countLeft();
    return core.all().then(function (items) {
      Array.prototype.forEach.call(document.querySelectorAll("form[data-campaign-call]"), function (form) {
        var url = callUrl(form);
        var waiting = items.filter(function (i) { return i.kind === "call" && i.url === url; });
        var last = waiting[waiting.length - 1];
        if (last) {
          show(form, "« " + OUTCOMES[last.body.outcome] + " » " +
            (last.state === "error" ? "refusé : " + (last.message || "") : "gardé sur le téléphone, envoyé dès que possible."));
        } else if (form.getAttribute("data-recorded")) {
          show(form, "« " + OUTCOMES[form.getAttribute("data-recorded")] + " » envoyé.");
        }
      });
    });
  }

  function record(form, outcome) {
    var visit = form.elements.visit && form.elements.visit.checked;
    var id = core.uuid();
    var name = form.getAttribute("data-name") || "la personne";
    return owner().then(function (me) {
      if (!me) {
        show(form, "Ouvrez d'abord l'application avec du réseau : ce téléphone ne sait pas encore qui vous êtes.");
        return null;
      }
      var item = { id: id, kind: "call", userId: me, url: callUrl(form),
        label: "Appel à " + name + " : " + OUTCOMES[outcome],
        body: { id: id, at: new Date().toISOString(), channel: visit ? "visit" : "phone", outcome: outcome } };
      return core.add(item).then(function () {
        form.setAttribute("data-recorded", outcome);
        var badge = form.closest("li") && form.closest("li").querySelector("[data-check-status]");
        if (badge) badge.textContent = OUTCOMES[outcome] + " (noté)";
        show(form, "« " + OUTCOMES[outcome] + " » gardé sur le téléphone, envoyé dès que possible.");
        if (window.BvOutboxRun) return window.BvOutboxRun(navigator.onLine);
      }).then(refresh);
    });
  }

  function onSubmit(event) {
    var form = event.target.closest && event.target.closest("form[data-campaign-call]");
    if (!form) return;
    event.preventDefault();
    var outcome = event.submitter && event.submitter.value;
    if (!OUTCOMES[outcome]) return;
    Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) { b.disabled = true; });
    record(form, outcome).catch(function () {
      show(form, "Le téléphone n'a pas pu garder cet appel. Réessayez.");
    }).then(function () {
      Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) { b.disabled = false; });
    });
  }

  // --- the offline shell: the calls kept in the copy ---------------------------------------

  function shellCard(check) {
    var li = el("li", { "class": "person-card check-card", id: "check-" + check.check_id });
    var title = li.appendChild(el("h3", {}, check.name + " "));
    title.appendChild(el("span", { "class": "badge status-" + check.status, "data-check-status": check.status },
      OUTCOMES[check.status] || "À joindre"));
    if (check.phone) {
      li.appendChild(el("p")).appendChild(el("a", { "class": "button-secondary call-link",
        href: "tel:" + check.phone.replace(/\s/g, "") }, "Appeler " + check.phone));
    }
    var form = li.appendChild(el("form", { method: "post", "data-campaign-call": "",
      "data-campaign-id": check.campaign_id, "data-check-id": check.check_id, "data-name": check.name,
      action: "/veilles/" + check.campaign_id + "/appels/" + check.check_id }));
    var set = form.appendChild(el("fieldset", { "class": "call-outcomes" }));
    set.appendChild(el("legend", {}, "Résultat de l'appel"));
    Object.keys(OUTCOMES).forEach(function (outcome) {
      set.appendChild(el("button", { type: "submit", name: "outcome", value: outcome,
        "class": "button-big button-" + outcome.replace("_", "-") }, OUTCOMES[outcome]));
    });
    form.appendChild(el("p", { "class": "call-state", "data-call-state": "", "aria-live": "polite" }));
    return li;
  }

  function renderShell() {
    var box = document.querySelector("[data-offline-campaigns]");
    if (!box) return Promise.resolve();
    return core.getMeta("people").then(function (copy) {
      var now = Date.now();
      var checks = (copy && copy.checks || []).filter(function (c) {
        return Date.parse(c.deadline) + KEEP_AFTER_DEADLINE_MS > now;
      });
      box.textContent = "";
      var byCampaign = {};
      checks.forEach(function (c) { (byCampaign[c.campaign_id] = byCampaign[c.campaign_id] || []).push(c); });
      Object.keys(byCampaign).forEach(function (id) {
        var list = byCampaign[id];
        var left = list.filter(function (c) { return c.status !== "ok" && c.status !== "needs_help"; });
        var section = box.appendChild(el("section", { "class": "campaign-block", "data-campaign": id }));
        var deadline = new Date(list[0].deadline).toLocaleTimeString("fr-FR", { hour: "2-digit", minute: "2-digit",
          timeZone: document.body.getAttribute("data-city-timezone") || "Europe/Paris" });
        var title = section.appendChild(el("h2", {}, (KINDS[list[0].campaign_kind] || "Veille") + " : "));
        title.appendChild(el("span", { "data-campaign-left": "" },
          left.length + " personne" + (left.length > 1 ? "s" : "")));
        title.appendChild(document.createTextNode(" à joindre avant " + deadline));
        var ul = section.appendChild(el("ul", { "class": "people" }));
        list.forEach(function (c) { ul.appendChild(shellCard(c)); });
      });
    });
  }

  document.addEventListener("submit", onSubmit, true);
  // The outbox's counter changes when calls are sent (or refused): say so on their cards.
  if (window.MutationObserver) {
    new MutationObserver(function () { refresh(); }).observe(document.body,
      { attributes: true, subtree: true, attributeFilter: ["data-pending"] });
  }
  renderShell().then(refresh).catch(function () {});
  }
})();
