// The staff page of one library: the day's pull list and arrivals (from the documents API as
// JSON), their PDFs to print, and a scan box that records events at the key's branch.
"use strict";

(() => {
  const PAGE = "staff";
  const LOG_KEY = "bokflyt.scans.staff";
  // The planner's crate ids: yymmdd-FROM-TO-n (261130-AAA-BBB-1). Anything else is an item.
  const CRATE_ID = /^\d{6}-\S+-\S+-\d+$/;

  const KINDS = {
    pulled: { sv: "Plockad från hyllan", en: "Pulled from the shelf" },
    not_on_shelf: { sv: "Finns inte på hyllan", en: "Not on the shelf" },
    packed: { sv: "Packad i låda", en: "Packed into a crate" },
    collected: { sv: "Hämtad av bilen", en: "Collected by the van" },
    delivered: { sv: "Levererad hit av bilen", en: "Delivered here by the van" },
    checked_in: { sv: "Ställd på reserverathyllan", en: "Put on the hold shelf" },
    picked_up_by_patron: { sv: "Hämtad av låntagaren", en: "Picked up by the patron" },
  };
  const STATUS = {
    placed: { sv: "väntar", en: "waiting" },
    pulled: { sv: "plockad", en: "pulled" },
    packed: { sv: "packad", en: "packed" },
    in_transit: { sv: "på väg", en: "in transit" },
    at_hub: { sv: "på nav", en: "at a hub" },
    delivered: { sv: "levererad", en: "delivered" },
    ready: { sv: "klar att hämta", en: "ready for pickup" },
    picked_up: { sv: "hämtad", en: "picked up" },
    cancelled: { sv: "avbeställd", en: "cancelled" },
  };
  const ERRORS = {
    401: { sv: "Nyckeln gäller inte", en: "The key is not valid" },
    403: { sv: "Inte tillåtet med den här nyckeln", en: "Not allowed with this key" },
    409: { sv: "Skanningen passar inte reservationens läge", en: "The scan does not fit the reservation's state" },
    422: { sv: "Okänd streckkod eller uppgift saknas", en: "Unknown barcode or missing detail" },
  };
  const PDF_NAMES = {
    pull: { sv: "plocklista", en: "pull list" },
    arrivals: { sv: "ankomster", en: "arrivals" },
    packing: { sv: "packlista", en: "packing list" },
    labels: { sv: "lådetiketter", en: "crate labels" },
  };

  const $ = (id) => document.getElementById(id);
  // loads: a counter, so that an answer for a day chosen before the last one is dropped.
  const state = { branchId: "", branches: {}, plan: null, pdfUrl: "", loads: 0 };

  // -- helpers ------------------------------------------------------------------------------

  const { el, count } = BK;

  function branchName(id) {
    const name = state.branches[id];
    return name ? `${name} (${id})` : id;
  }

  function reason(error) {
    const d = error.detail;
    if (Array.isArray(d)) return d.map((p) => p.msg).join("; ");
    return typeof d === "string" ? d : error.message;
  }

  function errorText(error) {
    if (!(error instanceof BK.ApiError)) {
      return BK.t("Tjänsten svarar inte. Försök igen.", "The service does not answer. Try again.");
    }
    const head = ERRORS[error.status];
    return (head ? BK.t(head) + ": " : "") + reason(error);
  }

  function localNow() {
    const d = new Date();
    const p = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T` +
      `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  }

  function chosenDay() {
    return $("day").value || BK.today();
  }

  function docPath(kind, format) {
    const q = new URLSearchParams({ date: chosenDay(), lang: BK.lang(), format });
    return `/plans/current/documents/${kind}?${q}`;
  }

  // -- the day: plan, branch, lists ---------------------------------------------------------

  function signedOut(message) {
    BK.setKey(PAGE, "");
    $("work").hidden = true;
    $("key-form").hidden = false;
    $("branch-name").textContent = "";
    BK.say($("key-status"), message, "error");
    $("key-input").focus();
  }

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
      if (error.status === 401) return signedOut(errorText(error));
      BK.say($("day-status"), errorText(error), "error");
      return;
    }
    showPlanSpan();
    renderLog();
    await loadDay();
  }

  function showPlanSpan() {
    if (!state.plan) return;
    $("plan-span").textContent =
      BK.t("Planen gäller", "The plan covers") + ` ${state.plan.start} – ${state.plan.end}`;
  }

  function inPlan(day) {
    return state.plan && day >= state.plan.start && day <= state.plan.end;
  }

  async function loadDay() {
    const day = chosenDay();
    const ticket = ++state.loads;
    const url = new URL(location.href);
    url.searchParams.set("date", day);
    history.replaceState(null, "", url);
    $("pull").replaceChildren();
    $("arrivals").replaceChildren();
    setPrintable(false);
    if (!inPlan(day)) {
      // The branch is still needed for scanning: learn it from the plan's first day.
      if (state.plan && !state.branchId) await learnBranch(state.plan.start);
      const first = el("button", { type: "button", class: "secondary small" },
        BK.t("Visa planens första dag", "Show the plan's first day"));
      first.addEventListener("click", () => {
        $("day").value = state.plan.start;
        loadDay();
      });
      BK.say($("day-status"), BK.t(`${day} ligger utanför planen.`,
        `${day} is outside the plan.`) + " ", "info");
      if (state.plan) $("day-status").append(first);
      return;
    }
    BK.say($("day-status"), BK.t("Hämtar listorna …", "Fetching the lists …"));
    try {
      const [pull, arrivals] = await Promise.all([
        BK.api(docPath("pull", "json"), { page: PAGE }),
        BK.api(docPath("arrivals", "json"), { page: PAGE }),
      ]);
      if (ticket !== state.loads) return;
      if (!setBranch(pull.branch_id)) return;
      renderPull(pull.rows);
      renderArrivals(arrivals.rows);
      setPrintable(true);
      const crates = count(crateCount(arrivals.rows), "crates");
      BK.say($("day-status"), longDay(day) + ": " + BK.t(
        `${count(pull.rows.length, "items")} att plocka, ${crates} kommer.`,
        `${count(pull.rows.length, "items")} to pull, ${crates} arriving.`), "ok");
    } catch (error) {
      if (ticket !== state.loads) return;
      if (error.status === 401) return signedOut(errorText(error));
      if (error.status === 403) {
        BK.say($("day-status"), BK.t("Sidan behöver en personalnyckel (för ett bibliotek).",
          "This page needs a staff key (of one library).") + " " + reason(error), "error");
        return;
      }
      BK.say($("day-status"), errorText(error), "error");
    }
  }

  async function learnBranch(day) {
    try {
      const pull = await BK.api(
        `/plans/current/documents/pull?date=${encodeURIComponent(day)}&format=json`,
        { page: PAGE });
      setBranch(pull.branch_id);
    } catch (error) {
      if (error.status === 401) signedOut(errorText(error));
    }
  }

  function setBranch(branchId) {
    if (!branchId) {
      BK.say($("day-status"), BK.t("Sidan behöver en personalnyckel (för ett bibliotek).",
        "This page needs a staff key (of one library)."), "error");
      return false;
    }
    state.branchId = branchId;
    $("branch-name").textContent = " · " + branchName(branchId);
    document.title = BK.t("Personal", "Staff") + " " + branchName(branchId) + " – bokflyt";
    return true;
  }

  function longDay(day) {
    const d = new Date(day + "T12:00:00");
    return d.toLocaleDateString(BK.lang() === "sv" ? "sv-SE" : "en-GB",
      { weekday: "long", day: "numeric", month: "long", year: "numeric" });
  }

  function crateCount(rows) {
    return new Set(rows.map((r) => r.crate_id)).size;
  }

  // -- the tables ---------------------------------------------------------------------------

  function table(caption, heads, rows) {
    const t = el("table", { class: "staff-table" });
    if (caption) t.append(el("caption", {}, caption));
    const tr = el("tr");
    for (const [text, cls] of heads) tr.append(el("th", { scope: "col", class: cls || "" }, text));
    t.append(el("thead", {}, tr));
    const body = el("tbody");
    for (const row of rows) body.append(row);
    t.append(body);
    return t;
  }

  function scannedMark(itemId) {
    // The latest scan of the item itself, or of a crate it travels in.
    const last = readLog().find((s) => s.result !== "error" && (s.item_id === itemId ||
      (s.reservations || []).some((r) => r.item_id === itemId)));
    return last ? BK.t(KINDS[last.kind]) : "";
  }

  function renderPull(rows) {
    const box = $("pull");
    box.replaceChildren();
    if (!rows.length) {
      box.append(el("p", { class: "staff-empty" }, BK.t("Inget att plocka denna dag.",
        "Nothing to pull on this day.")));
      return;
    }
    const heads = [
      [BK.t("Hylla", "Shelf")], [BK.t("Titel", "Title")], [BK.t("Streckkod", "Barcode")],
      [BK.t("Till", "To")], [BK.t("Reservation", "Reservation")],
      [BK.t("Skannad", "Scanned")],
    ];
    const sections = [
      ["send", BK.t("Att skicka", "To send")],
      ["hold_shelf", BK.t("Till reserverathyllan (hämtas här)", "To the hold shelf (collected here)")],
    ];
    for (const [section, title] of sections) {
      const mine = rows.filter((r) => r.section === section);
      if (!mine.length) continue;
      const trs = mine.map((r) => {
        const tr = el("tr", { "data-item": r.item_id },
          el("td", {}, r.call_number), el("td", {}, r.title),
          el("td", { class: "code" }, r.item_id),
          el("td", {}, branchName(r.destination_branch_id)),
          el("td", { class: "code" }, r.reservation_id),
          el("td", { class: "mark" }, scannedMark(r.item_id)));
        return tr;
      });
      box.append(table(`${title}: ${count(mine.length, "items")}`, heads, trs));
    }
  }

  function renderArrivals(rows) {
    const box = $("arrivals");
    box.replaceChildren();
    if (!rows.length) {
      box.append(el("p", { class: "staff-empty" }, BK.t("Inga lådor kommer denna dag.",
        "No crates arrive on this day.")));
      return;
    }
    const crates = new Map();
    for (const r of rows) {
      if (!crates.has(r.crate_id)) crates.set(r.crate_id, []);
      crates.get(r.crate_id).push(r);
    }
    const t = el("table", { class: "staff-table" },
      el("caption", {}, `${count(crates.size, "crates")}, ${count(rows.length, "items")}`));
    const head = el("tr");
    for (const text of [BK.t("Streckkod", "Barcode"), BK.t("Titel", "Title"),
      BK.t("Hylla", "Shelf"), BK.t("Reservation", "Reservation"), BK.t("Skannad", "Scanned")]) {
      head.append(el("th", { scope: "col" }, text));
    }
    t.append(el("thead", {}, head));
    for (const [crateId, items] of crates) {
      const c = items[0];
      const onward = c.destination_branch_id !== state.branchId
        ? " · " + BK.t("skickas vidare till", "send on to") + " " +
          branchName(c.destination_branch_id)
        : "";
      const body = el("tbody", { "data-crate": crateId });
      body.append(el("tr", { class: "crate" }, el("th", { scope: "rowgroup", colspan: "5" },
        el("span", { class: "code" }, crateId),
        ` · ${BK.t("från", "from")} ${branchName(c.from_branch_id)} · ${BK.t("bil", "van")} ` +
        `${c.van_id} ${BK.t("ank", "arr")} ${c.arrival} · ${count(items.length, "items")}` +
        onward)));
      for (const r of items) {
        body.append(el("tr", { "data-item": r.item_id },
          el("td", { class: "code" }, r.item_id), el("td", {}, r.title),
          el("td", {}, r.call_number), el("td", { class: "code" }, r.reservation_id),
          el("td", { class: "mark" }, scannedMark(r.item_id))));
      }
      t.append(body);
    }
    box.append(t);
  }

  function refreshMarks() {
    document.querySelectorAll("tr[data-item] td.mark").forEach((td) => {
      td.textContent = scannedMark(td.parentElement.dataset.item);
    });
  }

  // -- printing -----------------------------------------------------------------------------

  function setPrintable(on) {
    document.querySelectorAll("button.print").forEach((b) => { b.disabled = !on; });
  }

  async function print(kind, button) {
    const status = $("print-status");
    const name = BK.t(PDF_NAMES[kind]);
    button.disabled = true;
    BK.say(status, BK.t(`Hämtar ${name} …`, `Fetching the ${name} …`));
    try {
      const blob = await BK.api(docPath(kind, "pdf"), { page: PAGE, blob: true });
      if (state.pdfUrl) URL.revokeObjectURL(state.pdfUrl);
      state.pdfUrl = URL.createObjectURL(blob);
      const file = `${kind}-${chosenDay()}-${state.branchId}.pdf`;
      const link = el("a", { href: state.pdfUrl, download: file, class: "button secondary" },
        BK.t(`Spara ${name} (PDF)`, `Save the ${name} (PDF)`));
      const opened = window.open(state.pdfUrl, "_blank");
      BK.say(status, (opened === null
        ? BK.t("Fönstret blockerades – spara filen i stället: ", "The window was blocked – save the file instead: ")
        : BK.t(`${name[0].toUpperCase() + name.slice(1)} öppnad i en ny flik. `,
          `The ${name} opened in a new tab. `)), "ok");
      status.append(link);
    } catch (error) {
      BK.say(status, errorText(error), "error");
    } finally {
      button.disabled = false;
    }
  }

  // -- scanning -----------------------------------------------------------------------------

  function readLog() {
    try {
      return JSON.parse(sessionStorage.getItem(LOG_KEY) || "[]");
    } catch (_) {
      return [];
    }
  }

  function writeLog(log) {
    sessionStorage.setItem(LOG_KEY, JSON.stringify(log.slice(0, 200)));
  }

  function renderLog() {
    const log = readLog();
    const body = $("scan-log").querySelector("tbody");
    body.replaceChildren(...log.map((s) => el("tr", { "data-result": s.result },
      el("td", {}, s.at.slice(11, 19)),
      el("td", {}, BK.t(KINDS[s.kind])),
      el("td", { class: "code" }, s.crate_id && s.item_id ? `${s.item_id} → ${s.crate_id}`
        : s.item_id || s.crate_id),
      el("td", {}, resultText(s, true)))));
    $("scan-log").hidden = !log.length;
    $("log-empty").hidden = Boolean(log.length);
    $("log-clear").hidden = !log.length;
  }

  // What a scan did: in full for the live region, short for the log.
  function resultText(s, short = false) {
    if (s.result === "error") return short ? BK.t("Fel: ", "Error: ") + s.reason : s.error;
    const listed = s.reservations || [];
    let moved = listed
      .map((r) => `${r.reservation_id} ${BK.t(STATUS[r.status] || { sv: r.status, en: r.status })}`)
      .join(", ");
    // Other branches' reservations are counted in `moved` but not listed to a staff key.
    const unlisted = (s.moved || 0) - listed.length;
    if (unlisted > 0) {
      moved += (moved ? ", " : "") + BK.t(`${unlisted} andra bibliotekens`,
        `${unlisted} of other libraries`);
    }
    if (s.result === "duplicate") {
      if (short) return BK.t("Dubblett", "Duplicate");
      return BK.t("Dubblett: redan registrerad, inget ändrades", "Duplicate: recorded before, nothing changed") +
        (moved ? ` (${moved})` : "") + ".";
    }
    const skipped = (s.skipped || []).length
      ? "; " + BK.t("oförändrade", "unchanged") + ": " + s.skipped.join(", ")
      : "";
    if (short) return (moved ? "✓ " + moved : "✓") + skipped;
    return BK.t("Registrerad", "Recorded") + (moved ? ": " + moved : "") + skipped + ".";
  }

  function showKindFields() {
    const packed = $("scan-kind").value === "packed";
    $("crate-field").hidden = !packed;
  }

  async function scan(event) {
    event.preventDefault();
    const input = $("scan-code");
    const code = input.value.trim();
    const kind = $("scan-kind").value;
    const result = $("scan-result");
    input.value = "";
    input.focus();
    if (!code) {
      BK.say(result, BK.t("Skanna eller skriv en streckkod.", "Scan or type a barcode."), "error");
      return;
    }
    if (!state.branchId) {
      BK.say(result, BK.t("Bibliotekets id är inte känt ännu.", "The library's id is not known yet."), "error");
      return;
    }
    const isCrate = CRATE_ID.test(code);
    let body;
    if (kind === "packed") {
      if (isCrate) {
        $("scan-crate").value = code;
        BK.say(result, BK.t(`Låda ${code} vald. Skanna exemplaren som packas i den.`,
          `Crate ${code} chosen. Scan the items packed into it.`), "info");
        return;
      }
      const crate = $("scan-crate").value.trim();
      if (!crate) {
        BK.say(result, BK.t("Skanna lådans etikett först.", "Scan the crate's label first."), "error");
        $("scan-crate").focus();
        return;
      }
      body = { kind, item_id: code, crate_id: crate };
    } else {
      body = isCrate ? { kind, crate_id: code } : { kind, item_id: code };
    }
    body.branch_id = state.branchId;
    // The same scan again (a double read, a retry) is sent with its first time, so that the
    // service knows it as the same scan: "duplicate" instead of a second event.
    const log = readLog();
    const same = log.find((s) => s.result !== "error" && s.kind === kind &&
      s.branch_id === body.branch_id && (s.item_id || null) === (body.item_id || null) &&
      (s.crate_id || null) === (body.crate_id || null));
    body.at = same ? same.at : localNow();
    const entry = { ...body, item_id: body.item_id || null, crate_id: body.crate_id || null };
    BK.say(result, BK.t(`Registrerar ${code} …`, `Recording ${code} …`));
    try {
      const answer = await BK.api("/events", { method: "POST", body, page: PAGE });
      entry.result = answer.duplicate ? "duplicate" : "ok";
      entry.reservations = answer.reservations;
      entry.skipped = answer.skipped;
      entry.moved = answer.moved;
      entry.at = body.at;
    } catch (error) {
      if (error.status === 401) return signedOut(errorText(error));
      entry.result = "error";
      entry.error = errorText(error);
      entry.reason = error instanceof BK.ApiError ? reason(error) : entry.error;
    }
    log.unshift(entry);
    writeLog(log);
    renderLog();
    refreshMarks();
    BK.say(result, `${BK.t(KINDS[kind])} · ${code} — ${resultText(entry)}`, entry.result);
    if (document.activeElement !== input && document.activeElement !== $("scan-crate")) {
      input.focus();
    }
  }

  // -- wiring -------------------------------------------------------------------------------

  document.addEventListener("DOMContentLoaded", () => {
    $("day").addEventListener("change", () => {
      if ($("day").value) loadDay();
    });
    $("day-today").addEventListener("click", () => {
      $("day").value = BK.today();
      loadDay();
    });
    document.querySelectorAll("button.print").forEach((b) => {
      b.addEventListener("click", () => print(b.dataset.print, b));
    });
    // Back to the scan box after choosing the kind with the mouse, or with Enter; arrow keys
    // keep the focus on the list.
    let pointer = false;
    const toScanBox = () => {
      const crate = $("scan-crate");
      (!crate.closest("[hidden]") && !crate.value ? crate : $("scan-code")).focus();
    };
    $("scan-kind").addEventListener("pointerdown", () => { pointer = true; });
    $("scan-kind").addEventListener("keydown", (event) => {
      pointer = false;
      if (event.key === "Enter") {
        event.preventDefault();
        toScanBox();
      }
    });
    $("scan-kind").addEventListener("change", () => {
      showKindFields();
      if (pointer) toScanBox();
    });
    // A scanner types the crate and presses Enter: go on to the item field.
    $("scan-crate").addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        $("scan-code").focus();
      }
    });
    $("scan-form").addEventListener("submit", scan);
    $("log-clear").addEventListener("click", () => {
      writeLog([]);
      renderLog();
      refreshMarks();
      $("scan-code").focus();
    });
    document.addEventListener("bokflyt:lang", () => {
      showPlanSpan();
      renderLog();
      if (state.branchId) setBranch(state.branchId);
      if (!$("work").hidden) loadDay();
    });
    showKindFields();
    BK.keyForm(PAGE, () => {
      start().then(() => $("scan-code").focus());
    });
  });
})();
