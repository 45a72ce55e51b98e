/* Draw a territory's outline on the map (admin territory pages).
 *
 * <div data-draw data-draw-map="ID of the map's wrapper" data-draw-input="ID of the hidden input"
 *      data-draw-status="ID of an aria-live element" data-draw-submit="ID of the submit button" hidden>
 *   <button type="button" data-draw-undo>…</button> <button type="button" data-draw-clear>…</button>
 * </div>
 * Each click on the map adds a vertex (shown at once); the input holds a GeoJSON Polygon
 * (longitude, latitude; closed ring) once there are 3 points, and is empty otherwise.
 * Without JavaScript the block stays hidden and the page keeps its GeoJSON upload.
 */
(function () {
  "use strict";

  function byId(id) { return id ? document.getElementById(id) : null; }

  function setUp(box) {
    var wrapper = byId(box.dataset.drawMap);
    var mapEl = wrapper && wrapper.querySelector("[data-map]");
    var input = byId(box.dataset.drawInput), status = byId(box.dataset.drawStatus);
    var submit = byId(box.dataset.drawSubmit);
    if (!mapEl || !input || !window.L) return;

    function attach(api) {
      var map = api.map, points = [], shape = null, dots = L.layerGroup().addTo(map);

      function say(text) { if (status) status.textContent = text; }

      function render() {
        if (shape) map.removeLayer(shape);
        shape = null;
        dots.clearLayers();
        points.forEach(function (p) {
          L.circleMarker(p, { radius: 5, className: "map-draw-vertex", interactive: false }).addTo(dots);
        });
        if (points.length >= 3) {
          shape = L.polygon(points, { className: "map-area map-area-drawing", interactive: false }).addTo(map);
        } else if (points.length === 2) {
          shape = L.polyline(points, { className: "map-area map-area-drawing", interactive: false }).addTo(map);
        }
        if (points.length >= 3) {
          var ring = points.map(function (p) {
            return [Number(p.lng.toFixed(6)), Number(p.lat.toFixed(6))];
          });
          ring.push(ring[0].slice());
          input.value = JSON.stringify({ type: "Polygon", coordinates: [ring] });
          say(points.length + " points : contour prêt à enregistrer.");
        } else {
          input.value = "";
          say(points.length ? points.length + " point(s) : ajoutez-en au moins " + (3 - points.length) + "."
                            : "Cliquez sur la carte pour poser les points du contour.");
        }
        if (submit) submit.disabled = points.length < 3;
      }

      map.on("click", function (event) {
        points.push(event.latlng.wrap());
        render();
      });
      box.querySelector("[data-draw-undo]").addEventListener("click", function () {
        points.pop();
        render();
      });
      box.querySelector("[data-draw-clear]").addEventListener("click", function () {
        points = [];
        render();
      });
      mapEl.classList.add("map-pick");
      box.hidden = false;
      render();
    }

    if (mapEl.bvMap) {
      attach(mapEl.bvMap);
    } else {
      mapEl.addEventListener("bv:map-ready", function (event) { attach(event.detail); });
    }
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-draw]"), setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
