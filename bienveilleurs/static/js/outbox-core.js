/* The phone's outbox: what is kept and how it is sent. No DOM: the pages (outbox.js) and the
   service worker (Background Sync) share it as `self.BvOutbox`.

   IndexedDB "bienveilleurs": store "items" (key: creation sequence, so the outbox keeps its
   order; index "id" on the client UUID) and store "meta" (the minimal copy of "Mes personnes",
   the retry schedule, the "log in again" flag).

   An item: {seq, id, kind: "referral" | "contact" | "assign", userId, createdAt, url, body,
   referralId, dependsOn, label, state: "pending" | "error", status, message}.
   Sending goes through the JSON API with the session cookie and X-Requested-With (API.md);
   the server is idempotent on the client UUID, so a replay never records twice. */
(function (scope) {
  "use strict";
  if (scope.BvOutbox) return;

  var DB_NAME = "bienveilleurs";
  var TIMEOUT_MS = 15000;
  var FIRST_RETRY_MS = 2000;
  var MAX_RETRY_MS = 5 * 60 * 1000;
  var ME_URL = "/api/v1/me";
  var opening = null;

  function done(request) {
    return new Promise(function (resolve, reject) {
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function open() {
    if (!opening) {
      opening = new Promise(function (resolve, reject) {
        var request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = function () {
          var db = request.result;
          db.createObjectStore("items", { keyPath: "seq", autoIncrement: true })
            .createIndex("id", "id", { unique: true });
          db.createObjectStore("meta");
        };
        request.onsuccess = function () {
          var db = request.result;
          db.onversionchange = function () { db.close(); opening = null; };  // a logout deletes it
          resolve(db);
        };
        request.onerror = function () { opening = null; reject(request.error); };
      });
    }
    return opening;
  }

  // Run `work(store)` in one transaction; resolve with what its last request returned.
  function withStore(name, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(name, mode);
        var result;
        var request = work(tx.objectStore(name));
        if (request) request.onsuccess = function () { result = request.result; };
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  function all() {
    return withStore("items", "readonly", function (s) { return s.getAll(); })
      .then(function (items) { return items || []; });
  }
  function find(id) {
    return withStore("items", "readonly", function (s) { return s.index("id").get(id); });
  }
  function add(item) {
    item.state = "pending";
    item.createdAt = item.createdAt || new Date().toISOString();
    return withStore("items", "readwrite", function (s) { return s.add(item); });
  }
  function save(item) { return withStore("items", "readwrite", function (s) { return s.put(item); }); }
  function remove(seq) { return withStore("items", "readwrite", function (s) { return s.delete(seq); }); }
  function getMeta(key) { return withStore("meta", "readonly", function (s) { return s.get(key); }); }
  function setMeta(key, value) {
    return withStore("meta", "readwrite", function (s) { return s.put(value, key); });
  }

  // Forget everything kept on the phone (logout).
  function destroy() {
    var closing = opening ? opening.then(function (db) { db.close(); }, function () {}) : Promise.resolve();
    opening = null;
    return closing.then(function () {
      return new Promise(function (resolve) {
        var request = indexedDB.deleteDatabase(DB_NAME);
        request.onsuccess = request.onerror = function () { resolve(); };
        request.onblocked = function () { setTimeout(resolve, 500); };  // Clear-Site-Data finishes it
      });
    });
  }

  function uuid() {
    if (scope.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // One API call; network errors and time-outs resolve with status 0.
  function api(method, url, body) {
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, TIMEOUT_MS);
    var headers = { "X-Requested-With": "bienveilleurs", "Accept": "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    return fetch(url, {
      method: method, headers: headers, credentials: "same-origin", cache: "no-store",
      redirect: "error", signal: controller.signal,
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        return { status: response.status, body: data };
      });
    }, function () {
      return { status: 0, body: null };
    }).then(function (result) { clearTimeout(timer); return result; });
  }

  function retryable(status) {
    return status === 0 || status === 408 || status === 429 || status >= 500;
  }

  function errorMessage(result) {
    var error = result.body && result.body.error;
    if (!error) return "Le serveur a refusé cet envoi (erreur " + result.status + ").";
    var details = (error.details || []).map(function (d) { return d.message; })
      .filter(function (m) { return m && m !== error.message; });
    return [error.message].concat(details).join(" ");
  }

  function sendOne(item, me) {
    var body = item.body;
    if (item.kind === "assign") body = { to: "assigned", relay_id: me.relay_id || null };
    return api("POST", item.url, body).then(function (result) {
      if (item.kind !== "assign" || (result.status !== 403 && result.status !== 409)) return result;
      // Already this relay's (a replay, or a coordinator assigned them meanwhile): done.
      return api("GET", "/api/v1/referrals/" + item.referralId).then(function (now) {
        var mine = now.status === 200 && now.body && me.relay_id && now.body.relay_id === me.relay_id;
        return mine ? { status: 200, body: now.body } : result;
      });
    });
  }

  function schedule(failures) {
    var delay = Math.min(FIRST_RETRY_MS * Math.pow(2, Math.max(failures - 1, 0)), MAX_RETRY_MS);
    return setMeta("retry", { failures: failures, at: Date.now() + delay }).then(function () { return delay; });
  }

  /* Send the signed-in account's items, oldest first. Resolves with
     {sent, results: {id: {status, body}}, login, retryIn, offline}. `force` ignores the
     retry schedule (the "Envoyer maintenant" button, a fresh submission). */
  function flushNow(options) {
    var force = options && options.force;
    var summary = { sent: 0, results: {}, login: false, retryIn: 0, offline: false };
    var items, retry, me;
    return Promise.all([all(), getMeta("retry")]).then(function (values) {
      items = values[0];
      retry = values[1] || { failures: 0, at: 0 };
      var pending = items.filter(function (i) { return i.state === "pending"; });
      if (!pending.length) return summary;
      if (!force && retry.at > Date.now()) {
        summary.retryIn = retry.at - Date.now();
        return summary;
      }
      return api("GET", ME_URL).then(function (who) {
        if (who.status === 401) {
          summary.login = true;
          return setMeta("login", true).then(function () { return summary; });
        }
        if (who.status !== 200 || !who.body) {
          summary.offline = who.status === 0;
          return schedule(retry.failures + 1).then(function (d) { summary.retryIn = d; return summary; });
        }
        me = who.body;
        return setMeta("login", false).then(function () { return loop(0); });
      });
    });

    function waiting(item) {
      return item.dependsOn && items.some(function (other) { return other.id === item.dependsOn; });
    }

    function loop(index) {
      if (index >= items.length) return setMeta("retry", { failures: 0, at: 0 }).then(function () { return summary; });
      var item = items[index];
      if (item.userId !== me.id || item.state !== "pending" || waiting(item)) return loop(index + 1);
      return sendOne(item, me).then(function (result) {
        summary.results[item.id] = result;
        if (result.status >= 200 && result.status < 300) {
          summary.sent += 1;
          items.splice(index, 1);
          return remove(item.seq).then(function () { return loop(index); });
        }
        if (result.status === 401) {
          summary.login = true;
          return setMeta("login", true).then(function () { return summary; });
        }
        if (retryable(result.status)) {  // the order holds: later items wait too
          summary.offline = result.status === 0;
          return schedule(retry.failures + 1).then(function (d) { summary.retryIn = d; return summary; });
        }
        // Retrying cannot fix it: shown "à corriger" with the server's words.
        item.state = "error";
        item.status = result.status;
        item.message = errorMessage(result);
        return save(item).then(function () { return loop(index + 1); });
      });
    }
  }

  function flush(options) {
    var locks = scope.navigator && scope.navigator.locks;
    if (locks && locks.request) {
      return locks.request("bienveilleurs-outbox", function () { return flushNow(options); });
    }
    return flushNow(options);
  }

  scope.BvOutbox = {
    all: all, find: find, add: add, save: save, remove: remove, getMeta: getMeta,
    setMeta: setMeta, destroy: destroy, flush: flush, uuid: uuid, api: api
  };
})(self);
