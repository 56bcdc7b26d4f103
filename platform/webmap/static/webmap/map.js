/*
 * gridcity web map 一张图: the layer registry (GET /api/layers/) drawn from each layer's GeoJSON
 * features endpoint for the current view, over a plain light or dark background (no external
 * base map). Coordinates are EPSG:4490 lon/lat, which Leaflet draws directly as if WGS84.
 */
(function () {
  "use strict";

  /** Features fetched per layer and view; more than this shows a "zoom in" notice. */
  const FEATURE_LIMIT = 2000;
  /** Layers switched on when the map opens: the administrative outlines, unit grids and components. */
  const DEFAULT_ON = ["districts", "streets", "communities", "unit_grids", "components"];
  /** Stacking of panes: polygons below lines below points ("Geometry" layers are mostly points). */
  const GEOMETRY_RANK = { Polygon: 0, LineString: 1, Point: 2, Geometry: 2 };
  const THEME_KEY = "gridcity.theme";

  const config = JSON.parse(document.getElementById("webmap-config").textContent);
  const state = {
    theme: localStorage.getItem(THEME_KEY) === "dark" ? "dark" : "light",
    entries: [],
    moving: false,
    /** Display names of coded values by field name, e.g. component classes as "0101 上水井盖". */
    valueNames: {},
  };

  /** GET a JSON document with the session cookie; a lost session goes back to the login page. */
  async function getJSON(url, signal) {
    const response = await fetch(url, {
      credentials: "same-origin", headers: { Accept: "application/json" }, signal,
    });
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

  /** A property as shown in a popup: its display name when it is a known code, else formatted. */
  function displayValue(field, value) {
    const names = state.valueNames[field.name];
    return names && names.has(value) ? names.get(value) : formatValue(value);
  }

  /** The popup of a feature: the layer title and label, then every field under its Chinese title. */
  function popupHtml(meta, feature) {
    const props = feature.properties || {};
    const label = props[meta.label_field];
    const rows = meta.fields.map((field) =>
      `<tr><th>${escapeHtml(field.title)}</th><td>${escapeHtml(displayValue(field, props[field.name]))}</td></tr>`);
    const heading = label ? `${meta.title} ${label}` : meta.title;
    return `<div class="feature-popup"><h3>${escapeHtml(heading)}</h3><table>${rows.join("")}</table></div>`;
  }

  /** Leaflet path options of a layer in the current theme (the class names its SVG paths). */
  function pathStyle(entry) {
    return { ...entry.meta.style[state.theme], className: `gc-layer gc-${entry.meta.name}` };
  }

  /** Is the map's zoom inside the layer's zoom range? */
  function inZoomRange(meta, zoom) {
    return zoom >= meta.minzoom && zoom <= meta.maxzoom;
  }

  /** The view as ``minx,miny,maxx,maxy``, clamped to the valid lon/lat range. */
  function bboxParam(map) {
    const bounds = map.getBounds();
    const clamp = (value, limit) => Math.max(-limit, Math.min(limit, value));
    return [
      clamp(bounds.getWest(), 180), clamp(bounds.getSouth(), 90),
      clamp(bounds.getEast(), 180), clamp(bounds.getNorth(), 90),
    ].map((value) => value.toFixed(6)).join(",");
  }

  /** One registry layer on the map: its own pane (for stacking) and an empty GeoJSON group. */
  function makeEntry(map, meta, index) {
    const pane = `gc-pane-${meta.name}`;
    map.createPane(pane).style.zIndex = String(400 + GEOMETRY_RANK[meta.geometry_type] * 40 + index);
    const entry = {
      meta, enabled: DEFAULT_ON.includes(meta.name), counts: null, error: false, controller: null, drawn: new Map(),
    };
    entry.group = L.geoJSON(null, {
      pane,
      style: () => pathStyle(entry),
      pointToLayer: (feature, latlng) => L.circleMarker(latlng, { ...pathStyle(entry), pane }),
      onEachFeature: (feature, layer) => {
        entry.drawn.set(feature.id, layer);
        layer.bindPopup(() => popupHtml(meta, feature), { maxWidth: 360 });
      },
    }).addTo(map);
    return entry;
  }

  /** Show exactly ``features``: drop those gone from the view, add the new ones, keep the rest
   * (so the map does not flicker and an open popup stays open while the map pans). */
  function replaceFeatures(entry, features) {
    const ids = new Set(features.map((feature) => feature.id));
    entry.drawn.forEach((layer, id) => {
      if (!ids.has(id)) {
        entry.group.removeLayer(layer);
        entry.drawn.delete(id);
      }
    });
    entry.group.addData(features.filter((feature) => !entry.drawn.has(feature.id)));
  }

  /** Fetch the features of one layer for the current view (or clear it when off or out of zoom). */
  async function refreshEntry(map, entry) {
    if (entry.controller) {
      entry.controller.abort();
    }
    entry.controller = null;
    entry.error = false;
    if (!entry.enabled || !inZoomRange(entry.meta, map.getZoom())) {
      replaceFeatures(entry, []);
      entry.counts = null;
      return;
    }
    const controller = new AbortController();
    entry.controller = controller;
    const url = `${entry.meta.features}?bbox=${bboxParam(map)}&limit=${FEATURE_LIMIT}`;
    try {
      const data = await getJSON(url, controller.signal);
      replaceFeatures(entry, data.features);
      entry.counts = { matched: data.numberMatched, returned: data.numberReturned };
    } catch (error) {
      if (error.name === "AbortError") {
        return;
      }
      entry.counts = null;
      entry.error = true;
      console.error(`图层 ${entry.meta.name} 加载失败`, error);
    } finally {
      if (entry.controller === controller) {
        entry.controller = null;
      }
    }
  }

  /** Refresh one layer, then its line in the panel and the notice. */
  async function refreshAndShow(map, entry) {
    if (entry.enabled && inZoomRange(entry.meta, map.getZoom())) {
      showStatus(map, entry, "加载中…");
    }
    const done = refreshEntry(map, entry);
    showBusy();
    await done;
    if (!entry.controller) {
      showStatus(map, entry);
      showNotice();
    }
    showBusy();
  }

  /** Mark the page busy while the map moves or a layer loads (a progress cursor; the browser tests wait on it). */
  function showBusy() {
    const loading = state.entries.some((entry) => entry.controller);
    document.body.classList.toggle("busy", state.moving || loading);
  }

  /** Refresh every layer for the current view. */
  function refreshAll(map) {
    state.entries.forEach((entry) => refreshAndShow(map, entry));
  }

  /** The short status after a layer's name: feature count, zoom hint, loading or failure. */
  function statusText(map, entry) {
    const meta = entry.meta;
    const zoom = map.getZoom();
    if (zoom < meta.minzoom) {
      return `放大至 ${meta.minzoom} 级`;
    }
    if (zoom > meta.maxzoom) {
      return `缩小至 ${meta.maxzoom} 级`;
    }
    if (entry.error) {
      return "加载失败";
    }
    return entry.enabled && entry.counts ? String(entry.counts.matched) : "";
  }

  /** Write a layer's status (``text``, or the one its state implies) and grey it out of its zoom range. */
  function showStatus(map, entry, text) {
    entry.statusEl.textContent = text === undefined ? statusText(map, entry) : text;
    entry.itemEl.classList.toggle("out-of-zoom", !inZoomRange(entry.meta, map.getZoom()));
  }

  /** The floating notice naming each layer drawn only in part. */
  function showNotice() {
    const notice = document.getElementById("notice");
    const lines = state.entries
      .filter((entry) => entry.enabled && entry.counts && entry.counts.matched > entry.counts.returned)
      .map((entry) => `${entry.meta.title}：显示 ${entry.counts.returned} / ${entry.counts.matched} 个要素，请放大查看`);
    notice.innerHTML = lines.map((line) => `<div>${escapeHtml(line)}</div>`).join("");
    notice.hidden = lines.length === 0;
  }

  /** The colour chip before a layer's name, in the current theme. */
  function paintSwatch(entry) {
    const style = entry.meta.style[state.theme];
    entry.swatchEl.style.background = style.fillColor || style.color;
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
      refreshAndShow(map, entry);
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

  /** Switch between the light and dark styles (background, panel and every layer). */
  function applyTheme(theme) {
    state.theme = theme;
    localStorage.setItem(THEME_KEY, theme);
    document.body.classList.toggle("theme-dark", theme === "dark");
    document.body.classList.toggle("theme-light", theme !== "dark");
    document.querySelectorAll(".theme-switch button").forEach((button) => {
      button.setAttribute("aria-pressed", String(button.dataset.theme === theme));
    });
    state.entries.forEach((entry) => {
      entry.group.setStyle(pathStyle(entry));
      paintSwatch(entry);
    });
  }

  /** Wire the 浅色/深色 buttons. */
  function bindThemeSwitch() {
    document.querySelectorAll(".theme-switch button").forEach((button) => {
      button.addEventListener("click", () => applyTheme(button.dataset.theme));
    });
  }

  /** The header's user line: name, role in Chinese and jurisdiction. */
  async function showUser() {
    const me = await getJSON(config.meUrl);
    const role = config.roles[me.role] || me.role;
    const scope = me.jurisdiction_code ? ` · 辖区 ${me.jurisdiction_code}` : "";
    document.getElementById("user-info").textContent = `${me.username}（${role}）${scope}`;
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

  /** The extent of the districts layer, or null when it is missing, empty or fails to load. */
  async function districtBounds() {
    const districts = state.entries.find((entry) => entry.meta.name === "districts");
    if (!districts) {
      return null;
    }
    try {
      const bounds = L.geoJSON(await getJSON(`${districts.meta.features}?limit=100`)).getBounds();
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
    const map = L.map("map", { zoomControl: true });
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    L.control.scale({ imperial: false }).addTo(map);
    return map;
  }

  /** Load the user and the layer list, open the first view and refresh the layers on every move. */
  async function start() {
    const map = createMap();
    bindThemeSwitch();
    showUser().catch((error) => console.error("用户信息加载失败", error));
    loadClassNames().catch((error) => console.warn("部件类别名称不可用", error));
    const { layers } = await getJSON(config.layersUrl);
    state.entries = layers.map((meta, index) => makeEntry(map, meta, index));
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
      refreshAll(map);
    });
    writeHash(map);
    refreshAll(map);
  }

  start().catch((error) => {
    document.getElementById("layer-list").innerHTML = `<li class="error">图层加载失败：${escapeHtml(error.message)}</li>`;
  });
})();
