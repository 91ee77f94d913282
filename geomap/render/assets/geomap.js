/* geomap map helpers: title, legend, fullscreen, date slider, stop declutter, bulk event layer.
   Every HTML string handed to these functions was escaped in Python before it got here. */
(function () {
  "use strict";
  if (window.geomap) { return; }

  function control(map, position, className, html) {
    var C = L.Control.extend({
      options: { position: position },
      onAdd: function () {
        var div = L.DomUtil.create("div", "geomap-control " + className);
        div.innerHTML = html;
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        return div;
      }
    });
    var c = new C();
    c.addTo(map);
    return c;
  }

  function title(map, html) {
    var div = L.DomUtil.create("div", "geomap-title geomap-control", map.getContainer());
    div.innerHTML = html;
    return div;
  }

  function legend(map, html) { return control(map, "bottomright", "geomap-legend", html); }

  function fullscreen(map) {
    var C = L.Control.extend({
      options: { position: "topleft" },
      onAdd: function () {
        var bar = L.DomUtil.create("div", "leaflet-bar");
        var a = L.DomUtil.create("a", "geomap-fullscreen", bar);
        a.href = "#"; a.title = "Full screen"; a.setAttribute("role", "button");
        a.innerHTML = '<svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true">' +
          '<path d="M1 6V1h5M10 1h5v5M15 10v5h-5M6 15H1v-5" fill="none" stroke="#333" stroke-width="2"/></svg>';
        L.DomEvent.on(a, "click", function (e) {
          L.DomEvent.preventDefault(e);
          var el = map.getContainer();
          if (document.fullscreenElement) { document.exitFullscreen(); }
          else if (el.requestFullscreen) { el.requestFullscreen(); }
        });
        return bar;
      }
    });
    document.addEventListener("fullscreenchange", function () { map.invalidateSize(); });
    return new C().addTo(map);
  }

  function leafDate(layer) {
    if (layer.feature && layer.feature.properties) { return layer.feature.properties.d || null; }
    return (layer.options && layer.options.geomapDate) || null;
  }

  function slider(map, groups, dates) {
    var leaves = null;
    function collect() {
      leaves = [];
      function walk(layer, parent) {
        if (!layer.feature && typeof layer.eachLayer === "function") {
          layer.eachLayer(function (child) { walk(child, layer); });
          return;
        }
        var d = leafDate(layer);
        if (d && parent) { leaves.push([layer, parent, d]); }
      }
      groups.forEach(function (g) { walk(g, null); });
    }
    var last = dates.length - 1;
    var html = '<label>Events up to <span class="when"></span></label><br>' +
      '<input type="range" min="0" max="' + last + '" step="1" value="' + last + '" aria-label="Date">';
    var c = control(map, "bottomleft", "geomap-slider", html);
    var box = c.getContainer();
    var input = box.querySelector("input");
    var when = box.querySelector(".when");
    function apply() {
      if (leaves === null) { collect(); }
      var cut = dates[+input.value];
      when.textContent = cut;
      leaves.forEach(function (x) {
        var show = x[2] <= cut || x[2].slice(0, cut.length) === cut;
        var has = x[1].hasLayer(x[0]);
        if (show && !has) { x[1].addLayer(x[0]); }
        if (!show && has) { x[1].removeLayer(x[0]); }
      });
    }
    when.textContent = dates[last];
    input.addEventListener("input", apply);
    return c;
  }

  /* Stops that fall on (nearly) the same screen position are fanned out so each stays clickable. */
  function declutter(map) {
    var R = 24;
    function run() {
      var els = map.getContainer().querySelectorAll(".geomap-stop");
      var placed = [];
      Array.prototype.forEach.call(els, function (el) { el.style.transform = ""; });
      Array.prototype.forEach.call(els, function (el) {
        var r = el.getBoundingClientRect();
        if (!r.width) { return; }
        var cx = r.left + 12, cy = r.top + 12, best = [0, 0];
        outer:
        for (var ring = 0; ring < 6; ring++) {
          var n = ring === 0 ? 1 : 8 * ring;
          for (var k = 0; k < n; k++) {
            var a = (2 * Math.PI * k) / n - Math.PI / 2;
            var dx = ring * R * Math.cos(a), dy = ring * R * Math.sin(a);
            var ok = placed.every(function (p) {
              return Math.abs(p[0] - (cx + dx)) >= R - 2 || Math.abs(p[1] - (cy + dy)) >= R - 2;
            });
            if (ok) { best = [dx, dy]; break outer; }
          }
        }
        placed.push([cx + best[0], cy + best[1]]);
        if (best[0] || best[1]) {
          el.style.transform = "translate(" + best[0].toFixed(1) + "px," + best[1].toFixed(1) + "px)";
          el.classList.add("geomap-moved");
        } else { el.classList.remove("geomap-moved"); }
      });
    }
    map.on("zoomend viewreset overlayadd overlayremove", run);
    map.whenReady(function () { setTimeout(run, 0); });
    return run;
  }

  /* Popup and tooltip of a bulk event from its fields, all escaped in Python beforehand
     (the same layout as geomap.render._common.event_popup). */
  function row(k, v) { return v ? "<tr><th>" + k + "</th><td>" + v + "</td></tr>" : ""; }
  function eventPopup(p) {
    var head = [p.a, p.ac].filter(Boolean).join(" ") || "Event";
    var st = p.s ? '<span class="geomap-status geomap-' + p.s + '">' + p.s + "</span>" : "";
    var t = row("Place", p.pl) + row("Actors", p.a) + row("Action", p.ac) + row("Date", p.d) + row("Status", st);
    return '<div class="geomap-popup"><h4>' + head + "</h4>" +
      (t ? '<table class="geomap-table">' + t + "</table>" : "") +
      (p.q ? '<blockquote class="geomap-evidence">' + p.q + "</blockquote>" : "") + "</div>";
  }
  function eventTooltip(p) {
    return "<b>" + (p.pl || "") + "</b><br>" + [p.a, p.ac, p.d, p.s].filter(Boolean).join(" \u00b7 ");
  }

  /* Many events as one GeoJSON layer of canvas circle markers; one popup and tooltip for all. */
  function eventsLayer(group, data, colors) {
    var renderer = L.canvas({ padding: 0.5 });
    var layer = L.geoJSON(data, {
      pointToLayer: function (f, ll) {
        return L.circleMarker(ll, {
          renderer: renderer, radius: 5, color: "#ffffff", weight: 1,
          fillColor: colors[f.properties.s] || "#555555", fillOpacity: 0.85
        });
      }
    });
    layer.bindPopup(function (l) { return eventPopup(l.feature.properties); }, { maxWidth: 340 });
    layer.bindTooltip(function (l) { return eventTooltip(l.feature.properties); });
    group.addLayer(layer);
    return layer;
  }

  /* Country polygons: the offline basemap (not interactive) or highlighted countries (tooltip). */
  function polygons(map, target, data, style, interactive, pane, zIndex) {
    if (!map.getPane(pane)) { map.createPane(pane).style.zIndex = zIndex; }
    var layer = L.geoJSON(data, { style: style, interactive: !!interactive, pane: pane });
    if (interactive) {
      layer.bindTooltip(function (l) { return l.feature.properties.t; }, { sticky: true });
    }
    target.addLayer(layer);
    return layer;
  }

  window.geomap = {
    title: title, legend: legend, fullscreen: fullscreen, slider: slider,
    declutter: declutter, eventsLayer: eventsLayer, polygons: polygons
  };
})();
