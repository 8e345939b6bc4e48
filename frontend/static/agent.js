/* Agent console: pick a customer, see their history, ask the assistant on their behalf. */
(function () {
  "use strict";
  const select = document.getElementById("customer");
  const history = document.getElementById("history");
  const holder = document.getElementById("assistant");
  // Every change the console makes carries the CSRF token its page was given (double submit).
  const csrf = () => (document.cookie.split("; ").find((c) => c.startsWith("sa_csrf=")) || "=").split("=")[1];
  const post = (url, body) => fetch(url, { method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": decodeURIComponent(csrf()) }, body: JSON.stringify(body || {}) });
  // the page's words, in the language the server chose (frontend/strings.json)
  const T = JSON.parse(document.getElementById("strings").textContent);
  const t = (key, values) => String(T[key] ?? key).replace(/\{(\w+)\}/g, (_, k) => String(values?.[k] ?? ""));
  const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));

  function mountWidget(userId) {
    holder.innerHTML = "";
    document.querySelectorAll("shopassist-widget").forEach((w) => w.remove());
    sessionStorage.removeItem("shopassist-session");
    const s = document.createElement("script");
    s.src = "/static/widget.js?u=" + encodeURIComponent(userId);
    s.dataset.customer = userId;  // the assistant speaks of this customer, not to them
    s.dataset.endpoint = "/agent/api/chat";
    s.dataset.target = "#assistant";
    s.dataset.title = t("console.ask_about", { customer: userId });
    s.dataset.locale = document.documentElement.lang;
    document.body.appendChild(s);
  }

  async function load(userId) {
    history.innerHTML = `<li>${esc(t("console.loading"))}</li>`;
    const res = await fetch("/agent/api/customers/" + encodeURIComponent(userId));
    const data = await res.json();
    if (!res.ok) { history.innerHTML = `<li>${esc(data.error && data.error.message)}</li>`; return; }
    history.innerHTML = data.history.map((e) =>
      `<li><span class="kind kind-${esc(e.kind)}">${esc(e.kind)}</span> ${esc(e.title)} <small>${esc(e.ts.slice(0, 10))}</small></li>`).join("") || `<li>${esc(t("console.no_history"))}</li>`;
    mountWidget(userId);
  }

  document.getElementById("suggest").addEventListener("click", async () => {
    const userId = select.value;
    if (!userId) { history.innerHTML = `<li>${esc(t("console.pick_first"))}</li>`; return; }
    const res = await fetch("/agent/api/customers/" + encodeURIComponent(userId) + "/suggestions?k=5");
    const data = await res.json();
    if (!res.ok) { history.innerHTML = `<li>${esc(data.error && data.error.message)}</li>`; return; }
    const list = document.createElement("ol");
    list.className = "suggestions";
    list.innerHTML = data.items.map((it) => `<li><strong>${esc(it.product.title)}</strong> ${it.product.price != null ? "$" + Number(it.product.price).toFixed(2) : ""}
      ${it.owned ? `<span class="owned">${esc(t(it.owned.kind === "purchase" ? "console.bought" : "console.in_cart", { when: it.owned.ts }))}</span>` : ""}
      <ul>${it.reasons.map((r) => `<li title="${esc(r.evidence.join(", "))}">${esc(r.text)}</li>`).join("")}</ul></li>`).join("");
    holder.prepend(list);
  });
  select.addEventListener("change", () => load(select.value));

  // The customer list: searched and paged on the server (a store has more than fit a list).
  const find = document.getElementById("find");
  const found = document.getElementById("found");
  const more = document.getElementById("more-customers");
  let query = "", shown = select.options.length;
  async function customers(append) {
    const res = await fetch(`/agent/api/customers?q=${encodeURIComponent(query)}&offset=${append ? shown : 0}&limit=50`);
    if (!res.ok) return;
    const data = await res.json();
    const options = data.customers.map((c) => `<option value="${esc(c.id)}">${esc(c.name || c.id)} (${esc(c.id)})</option>`).join("");
    if (append) select.insertAdjacentHTML("beforeend", options); else select.innerHTML = options;
    shown = select.options.length;
    found.textContent = t("console.found", { shown, total: data.total });
    more.hidden = shown >= data.total;
  }
  let typing = null;
  find.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => { query = find.value.trim(); customers(false); }, 250);
  });
  more.addEventListener("click", () => customers(true));

  // Conversations handed over to a person: the queue, the transcript, the reply.
  const queue = document.getElementById("queue");
  const reply = document.getElementById("reply");
  let current = null;
  async function refreshQueue() {
    const res = await fetch("/agent/api/handoffs");
    if (!res.ok) return;
    const data = await res.json();
    queue.innerHTML = data.handoffs.map((h) => `<li><button type="button" class="take" data-session="${esc(h.session_id)}">${esc(t("console.since", { who: h.user_id || t("console.visitor"), time: h.since.slice(11, 16) }))}</button>
      <ol class="transcript">${h.turns.map((t) => `<li class="t-${esc(t.role)}">${esc(t.role)}: ${esc(t.text)}</li>`).join("")}</ol></li>`).join("") || `<li>${esc(t("console.nobody"))}</li>`;
  }
  queue.addEventListener("click", (e) => {
    const b = e.target.closest(".take");
    if (!b) return;
    current = b.dataset.session;
    document.getElementById("reply-to").textContent = t("console.replying", { who: b.textContent });
    reply.hidden = false;
    document.getElementById("reply-text").focus();
  });
  reply.addEventListener("submit", async (e) => {
    e.preventDefault();
    const text = document.getElementById("reply-text").value.trim();
    const picks = document.getElementById("reply-picks").value.split(",").map((x) => x.trim()).filter(Boolean);
    const res = await post(`/agent/api/sessions/${encodeURIComponent(current)}/reply`, { text, product_ids: picks });
    if (res.ok) { document.getElementById("reply-text").value = ""; document.getElementById("reply-to").textContent = t("console.sent"); }
  });
  document.getElementById("reply-close").addEventListener("click", async () => {
    if (current) await post(`/agent/api/sessions/${encodeURIComponent(current)}/close`);
    reply.hidden = true; current = null; refreshQueue();
  });
  // A customer's rights: a copy of everything held, and erasure.
  const privacy = document.getElementById("privacy");
  document.getElementById("export").addEventListener("click", async () => {
    if (!select.value) return;
    const res = await fetch("/agent/api/customers/" + encodeURIComponent(select.value) + "/export");
    const blob = new Blob([JSON.stringify(await res.json(), null, 2)], { type: "application/json" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = `customer-${select.value}.json`;
    a.click();
    privacy.textContent = t(res.ok ? "console.exported" : "console.export_failed");
  });
  document.getElementById("forget").addEventListener("click", async () => {
    const userId = select.value;
    if (!userId || !confirm(t("console.confirm_forget", { customer: userId }))) return;
    const res = await post("/agent/api/customers/" + encodeURIComponent(userId) + "/forget");
    const data = await res.json();
    privacy.textContent = res.ok ? t("console.deleted", { what: Object.entries(data.deleted).map(([k, v]) => `${v} ${k}`).join(", ") }) : (data.error && data.error.message) || t("console.failed");
    if (res.ok) { select.querySelector(`option[value="${CSS.escape(userId)}"]`)?.remove(); history.innerHTML = `<li>${esc(t("console.pick"))}</li>`; }
  });

  refreshQueue();
  setInterval(refreshQueue, 3000);
  // this script is deferred: a customer picked before it ran fired no listener, so load them now
  if (select.value) load(select.value);
})();
