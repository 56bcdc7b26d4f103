/*
 * The fleet on the web map 一张图: live vehicles and people pushed by server-sent events
 * (GET /api/vehicles/live/stream/, fed by PostgreSQL LISTEN/NOTIFY; no polling), drawn as arrows
 * turned to their heading and coloured by status (moving / stopped / offline by the signal
 * timeout 信号接收超时), a track playback bar: a vehicle's fixes in a time window drawn coloured
 * by speed and replayed at ×1–×64 along a timeline, and a right click on the map asks for the
 * nearest available vehicles online (GET /api/fleet/nearest/, e.g. for a full-bin report).
 *
 * It waits for the map page's "gridcity:map-ready" event (webmap/map.js) and adds itself to the map.
 */
(function () {
  "use strict";

  /** km/h → colour of a track segment (the highest stop reached). */
  const SPEED_COLOURS = [[0, "#2e86c1"], [10, "#27ae60"], [30, "#d4ac0d"], [50, "#e67e22"], [70, "#c0392b"]];
  /** Slower than this a vehicle is stopped (as the server's working-hours rule). */
  const MOVING_KMH = 3;
  /** Statuses are re-judged this often, so a silent vehicle turns offline without any event. */
  const STATUS_SWEEP_MS = 10000;
  const SPEEDS = [1, 2, 4, 8, 16, 32, 64];
  const STATUS_NAMES = { moving: "行驶", stopped: "停车", offline: "离线" };

  const state = { map: null, urls: null, layer: null, markers: new Map(), timeout: 300, playback: null,
    toEdited: false };

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  }

  function status(v) {
    if (!v.time || Date.now() - Date.parse(v.time) > state.timeout * 1000) {
      return "offline";
    }
    return (v.speed || 0) >= MOVING_KMH ? "moving" : "stopped";
  }

  function icon(v) {
    const st = status(v);
    const shape = v.category === "person" ? "gc-person" : "gc-arrow";
    const turn = v.category === "person" ? 0 : (v.heading || 0);
    return L.divIcon({
      className: `gc-vehicle gc-vehicle-${st}`,
      html: `<span class="${shape}" data-vehicle="${v.id}" data-status="${st}" style="transform: rotate(${turn}deg)"></span>`,
      iconSize: [22, 22],
      iconAnchor: [11, 11],
    });
  }

  function popup(v) {
    const when = v.time ? new Date(v.time).toLocaleString("zh-CN") : "—";
    return `<div class="gc-popup"><strong>${escapeHtml(v.label)}</strong> ${escapeHtml(v.kind_name)}<br>`
      + `状态：${STATUS_NAMES[status(v)]}　速度：${v.speed == null ? "—" : v.speed.toFixed(0)} km/h<br>`
      + `定位时间：${escapeHtml(when)}<br>`
      + `<button type="button" class="gc-replay" data-replay="${v.id}">轨迹回放</button></div>`;
  }

  function upsert(v) {
    const known = state.markers.get(v.id);
    if (known) {
      known.v = v;
      known.marker.setLatLng([v.lat, v.lon]).setIcon(icon(v));
      known.marker.setPopupContent(popup(v));
    } else {
      const marker = L.marker([v.lat, v.lon], { icon: icon(v), title: v.label, keyboard: false })
        .bindTooltip(escapeHtml(v.label), { direction: "top", offset: [0, -10] })
        .bindPopup(popup(v));
      marker.addTo(state.layer);
      state.markers.set(v.id, { marker, v });
    }
  }

  function showCounts() {
    const counts = { moving: 0, stopped: 0, offline: 0 };
    state.markers.forEach(({ v }) => { counts[status(v)] += 1; });
    document.getElementById("fleet-counts").textContent =
      `行驶 ${counts.moving} · 停车 ${counts.stopped} · 离线 ${counts.offline}`;
  }

  function connect() {
    const source = new EventSource(state.urls.stream, { withCredentials: true });
    source.addEventListener("snapshot", (event) => {
      const data = JSON.parse(event.data);
      state.timeout = data.signal_timeout;
      state.layer.clearLayers();
      state.markers.clear();
      data.vehicles.forEach(upsert);
      showCounts();
    });
    source.addEventListener("positions", (event) => {
      JSON.parse(event.data).vehicles.forEach(upsert);
      showCounts();
    });
    // EventSource reconnects by itself (the server ends each stream after a while, and on a restart).
  }

  function sweep() {
    state.markers.forEach(({ marker, v }) => marker.setIcon(icon(v)));
    showCounts();
  }

  // --- playback -------------------------------------------------------------------------------

  function speedColour(kmh) {
    let colour = SPEED_COLOURS[0][1];
    SPEED_COLOURS.forEach(([at, c]) => { if ((kmh || 0) >= at) colour = c; });
    return colour;
  }

  function localInput(date) {
    const pad = (n) => String(n).padStart(2, "0");
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
  }

  function buildPanel() {
    const aside = document.querySelector("aside.panel");
    const section = document.createElement("section");
    section.className = "fleet-panel";
    section.innerHTML = `<h2>车辆</h2>
      <label class="fleet-toggle"><input type="checkbox" id="fleet-live" checked> 实时位置</label>
      <p id="fleet-counts" class="muted">正在连接…</p>
      <h3>轨迹回放</h3>
      <select id="playback-vehicle" aria-label="车辆"><option value="">选择车辆…</option></select>
      <label>从 <input type="datetime-local" id="playback-from"></label>
      <label>至 <input type="datetime-local" id="playback-to"></label>
      <button type="button" id="playback-load">加载轨迹</button>
      <p id="playback-info" class="muted"></p>`;
    aside.appendChild(section);
    const now = new Date();
    const midnight = new Date(now.getFullYear(), now.getMonth(), now.getDate());
    document.getElementById("playback-from").value = localInput(midnight);
    document.getElementById("playback-to").value = localInput(new Date(now.getTime() + 60000));
    document.getElementById("fleet-live").addEventListener("change", (event) => {
      if (event.target.checked) state.layer.addTo(state.map); else state.layer.remove();
    });
    document.getElementById("playback-load").addEventListener("click", loadTrack);
    // Until the user picks an end, the window ends now (at each load, not when the page opened).
    document.getElementById("playback-to").addEventListener("change", () => { state.toEdited = true; });

    const bar = document.createElement("div");
    bar.id = "playback-bar";
    bar.className = "playback-bar";
    bar.hidden = true;
    bar.innerHTML = `<button type="button" id="playback-play" aria-label="播放">▶</button>
      <select id="playback-speed" aria-label="倍速">${SPEEDS.map((s) => `<option value="${s}"${s === 8 ? " selected" : ""}>×${s}</option>`).join("")}</select>
      <input type="range" id="playback-timeline" min="0" max="1000" value="0" aria-label="时间轴">
      <span id="playback-time"></span><span id="playback-speed-now"></span>`;
    document.body.appendChild(bar);
    document.getElementById("playback-play").addEventListener("click", togglePlay);
    document.getElementById("playback-timeline").addEventListener("input", (event) => {
      const p = state.playback;
      if (p) {
        p.t = p.start + (p.end - p.start) * Number(event.target.value) / 1000;
        showAt(p.t);
      }
    });
    document.addEventListener("click", (event) => {
      const id = event.target && event.target.dataset && event.target.dataset.replay;
      if (id) {
        document.getElementById("playback-vehicle").value = id;
        loadTrack();
      }
    });
  }

  async function fillVehicles() {
    const response = await fetch(state.urls.vehicles, { credentials: "same-origin" });
    if (!response.ok) return;
    const { vehicles } = await response.json();
    const select = document.getElementById("playback-vehicle");
    vehicles.forEach((v) => {
      const option = document.createElement("option");
      option.value = v.id;
      option.textContent = `${v.plate || v.name} ${v.kind_name}`;
      select.appendChild(option);
    });
  }

  async function loadTrack() {
    const id = document.getElementById("playback-vehicle").value;
    const info = document.getElementById("playback-info");
    if (!id) { info.textContent = "请先选择车辆"; return; }
    if (!state.toEdited) {
      document.getElementById("playback-to").value = localInput(new Date(Date.now() + 60000));
    }
    const from = new Date(document.getElementById("playback-from").value).toISOString();
    const to = new Date(document.getElementById("playback-to").value).toISOString();
    const url = `${state.urls.vehicles}${id}/track/?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
    const response = await fetch(url, { credentials: "same-origin" });
    const body = await response.json();
    if (!response.ok) { info.textContent = body.detail; return; }
    stopPlayback();
    if (!body.points.length) { info.textContent = "该时段没有定位数据"; return; }
    const layer = L.layerGroup().addTo(state.map);
    for (let i = 1; i < body.points.length; i += 1) {
      const [, lon0, lat0] = body.points[i - 1];
      const [, lon1, lat1, speed] = body.points[i];
      L.polyline([[lat0, lon0], [lat1, lon1]], { color: speedColour(speed), weight: 4, opacity: 0.9,
        className: "gc-track" }).addTo(layer);
    }
    const [t0, lon, lat] = body.points[0];
    const marker = L.circleMarker([lat, lon], { radius: 7, color: "#fff", weight: 2, fillColor: "#8e44ad",
      fillOpacity: 1, className: "gc-playback-marker" }).addTo(layer);
    state.playback = { points: body.points, layer, marker, start: t0, end: body.points[body.points.length - 1][0],
      t: t0, playing: false, last: 0, index: 0 };
    state.map.fitBounds(L.latLngBounds(body.points.map((p) => [p[2], p[1]])), { padding: [40, 40] });
    info.textContent = `${body.label}：${body.count} 个定位点`;
    document.getElementById("playback-bar").hidden = false;
    showAt(t0);
  }

  function showAt(t) {
    const p = state.playback;
    const pts = p.points;
    let i = 0;
    while (i < pts.length - 2 && pts[i + 1][0] <= t) i += 1;
    const [ta, lona, lata, speed] = pts[i];
    const [tb, lonb, latb] = pts[Math.min(i + 1, pts.length - 1)];
    const f = tb > ta ? Math.min(Math.max((t - ta) / (tb - ta), 0), 1) : 0;
    p.marker.setLatLng([lata + (latb - lata) * f, lona + (lonb - lona) * f]);
    document.getElementById("playback-timeline").value = String(Math.round((t - p.start) / Math.max(p.end - p.start, 1) * 1000));
    document.getElementById("playback-time").textContent = new Date(t * 1000).toLocaleTimeString("zh-CN");
    document.getElementById("playback-speed-now").textContent = speed == null ? "" : ` ${speed.toFixed(0)} km/h`;
  }

  function frame(now) {
    const p = state.playback;
    if (!p || !p.playing) return;
    const factor = Number(document.getElementById("playback-speed").value);
    p.t = Math.min(p.t + (now - p.last) / 1000 * factor, p.end);
    p.last = now;
    showAt(p.t);
    if (p.t >= p.end) { togglePlay(); return; }
    requestAnimationFrame(frame);
  }

  function togglePlay() {
    const p = state.playback;
    if (!p) return;
    p.playing = !p.playing;
    if (p.playing && p.t >= p.end) p.t = p.start;
    document.getElementById("playback-play").textContent = p.playing ? "⏸" : "▶";
    p.last = performance.now();
    if (p.playing) requestAnimationFrame(frame);
  }

  function stopPlayback() {
    if (state.playback) {
      state.playback.playing = false;
      state.playback.layer.remove();
      state.playback = null;
    }
  }

  /** Right click: the nearest available vehicles online to that point, in a popup. */
  async function nearest(event) {
    const { lat, lng } = event.latlng;
    const response = await fetch(`${state.urls.nearest}?lon=${lng}&lat=${lat}&limit=5`, { credentials: "same-origin" });
    const body = await response.json();
    const rows = response.ok
      ? body.vehicles.map((v) => `<li>${escapeHtml(v.label)} ${escapeHtml(v.kind_name)} · ${Math.round(v.distance_m)} m</li>`)
      : [`<li>${escapeHtml(body.detail)}</li>`];
    L.popup({ className: "gc-nearest" }).setLatLng(event.latlng)
      .setContent(`<strong>最近可调度车辆</strong><ol>${rows.join("") || "<li>没有在线的可调度车辆</li>"}</ol>`)
      .openOn(state.map);
  }

  function start(map, urls) {
    state.map = map;
    state.urls = urls;
    state.layer = L.layerGroup().addTo(map);
    buildPanel();
    fillVehicles().catch((error) => console.warn("车辆列表不可用", error));
    connect();
    setInterval(sweep, STATUS_SWEEP_MS);
    map.on("contextmenu", (event) => nearest(event).catch((error) => console.warn("最近车辆查询失败", error)));
  }

  document.addEventListener("gridcity:map-ready", (event) => start(event.detail.map, event.detail.config.fleet));
})();
