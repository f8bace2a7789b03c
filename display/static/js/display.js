/*
 * The lobby display: renders the place's snapshot and moves it forward with each
 * `called` and `queue` event (LiveFeed keeps them in order). Each event carries what
 * changed: `waiting` always; a `queue` event that frees, opens or closes a counter
 * also `serving`, `counters` and `recent`, whole; a `called` event the number, its
 * counter and `called_at`, from which the counters and the recent calls follow. So
 * the screen redraws from the event alone and never asks for a snapshot for it.
 * A new call is highlighted, chimes and is read out in Japanese then English; a
 * recall is read out again. The recent calls list the calls before the one being
 * made, each once, as many whole rows as fit.
 *
 * The numbers are drawn at once, never behind a click. Where the browser keeps sound
 * off until a gesture, a small banner at the bottom asks for a tap anywhere.
 *
 * When the connection drops, a discreet "reconnecting" mark appears at once; if the
 * page is still not live after a few seconds (no connection, no fresh snapshot since
 * it reconnected, or the server silent for longer than its heartbeat), a full-width
 * banner says the screen is not updating and every number turns grey, until the
 * page has reconnected and taken a fresh snapshot. Numbers and counters only: the
 * page never receives a name.
 */
(function () {
  "use strict";

  var RECENT = 8;
  var HIGHLIGHT_MS = 12000;
  var GRACE_MS = 4000;        // not live for this long: the "not updating" banner
  var SOUND_WAIT_MS = 800;    // time for an allowed AudioContext to start by itself
  var body = document.body;
  var slug = body.getAttribute("data-location");
  var token = new URLSearchParams(window.location.search).get("token");
  var announcer = new window.Announcer();
  // {counters: [names], closed: {name: until|null}, serving: {counter: number},
  //  recent: [...], waiting: {...}, reception: "open"|..., receptionReason, nextOpening}
  var state = null;
  var highlightTimer = null;
  var newCounter = null;  // the counter of the call being highlighted
  var feed = null;
  var stale = false;      // the "not updating" banner is up
  var notLiveSince = Date.now();

  function $(id) { return document.getElementById(id); }

  function counterName(c) { return c && typeof c === "object" ? c.name : c; }

  /* Take from `data` (a snapshot or an event) what it carries; keep the rest. */
  function apply(into, data) {
    if (data.waiting) into.waiting = data.waiting;
    if (Array.isArray(data.serving)) {
      into.serving = {};
      data.serving.forEach(function (row) { into.serving[counterName(row.counter)] = row.number; });
    }
    if (Array.isArray(data.counters)) {
      // [{name, open, until}]: a closed counter keeps its tile and says when it is back.
      into.counters = data.counters.map(counterName);
      into.closed = {};
      data.counters.forEach(function (c) {
        if (c && typeof c === "object" && c.open === false) into.closed[c.name] = c.until || null;
      });
    }
    // Closures of today (an emergency, a planned change-over): the notice and its reason.
    if (Array.isArray(data.closures)) into.closures = data.closures;
    if (typeof data.reception === "string") {
      into.reception = data.reception;
      into.receptionReason = data.reception_reason || null;
      into.nextOpening = data.next_opening || null;
    }
    Object.keys(into.serving).forEach(function (name) {  // a closed counter still serving
      if (into.counters.indexOf(name) < 0) into.counters.push(name);
    });
    if (Array.isArray(data.recent)) {
      into.recent = data.recent.map(function (r) {
        return { number: r.number, counter: counterName(r.counter), called_at: r.called_at };
      });
    }
    return into;
  }

  function fromSnapshot(snap) {
    return apply({ counters: [], closed: {}, serving: {}, recent: [], waiting: {},
                   reception: "open", receptionReason: null, nextOpening: null, closures: [] }, snap);
  }

  // ------------------------------------------------------------------ rendering

  function timeOf(iso) {
    var d = iso ? new Date(iso) : null;
    if (!d || isNaN(d.getTime())) return "";
    return d.toLocaleTimeString("ja-JP", { timeZone: "Asia/Tokyo", hour: "2-digit", minute: "2-digit" });
  }

  function renderCounters() {
    var list = $("counters");
    var template = $("counter-tile");
    list.textContent = "";
    state.counters.forEach(function (name) {
      var tile = template.content.firstElementChild.cloneNode(true);
      tile.setAttribute("data-counter", name);
      tile.querySelector(".counter-name").textContent = name;
      var en = window.Announcer.counterEnglish(name);
      tile.querySelector(".counter-name-en").textContent = en !== name ? en : "";
      var number = state.serving[name];
      tile.querySelector(".counter-number").textContent = number || "—";
      if (!number) tile.classList.add("is-idle");
      var closed = Object.prototype.hasOwnProperty.call(state.closed, name);
      tile.classList.toggle("is-closed", closed);
      var note = tile.querySelector(".counter-note");
      if (closed) {
        var until = timeOf(state.closed[name]);
        note.textContent = until ? until + "再開  Back at " + until : "休止中  Closed";
      }
      if (newCounter === name) tile.classList.add("is-new");
      list.appendChild(tile);
    });
    list.setAttribute("data-count", String(state.counters.length));
  }

  /* The calls before the current one (shown large as "now calling"), each number
     once: a recall moves its number to the top, never lists it twice. */
  function history() {
    var seen = {};
    var out = [];
    state.recent.slice(0, RECENT).forEach(function (call, i) {
      if (seen[call.number]) return;
      seen[call.number] = true;
      if (i > 0) out.push(call);
    });
    return out;
  }

  /* Drop the rows that do not fit the list whole (a long counter name wraps, so rows
     differ in height). */
  function fitRecent() {
    var list = $("recent");
    var bottom = list.getBoundingClientRect().bottom + 0.5;
    var rows = list.children;
    for (var i = 0; i < rows.length; i++) {
      if (rows[i].getBoundingClientRect().bottom > bottom) {
        while (rows.length > i) list.removeChild(rows[rows.length - 1]);
        break;
      }
    }
  }

  function renderRecent() {
    var list = $("recent");
    list.textContent = "";
    if (!state) return;
    history().forEach(function (call) {
      var item = document.createElement("li");
      var number = document.createElement("span");
      number.className = "recent-number";
      number.textContent = call.number;
      var counter = document.createElement("span");
      counter.className = "recent-counter";
      counter.textContent = call.counter || "";
      var time = document.createElement("time");
      time.className = "recent-time";
      time.textContent = timeOf(call.called_at);
      if (call.called_at) time.setAttribute("datetime", call.called_at);
      item.appendChild(number);
      item.appendChild(counter);
      item.appendChild(time);
      list.appendChild(item);
    });
    fitRecent();
  }

  function renderWaiting() {
    ["priority", "reservation", "walk_in"].forEach(function (band) {
      var value = state.waiting[band];
      $("waiting-" + band).textContent = typeof value === "number" ? String(value) : "–";
    });
  }

  function renderNow() {
    var latest = state.recent[0];
    var en = latest && latest.counter ? window.Announcer.counterEnglish(latest.counter) : "";
    $("now-number").textContent = latest ? latest.number : "—";
    $("now-counter").textContent = latest && latest.counter
      ? latest.counter + "へお越しください" + (en !== latest.counter ? "  " + en : "") : "\u00a0";
  }

  /* 受付終了 (or no walk-ins now): a banner, so nobody queues at the kiosk for nothing. */
  function renderReception() {
    var banner = $("reception");
    var cutOff = state.receptionReason === "reception_closed";
    banner.hidden = !cutOff;
    if (cutOff) {
      var next = state.nextOpening ? new Date(state.nextOpening) : null;
      $("reception-next").textContent = next && !isNaN(next.getTime())
        ? "次の受付 " + next.toLocaleString("ja-JP", { timeZone: "Asia/Tokyo", month: "numeric",
            day: "numeric", weekday: "short", hour: "2-digit", minute: "2-digit" })
        : "";
    }
  }

  function hhmm(iso) {
    var moment = new Date(iso);
    return isNaN(moment.getTime()) ? "" : moment.toLocaleTimeString("ja-JP", {
      timeZone: "Asia/Tokyo", hour: "2-digit", minute: "2-digit" });
  }

  /* The closure notice: when (all day, or from-to) and why, in Japanese and English.
     Built with textContent: the reason is an administrator's text, never markup. */
  function renderClosures() {
    var banner = $("closure");
    var list = $("closure-list");
    var closures = (state.closures || []).filter(function (c) {
      return new Date(c.end).getTime() > Date.now();
    });
    list.textContent = "";
    closures.forEach(function (c) {
      var item = document.createElement("li");
      var ja = document.createElement("span");
      ja.className = "closure-ja";
      ja.textContent = (c.all_day ? "本日は終日閉庁します"
        : "本日 " + hhmm(c.start) + "〜" + hhmm(c.end) + " は閉庁します") +
        (c.reason && c.reason.ja ? "(" + c.reason.ja + ")" : "");
      var en = document.createElement("span");
      en.className = "en";
      en.lang = "en";
      en.textContent = (c.all_day ? "The counters are closed all day today"
        : "The counters are closed today from " + hhmm(c.start) + " to " + hhmm(c.end)) +
        (c.reason && c.reason.en ? ": " + c.reason.en : "");
      item.appendChild(ja);
      item.appendChild(en);
      list.appendChild(item);
    });
    banner.hidden = closures.length === 0;
  }

  function render() {
    renderClosures();
    renderReception();
    renderNow();
    renderCounters();
    renderRecent();
    renderWaiting();
    body.classList.add("has-data");
  }

  function unhighlight() {
    clearTimeout(highlightTimer);
    $("now").classList.remove("is-new");
    if (newCounter !== null) {
      newCounter = null;
      if (state) renderCounters();
    }
  }

  function highlight(number, counter) {
    var now = $("now");
    now.classList.remove("is-new");
    void now.offsetWidth;  // restart the animation for a call right after another
    now.classList.add("is-new");
    now.setAttribute("data-number", number);
    newCounter = counter;
    renderCounters();
    clearTimeout(highlightTimer);
    highlightTimer = setTimeout(function () {
      now.classList.remove("is-new");
      newCounter = null;
      renderCounters();
    }, HIGHLIGHT_MS);
  }

  function call(number, counter, recall) {
    highlight(number, counter);
    announcer.announce(window.Announcer.callParts(number, counter, recall));
  }

  // ------------------------------------------------------------------ the feed

  function onSnapshot(snap) {
    var before = state;
    state = fromSnapshot(snap);
    render();
    checkLive();
    if (!before) return;
    // Calls made while we were away (reconnecting, or a missed event): the entries
    // above the first number we already had are new to us. Show and say the newest
    // few, oldest first.
    var known = {};
    before.recent.forEach(function (c) { known[c.number] = true; });
    var missed = [];
    for (var i = 0; i < state.recent.length && !known[state.recent[i].number]; i++) {
      missed.push(state.recent[i]);
    }
    missed = missed.slice(0, 3).reverse();
    missed.forEach(function (c) { call(c.number, c.counter, false); });
  }

  function onEvent(name, data) {
    if (!state) return;
    checkLive();
    apply(state, data);
    if (name === "called") {
      var counter = counterName(data.counter);
      Object.keys(state.serving).forEach(function (c) {
        if (state.serving[c] === data.number) delete state.serving[c];  // moved counters
      });
      state.serving[counter] = data.number;
      if (state.counters.indexOf(counter) < 0) state.counters.push(counter);
      state.recent = state.recent.filter(function (c) { return c.number !== data.number; });
      state.recent.unshift({ number: data.number, counter: counter, called_at: data.called_at || new Date().toISOString() });
      state.recent = state.recent.slice(0, RECENT);
      render();
      call(data.number, counter, !!data.recall);
    } else {
      render();
    }
  }

  function onStatus(connected, why, detail) {
    if (why === "revoked" || (why === "refused" && detail === "invalid_token")) {
      needsSetup();
      return;
    }
    $("status").hidden = !!connected;
    body.classList.toggle("is-offline", !connected);
    checkLive();
  }

  /* This screen's device token was revoked (or was never valid): the feed is closed for
     good, so say plainly that it needs setting up, and grey the last numbers as when
     offline. body[data-setup="needed"] says so to tests and to whoever looks. */
  function needsSetup() {
    if (body.getAttribute("data-setup") === "needed") return;
    body.setAttribute("data-setup", "needed");
    $("status").hidden = true;
    body.classList.add("is-offline");
    setStale(true);
    $("offline").hidden = true;  // the setup banner takes its place
    $("setup-needed").hidden = false;
  }

  // ------------------------------------------------------------------ live or not

  /* Live: connected, holding a snapshot taken since the last (re)connection, and the
     server heard within its heartbeat and a margin (Socket.IO itself gives up on a
     silent link only after the heartbeat and its timeout). */
  function isLive() {
    if (!feed || !feed.connected() || !feed.fresh) return false;
    var limit = (feed.pingInterval() || 25000) + 5000;
    return feed.silentFor() < limit;
  }

  function setStale(on) {
    if (on === stale) return;
    stale = on;
    $("offline").hidden = !on;
    body.classList.toggle("is-stale", on);
    if (on) unhighlight();
  }

  function checkLive() {
    if (body.getAttribute("data-setup") === "needed") return;
    if (isLive()) {
      notLiveSince = null;
      setStale(false);
      return;
    }
    if (notLiveSince === null) notLiveSince = Date.now();
    if (Date.now() - notLiveSince >= GRACE_MS) setStale(true);
  }

  // ------------------------------------------------------------------ clock and sound

  var dateFormat = new Intl.DateTimeFormat("ja-JP", {
    timeZone: "Asia/Tokyo", month: "long", day: "numeric", weekday: "short" });
  var timeFormat = new Intl.DateTimeFormat("ja-JP", {
    timeZone: "Asia/Tokyo", hour: "2-digit", minute: "2-digit", hour12: false });

  function tick() {
    var now = new Date();
    $("clock-date").textContent = dateFormat.format(now);
    $("clock-time").textContent = timeFormat.format(now);
    setTimeout(tick, 1000 - (now.getTime() % 1000) + 20);
  }

  /* Sound: on at once where the browser allows it without a gesture (a kiosk started
     with --autoplay-policy=no-user-gesture-required); otherwise a small banner asks
     for a tap, and the first tap, click or key anywhere turns it on. Nothing else
     waits for it: the board is live all along. body[data-sound] says which: "on",
     or "tap" while the banner is up. */
  function setUpSound() {
    var banner = $("sound-banner");
    var gestures = ["click", "keydown", "touchend"];
    var done = false;
    function on() {
      if (done) return;
      done = true;
      gestures.forEach(function (name) { document.removeEventListener(name, onGesture, true); });
      var shown = !banner.hidden;
      banner.hidden = true;
      body.classList.remove("needs-sound");
      body.classList.add("sound-on");
      body.setAttribute("data-sound", "on");
      if (shown) renderRecent();  // the board grew back
    }
    function ask() {
      if (done) return;
      banner.hidden = false;
      body.classList.add("needs-sound");
      body.setAttribute("data-sound", "tap");
      renderRecent();  // the board is a little shorter
    }
    function onGesture() {
      announcer.enable();
      on();
    }
    gestures.forEach(function (name) { document.addEventListener(name, onGesture, true); });
    var policy = window.Announcer.autoplayPolicy();
    if (policy === "allowed" || announcer.allowed()) { on(); return; }
    announcer.whenAllowed(on);  // a context that starts suspended and turns running by itself
    setTimeout(ask, policy === "disallowed" || policy === "allowed-muted" ? 0 : SOUND_WAIT_MS);
  }

  tick();
  setUpSound();
  onStatus(false);
  feed = new window.LiveFeed({
    location: slug, token: token, onSnapshot: onSnapshot, onEvent: onEvent, onStatus: onStatus
  });
  window.displayFeed = feed.start();
  setInterval(checkLive, 1000);
  window.addEventListener("resize", renderRecent);
  if (document.fonts && document.fonts.ready) document.fonts.ready.then(renderRecent);
})();
