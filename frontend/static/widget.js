/* Shopping assistant chat widget. Embed with one tag:
 *   <script src="https://assistant.example/static/widget.js" data-token="SHOPPER_TOKEN" defer></script>
 * Options (data-*): token (the signed-in shopper's token, minted by the store's server: SECURITY.md;
 * without one the visitor is anonymous, known only by a random id kept in this browser),
 * api (base URL; default: where this script came from),
 * title, open ("true" to start open), target (CSS selector to render inline instead of floating),
 * endpoint (the chat path; the agent console uses its own), customer (the customer an agent asks about),
 * product (the product page it sits on: questions about "it" mean this product),
 * locale ("en", "de"; default: the browser's language), accent (the store's colour, e.g. "#8a2be2").
 * It lives in its own shadow root: the store's CSS does not reach it.
 *
 * Cart actions are the host page's: the widget dispatches `shopassist:add-to-cart` and
 * `shopassist:remove-from-cart` on `document` with `detail = {product_id, quantity}`.
 */
(function () {
  "use strict";
  const script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  const cfg = script ? script.dataset : {};
  const api = (cfg.api || new URL(script.src, location.href).origin).replace(/\/$/, "");
  const storeKey = "shopassist-session" + (cfg.customer ? "-agent-" + cfg.customer : "");
  const endpoint = cfg.endpoint || "/v1/chat";

  // Every word the widget shows, in one place. `data-locale` picks the language, else the
  // browser's own preference (what it sends as Accept-Language); English where one is missing.
  // (The assistant's answers come from the server; a chip sends its English message.)
  const STRINGS = {
    en: {
      open: "Ask our shopping assistant", title: "Shopping assistant", close: "Close the assistant", newChat: "New chat",
      yourMessage: "Your message", placeholder: "e.g. a quiet keyboard for the office under $100", send: "Send",
      whyElse: (n) => `Why else? (${n} more)`, alsoIn: "Also in", outOfStock: "out of stock", bought: "Bought", inCart: "In cart",
      addToCart: "Add to cart", moreLike: "More like this", notInterested: "Not interested", sideBySide: "Side by side", what: "What",
      followUps: "Suggested follow-ups", helpful: "Was this helpful?", yes: "Helpful", no: "Not helpful", thanks: "Thanks for telling us.",
      lost: "Sorry, that did not reach us; please try again.", dismissed: (t) => `Okay, I won't show the ${t} again.`,
      failed: (status) => `Sorry, something went wrong (${status}).`, unreachable: "Sorry, the assistant cannot be reached right now.",
      fromShop: "from the shop", under: (a) => `under ${a}`, inColour: (c) => `in ${c}`, only: (b) => `only ${b}`, more: "show more",
    },
    de: {
      open: "Fragen Sie unseren Einkaufsassistenten", title: "Einkaufsassistent", close: "Assistent schließen", newChat: "Neuer Chat",
      yourMessage: "Ihre Nachricht", placeholder: "z. B. eine leise Tastatur fürs Büro unter 100 $", send: "Senden",
      whyElse: (n) => `Warum noch? (${n} weitere)`, alsoIn: "Auch in", outOfStock: "nicht vorrätig", bought: "Gekauft", inCart: "Im Warenkorb",
      addToCart: "In den Warenkorb", moreLike: "Mehr davon", notInterested: "Kein Interesse", sideBySide: "Im Vergleich", what: "Was",
      followUps: "Vorschläge", helpful: "War das hilfreich?", yes: "Hilfreich", no: "Nicht hilfreich", thanks: "Danke für Ihre Rückmeldung.",
      lost: "Das kam leider nicht an; bitte noch einmal.", dismissed: (t) => `Gut, ${t} zeige ich nicht mehr.`,
      failed: (status) => `Leider ist etwas schiefgegangen (${status}).`, unreachable: "Der Assistent ist gerade nicht erreichbar.",
      fromShop: "vom Shop", under: (a) => `unter ${a}`, inColour: (c) => `in ${c}`, only: (b) => `nur ${b}`, more: "mehr zeigen",
    },
  };
  const locale = [cfg.locale, ...(navigator.languages || [navigator.language])]
    .map((l) => String(l || "").slice(0, 2).toLowerCase()).find((l) => STRINGS[l]) || "en";
  const T = { ...STRINGS.en, ...STRINGS[locale] };

  // Who is talking: the shopper's token, or an anonymous visitor's random id (never a bare shopper id).
  function visitorId() {
    let id = null;
    try { id = localStorage.getItem("shopassist-visitor"); } catch (e) { /* storage off: a new id per page */ }
    if (!id || !/^v_[A-Za-z0-9_-]{16,64}$/.test(id)) {
      const bytes = new Uint8Array(16);
      crypto.getRandomValues(bytes);
      id = "v_" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
      try { localStorage.setItem("shopassist-visitor", id); } catch (e) { /* keep it for this page only */ }
    }
    return id;
  }
  const visitor = cfg.customer || cfg.token ? null : visitorId();
  function cookie(name) {
    const hit = document.cookie.split("; ").find((c) => c.startsWith(name + "="));
    return hit ? decodeURIComponent(hit.slice(name.length + 1)) : "";
  }
  function identityHeaders() {
    if (cfg.customer) return { "X-CSRF-Token": cookie("sa_csrf") };  // the agent console: its session cookie + CSRF
    return cfg.token ? { "X-Shopper-Token": cfg.token } : { "X-Visitor-Id": visitor };
  }
  const who = cfg.token ? "shopper_token=" + encodeURIComponent(cfg.token) : "visitor_id=" + encodeURIComponent(visitor || "");

  // Its own shadow root: the store's CSS cannot reach in (and ours cannot leak out).
  const host = document.createElement("shopassist-widget");
  const shadow = host.attachShadow({ mode: "open" });
  const css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = api + "/static/widget.css";
  shadow.appendChild(css);

  const root = document.createElement("section");
  root.style.visibility = "hidden";  // until its styles arrive: no flash of a bare form
  css.addEventListener("load", () => { root.style.visibility = ""; });
  css.addEventListener("error", () => { root.style.visibility = ""; });

  root.className = "sa-widget" + (cfg.target ? " sa-inline" : "");
  if (/^#[0-9a-f]{3,8}$/i.test(cfg.accent || "")) root.style.setProperty("--sa-accent", cfg.accent);  // the store's colour
  root.setAttribute("aria-label", cfg.title || T.title);
  root.lang = locale;
  root.innerHTML = `
    <button type="button" class="sa-toggle" aria-expanded="false" aria-controls="sa-panel">${T.open}</button>
    <div class="sa-panel" id="sa-panel" hidden>
      <header class="sa-header"><h2>${escapeHtml(cfg.title || T.title)}</h2>
        <span class="sa-tools"><button type="button" class="sa-new">${T.newChat}</button>
        <button type="button" class="sa-close" aria-label="${T.close}">×</button></span></header>
      <div class="sa-log" role="log" aria-live="polite" aria-relevant="additions" tabindex="0"></div>
      <form class="sa-form">
        <label class="sa-visually-hidden" for="sa-input">${T.yourMessage}</label>
        <input id="sa-input" class="sa-input" name="message" autocomplete="off" maxlength="2000"
               placeholder="${T.placeholder}" required>
        <button type="submit" class="sa-send">${T.send}</button>
      </form>
    </div>`;
  shadow.appendChild(root);
  (cfg.target && document.querySelector(cfg.target) || document.body).appendChild(host);

  const toggle = root.querySelector(".sa-toggle");
  const panel = root.querySelector(".sa-panel");
  const log = root.querySelector(".sa-log");
  const form = root.querySelector(".sa-form");
  const input = root.querySelector(".sa-input");

  // `focus`: only when the shopper opened or closed it; a page that loads with it open keeps its own focus
  function setOpen(open, focus = true) {
    panel.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
    root.classList.toggle("sa-open", open);
    if (!focus) return;
    if (open) input.focus(); else toggle.focus();
  }
  toggle.addEventListener("click", () => setOpen(panel.hidden));
  root.querySelector(".sa-close").addEventListener("click", () => setOpen(false));
  root.addEventListener("keydown", (e) => { if (e.key === "Escape" && !panel.hidden) setOpen(false); });
  if (cfg.open === "true" || cfg.target) setOpen(true, false);

  // The transcript lives as long as its conversation: a reload shows both, "New chat" clears both.
  const logKey = storeKey + "-log";
  function saveLog() {
    try { sessionStorage.setItem(logKey, log.innerHTML); } catch (e) { /* full or off: the next page starts bare */ }
  }
  function newChat() {
    sessionStorage.removeItem(storeKey);
    sessionStorage.removeItem(logKey);
    log.textContent = "";
    input.focus();
  }
  root.querySelector(".sa-new").addEventListener("click", newChat);

  function escapeHtml(s) {
    return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }

  function bubble(role, text) {
    const div = document.createElement("div");
    div.className = "sa-msg sa-" + role;
    div.textContent = text || "";
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
    return div;
  }

  // A product's image or page: absolute http(s) as given, a path on the assistant's own server
  // made absolute (the widget may sit on another origin); anything else (javascript:, data:) dropped.
  function link(u) {
    if (!u) return "";
    if (/^https?:\/\//i.test(u)) return u;
    return u.startsWith("/") && !u.startsWith("//") ? api + u : "";
  }

  // In the catalog's currency: "$84.00", "£12.50", "15.00 CHF" (as the server writes it).
  function amount(value, currency, digits = 2) {
    const sym = { USD: "$", GBP: "£", EUR: "€", JPY: "¥", INR: "₹" }[currency];
    const n = Number(value).toFixed(digits);
    return sym ? sym + n : n + " " + (currency || "");
  }
  function money(p) {
    return p.price == null ? "" : amount(p.price, p.currency);
  }

  // Follow-ups the shopper may tap, from what the cards hold: a lower price band, colours and
  // brands present among them, and more of the same. Each is just a message the assistant reads.
  function followUps(items, constraints) {
    const out = [];  // [label shown, message sent]
    const priced = items.filter((it) => it.product.price != null).sort((a, b) => a.product.price - b.product.price);
    if (priced.length > 1) {
      const mid = priced[Math.floor(priced.length / 2)].product;
      const price = amount(Math.ceil(mid.price), mid.currency, 0);
      out.push([T.under(price), STRINGS.en.under(price)]);
    }
    const taken = new Set([...(constraints.colors || []), ...(constraints.brands || [])].map((x) => String(x).toLowerCase()));
    const colours = [...new Set(items.map((it) => String((it.product.attributes || {}).color || "").toLowerCase()).filter(Boolean))];
    if (colours.length > 1) colours.filter((c) => !taken.has(c)).slice(0, 2).forEach((c) => out.push([T.inColour(c), STRINGS.en.inColour(c)]));
    const brands = [...new Set(items.map((it) => it.product.brand).filter(Boolean))];
    if (brands.length > 1) brands.filter((b) => !taken.has(b.toLowerCase())).slice(0, 2).forEach((b) => out.push([T.only(b), STRINGS.en.only(b)]));
    out.push([T.more, STRINGS.en.more]);
    return out;
  }
  function chips(items, constraints) {
    const bar = document.createElement("div");
    bar.className = "sa-chips";
    bar.setAttribute("role", "group");
    bar.setAttribute("aria-label", T.followUps);
    bar.innerHTML = followUps(items, constraints || {})
      .map(([label, message]) => `<button type="button" class="sa-chip" data-message="${escapeHtml(message)}">${escapeHtml(label)}</button>`).join("");
    log.appendChild(bar);
  }

  function cards(items) {
    const list = document.createElement("ol");
    list.className = "sa-cards";
    for (const it of items) {
      const p = it.product;
      const li = document.createElement("li");
      li.className = "sa-card" + (it.alternative ? " sa-alt" : "");
      li.dataset.productId = p.id;
      const reason = (r) =>
        `<li class="sa-reason sa-${escapeHtml(r.kind)}" data-evidence="${escapeHtml(r.evidence.join(" "))}">${escapeHtml(r.text)}</li>`;
      const more = it.reasons.slice(2);
      const reasons = it.reasons.slice(0, 2).map(reason).join("") + (more.length
        ? `<li class="sa-more"><details><summary>${T.whyElse(more.length)}</summary><ul class="sa-reasons">${more.map(reason).join("")}</ul></details></li>`
        : "");
      const owned = it.owned ? `<span class="sa-owned">${it.owned.kind === "purchase" ? T.bought : T.inCart} ${escapeHtml(it.owned.ts)}</span>` : "";
      const variants = (it.variants || []).length ? `<div class="sa-variants">${T.alsoIn} ${it.variants.map((v) => escapeHtml(v.label)).join(", ")}</div>` : "";
      const titleId = "sa-t-" + Math.random().toString(36).slice(2, 10);
      const image = link(p.image_url) ? `<img class="sa-img" src="${escapeHtml(link(p.image_url))}" alt="${escapeHtml(p.title)}" width="64" height="64" loading="lazy">` : "";
      const title = link(p.url)
        ? `<a class="sa-title" id="${titleId}" href="${escapeHtml(link(p.url))}">${escapeHtml(p.title)}</a>`
        : `<strong class="sa-title" id="${titleId}">${escapeHtml(p.title)}</strong>`;
      const buttons = cfg.customer ? "" : `<div class="sa-actions">
          <button type="button" class="sa-add" data-position="${it.position}" aria-describedby="${titleId}">${T.addToCart}</button>
          <button type="button" class="sa-like" data-position="${it.position}" aria-describedby="${titleId}">${T.moreLike}</button>
          <button type="button" class="sa-dismiss" data-product="${escapeHtml(p.id)}" aria-describedby="${titleId}">${T.notInterested}</button></div>`;
      li.innerHTML = `${image}<div class="sa-body">
        <div class="sa-card-head"><span class="sa-pos">#${it.position}</span> ${title}</div>
        <div class="sa-meta"><span class="sa-price">${escapeHtml(money(p))}</span>
          ${p.rating != null ? `<span class="sa-stars">★ ${Number(p.rating).toFixed(1)} (${p.review_count})</span>` : ""}
          ${p.stock === 0 ? `<span class="sa-oos">${T.outOfStock}</span>` : ""}${owned}</div>
        <ul class="sa-reasons">${reasons}</ul>${variants}${buttons}</div>`;
      list.appendChild(li);
    }
    log.appendChild(list);
  }

  function table(t, items) {
    const names = Object.fromEntries(items.map((it) => [it.product.id, it.product.title]));
    const el = document.createElement("table");
    el.className = "sa-compare";
    el.innerHTML = `<caption>${T.sideBySide}</caption><thead><tr><th scope="col">${T.what}</th>${t.products.map((id) => `<th scope="col">${escapeHtml(names[id] || id)}</th>`).join("")}</tr></thead>
      <tbody>${t.rows.filter((r) => t.differ.includes(r.attribute)).map((r) => `<tr><th scope="row">${escapeHtml(r.attribute)}</th>${r.values.map((v) => `<td>${escapeHtml(v ?? "—")}</td>`).join("")}</tr>`).join("")}</tbody>`;
    log.appendChild(el);
  }

  function act(actions) {
    for (const a of actions || []) {
      const name = a.type === "add_to_cart" ? "shopassist:add-to-cart" : a.type === "remove_from_cart" ? "shopassist:remove-from-cart" : null;
      if (name) document.dispatchEvent(new CustomEvent(name, { detail: { product_id: a.product_id, quantity: a.quantity } }));
    }
  }

  log.addEventListener("click", (e) => {
    const add = e.target.closest(".sa-add");
    if (add) return send(`add #${add.dataset.position} to my cart`);
    const like = e.target.closest(".sa-like");
    if (like) return send(`more like #${like.dataset.position}`);
    const no = e.target.closest(".sa-dismiss");
    if (no) return dismiss(no);
    const chip = e.target.closest(".sa-chip");
    if (chip) send(chip.dataset.message);
  });

  // "Not interested": the card goes, and the conversation never lists it again.
  async function dismiss(button) {
    const sessionId = sessionStorage.getItem(storeKey);
    const card = button.closest(".sa-card");
    if (!sessionId || !card) return;
    const res = await fetch(api + "/v1/sessions/" + encodeURIComponent(sessionId) + "/dismiss", {
      method: "POST", credentials: "omit", headers: { "Content-Type": "application/json", ...identityHeaders() },
      body: JSON.stringify({ product_id: button.dataset.product }),
    }).catch(() => null);
    const title = card.querySelector(".sa-title").textContent;
    if (res && res.ok) {
      card.remove();
      bubble("assistant sa-note", T.dismissed(title));
    } else {
      bubble("assistant sa-error", T.lost);
    }
    saveLog();
  }

  // What a person from the shop writes into this conversation after a hand-over.
  let listening = null;
  function listen(sessionId) {
    if (cfg.customer || listening === sessionId || !window.EventSource) return;
    listening = sessionId;
    const source = new EventSource(api + "/v1/sessions/" + encodeURIComponent(sessionId) + "/events?" + who);
    source.addEventListener("agent", (e) => {
      const m = JSON.parse(e.data);
      bubble("agent", `${m.author} (${T.fromShop}): ${m.text}`);
      if (m.items && m.items.length) cards(m.items.map((p, i) => ({ position: i + 1, product: p, reasons: [] })));
    });
  }

  // Thumbs up or down on an answer: recorded (POST /v1/feedback), counted in /healthz. Handled on
  // the log (not the bar) so a transcript restored after a reload still works.
  function feedbackBar(sessionId, answerId) {
    const bar = document.createElement("div");
    bar.className = "sa-feedback";
    bar.dataset.session = sessionId;
    bar.dataset.answer = answerId;
    bar.innerHTML = `<span>${T.helpful}</span>
      <button type="button" data-value="up">${T.yes}</button>
      <button type="button" data-value="down">${T.no}</button>`;  // words, not emoji: every font has them
    return bar;
  }
  log.addEventListener("click", async (e) => {
    const button = e.target.closest(".sa-feedback button");
    if (!button) return;
    const bar = button.closest(".sa-feedback");
    const res = await fetch(api + "/v1/feedback", {
      method: "POST", credentials: "omit", headers: { "Content-Type": "application/json", ...identityHeaders() },
      body: JSON.stringify({ session_id: bar.dataset.session, answer_id: bar.dataset.answer, value: button.dataset.value }),
    }).catch(() => null);
    bar.setAttribute("role", "status");
    bar.textContent = res && res.ok ? T.thanks : T.lost;
    saveLog();
  });

  async function send(message) {
    bubble("user", message);
    const lead = bubble("assistant", "…");
    lead.setAttribute("aria-busy", "true");
    let prose = null, answer = null;
    const body = cfg.customer
      ? { message, session_id: sessionStorage.getItem(storeKey), customer_id: cfg.customer }
      : { message, session_id: sessionStorage.getItem(storeKey), product_id: cfg.product || null };
    try {
      const res = await fetch(api + endpoint, {
        credentials: cfg.customer ? "same-origin" : "omit",
        method: "POST", headers: { "Content-Type": "application/json", Accept: "text/event-stream", ...identityHeaders() }, body: JSON.stringify(body),
      });
      if (!res.ok) {
        const err = await res.json().catch(() => ({}));
        lead.textContent = (err.error && err.error.message) || T.failed(res.status);
        return;
      }
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buf.search(/\r?\n\r?\n/)) >= 0) {
          const block = buf.slice(0, cut);
          buf = buf.slice(cut).replace(/^\r?\n\r?\n/, "");
          let event = "message", data = "";
          for (const line of block.split(/\r?\n/)) {
            if (line.startsWith("event:")) event = line.slice(6).trim();
            else if (line.startsWith("data:")) data += line.slice(5).trim();
          }
          if (!data) continue;
          const payload = JSON.parse(data);
          if (event === "cards") {
            sessionStorage.setItem(storeKey, payload.session_id);
            answer = payload;
            lead.textContent = payload.message;
            if (payload.items.length) cards(payload.items);
            if (payload.table) table(payload.table, payload.items);
            if (payload.items.length > 1 && !payload.table && !cfg.customer) chips(payload.items, payload.constraints);
            log.scrollTop = Math.max(0, lead.offsetTop - log.offsetTop - 8);  // the answer's lead, not its last card
            act(payload.actions);
            listen(payload.session_id);
            saveLog();  // a reload while the prose still streams keeps the answer the shopper saw
          } else if (event === "token") {
            if (!prose) prose = bubble("assistant sa-prose", "");
            prose.textContent += payload.text;
            log.scrollTop = log.scrollHeight;
          } else if (event === "error") {
            bubble("assistant sa-error", payload.message);
          }
        }
      }
    } catch (e) {
      lead.textContent = T.unreachable;
    } finally {
      lead.removeAttribute("aria-busy");
      if (answer && answer.answer_id && !cfg.customer) log.appendChild(feedbackBar(answer.session_id, answer.answer_id));
      saveLog();
    }
  }

  const existing = sessionStorage.getItem(storeKey);
  if (existing) {
    const saved = sessionStorage.getItem(logKey);
    if (saved) { log.innerHTML = saved; log.scrollTop = log.scrollHeight; }  // our own escaped markup, saved above
    listen(existing);
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const message = input.value.trim();
    if (!message) return;
    input.value = "";
    send(message);
  });
})();
