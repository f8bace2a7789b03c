/*
 * The resident's ticket page: the place in the queue and the estimated wait come from
 * GET /api/v1/tickets/{id}, read on opening and on every fresh snapshot. The place's
 * /display events then keep it current: a `called` event for this number, or a
 * `queue` event whose `ticket` is this one (started, done, no-show, cancelled), is
 * shown from the event alone; any other change reads the ticket again only while it
 * waits (its place and wait may have moved), and never for a walk-in issued behind
 * everyone (`change: "issue"`), which moves nobody. When this ticket is called, the
 * page says so unmistakably: banner, chime and vibration (where the phone allows,
 * after the resident has tapped "alert me" once).
 */
(function () {
  "use strict";

  var root = document.getElementById("ticket");
  if (!root) return;
  var ticketId = root.getAttribute("data-ticket");
  var number = root.getAttribute("data-number");
  var slug = root.getAttribute("data-location");
  var announcer = new window.Announcer();
  var alertsOn = false;
  var refreshTimer = null;
  var inFlight = false;
  var again = false;
  var lastCall = null;  // "counter|recall count" of the call on screen; null before the first read
  var recalls = 0;      // recall count of this ticket's call, as the last read or event said
  var status = root.getAttribute("data-status");
  var moves = 0;        // moves of our ticket shown from events: a read begun before one is stale
  var lastAlertAt = 0;
  var originalTitle = document.title;
  // The page's words: Japanese, and the second language (English or the resident's own),
  // from the catalogues; "{name}" marks a value filled in here.
  var TEXTS = JSON.parse(root.getAttribute("data-texts") || "{}");
  var JA = TEXTS.ja || {};
  var SECOND = TEXTS.second || {};

  function $(id) { return document.getElementById(id); }
  function counterName(c) { return c && typeof c === "object" ? c.name : c; }

  function fill(text, values) {
    return String(text || "").replace(/\{(\w+)\}/g, function (all, name) {
      return values && values[name] !== undefined ? values[name] : all;
    });
  }

  /* "窓口3" in a language: "Counter 3", "3号窗口"…; any other name is kept as it is. */
  function counterIn(texts, counter) {
    var m = /^窓口\s*(\d+)$/.exec(counter || "");
    return m ? fill(texts.counter, { number: m[1] }) : (counter || "");
  }

  /* An element's text in Japanese, then the second language in its own span. */
  function both(element, key, values) {
    element.textContent = fill(JA[key], values);
    var second = fill(SECOND[key], values);
    if (second && second !== element.textContent) {
      var span = document.createElement("span");
      span.className = "second";
      span.lang = SECOND.lang || "en";
      span.textContent = second;
      element.appendChild(span);
    }
  }

  var STATES = { waiting: "waiting", serving: "serving", done: "done", no_show: "no_show",
                 cancelled: "cancelled" };

  function setState(next) {
    status = next;
    var state = $("state");
    if (STATES[status]) both(state, STATES[status]); else state.textContent = "";
    root.setAttribute("data-status", status);
  }

  function showTurn(counter) {
    $("turn-counter-ja").textContent = fill(JA.go_to, { counter: counter });
    $("turn-counter-second").textContent = fill(SECOND.go_to, { counter: counterIn(SECOND, counter) });
    $("turn").hidden = false;
    root.classList.add("is-called");
    document.title = "【お呼び出し】" + counter + " | " + originalTitle;
  }

  function hideTurn() {
    $("turn").hidden = true;
    root.classList.remove("is-called");
    document.title = originalTitle;
  }

  function alertResident(counter, recall) {
    lastAlertAt = Date.now();
    showTurn(counter);
    announcer.vibrate([400, 200, 400, 200, 800]);
    if (alertsOn) {
      var n = window.Announcer.spokenNumber(number);
      var parts = [{ lang: JA.speech || "ja-JP",
                     text: (recall ? JA.recall : "") + fill(JA.call, { number: n.ja, counter: counter }) }];
      if (SECOND.call) {
        parts.push({ lang: SECOND.speech || "en-US",
                     text: (recall ? SECOND.recall + " " : "")
                       + fill(SECOND.call, { number: SECOND.code === "easy-ja" ? n.ja : n.en,
                                             counter: counterIn(SECOND, counter) }) });
      }
      announcer.announce(parts);
    }
  }

  /* The ticket as the API tells it. */
  function render(ticket) {
    var counter = counterName(ticket.counter);
    recalls = ticket.recall_count || 0;
    if (ticket.status === "called" && counter) {
      // A call we learn of from the API alone (the event was missed while the phone
      // slept or reconnected) alerts too; one the event already alerted for does not.
      var key = counter + "|" + recalls;
      if (lastCall !== null && lastCall !== key && Date.now() - lastAlertAt > 5000) {
        alertResident(counter, recalls > 0);
      }
      lastCall = key;
    }
    show(ticket.status, counter, ticket.position, ticket.estimated_wait_minutes,
         ticket.estimated_wait_range);
  }

  /* Draw a status, the counter of a call, and (while waiting) the place and the wait:
     its range when the estimate gives one (「約15〜25分」), else its point. */
  function show(next, counter, position, wait, range) {
    setState(next);
    if (next === "called" && counter) {
      showTurn(counter);
    } else {
      hideTurn();
      lastCall = "";
    }
    var waiting = next === "waiting";
    root.classList.toggle("is-waiting", waiting);
    if (waiting && typeof position === "number") {
      var ahead = Math.max(position - 1, 0);
      both($("ahead"), ahead === 1 ? "ahead_one" : "ahead_other", { count: ahead });
    } else {
      $("ahead").textContent = "–";
    }
    var ranged = Array.isArray(range) && range[1] > 0 && range[1] > range[0];
    if (waiting && typeof wait === "number" && ranged && wait > 0) {
      both($("wait"), "wait_range", { low: range[0], high: range[1] });
      $("wait").classList.remove("is-text");
    } else if (waiting && typeof wait === "number") {
      both($("wait"), wait <= 0 ? "wait_soon" : "wait_minutes", { minutes: wait });
      $("wait").classList.toggle("is-text", wait <= 0);
    } else {
      $("wait").textContent = "–";
    }
    var time = new Date().toLocaleTimeString("ja-JP", { timeZone: "Asia/Tokyo" });
    $("live-ja").textContent = fill(JA.updated, { time: time });
    $("live-second").textContent = fill(SECOND.updated, { time: time });
  }

  function refresh() {
    if (inFlight) { again = true; return; }
    inFlight = true;
    var since = moves;
    fetch("/api/v1/tickets/" + encodeURIComponent(ticketId), {
      headers: { Accept: "application/json" }, cache: "no-store", credentials: "omit"
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(function (ticket) {
      if (since === moves) render(ticket);
    }).catch(function (error) {
      window.console.warn("ticket refresh failed", error);
    }).then(function () {
      inFlight = false;
      if (again) { again = false; refresh(); }
    });
  }

  /* Many phones hear the same event: spread their reads over a moment. */
  function refreshSoon() {
    if (refreshTimer) return;
    refreshTimer = setTimeout(function () { refreshTimer = null; refresh(); }, 150 + Math.random() * 600);
  }

  function onEvent(name, data) {
    if (name === "called" && data.number === number) {  // our turn: all we need is here
      var counter = counterName(data.counter);
      recalls = data.recall ? recalls + 1 : 0;
      lastCall = counter + "|" + recalls;
      moves++;
      alertResident(counter, !!data.recall);
      show("called", counter);
      return;
    }
    if (data.ticket && data.ticket.number === number) {  // a move of our ticket
      if (data.ticket.status === "waiting") { refreshSoon(); return; }  // back in the queue
      moves++;
      show(data.ticket.status);
      return;
    }
    if (status !== "waiting") return;  // only a waiting ticket shows a place and a wait
    if (name === "queue" && data.change === "issue") return;  // issued behind everyone
    refreshSoon();
  }

  function onStatus(connected) {
    root.classList.toggle("is-offline", !connected);
    if (!connected) {
      $("live-ja").textContent = JA.reconnecting;
      $("live-second").textContent = SECOND.reconnecting;
    }
  }

  $("alerts").addEventListener("click", function () {
    announcer.enable();
    announcer.vibrate(120);
    alertsOn = true;
    $("alerts").hidden = true;
    $("alerts-on").hidden = false;
  });

  setState(status);
  refresh();
  window.ticketFeed = new window.LiveFeed({
    location: slug, onSnapshot: refresh, onEvent: onEvent, onStatus: onStatus
  }).start();
})();
