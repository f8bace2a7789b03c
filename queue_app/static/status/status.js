/*
 * The congestion page (/status, /status/{location}): each card is whole as served;
 * this keeps it current from GET /api/v1/locations/{slug}/status. On a place's page
 * the /display feed says when something changed (a call, a ticket, a counter), and the
 * card is read again shortly after; the list of places reads every card every 30 s.
 * Numbers and counts only: the JSON holds nothing personal.
 */
(function () {
  "use strict";

  var RECEPTION = {
    open: ["受付中", "Open"],
    reception_closed: ["本日の受付は終了しました", "Reception has closed for today"],
    reservation_only: ["本日は予約の方のみ", "Reservations only today"],
    closed: ["受付時間外", "Closed now"]
  };
  var WAIT = {
    none: ["すぐご案内できます", "Little or no wait"],
    "15": ["15分程度", "About 15 min"],
    "30": ["30分程度", "About 30 min"],
    "60": ["1時間程度", "About an hour"],
    over_60: ["1時間以上", "Over an hour"]
  };
  var POLL_MS = 30000;
  var clock = new Intl.DateTimeFormat("ja-JP", { timeZone: "Asia/Tokyo", hour: "2-digit", minute: "2-digit" });
  var day = new Intl.DateTimeFormat("ja-JP", { timeZone: "Asia/Tokyo", month: "numeric", day: "numeric" });

  function field(card, name) { return card.querySelector('[data-field="' + name + '"]'); }

  function both(element, pair) {
    element.textContent = pair[0] + " ";
    var en = document.createElement("span");
    en.className = "en";
    en.lang = "en";
    en.textContent = pair[1];
    element.appendChild(en);
  }

  function render(card, status) {
    var reason = status.reception_reason || "open";
    card.setAttribute("data-reception", reason);
    both(field(card, "reception"), RECEPTION[reason] || RECEPTION.closed);
    field(card, "waiting").textContent = String(status.waiting);
    var wait = field(card, "wait");
    if (WAIT[status.wait_bucket]) both(wait, WAIT[status.wait_bucket]); else wait.textContent = "—";
    field(card, "serving").textContent = status.serving.length ? status.serving.join("　") : "—";
    var next = status.next_opening && status.reception !== "open" ? new Date(status.next_opening) : null;
    field(card, "next").hidden = !next;
    field(card, "next-time").textContent = next ? day.format(next) + " " + clock.format(next) : "";
    field(card, "updated").textContent = clock.format(new Date(status.updated_at));
  }

  function refresh(card) {
    var slug = card.getAttribute("data-location");
    return fetch("/api/v1/locations/" + encodeURIComponent(slug) + "/status", {
      // no-cache: the answer may be cached a few seconds on the way; we want it now
      headers: { Accept: "application/json" }, credentials: "omit", cache: "no-cache"
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(function (status) { render(card, status); })
      .catch(function (error) { window.console.warn("status refresh failed", error); });
  }

  var cards = Array.prototype.slice.call(document.querySelectorAll(".status-card"));
  var live = document.getElementById("live");
  if (live && cards.length === 1 && window.LiveFeed) {
    // One place: live from its events. Many phones hear the same event: spread the reads.
    var card = cards[0];
    var timer = null;
    var soon = function () {
      if (timer) return;
      timer = setTimeout(function () { timer = null; refresh(card); }, 300 + Math.random() * 1200);
    };
    new window.LiveFeed({
      location: card.getAttribute("data-location"),
      onSnapshot: soon,
      onEvent: soon,
      onStatus: function (connected) { live.setAttribute("data-live", connected ? "on" : "off"); }
    }).start();
  } else {
    setInterval(function () { cards.forEach(refresh); }, POLL_MS);
  }
})();
