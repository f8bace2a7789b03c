/* The kiosk's setup page: staff paste the device token once. The page asks the server
 * whether it is a kiosk token of this place, then keeps it in localStorage (it never
 * travels except as the Authorization header of the kiosk's API calls). */
"use strict";

(function () {
  const body = document.body;
  const slug = body.dataset.location;
  const TOKEN_KEY = `kiosk.token.${slug}`;
  const SETTINGS_KEY = "kiosk.settings";
  const $ = (id) => document.getElementById(id);
  const REASONS = {
    unknown_token: "このトークンは受付機のものとして登録されていません。 This is not a registered kiosk token.",
    wrong_location: "このトークンは別の場所の受付機のものです。 This token belongs to a kiosk of another place.",
  };

  function say(text, ok) {
    const result = $("setup-result");
    result.textContent = text;
    result.classList.toggle("is-error", !ok);
  }

  function load() {
    let settings = {};
    try { settings = JSON.parse(localStorage.getItem(SETTINGS_KEY)) || {}; } catch (e) { settings = {}; }
    $("setup-paper").value = settings.paper === "58" ? "58" : "80";
    $("setup-autoprint").checked = settings.autoprint !== false;  // printing is the default
    $("setup-token").required = !localStorage.getItem(TOKEN_KEY);
    if (localStorage.getItem(TOKEN_KEY)) say("この端末は設定済みです。 This kiosk is set up.", true);
  }

  async function save(event) {
    event.preventDefault();
    const token = $("setup-token").value.trim() || localStorage.getItem(TOKEN_KEY);
    if (!token) {
      say("端末トークンを入力してください。 Please enter the device token.", false);
      $("setup-token").focus();
      return;
    }
    let response;
    try {
      response = await fetch(`/kiosk/${encodeURIComponent(slug)}/device`, {
        headers: { Authorization: `Bearer ${token}` }, cache: "no-store",
      });
    } catch (e) {
      say("サーバーに接続できません。 Cannot reach the server.", false);
      return;
    }
    if (!response.ok) {
      const data = await response.json().catch(() => ({}));
      say(REASONS[data.reason] || REASONS.unknown_token, false);
      $("setup-token").focus();
      return;
    }
    localStorage.setItem(TOKEN_KEY, token);
    localStorage.setItem(SETTINGS_KEY, JSON.stringify({
      paper: $("setup-paper").value, autoprint: $("setup-autoprint").checked,
    }));
    say("保存しました。受付画面に移ります。 Saved; opening the kiosk.", true);
    window.location.assign(body.dataset.kioskUrl);
  }

  function clear() {
    localStorage.removeItem(TOKEN_KEY);
    localStorage.removeItem(SETTINGS_KEY);
    $("setup-token").value = "";
    load();
    say("この端末の設定を消去しました。 This kiosk's settings are cleared.", true);
  }

  $("setup-form").addEventListener("submit", save);
  $("setup-clear").addEventListener("click", clear);
  load();
})();
