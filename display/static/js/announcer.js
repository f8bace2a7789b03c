/*
 * Announcer: the chime (WebAudio, generated here: no audio file, no network) and the
 * spoken call (the browser's own speechSynthesis, Japanese then English).
 *
 * Browsers keep audio and speech silent until a user gesture; `enable()` must run
 * inside one (a tap anywhere on the lobby screen). A browser that allows sound
 * without one (`--autoplay-policy=no-user-gesture-required`) is noticed by
 * `allowed()` / `whenAllowed()`. Only voices that run on the device
 * (localService) are used: no call text ever goes to a cloud voice.
 * Announcements play one after another, never over each other.
 */
(function (global) {
  "use strict";

  var AudioCtx = global.AudioContext || global.webkitAudioContext;
  var synth = global.speechSynthesis || null;

  function Announcer() {
    this.ctx = null;
    this.queue = [];
    this.busy = false;
    this.voices = [];
    var self = this;
    if (synth) {
      this._loadVoices();
      if (synth.addEventListener) synth.addEventListener("voiceschanged", function () { self._loadVoices(); });
    }
  }

  Announcer.prototype._loadVoices = function () {
    try { this.voices = synth.getVoices() || []; } catch (e) { this.voices = []; }
  };

  Announcer.prototype._context = function () {
    if (!this.ctx && AudioCtx) {
      try { this.ctx = new AudioCtx(); } catch (e) { this.ctx = null; }
    }
    return this.ctx;
  };

  /* The browser's own answer where it gives one (navigator.getAutoplayPolicy, not in
   * every browser): "allowed", "allowed-muted", "disallowed"; else null. */
  Announcer.autoplayPolicy = function () {
    var nav = global.navigator;
    if (!nav || typeof nav.getAutoplayPolicy !== "function") return null;
    try { return nav.getAutoplayPolicy("audiocontext"); } catch (e) { return null; }
  };

  /* True when the browser already lets us play sound (e.g. a kiosk launched with an
   * autoplay policy that needs no gesture): no tap is then needed. */
  Announcer.prototype.allowed = function () {
    var ctx = this._context();
    return !!ctx && ctx.state === "running";
  };

  /* Call ``callback`` once the browser lets sound play without a gesture: right away,
   * or when a context that starts suspended turns running by itself (a lobby browser
   * launched with an autoplay policy that needs no gesture). */
  Announcer.prototype.whenAllowed = function (callback) {
    var ctx = this._context();
    if (!ctx) return;
    if (ctx.state === "running") { callback(); return; }
    var done = false;
    var check = function () {
      if (!done && ctx.state === "running") { done = true; callback(); }
    };
    if (ctx.addEventListener) ctx.addEventListener("statechange", check);
    try {
      var attempt = ctx.resume();  // stays pending where a gesture is needed
      if (attempt && attempt.then) attempt.then(check, function () {});
    } catch (e) { /* a gesture is needed */ }
  };

  /* Unlock audio and speech; call from a click or key handler. */
  Announcer.prototype.enable = function () {
    var ctx = this._context();
    var done = ctx && ctx.resume ? ctx.resume() : Promise.resolve();
    if (synth) {
      // A silent utterance inside the gesture unlocks speech for later calls.
      var warm = new global.SpeechSynthesisUtterance(" ");
      warm.volume = 0;
      synth.speak(warm);
    }
    return done;
  };

  /* A two-note chime (ピンポン), about 1.1 s. Returns its length in ms. */
  Announcer.prototype.chime = function () {
    var ctx = this._context();
    if (!ctx || ctx.state !== "running") return 0;
    var start = ctx.currentTime + 0.05;
    [[659.25, 0], [523.25, 0.45]].forEach(function (note) {
      var osc = ctx.createOscillator();
      var gain = ctx.createGain();
      osc.type = "sine";
      osc.frequency.value = note[0];
      var t = start + note[1];
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.5, t + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.65);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t);
      osc.stop(t + 0.7);
    });
    return 1150;
  };

  Announcer.prototype.voiceFor = function (lang) {
    var base = lang.split("-")[0];
    var local = this.voices.filter(function (v) { return v.localService; });
    return local.filter(function (v) { return v.lang === lang; })[0]
      || local.filter(function (v) { return (v.lang || "").replace("_", "-").split("-")[0] === base; })[0]
      || null;
  };

  /* parts: [{lang: "ja-JP", text}, {lang: "en-US", text}], spoken in that order. */
  Announcer.prototype.announce = function (parts, options) {
    this.queue.push({ parts: parts, options: options || {} });
    if (!this.busy) this._next();
  };

  Announcer.prototype._next = function () {
    var self = this;
    var item = this.queue.shift();
    if (!item) { this.busy = false; return; }
    this.busy = true;
    var wait = item.options.chime === false ? 0 : this.chime();
    global.setTimeout(function () { self._speak(item.parts, function () { self._next(); }); }, wait);
  };

  Announcer.prototype._speak = function (parts, done) {
    var self = this;
    var finished = false;
    function finish() { if (!finished) { finished = true; done(); } }
    if (!synth) { finish(); return; }
    if (!this.voices.length) this._loadVoices();
    var utterances = [];
    parts.forEach(function (part) {
      var voice = self.voiceFor(part.lang);
      if (!voice) return;  // no on-device voice for this language: stay silent, never the cloud
      var u = new global.SpeechSynthesisUtterance(part.text);
      u.lang = part.lang;
      u.voice = voice;
      u.rate = 0.9;
      utterances.push(u);
    });
    if (!utterances.length) { finish(); return; }
    var last = utterances[utterances.length - 1];
    last.onend = finish;
    last.onerror = finish;
    // A voice that never reports its end must not block the next call.
    global.setTimeout(finish, 4000 * utterances.length + 4000);
    utterances.forEach(function (u) { synth.speak(u); });
  };

  Announcer.prototype.vibrate = function (pattern) {
    if (global.navigator && typeof global.navigator.vibrate === "function") {
      try { return global.navigator.vibrate(pattern); } catch (e) { return false; }
    }
    return false;
  };

  /* How a ticket number is read out: "R-012" -> {ja: "R、12番", en: "R 12"}. */
  Announcer.spokenNumber = function (number) {
    var m = /^([A-Za-z]+)-?0*(\d+)$/.exec(number || "");
    if (!m) return { ja: number, en: number };
    return { ja: m[1] + "、" + m[2] + "番", en: m[1] + " " + m[2] };
  };

  /* "窓口1" -> "Counter 1"; any other name is kept as it is. */
  Announcer.counterEnglish = function (name) {
    var m = /^窓口\s*(\d+)$/.exec(name || "");
    return m ? "Counter " + m[1] : (name || "");
  };

  Announcer.callParts = function (number, counter, recall) {
    var n = Announcer.spokenNumber(number);
    var en = Announcer.counterEnglish(counter);
    var ja = (recall ? "もう一度お呼びします。" : "") + "受付番号 " + n.ja + "の方、" + counter + "へお越しください。";
    var english = (recall ? "Calling again. " : "") + "Number " + n.en + ", please go to "
      + (en.indexOf("Counter") === 0 ? "counter" + en.slice(7) : en) + ".";
    return [{ lang: "ja-JP", text: ja }, { lang: "en-US", text: english }];
  };

  global.Announcer = Announcer;
})(window);
