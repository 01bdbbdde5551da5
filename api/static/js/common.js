// bokflyt pages: what every page shares. No outside network: everything is served by bokflyt.
"use strict";

const BK = (() => {
  const LANG_KEY = "bokflyt.lang";

  function lang() {
    const saved = localStorage.getItem(LANG_KEY);
    return saved === "en" || saved === "sv" ? saved : "sv";
  }

  // Elements with data-sv / data-en get the text of the current language; inputs with
  // data-sv-placeholder / data-en-placeholder their placeholder; data-sv-label their aria-label.
  function applyLang(root = document) {
    const l = lang();
    document.documentElement.lang = l;
    root.querySelectorAll("[data-sv]").forEach((el) => {
      el.textContent = el.dataset[l] ?? el.dataset.sv;
    });
    root.querySelectorAll("[data-sv-placeholder]").forEach((el) => {
      el.placeholder = el.dataset[l + "Placeholder"] ?? el.dataset.svPlaceholder;
    });
    root.querySelectorAll("[data-sv-label]").forEach((el) => {
      el.setAttribute("aria-label", el.dataset[l + "Label"] ?? el.dataset.svLabel);
    });
    const toggle = document.getElementById("lang-toggle");
    if (toggle) {
      toggle.textContent = l === "sv" ? "English" : "Svenska";
      toggle.setAttribute("lang", l === "sv" ? "en" : "sv");
    }
  }

  function setLang(l) {
    localStorage.setItem(LANG_KEY, l);
    applyLang();
    document.dispatchEvent(new CustomEvent("bokflyt:lang", { detail: l }));
  }

  // t({sv: "...", en: "..."}) or t("sv text", "en text")
  function t(sv, en) {
    if (typeof sv === "object") return sv[lang()] ?? sv.sv;
    return lang() === "en" ? en : sv;
  }

  function keyName(page) {
    return "bokflyt.key." + page;
  }

  function key(page) {
    return sessionStorage.getItem(keyName(page)) || "";
  }

  function setKey(page, value) {
    if (value) sessionStorage.setItem(keyName(page), value);
    else sessionStorage.removeItem(keyName(page));
  }

  class ApiError extends Error {
    constructor(status, detail) {
      super(typeof detail === "string" ? detail : JSON.stringify(detail));
      this.status = status;
      this.detail = detail;
    }
  }

  // fetch JSON (or a blob with {blob: true}) from the service, with the page's key.
  async function api(path, { method = "GET", body, page, blob = false, headers = {} } = {}) {
    const h = { ...headers };
    if (page && key(page)) h["X-API-Key"] = key(page);
    if (body !== undefined && !(body instanceof Blob) && typeof body !== "string") {
      h["Content-Type"] = "application/json";
      body = JSON.stringify(body);
    }
    const answer = await fetch(path, { method, headers: h, body });
    if (!answer.ok) {
      let detail = answer.statusText;
      try {
        detail = (await answer.json()).detail ?? detail;
      } catch (_) {
        /* not JSON */
      }
      throw new ApiError(answer.status, detail);
    }
    if (blob) return answer.blob();
    return answer.status === 204 ? null : answer.json();
  }

  function esc(text) {
    return String(text ?? "").replace(/[&<>"']/g, (c) => ({
      "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
    })[c]);
  }

  function hhmm(minutes) {
    if (minutes === null || minutes === undefined) return "";
    if (typeof minutes === "string") return minutes;
    const h = Math.floor(minutes / 60), m = minutes % 60;
    return String(h).padStart(2, "0") + ":" + String(m).padStart(2, "0");
  }

  function today() {
    const d = new Date();
    return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" +
      String(d.getDate()).padStart(2, "0");
  }

  // Show a message in a live region (role=status or role=alert).
  function say(el, text, kind = "info") {
    el.textContent = text;
    el.dataset.kind = kind;
  }

  // The key form of a page: <form id="key-form"> with an input#key-input; calls onReady when a
  // key is set (now or later).
  function keyForm(page, onReady) {
    const form = document.getElementById("key-form");
    const input = document.getElementById("key-input");
    const forget = document.getElementById("key-forget");
    const show = () => {
      const has = Boolean(key(page));
      form.hidden = has;
      if (forget) forget.hidden = !has;
      if (has) onReady();
    };
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      setKey(page, input.value.trim());
      input.value = "";
      show();
    });
    if (forget) {
      forget.addEventListener("click", () => {
        setKey(page, "");
        location.reload();
      });
    }
    show();
  }

  // el("td", {class: "num"}, "text", childNode): an element with attributes and children.
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "class") node.className = v;
      else node.setAttribute(k, v);
    }
    for (const c of children) node.append(c instanceof Node ? c : String(c ?? ""));
    return node;
  }

  // count(2, "crates") → "2 lådor" / "2 crates" in the page's language.
  const WORDS = {
    crates: ["låda", "lådor", "crate", "crates"],
    items: ["ex", "ex", "item", "items"],
    stops: ["stopp", "stopp", "stop", "stops"],
  };
  function count(n, what) {
    const [sv1, sv, en1, en] = WORDS[what];
    return `${n} ${n === 1 ? t(sv1, en1) : t(sv, en)}`;
  }

  document.addEventListener("DOMContentLoaded", () => {
    const toggle = document.getElementById("lang-toggle");
    if (toggle) toggle.addEventListener("click", () => setLang(lang() === "sv" ? "en" : "sv"));
    applyLang();
  });

  return {
    lang, setLang, applyLang, t, key, setKey, api, ApiError, esc, hhmm, today, say, keyForm, el,
    count,
  };
})();
