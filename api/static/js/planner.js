// The planner's page: the current plan on a map of the consortium, its key figures and charts,
// planning again with progress, and the comparison with today's practice. Vanilla JS and SVG
// drawn here: no framework, no map tiles, nothing from outside the service.
"use strict";

(() => {
  const PAGE = "planner";
  const SVG = "http://www.w3.org/2000/svg";
  // One colour a van (dark enough for 3:1 against the map and white).
  const COLOURS = ["#0b5394", "#b03a2e", "#1d6b35", "#7d3c98", "#b35900", "#00707a", "#6d4c41",
    "#ad1457"];
  const REASONS = {
    no_copy: ["Inget ledigt exemplar", "No available copy"],
    placed_after_horizon: ["Reserverad efter planeringsperioden", "Placed after the planning period"],
    ready_after_horizon: ["Klar först efter planeringsperioden", "Ready only after the planning period"],
    not_pulled_in_time: ["Kan inte plockas före periodens slut", "Cannot be pulled before the period ends"],
    waiting_at_end: ["Väntar kvar när perioden slutar", "Still waiting when the period ends"],
    no_staffed_hours: ["Ingen bemannad tid", "No staffed hours"],
    other: ["Annan orsak", "Other reason"],
  };
  const JOB_STATUS = {
    queued: ["I kö", "Queued"],
    running: ["Planerar", "Planning"],
    done: ["Klar", "Done"],
    failed: ["Misslyckades", "Failed"],
  };

  const state = {
    plan: null, // GET /plans/current
    runs: [], // GET /plans/current/runs
    details: new Map(), // "day/van" -> GET /plans/current/runs/{day}/{van}
    branches: [],
    vans: new Map(), // van_id -> van
    outlines: { type: "FeatureCollection", features: [] },
    comparison: null, // GET /plans/compare
    day: null,
    hidden: new Set(), // vans switched off in the legend
  };

  const $ = (id) => document.getElementById(id);
  const tr = (pair) => BK.t(pair[0], pair[1]);
  const locale = () => (BK.lang() === "en" ? "en-GB" : "sv-SE");
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function number(value, digits = 0) {
    if (value === null || value === undefined) return "–";
    return new Intl.NumberFormat(locale(), {
      minimumFractionDigits: digits, maximumFractionDigits: digits,
    }).format(value);
  }

  function percent(value) {
    if (value === null || value === undefined) return "–";
    return new Intl.NumberFormat(locale(), { style: "percent", maximumFractionDigits: 1 })
      .format(value);
  }

  function longDate(iso) {
    const [y, m, d] = iso.split("-").map(Number);
    return new Date(y, m - 1, d).toLocaleDateString(locale(), {
      weekday: "long", day: "numeric", month: "long", year: "numeric",
    });
  }

  function minutes(hhmm) {
    if (!hhmm) return null;
    const [h, m] = hhmm.split(":").map(Number);
    return h * 60 + m;
  }

  // An SVG element with attributes (and optional text).
  function el(name, attrs = {}, text) {
    const node = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) {
      if (v !== undefined && v !== null) node.setAttribute(k, String(v));
    }
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Empty an SVG but keep its <title> and <desc>.
  function clear(svg) {
    [...svg.childNodes].forEach((n) => {
      if (!(n.nodeName === "title" || n.nodeName === "desc")) n.remove();
    });
  }

  function status(text, kind = "info") {
    BK.say($("page-status"), text, kind);
  }

  function vanColour(vanId) {
    const vans = [...new Set([...state.vans.keys(), ...state.runs.map((r) => r.van_id)])].sort();
    return COLOURS[Math.max(0, vans.indexOf(vanId)) % COLOURS.length];
  }

  function figures(summary) {
    // the share within 2 working days from the transit-days histogram, as the API's compare
    const hist = summary.transit_days || {};
    const moved = summary.items_moved;
    const within2 = Object.entries(hist).filter(([k]) => Number(k) <= 2)
      .reduce((sum, [, n]) => sum + n, 0);
    return {
      km: summary.km,
      drive_hours: Math.round(summary.drive_minutes / 6) / 10,
      runs: summary.runs,
      crates: summary.crates,
      items_moved: moved,
      items_filled_on_the_spot: summary.items_filled_on_the_spot,
      items_unplanned: summary.items_unplanned,
      share_within_1_working_day: summary.share_within_1_working_day,
      share_within_2_working_days: moved ? Math.round((within2 / moved) * 10000) / 10000 : null,
      transit_days: hist,
    };
  }

  const FIGURE_FORMAT = {
    km: (v) => number(v, 1),
    drive_hours: (v) => number(v, 1),
    share_within_1_working_day: percent,
    share_within_2_working_days: percent,
  };

  // -- loading -------------------------------------------------------------------------------

  async function loadAll() {
    status(BK.t("Hämtar planen …", "Fetching the plan …"));
    try {
      const [branches, vans, outlines] = await Promise.all([
        BK.api("/branches", { page: PAGE }),
        BK.api("/vans", { page: PAGE }),
        BK.api("/geo/outlines"),
      ]);
      state.branches = branches;
      state.vans = new Map(vans.map((v) => [v.van_id, v]));
      state.outlines = outlines;
      try {
        state.plan = await BK.api("/plans/current", { page: PAGE });
      } catch (error) {
        if (!(error instanceof BK.ApiError && error.status === 404)) throw error;
        state.plan = null;
      }
      if (state.plan) {
        const [runs, comparison] = await Promise.all([
          BK.api("/plans/current/runs", { page: PAGE }),
          BK.api("/plans/compare", { page: PAGE }),
        ]);
        state.runs = runs.runs;
        state.comparison = comparison;
      } else {
        state.runs = [];
        state.comparison = null;
      }
      state.details.clear();
      const days = runDays();
      if (!days.includes(state.day)) state.day = days[0] ?? null;
      $("planner-app").hidden = false;
      await renderAll();
      status("");
      document.body.dataset.state = "ready";
      resumeComparisonJob();
    } catch (error) {
      failed(error);
    }
  }

  function failed(error) {
    if (error instanceof BK.ApiError && (error.status === 401 || error.status === 403)) {
      BK.setKey(PAGE, "");
      $("key-form").hidden = false;
      $("key-forget").hidden = true;
      $("planner-app").hidden = true;
      status(BK.t("Nyckeln godtogs inte: ange en planerarnyckel.",
        "The key was not accepted: enter a planner key."), "error");
      $("key-input").focus();
      return;
    }
    status(BK.t("Det gick inte att hämta planen: ", "The plan could not be fetched: ") +
      error.message, "error");
  }

  function runDays() {
    return [...new Set(state.runs.map((r) => r.day))].sort();
  }

  async function runDetails(run) {
    const id = run.day + "/" + run.van_id;
    if (!state.details.has(id)) {
      state.details.set(id, await BK.api(
        "/plans/current/runs/" + run.day + "/" + encodeURIComponent(run.van_id), { page: PAGE }));
    }
    return state.details.get(id);
  }

  // -- rendering -----------------------------------------------------------------------------

  async function renderAll() {
    renderPlanInfo();
    renderFigures();
    renderDaySelect();
    renderTransit();
    renderReasons();
    renderComparison();
    fillPlanForm();
    await renderDay();
  }

  function renderPlanInfo() {
    const p = state.plan;
    if (!p) {
      $("plan-info").textContent = BK.t("Det finns ingen plan ännu: planera nedan.",
        "There is no plan yet: plan below.");
      return;
    }
    $("plan-info").textContent = BK.t(
      `Plan ${p.plan_id}: ${p.days} dagar, ${longDate(p.start)} – ${longDate(p.end)}.`,
      `Plan ${p.plan_id}: ${p.days} days, ${longDate(p.start)} – ${longDate(p.end)}.`);
  }

  function renderFigures() {
    const f = state.plan ? figures(state.plan.summary) : {};
    document.querySelectorAll("[data-figure]").forEach((node) => {
      const key = node.dataset.figure;
      const value = f[key];
      node.dataset.value = value === undefined || value === null ? "" : String(value);
      node.textContent = (FIGURE_FORMAT[key] || number)(value);
    });
  }

  function renderDaySelect() {
    const select = $("day-select");
    select.innerHTML = "";
    for (const day of runDays()) {
      const n = state.runs.filter((r) => r.day === day).length;
      const option = new Option(
        longDate(day) + " – " + BK.t(`${n} körning${n === 1 ? "" : "ar"}`,
          `${n} run${n === 1 ? "" : "s"}`), day);
      select.append(option);
    }
    select.value = state.day ?? "";
    select.disabled = !state.day;
    $("no-runs").hidden = Boolean(state.day);
  }

  async function renderDay() {
    const runs = state.runs.filter((r) => r.day === state.day);
    const details = await Promise.all(runs.map(runDetails));
    drawMap(details);
    renderLegend(runs);
    renderRunsTable(runs);
    drawLoadChart(details);
    applyHidden();
  }

  // -- the map -------------------------------------------------------------------------------

  function outlineRings(feature) {
    const g = feature.geometry || {};
    if (g.type === "Polygon") return g.coordinates;
    if (g.type === "MultiPolygon") return g.coordinates.flat();
    return [];
  }

  // lon/lat to the SVG: x scaled by cos(latitude), fitted in `width` and at most `maxHeight`
  // (centred); the height is the map's own, at least `minHeight`.
  function projection(points, width, maxHeight, minHeight = 320, pad = 24) {
    const lats = points.map((p) => p[1]);
    const mid = ((Math.min(...lats) + Math.max(...lats)) / 2) * (Math.PI / 180);
    const k = Math.cos(mid);
    const xs = points.map((p) => p[0] * k);
    const ys = points.map((p) => -p[1]);
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const spanX = Math.max(x1 - x0, 0.01);
    const spanY = Math.max(y1 - y0, 0.01);
    const scale = Math.min((width - 2 * pad) / spanX, (maxHeight - 2 * pad) / spanY);
    const height = Math.max(minHeight, Math.round(spanY * scale + 2 * pad));
    const offX = (width - spanX * scale) / 2;
    const offY = (height - spanY * scale) / 2;
    const xy = ([lon, lat]) => [offX + (lon * k - x0) * scale, offY + (-lat - y0) * scale];
    return { xy, height };
  }

  function shortName(branch) {
    const words = branch.name.split(",")[0].replace(/\(.*?\)/g, "").split(/\s+/)
      .filter((w) => w && !/bibliotek/i.test(w));
    return words.join(" ") || branch.branch_id;
  }

  function drawMap(details) {
    const svg = $("map");
    clear(svg);
    const W = 600;
    const byId = new Map(state.branches.map((b) => [b.branch_id, b]));
    const points = state.branches.map((b) => [b.lon, b.lat]);
    state.outlines.features.forEach((f) => outlineRings(f).forEach((ring) => points.push(...ring)));
    if (!points.length) return;
    const { xy, height: H } = projection(points, W, 760);
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    const fmt = (p) => p.map((v) => v.toFixed(1)).join(" ");

    const land = el("g", { class: "planner-outlines" });
    for (const f of state.outlines.features) {
      const d = outlineRings(f).map((ring) => "M" + ring.map((c) => fmt(xy(c))).join("L") + "Z")
        .join("");
      const path = el("path", { d, "fill-rule": "evenodd" });
      const name = (f.properties || {}).kom_namn || (f.properties || {}).name;
      if (name) path.append(el("title", {}, name));
      land.append(path);
    }
    svg.append(land);

    // one path a van's run, in stop order: each leg a gentle arc bending to its right, so a
    // leg out and the leg back do not cover each other; vans apart by the arc's bend
    const routes = el("g", { class: "planner-routes" });
    details.forEach((run, i) => {
      const bend = 0.12 + 0.06 * i;
      const pts = run.stops.filter((s) => byId.has(s.branch_id))
        .map((s) => xy([byId.get(s.branch_id).lon, byId.get(s.branch_id).lat]));
      const colour = vanColour(run.van_id);
      let d = pts.length ? "M" + fmt(pts[0]) : "";
      const arrows = [];
      for (let j = 1; j < pts.length; j++) {
        const [[ax, ay], [bx, by]] = [pts[j - 1], pts[j]];
        const [dx, dy] = [bx - ax, by - ay];
        if (!dx && !dy) continue;
        // the control point: off the middle, to the right of the direction of travel
        const c = [(ax + bx) / 2 - dy * bend, (ay + by) / 2 + dx * bend];
        d += "Q" + fmt(c) + " " + fmt([bx, by]);
        if (Math.hypot(dx, dy) >= 36) {
          const mid = [(ax + 2 * c[0] + bx) / 4, (ay + 2 * c[1] + by) / 4];
          arrows.push([mid, (Math.atan2(dy, dx) * 180) / Math.PI]);
        }
      }
      const path = el("path", {
        class: "run", "data-van": run.van_id, d, stroke: colour, fill: "none",
      });
      path.append(el("title", {}, `${run.van_id}: ${number(run.km, 1)} km, ${stopNames(run)}`));
      routes.append(path);
      for (const [[x, y], angle] of arrows) {
        routes.append(el("path", {
          class: "run-arrow", "data-van": run.van_id, d: "M-6,-5L6,0L-6,5Z", fill: colour,
          transform: `translate(${x.toFixed(1)} ${y.toFixed(1)}) rotate(${angle.toFixed(0)})`,
          "aria-hidden": "true",
        }));
      }
    });
    svg.append(routes);

    const dots = el("g", { class: "planner-branches" });
    const served = new Set(details.flatMap((r) => r.stops.map((s) => s.branch_id)));
    for (const b of state.branches) {
      const [x, y] = xy([b.lon, b.lat]);
      const hub = b.kind === "hub";
      const g = el("g", {
        class: "branch" + (hub ? " hub" : "") + (served.has(b.branch_id) ? " served" : ""),
        "data-branch": b.branch_id,
      });
      g.append(el("title", {}, b.name + (hub ? BK.t(" (nav)", " (hub)") : "")));
      if (hub) {
        g.append(el("rect", { x: x - 7, y: y - 7, width: 14, height: 14,
          transform: `rotate(45 ${x.toFixed(1)} ${y.toFixed(1)})` }));
      } else {
        g.append(el("circle", { cx: x.toFixed(1), cy: y.toFixed(1), r: 5.5 }));
      }
      const left = x > W - 120;
      g.append(el("text", {
        x: (x + (left ? -10 : 10)).toFixed(1), y: (y + 4).toFixed(1),
        "text-anchor": left ? "end" : "start",
      }, shortName(b)));
      dots.append(g);
    }
    svg.append(dots);

    svg.dataset.day = state.day ?? "";
    $("map-title").textContent = state.day
      ? BK.t("Karta över körningarna ", "Map of the runs on ") + longDate(state.day)
      : BK.t("Karta över konsortiet", "Map of the consortium");
    $("map-desc").textContent = BK.t(
      `${state.branches.length} bibliotek och nav; ${details.length} körningar: `,
      `${state.branches.length} libraries and hubs; ${details.length} runs: `) +
      details.map((r) => `${r.van_id} (${stopNames(r)})`).join("; ");
  }

  function stopNames(run) {
    return run.stops.filter((s) => s.kind !== "break").map((s) => s.branch_name || s.branch_id)
      .join(" → ");
  }

  function renderLegend(runs) {
    const box = $("legend");
    box.innerHTML = "";
    for (const run of runs) {
      const id = "show-van-" + run.van_id.replace(/[^A-Za-z0-9_-]/g, "_");
      const wrap = document.createElement("span");
      wrap.className = "planner-legend-item";
      const input = document.createElement("input");
      Object.assign(input, { type: "checkbox", id, checked: !state.hidden.has(run.van_id) });
      input.dataset.van = run.van_id;
      input.addEventListener("change", () => {
        if (input.checked) state.hidden.delete(run.van_id);
        else state.hidden.add(run.van_id);
        applyHidden();
      });
      const label = document.createElement("label");
      label.htmlFor = id;
      const swatch = document.createElement("span");
      swatch.className = "planner-swatch";
      swatch.style.background = vanColour(run.van_id);
      swatch.setAttribute("aria-hidden", "true");
      label.append(swatch, document.createTextNode(run.van_id));
      wrap.append(input, label);
      box.append(wrap);
    }
  }

  function applyHidden() {
    document.querySelectorAll("#map [data-van], #load-chart [data-van]").forEach((node) => {
      node.style.display = state.hidden.has(node.dataset.van) ? "none" : "";
    });
  }

  function renderRunsTable(runs) {
    const body = $("runs-table").querySelector("tbody");
    body.innerHTML = "";
    for (const r of runs) {
      const row = body.insertRow();
      row.dataset.van = r.van_id;
      const van = row.insertCell();
      const swatch = document.createElement("span");
      swatch.className = "planner-swatch";
      swatch.style.background = vanColour(r.van_id);
      swatch.setAttribute("aria-hidden", "true");
      van.append(swatch, document.createTextNode(r.van_id));
      const cells = [[r.stops, true], [number(r.km, 1), true], [r.start ?? "–"], [r.end ?? "–"],
        [r.crates, true], [r.items, true]];
      for (const [text, num] of cells) {
        const cell = row.insertCell();
        cell.textContent = text;
        if (num) cell.className = "num";
      }
    }
  }

  // -- charts ----------------------------------------------------------------------------------

  function niceMax(value) {
    if (value <= 5) return Math.max(1, Math.ceil(value));
    const step = 10 ** Math.floor(Math.log10(value));
    return Math.ceil(value / (step / 2)) * (step / 2);
  }

  // Axes of a chart: y from 0 to max with a few ticks; returns the plotting frame.
  function axes(svg, { width, height, yMax, yLabel, xLabel }) {
    const f = { left: 44, right: width - 24, top: 14, bottom: height - 38 };
    const y = (v) => f.bottom - (v / yMax) * (f.bottom - f.top);
    const ticks = Math.min(yMax, 5);
    const g = el("g", { class: "planner-axis" });
    for (let i = 0; i <= ticks; i++) {
      const v = Math.round((yMax / ticks) * i * 10) / 10;
      g.append(el("line", { x1: f.left, x2: f.right, y1: y(v), y2: y(v), class: "grid" }));
      g.append(el("text", { x: f.left - 6, y: y(v) + 4, "text-anchor": "end" }, number(v)));
    }
    g.append(el("line", { x1: f.left, x2: f.right, y1: f.bottom, y2: f.bottom }));
    g.append(el("text", { x: (f.left + f.right) / 2, y: height - 4, "text-anchor": "middle",
      class: "axis-label" }, xLabel));
    g.append(el("text", { x: 12, y: (f.top + f.bottom) / 2, "text-anchor": "middle",
      class: "axis-label", transform: `rotate(-90 12 ${(f.top + f.bottom) / 2})` }, yLabel));
    svg.append(g);
    return { ...f, y };
  }

  function renderTransit() {
    const svg = $("transit-chart");
    clear(svg);
    const hist = state.plan ? state.plan.summary.transit_days || {} : {};
    const keys = Object.keys(hist).map(Number);
    const last = Math.max(3, ...keys);
    const days = Array.from({ length: last + 1 }, (_, k) => k);
    const counts = days.map((k) => hist[String(k)] || 0);
    const total = counts.reduce((a, b) => a + b, 0);
    $("transit-title").textContent = BK.t("Transporttid i arbetsdagar: ", "Transit working days: ") +
      days.map((k, i) => `${k}: ${counts[i]}`).join(", ");
    const f = axes(svg, {
      width: 460, height: 220, yMax: niceMax(Math.max(...counts, 1)),
      yLabel: BK.t("föremål", "items"), xLabel: BK.t("arbetsdagar", "working days"),
    });
    const slot = (f.right - f.left) / days.length;
    days.forEach((k, i) => {
      const x = f.left + slot * i + slot * 0.15;
      const h = f.bottom - f.y(counts[i]);
      const bar = el("rect", { x, y: f.y(counts[i]), width: slot * 0.7, height: h,
        class: "bar" + (k <= 1 ? " fast" : k <= 2 ? " ok" : " slow"), "data-days": k,
        "data-count": counts[i] });
      bar.append(el("title", {}, BK.t(`${k} arbetsdagar: ${counts[i]} föremål`,
        `${k} working days: ${counts[i]} items`)));
      svg.append(bar);
      svg.append(el("text", { x: x + slot * 0.35, y: f.bottom + 16, "text-anchor": "middle" },
        k === last && keys.some((n) => n > last) ? `${k}+` : String(k)));
      if (counts[i]) {
        svg.append(el("text", { x: x + slot * 0.35, y: f.y(counts[i]) - 4, "text-anchor": "middle",
          class: "value" }, number(counts[i])));
      }
    });
    if (!total) {
      svg.append(el("text", { x: 250, y: 100, "text-anchor": "middle", class: "empty" },
        BK.t("Inga föremål med bilen", "No items moved by van")));
    }
  }

  function drawLoadChart(details) {
    const svg = $("load-chart");
    clear(svg);
    const lines = details.map((run) => {
      const pts = [];
      let load = 0;
      for (const s of run.stops) {
        const arr = minutes(s.arrival);
        const dep = minutes(s.departure);
        if (arr !== null) pts.push([arr, load]);
        load = s.load_after;
        if (arr !== null) pts.push([arr, load]);
        if (dep !== null) pts.push([dep, load]);
      }
      return { run, pts };
    });
    const times = lines.flatMap((l) => l.pts.map((p) => p[0]));
    const loads = lines.flatMap((l) => l.pts.map((p) => p[1]));
    $("load-title").textContent = BK.t("Last i backar under dagen: ", "Load in crates over the day: ") +
      lines.map((l) => `${l.run.van_id} ${BK.t("högst", "at most")} ${Math.max(0, ...l.pts.map((p) => p[1]))}`)
        .join("; ");
    if (!times.length) return;
    const t0 = Math.floor(Math.min(...times) / 60) * 60;
    const t1 = Math.max(Math.ceil(Math.max(...times) / 60) * 60, t0 + 60);
    const f = axes(svg, {
      width: 460, height: 240, yMax: niceMax(Math.max(...loads, 1)),
      yLabel: BK.t("backar i bilen", "crates in the van"), xLabel: BK.t("klockslag", "time of day"),
    });
    const x = (t) => f.left + ((t - t0) / (t1 - t0)) * (f.right - f.left);
    const stepHours = t1 - t0 > 8 * 60 ? 2 : 1;
    for (let t = t0; t <= t1; t += 60 * stepHours) {
      svg.append(el("text", { x: x(t), y: f.bottom + 16, "text-anchor": "middle" }, BK.hhmm(t)));
    }
    for (const { run, pts } of lines) {
      const colour = vanColour(run.van_id);
      const path = el("path", {
        class: "load", "data-van": run.van_id, fill: "none", stroke: colour,
        d: "M" + pts.map(([t, v]) => `${x(t).toFixed(1)} ${f.y(v).toFixed(1)}`).join("L"),
      });
      const cap = state.vans.get(run.van_id)?.capacity_crates;
      path.append(el("title", {}, `${run.van_id}: ` + BK.t(
        `högst ${Math.max(...pts.map((p) => p[1]))} backar` + (cap ? ` av ${cap}` : ""),
        `at most ${Math.max(...pts.map((p) => p[1]))} crates` + (cap ? ` of ${cap}` : ""))));
      svg.append(path);
    }
  }

  function renderReasons() {
    const reasons = state.comparison ? state.comparison.current.unplanned_reasons : [];
    const total = state.plan ? state.plan.summary.items_unplanned : 0;
    const note = $("unplanned-total");
    note.textContent = total === 1
      ? BK.t("1 föremål eller reservation kunde inte planeras.",
        "1 item or reservation could not be planned.")
      : BK.t(`${number(total)} föremål eller reservationer kunde inte planeras.`,
        `${number(total)} items or reservations could not be planned.`);
    note.dataset.value = String(total);
    const body = $("reasons-table").querySelector("tbody");
    body.innerHTML = "";
    for (const r of reasons) {
      const row = body.insertRow();
      row.dataset.kind = r.kind;
      const what = row.insertCell();
      what.textContent = tr(REASONS[r.kind] || REASONS.other);
      const example = document.createElement("span");
      example.className = "planner-example";
      example.textContent = r.example;
      example.lang = "en";
      what.append(document.createElement("br"), example);
      const count = row.insertCell();
      count.className = "num";
      count.textContent = number(r.count);
    }
    $("reasons-table").hidden = reasons.length === 0;
  }

  // -- the comparison ------------------------------------------------------------------------

  const COMPARE_ROWS = [
    ["km", ["Körsträcka, km", "Distance, km"], (v) => number(v, 1), 1],
    ["drive_hours", ["Timmar ute", "Hours out"], (v) => number(v, 1), 1],
    ["runs", ["Körningar", "Van runs"], number, 0],
    ["crates", ["Backar", "Crates"], number, 0],
    ["items_moved", ["Föremål med bilen", "Items by van"], number, 0],
    ["share_within_1_working_day", ["Framme inom 1 arbetsdag", "Within 1 working day"], percent, "pp"],
    ["share_within_2_working_days", ["Framme inom 2 arbetsdagar", "Within 2 working days"], percent, "pp"],
    ["items_unplanned", ["Ej planerade", "Not planned"], number, 0],
  ];

  function difference(a, b, digits) {
    if (a === null || a === undefined || b === null || b === undefined) return "–";
    if (digits === "pp") {
      const pp = Math.round((b - a) * 1000) / 10;
      return (pp > 0 ? "+" : "") + number(pp, 1) + BK.t(" %-enh.", " pp");
    }
    const d = b - a;
    return (d > 0 ? "+" : "") + number(d, digits);
  }

  function renderComparison() {
    const c = state.comparison;
    const table = $("compare-table");
    const note = $("compare-note");
    if (!c || !c.practice) {
      table.hidden = true;
      note.textContent = state.plan
        ? BK.t("Ingen jämförelse är gjord ännu.", "No comparison has been made yet.")
        : "";
      return;
    }
    const cur = c.current.figures;
    const pr = c.practice.figures;
    const body = table.querySelector("tbody");
    body.innerHTML = "";
    for (const [key, label, fmt, digits] of COMPARE_ROWS) {
      const row = body.insertRow();
      row.dataset.figure = key;
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = tr(label);
      row.append(th);
      for (const [value, side] of [[cur[key], "current"], [pr[key], "practice"]]) {
        const cell = row.insertCell();
        cell.className = "num";
        cell.dataset.side = side;
        cell.dataset.value = value === null || value === undefined ? "" : String(value);
        cell.textContent = fmt(value);
      }
      const diff = row.insertCell();
      diff.className = "num";
      diff.textContent = difference(cur[key], pr[key], digits);
    }
    // the unplanned by kind of reason, under their total
    const counts = (side) => Object.fromEntries(side.unplanned_reasons.map((r) => [r.kind, r.count]));
    const [a, b] = [counts(c.current), counts(c.practice)];
    for (const kind of Object.keys(REASONS).filter((k) => k in a || k in b)) {
      const row = body.insertRow();
      row.className = "planner-reason-row";
      row.dataset.reason = kind;
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = tr(REASONS[kind]);
      row.append(th);
      for (const value of [a[kind] || 0, b[kind] || 0]) {
        const cell = row.insertCell();
        cell.className = "num";
        cell.textContent = number(value);
      }
      const diff = row.insertCell();
      diff.className = "num";
      diff.textContent = difference(a[kind] || 0, b[kind] || 0, 0);
    }
    table.hidden = false;
    const made = new Date(c.practice.created_at).toLocaleString(locale(), {
      dateStyle: "medium", timeStyle: "short" });
    note.textContent = c.same_demand
      ? BK.t(`Dagens praxis planerad ${made} för samma ${c.practice.days} dagar från ${c.practice.start}.`,
        `Today's practice planned ${made} for the same ${c.practice.days} days from ${c.practice.start}.`)
      : BK.t("Jämförelsen gjordes för en tidigare plan: beräkna den igen.",
        "The comparison was made for an earlier plan: compute it again.");
    note.dataset.kind = c.same_demand ? "ok" : "error";
  }

  // -- jobs: planning again, and the comparison ------------------------------------------------

  function fillPlanForm() {
    const start = $("plan-start");
    if (!start.value && state.plan) start.value = state.plan.start;
    if (!start.value) start.value = nextMonday();
    if (state.plan && !$("plan-days").dataset.touched) $("plan-days").value = state.plan.days;
    $("compare-button").disabled = !state.plan || Boolean(followed.compare);
  }

  function nextMonday() {
    const d = new Date();
    d.setDate(d.getDate() + ((8 - d.getDay()) % 7 || 7));
    return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" +
      String(d.getDate()).padStart(2, "0");
  }

  const followed = { plan: null, compare: null }; // the job each box is following

  function jobText(job) {
    const day = /day (\d+)\/(\d+)/.exec(job.message || "");
    let text = tr(JOB_STATUS[job.status] || [job.status, job.status]);
    if (job.status === "running" || job.status === "queued") {
      text += " – " + percent(job.progress);
      if (day) text += BK.t(` (dag ${day[1]} av ${day[2]})`, ` (day ${day[1]} of ${day[2]})`);
    } else if (job.status === "done") {
      text += job.plan_id
        ? BK.t(`: plan ${job.plan_id} är nu aktuell.`, `: plan ${job.plan_id} is now current.`)
        : BK.t(": jämförelsen är uppdaterad.", ": the comparison is updated.");
    } else if (job.status === "failed") {
      text += ": " + job.message;
    }
    return text;
  }

  async function follow(kind, job, prefix = "") {
    const box = $(kind + "-job");
    const bar = $(kind + "-progress");
    const text = $(kind + "-progress-text");
    const button = $(kind + "-button");
    followed[kind] = job.job_id;
    box.hidden = false;
    box.dataset.status = job.status;
    button.disabled = true;
    try {
      for (;;) {
        bar.value = job.status === "done" ? 1 : job.progress;
        box.dataset.status = job.status;
        text.dataset.kind = job.status === "failed" ? "error" : job.status === "done" ? "ok" : "info";
        text.textContent = prefix + jobText(job);
        if (job.status === "done" || job.status === "failed") break;
        await sleep(400);
        job = await BK.api("/plans/jobs/" + encodeURIComponent(job.job_id), { page: PAGE });
      }
    } catch (error) {
      text.dataset.kind = "error";
      text.textContent = BK.t("Det gick inte att följa jobbet: ", "The job could not be followed: ") +
        error.message;
    } finally {
      followed[kind] = null;
      button.disabled = false;
    }
    if (job.status === "done") {
      await loadAll();
      text.textContent = jobText(job);
    }
  }

  // POST a job. Not through BK.api: a 409's body carries the job holding the slot.
  async function startJob(kind, path, body) {
    const text = $(kind + "-progress-text");
    $(kind + "-job").hidden = false;
    $(kind + "-progress").value = 0;
    text.dataset.kind = "info";
    text.textContent = BK.t("Startar …", "Starting …");
    try {
      const answer = await fetch(path, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-API-Key": BK.key(PAGE) },
        body: JSON.stringify(body),
      });
      const reply = await answer.json().catch(() => ({}));
      if (answer.status === 409 && reply.job) {
        await follow(kind, reply.job, BK.t("En annan planering pågår: ", "Another job is running: "));
        return;
      }
      if (!answer.ok) {
        const detail = typeof reply.detail === "string" ? reply.detail : answer.statusText;
        throw new BK.ApiError(answer.status, detail);
      }
      await follow(kind, reply);
    } catch (error) {
      text.dataset.kind = "error";
      text.textContent = BK.t("Det gick inte att starta: ", "Could not start: ") + error.message;
    }
  }

  function resumeComparisonJob() {
    const job = state.comparison && state.comparison.job;
    if (job && (job.status === "queued" || job.status === "running") && !followed.compare) {
      follow("compare", job);
    }
  }

  function seconds(input) {
    const value = parseFloat(input.value);
    return Number.isFinite(value) && value > 0 ? value : undefined;
  }

  // -- start -----------------------------------------------------------------------------------

  document.addEventListener("DOMContentLoaded", () => {
    $("day-select").addEventListener("change", (event) => {
      state.day = event.target.value;
      renderDay();
    });
    $("plan-days").addEventListener("input", (event) => {
      event.target.dataset.touched = "1";
    });
    $("plan-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const body = { start: $("plan-start").value, days: Number($("plan-days").value) };
      const s = seconds($("plan-seconds"));
      if (s) body.seconds = s;
      startJob("plan", "/plans", body);
    });
    $("compare-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const s = seconds($("compare-seconds"));
      startJob("compare", "/plans/compare", s ? { seconds: s } : {});
    });
    document.addEventListener("bokflyt:lang", () => {
      if (!$("planner-app").hidden) renderAll();
    });
    BK.keyForm(PAGE, loadAll);
  });
})();
