/*
 * LiveFeed: one place's realtime feed on the /display Socket.IO namespace.
 *
 * The server sends a `snapshot` on every (re)connection, then `called` and `queue`
 * events numbered by the place's `seq` (one more per event), each carrying what
 * changed, so the pages redraw from the event alone. This keeps the events in order:
 * one already inside the snapshot (seq <= ours) is dropped, a short reordering (two
 * servers emitting at once) is waited out, and a real gap asks for a fresh snapshot
 * with `resync`. Nothing else asks for one: a slow safety timer only tells the server
 * the seq we hold (`resync` with `{seq}`), and a snapshot comes back only if the place
 * has moved past it (an event lost with none after it to show the gap). A connection
 * that brought no snapshot (the server could not read it) asks again now and then
 * until one comes. The server answers at most one `resync` per client every couple
 * of seconds.
 *
 * `heardAt` is when the server was last heard (any packet, or its ping): a page can
 * tell a silent link from a live one before Socket.IO gives up on it.
 *
 * Reconnection is Socket.IO's own and only that: no second loop on top of it.
 * Used by the lobby display and by the resident's ticket page.
 */
(function (global) {
  "use strict";

  var NAMESPACE = "/display";

  function LiveFeed(options) {
    this.location = options.location;
    this.token = options.token || null;
    this.onSnapshot = options.onSnapshot || function () {};
    this.onEvent = options.onEvent || function () {};
    this.onStatus = options.onStatus || function () {};
    this.resyncEvery = options.resyncEvery || 60000;   // safety net: check our seq
    this.reorderWait = options.reorderWait || 500;     // let a late event arrive
    this.snapshotWait = options.snapshotWait || 4000;  // a snapshot should follow a connect
    this.retryWait = options.retryWait || 10000;       // connected without a snapshot: ask again
    this.seq = null;          // seq of the state we hold; null before the first snapshot
    this.buffer = [];         // events we cannot apply yet, by seq
    this.awaiting = false;    // a resync is on its way
    this.fresh = false;       // a snapshot came since the last (re)connection
    this.doubted = false;     // we turned down an older snapshot and asked again
    this.timers = {};
    this.socket = null;
    this.heardAt = Date.now();
  }

  LiveFeed.prototype.start = function () {
    var self = this;
    var auth = { location: this.location };
    if (this.token) auth.token = this.token;
    this.socket = global.io(NAMESPACE, {
      auth: auth,
      transports: ["websocket", "polling"],
      tryAllTransports: true,
      reconnection: true,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 5000,
      randomizationFactor: 0.5,
      timeout: 10000
    });
    var socket = this.socket;
    var heard = function () { self.heardAt = Date.now(); };
    socket.io.on("ping", heard);    // the server's heartbeat
    socket.io.on("packet", heard);  // any event
    socket.on("connect", function () {
      heard();
      self.onStatus(true);
      // The server sends a snapshot with every connection (socket.io-client may hand
      // it to us just before this "connect"); ask with `resync` if none came.
      if (!self.fresh) {
        self._arm("snapshot", self.snapshotWait, function () { if (!self.fresh) self.resync(); });
      }
    });
    socket.on("disconnect", function () {
      self.fresh = false;  // whatever we hold may be stale until the next snapshot
      self.onStatus(false);
    });
    // A refusal names its reason (e.g. "invalid_token": a revoked display's token).
    socket.on("connect_error", function (error) {
      if (!socket.active) self.onStatus(false, "refused", error && error.message);
    });
    // The device was revoked in the back office: stop here (a reconnection would be
    // refused anyway) and let the page say it needs setting up.
    socket.on("revoked", function () {
      socket.disconnect();
      self.onStatus(false, "revoked");
    });
    socket.on("snapshot", function (data) { self._snapshot(data); });
    socket.on("called", function (data) { self._event("called", data); });
    socket.on("queue", function (data) {
      self._event("queue", data);
      if (data && data.resync) self.resync();   // e.g. `flask announce-resync`
    });
    this.timers.safety = global.setInterval(function () {
      if (socket.connected) self.check();
    }, this.resyncEvery);
    return this;
  };

  LiveFeed.prototype.stop = function () {
    Object.keys(this.timers).forEach(function (name) {
      global.clearTimeout(this.timers[name]);
      global.clearInterval(this.timers[name]);
    }, this);
    if (this.socket) this.socket.close();
  };

  LiveFeed.prototype.connected = function () {
    return !!(this.socket && this.socket.connected);
  };

  /* Milliseconds since the server was last heard. */
  LiveFeed.prototype.silentFor = function () {
    return Date.now() - this.heardAt;
  };

  /* The server's heartbeat period (from the Engine.IO handshake), or null. */
  LiveFeed.prototype.pingInterval = function () {
    var engine = this.socket && this.socket.io && this.socket.io.engine;
    var value = engine && (engine._pingInterval > 0 ? engine._pingInterval : engine.pingInterval);
    return typeof value === "number" && value > 0 ? value : null;
  };

  /* Ask for a fresh snapshot (once at a time; a lost request is retried later). */
  LiveFeed.prototype.resync = function () {
    var self = this;
    if (!this.socket || !this.socket.connected || this.awaiting) return;
    this.awaiting = true;
    this.socket.emit("resync");
    this._arm("snapshot", this.snapshotWait, function () {
      self.awaiting = false;
      if (!self.fresh) self._arm("snapshot", self.retryWait, function () { self.resync(); });
    });
  };

  /* The safety net: is our seq still the place's? The server sends a snapshot only
     if not. Nothing waits for an answer, so events keep flowing meanwhile. */
  LiveFeed.prototype.check = function () {
    if (!this.socket || !this.socket.connected || this.awaiting) return;
    if (this.seq === null || !this.fresh || this.buffer.length) { this.resync(); return; }
    this.socket.emit("resync", { seq: this.seq });
  };

  LiveFeed.prototype._arm = function (name, delay, fn) {
    global.clearTimeout(this.timers[name]);
    this.timers[name] = global.setTimeout(fn, delay);
  };

  LiveFeed.prototype._disarm = function (name) {
    global.clearTimeout(this.timers[name]);
    delete this.timers[name];
  };

  LiveFeed.prototype._snapshot = function (data) {
    if (!data || typeof data.seq !== "number") return;
    this._disarm("snapshot");
    this._disarm("gap");
    this.awaiting = false;
    if (this.seq !== null && data.seq < this.seq && !this.doubted) {
      // Older than what we hold: the server read it before an event we have already
      // applied (snapshots and events leave from different threads). Ask again; a
      // second older answer means the database really went back (a restore): it wins.
      this.doubted = true;
      this.resync();
      return;
    }
    this.doubted = false;
    this.fresh = true;
    this.seq = data.seq;
    this.onSnapshot(data);
    this._drain();
  };

  LiveFeed.prototype._event = function (name, data) {
    if (!data || typeof data.seq !== "number") return;
    if (this.seq !== null && data.seq <= this.seq && !this.awaiting) return;  // already in our state
    this.buffer.push({ name: name, data: data });
    if (this.seq === null || this.awaiting) return;  // applied after the snapshot
    this._drain();
  };

  /* Apply buffered events that follow our seq without a hole; wait briefly for a hole. */
  LiveFeed.prototype._drain = function () {
    var self = this;
    this.buffer.sort(function (a, b) { return a.data.seq - b.data.seq; });
    while (this.buffer.length) {
      var next = this.buffer[0];
      if (next.data.seq <= this.seq) { this.buffer.shift(); continue; }
      if (next.data.seq !== this.seq + 1) break;
      this.buffer.shift();
      this.seq = next.data.seq;
      try { this.onEvent(next.name, next.data); } catch (e) { global.console.error(e); }
    }
    if (!this.buffer.length) { this._disarm("gap"); return; }
    if (!this.timers.gap) {
      this._arm("gap", this.reorderWait, function () {
        delete self.timers.gap;
        if (self.buffer.length) self.resync();
      });
    }
  };

  global.LiveFeed = LiveFeed;
})(window);
