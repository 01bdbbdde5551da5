// The patron's pickup box: a code in, the pickup branch and date out (Swedish or English).
// Works on bokflyt's own patron page and embedded in the consortium's website:
//   <div data-bokflyt-pickup></div>
//   <script src="https://BOKFLYT/static/js/pickup.js" data-bokflyt="https://BOKFLYT"></script>
// It needs nothing else: no framework, no other request than the lookup itself.
"use strict";

(() => {
  const script = document.currentScript;
  const base = (script && script.dataset.bokflyt) || "";
  const TEXT = {
    sv: {
      label: "Din hämtkod", button: "Visa", wait: "Söker …",
      where: "Hämtas på", expected: "Beräknat klar", promised: "Senast",
      notFound: "Vi hittar ingen reservation med den koden. Kontrollera koden och försök igen.",
      tooMany: "För många försök. Vänta en stund och försök igen.",
      failed: "Det gick inte att hämta uppgifterna just nu. Försök igen senare.",
      empty: "Skriv din hämtkod.",
    },
    en: {
      label: "Your pickup code", button: "Show", wait: "Looking up …",
      where: "Pick up at", expected: "Expected ready", promised: "At the latest",
      notFound: "We find no reservation with that code. Check the code and try again.",
      tooMany: "Too many tries. Wait a moment and try again.",
      failed: "The details could not be fetched just now. Please try again later.",
      empty: "Enter your pickup code.",
    },
  };
  let count = 0;

  function lang() {
    const page = document.documentElement.lang || "sv";
    const saved = window.localStorage ? localStorage.getItem("bokflyt.lang") : null;
    const l = saved || page;
    return l.startsWith("en") ? "en" : "sv";
  }

  function mount(box) {
    count += 1;
    const id = "bokflyt-code-" + count;
    box.innerHTML =
      '<form class="bokflyt-pickup" novalidate>' +
      '<label for="' + id + '"></label> ' +
      '<input id="' + id + '" name="code" autocomplete="off" spellcheck="false" ' +
      'autocapitalize="off" maxlength="64" required> ' +
      '<button type="submit"></button>' +
      '<div class="bokflyt-answer" role="status" aria-live="polite"></div>' +
      "</form>";
    const form = box.querySelector("form");
    const input = box.querySelector("input");
    const answer = box.querySelector(".bokflyt-answer");
    const label = () => {
      const t = TEXT[lang()];
      box.querySelector("label").textContent = t.label;
      box.querySelector("button").textContent = t.button;
    };
    label();
    document.addEventListener("bokflyt:lang", () => {
      label();
      if (input.value.trim() && answer.textContent) form.requestSubmit();
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const l = lang();
      const t = TEXT[l];
      const code = input.value.trim();
      answer.dataset.kind = "info";
      if (!code) {
        answer.textContent = t.empty;
        return;
      }
      answer.textContent = t.wait;
      try {
        const reply = await fetch(base + "/pickup/" + encodeURIComponent(code), {
          headers: { "Accept-Language": l },
        });
        if (reply.status === 404) {
          answer.dataset.kind = "error";
          answer.textContent = t.notFound;
          return;
        }
        if (reply.status === 429) {
          answer.dataset.kind = "error";
          answer.textContent = t.tooMany;
          return;
        }
        if (!reply.ok) throw new Error(String(reply.status));
        const r = await reply.json();
        answer.dataset.kind = "ok";
        answer.innerHTML = "";
        const p = document.createElement("p");
        p.className = "bokflyt-message";
        p.textContent = r.message;
        const dl = document.createElement("dl");
        const rows = [[t.where, r.branch_name], [t.expected, r.expected_date || "–"],
                      [t.promised, r.promise_date || "–"]];
        for (const [k, v] of rows) {
          const dt = document.createElement("dt");
          dt.textContent = k;
          const dd = document.createElement("dd");
          dd.textContent = v;
          dl.append(dt, dd);
        }
        answer.append(p, dl);
      } catch (_) {
        answer.dataset.kind = "error";
        answer.textContent = t.failed;
      }
    });
  }

  function start() {
    document.querySelectorAll("[data-bokflyt-pickup]").forEach(mount);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
