/* Booking for a caller (電話・窓口予約) and finding a reservation without its QR code.
 * The clerk books through POST /reservations (the same rules as online; the console's
 * session and CSRF header make it a staff booking, with its channel), reads the code
 * out, and may print the slip; a resident who came without the QR is found by code,
 * phone or name (GET …/reservations?q=) and checked in with POST /check-ins {"code"}. */
(() => {
  "use strict";

  const api = window.StaffApi;
  const R = window.StaffRender;
  const body = document.body;
  const $ = (id) => document.getElementById(id);
  const services = JSON.parse(body.dataset.services).filter((s) => s.reservable);
  const place = () => $("place").value;
  const FIELDS = { name: "caller-name", phone: "caller-phone", email: "caller-email" };

  async function loadTimes() {
    const service = $("caller-service").value;
    const day = $("caller-date").value;
    const select = $("caller-time");
    select.replaceChildren();
    $("caller-time-help").textContent = "";
    if (!service || !day || !place()) return;
    const query = new URLSearchParams({ location: place(), service, date: day });
    const result = await api.get(`/availability?${query}`);
    const slots = result.ok ? (result.data.slots || []).filter((s) => s.remaining > 0) : [];
    R.fillSelect(select, slots.map((s) => [s.start, `${api.hhmm(s.start)}(残り${s.remaining} / ${s.remaining} left)`]), "");
    if (!slots.length) {
      $("caller-time-help").replaceChildren(...R.both(["この日は予約できる時間がありません。", "No time left on this day."]));
    }
  }

  function showFieldErrors(errors) {
    Object.entries(FIELDS).forEach(([field, id]) => {
      const out = $(`${id}-error`);
      const messages = errors && errors[field];
      out.hidden = !messages;
      out.textContent = messages ? [].concat(messages).join(" ") : "";
      $(id).setAttribute("aria-invalid", messages ? "true" : "false");
    });
  }

  async function book(event) {
    event.preventDefault();
    const out = $("caller-result");
    const channel = document.querySelector('input[name="channel"]:checked').value;
    const payload = {
      location: place(), service: $("caller-service").value, start: $("caller-time").value,
      name: $("caller-name").value.trim(), furigana: $("caller-furigana").value.trim() || null,
      phone: $("caller-phone").value.trim() || null, email: $("caller-email").value.trim() || null,
      language: $("caller-language").value, channel,
    };
    const result = await api.post("/reservations", payload);
    if (!result.ok) {
      out.className = "result result-error";
      out.replaceChildren(...R.both(api.errorText(result)));
      showFieldErrors(result.data && result.data.errors);
      return;
    }
    showFieldErrors(null);
    const r = result.data;
    out.className = "result result-ok";
    out.replaceChildren(
      R.el("p", {}, ...R.both(["予約しました。予約番号をお伝えください。", "Booked. Read the code out to the resident."])),
      R.el("p", { className: "booked-code", id: "booked-code" }, r.code),
      R.el("p", {}, `${api.hhmm(r.start)} — ${r.name || ""}`),
      R.el("p", {}, R.el("a", { href: `/staff/reservations/${encodeURIComponent(r.code)}/slip`, target: "_blank" },
        ...R.both(["予約票を印刷する(A6)", "Print the slip (A6)"]))));
    $("caller-form").reset();
    await loadTimes();
  }

  // ------------------------------------------------------------------ find and check in
  function findRow(r) {
    const button = r.status === "booked"
      ? R.el("button", { type: "button", className: "btn", "data-check-in": r.code }, ...R.both(["受付する", "Check in"]))
      : R.el("span", { className: `tag tag-res-${r.status}` }, ...R.both(api.RESERVATION_STATUS[r.status] || [r.status, ""]));
    return R.el("tr", { "data-code": r.code },
      R.el("td", { className: "num" }, api.hhmm(r.start)),
      R.el("td", { className: "code" }, r.code),
      R.el("td", {}, r.name || "—", r.phone ? ` ${r.phone}` : ""),
      R.el("td", {}, button, r.ticket ? ` ${r.ticket.number}` : ""));
  }

  async function find(event) {
    if (event) event.preventDefault();
    const text = $("find-text").value.trim();
    if (!text) { $("find-results").hidden = true; return; }
    const query = new URLSearchParams({ q: text, date: body.dataset.today });
    const result = await api.get(`/locations/${encodeURIComponent(place())}/reservations?${query}`);
    if (!result.ok) { $("find-result").replaceChildren(...R.both(api.errorText(result))); return; }
    $("find-body").replaceChildren(...result.data.map(findRow));
    $("find-empty").hidden = result.data.length > 0;
    $("find-results").hidden = false;
  }

  async function checkIn(code) {
    const out = $("find-result");
    const result = await api.post("/check-ins", { code });
    if (!result.ok) {
      out.className = "result result-error";
      out.replaceChildren(...R.both(api.errorText(result)));
      return;
    }
    const ticket = result.data.ticket;
    out.className = "result result-ok";
    out.replaceChildren(...R.both([`受付しました。番号札 ${ticket.number}`, `Checked in: ticket ${ticket.number}`]));
    await find();
  }

  function init() {
    if (!$("caller-form")) return;
    R.fillSelect($("caller-service"), services.map((s) => [s.slug, `${s.name.ja} / ${s.name.en}`]), "");
    $("caller-date").value = body.dataset.today;
    $("caller-date").min = body.dataset.today;
    ["caller-service", "caller-date"].forEach((id) => $(id).addEventListener("change", loadTimes));
    $("place").addEventListener("change", loadTimes);
    $("caller-form").addEventListener("submit", book);
    $("find-form").addEventListener("submit", find);
    $("find-body").addEventListener("click", (event) => {
      const button = event.target.closest("button[data-check-in]");
      if (button) checkIn(button.dataset.checkIn);
    });
    loadTimes();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
