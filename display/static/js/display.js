/*
 * The lobby display: renders the place's snapshot and moves it forward with each
 * `called` and `queue` event (LiveFeed keeps them in order). Each event carries what
 * changed: `waiting` always; a `queue` event that frees, opens or closes a counter
 * also `serving`, `counters` and `recent`, whole; a `called` event the number, its
 * counter and `called_at`, from which the counters and the recent calls follow. So
 * the screen redraws from the event alone and never asks for a snapshot for it.
 * A new call is highlighted, chimes and is read out in Japanese then English; a
 * recall is read out again. When the connection drops, the last good data stays on
 * screen with a "reconnecting" mark. Numbers and counters only: the page never
 * receives a name.
 */
(function () {
  "use strict";

  var RECENT = 8;
  var HIGHLIGHT_MS = 12000;
  var body = document.body;
  var slug = body.getAttribute("data-location");
  var token = new URLSearchParams(window.location.search).get("token");
  var announcer = new window.Announcer();
  var state = null;  // {counters: [names], serving: {counter: number}, recent: [...], waiting: {...}}
  var highlightTimer = null;
  var newCounter = null;  // the counter of the call being highlighted
  var feed = null;

  function $(id) { return document.getElementById(id); }

  function counterName(c) { return c && typeof c === "object" ? c.name : c; }

  /* Take from `data` (a snapshot or an event) what it carries; keep the rest. */
  function apply(into, data) {
    if (data.waiting) into.waiting = data.waiting;
    if (Array.isArray(data.serving)) {
      into.serving = {};
      data.serving.forEach(function (row) { into.serving[counterName(row.counter)] = row.number; });
    }
    if (Array.isArray(data.counters)) into.counters = data.counters.slice();
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
    return apply({ counters: [], serving: {}, recent: [], waiting: {} }, snap);
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
      if (newCounter === name) tile.classList.add("is-new");
      list.appendChild(tile);
    });
    list.setAttribute("data-count", String(state.counters.length));
  }

  function renderRecent() {
    var list = $("recent");
    list.textContent = "";
    state.recent.slice(0, RECENT).forEach(function (call) {
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
  }

  function renderWaiting() {
    ["priority", "reservation", "walk_in"].forEach(function (band) {
      var value = state.waiting[band];
      $("waiting-" + band).textContent = typeof value === "number" ? String(value) : "–";
    });
  }

  function renderNow() {
    var latest = state.recent[0];
    $("now-number").textContent = latest ? latest.number : "—";
    $("now-counter").textContent = latest && latest.counter
      ? latest.counter + "へお越しください  " + window.Announcer.counterEnglish(latest.counter) : "\u00a0";
  }

  function render() {
    renderNow();
    renderCounters();
    renderRecent();
    renderWaiting();
    body.classList.add("has-data");
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

  function onStatus(connected) {
    $("status").hidden = !!connected;
    body.classList.toggle("is-offline", !connected);
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

  function setUpSound() {
    var overlay = $("sound-overlay");
    function on() {
      overlay.hidden = true;
      body.classList.add("sound-on");
    }
    if (announcer.allowed()) { on(); return; }  // the browser plays sound without a gesture
    overlay.hidden = false;
    announcer.whenAllowed(on);
    $("enable-sound").addEventListener("click", function () {
      announcer.enable();
      on();
    });
  }

  tick();
  setUpSound();
  onStatus(false);
  feed = new window.LiveFeed({
    location: slug, token: token, onSnapshot: onSnapshot, onEvent: onEvent, onStatus: onStatus
  });
  window.displayFeed = feed.start();
})();
