/* Agent console: pick a customer, see their history, ask the assistant on their behalf. */
(function () {
  "use strict";
  const select = document.getElementById("customer");
  const history = document.getElementById("history");
  const holder = document.getElementById("assistant");
  const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));

  function mountWidget(userId) {
    holder.innerHTML = "";
    document.querySelectorAll(".sa-widget").forEach((w) => w.remove());
    sessionStorage.removeItem("shopassist-session");
    const s = document.createElement("script");
    s.src = "/static/widget.js?u=" + encodeURIComponent(userId);
    s.dataset.user = userId;
    s.dataset.target = "#assistant";
    s.dataset.title = "Suggestions for " + userId;
    document.body.appendChild(s);
  }

  async function load(userId) {
    history.innerHTML = "<li>Loading…</li>";
    const res = await fetch("/agent/api/customers/" + encodeURIComponent(userId));
    const data = await res.json();
    if (!res.ok) { history.innerHTML = `<li>${esc(data.error && data.error.message)}</li>`; return; }
    history.innerHTML = data.history.map((e) =>
      `<li><span class="kind kind-${esc(e.kind)}">${esc(e.kind)}</span> ${esc(e.title)} <small>${esc(e.ts.slice(0, 10))}</small></li>`).join("") || "<li>No history yet.</li>";
    mountWidget(userId);
  }

  document.getElementById("suggest").addEventListener("click", async () => {
    const userId = select.value;
    if (!userId) { history.innerHTML = "<li>Pick a customer first.</li>"; return; }
    const res = await fetch("/v1/recommendations", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ user_id: userId, k: 5, max_per_category: 2 }) });
    const data = await res.json();
    const list = document.createElement("ol");
    list.className = "suggestions";
    list.innerHTML = data.items.map((it) => `<li><strong>${esc(it.product.title)}</strong> ${it.product.price != null ? "$" + Number(it.product.price).toFixed(2) : ""}
      <ul>${it.reasons.map((r) => `<li title="${esc(r.evidence.join(", "))}">${esc(r.text)}</li>`).join("")}</ul></li>`).join("");
    holder.prepend(list);
  });
  select.addEventListener("change", () => load(select.value));
  // this script is deferred: a customer picked before it ran fired no listener, so load them now
  if (select.value) load(select.value);
})();
