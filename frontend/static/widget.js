/* Shopping assistant chat widget. Embed with one tag:
 *   <script src="https://assistant.example/static/widget.js" data-token="SHOPPER_TOKEN" defer></script>
 * Options (data-*): token (the signed-in shopper's token, minted by the store's server: SECURITY.md;
 * without one the visitor is anonymous, known only by a random id kept in this browser),
 * api (base URL; default: where this script came from),
 * title, open ("true" to start open), target (CSS selector to render inline instead of floating),
 * endpoint (the chat path; the agent console uses its own), customer (the customer an agent asks about),
 * product (the product page it sits on: questions about "it" mean this product).
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

  const css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = api + "/static/widget.css";
  document.head.appendChild(css);

  const root = document.createElement("section");
  root.className = "sa-widget" + (cfg.target ? " sa-inline" : "");
  root.setAttribute("aria-label", cfg.title || "Shopping assistant");
  root.innerHTML = `
    <button type="button" class="sa-toggle" aria-expanded="false" aria-controls="sa-panel">Ask our shopping assistant</button>
    <div class="sa-panel" id="sa-panel" hidden>
      <header class="sa-header"><h2>${escapeHtml(cfg.title || "Shopping assistant")}</h2>
        <button type="button" class="sa-close" aria-label="Close the assistant">×</button></header>
      <div class="sa-log" role="log" aria-live="polite" aria-relevant="additions" tabindex="0"></div>
      <form class="sa-form">
        <label class="sa-visually-hidden" for="sa-input">Your message</label>
        <input id="sa-input" class="sa-input" name="message" autocomplete="off" maxlength="2000"
               placeholder="e.g. a quiet keyboard for the office under $100" required>
        <button type="submit" class="sa-send">Send</button>
      </form>
    </div>`;
  (cfg.target && document.querySelector(cfg.target) || document.body).appendChild(root);

  const toggle = root.querySelector(".sa-toggle");
  const panel = root.querySelector(".sa-panel");
  const log = root.querySelector(".sa-log");
  const form = root.querySelector(".sa-form");
  const input = root.querySelector(".sa-input");

  function setOpen(open) {
    panel.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
    if (open) input.focus(); else toggle.focus();
  }
  toggle.addEventListener("click", () => setOpen(panel.hidden));
  root.querySelector(".sa-close").addEventListener("click", () => setOpen(false));
  root.addEventListener("keydown", (e) => { if (e.key === "Escape" && !panel.hidden) setOpen(false); });
  if (cfg.open === "true" || cfg.target) setOpen(true);

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

  function money(p) {
    if (p.price == null) return "";
    const sym = { USD: "$", GBP: "£", EUR: "€" }[p.currency] || "";
    return sym + Number(p.price).toFixed(2);
  }

  function cards(items) {
    const list = document.createElement("ol");
    list.className = "sa-cards";
    for (const it of items) {
      const p = it.product;
      const li = document.createElement("li");
      li.className = "sa-card" + (it.alternative ? " sa-alt" : "");
      li.dataset.productId = p.id;
      const reasons = it.reasons.map((r) =>
        `<li class="sa-reason sa-${escapeHtml(r.kind)}" title="Evidence: ${escapeHtml(r.evidence.join(", "))}">${escapeHtml(r.text)}</li>`).join("");
      const owned = it.owned ? `<span class="sa-owned">${it.owned.kind === "purchase" ? "Bought" : "In cart"} ${escapeHtml(it.owned.ts)}</span>` : "";
      const variants = (it.variants || []).length ? `<div class="sa-variants">Also in ${it.variants.map((v) => escapeHtml(v.label)).join(", ")}</div>` : "";
      li.innerHTML = `
        <div class="sa-card-head"><span class="sa-pos">#${it.position}</span>
          <strong class="sa-title">${escapeHtml(p.title)}</strong></div>
        <div class="sa-meta"><span class="sa-price">${escapeHtml(money(p))}</span>
          ${p.rating != null ? `<span class="sa-rating">★ ${Number(p.rating).toFixed(1)} (${p.review_count})</span>` : ""}
          ${p.stock === 0 ? '<span class="sa-oos">out of stock</span>' : ""}${owned}</div>
        <ul class="sa-reasons">${reasons}</ul>${variants}
        ${cfg.customer ? "" : `<button type="button" class="sa-add" data-position="${it.position}">Add to cart</button>`}`;
      list.appendChild(li);
    }
    log.appendChild(list);
    log.scrollTop = log.scrollHeight;
  }

  function table(t, items) {
    const names = Object.fromEntries(items.map((it) => [it.product.id, it.product.title]));
    const el = document.createElement("table");
    el.className = "sa-compare";
    el.innerHTML = `<caption>Side by side</caption><thead><tr><th scope="col">What</th>${t.products.map((id) => `<th scope="col">${escapeHtml(names[id] || id)}</th>`).join("")}</tr></thead>
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
    const button = e.target.closest(".sa-add");
    if (button) send(`add #${button.dataset.position} to my cart`);
  });

  // What a person from the shop writes into this conversation after a hand-over.
  let listening = null;
  function listen(sessionId) {
    if (cfg.customer || listening === sessionId || !window.EventSource) return;
    listening = sessionId;
    const source = new EventSource(api + "/v1/sessions/" + encodeURIComponent(sessionId) + "/events?" + who);
    source.addEventListener("agent", (e) => {
      const m = JSON.parse(e.data);
      bubble("agent", `${m.author} (from the shop): ${m.text}`);
      if (m.items && m.items.length) cards(m.items.map((p, i) => ({ position: i + 1, product: p, reasons: [] })));
    });
  }

  async function send(message) {
    bubble("user", message);
    const lead = bubble("assistant", "…");
    lead.setAttribute("aria-busy", "true");
    let prose = null;
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
        lead.textContent = (err.error && err.error.message) || "Sorry, something went wrong (" + res.status + ").";
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
            lead.textContent = payload.message;
            if (payload.items.length) cards(payload.items);
            if (payload.table) table(payload.table, payload.items);
            act(payload.actions);
            listen(payload.session_id);
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
      lead.textContent = "Sorry, the assistant cannot be reached right now.";
    } finally {
      lead.removeAttribute("aria-busy");
    }
  }

  const existing = sessionStorage.getItem(storeKey);
  if (existing) listen(existing);

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const message = input.value.trim();
    if (!message) return;
    input.value = "";
    send(message);
  });
})();
