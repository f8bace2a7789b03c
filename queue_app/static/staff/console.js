/* The staff console: pick a place and a counter, call the next resident, act on the
 * ticket at this counter, work the waiting list, issue walk-ins, see today's
 * reservations. It listens on Socket.IO (/display) and refetches on every event, so it
 * stays current without reloading.
 *
 * One resident at a counter at a time: "call next" is disabled while this counter has
 * a ticket called or being served (the server refuses it too: counter_busy). A no-show
 * is confirmed first; a completion or a no-show can be undone for UNDO_SECONDS. Every
 * action has a one-letter key, shown on its button (KEYS below). */
"use strict";

(function () {
  const api = window.StaffApi;
  const R = window.StaffRender;
  const $ = (id) => document.getElementById(id);
  const body = document.body;
  const places = JSON.parse(body.dataset.places);
  const services = JSON.parse(body.dataset.services);
  const serviceBySlug = Object.fromEntries(services.map((s) => [s.slug, s]));
  // Refetch shortly after an event, so a burst of events costs one request.
  const REFRESH_DELAY_MS = 120;
  const POLL_MS = 20000;
  const UNDO_SECONDS = Number(body.dataset.undoSeconds || 60);
  // One letter per action, as the buttons show them.
  const KEYS = { n: "call-next", r: "recall", s: "start", c: "complete", x: "no-show",
    t: "transfer", z: "undo", o: "counter-toggle" };

  const state = {
    slug: null, counterId: null, counters: [], waiting: [], serving: [], current: null,
    recalls: {}, socket: null, live: false, undo: null,
  };
  let queueRequest = 0;
  let refreshTimer = null;

  // ------------------------------------------------------------------ helpers
  function say(pair, kind) {
    const box = $("message");
    box.className = `message message-${kind || "ok"}`;
    box.replaceChildren(...R.both(pair));
  }

  const myCounter = () => state.counters.find((c) => c.id === state.counterId) || null;
  const serviceName = (slug) => (serviceBySlug[slug] || { name: { ja: slug, en: slug } }).name;
  const recallCount = (ticket) => (typeof ticket.recall_count === "number"
    ? ticket.recall_count : state.recalls[ticket.id] || 0);
  const ctx = {
    serviceName, recallCount,
    canCall(ticket) {
      const counter = myCounter();
      return !counter || !counter.services || counter.services.includes(ticket.service);
    },
  };
  const ticketOf = (data) => (data && data.ticket) || data;

  function remember() {
    localStorage.setItem("staff.place", state.slug);
    if (state.counterId) localStorage.setItem(`staff.counter.${state.slug}`, String(state.counterId));
    const query = new URLSearchParams({ location: state.slug });
    if (state.counterId) query.set("counter", state.counterId);
    history.replaceState(null, "", `${location.pathname}?${query}`);
  }

  // ------------------------------------------------------------------ loading
  async function loadCounters() {
    const result = await api.get(`/locations/${encodeURIComponent(state.slug)}/counters`);
    if (!result.ok) { say(api.errorText(result), "error"); return; }
    state.counters = result.data || [];
    const wanted = Number(body.dataset.chosenCounter || localStorage.getItem(`staff.counter.${state.slug}`));
    body.dataset.chosenCounter = "";
    if (!state.counters.some((c) => c.id === state.counterId)) {
      const fallback = state.counters.find((c) => c.open) || state.counters[0];
      state.counterId = state.counters.some((c) => c.id === wanted) ? wanted : (fallback ? fallback.id : null);
    }
    R.fillSelect($("counter"), state.counters.map((c) => [c.id, c.name]), state.counterId);
    renderCounter();
  }

  async function loadQueue() {
    const mine = ++queueRequest;
    const result = await api.get(`/locations/${encodeURIComponent(state.slug)}/queue`);
    if (mine !== queueRequest) return; // a newer answer is on its way; do not go back in time
    if (!result.ok) { say(api.errorText(result), "error"); return; }
    state.waiting = result.data.waiting || [];
    state.serving = result.data.serving || [];
    renderQueue();
    renderReception(result.data.reception_reason === "reception_closed");
  }

  // 受付終了: the kiosks refuse walk-ins; the clerk may still issue one for an urgent case.
  function renderReception(cutOff) {
    $("reception-state").hidden = !cutOff;
    $("walkin-override-field").hidden = !cutOff;
    if (!cutOff) $("walkin-override").checked = false;
  }

  async function loadReservations() {
    const result = await api.get(
      `/locations/${encodeURIComponent(state.slug)}/reservations?date=${body.dataset.today}`);
    if (!result.ok) return;
    const list = Array.isArray(result.data) ? result.data : (result.data.reservations || []);
    list.sort((a, b) => String(a.start).localeCompare(String(b.start)));
    R.renderReservations($("reservations-body"), list, ctx);
    $("reservations-empty").hidden = list.length > 0;
    const checked = list.filter((r) => r.status === "checked_in" || r.status === "done").length;
    const active = list.filter((r) => r.status !== "cancelled").length;
    $("reservations-summary").textContent = `受付済 ${checked} / ${active}`;
  }

  async function refreshAll() {
    await Promise.all([loadCounters(), loadQueue(), loadReservations()]);
    renderQueue();
  }

  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refreshAll, REFRESH_DELAY_MS);
  }

  // ------------------------------------------------------------------ rendering
  function renderCounter() {
    const counter = myCounter();
    const toggle = $("counter-toggle");
    toggle.disabled = !counter;
    const busy = state.current;
    $("call-next").disabled = !counter || !counter.open || Boolean(busy);
    // Say why the button is off: the clerk should never have to guess.
    $("call-next-why").replaceChildren(...R.both(
      !counter ? null
        : !counter.open ? ["窓口を開けると呼び出せます。", "Open the counter to call."]
          : busy ? [`${busy.number} の対応を終えてから(完了・不在・転送)次の方を呼べます。`,
            `Finish with ${busy.number} (complete, no-show or transfer) before calling the next.`]
            : null));
    if (!counter) { $("counter-state").replaceChildren(); return; }
    $("counter-state").className = `badge ${counter.open ? "badge-open" : "badge-closed"}`;
    const back = counter.until ? api.hhmm(counter.until) : null;
    $("counter-state").replaceChildren(...R.both(counter.open ? ["受付中", "Open"]
      : back ? [`休止中(${back}まで)`, `Closed until ${back}`] : ["休止中", "Closed"]));
    $("until-field").hidden = !counter.open;
    toggle.replaceChildren(...R.both(counter.open ? ["窓口を休止する", "Close counter"] : ["窓口を開ける", "Open counter"]));
    toggle.dataset.action = counter.open ? "close" : "open";
  }

  function renderQueue() {
    // The ticket at this counter is whatever the server says is called or served there.
    state.current = state.serving
      .filter((t) => t.counter && t.counter.id === state.counterId)
      .sort((a, b) => String(b.called_at).localeCompare(String(a.called_at)))[0] || null;
    R.renderWaiting($("waiting-body"), state.waiting, ctx);
    $("waiting-empty").hidden = state.waiting.length > 0;
    $("waiting-count").textContent = `${state.waiting.length}人 / ${state.waiting.length}`;
    R.renderServing($("serving-body"), state.serving, state.counters);
    R.renderCurrent(state.current, ctx);
    renderCounter();
  }

  // ------------------------------------------------------------------ actions
  async function callNext() {
    const counter = myCounter();
    if (!counter) return;
    $("call-next").disabled = true;
    const result = await api.post(`/counters/${counter.id}/call-next`);
    if (result.status === 204) {
      say(["この窓口でお呼びできる方はいません。", "Nobody is waiting for this counter."], "info");
    } else if (result.ok) {
      state.current = ticketOf(result.data);
      say([`${state.current.number} をお呼びしました。`, `Called ${state.current.number}.`]);
    } else {
      say(api.errorText(result), "error");
    }
    await loadQueue();
    $("call-next").focus();
  }

  const DONE_WORDS = {
    recall: ["を再度お呼びしました", "recalled"], start: ["の対応を開始しました", "being served"],
    complete: ["の対応を完了しました", "completed"], "no-show": ["を不在にしました", "marked no-show"],
  };

  async function ticketAction(action, ticketId, number, payload) {
    const result = await api.post(`/tickets/${encodeURIComponent(ticketId)}/${action}`, payload);
    if (!result.ok) {
      say(api.errorText(result), "error");
      await refreshAll();
      return false;
    }
    if (action === "complete" || action === "no-show") offerUndo(ticketId, number, action);
    const ticket = ticketOf(result.data);
    if (action === "recall" && ticket && typeof ticket.recall_count !== "number") {
      state.recalls[ticketId] = (state.recalls[ticketId] || 0) + 1;
    }
    if (state.current && state.current.id === ticketId) {
      state.current = ticket && ["called", "serving"].includes(ticket.status) ? ticket : null;
      R.renderCurrent(state.current, ctx);
    }
    const words = DONE_WORDS[action] || (action === "transfer"
      ? ["を転送しました", "transferred"] : ["を優先案内にしました", "prioritised"]);
    say([`${number} ${words[0]}。`, `${number} ${words[1]}.`]);
    await loadQueue();
    return true;
  }

  // ------------------------------------------------------------------ undo
  function hideUndo() {
    if (state.undo) clearInterval(state.undo.timer);
    state.undo = null;
    $("undo-bar").hidden = true;
  }

  function offerUndo(ticketId, number, action) {
    hideUndo();
    const until = Date.now() + UNDO_SECONDS * 1000;
    const tick = () => {
      const left = Math.ceil((until - Date.now()) / 1000);
      if (left <= 0) { hideUndo(); return; }
      $("undo-left").textContent = `${left}s`;
    };
    state.undo = { ticketId, number, timer: setInterval(tick, 1000) };
    $("undo-text").replaceChildren(...R.both(action === "complete"
      ? [`${number} を完了にしました。`, `${number} completed.`]
      : [`${number} を不在にしました。`, `${number} marked no-show.`]));
    $("undo-bar").hidden = false;
    tick();
  }

  async function undo() {
    if (!state.undo) return;
    const { ticketId, number } = state.undo;
    hideUndo();
    const result = await api.post(`/tickets/${encodeURIComponent(ticketId)}/undo`);
    if (result.ok) say([`${number} を元に戻しました。`, `${number} is back at the counter.`]);
    else say(api.errorText(result), "error");
    await loadQueue();
  }

  function openDialog(id, ticketId, number) {
    const dialog = $(id);
    dialog.dataset.ticket = ticketId;
    dialog.dataset.number = number;
    dialog.querySelectorAll(".js-dialog-number").forEach((el) => { el.textContent = number; });
    dialog.querySelectorAll(".alert").forEach((el) => { el.hidden = true; });
    if (id === "transfer-dialog") {
      R.fillSelect($("transfer-service"), [["", "変更しない / Keep"],
        ...services.map((s) => [s.slug, `${s.name.ja} / ${s.name.en}`])], "");
      R.fillSelect($("transfer-counter"), [["", "指定しない / Any counter"],
        ...state.counters.map((c) => [c.id, c.name])], "");
    } else if (id === "prioritise-dialog") {
      $("prioritise-reason").value = "";
    }
    dialog.showModal();
  }

  async function submitDialog(event) {
    const dialog = event.target.closest("dialog");
    if (event.submitter && event.submitter.value === "cancel") return; // closes itself
    event.preventDefault();
    if (dialog.id === "noshow-dialog") {
      dialog.close();
      await ticketAction("no-show", dialog.dataset.ticket, dialog.dataset.number);
      return;
    }
    const error = dialog.querySelector(".alert");
    let payload;
    if (dialog.id === "transfer-dialog") {
      payload = {};
      if ($("transfer-service").value) payload.service = $("transfer-service").value;
      if ($("transfer-counter").value) payload.counter = Number($("transfer-counter").value);
      if (!Object.keys(payload).length) {
        error.hidden = false;
        error.replaceChildren(...R.both(["手続きか窓口を選んでください。", "Choose a procedure or a counter."]));
        return;
      }
    } else {
      const reason = $("prioritise-reason").value.trim();
      if (!reason) {
        error.hidden = false;
        error.replaceChildren(...R.both(["理由を入力してください。", "Please give a reason."]));
        $("prioritise-reason").focus();
        return;
      }
      payload = { reason };
    }
    const action = dialog.id === "transfer-dialog" ? "transfer" : "prioritise";
    dialog.close();
    await ticketAction(action, dialog.dataset.ticket, dialog.dataset.number, payload);
  }

  async function toggleCounter() {
    const counter = myCounter();
    if (!counter) return;
    const action = $("counter-toggle").dataset.action;
    // Closing may say when the clerk is back (a time today, sent as a full time in Tokyo).
    const back = action === "close" ? $("counter-until").value : "";
    const payload = back ? { until: `${body.dataset.today}T${back}:00+09:00` } : undefined;
    const result = await api.post(`/counters/${counter.id}/${action}`, payload);
    $("counter-until").value = "";
    if (!result.ok) { say(api.errorText(result), "error"); return; }
    say(action === "open" ? [`${counter.name}を開けました。`, `${counter.name} is open.`]
      : [`${counter.name}を休止しました。`, `${counter.name} is closed.`]);
    await loadCounters();
  }

  async function issueWalkIn(event) {
    event.preventDefault();
    const service = $("walkin-service").value;
    const override = $("walkin-override").checked;
    const result = await api.post("/tickets", { location: state.slug, service, override });
    const out = $("walkin-result");
    if (!result.ok) {
      out.className = "result result-error";
      out.replaceChildren(...R.both(api.errorText(result)));
      if (result.data && result.data.code === "reception_closed") renderReception(true);
      return;
    }
    $("walkin-override").checked = false;
    const ticket = ticketOf(result.data);
    out.className = "result result-ok";
    out.replaceChildren(...R.both([`番号札 ${ticket.number} を発券しました。`, `Issued ${ticket.number}.`]));
    await loadQueue();
  }

  function onClick(event) {
    const button = event.target.closest("button[data-action]");
    if (!button || button.disabled || button.closest("dialog")) return;
    const action = button.dataset.action;
    if (button.id === "counter-toggle") { toggleCounter(); return; }
    const ticket = button.dataset.scope === "current" ? state.current
      : { id: button.dataset.ticket, number: button.dataset.number };
    if (!ticket) return;
    if (action === "transfer") openDialog("transfer-dialog", ticket.id, ticket.number);
    else if (action === "no-show") openDialog("noshow-dialog", ticket.id, ticket.number);
    else if (action === "prioritise") openDialog("prioritise-dialog", ticket.id, ticket.number);
    else ticketAction(action, ticket.id, ticket.number);
  }

  /** The one-letter keys: only outside text fields and dialogs, without modifiers. */
  function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
    if (event.target.closest("input, select, textarea, dialog")) return;
    if (document.querySelector("dialog[open]")) return;
    const name = KEYS[event.key.toLowerCase()];
    if (!name) return;
    const candidates = ["call-next", "counter-toggle", "undo"].includes(name) ? [$(name)]
      : [...document.querySelectorAll(`#current .action-row [data-action="${name}"]`)];
    const button = candidates.find((b) => b && !b.disabled && !b.closest("[hidden]"));
    if (!button) return;
    event.preventDefault();
    button.click();
  }

  // ------------------------------------------------------------------ live updates
  function setLive(live) {
    state.live = live;
    $("live").dataset.state = live ? "live" : "offline";
    $("live-text").replaceChildren(...R.both(live ? ["ライブ更新中", "Live"]
      : ["切断中 — 再接続しています", "Offline — reconnecting"]));
  }

  function connect() {
    if (state.socket) state.socket.disconnect();
    if (!window.io) { setLive(false); return; }
    const socket = window.io("/display", { auth: { location: state.slug } });
    state.socket = socket;
    socket.on("connect", () => { setLive(true); scheduleRefresh(); });
    socket.on("disconnect", () => setLive(false));
    socket.on("connect_error", () => setLive(false));
    ["called", "queue", "snapshot"].forEach((name) => socket.on(name, scheduleRefresh));
  }

  async function choosePlace(slug) {
    state.slug = slug;
    state.counterId = null;
    state.current = null;
    R.fillSelect($("place"), places.map((p) => [p.slug, `${p.name.ja} / ${p.name.en}`]), slug);
    connect();
    await refreshAll();
    remember();
  }

  function init() {
    if (!places.length) return; // a new office without a place yet: the page says so
    const wanted = body.dataset.chosenPlace || localStorage.getItem("staff.place");
    const slug = places.some((p) => p.slug === wanted) ? wanted : places[0].slug;
    R.fillSelect($("walkin-service"), services.map((s) => [s.slug, `${s.name.ja} / ${s.name.en}`]), "");
    $("place").addEventListener("change", () => choosePlace($("place").value));
    $("counter").addEventListener("change", () => {
      state.counterId = Number($("counter").value);
      remember();
      loadQueue();
    });
    $("call-next").addEventListener("click", callNext);
    $("undo").addEventListener("click", undo);
    document.addEventListener("keydown", onKey);
    $("walkin-form").addEventListener("submit", issueWalkIn);
    document.querySelectorAll("dialog form").forEach((form) => form.addEventListener("submit", submitDialog));
    document.addEventListener("click", onClick);
    // Without a live connection, fall back to polling so the lists never go stale.
    setInterval(() => { if (!state.live) refreshAll(); }, POLL_MS);
    choosePlace(slug);
  }

  init();
})();
