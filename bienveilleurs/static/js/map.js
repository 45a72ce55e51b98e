/* Maps for every page: Leaflet, markers from a GeoJSON block, optional point picking.
 *
 * <div class="map" data-map data-lat data-lon data-zoom
 *      data-features="ID of a <script type=application/json> FeatureCollection"
 *      data-pick-lat="ID" data-pick-lon="ID" data-pick-clear="ID,ID"
 *      data-source="URL" data-zone-link="ID" data-zone="w,s,e,n"
 *      data-tile-url="…" aria-label="…">
 * Feature properties: kind (resource|relay|person|selected|cluster), name, url, detail, label.
 * data-source: what is in view is fetched from URL?zone=west,south,east,north&zoom=Z once
 * the map is placed, and again after each move (debounced; the answer to an older view is
 * dropped); it replaces the previous fetch's features, the data-features stay. The map then
 * sets data-fetched (how many features) and sends "bv:map-data". data-zone-link: a link (class
 * "until-map", its place kept but not shown until then) whose `zone` parameter follows the
 * visible box. data-zone: the box shown first.
 * Non-point features (polygons) are drawn as outlines.
 * <button type="button" data-locate data-pick-lat="ID" data-pick-lon="ID"
 *      data-locate-status="ID" hidden> fills the two inputs from navigator.geolocation.
 * No tiles when data-tile-url is empty: markers on a neutral background; when tiles do not
 * load (no network), a note inside the map says so and that tapping still places a point.
 * The attribution is printed under the map by the page (templates/_map.html).
 * Keyboard: the map is one Tab stop (arrows move it, + and − zoom); markers and zoom buttons
 * are left out of the Tab order, the list beside every map being the keyboard path.
 * Text is always inserted with textContent (no HTML from data), and no inline style
 * attribute is written.
 */
(function () {
  "use strict";

  var KINDS = { resource: 1, relay: 1, person: 1, selected: 1, cluster: 1 };
  var FETCH_DELAY_MS = 300;
  var AREAS = { territory: 1, uncovered: 1 };
  var NUMBER = /^\s*[+-]?(\d+([.,]\d*)?|[.,]\d+)\s*$/;

  function byId(id) { return id ? document.getElementById(id) : null; }

  function num(value) {
    return NUMBER.test(value || "") ? parseFloat(value.replace(",", ".")) : null;
  }

  function readPoint(latInput, lonInput) {
    var lat = num(latInput.value), lon = num(lonInput.value);
    if (lat === null || lon === null || Math.abs(lat) > 90 || Math.abs(lon) > 180) return null;
    return L.latLng(lat, lon);
  }

  function clearFields(ids) {
    (ids || "").split(",").forEach(function (id) {
      var field = byId(id.trim());
      if (field) field.value = "";
    });
  }

  /* Fill the inputs, tell listeners, and clear fields the point replaces (an address). */
  function setPoint(source, lat, lon) {
    var latInput = byId(source.dataset.pickLat), lonInput = byId(source.dataset.pickLon);
    if (!latInput || !lonInput) return;
    latInput.value = lat.toFixed(6);
    lonInput.value = lon.toFixed(6);
    clearFields(source.dataset.pickClear);
    [latInput, lonInput].forEach(function (input) {
      input.dispatchEvent(new Event("input", { bubbles: true }));
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }

  function icon(kind, label) {
    var options = { className: "marker marker-" + (KINDS[kind] ? kind : "resource"), iconSize: [18, 18] };
    if (label) {
      var span = document.createElement("span");
      span.textContent = String(label);
      options.html = span;
      options.iconSize = kind === "cluster" ? [34, 34] : [26, 26];
    }
    return L.divIcon(options);
  }

  function safeUrl(value) {
    try {
      var url = new URL(value, window.location.href);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function popup(props) {
    var box = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = props.name || "";
    box.appendChild(title);
    if (props.detail) {
      var detail = document.createElement("div");
      detail.textContent = props.detail;
      box.appendChild(detail);
    }
    var href = props.url && safeUrl(props.url);
    if (href) {
      var link = document.createElement("a");
      link.href = href;
      link.textContent = props.link_label || "Voir la fiche";
      box.appendChild(document.createElement("div")).appendChild(link);
    }
    return box;
  }

  function featureLayer(collection) {
    return L.geoJSON(collection, {
      pointToLayer: function (feature, latlng) {
        var props = feature.properties || {};
        return L.marker(latlng, { icon: icon(props.kind, props.label), title: props.name || "",
                                  riseOnHover: true, keyboard: false });
      },
      onEachFeature: function (feature, layer) {
        var props = feature.properties || {};
        if (layer.setIcon && (props.name || props.url)) layer.bindPopup(popup(props));
      },
      // Areas may name a style (property "area": territory, uncovered) drawn by app.css.
      style: function (feature) {
        var area = (feature.properties || {}).area;
        return { className: "map-area" + (AREAS[area] ? " map-area-" + area : "") };
      },
      interactive: false
    });
  }

  /* Tiles that do not load (no network, server down): say so inside the map, where the note
     moves nothing on the page. */
  function noTiles(map, el, picking) {
    el.classList.add("map-no-tiles");
    var note = L.control({ position: "bottomleft" });
    note.onAdd = function () {
      var box = L.DomUtil.create("p", "map-note");
      box.textContent = "Le fond de carte ne se charge pas (pas de réseau ?). " +
        (picking ? "Pour placer le point : votre position, l'adresse, ou la latitude et la longitude."
                 : "Les points restent à leur place ; la liste donne les mêmes informations.");
      return box;
    };
    note.addTo(map);
  }

  function readFeatures(el) {
    var block = byId(el.dataset.features);
    if (!block) return null;
    try {
      return JSON.parse(block.textContent);
    } catch (e) {
      return null;
    }
  }

  function setUp(el) {
    var data = el.dataset;
    // Without a centre, show metropolitan France; pages pass their service area's centre.
    var centre = [num(data.lat) || 46.6, num(data.lon) || 2.4];
    var zoom = parseInt(data.zoom, 10) || (data.lat ? 13 : 6);
    var map = L.map(el, { zoomSnap: 0.5, attributionControl: false });
    Array.prototype.forEach.call(el.querySelectorAll(".leaflet-control-zoom a"), function (a) {
      a.setAttribute("tabindex", "-1");
    });
    if (data.tileUrl) {
      var tiles = L.tileLayer(data.tileUrl, { maxZoom: 19 }).addTo(map);
      tiles.once("tileerror", function () { noTiles(map, el, !!(data.pickLat && data.pickLon)); });
    } else {
      el.classList.add("map-no-tiles");
    }
    var layer = null, picked = null;
    var latInput = byId(data.pickLat), lonInput = byId(data.pickLon);

    function fit() {
      var bounds = L.latLngBounds([]);
      if (layer) layer.eachLayer(function (l) {
        bounds.extend(l.getLatLng ? l.getLatLng() : l.getBounds());
      });
      if (picked) bounds.extend(picked.getLatLng());
      if (!bounds.isValid()) {
        map.setView(centre, zoom);
      } else if (bounds.getNorthEast().equals(bounds.getSouthWest())) {
        map.setView(bounds.getCenter(), Math.max(zoom, 15));
      } else {
        map.fitBounds(bounds, { padding: [24, 24], maxZoom: 16 });
      }
    }

    function setFeatures(collection) {
      if (layer) map.removeLayer(layer);
      layer = collection ? featureLayer(collection).addTo(map) : null;
      fit();
    }

    function place(latlng) {
      if (!latlng) {
        if (picked) map.removeLayer(picked);
        picked = null;
      } else if (picked) {
        picked.setLatLng(latlng);
      } else {
        // A wide ring under the other markers: a result at the same place stays readable.
        picked = L.marker(latlng, { icon: L.divIcon({ className: "marker marker-selected marker-pick",
                                                      iconSize: [34, 34] }),
                                    title: "Point choisi", keyboard: false, zIndexOffset: -500 }).addTo(map);
      }
    }

    if (latInput && lonInput) {
      place(readPoint(latInput, lonInput));
      var follow = function (event) {
        // Coordinates typed by the person replace what the cleared fields (an address) said.
        if (event && event.isTrusted) clearFields(data.pickClear);
        var latlng = readPoint(latInput, lonInput);
        place(latlng);
        if (latlng && !map.getBounds().contains(latlng)) map.panTo(latlng);
      };
      latInput.addEventListener("input", follow);
      lonInput.addEventListener("input", follow);
      map.on("click", function (event) {
        var latlng = event.latlng.wrap();
        setPoint(el, latlng.lat, latlng.lng);
      });
      el.classList.add("map-pick");
    }

    setFeatures(readFeatures(el));
    var zone = readBox(data.zone);
    if (zone) map.fitBounds(zone);
    if (data.source) followView(map, el);
    var api = { map: map, setFeatures: setFeatures, fit: fit };
    el.bvMap = api;
    el.dispatchEvent(new CustomEvent("bv:map-ready", { bubbles: true, detail: api }));
  }

  function readBox(value) {
    var parts = (value || "").split(",").map(num);
    if (parts.length !== 4 || parts.some(function (v) { return v === null; })) return null;
    return L.latLngBounds([parts[1], parts[0]], [parts[3], parts[2]]);
  }

  function clamp(value, low, high) { return Math.min(high, Math.max(low, value)); }

  /* The visible box as the pages' `zone` parameter (west,south,east,north). */
  function visibleZone(map) {
    var b = map.getBounds();
    return [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90),
            clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90)]
      .map(function (v) { return v.toFixed(5); }).join(",");
  }

  function withParams(href, params) {
    var url = new URL(href, window.location.href);
    Object.keys(params).forEach(function (name) { url.searchParams.set(name, params[name]); });
    return url;
  }

  /* Fetch what is in view from data-source, now and after each move. */
  function followView(map, el) {
    var layer = null, timer = null, asked = 0;
    var link = byId(el.dataset.zoneLink);

    function fetchView() {
      var zone = visibleZone(map), ticket = ++asked;
      if (link) {
        link.href = withParams(link.href, { zone: zone }).href;
        link.classList.remove("until-map");
      }
      var url = withParams(el.dataset.source, {
        zone: zone, zoom: String(clamp(Math.round(map.getZoom()), 0, 20)) });
      fetch(url.href, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.json();
        })
        .then(function (collection) {
          if (ticket !== asked) return;  // the map moved again meanwhile
          if (layer) map.removeLayer(layer);
          layer = featureLayer(collection).addTo(map);
          el.dataset.fetched = String((collection.features || []).length);
          el.dispatchEvent(new CustomEvent("bv:map-data", { bubbles: true, detail: collection }));
        })
        .catch(function () {
          if (ticket === asked) el.dataset.fetched = "error";
        });
    }

    map.on("moveend", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(fetchView, FETCH_DELAY_MS);
    });
    fetchView();
  }

  function setUpLocate(button) {
    if (!("geolocation" in navigator)) return;
    var status = byId(button.dataset.locateStatus);
    function say(text) { if (status) status.textContent = text; }
    button.hidden = false;
    button.addEventListener("click", function () {
      button.disabled = true;
      say("Recherche de votre position…");
      navigator.geolocation.getCurrentPosition(function (position) {
        button.disabled = false;
        setPoint(button, position.coords.latitude, position.coords.longitude);
        say("Position trouvée (précision " + Math.round(position.coords.accuracy) + " m).");
      }, function () {
        button.disabled = false;
        say("Position indisponible : autorisez la localisation ou saisissez le point.");
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-locate]"), setUpLocate);
    if (!window.L) return;
    Array.prototype.forEach.call(document.querySelectorAll("[data-map]"), setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
