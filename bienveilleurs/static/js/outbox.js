/* The relay's phone: service worker registration, the outbox of the two forms, the offline
   shells, and the logout that forgets everything. Uses outbox-core.js (self.BvOutbox).

   Forms with data-outbox="referral", "contact" or "wellbeing" (relay pages, offline shells) are kept in
   the outbox with a client UUID (their hidden `id`), then sent through the JSON API: at once
   when the network is there, otherwise on page load, on the `online` event, from the
   "Envoyer maintenant" button, and by Background Sync where the browser has it.
   Items belong to the account that wrote them: only that account's session sends them. */
(function () {
  "use strict";
  var core = window.BvOutbox;
  if (!core || window.bvOutboxStarted || !window.indexedDB) return;
  window.bvOutboxStarted = true;

  var body = document.body;
  var userId = body.getAttribute("data-user-id");
  var role = body.getAttribute("data-role");
  var shell = body.hasAttribute("data-offline-shell");  // a page the service worker keeps
  var MY_PEOPLE = "/mes-personnes";
  var FLASH_KEY = "bienveilleurs-flash";
  var MISSING = {
    name: "Indiquez un prénom ou un pseudonyme.",
    category: "Choisissez le besoin principal.",
    lat: "Indiquez où se trouve la personne : utilisez votre position, touchez la carte ou saisissez la latitude et la longitude.",
    consent: "La personne doit avoir été informée et ne pas s'être opposée à l'enregistrement.",
    channel: "Indiquez comment vous avez contacté la personne.",
    reached: "Indiquez si vous avez pu parler à la personne.",
    at: "Indiquez la date et l'heure du contact.",
    answered: "Indiquez si la personne accepte de répondre."
  };
  var state = { people: null, justSent: false, timer: null, running: null };
  var ui = {};

  // --- small helpers ---------------------------------------------------------------------

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) node.textContent = text;
    return node;
  }

  function flash(message, kind) {
    var box = document.querySelector(".flashes");
    if (!box) return;
    box.appendChild(el("p", { "class": "flash flash-" + (kind || "success") }, message));
  }

  /* Times typed and shown are the city's (data-city-timezone on <body>), whatever zone the
     phone is set to; they leave with the city's offset ("2026-12-07T18:30:00+01:00"). */
  var CITY_ZONE = document.body.getAttribute("data-city-timezone") || "Europe/Paris";

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function cityOffsetMinutes(utcMs) {
    var parts = {};
    new Intl.DateTimeFormat("en-US", { timeZone: CITY_ZONE, hourCycle: "h23", year: "numeric",
      month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric"
    }).formatToParts(new Date(utcMs)).forEach(function (p) { parts[p.type] = +p.value; });
    var wall = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour % 24, parts.minute,
                        parts.second);
    return Math.round((wall - Math.floor(utcMs / 1000) * 1000) / 60000);
  }

  function localNow() {  // the value of a datetime-local field: now, in the city
    var now = Date.now();
    return new Date(now + cityOffsetMinutes(now) * 60000).toISOString().slice(0, 16);
  }

  function isoFromLocal(value) {
    var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value || "");
    if (!m) return value;  // the server says what is wrong with it
    var wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
    var offset = cityOffsetMinutes(wall);
    offset = cityOffsetMinutes(wall - offset * 60000);  // the offset at that very moment
    var abs = Math.abs(offset);
    return value + ":00" + (offset < 0 ? "-" : "+") + pad(Math.floor(abs / 60)) + ":" + pad(abs % 60);
  }

  function cityTime(value) {
    var when = new Date(value);
    return isNaN(when.getTime()) ? "" : when.toLocaleString("fr-FR", { timeZone: CITY_ZONE,
      day: "2-digit", month: "2-digit", hour: "2-digit", minute: "2-digit" });
  }

  function number(value) {
    var text = (value || "").trim().replace(",", ".");
    return /^-?\d+(\.\d+)?$/.test(text) ? parseFloat(text) : text;
  }

  function owner() {
    return userId || (state.people && state.people.user_id) || null;
  }

  function personName(referralId, items) {
    var known = state.people && state.people.people.filter(function (p) { return p.id === referralId; })[0];
    if (known) return known.name;
    var report = (items || []).filter(function (i) { return i.kind === "referral" && i.id === referralId; })[0];
    if (report) return report.personName;
    var subtitle = document.querySelector("h1 .subtitle");
    return subtitle && !shell ? subtitle.textContent.replace(/^avec\s+/, "").trim() : "";
  }

  // --- the panel: counter (announced), login request, "Envoyer maintenant", list ----------

  function buildPanel() {
    var main = document.querySelector("main");
    if (!main) return;
    var panel = el("section", { "class": "outbox", "aria-label": "Envois gardés sur le téléphone" });
    ui.status = el("p", { "class": "outbox-status", "role": "status", "aria-live": "polite",
      "data-outbox-status": "" });
    ui.details = el("div", { "class": "outbox-details", hidden: "" });
    ui.login = el("p", { "class": "outbox-login", hidden: "" });
    ui.login.appendChild(document.createTextNode("Votre session a expiré. "));
    ui.loginLink = el("a", { href: "/connexion" }, "Reconnectez-vous");
    ui.login.appendChild(ui.loginLink);
    ui.login.appendChild(document.createTextNode(" pour envoyer ce qui attend sur le téléphone."));
    ui.send = el("button", { type: "button", "class": "button-secondary" }, "Envoyer maintenant");
    ui.send.addEventListener("click", function () { run(true); });
    ui.list = el("ul", { "class": "outbox-list" });
    ui.details.appendChild(ui.login);
    ui.details.appendChild(el("p")).appendChild(ui.send);
    ui.details.appendChild(ui.list);
    panel.appendChild(ui.status);
    panel.appendChild(ui.details);
    var flashes = main.querySelector(".flashes");
    main.insertBefore(panel, flashes ? flashes.nextSibling : main.firstChild);
  }

  function describe(item, items) {
    if (item.label) return item.label;  // an item that names itself (a campaign's call)
    if (item.kind === "referral") return "Signalement : " + (item.personName || "personne");
    var name = personName(item.referralId, items) || "la personne";
    if (item.kind === "assign") return "Prendre en charge " + name;
    if (item.kind === "wellbeing") return "Réponses de " + name;
    var at = cityTime(item.body.at);
    return "Contact avec " + name + (at ? " — " + at : "");
  }

  function render() {
    if (!ui.status) return Promise.resolve();
    return Promise.all([core.all(), core.getMeta("login")]).then(function (values) {
      var items = values[0], login = values[1];
      var me = owner();
      var mine = items.filter(function (i) { return i.userId === me; });
      var pending = mine.filter(function (i) { return i.state === "pending"; });
      var errors = mine.filter(function (i) { return i.state === "error"; });
      var others = items.length - mine.length;
      var text = "";
      if (pending.length) text = pending.length + " en attente d'envoi";
      else if (state.justSent) text = "Envoyé";
      if (errors.length) text += (text ? " · " : "") + errors.length + " à corriger";
      if (others) text += (text ? " · " : "") + others + " d'un autre compte";
      if (ui.status.textContent !== text) ui.status.textContent = text;
      ui.status.setAttribute("data-pending", String(pending.length));
      ui.login.hidden = !(login && pending.length);
      var back = location.pathname.indexOf("/hors-ligne") === 0 ? MY_PEOPLE : location.pathname;
      ui.loginLink.href = "/connexion?next=" + encodeURIComponent(back);
      ui.send.hidden = !pending.length;
      ui.list.textContent = "";
      mine.forEach(function (item) {
        var li = el("li", { "class": "outbox-item outbox-" + item.state });
        li.appendChild(el("span", {}, describe(item, items)));
        if (item.state === "error") {
          li.appendChild(el("strong", { "class": "outbox-fix" }, " À corriger : "));
          li.appendChild(el("span", {}, item.message || ""));
          var drop = el("button", { type: "button", "class": "button-link" }, "Supprimer");
          drop.addEventListener("click", function () { dropItem(item, items); });
          li.appendChild(document.createTextNode(" "));
          li.appendChild(drop);
        } else if (item.dependsOn && items.some(function (o) { return o.id === item.dependsOn; })) {
          li.appendChild(el("span", { "class": "muted" }, " — attend l'envoi du signalement"));
        } else {
          li.appendChild(el("span", { "class": "muted" }, " — en attente"));
        }
        ui.list.appendChild(li);
      });
      ui.details.hidden = !mine.length;
      renderShell(items);
    });
  }

  function dropItem(item, items) {
    var dependents = items.filter(function (i) { return i.dependsOn === item.id || i.referralId === item.id && i !== item; });
    var question = "Supprimer « " + describe(item, items) + " » du téléphone ?" +
      (dependents.length ? " Ce qui en dépend (" + dependents.length + ") sera supprimé aussi." : "");
    if (!window.confirm(question)) return;
    Promise.all([item].concat(dependents).map(function (i) { return core.remove(i.seq); })).then(render);
  }

  // --- sending -------------------------------------------------------------------------

  // Flushes run one after the other (the core also holds a lock across tabs and the worker).
  function run(force) {
    var go = function () {
      if (!navigator.onLine && !force) return render();  // the `online` event will come
      clearTimeout(state.timer);
      if (ui.send) ui.send.disabled = true;
      return core.flush({ force: force }).then(function (summary) {
        if (ui.send) ui.send.disabled = false;
        if (summary.sent) state.justSent = true;
        if (summary.retryIn) state.timer = setTimeout(function () { run(false); }, summary.retryIn);
        return render().then(function () { return summary; });
      }, function () {
        if (ui.send) ui.send.disabled = false;
        return null;
      });
    };
    state.running = (state.running || Promise.resolve()).then(go, go);
    return state.running;
  }

  // campaign.js keeps its calls in the same outbox: send them now, or only show the counter.
  window.BvOutboxRun = function (send) { return send ? run(true) : render(); };

  function askBackgroundSync() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.sync) return registration.sync.register("bienveilleurs-outbox");
    }).catch(function () {});  // never relied upon
  }

  // --- the two forms ---------------------------------------------------------------------

  function missing(form, kind) {
    var data = new FormData(form);
    var has = function (name) { return ((data.get(name) || "") + "").trim() !== ""; };
    var found = [];
    if (kind === "wellbeing") {
      if (!has("answered")) found.push(["answered", MISSING.answered]);
    } else if (kind === "contact") {
      if (!has("channel")) found.push(["channel", MISSING.channel]);
      if (!has("reached")) found.push(["reached", MISSING.reached]);
      if (!has("at")) found.push(["at", MISSING.at]);
    } else {
      if (!has("first_name") && !has("pseudonym")) found.push(["first_name", MISSING.name]);
      if (!has("category")) found.push(["category", MISSING.category]);
      if (!has("lat") || !has("lon")) found.push(["lat", MISSING.lat]);
      if (!has("consent")) found.push(["consent", MISSING.consent]);
    }
    return found;
  }

  function showMissing(form, found) {
    var old = form.querySelector(".outbox-errors");
    if (old) old.remove();
    if (!found.length) return;
    var box = el("div", { "class": "error-summary outbox-errors", role: "alert", tabindex: "-1" });
    box.appendChild(el("h2", {}, "Le formulaire contient des erreurs"));
    var list = box.appendChild(el("ul"));
    found.forEach(function (f) {
      var target = form.querySelector("[name='" + f[0] + "']");
      var id = target && (target.closest("fieldset[id]") || target).id;
      list.appendChild(el("li")).appendChild(el("a", { href: "#" + (id || "") }, f[1]));
    });
    form.insertBefore(box, form.firstChild);
    box.focus();
  }

  function contactItem(form, me, items) {
    var data = new FormData(form);
    var referralId = (data.get("referral_id") || "").trim();
    var reached = data.get("reached");
    var report = items.filter(function (i) { return i.kind === "referral" && i.id === referralId; })[0];
    var item = {
      id: data.get("id"), kind: "contact", userId: me, referralId: referralId,
      url: "/api/v1/referrals/" + referralId + "/contacts",
      body: { id: data.get("id"), at: isoFromLocal(data.get("at")), channel: data.get("channel"),
        reached: reached === "true" ? true : reached === "false" ? false : null,
        note: data.get("note") || "" }
    };
    var extra = [];
    if (report) {
      // Reported from this phone: the relay takes the person on, then the contact follows.
      var assignId = "assign-" + referralId;
      if (!items.some(function (i) { return i.id === assignId; })) {
        extra.push({ id: assignId, kind: "assign", userId: me, referralId: referralId,
          dependsOn: referralId, url: "/api/v1/referrals/" + referralId + "/transitions", body: null });
      }
      item.dependsOn = assignId;
    }
    return extra.concat([item]);
  }

  /* The person's answers (POST /api/v1/referrals/{id}/wellbeing), dated by the phone. */
  function wellbeingItem(form, me) {
    var data = new FormData(form);
    var referralId = (data.get("referral_id") || "").trim();
    var answered = data.get("answered") === "true";
    var body = { id: data.get("id"), at: isoFromLocal(localNow()), moment: data.get("moment"),
      answered: answered };
    if (answered) {
      ["lacks_company", "left_out", "isolated"].forEach(function (name) {
        var value = parseInt(data.get(name) || "", 10);
        body[name] = isNaN(value) ? null : value;
      });
      body.networks = data.getAll("networks");
    }
    return [{ id: body.id, kind: "wellbeing", userId: me, referralId: referralId,
      url: "/api/v1/referrals/" + referralId + "/wellbeing", body: body }];
  }

  function referralItem(form, me) {
    var data = new FormData(form);
    var text = function (name) { return ((data.get(name) || "") + "").trim(); };
    var body = {
      id: data.get("id"),
      resident: {
        first_name: text("first_name"), pseudonym: text("pseudonym"),
        lat: number(text("lat")), lon: number(text("lon")),
        languages: text("languages").split(",").map(function (s) { return s.trim(); }).filter(Boolean),
        phone: text("phone"), audiences: data.getAll("audiences"), newcomer: data.get("newcomer") !== null
      },
      category: text("category") || null,
      note: data.get("note") || "",
      consent: data.get("consent") !== null
    };
    return [{ id: body.id, kind: "referral", userId: me, url: "/api/v1/referrals", body: body,
      personName: text("first_name") || text("pseudonym") }];
  }

  function resetForm(form, kind) {
    var referral = form.elements.referral_id && form.elements.referral_id.value;
    form.reset();
    form.elements.id.value = "";
    if (kind === "contact") {
      if (referral) form.elements.referral_id.value = referral;
      form.elements.at.value = localNow();
    }
  }

  function succeeded(item, result) {
    var created = result.status === 201;
    var message, next;
    if (item.kind === "wellbeing") {
      message = created ? "Réponses notées. Merci." : "Ces réponses étaient déjà notées.";
      next = item.body.moment === "follow_up" ? MY_PEOPLE : "/orientations/" + item.referralId;
    } else if (item.kind === "contact") {
      var contacted = result.body && result.body.referral && result.body.referral.status === "contacted";
      message = !created ? "Ce contact était déjà noté." : item.body.reached && contacted
        ? "Contact noté. Prochaine étape : orienter la personne vers une ressource." : "Contact noté.";
      next = "/orientations/" + item.referralId;
    } else {
      message = created ? "Signalement enregistré. La coordination va attribuer la personne à un bienveilleur."
        : "Ce signalement était déjà enregistré.";
      next = MY_PEOPLE;
    }
    try { sessionStorage.setItem(FLASH_KEY, message); } catch (e) { /* private mode */ }
    location.assign(next);
  }

  function onSubmit(event) {
    var form = event.currentTarget;
    var kind = form.getAttribute("data-outbox");
    var inShell = shell;
    var me = owner();
    event.preventDefault();
    if (!me) {
      showMissing(form, [["id", "Ouvrez d'abord l'application avec du réseau : ce téléphone ne sait pas encore qui vous êtes."]]);
      return;
    }
    var found = missing(form, kind);
    if (found.length && navigator.onLine && !inShell) { form.submit(); return; }  // the server explains
    showMissing(form, found);
    if (found.length) return;
    if (!form.elements.id.value) form.elements.id.value = core.uuid();
    var button = form.querySelector("[type=submit]");
    if (button) button.disabled = true;
    core.all().then(function (items) {
      var made = kind === "contact" ? contactItem(form, me, items)
        : kind === "wellbeing" ? wellbeingItem(form, me) : referralItem(form, me);
      return made.reduce(function (p, item) { return p.then(function () { return core.add(item); }); },
        Promise.resolve()).then(function () { return made[made.length - 1]; });
    }).then(function (item) {
      askBackgroundSync();
      var attempt = navigator.onLine ? run(true) : Promise.resolve(null);
      return attempt.then(function (summary) {
        var result = summary && summary.results[item.id];
        if (result && result.status >= 200 && result.status < 300) { succeeded(item, result); return; }
        return core.find(item.id).then(function (kept) {
          if (kept && kept.state === "error" && !inShell) {
            // Online and refused: the page shows the server's errors beside the fields.
            return core.remove(kept.seq).then(function () { form.submit(); });
          }
          if (button) button.disabled = false;
          resetForm(form, kind);
          window.scrollTo(0, 0);  // the message and the counter are at the top
          flash(kind === "wellbeing"
            ? "Réponses gardées sur le téléphone : elles seront envoyées dès que possible."
            : kind === "contact"
            ? "Contact gardé sur le téléphone : il sera envoyé dès que possible."
            : "Signalement gardé sur le téléphone : il sera envoyé dès que possible.", "info");
          return render();
        });
      });
    }).catch(function () {
      if (button) button.disabled = false;
      showMissing(form, [["id", "Le téléphone n'a pas pu garder ce formulaire. Réessayez."]]);
    });
  }

  function hookForms() {
    if (role !== "relay" && !shell) return;  // the phone's outbox is for relays
    Array.prototype.forEach.call(document.querySelectorAll("form[data-outbox]"), function (form) {
      form.addEventListener("submit", onSubmit);
    });
  }

  // --- the minimal copy of "Mes personnes" and the offline shells -------------------------

  function refreshCopy() {
    if (role !== "relay" || !userId || !navigator.onLine) return Promise.resolve();
    var fresh = state.people && state.people.user_id === userId &&
      Date.now() - (state.people.fetched || 0) < 60000 && location.pathname !== MY_PEOPLE;
    if (fresh) return Promise.resolve();
    return core.api("GET", "/api/v1/me/offline").then(function (result) {
      if (result.status !== 200 || !result.body) return;
      result.body.fetched = Date.now();
      state.people = result.body;
      return core.setMeta("people", result.body);
    });
  }

  function renderShell(items) {
    var list = document.querySelector("[data-offline-people]");
    if (list) {
      var people = state.people && state.people.user_id === owner() ? state.people.people : [];
      list.textContent = "";
      people.forEach(function (person) {
        var li = list.appendChild(el("li", { "class": "person-card" }));
        li.appendChild(el("h3", {}, person.name));
        var step = li.appendChild(el("p", { "class": "next-step" }));
        step.appendChild(el("strong", {}, "À faire : "));
        step.appendChild(document.createTextNode(person.next_step));
        if (person.can_contact) addContactLink(li, "/orientations/" + person.id + "/contact", person.name);
      });
      document.querySelector("[data-offline-empty]").hidden = people.length > 0;
      var saved = document.querySelector("[data-offline-saved]");
      if (state.people && state.people.saved_at) {
        saved.textContent = "Pas de réseau : liste gardée sur le téléphone le " +
          cityTime(state.people.saved_at) + ". Elle se met à jour quand vous ouvrez « Mes personnes » avec du réseau.";
      }
      var reports = items.filter(function (i) { return i.kind === "referral" && i.userId === owner(); });
      var block = document.querySelector("[data-offline-reports-block]");
      var reportList = document.querySelector("[data-offline-reports]");
      reportList.textContent = "";
      reports.forEach(function (item) {
        var li = reportList.appendChild(el("li", { "class": "person-card" }));
        li.appendChild(el("h3", {}, item.personName || "Personne signalée"));
        li.appendChild(el("p", {}, item.state === "error" ? "Signalement à corriger" : "En attente d'envoi"));
        addContactLink(li, "/hors-ligne/contact#" + item.id, item.personName || "la personne");
      });
      block.hidden = !reports.length;
    }
    var form = shell && document.querySelector("form[data-outbox=contact]");
    if (form) {
      var match = /^\/orientations\/([0-9a-f-]{36})\/contact$/.exec(location.pathname) ||
        /^#([0-9a-f-]{36})$/.exec(location.hash);
      var referralId = match ? match[1] : "";
      var pendingReport = items.some(function (i) { return i.kind === "referral" && i.id === referralId; });
      var name = personName(referralId, items);
      form.elements.referral_id.value = referralId;
      if (!form.elements.at.value) form.elements.at.value = localNow();
      document.querySelector("[data-offline-person]").textContent = name ? "avec " + name : "";
      document.querySelector("[data-offline-assign]").hidden = !pendingReport;
      document.querySelector("[data-offline-unknown]").hidden = !!referralId;
      form.hidden = !referralId;
    }
  }

  function addContactLink(li, href, name) {
    var actions = li.appendChild(el("p", { "class": "actions" }));
    var link = actions.appendChild(el("a", { "class": "button-primary", href: href }, "Noter un contact"));
    link.appendChild(el("span", { "class": "visually-hidden" }, " avec " + name));
  }

  // --- logout: warn, then forget everything kept on the phone -----------------------------

  function forgetEverything() {
    var steps = [core.destroy()];
    if (window.caches) {
      steps.push(caches.keys().then(function (keys) {
        return Promise.all(keys.map(function (k) { return caches.delete(k); }));
      }));
    }
    if ("serviceWorker" in navigator) {
      steps.push(navigator.serviceWorker.getRegistrations().then(function (regs) {
        return Promise.all(regs.map(function (r) { return r.unregister(); }));
      }));
    }
    try { sessionStorage.clear(); } catch (e) { /* private mode */ }
    return Promise.all(steps.map(function (p) { return p.catch(function () {}); }));
  }

  function hookLogout() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-logout]"), function (form) {
      form.addEventListener("submit", function (event) {
        if (form.getAttribute("data-cleared")) return;
        event.preventDefault();
        core.all().catch(function () { return []; }).then(function (items) {
          var waiting = items.length;
          if (waiting && !navigator.onLine) {
            window.alert("Pas de réseau : " + waiting + " envoi(s) attendent sur ce téléphone. " +
              "Déconnectez-vous quand le réseau sera revenu, après l'envoi.");
            return;
          }
          if (waiting && !window.confirm(waiting + " envoi(s) n'ont pas encore été faits. En vous " +
              "déconnectant, vous les effacez de ce téléphone. Se déconnecter quand même ?")) return;
          return forgetEverything().then(function () {
            form.setAttribute("data-cleared", "1");
            form.submit();
          });
        });
      });
    });
  }

  // --- start ---------------------------------------------------------------------------

  function registerWorker() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (!event.data || event.data.type !== "outbox-changed") return;
      if (event.data.sent) state.justSent = true;  // sent by Background Sync
      render();
    });
  }

  function showStoredFlash() {
    try {
      var message = sessionStorage.getItem(FLASH_KEY);
      if (message) { sessionStorage.removeItem(FLASH_KEY); flash(message, "success"); }
    } catch (e) { /* private mode */ }
  }

  showStoredFlash();
  buildPanel();
  hookForms();
  hookLogout();
  if (role === "relay" || shell) registerWorker();  // the offline app is the relays'

  window.addEventListener("online", function () { run(true); });
  window.addEventListener("offline", function () { render(); });
  core.getMeta("people").then(function (people) {
    state.people = people || null;
    return refreshCopy();
  }).catch(function () {}).then(function () {
    return render();
  }).then(function () {
    return run(navigator.onLine);
  });
})();
