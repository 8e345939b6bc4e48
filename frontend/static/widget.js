/* Shopping assistant chat widget. Embed with one tag:
 *   <script src="https://assistant.example/static/widget.js" data-user="u01" defer></script>
 * Options (data-*): user (shopper id), api (base URL; default: where this script came from),
 * title, open ("true" to start open), target (CSS selector to render inline instead of floating).
 */
(function () {
  "use strict";
  const script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  const cfg = script ? script.dataset : {};
  const api = (cfg.api || new URL(script.src, location.href).origin).replace(/\/$/, "");
  const storeKey = "shopassist-session";

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
      li.innerHTML = `
        <div class="sa-card-head"><span class="sa-pos">#${it.position}</span>
          <strong class="sa-title">${escapeHtml(p.title)}</strong></div>
        <div class="sa-meta"><span class="sa-price">${escapeHtml(money(p))}</span>
          ${p.rating != null ? `<span class="sa-rating">★ ${Number(p.rating).toFixed(1)} (${p.review_count})</span>` : ""}
          ${p.stock > 0 ? "" : '<span class="sa-oos">out of stock</span>'}</div>
        <ul class="sa-reasons">${reasons}</ul>`;
      list.appendChild(li);
    }
    log.appendChild(list);
    log.scrollTop = log.scrollHeight;
  }

  async function send(message) {
    bubble("user", message);
    const lead = bubble("assistant", "…");
    lead.setAttribute("aria-busy", "true");
    let prose = null;
    const body = { message, session_id: sessionStorage.getItem(storeKey), user_id: cfg.user || null };
    try {
      const res = await fetch(api + "/v1/chat", {
        method: "POST", headers: { "Content-Type": "application/json", Accept: "text/event-stream" }, body: JSON.stringify(body),
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

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const message = input.value.trim();
    if (!message) return;
    input.value = "";
    send(message);
  });
})();
