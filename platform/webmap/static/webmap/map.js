/*
 * gridcity web map 一张图: the layer registry (GET /api/layers/) drawn from the vector tiles
 * (GET /tiles/{layers}/{z}/{x}/{y}.mvt) with Leaflet.VectorGrid, over a plain light or dark
 * background (no external base map). Coordinates are EPSG:4490 lon/lat, which Leaflet draws
 * directly as if WGS84; the tiles are Web Mercator like the map.
 *
 * The checked layers are fetched as ONE composite tile source (/tiles/districts,streets,…/z/x/y.mvt):
 * one request (one session check, one SQL query) per tile instead of one per layer and tile, which
 * keeps a view to ~20 requests over the browser's six connections: on the full demo city the five
 * default layers load about twice as fast as five separate sources. Toggling a layer switches to the
 * new composite.
 */
(function () {
  "use strict";

  /** Drawing order within a tile: polygons below lines below points ("Geometry" layers are mostly points). */
  const GEOMETRY_RANK = { Polygon: 0, LineString: 1, Point: 2, Geometry: 2 };
  const THEME_KEY = "gridcity.theme";
  /** Cluster circles: borderless and translucent, so overlapping ones read as density; the radius grows
   * with the square root of the count (area ∝ count), up to a cap. */
  const CLUSTER_RADIUS = { min: 2, perRootCount: 0.5, max: 7 };
  const CLUSTER_FILL_OPACITY = 0.5;
  /** Levels to zoom in by when a cluster is clicked. */
  const CLUSTER_ZOOM_STEP = 2;
  /** The user line is re-read at most this often while the map is used: tiles answer a lost session
   * with empty tiles, and this request sends the user back to the login page instead. */
  const SESSION_CHECK_MS = 60000;

  const config = JSON.parse(document.getElementById("webmap-config").textContent);
  const state = {
    theme: localStorage.getItem(THEME_KEY) === "dark" ? "dark" : "light",
    entries: [],
    /** Registry metadata by layer name (the MVT layers are named after the registry's layers). */
    metaByName: new Map(),
    /** The tile source of the checked layers, and the sources it replaces until it has loaded. */
    grid: null,
    retired: [],
    /** The "N 个部件" label shown while the pointer is over a cluster. */
    clusterTooltip: null,
    moving: false,
    sessionCheckedAt: 0,
    /** Display names of coded values by field name, e.g. component classes as "0101 上水井盖". */
    valueNames: {},
  };

  /** GET a JSON document with the session cookie; a lost session goes back to the login page. */
  async function getJSON(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (response.status === 401) {
      window.location.assign(`${config.loginUrl}?next=${encodeURIComponent(window.location.pathname)}`);
      throw new Error("登录已过期");
    }
    if (!response.ok) {
      throw new Error(`${url}: HTTP ${response.status}`);
    }
    return response.json();
  }

  /** Text made safe for insertion into HTML. */
  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  }

  /** An attribute value as a user reads it: dashes for blanks, lists joined, numbers rounded. */
  function formatValue(value) {
    if (value === null || value === undefined || value === "") {
      return "—";
    }
    if (Array.isArray(value)) {
      return value.length ? value.map(formatValue).join("、") : "—";
    }
    if (typeof value === "object") {
      const pairs = Object.entries(value).map(([key, item]) => `${key}: ${formatValue(item)}`);
      return pairs.length ? pairs.join("；") : "—";
    }
    if (typeof value === "number" && !Number.isInteger(value)) {
      return value.toFixed(2);
    }
    return String(value);
  }

  /** Fetch the component class table once, for the popups. */
  async function loadClassNames() {
    const { classes } = await getJSON(config.componentClassesUrl);
    state.valueNames.component_class = new Map(classes.map((c) => [c.code, `${c.code} ${c.name}`]));
  }

  /** A tile attribute as the API would give it: JSON fields arrive in tiles as text, so parse them back. */
  function fieldValue(field, value) {
    if (field.type === "json" && typeof value === "string") {
      try {
        return JSON.parse(value);
      } catch (error) {
        return value;
      }
    }
    return value;
  }

  /** A property as shown in a popup: its display name when it is a known code or choice, else formatted. */
  function displayValue(field, value) {
    const names = state.valueNames[field.name];
    if (names && names.has(value)) return names.get(value);
    if (field.choices && value !== null && value !== undefined && String(value) in field.choices) {
      return field.choices[String(value)];
    }
    return formatValue(fieldValue(field, value));
  }

  /** The popup of a feature: the layer title and label, then every field under its Chinese title. */
  function popupHtml(meta, props) {
    const label = props[meta.label_field];
    const rows = meta.fields.map((field) =>
      `<tr><th>${escapeHtml(field.title)}</th><td>${escapeHtml(displayValue(field, props[field.name]))}</td></tr>`);
    const heading = label ? `${meta.title} ${label}` : meta.title;
    return `<div class="feature-popup"><h3>${escapeHtml(heading)}</h3><table>${rows.join("")}</table></div>`;
  }

  /** Is this tile feature a cluster (below the layer's cluster zoom a tile carries only a ``count``)? */
  function isCluster(meta, props) {
    return props.count !== undefined && !meta.fields.some((field) => field.name === "count");
  }

  /** The Leaflet path options of a feature in the current theme: the registry's style (points as
   * circles of its radius), clusters as circles scaled by their count; the class names its SVG path. */
  function featureStyle(meta, props) {
    const style = meta.style[state.theme];
    const className = `gc-layer gc-${meta.name}`;
    if (isCluster(meta, props)) {
      const { min, perRootCount, max } = CLUSTER_RADIUS;
      const radius = Math.min(max, min + perRootCount * (Math.sqrt(props.count) - 1));
      const fillOpacity = CLUSTER_FILL_OPACITY;
      return { ...style, stroke: false, fill: true, fillOpacity, radius, className: `${className} gc-cluster` };
    }
    // VectorGrid starts from L.Path's options, where fill is off; line features turn it off again.
    const { ramp, ...options } = style;
    return ramp ? { ...options, fill: true, fillColor: rampColour(ramp, props), className }
      : { ...options, fill: true, className };
  }

  /** The colour of the highest ramp stop a feature's value reaches (a registry style's heat ramp). */
  function rampColour(ramp, props) {
    const value = Number(props[ramp.field]);
    let colour = ramp.stops[0][1];
    for (const [from, stopColour] of ramp.stops) {
      if (value >= from) colour = stopColour;
    }
    return colour;
  }

  /** Is the map's zoom inside the layer's zoom range? */
  function inZoomRange(meta, zoom) {
    return zoom >= meta.minzoom && zoom <= meta.maxzoom;
  }

  /*
   * Leaflet.VectorGrid 1.3.0 fitted to Leaflet 1.9 and to composite tiles:
   * - each feature remembers the MVT layer it came from (the popup needs its registry entry, and
   *   ids are unique only within a layer);
   * - a tile whose request fails outright (network error) is drawn empty instead of never finishing,
   *   which would leave the map "loading" for good (an HTTP error already gives an empty tile);
   * - point symbolizers lose the getLatLng they inherit from L.CircleMarker without a position,
   *   on which Leaflet ≥ 1.8 fails for every click on a small circle; events then carry the pointer's position;
   * - restyle() re-applies the styles to the tiles on the map (the theme switch), without refetching.
   */
  const TileSource = L.VectorGrid.Protobuf.extend({
    _getVectorTilePromise(coords) {
      return L.VectorGrid.Protobuf.prototype._getVectorTilePromise.call(this, coords).then((tile) => {
        Object.entries(tile.layers).forEach(([name, layer]) => {
          layer.features.forEach((feature) => {
            feature.layerName = name;
          });
        });
        return tile;
      }, (error) => {
        console.warn(`瓦片 ${coords.z}/${coords.x}/${coords.y} 加载失败`, error);
        return { layers: {} };
      });
    },

    _createLayer(feature, pxPerExtent) {
      const symbolizer = L.VectorGrid.Protobuf.prototype._createLayer.call(this, feature, pxPerExtent);
      symbolizer.layerName = feature.layerName;
      if (feature.type === 1) {
        symbolizer.getLatLng = undefined;
      }
      return symbolizer;
    },

    restyle() {
      Object.values(this._vectorTiles).forEach((renderer) => {
        Object.values(renderer._layers).forEach((symbolizer) => {
          this._updateStyles(symbolizer, renderer, this.options.vectorTileLayerStyles[symbolizer.layerName]);
        });
      });
    },
  });

  /** The composite tile source of ``metas`` (in drawing order), interactive, drawn as SVG. */
  function tileSource(map, metas) {
    const names = metas.map((meta) => meta.name);
    const styles = Object.fromEntries(metas.map((meta) => [meta.name, (props) => featureStyle(meta, props)]));
    const grid = new TileSource(`${config.tilesUrl}${names.join(",")}/{z}/{x}/{y}.mvt`, {
      rendererFactory: L.svg.tile,
      vectorTileLayerStyles: styles,
      interactive: true,
      getFeatureId: (feature) => (feature.id === undefined ? undefined : `${feature.layerName}/${feature.id}`),
      fetchOptions: { credentials: "same-origin" },
      updateWhenZooming: false,
    });
    grid.on("click", (event) => openFeature(map, event));
    grid.on("mouseover", (event) => showClusterCount(map, event));
    grid.on("mouseout", () => map.closeTooltip(state.clusterTooltip));
    grid.on("loading load", () => {
      if (grid === state.grid && !grid.isLoading()) {
        retireOldSources(map);
      }
      showBusy();
    });
    return grid;
  }

  /** A click on a feature opens its attribute popup; a click on a cluster zooms in on it. */
  function openFeature(map, event) {
    const symbolizer = event.layer;
    const meta = state.metaByName.get(symbolizer.layerName);
    if (!meta) {
      return;
    }
    if (isCluster(meta, symbolizer.properties)) {
      map.closeTooltip(state.clusterTooltip);
      map.setView(event.latlng, Math.min(map.getZoom() + CLUSTER_ZOOM_STEP, map.getMaxZoom()));
      return;
    }
    L.popup({ maxWidth: 360 }).setLatLng(event.latlng).setContent(popupHtml(meta, symbolizer.properties)).openOn(map);
  }

  /** Hovering a cluster shows how many features it stands for, e.g. "37 个部件". */
  function showClusterCount(map, event) {
    const symbolizer = event.layer;
    const meta = state.metaByName.get(symbolizer.layerName);
    if (meta && isCluster(meta, symbolizer.properties)) {
      state.clusterTooltip.setLatLng(event.latlng).setContent(`${symbolizer.properties.count} 个${meta.title}`);
      map.openTooltip(state.clusterTooltip);
    }
  }

  /** Remove the tile sources replaced by the current one. */
  function retireOldSources(map) {
    state.retired.splice(0).forEach((grid) => map.removeLayer(grid));
  }

  /** Draw the checked layers as one new composite source (at start and on every toggle). The old
   * source stays on the map until the new one has loaded, so a toggle does not blank the map. */
  function showCheckedLayers(map) {
    const metas = state.entries
      .filter((entry) => entry.enabled)
      .map((entry) => entry.meta)
      .sort((a, b) => GEOMETRY_RANK[a.geometry_type] - GEOMETRY_RANK[b.geometry_type]);
    if (state.grid) {
      state.retired.push(state.grid);
    }
    state.grid = metas.length ? tileSource(map, metas).addTo(map) : null;
    if (!state.grid || !state.grid.isLoading()) {
      retireOldSources(map);
    }
    showBusy();
  }

  /** Mark the page busy while the map moves or tiles load (a progress cursor; the browser tests wait on it). */
  function showBusy() {
    const loading = Boolean(state.grid && state.grid.isLoading());
    document.body.classList.toggle("busy", state.moving || loading);
  }

  /** The short status after a layer's name: a hint when the zoom is outside the layer's range. */
  function statusText(map, entry) {
    const meta = entry.meta;
    const zoom = map.getZoom();
    if (zoom < meta.minzoom) {
      return `放大至 ${meta.minzoom} 级`;
    }
    if (zoom > meta.maxzoom) {
      return `缩小至 ${meta.maxzoom} 级`;
    }
    return "";
  }

  /** Write each layer's zoom hint and grey out the layers outside their zoom range (the tiles omit them). */
  function showStatus(map) {
    state.entries.forEach((entry) => {
      entry.statusEl.textContent = statusText(map, entry);
      entry.itemEl.classList.toggle("out-of-zoom", !inZoomRange(entry.meta, map.getZoom()));
    });
  }

  /** The colour chip before a layer's name, in the current theme. */
  function paintSwatch(entry) {
    const style = entry.meta.style[state.theme];
    entry.swatchEl.style.background = style.ramp
      ? `linear-gradient(90deg, ${style.ramp.stops.map(([, colour]) => colour).join(", ")})`
      : style.fillColor || style.color;
    entry.swatchEl.style.borderColor = style.color;
    entry.swatchEl.classList.toggle("point", GEOMETRY_RANK[entry.meta.geometry_type] === 2);
    entry.swatchEl.classList.toggle("line", entry.meta.geometry_type === "LineString");
  }

  /** One line of the layer panel: checkbox, colour chip, Chinese title and status. */
  function layerItem(map, entry) {
    const item = document.createElement("li");
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.checked = entry.enabled;
    box.dataset.layer = entry.meta.name;
    box.addEventListener("change", () => {
      entry.enabled = box.checked;
      showCheckedLayers(map);
    });
    entry.swatchEl = document.createElement("span");
    entry.swatchEl.className = "swatch";
    const title = document.createElement("span");
    title.className = "layer-title";
    title.textContent = entry.meta.title;
    entry.statusEl = document.createElement("span");
    entry.statusEl.className = "layer-status";
    label.append(box, entry.swatchEl, title, entry.statusEl);
    item.append(label);
    entry.itemEl = item;
    paintSwatch(entry);
    return item;
  }

  /** Fill the 图层 panel with one line per layer the user may read. */
  function renderLayerList(map) {
    const list = document.getElementById("layer-list");
    list.replaceChildren(...state.entries.map((entry) => layerItem(map, entry)));
  }

  /** Switch between the light and dark styles (background, panel and every drawn feature). */
  function applyTheme(theme) {
    state.theme = theme;
    localStorage.setItem(THEME_KEY, theme);
    document.body.classList.toggle("theme-dark", theme === "dark");
    document.body.classList.toggle("theme-light", theme !== "dark");
    document.querySelectorAll(".theme-switch button").forEach((button) => {
      button.setAttribute("aria-pressed", String(button.dataset.theme === theme));
    });
    state.entries.forEach(paintSwatch);
    [state.grid, ...state.retired].forEach((grid) => grid && grid.restyle());
  }

  /** Wire the 浅色/深色 buttons. */
  function bindThemeSwitch() {
    document.querySelectorAll(".theme-switch button").forEach((button) => {
      button.addEventListener("click", () => applyTheme(button.dataset.theme));
    });
  }

  /** The header's user line: name, role in Chinese and jurisdiction. */
  async function showUser() {
    state.sessionCheckedAt = Date.now();
    const me = await getJSON(config.meUrl);
    const role = config.roles[me.role] || me.role;
    // "*": the whole platform; empty: no jurisdiction (the account sees no features).
    const code = me.jurisdiction_code;
    const scope = code === "*" ? " · 辖区 全平台" : code ? ` · 辖区 ${code}` : " · 未分配辖区";
    document.getElementById("user-info").textContent = `${me.username}（${role}）${scope}`;
  }

  /** Re-read the user line when it is older than SESSION_CHECK_MS (a lost session goes to the login page). */
  function checkSession() {
    if (Date.now() - state.sessionCheckedAt > SESSION_CHECK_MS) {
      showUser().catch((error) => console.error("用户信息加载失败", error));
    }
  }

  /** A view from the address hash ``#zoom/lat/lon``, or null. */
  function viewFromHash() {
    const parts = window.location.hash.slice(1).split("/").map(Number);
    if (parts.length !== 3 || parts.some((part) => !Number.isFinite(part))) {
      return null;
    }
    return { zoom: parts[0], lat: parts[1], lon: parts[2] };
  }

  /** Keep the current view in the address hash, so a link reopens it. */
  function writeHash(map) {
    const centre = map.getCenter();
    const hash = `#${map.getZoom()}/${centre.lat.toFixed(5)}/${centre.lng.toFixed(5)}`;
    window.history.replaceState(null, "", hash);
  }

  /** Follow a hash typed or pasted into the address bar. */
  function followHash(map) {
    window.addEventListener("hashchange", () => {
      const view = viewFromHash();
      if (view) {
        map.setView([view.lat, view.lon], view.zoom);
      }
    });
  }

  /** The extent of the districts layer (from the GeoJSON API), or null when it is missing, empty or fails to load. */
  async function districtBounds() {
    const districts = state.metaByName.get("districts");
    if (!districts) {
      return null;
    }
    try {
      const bounds = L.geoJSON(await getJSON(`${districts.features}?limit=100`)).getBounds();
      return bounds.isValid() ? bounds : null;
    } catch (error) {
      console.warn("区县范围不可用，使用默认视图", error);
      return null;
    }
  }

  /** Open on the hash's view (also one typed while the districts loaded), else on the extent of
   * the districts layer, else on the fallback view. */
  async function setInitialView(map) {
    const bounds = viewFromHash() ? null : await districtBounds();
    const view = viewFromHash();
    if (view) {
      map.setView([view.lat, view.lon], view.zoom);
    } else if (bounds) {
      map.fitBounds(bounds, { padding: [20, 20] });
    } else {
      map.setView([config.fallback.lat, config.fallback.lon], config.fallback.zoom);
    }
  }

  /** The Leaflet map without any external base layer: the CSS background is the base. */
  function createMap() {
    const map = L.map("map", { zoomControl: true, maxZoom: config.maxZoom });
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    L.control.scale({ imperial: false }).addTo(map);
    document.dispatchEvent(new CustomEvent("gridcity:map", { detail: map }));  // for geocode.js
    return map;
  }

  /** Load the user and the layer list, open the first view, then draw the checked layers' tiles. */
  async function start() {
    const map = createMap();
    state.clusterTooltip = L.tooltip({ direction: "top", offset: [0, -6] });
    bindThemeSwitch();
    showUser().catch((error) => console.error("用户信息加载失败", error));
    loadClassNames().catch((error) => console.warn("部件类别名称不可用", error));
    const { layers } = await getJSON(config.layersUrl);
    state.metaByName = new Map(layers.map((meta) => [meta.name, meta]));
    // Each layer says whether it is switched on when the map opens (the registry's default_on).
    state.entries = layers.map((meta) => ({ meta, enabled: meta.default_on === true }));
    renderLayerList(map);
    applyTheme(state.theme);
    followHash(map);
    await setInitialView(map);
    map.on("movestart", () => {
      state.moving = true;
      showBusy();
    });
    map.on("moveend", () => {
      state.moving = false;
      writeHash(map);
      showStatus(map);
      showBusy();
      checkSession();
    });
    writeHash(map);
    showStatus(map);
    showCheckedLayers(map);
    // Overlays of other packages (the fleet's live vehicles and playback) draw on the same map.
    document.dispatchEvent(new CustomEvent("gridcity:map-ready", { detail: { map, config } }));
  }

  start().catch((error) => {
    document.getElementById("layer-list").innerHTML = `<li class="error">图层加载失败：${escapeHtml(error.message)}</li>`;
  });
})();
