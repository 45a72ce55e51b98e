/* The service worker of the relay app, served at /sw.js by web/offline.py, which puts
   VERSION and PRECACHE (the app shell: CSS, JS, icons, Leaflet, the offline shells) above
   this line.

   - static files: cache first (a new VERSION means new files, in a new cache);
   - pages: network first; without an answer, "Mes personnes", "Noter un contact" and
     "Signaler une personne" open their offline shells (public pages without any personal
     data or account, filled by outbox.js from the phone's minimal copy and outbox), anything
     else the "hors ligne" page. No page of a signed-in account is ever stored;
   - Background Sync, where the browser has it, sends the outbox (outbox-core.js); the pages
     send it anyway, so nothing depends on it.
   The logout clears these caches (outbox.js and the Clear-Site-Data header). */
/* global VERSION, PRECACHE, BvOutbox */
"use strict";
importScripts("/static/js/outbox-core.js");

var SHELL_CACHE = "bienveilleurs-shell-" + VERSION;
var OFFLINE = "/hors-ligne";
var SHELLS = {  // page → its offline shell
  "/mes-personnes": "/hors-ligne/mes-personnes",
  "/signaler": "/hors-ligne/signaler"
};
var OFFLINE_CONTACT = "/hors-ligne/contact";
var CONTACT_PAGE = /^\/orientations\/[0-9a-f-]{36}\/contact$/;
var NAVIGATION_TIMEOUT_MS = 8000;

self.addEventListener("install", function (event) {
  // Without cookies: the shells are the same for everyone.
  var requests = PRECACHE.map(function (url) { return new Request(url, { credentials: "omit", cache: "reload" }); });
  event.waitUntil(caches.open(SHELL_CACHE).then(function (cache) { return cache.addAll(requests); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (key) {
      return key.indexOf("bienveilleurs-shell-") === 0 && key !== SHELL_CACHE;
    }).map(function (key) { return caches.delete(key); }));
  }).then(function () { return self.clients.claim(); }));
});

function fromShell(path) {
  return caches.open(SHELL_CACHE).then(function (cache) { return cache.match(path, { ignoreVary: true }); });
}

function withTimeout(promise, ms) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error("timeout")); }, ms);
    promise.then(function (value) { clearTimeout(timer); resolve(value); },
      function (error) { clearTimeout(timer); reject(error); });
  });
}

function shellFor(path) {
  return SHELLS[path] || (CONTACT_PAGE.test(path) ? OFFLINE_CONTACT : null);
}

function offlineCopy(path) {
  return fromShell(shellFor(path) || path).then(function (response) {
    return response || fromShell(OFFLINE);
  });
}

// The relay's pages with a shell open it when the server is unreachable, slow or failing;
// any other page waits for the network as usual and gets "hors ligne" only without it.
function navigate(request, path) {
  var relayPage = shellFor(path) !== null;
  var answer = relayPage ? withTimeout(fetch(request), NAVIGATION_TIMEOUT_MS) : fetch(request);
  return answer.then(function (response) {
    if (relayPage && response.status >= 500) {
      return offlineCopy(path).then(function (copy) { return copy || response; });
    }
    return response;
  }, function () {
    return offlineCopy(path).then(function (copy) { return copy || Response.error(); });
  });
}

function cacheFirst(request) {
  return caches.match(request, { cacheName: SHELL_CACHE }).then(function (cached) {
    if (cached) return cached;
    return fetch(request).then(function (response) {
      if (response.ok && response.type === "basic") {
        var copy = response.clone();
        caches.open(SHELL_CACHE).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;  // the outbox posts itself; nothing to cache
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(navigate(request, url.pathname));
  } else if (url.pathname.indexOf("/static/") === 0 || url.pathname.indexOf("/vendor/") === 0 ||
             url.pathname === "/manifest.webmanifest") {
    event.respondWith(cacheFirst(request));
  }
});

function tellPages(summary) {
  return self.clients.matchAll({ type: "window" }).then(function (pages) {
    pages.forEach(function (page) { page.postMessage({ type: "outbox-changed", sent: summary.sent }); });
  });
}

self.addEventListener("sync", function (event) {
  if (event.tag !== "bienveilleurs-outbox") return;
  event.waitUntil(BvOutbox.flush({ force: true }).then(function (summary) {
    return tellPages(summary).then(function () {
      if (summary.retryIn || summary.offline) throw new Error("not sent yet");  // the browser retries
    });
  }));
});
