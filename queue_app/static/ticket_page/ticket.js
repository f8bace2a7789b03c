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

  function $(id) { return document.getElementById(id); }
  function counterName(c) { return c && typeof c === "object" ? c.name : c; }

  var STATES = {
    waiting: ["お呼び出しまでお待ちください。", "Please wait until your number is called."],
    called: ["", ""],
    serving: ["窓口で手続き中です。", "You are being served at the counter."],
    done: ["手続きは終了しました。ご来庁ありがとうございました。", "Your visit is complete. Thank you."],
    no_show: ["お呼び出しにお越しいただけなかったため、受付は終了しました。職員にお申し出ください。",
              "You were not at the counter when called, so this ticket has ended. Please speak to a member of staff."],
    cancelled: ["この受付は取り消されました。職員にお申し出ください。",
                "This ticket has been cancelled. Please speak to a member of staff."]
  };

  function setState(next) {
    status = next;
    var text = STATES[status] || ["", ""];
    var state = $("state");
    state.textContent = text[0];
    if (text[1]) {
      var en = document.createElement("span");
      en.className = "en";
      en.lang = "en";
      en.textContent = text[1];
      state.appendChild(en);
    }
    root.setAttribute("data-status", status);
  }

  function showTurn(counter) {
    $("turn-counter-ja").textContent = counter;
    $("turn-counter-en").textContent = window.Announcer.counterEnglish(counter) || counter;
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
      announcer.announce([
        { lang: "ja-JP", text: (recall ? "もう一度お呼びします。" : "") + "受付番号 " + n.ja + "の方、" + counter + "へお越しください。" },
        { lang: "en-US", text: "Number " + n.en + ", please go to " + window.Announcer.counterEnglish(counter) + "." }
      ]);
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
    show(ticket.status, counter, ticket.position, ticket.estimated_wait_minutes);
  }

  /* Draw a status, the counter of a call, and (while waiting) the place and the wait. */
  function show(next, counter, position, wait) {
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
      $("ahead").textContent = ahead + "人";
      var en = document.createElement("span");
      en.className = "en";
      en.lang = "en";
      en.textContent = ahead === 1 ? "1 person" : ahead + " people";
      $("ahead").appendChild(en);
    } else {
      $("ahead").textContent = "–";
    }
    if (waiting && typeof wait === "number") {
      $("wait").textContent = wait <= 0 ? "まもなくお呼びします" : "約" + wait + "分";
      $("wait").classList.toggle("is-text", wait <= 0);
      var wen = document.createElement("span");
      wen.className = "en";
      wen.lang = "en";
      wen.textContent = wait <= 0 ? "You will be called soon" : "about " + wait + " min";
      $("wait").appendChild(wen);
    } else {
      $("wait").textContent = "–";
    }
    var now = new Date();
    $("live-ja").textContent = "最終更新 " + now.toLocaleTimeString("ja-JP", { timeZone: "Asia/Tokyo" });
    $("live-en").textContent = "Updated " + now.toLocaleTimeString("en-GB", { timeZone: "Asia/Tokyo" });
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
      $("live-ja").textContent = "再接続中…";
      $("live-en").textContent = "Reconnecting…";
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
