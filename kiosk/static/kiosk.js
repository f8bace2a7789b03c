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
  const TEXT = window.KIOSK_TEXT;
  // The second language under the Japanese: English until a resident picks another on
  // the start screen; back to English for the next resident (see languageIdle).
  const LANGUAGES = window.KIOSK_LANGUAGES;
  const DEFAULT_LANGUAGE = LANGUAGES[0];
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
  let second = DEFAULT_LANGUAGE;
  let walkInReason = "closed"; // why there are no walk-in buttons, when there are none
  let walkInOffer = {}; // the last walk-in offer (its next_opening after 受付終了)
  let languageTimer = null;

  const settings = (() => {
    try { return JSON.parse(localStorage.getItem(SETTINGS_KEY)) || {}; } catch (e) { return {}; }
  })();
  // A resident without a smartphone must leave with a number: the kiosk prints each
  // ticket unless its setup says otherwise, and "print" is the main button until then.
  const autoprint = settings.autoprint !== false;

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

  // ------------------------------------------------------------------ languages
  function fillIn(text, values) {
    return String(text || "").replace(/\{(\w+)\}/g, (all, name) =>
      (values && values[name] !== undefined ? values[name] : all));
  }

  // A table's text ({ja, en, ...}) in Japanese ("ja") or in the second language.
  function pick(table, code, values) {
    return fillIn(table[code] !== undefined ? table[code] : table.en, values);
  }

  const t = (key, code, values) => pick(TEXT[key], code, values);

  // "Japanese / second language", for the lines the script writes as one text.
  const both = (key, values) => `${t(key, "ja", values)} / ${t(key, second.code, values)}`;

  // A place's or a procedure's name ({ja, en}) in the second language: the English name,
  // or none for Easy Japanese, which names them as Japanese does.
  const secondName = (name) => (!name || second.code === "easy-ja" ? "" : name.en || "");

  function renderLanguageButtons() {
    $("language-buttons").replaceChildren(...LANGUAGES.map((language) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "language-button";
      button.dataset.language = language.code;
      button.lang = language.lang;
      button.textContent = language.name;
      button.setAttribute("aria-pressed", String(language.code === second.code));
      return button;
    }));
  }

  function applyLanguage() {
    document.querySelectorAll("[data-t]").forEach((element) => {
      const japanese = element.classList.contains("ja");
      element.textContent = t(element.dataset.t, japanese ? "ja" : second.code);
      if (!japanese) element.lang = second.lang;
    });
    document.querySelectorAll("[data-t-label]").forEach((element) => {
      const label = both(element.dataset.tLabel);
      if (element.tagName === "IMG") element.alt = label; else element.setAttribute("aria-label", label);
    });
    [$("place-second"), $("slip-place-second")].forEach((element) => {
      element.textContent = secondName(places[slug]);
      element.lang = second.lang;
      element.hidden = !element.textContent;
    });
    document.querySelectorAll(".language-button").forEach((button) => {
      button.setAttribute("aria-pressed", String(button.dataset.language === second.code));
    });
    if (walkIns) renderWalkIns($("walkin-buttons"), walkIns);
    showNoWalkIns();
  }

  function setLanguage(code) {
    second = LANGUAGES.find((language) => language.code === code) || DEFAULT_LANGUAGE;
    applyLanguage();
    languageIdle();
  }

  // A language left chosen on an idle start screen goes back to English.
  function languageIdle() {
    clearTimeout(languageTimer);
    if (second === DEFAULT_LANGUAGE) return;
    languageTimer = setTimeout(() => {
      if (screen === "start" && !busy) setLanguage(DEFAULT_LANGUAGE.code); else languageIdle();
    }, RESET_MS * 2);
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
        el.textContent = both("countdown", { seconds });
      });
    };
    render();
    countdownTimer = setInterval(render, 1000);
    // Nobody touched the screen: the next resident finds the start, in English again.
    resetTimer = setTimeout(() => { setLanguage(DEFAULT_LANGUAGE.code); show("start"); }, RESET_MS);
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
    walkInReason = (!Array.isArray(result.data) && result.data.reason) || "closed";
    walkInOffer = Array.isArray(result.data) ? {} : result.data;
    renderWalkIns($("walkin-buttons"), walkIns);
    showNoWalkIns();
  }


  function showNoWalkIns() {
    const none = $("walkin-none");
    none.hidden = !walkIns || walkIns.length > 0;
    if (!none.hidden) {
      const message = MESSAGES[walkInReason] || MESSAGES.closed;
      none.textContent = `${pick(message.title, "ja")} / ${pick(message.title, second.code)}`;
      if (walkInReason === "reception_closed") {
        // 受付終了: say why and when reception opens again, in both languages.
        none.textContent += ` ${fill(message, "ja", walkInOffer)} ${fill(message, second.code, walkInOffer)}`;
      }
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
      button.append(ja);
      const name = secondName(service.name);
      if (name) {
        const other = document.createElement("span");
        other.className = "en";
        other.lang = second.lang;
        other.textContent = name;
        button.append(other);
      }
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

  // The range the estimate gives (「約15〜25分」), else its point, else a dash.
  function waitText(minutes, range) {
    if (minutes === null || minutes === undefined) return "—";
    if (minutes > 0 && Array.isArray(range) && range[1] > range[0]) {
      return both("wait_range", { low: range[0], high: range[1] });
    }
    return minutes <= 0 ? both("wait_soon") : both("wait_minutes", { minutes });
  }

  function aheadText(ticket) {
    if (typeof ticket.position !== "number") return "—";
    const ahead = Math.max(0, ticket.position - 1);
    return both(ahead === 1 ? "ahead_one" : "ahead_other", { count: ahead });
  }

  function serviceText(slugName) {
    const name = serviceNames[slugName];
    if (!name) return slugName;
    const other = secondName(name);
    return other ? `${name.ja} / ${other}` : name.ja;
  }

  function showTicket(ticket, already) {
    $("ticket-number").textContent = ticket.number;
    $("ticket-service").textContent = serviceText(ticket.service);
    $("ticket-wait").textContent = waitText(ticket.estimated_wait_minutes, ticket.estimated_wait_range);
    $("ticket-ahead").textContent = aheadText(ticket);
    $("ticket-issued").textContent = ticket.issued_at
      ? `${both("issued")} ${timeFormat.format(new Date(ticket.issued_at))}` : "";
    const note = $("ticket-note");
    note.hidden = !already;
    note.textContent = already ? both("already") : "";
    const qr = $("ticket-qr");
    // The phone page opens in the language chosen here (English needs no choice).
    const lang = second === DEFAULT_LANGUAGE ? "" : `&lang=${encodeURIComponent(second.code)}`;
    qr.src = `${body.dataset.qrUrl}?ticket=${encodeURIComponent(ticket.id)}${lang}`;
    body.dataset.ticketId = ticket.id;
    show("ticket");
    const number = { number: ticket.number };
    announce(`${t("announce_number", "ja", number)} ${t("announce_number", second.code, number)} ${$("ticket-wait").textContent}`);
    markPrinted(false);
    if (autoprint) {
      const print = () => { if (screen === "ticket") window.print(); };
      if (qr.complete) print(); else qr.addEventListener("load", print, { once: true });
    }
    startCountdown();
  }

  // ------------------------------------------------------------------ refusal
  const clockFormat = new Intl.DateTimeFormat("ja-JP", {
    timeZone: "Asia/Tokyo", hour: "numeric", minute: "2-digit",
  });
  function dateIn(language, day) {
    return new Intl.DateTimeFormat(language.locale, {
      timeZone: "Asia/Tokyo", month: "long", day: "numeric", weekday: language.weekday,
    }).format(day);
  }

  // "次の受付は12月4日(金) 8:30からです。" from the API's next_opening, "" without one.
  function nextOpening(when, code) {
    if (!when) return "";
    const at = new Date(when);
    const language = code === "ja" ? { locale: "ja-JP", weekday: "short" } : second;
    return t("next_opening", code, { date: dateIn(language, at), time: clockFormat.format(at) });
  }

  // A refusal's text in Japanese ("ja") or the second language, with the API's details.
  function fill(message, code, problem) {
    const opens = problem.opens_at ? clockFormat.format(new Date(problem.opens_at)) : "";
    // "2027-01-14" is a calendar date: read it at noon in Tokyo so no zone shifts the day.
    const day = /^\d{4}-\d{2}-\d{2}$/.test(problem.date || "") ? new Date(`${problem.date}T12:00:00+09:00`) : null;
    const place = places[problem.location];
    const japanese = code === "ja" || code === "easy-ja";
    return pick(message.text, code, {
      early: body.dataset.earlyMinutes,
      late: body.dataset.lateMinutes,
      opens: opens ? t("opens", code, { time: opens }) : "",
      next: nextOpening(problem.next_opening, code),
      date: day ? t("date", code, { date: dateIn(code === "ja" ? { locale: "ja-JP", weekday: "short" } : second, day) }) : "",
      place: place ? t("place", code, { place: japanese ? place.ja : place.en }) : "",
    });
  }

  function refuse(code, problem) {
    const message = MESSAGES[code];
    $("refusal-title-ja").textContent = pick(message.title, "ja");
    $("refusal-title-en").textContent = pick(message.title, second.code);
    $("refusal-title-en").lang = second.lang;
    $("refusal-ja").textContent = fill(message, "ja", problem);
    $("refusal-en").textContent = fill(message, second.code, problem);
    $("refusal-en").lang = second.lang;
    body.dataset.refusal = code;
    const offer = $("refusal-walkin");
    const offered = message.offerWalkIn && walkIns ? walkIns : [];
    // Offer the reservation's own procedure first when the API names it.
    const own = offered.filter((service) => service.slug === problem.service);
    renderWalkIns($("refusal-walkin-buttons"), own.length ? own : offered);
    offer.hidden = offered.length === 0;
    show("refusal");
    announce(`${$("refusal-title-ja").textContent}。${$("refusal-ja").textContent} ${$("refusal-title-en").textContent} ${$("refusal-en").textContent}`);
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

  /** Before printing, 印刷 is the filled button; once printed, the kiosk says to take
   * the ticket and 終わる becomes the filled one. */
  function markPrinted(printed) {
    $("ticket-printed").hidden = !printed;
    $("ticket-print").classList.toggle("button-secondary", printed);
    $("ticket-done").classList.toggle("button-secondary", !printed);
  }

  function onClick(event) {
    languageIdle();
    const button = event.target.closest(".walkin-button");
    if (button) { takeWalkIn(button.dataset.service); return; }
    const language = event.target.closest(".language-button");
    if (language) { setLanguage(language.dataset.language); focusScanner(); return; }
    if (event.target.closest("#ticket-done")) { setLanguage(DEFAULT_LANGUAGE.code); show("start"); }
    else if (event.target.closest("#refusal-back")) show("start");
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
      announce(`${t("camera_unavailable", "ja")} ${t("camera_unavailable", second.code)}`);
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
    document.addEventListener("keydown", languageIdle);
    document.addEventListener("click", onClick);
    renderLanguageButtons();
    applyLanguage();
    window.addEventListener("afterprint", () => {
      if (screen === "ticket") markPrinted(true);
      focusScanner();
    });
    if (!(await checkDevice())) { show("unconfigured"); return; }
    await loadServiceNames();
    show("start");
    setInterval(() => { if (screen === "start") loadWalkIns(); }, WALKIN_REFRESH_MS);
  }

  init();
})();
