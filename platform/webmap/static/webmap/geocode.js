/*
 * Address search and "what is here" on the web map (GET /api/geocode/, GET /api/geocode/reverse/).
 *
 * The search box suggests candidates as one types (debounced; a newer answer replaces an older one,
 * a stale one is dropped). Choosing a candidate (click, or arrow keys and Enter) flies the map to it
 * and marks it with its standard address, level, score and the unit grid, community and street
 * codes. A right click on the map asks the reverse geocoder and shows the answer where one clicked.
 * The map itself comes from map.js through the "gridcity:map" event.
 */
(function () {
  "use strict";

  const DEBOUNCE_MS = 250;
  const SUGGESTIONS = 6;
  const FLY_ZOOM = 18;
  const LEVEL_NAMES = {
    door_plate: "门牌", interpolated: "门牌(插值)", intersection: "路口", street: "道路", zone: "地片/小区",
    poi: "兴趣点", region: "行政区",
  };

  const input = document.getElementById("geocode-input");
  const list = document.getElementById("geocode-suggestions");
  const state = { map: null, marker: null, asked: 0, candidates: [], active: -1, timer: null };

  function escapeHtml(text) {
    return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
      "'": "&#39;" })[c]);
  }

  async function getJSON(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      throw new Error(body.detail || `HTTP ${response.status}`);
    }
    return body;
  }

  /** The codes table of an answer: unit grid, community and street (code and name). */
  function codesHtml(answer) {
    const rows = [
      ["单元网格", answer.unit_grid ? answer.unit_grid.code : "—"],
      ["社区", answer.community ? `${answer.community.name} ${answer.community.code}` : "—"],
      ["街道", answer.street ? `${answer.street.name} ${answer.street.code}` : "—"],
    ];
    return `<table>${rows.map(([k, v]) => `<tr><th>${k}</th><td>${escapeHtml(v)}</td></tr>`).join("")}</table>`;
  }

  function candidateHtml(c) {
    return `<div class="feature-popup geocode-popup"><h3>${escapeHtml(c.address || c.name)}</h3>`
      + `<p class="muted">${LEVEL_NAMES[c.level] || c.level} · 匹配度 ${Math.round(c.score * 100)}%</p>`
      + codesHtml(c) + "</div>";
  }

  function hideSuggestions() {
    list.hidden = true;
    list.innerHTML = "";
    state.active = -1;
    input.setAttribute("aria-expanded", "false");
  }

  function renderSuggestions(body) {
    state.candidates = body.candidates;
    state.active = -1;
    if (!body.candidates.length) {
      list.innerHTML = `<li class="empty">${escapeHtml(body.reason || "没有找到")}</li>`;
    } else {
      list.innerHTML = body.candidates.map((c, i) => `<li role="option" data-index="${i}">`
        + `<span class="name">${escapeHtml(c.name)}</span>`
        + `<span class="level">${LEVEL_NAMES[c.level] || c.level}</span>`
        + `<span class="address">${escapeHtml(c.address)}</span></li>`).join("");
    }
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }

  async function suggest() {
    const q = input.value.trim();
    if (!q) {
      hideSuggestions();
      return;
    }
    const asked = ++state.asked;
    try {
      const body = await getJSON(`/api/geocode/?limit=${SUGGESTIONS}&q=${encodeURIComponent(q)}`);
      if (asked === state.asked) {
        renderSuggestions(body);
      }
    } catch (error) {
      if (asked === state.asked) {
        list.innerHTML = `<li class="empty">${escapeHtml(error.message)}</li>`;
        list.hidden = false;
      }
    }
  }

  function choose(index) {
    const c = state.candidates[index];
    if (!c || !state.map) {
      return;
    }
    hideSuggestions();
    input.value = c.name;
    if (state.marker) {
      state.marker.remove();
    }
    state.marker = L.circleMarker([c.lat, c.lon], { radius: 9, color: "#c0392b", weight: 3, fillOpacity: 0.3,
      className: "geocode-marker" }).addTo(state.map).bindPopup(candidateHtml(c));
    state.map.once("moveend", () => state.marker && state.marker.openPopup());
    state.map.flyTo([c.lat, c.lon], Math.max(FLY_ZOOM, state.map.getZoom()), { duration: 0.8 });
  }

  function highlight(step) {
    const items = list.querySelectorAll("li[data-index]");
    if (!items.length) {
      return;
    }
    state.active = (state.active + step + items.length) % items.length;
    items.forEach((item, i) => item.classList.toggle("active", i === state.active));
  }

  async function whatIsHere(event) {
    const { lat, lng } = event.latlng;
    const popup = L.popup({ className: "reverse-popup" }).setLatLng(event.latlng)
      .setContent('<div class="feature-popup"><p class="muted">正在查询…</p></div>').openOn(state.map);
    try {
      const body = await getJSON(`/api/geocode/reverse/?lon=${lng.toFixed(7)}&lat=${lat.toFixed(7)}`);
      popup.setContent(`<div class="feature-popup reverse-answer"><h3>这里是：${escapeHtml(body.description || "—")}</h3>`
        + `<p class="muted">${escapeHtml(body.address || body.reason || "")}</p>${codesHtml(body)}</div>`);
    } catch (error) {
      popup.setContent(`<div class="feature-popup"><p class="error">${escapeHtml(error.message)}</p></div>`);
    }
  }

  input.addEventListener("input", () => {
    clearTimeout(state.timer);
    state.timer = setTimeout(suggest, DEBOUNCE_MS);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      highlight(event.key === "ArrowDown" ? 1 : -1);
    } else if (event.key === "Enter") {
      event.preventDefault();
      choose(state.active >= 0 ? state.active : 0);
    } else if (event.key === "Escape") {
      hideSuggestions();
    }
  });
  list.addEventListener("mousedown", (event) => {
    const item = event.target.closest("li[data-index]");
    if (item) {
      event.preventDefault();
      choose(Number(item.dataset.index));
    }
  });
  input.addEventListener("blur", () => setTimeout(hideSuggestions, 150));
  document.addEventListener("gridcity:map", (event) => {
    state.map = event.detail;
    state.map.on("contextmenu", whatIsHere);
  });
})();
