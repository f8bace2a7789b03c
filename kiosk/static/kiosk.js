/* The kiosk's touch screen: scan a reservation's QR code (a USB/Bluetooth scanner types
 * it into the focused field and presses Enter, or the camera reads it) or take a walk-in
 * number. Every call goes to the API with this device's bearer token, which the setup
 * page (or a one-time #token= fragment) left in localStorage. */
"use strict";

(function () {
  const body = document.body;
  const slug = body.dataset.location;
  const RESET_MS = Math.max(3, Number(body.dataset.resetSeconds) || 30) * 1000;
  const TOKEN_KEY = `kiosk.token.${slug}`;
  const SETTINGS_KEY = "kiosk.settings";
  const MESSAGES = window.KIOSK_MESSAGES;
  const places = JSON.parse(body.dataset.places || "{}"); // slug -> {ja, en}
  const $ = (id) => document.getElementById(id);
  const SCREENS = ["unconfigured", "start", "busy", "ticket", "refusal"];
  // How often the list of walk-in procedures is refreshed (windows open and close).
  const WALKIN_REFRESH_MS = 60 * 1000;

  let screen = null;
  let resetTimer = null;
  let countdownTimer = null;
  let busy = false;
  let walkIns = null; // [{slug, name: {ja, en}}] once loaded
  let serviceNames = {}; // slug -> {ja, en}
  let keyBuffer = "";
  let lastKeyAt = 0;

  const settings = (() => {
    try { return JSON.parse(localStorage.getItem(SETTINGS_KEY)) || {}; } catch (e) { return {}; }
  })();

  // ------------------------------------------------------------------ token
  function takeTokenFromFragment() {
    const match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
    if (!match) return;
    localStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
    // Read once, then gone from the address bar and the history.
    history.replaceState(null, "", window.location.pathname + window.location.search);
  }

  const token = () => localStorage.getItem(TOKEN_KEY);

  async function checkDevice() {
    if (!token()) return false;
    try {
      const response = await fetch(`/kiosk/${encodeURIComponent(slug)}/device`, {
        headers: { Authorization: `Bearer ${token()}` }, cache: "no-store",
      });
      return response.ok;
    } catch (e) {
      return true; // the network is down: keep the kiosk up, the scan will tell
    }
  }

  // ------------------------------------------------------------------ screens
  function clearTimers() {
    clearTimeout(resetTimer);
    clearInterval(countdownTimer);
    resetTimer = countdownTimer = null;
  }

  function show(name) {
    clearTimers();
    screen = name;
    SCREENS.forEach((other) => { $(`screen-${other}`).hidden = other !== name; });
    body.dataset.screen = name;
    if (name !== "start" && window.KioskCamera) {
      window.KioskCamera.stop();
      $("camera").hidden = true;
    }
    if (name === "start") {
      $("scanner").value = "";
      focusScanner();
      loadWalkIns();
    } else {
      const heading = document.querySelector(`#screen-${name} h2`);
      if (heading) heading.focus({ preventScroll: true });
    }
  }

  function focusScanner() {
    if (screen === "start") $("scanner").focus({ preventScroll: true });
  }

  function startCountdown() {
    const until = Date.now() + RESET_MS;
    const render = () => {
      const seconds = Math.max(0, Math.ceil((until - Date.now()) / 1000));
      document.querySelectorAll(`#screen-${screen} .js-countdown`).forEach((el) => {
        el.textContent = `${seconds}秒後に最初の画面に戻ります / Back to the start in ${seconds} s`;
      });
    };
    render();
    countdownTimer = setInterval(render, 1000);
    resetTimer = setTimeout(() => show("start"), RESET_MS);
  }

  function announce(text) {
    const status = $("status");
    status.textContent = "";
    // A fresh text node after a tick, so screen readers announce a repeat too.
    setTimeout(() => { status.textContent = text; }, 50);
  }

  // ------------------------------------------------------------------ API
  async function api(method, path, payload) {
    const headers = { Accept: "application/json", Authorization: `Bearer ${token()}` };
    if (payload !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(`/api/v1${path}`, {
      method, headers, cache: "no-store",
      body: payload === undefined ? undefined : JSON.stringify(payload),
    });
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    return { status: response.status, ok: response.ok, data };
  }

  async function loadServiceNames() {
    try {
      const result = await api("GET", "/services");
      if (result.ok && Array.isArray(result.data)) {
        result.data.forEach((service) => { serviceNames[service.slug] = service.name; });
      }
    } catch (e) { /* names fall back to the walk-in list */ }
  }

  // The walk-in procedures offered right now; the API answers a list of services,
  // either bare or as {"services": [...]}, possibly with a reason when there are none.
  async function loadWalkIns() {
    if (!token()) return;
    let result;
    try {
      result = await api("GET", `/locations/${encodeURIComponent(slug)}/walk-in-services`);
    } catch (e) {
      return;
    }
    if (result.status === 401 || result.status === 403) { show("unconfigured"); return; }
    if (!result.ok || !result.data) return;
    const list = Array.isArray(result.data) ? result.data : (result.data.services || []);
    walkIns = list.filter((service) => service.walk_in !== false);
    walkIns.forEach((service) => { serviceNames[service.slug] = service.name; });
    renderWalkIns($("walkin-buttons"), walkIns);
    const none = $("walkin-none");
    none.hidden = walkIns.length > 0;
    if (!walkIns.length) {
      const reason = (!Array.isArray(result.data) && result.data.reason) || "closed";
      const message = MESSAGES[reason] || MESSAGES.closed;
      none.textContent = `${message.title[0]} / ${message.title[1]}`;
    }
  }

  function renderWalkIns(container, services) {
    container.replaceChildren(...services.map((service) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "walkin-button";
      button.dataset.service = service.slug;
      const ja = document.createElement("span");
      ja.className = "ja";
      ja.textContent = service.name.ja;
      const en = document.createElement("span");
      en.className = "en";
      en.lang = "en";
      en.textContent = service.name.en;
      button.append(ja, en);
      return button;
    }));
  }

  // ------------------------------------------------------------------ actions
  async function checkIn(text) {
    // Scanners behind a Japanese IME may send full-width characters: fold them back.
    const payload = (text || "").normalize("NFKC").trim();
    if (!payload || busy) return;
    await run(() => api("POST", "/check-ins", { payload }), true);
  }

  async function takeWalkIn(service) {
    if (busy) return;
    await run(() => api("POST", "/tickets", { location: slug, service }), false);
  }

  async function run(call, isCheckIn) {
    busy = true;
    show("busy");
    let result;
    try {
      result = await call();
    } catch (e) {
      result = { status: 0, ok: false, data: null };
    } finally {
      busy = false;
    }
    if (result.ok && result.data) {
      showTicket(result.data.ticket || result.data, isCheckIn && result.status === 200);
    } else if (result.status === 401) {
      show("unconfigured");
    } else {
      const code = result.data && result.data.code;
      refuse(MESSAGES[code] && code !== "not_configured" ? code : "error", result.data || {});
    }
  }

  // ------------------------------------------------------------------ ticket
  const timeFormat = new Intl.DateTimeFormat("ja-JP", {
    timeZone: "Asia/Tokyo", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit",
  });

  function waitText(minutes) {
    if (minutes === null || minutes === undefined) return "—";
    if (minutes <= 0) return "まもなくお呼びします / Soon";
    return `約${minutes}分 / about ${minutes} min`;
  }

  function aheadText(ticket) {
    if (typeof ticket.position !== "number") return "—";
    const ahead = Math.max(0, ticket.position - 1);
    return `${ahead}人 / ${ahead} ${ahead === 1 ? "person" : "people"}`;
  }

  function serviceText(slugName) {
    const name = serviceNames[slugName];
    return name ? `${name.ja} / ${name.en}` : slugName;
  }

  function showTicket(ticket, already) {
    $("ticket-number").textContent = ticket.number;
    $("ticket-service").textContent = serviceText(ticket.service);
    $("ticket-wait").textContent = waitText(ticket.estimated_wait_minutes);
    $("ticket-ahead").textContent = aheadText(ticket);
    $("ticket-issued").textContent = ticket.issued_at
      ? `発券 Issued ${timeFormat.format(new Date(ticket.issued_at))}` : "";
    const note = $("ticket-note");
    note.hidden = !already;
    note.textContent = already
      ? "このご予約は受付済みです。番号札をもう一度表示しています。 / You have already checked in; here is your number again."
      : "";
    const qr = $("ticket-qr");
    qr.src = `${body.dataset.qrUrl}?ticket=${encodeURIComponent(ticket.id)}`;
    body.dataset.ticketId = ticket.id;
    show("ticket");
    announce(`受付番号は ${ticket.number} です。Your number is ${ticket.number}. ${$("ticket-wait").textContent}`);
    if (settings.autoprint) {
      const print = () => window.print();
      if (qr.complete) print(); else qr.addEventListener("load", print, { once: true });
    }
    startCountdown();
  }

  // ------------------------------------------------------------------ refusal
  const clockFormat = new Intl.DateTimeFormat("ja-JP", {
    timeZone: "Asia/Tokyo", hour: "numeric", minute: "2-digit",
  });
  const dateFormat = new Intl.DateTimeFormat("ja-JP", {
    timeZone: "Asia/Tokyo", month: "long", day: "numeric", weekday: "short",
  });
  const dateFormatEn = new Intl.DateTimeFormat("en-GB", {
    timeZone: "Asia/Tokyo", weekday: "short", day: "numeric", month: "long",
  });

  function fill(template, problem) {
    const opens = problem.opens_at ? clockFormat.format(new Date(problem.opens_at)) : "";
    // "2027-01-14" is a calendar date: read it at noon in Tokyo so no zone shifts the day.
    const day = /^\d{4}-\d{2}-\d{2}$/.test(problem.date || "") ? new Date(`${problem.date}T12:00:00+09:00`) : null;
    const place = places[problem.location];
    return template
      .replaceAll("{early}", body.dataset.earlyMinutes)
      .replaceAll("{late}", body.dataset.lateMinutes)
      .replaceAll("{opens}", opens ? `${opens}から受付できます。` : "")
      .replaceAll("{opens_en}", opens ? ` You can check in from ${opens}.` : "")
      .replaceAll("{date}", day ? `ご予約日は${dateFormat.format(day)}です。` : "")
      .replaceAll("{date_en}", day ? `Your reservation is on ${dateFormatEn.format(day)}. ` : "")
      .replaceAll("{place}", place ? `ご予約の場所は「${place.ja}」です。` : "")
      .replaceAll("{place_en}", place ? ` Your reservation is at ${place.en}.` : "");
  }

  function refuse(code, problem) {
    const message = MESSAGES[code];
    $("refusal-title-ja").textContent = message.title[0];
    $("refusal-title-en").textContent = message.title[1];
    $("refusal-ja").textContent = fill(message.ja, problem);
    $("refusal-en").textContent = fill(message.en, problem);
    body.dataset.refusal = code;
    const offer = $("refusal-walkin");
    const offered = message.offerWalkIn && walkIns ? walkIns : [];
    // Offer the reservation's own procedure first when the API names it.
    const own = offered.filter((service) => service.slug === problem.service);
    renderWalkIns($("refusal-walkin-buttons"), own.length ? own : offered);
    offer.hidden = offered.length === 0;
    show("refusal");
    announce(`${message.title[0]}。${$("refusal-ja").textContent} ${message.title[1]}. ${$("refusal-en").textContent}`);
    startCountdown();
  }

  // ------------------------------------------------------------------ input
  function onScannerKey(event) {
    if (event.key === "Enter" || event.key === "Tab") {
      const value = $("scanner").value;
      if (value.trim()) {
        event.preventDefault();
        $("scanner").value = "";
        checkIn(value);
      }
    }
  }

  // A scan that arrives while focus is elsewhere (a button, another screen) is
  // gathered here, so a resident never has to touch the field first.
  function onDocumentKey(event) {
    if (event.target === $("scanner") || event.ctrlKey || event.metaKey || event.altKey) return;
    const now = Date.now();
    if (now - lastKeyAt > 1000) keyBuffer = "";
    lastKeyAt = now;
    if (event.key === "Enter" && keyBuffer.length >= 8) {
      event.preventDefault();
      const text = keyBuffer;
      keyBuffer = "";
      checkIn(text);
    } else if (event.key.length === 1 && !(event.key === " " && !keyBuffer)) {
      keyBuffer += event.key;
      event.preventDefault();
    }
  }

  function onClick(event) {
    const button = event.target.closest(".walkin-button");
    if (button) { takeWalkIn(button.dataset.service); return; }
    if (event.target.closest("#ticket-done") || event.target.closest("#refusal-back")) show("start");
    else if (event.target.closest("#ticket-print")) window.print();
    else if (event.target.closest("#camera-start")) startCamera();
    else if (event.target.closest("#camera-stop")) { window.KioskCamera.stop(); $("camera").hidden = true; focusScanner(); }
    else if (screen === "start" && !event.target.closest("button")) focusScanner();
  }

  function startCamera() {
    $("camera").hidden = false;
    window.KioskCamera.start($("camera-video"), (text) => {
      $("camera").hidden = true;
      checkIn(text);
    }, () => {
      $("camera").hidden = true;
      announce("カメラを使用できません。読み取り機をご利用ください。 The camera is not available; please use the scanner.");
      focusScanner();
    });
  }

  // ------------------------------------------------------------------ start
  async function init() {
    if (settings.paper === "58") body.classList.replace("paper-80", "paper-58");
    takeTokenFromFragment();
    $("scanner").addEventListener("keydown", onScannerKey);
    // Keep the scanner field focused on the start screen when focus drifts to nothing.
    $("scanner").addEventListener("blur", (event) => {
      if (!event.relatedTarget) setTimeout(focusScanner, 0);
    });
    document.addEventListener("keydown", onDocumentKey);
    document.addEventListener("click", onClick);
    window.addEventListener("afterprint", focusScanner);
    if (!(await checkDevice())) { show("unconfigured"); return; }
    await loadServiceNames();
    show("start");
    setInterval(() => { if (screen === "start") loadWalkIns(); }, WALKIN_REFRESH_MS);
  }

  init();
})();
