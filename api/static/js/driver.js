// The driver's page: one van's run on one day as a route sheet for a phone — the stops in
// order with their times, the break, the crates to drop and collect, km and a total — and
// the route sheet's PDF to print.
"use strict";

(() => {
  const PAGE = "driver";
  const $ = (id) => document.getElementById(id);
  // loads: a counter, so that an answer for a day or van chosen before the last is dropped.
  const state = { plan: null, branches: {}, runs: [], run: null, pdfUrl: "", loads: 0 };

  const { el, count } = BK;

  function branchName(id) {
    const name = state.branches[id];
    return name ? `${name} (${id})` : id;
  }

  function errorText(error) {
    if (!(error instanceof BK.ApiError)) {
      return BK.t("Tjänsten svarar inte. Försök igen.", "The service does not answer. Try again.");
    }
    const d = error.detail;
    return Array.isArray(d) ? d.map((p) => p.msg).join("; ") : String(d);
  }

  function longDay(day) {
    const d = new Date(day + "T12:00:00");
    return d.toLocaleDateString(BK.lang() === "sv" ? "sv-SE" : "en-GB",
      { weekday: "long", day: "numeric", month: "long" });
  }

  function km(value) {
    return Number(value).toLocaleString(BK.lang() === "sv" ? "sv-SE" : "en-GB",
      { maximumFractionDigits: 1 }) + " km";
  }

  function signedOut(message) {
    BK.setKey(PAGE, "");
    $("work").hidden = true;
    $("key-form").hidden = false;
    BK.say($("key-status"), message, "error");
    $("key-input").focus();
  }

  function failed(error) {
    if (error.status === 401) return signedOut(errorText(error));
    const text = error.status === 403
      ? BK.t("Sidan behöver en förarnyckel.", "This page needs a driver key.") + " " +
        errorText(error)
      : errorText(error);
    BK.say($("status"), text, "error");
  }

  function keepInUrl() {
    const url = new URL(location.href);
    url.searchParams.set("date", $("day").value);
    if ($("van").value) url.searchParams.set("van", $("van").value);
    else url.searchParams.delete("van");
    history.replaceState(null, "", url);
  }

  // -- loading ------------------------------------------------------------------------------

  async function start() {
    $("work").hidden = false;
    BK.say($("key-status"), "");
    const params = new URLSearchParams(location.search);
    if (!$("day").value) $("day").value = params.get("date") || BK.today();
    try {
      const [plan, branches] = await Promise.all([
        BK.api("/plans/current", { page: PAGE }),
        BK.api("/branches", { page: PAGE }),
      ]);
      state.plan = plan;
      state.branches = Object.fromEntries(branches.map((b) => [b.branch_id, b.name]));
      $("day").min = plan.start;
      $("day").max = plan.end;
    } catch (error) {
      failed(error);
      return;
    }
    await loadRuns(params.get("van"));
  }

  async function loadRuns(wanted) {
    const day = $("day").value;
    const select = $("van");
    const ticket = ++state.loads;
    state.run = null;
    $("route").hidden = true;
    select.replaceChildren();
    BK.say($("status"), BK.t("Hämtar körningarna …", "Fetching the runs …"));
    try {
      const answer = await BK.api(`/plans/current/runs?day=${encodeURIComponent(day)}`,
        { page: PAGE });
      if (ticket !== state.loads) return;
      state.runs = answer.runs;
    } catch (error) {
      if (ticket === state.loads) failed(error);
      return;
    }
    for (const r of state.runs) {
      select.append(el("option", { value: r.van_id },
        `${r.van_id} · ${count(r.stops, "stops")}`));
    }
    select.disabled = !state.runs.length;
    if (!state.runs.length) {
      keepInUrl();
      const outside = state.plan && (day < state.plan.start || day > state.plan.end);
      BK.say($("status"), outside
        ? BK.t(`${day} ligger utanför planen (${state.plan.start} – ${state.plan.end}).`,
          `${day} is outside the plan (${state.plan.start} – ${state.plan.end}).`)
        : BK.t("Ingen bil kör den här dagen.", "No van runs on this day."), "info");
      if (outside) {
        const first = el("button", { type: "button", class: "secondary" },
          BK.t("Visa planens första dag", "Show the plan's first day"));
        first.addEventListener("click", () => {
          $("day").value = state.plan.start;
          loadRuns(null);
        });
        $("status").append(" ", first);
      }
      return;
    }
    if (wanted && state.runs.some((r) => r.van_id === wanted)) select.value = wanted;
    else if (wanted) {
      BK.say($("status"), BK.t(`Bil ${wanted} kör inte den här dagen.`,
        `Van ${wanted} does not run on this day.`), "error");
    }
    await loadRun(Boolean(wanted) && select.value !== wanted);
  }

  async function loadRun(keepMessage = false) {
    const day = $("day").value;
    const van = $("van").value;
    const ticket = ++state.loads;
    keepInUrl();
    try {
      const run = await BK.api(
        `/plans/current/runs/${encodeURIComponent(day)}/${encodeURIComponent(van)}`,
        { page: PAGE });
      if (ticket !== state.loads) return;
      state.run = run;
    } catch (error) {
      if (ticket === state.loads) failed(error);
      return;
    }
    render();
    if (!keepMessage) BK.say($("status"), "");
  }

  // -- the route sheet ----------------------------------------------------------------------

  function render() {
    const run = state.run;
    if (!run) return;
    const listed = state.runs.find((r) => r.van_id === run.van_id) || {};
    $("route-heading").textContent =
      `${BK.t("Bil", "Van")} ${run.van_id} · ${longDay(run.day)}`;
    const facts = [
      [BK.t("Start", "Start"), listed.start || ""],
      [BK.t("Slut", "End"), listed.end || ""],
      [BK.t("Sträcka", "Distance"), km(run.km)],
      [BK.t("Lådor", "Crates"), String(listed.crates ?? "")],
    ];
    $("summary").replaceChildren(...facts.map(([k, v]) =>
      el("div", {}, el("dt", {}, k), el("dd", {}, v))));
    $("stops").replaceChildren(...run.stops.map(stopItem));
    const stops = run.stops.filter((s) => s.kind === "stop").length;
    $("total").textContent = BK.t("Totalt", "Total") + `: ${km(run.km)}, ` +
      `${count(stops, "stops")}, ${count(listed.crates ?? 0, "crates")}, ` +
      `${count(listed.items ?? 0, "items")}, ${BK.t("arbetstid", "shift")} ` +
      `${listed.start || ""}–${listed.end || ""}`;
    $("route").hidden = false;
  }

  function stopItem(stop) {
    const names = {
      start: BK.t("Start", "Start"), end: BK.t("Slut", "End"), break: BK.t("Rast", "Break"),
    };
    const title = stop.kind === "break"
      ? names.break
      : (names[stop.kind] ? names[stop.kind] + " · " : "") + branchName(stop.branch_id);
    const times = [];
    if (stop.arrival) times.push([BK.t("ank", "arr"), stop.arrival]);
    if (stop.departure) times.push([BK.t("avg", "dep"), stop.departure]);
    const li = el("li", { class: `driver-stop kind-${stop.kind}`, "data-seq": stop.seq,
      "data-branch": stop.branch_id || "" });
    const head = el("div", { class: "driver-stophead" },
      el("span", { class: "driver-seq", "aria-hidden": "true" }, stop.seq),
      el("div", { class: "driver-where" },
        el("h3", {}, el("span", { class: "visually-hidden" }, `${stop.seq}. `), title),
        el("p", { class: "driver-times" }, ...times.flatMap(([k, v], i) => [
          i ? " · " : "", k + " ", el("strong", {}, v)]))),
      stop.kind !== "start" && stop.km_from_prev
        ? el("span", { class: "driver-km" }, "+" + km(stop.km_from_prev))
        : "");
    li.append(head);
    const moves = [
      [BK.t("Lämna", "Drop"), "drop", stop.dropped],
      [BK.t("Hämta", "Collect"), "collect", stop.collected],
    ];
    for (const [label, cls, crates] of moves) {
      if (!crates.length) continue;
      const box = el("div", { class: `driver-crates ${cls}` },
        el("h4", {}, `${label}: ${count(crates.length, "crates")}`));
      const ul = el("ul");
      for (const c of crates) {
        const via = c.leg_to_branch_id !== c.to_branch_id
          ? ` · ${BK.t("via", "via")} ${branchName(c.leg_to_branch_id)}`
          : "";
        ul.append(el("li", { "data-crate": c.crate_id },
          el("span", { class: "driver-crate" }, c.crate_id),
          el("span", { class: "driver-dest" },
            `→ ${branchName(c.to_branch_id)}${via} · ${count(c.items, "items")}`)));
      }
      box.append(ul);
      li.append(box);
    }
    if (stop.kind === "stop" && !stop.dropped.length && !stop.collected.length) {
      li.append(el("p", { class: "driver-none" }, BK.t("Inga lådor.", "No crates.")));
    }
    return li;
  }

  // -- printing -----------------------------------------------------------------------------

  async function print() {
    const status = $("print-status");
    const button = $("print");
    const day = $("day").value;
    const van = $("van").value;
    button.disabled = true;
    BK.say(status, BK.t("Hämtar körlistan …", "Fetching the route sheet …"));
    try {
      const q = new URLSearchParams({ date: day, van_id: van, lang: BK.lang(), format: "pdf" });
      const blob = await BK.api(`/plans/current/documents/route?${q}`, { page: PAGE, blob: true });
      if (state.pdfUrl) URL.revokeObjectURL(state.pdfUrl);
      state.pdfUrl = URL.createObjectURL(blob);
      const opened = window.open(state.pdfUrl, "_blank");
      BK.say(status, opened === null
        ? BK.t("Fönstret blockerades – spara filen i stället: ",
          "The window was blocked – save the file instead: ")
        : BK.t("Körlistan öppnad i en ny flik. ", "The route sheet opened in a new tab. "),
      "ok");
      status.append(el("a", { href: state.pdfUrl, download: `route-${day}-${van}.pdf`,
        class: "button secondary" }, BK.t("Spara PDF", "Save the PDF")));
    } catch (error) {
      if (error.status === 401) return signedOut(errorText(error));
      BK.say(status, errorText(error), "error");
    } finally {
      button.disabled = false;
    }
  }

  // -- wiring -------------------------------------------------------------------------------

  document.addEventListener("DOMContentLoaded", () => {
    $("choose").addEventListener("submit", (event) => event.preventDefault());
    $("day").addEventListener("change", () => {
      if ($("day").value) loadRuns($("van").value || null);
    });
    $("van").addEventListener("change", () => loadRun());
    $("print").addEventListener("click", print);
    document.addEventListener("bokflyt:lang", () => {
      if (state.runs.length) {
        const value = $("van").value;
        $("van").replaceChildren(...state.runs.map((r) => el("option", { value: r.van_id },
          `${r.van_id} · ${count(r.stops, "stops")}`)));
        $("van").value = value;
      }
      render();
    });
    BK.keyForm(PAGE, start);
  });
})();
