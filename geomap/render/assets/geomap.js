/* geomap map helpers: one set of controls per map (title, legend, full screen, credit, timeline with
   playback and story mode, label placement, first view), the canvas event layers and polygons.
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

  function credit(map, html) {
    if (map.attributionControl) { map.attributionControl.addAttribution(html); return; }
    L.control.attribution({ prefix: false }).addAttribution(html).addTo(map);
  }

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

  /* ---- events: compact columns drawn on a canvas, one layer per event type ------------------ */

  function inflate(payload) {
    if (!payload.z) { return Promise.resolve(payload); }
    var bin = atob(payload.z), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text().then(JSON.parse);
  }

  function row(k, v) { return v ? "<tr><th>" + k + "</th><td>" + v + "</td></tr>" : ""; }

  /* The popup of event i (the same layout as geomap.render._common.event_popup). */
  function eventPopup(data, i) {
    var S = data.S, f = data.f, get = function (k) { return S[f[k][i]]; };
    var st = ["occurred", "planned", "cancelled"][data.s[i]];
    var d = data.d[i] >= 0 ? data.D[data.d[i]] : "";
    var head = [get("a"), get("ac")].filter(Boolean).join(" ") || "Event";
    var t = row("Type", data.K[data.k[i]]) + row("Place", get("pl")) + row("Actors", get("a")) +
      row("Targets", get("tg")) + row("Action", get("ac")) + row("Date", d) + row("Killed", get("f")) +
      row("Injured", get("i")) + row("Status", '<span class="geomap-status geomap-' + st + '">' + st + "</span>");
    var q = get("q");
    return '<div class="geomap-popup"><h4>' + head + "</h4>" + '<table class="geomap-table">' + t + "</table>" +
      (q ? '<blockquote class="geomap-evidence">' + q + "</blockquote>" : "") + "</div>";
  }
  function eventTooltip(data, i) {
    var S = data.S, f = data.f;
    var d = data.d[i] >= 0 ? data.D[data.d[i]] : "";
    var bits = [data.K[data.k[i]], S[f.a[i]], S[f.ac[i]], d, ["occurred", "planned", "cancelled"][data.s[i]]];
    return "<b>" + (S[f.pl[i]] || "") + "</b><br>" + bits.filter(Boolean).join(" \u00b7 ");
  }

  function shapePath(ctx, shape, x, y, r) {
    if (shape === "square") { ctx.rect(x - r * 0.85, y - r * 0.85, r * 1.7, r * 1.7); return; }
    if (shape === "triangle") { ctx.moveTo(x, y - r * 1.1); ctx.lineTo(x + r, y + r * 0.8); ctx.lineTo(x - r, y + r * 0.8); ctx.closePath(); return; }
    if (shape === "down") { ctx.moveTo(x, y + r * 1.1); ctx.lineTo(x + r, y - r * 0.8); ctx.lineTo(x - r, y - r * 0.8); ctx.closePath(); return; }
    if (shape === "diamond") { ctx.moveTo(x, y - r * 1.15); ctx.lineTo(x + r * 1.15, y); ctx.lineTo(x, y + r * 1.15); ctx.lineTo(x - r * 1.15, y); ctx.closePath(); return; }
    ctx.moveTo(x + r, y); ctx.arc(x, y, r, 0, 2 * Math.PI);
  }

  /* above this many events in view, grid cells holding at least CLUSTER_MIN become numbered bubbles */
  var CLUSTER_ABOVE = 5000, CLUSTER_CELL = 48, CLUSTER_MIN = 40;

  var EventCanvas = L.Layer.extend({
    initialize: function (kind, style) {
      this._kind = kind; this._shape = style[0]; this._color = style[1];
      this._idx = null; this._cut = null; this._vis = new Float32Array(0); this._nvis = 0; this._nhit = 0;
      this._clusters = [];
    },
    setData: function (data, idx, mx, my) {
      this._data = data; this._idx = idx; this._mx = mx; this._my = my;
      this._allowed = allowedDates(data.D, this._cut);
      if (this._map) { this._redraw(); }
    },
    /* Show only events up to the date ``cut`` (all of them for null). */
    setCut: function (cut) {
      this._cut = cut;
      if (!this._data) { return; }
      this._allowed = allowedDates(this._data.D, cut);
      if (this._map) { this._redraw(); }
    },
    onAdd: function (map) {
      if (!map.getPane("geomapEvents")) { map.createPane("geomapEvents").style.zIndex = 450; }
      this._canvas = L.DomUtil.create("canvas", "geomap-events-canvas");
      this._canvas.setAttribute("data-kind", this._kind);
      map.getPane("geomapEvents").appendChild(this._canvas);
      map.on("moveend zoomend resize viewreset", this._schedule, this);
      map.on("zoomstart", this._hide, this);
      map.on("click", this._click, this);
      map.on("mousemove", this._move, this);
      this._redraw();
    },
    onRemove: function (map) {
      L.DomUtil.remove(this._canvas);
      map.off("moveend zoomend resize viewreset", this._schedule, this);
      map.off("zoomstart", this._hide, this);
      map.off("click", this._click, this);
      map.off("mousemove", this._move, this);
      if (this._tip) { map.removeLayer(this._tip); this._tip = null; }
      this._map = null;
      if (this._hub) { this._hub.redraw(); }
    },
    /* One redraw per animation frame, however many map events asked for it. */
    _schedule: function () {
      var self = this;
      if (this._raf) { return; }
      this._raf = L.Util.requestAnimFrame(function () { self._raf = null; self._redraw(); });
    },
    /* Each look (status) of this layer's shape drawn once, then stamped with drawImage per event. */
    _sprite: function (look, r, ratio) {
      var key = look.fill + look.stroke + look.alpha + ":" + r + ":" + ratio;
      this._sprites = this._sprites || {};
      if (this._sprites[key]) { return this._sprites[key]; }
      var half = Math.ceil(r * 1.2 + look.width + 1), cv = document.createElement("canvas");
      cv.width = cv.height = 2 * half * ratio;
      var ctx = cv.getContext("2d");
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.beginPath();
      shapePath(ctx, this._shape, half, half, r);
      ctx.globalAlpha = look.alpha; ctx.fillStyle = look.fill; ctx.fill();
      ctx.globalAlpha = 1; ctx.setLineDash(r > 3 ? look.dash : []); ctx.lineWidth = r > 3 ? look.width : 0.6;
      ctx.strokeStyle = look.stroke; ctx.stroke();
      this._sprites[key] = { img: cv, half: half };
      return this._sprites[key];
    },
    _hide: function () { if (this._canvas) { this._canvas.style.visibility = "hidden"; } },
    _redraw: function () {
      if (this._hub) { this._hub.redraw(); return; }
      if (this._prepare()) { this._paint(null); }
    },
    /* Size the canvas and find the events in view; returns how many there are. */
    _prepare: function () {
      var map = this._map;
      if (!map || !this._idx) { this._nvis = 0; return 0; }
      var size = map.getSize(), ratio = window.devicePixelRatio || 1, cv = this._canvas;
      cv.width = size.x * ratio; cv.height = size.y * ratio;
      cv.style.width = size.x + "px"; cv.style.height = size.y + "px";
      var topLeft = map.containerPointToLayerPoint([0, 0]);
      L.DomUtil.setPosition(cv, topLeft);
      cv.style.visibility = "";
      var ctx = cv.getContext("2d");
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      var origin = map.getPixelOrigin(), scale = 256 * Math.pow(2, map.getZoom());
      var ox = origin.x + topLeft.x, oy = origin.y + topLeft.y;
      var idx = this._idx, n = idx.length, data = this._data, allowed = this._allowed;
      var w = size.x, h = size.y, cols = Math.ceil(w / 2) + 1;
      var seen = new Uint8Array(cols * (Math.ceil(h / 2) + 1));
      if (this._vis.length < n * 3) { this._vis = new Float32Array(n * 3); }
      var vis = this._vis, nv = 0, buckets = [[], [], []];
      for (var j = 0; j < n; j++) {
        var i = idx[j];
        if (allowed && data.d[i] >= 0 && !allowed[data.d[i]]) { continue; }
        var px = this._mx[i] * scale - ox, py = this._my[i] * scale - oy;
        if (px < -10 || py < -10 || px > w + 10 || py > h + 10) { continue; }
        vis[nv * 3] = px; vis[nv * 3 + 1] = py; vis[nv * 3 + 2] = i; nv++;
      }
      this._nvis = nv;
      this._ctx = ctx; this._w = w; this._h = h; this._cols = cols; this._seen = seen; this._ratio = ratio;
      return nv;
    },
    /* Draw the events in view, except those in the grid cells drawn as bubbles (``grid.which``). */
    _paint: function (grid) {
      var ctx = this._ctx, w = this._w, h = this._h, cols = this._cols, seen = this._seen, ratio = this._ratio;
      var vis = this._vis, nv = this._nvis, data = this._data, buckets = [[], [], []];
      var nh = 0;
      for (var q2 = 0; q2 < nv; q2++) {
        if (grid && grid.which[clusterCell(grid, vis[q2 * 3], vis[q2 * 3 + 1])] >= 0) { continue; }
        var x2 = vis[q2 * 3], y2 = vis[q2 * 3 + 1], i2 = vis[q2 * 3 + 2];
        vis[nh * 3] = x2; vis[nh * 3 + 1] = y2; vis[nh * 3 + 2] = i2; nh++;  /* kept for hit tests */
        var cell = x2 < 0 || y2 < 0 || x2 > w || y2 > h ? -1 : (y2 >> 1) * cols + (x2 >> 1);
        if (cell >= 0) { if (seen[cell]) { continue; } seen[cell] = 1; }
        buckets[data.s[i2]].push(x2, y2);
      }
      this._nhit = nh;
      var r = nh > 20000 ? 3 : (nh > 2000 ? 4 : (nh > 300 ? 5.5 : 7));
      this._r = r;
      var color = this._color;
      var looks = [
        { fill: color, stroke: "#ffffff", width: 1.2, dash: [], alpha: 0.92 },
        { fill: "#ffffff", stroke: color, width: 2, dash: [3, 2], alpha: 0.95 },
        { fill: color, stroke: "#8a8a8a", width: 1.2, dash: [2, 2], alpha: 0.35 }
      ];
      for (var b = 0; b < 3; b++) {
        var pts = buckets[b];
        if (!pts.length) { continue; }
        var sp = this._sprite(looks[b], r, ratio), img = sp.img, hs = sp.half, size = 2 * hs;
        for (var p = 0; p < pts.length; p += 2) { ctx.drawImage(img, pts[p] - hs, pts[p + 1] - hs, size, size); }
      }
    },
    _hit: function (cp) {
      var vis = this._vis, best = -1, bd = (this._r + 3) * (this._r + 3);
      for (var j = this._nhit - 1; j >= 0; j--) {
        var dx = vis[j * 3] - cp.x, dy = vis[j * 3 + 1] - cp.y, d = dx * dx + dy * dy;
        if (d <= bd) { bd = d; best = vis[j * 3 + 2]; }
      }
      return best;
    },
    _latlng: function (i) { return L.latLng(this._data.y[i] / 1e5, this._data.x[i] / 1e5); },
    _click: function (e) {
      if (this._hub && this._hub.clusterAt(e.containerPoint)) { return; }
      var i = this._hit(e.containerPoint);
      if (i < 0) { return; }
      L.popup({ maxWidth: 340 }).setLatLng(this._latlng(i)).setContent(eventPopup(this._data, i)).openOn(this._map);
    },
    _move: function (e) {
      var map = this._map;
      var i = this._hub && this._hub.clusterAt(e.containerPoint) ? -1 : this._hit(e.containerPoint);
      if (i < 0) {
        if (this._tip) { map.removeLayer(this._tip); this._tip = null; map.getContainer().style.cursor = ""; }
        return;
      }
      if (!this._tip) { this._tip = L.tooltip({ direction: "top", offset: [0, -6] }); }
      this._tip.setLatLng(this._latlng(i)).setContent(eventTooltip(this._data, i));
      if (!map.hasLayer(this._tip)) { this._tip.addTo(map); }
      map.getContainer().style.cursor = "pointer";
    },
    /* Open the popup of the first drawn event (for keyboard users and tests). */
    openFirst: function () {
      if (this._nhit) { var i = this._vis[2]; this._click({ containerPoint: L.point(this._vis[0], this._vis[1]) }); return i; }
      return -1;
    }
  });

  function clusterCell(grid, x, y) {
    return (Math.floor(y / CLUSTER_CELL) + 1) * grid.cols + Math.floor(x / CLUSTER_CELL) + 1;
  }

  /* The event layers of one map drawn together: where the events in view are dense, the events of
     a grid cell (of every type) become one bubble with their number, in the colour of the commonest
     type; a click zooms in. Redraws asked for in one turn are done once. */
  function Hub(map) {
    this.map = map; this.layers = []; this.pending = false; this.clusters = [];
    map.on("zoomstart", function () { if (this.canvas) { this.canvas.style.visibility = "hidden"; } }, this);
    map.on("click", this._click, this);
    map.on("mousemove", this._move, this);
  }
  Hub.prototype.redraw = function () {
    var self = this;
    if (this.pending) { return; }
    this.pending = true;
    Promise.resolve().then(function () { self.pending = false; self.draw(); });
  };
  Hub.prototype.draw = function () {
    var map = this.map, active = this.layers.filter(function (l) { return l._map && l._idx; });
    var total = 0;
    active.forEach(function (l) { total += l._prepare(); });
    var size = map.getSize(), grid = null, clusters = [];
    if (total > CLUSTER_ABOVE) {
      var gcols = Math.ceil(size.x / CLUSTER_CELL) + 2, cells = (Math.ceil(size.y / CLUSTER_CELL) + 2) * gcols;
      var count = new Uint32Array(cells), sx = new Float64Array(cells), sy = new Float64Array(cells);
      var mine = new Uint32Array(cells), best = new Uint32Array(cells), color = new Array(cells);
      grid = { cols: gcols, which: new Int32Array(cells).fill(-1) };
      active.forEach(function (l) {
        mine.fill(0);
        for (var q = 0; q < l._nvis; q++) {
          var x = l._vis[q * 3], y = l._vis[q * 3 + 1], g = clusterCell(grid, x, y);
          count[g]++; mine[g]++; sx[g] += x; sy[g] += y;
        }
        for (var g2 = 0; g2 < cells; g2++) { if (mine[g2] > best[g2]) { best[g2] = mine[g2]; color[g2] = l._color; } }
      });
      for (var g3 = 0; g3 < cells; g3++) {
        if (count[g3] >= CLUSTER_MIN) {
          grid.which[g3] = clusters.length;
          clusters.push([sx[g3] / count[g3], sy[g3] / count[g3], count[g3], color[g3], Math.min(20, 7 + 3 * Math.log10(count[g3]))]);
        }
      }
    }
    active.forEach(function (l) { l._paint(clusters.length ? grid : null); });
    this.clusters = clusters;
    this._paint(clusters);
  };
  Hub.prototype._paint = function (clusters) {
    var map = this.map, pane = map.getPane("geomapEvents");
    if (!pane) { return; }
    if (!this.canvas) { this.canvas = L.DomUtil.create("canvas", "geomap-clusters-canvas"); }
    var cv = this.canvas, size = map.getSize(), ratio = window.devicePixelRatio || 1;
    pane.appendChild(cv);  /* above every event layer */
    cv.width = size.x * ratio; cv.height = size.y * ratio;
    cv.style.width = size.x + "px"; cv.style.height = size.y + "px";
    L.DomUtil.setPosition(cv, map.containerPointToLayerPoint([0, 0]));
    cv.style.visibility = "";
    var ctx = cv.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.font = "bold 10px Helvetica Neue, Arial, sans-serif"; ctx.textAlign = "center"; ctx.textBaseline = "middle";
    clusters.forEach(function (cl) {
      ctx.beginPath(); ctx.arc(cl[0], cl[1], cl[4], 0, 2 * Math.PI);
      ctx.globalAlpha = 0.85; ctx.fillStyle = cl[3]; ctx.fill();
      ctx.globalAlpha = 1; ctx.lineWidth = 1.5; ctx.strokeStyle = "#ffffff"; ctx.stroke();
      ctx.fillStyle = "#ffffff";
      ctx.fillText(cl[2] >= 10000 ? Math.round(cl[2] / 1000) + "k" : String(cl[2]), cl[0], cl[1] + 0.5);
    });
  };
  Hub.prototype.clusterAt = function (cp) {
    for (var k = this.clusters.length - 1; k >= 0; k--) {
      var c = this.clusters[k], dx = c[0] - cp.x, dy = c[1] - cp.y;
      if (dx * dx + dy * dy <= c[4] * c[4]) { return c; }
    }
    return null;
  };
  Hub.prototype._click = function (e) {
    var c = this.clusterAt(e.containerPoint);
    if (c) { this.map.setView(this.map.containerPointToLatLng([c[0], c[1]]), this.map.getZoom() + 2); }
  };
  Hub.prototype._move = function (e) {
    var c = this.clusterAt(e.containerPoint), map = this.map;
    if (!c) { if (this.tip) { map.removeLayer(this.tip); this.tip = null; } return; }
    if (!this.tip) { this.tip = L.tooltip({ direction: "top", offset: [0, -8] }); }
    this.tip.setLatLng(map.containerPointToLatLng([c[0], c[1]])).setContent("<b>" + c[2] + " events</b><br>click to zoom in");
    if (!map.hasLayer(this.tip)) { this.tip.addTo(map); }
    map.getContainer().style.cursor = "pointer";
  };

  function events(map, groups, payload, styles) {
    var layers = {};
    map._geomapEvents = map._geomapEvents || [];
    map._geomapHub = map._geomapHub || new Hub(map);
    Object.keys(groups).forEach(function (kind) {
      var layer = new EventCanvas(kind, styles[kind]);
      layer._hub = map._geomapHub;
      map._geomapHub.layers.push(layer);
      layers[kind] = layer;
      groups[kind].addLayer(layer);
      map._geomapEvents.push(layer);
    });
    inflate(payload).then(function (data) {
      var n = data.n, mx = new Float64Array(n), my = new Float64Array(n), lists = data.K.map(function () { return []; });
      for (var i = 0; i < n; i++) {
        var lat = Math.max(Math.min(data.y[i] / 1e5, 85.0511), -85.0511) * Math.PI / 180;
        mx[i] = (data.x[i] / 1e5 + 180) / 360;
        my[i] = 0.5 - Math.log(Math.tan(Math.PI / 4 + lat / 2)) / (2 * Math.PI);
        lists[data.k[i]].push(i);
      }
      data.K.forEach(function (kind, k) {
        if (layers[kind]) { layers[kind].setData(data, Int32Array.from(lists[k]), mx, my); }
      });
      map.fire("geomap:events");
    }).catch(function (err) { console.warn("geomap: event data could not be read", err); });
    return layers;
  }

  /* ---- timeline: playback of stops, legs and events; story mode ----------------------------- */

  function allowedDates(dates, cut) {
    if (cut === null || cut === undefined) { return null; }
    return dates.map(function (d) { return d <= cut || d.slice(0, cut.length) === cut; });
  }

  function timeline(map, cfg) {
    var steps = cfg.steps, dates = cfg.dates, byStops = steps.length > 0;
    var last = (byStops ? steps.length : dates.length) - 1;
    var k = last, timer = null, speed = 1, story = null;
    var html = '<div class="geomap-player">' +
      (byStops ? '<button type="button" class="geomap-prev" title="Previous stop" aria-label="Previous stop">&#9664;</button>' +
        '<button type="button" class="geomap-play" title="Play" aria-label="Play">&#9654;</button>' +
        '<button type="button" class="geomap-next" title="Next stop" aria-label="Next stop">&#9654;&#9654;</button>' +
        '<select class="geomap-speed" aria-label="Speed"><option value="0.5">0.5&#215;</option>' +
        '<option value="1" selected>1&#215;</option><option value="2">2&#215;</option><option value="4">4&#215;</option></select>' +
        '<button type="button" class="geomap-story-btn" title="Story: one step per stop (arrow keys)">Story</button>'
        : "") + "</div>" +
      "<label>" + (byStops ? "Stop " : "Events up to ") + '<span class="when"></span></label><br>' +
      '<input type="range" min="0" max="' + last + '" step="1" value="' + last + '" aria-label="' +
      (byStops ? "Stop" : "Date") + '">';
    var c = control(map, "bottomleft", "geomap-slider", html);
    var box = c.getContainer(), input = box.querySelector("input"), when = box.querySelector(".when");
    function layer(name) { return window[name]; }
    function cutAt(i) {
      if (!byStops) { return dates[i]; }
      return i >= last ? null : steps[i].cut;
    }
    function apply(current) {
      k = Math.max(0, Math.min(last, k));
      input.value = k;
      var cut = cutAt(k);
      (map._geomapEvents || []).forEach(function (l) { l.setCut(cut); });
      if (!byStops) { when.textContent = dates[k]; return; }
      steps.forEach(function (s, j) {
        var g = layer(s.g), names = [s.m].concat(s.l), show = j <= k;
        names.forEach(function (nm) {
          var l = layer(nm);
          if (!l || !g) { return; }
          if (show && !g.hasLayer(l)) { g.addLayer(l); }
          if (!show && g.hasLayer(l)) { g.removeLayer(l); }
        });
        var m = layer(s.m), el = m && m.getElement && m.getElement();
        var stop = el && el.querySelector(".geomap-stop");
        if (stop) { stop.classList.toggle("geomap-current", !!current && j === k); }
      });
      var s = steps[k];
      when.innerHTML = (k + 1) + "/" + steps.length + " &#183; " + s.t + (s.d ? " &#183; " + s.d : "");
      if (story) { showStory(); }
      map.fire("geomap:step", { step: k });
    }
    function go(i, fly) {
      k = i; apply(true);
      if (!byStops) { return; }
      var ll = L.latLng(steps[k].ll[0], steps[k].ll[1]);
      if (fly) { map.flyTo(ll, Math.min(Math.max(map.getZoom(), 5), 8), { duration: 0.8 }); }
      else if (!map.getBounds().pad(-0.1).contains(ll)) { map.panTo(ll); }
    }
    function stop() {
      if (timer) { clearInterval(timer); timer = null; }
      var b = box.querySelector(".geomap-play");
      if (b) { b.innerHTML = "&#9654;"; b.title = "Play"; b.classList.remove("geomap-playing"); }
    }
    function play() {
      if (timer) { stop(); return; }
      if (k >= last) { go(0, false); }
      var b = box.querySelector(".geomap-play");
      b.innerHTML = "&#10074;&#10074;"; b.title = "Pause"; b.classList.add("geomap-playing");
      timer = setInterval(function () {
        if (k >= last) { stop(); return; }
        go(k + 1, !!story);
      }, 1200 / speed);
    }
    function showStory() {
      var s = steps[k];
      story.getContainer().innerHTML = '<div class="geomap-story-step">Step ' + (k + 1) + " of " + steps.length +
        '<button type="button" class="geomap-story-close" title="Close story" aria-label="Close story">&#x2715;</button></div>' +
        s.h + '<div class="geomap-story-nav"><button type="button" class="geomap-story-prev">&#9664; Previous</button>' +
        '<button type="button" class="geomap-story-next">Next &#9654;</button></div>' +
        '<div class="geomap-story-hint">&#8592; &#8594; keys move between stops</div>';
      var el = story.getContainer();
      el.querySelector(".geomap-story-prev").onclick = function () { stop(); go(k - 1, true); };
      el.querySelector(".geomap-story-next").onclick = function () { stop(); go(k + 1, true); };
      el.querySelector(".geomap-story-close").onclick = function () { toggleStory(); };
    }
    function toggleStory() {
      if (story) { map.removeControl(story); story = null; map.getContainer().classList.remove("geomap-story-on"); return; }
      story = control(map, "bottomleft", "geomap-story", "");
      map.getContainer().classList.add("geomap-story-on");
      go(k >= last && !box.querySelector(".geomap-current") ? 0 : k, true);
    }
    input.addEventListener("input", function () { stop(); k = +input.value; apply(byStops); });
    if (byStops) {
      box.querySelector(".geomap-play").addEventListener("click", play);
      box.querySelector(".geomap-prev").addEventListener("click", function () { stop(); go(k - 1, !!story); });
      box.querySelector(".geomap-next").addEventListener("click", function () { stop(); go(k + 1, !!story); });
      box.querySelector(".geomap-speed").addEventListener("change", function (e) {
        speed = +e.target.value;
        if (timer) { stop(); play(); }
      });
      box.querySelector(".geomap-story-btn").addEventListener("click", toggleStory);
      document.addEventListener("keydown", function (e) {
        if (!story || e.target === input || /^(INPUT|SELECT|TEXTAREA)$/.test(e.target.tagName)) { return; }
        if (e.key === "ArrowRight" || e.key === "ArrowDown") { e.preventDefault(); stop(); go(k + 1, true); }
        else if (e.key === "ArrowLeft" || e.key === "ArrowUp") { e.preventDefault(); stop(); go(k - 1, true); }
        else if (e.key === "Escape") { toggleStory(); }
      });
      var s = steps[last];
      when.innerHTML = steps.length + "/" + steps.length + " &#183; " + s.t + (s.d ? " &#183; " + s.d : "");
    } else {
      when.textContent = dates[last];
    }
    return { go: go, play: play, story: toggleStory, control: c };
  }

  /* ---- stops: markers fanned out, labels placed without overlap (or hidden) ----------------- */

  /* Where a label may stand around its 24 px marker at (x, y), for its size w x h (see geomap.css). */
  var LABEL_SPOTS = [
    ["right", function (x, y, w, h) { return [x + 27, y + 1]; }],
    ["left", function (x, y, w, h) { return [x - 3 - w, y + 1]; }],
    ["top", function (x, y, w, h) { return [x + 12 - w / 2, y - 20]; }],
    ["bottom", function (x, y, w, h) { return [x + 12 - w / 2, y + 26]; }],
    ["topright", function (x, y, w, h) { return [x + 21, y - 18]; }],
    ["bottomright", function (x, y, w, h) { return [x + 21, y + 23]; }],
    ["topleft", function (x, y, w, h) { return [x + 3 - w, y - 18]; }],
    ["bottomleft", function (x, y, w, h) { return [x + 3 - w, y + 23]; }]
  ];

  function overlaps(a, b) {
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }

  /* Stops that fall on (nearly) the same screen position are fanned out so each stays clickable;
     then each label takes the first free spot around its marker (over no other label, marker or
     control, inside the map), or is hidden; a second label with the same name close by is hidden.
     The page is read in one pass and written in one pass, so this stays fast with many stops. */
  function declutter(map) {
    var R = 24;
    function run() {
      var root = map.getContainer();
      var els = Array.prototype.slice.call(root.querySelectorAll(".geomap-stop"));
      els.forEach(function (el) {
        el.style.transform = "";
        var label = el.querySelector(".geomap-label");
        if (label) {
          LABEL_SPOTS.forEach(function (s) { label.classList.remove("geomap-at-" + s[0]); });
          label.classList.remove("geomap-label-hidden");
        }
      });
      /* read */
      var view = root.getBoundingClientRect();
      var blocks = [];
      Array.prototype.forEach.call(root.querySelectorAll(".leaflet-control, .geomap-title"), function (el) {
        var r = el.getBoundingClientRect();
        if (r.width) { blocks.push(r); }
      });
      var items = els.map(function (el) {
        var label = el.querySelector(".geomap-label"), r = el.getBoundingClientRect();
        var lr = label ? label.getBoundingClientRect() : null;
        return { el: el, label: label, x: r.left, y: r.top, shown: r.width > 0,
                 w: lr ? lr.width : 0, h: lr ? lr.height : 0, text: label ? label.textContent : "" };
      });
      /* fan out markers */
      var placedMarks = [];
      items.forEach(function (it) {
        it.dx = 0; it.dy = 0;
        if (!it.shown) { return; }
        var cx = it.x + 12, cy = it.y + 12;
        outer:
        for (var ring = 0; ring < 6; ring++) {
          var n = ring === 0 ? 1 : 8 * ring;
          for (var k = 0; k < n; k++) {
            var a = (2 * Math.PI * k) / n - Math.PI / 2;
            var dx = ring * R * Math.cos(a), dy = ring * R * Math.sin(a);
            var ok = placedMarks.every(function (p) {
              return Math.abs(p[0] - (cx + dx)) >= R - 2 || Math.abs(p[1] - (cy + dy)) >= R - 2;
            });
            if (ok) { it.dx = dx; it.dy = dy; break outer; }
          }
        }
        it.x += it.dx; it.y += it.dy;
        placedMarks.push([cx + it.dx, cy + it.dy]);
        blocks.push({ left: it.x + 2, top: it.y + 2, right: it.x + 22, bottom: it.y + 22 });
      });
      /* place labels */
      var placed = [];
      items.forEach(function (it) {
        it.spot = null;
        if (!it.shown || !it.label) { return; }
        var twin = placed.some(function (p) {
          return p.text === it.text && Math.abs(p.x - it.x) < 90 && Math.abs(p.y - it.y) < 90;
        });
        if (twin) { return; }
        for (var i = 0; i < LABEL_SPOTS.length; i++) {
          var xy = LABEL_SPOTS[i][1](it.x, it.y, it.w, it.h);
          var r = { left: xy[0], top: xy[1], right: xy[0] + it.w, bottom: xy[1] + it.h };
          var inside = r.left >= view.left && r.right <= view.right && r.top >= view.top && r.bottom <= view.bottom;
          if (inside && !placed.some(function (p) { return overlaps(p.rect, r); }) &&
              !blocks.some(function (b) { return overlaps(b, r); })) {
            it.spot = LABEL_SPOTS[i][0];
            placed.push({ rect: r, text: it.text, x: it.x, y: it.y });
            return;
          }
        }
      });
      /* write */
      items.forEach(function (it) {
        if (it.dx || it.dy) {
          it.el.style.transform = "translate(" + it.dx.toFixed(1) + "px," + it.dy.toFixed(1) + "px)";
          it.el.classList.add("geomap-moved");
        } else { it.el.classList.remove("geomap-moved"); }
        if (!it.label) { return; }
        if (it.spot) { it.label.classList.add("geomap-at-" + it.spot); }
        else if (it.shown) { it.label.classList.add("geomap-label-hidden"); }
      });
    }
    var pending = null;
    function later() { if (pending) { clearTimeout(pending); } pending = setTimeout(function () { pending = null; run(); }, 0); }
    map.on("zoomend viewreset overlayadd overlayremove moveend resize geomap:step", later);
    map.whenReady(later);
    return run;
  }

  /* The first view: the data, kept clear of the controls in the corners and of the title. */
  function fit(map, bounds) {
    var root = map.getContainer();
    function size(sel) {
      var w = 0, h = 0;
      Array.prototype.forEach.call(root.querySelectorAll(sel + " .leaflet-control"), function (el) {
        var r = el.getBoundingClientRect();
        w = Math.max(w, r.width); h += r.height + 10;
      });
      return [w, h];
    }
    var tr = size(".leaflet-top.leaflet-right"), br = size(".leaflet-bottom.leaflet-right");
    var bl = size(".leaflet-bottom.leaflet-left");
    var right = Math.max(tr[0], br[0]) + 24 + 110;  /* and room for labels, written right of stops */
    var bottom = bl[1] + 16;
    var view = map.getSize();
    if (view.x - right - 60 < 200) { right = Math.max(40, view.x - 260); }
    if (view.y - bottom - 60 < 150) { bottom = Math.max(20, view.y - 210); }
    map.fitBounds(bounds, { paddingTopLeft: [60, 60], paddingBottomRight: [right, bottom], maxZoom: 11, animate: false });
  }

  function controls(map, cfg) {
    var out = {};
    if (cfg.title) { out.title = title(map, cfg.title); }
    if (cfg.fullscreen) { out.fullscreen = fullscreen(map); }
    if (cfg.legend) { out.legend = legend(map, cfg.legend); }
    if (cfg.steps.length || cfg.dates.length) { out.timeline = timeline(map, cfg); }
    if (cfg.labels) { out.declutter = declutter(map); }
    if (cfg.fit) { fit(map, cfg.fit); }
    map.geomap = out;
    return out;
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
    controls: controls, title: title, legend: legend, credit: credit, fullscreen: fullscreen,
    timeline: timeline, declutter: declutter, events: events, polygons: polygons
  };
})();
