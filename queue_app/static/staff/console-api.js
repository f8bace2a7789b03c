/* The staff console's link to the API: same-origin fetch with the session cookie and
 * the CSRF token from the page's <meta>, and the words for every answer.
 * Exposes window.StaffApi. */
"use strict";

(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  // Once the page is being left (log out, reload), a late 401 must not send us elsewhere.
  let leaving = false;
  window.addEventListener("beforeunload", () => { leaving = true; });
  window.addEventListener("pageshow", () => { leaving = false; });

  const ERRORS = {
    invalid_transition: ["この番号は、その操作ができない状態です。一覧を更新しました。",
      "The ticket cannot make that move now; the lists are refreshed."],
    counter_busy: ["この窓口にはまだ対応中の方がいます。完了・不在・再呼出のいずれかを先に行ってください。",
      "This counter still has a resident: complete, mark no-show or recall first."],
    undo_expired: ["時間が過ぎたため、元に戻せません。", "Too late to undo."],
    counter_closed: ["この窓口は休止中です。窓口を開いてから呼び出してください。",
      "This counter is closed; open it before calling."],
    reservation_only: ["本日は完全予約制のため、予約のない方の番号札は発券できません。",
      "Today's window is by reservation only: no walk-in tickets."],
    closed: ["受付時間外のため発券できません。", "Outside opening hours: no tickets can be issued."],
    reception_closed: ["本日の受付は終了しています。急ぎの場合は「受付終了後でも発券する」を選んで発券してください。",
      "Reception has closed for today. For an urgent case, tick “Issue after reception has closed”."],
    service_not_offered: ["この場所では、その手続きを受け付けていません。",
      "This place does not offer that procedure."],
    not_found: ["対象が見つかりません。一覧を更新しました。", "Not found; the lists are refreshed."],
    forbidden: ["この操作を行う権限がありません。", "You are not allowed to do this."],
    invalid: ["入力内容を確認してください。", "Please check what you entered."],
    my_number_rejected: ["マイナンバー(12桁の個人番号)は入力しないでください。",
      "Do not enter a My Number (12-digit individual number)."],
    rate_limited: ["操作が集中しています。少し待ってからお試しください。",
      "Too many requests; please wait a moment."],
    network: ["サーバーに接続できません。通信状態を確認してください。",
      "Cannot reach the server; please check the network."],
    error: ["処理できませんでした。", "That did not work."],
  };

  const TICKET_STATUS = {
    waiting: ["待ち", "Waiting"], called: ["呼出中", "Called"], serving: ["対応中", "Serving"],
    done: ["完了", "Done"], no_show: ["不在", "No-show"], cancelled: ["取消", "Cancelled"],
  };
  const KIND = { reservation: ["予約", "Reservation"], walk_in: ["当日", "Walk-in"] };
  const RESERVATION_STATUS = {
    booked: ["未受付", "Not checked in"], checked_in: ["受付済", "Checked in"],
    cancelled: ["取消", "Cancelled"], no_show: ["不在", "No-show"], done: ["完了", "Done"],
  };

  async function call(method, path, body) {
    const headers = { Accept: "application/json", "X-CSRFToken": csrf };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(`/api/v1${path}`, {
        method, headers, credentials: "same-origin", cache: "no-store",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      return { ok: false, status: 0, data: { code: "network" } };
    }
    if (response.status === 401 && !leaving) {
      // The session ended (logged out elsewhere, expired): back to the login form.
      const login = document.body.dataset.loginUrl;
      window.location.assign(`${login}?next=${encodeURIComponent(location.pathname + location.search)}`);
    }
    let data = null;
    if (response.status !== 204) {
      try { data = await response.json(); } catch (e) { data = null; }
    }
    return { ok: response.ok, status: response.status, data };
  }

  function errorText(result) {
    const data = result.data || {};
    const pair = ERRORS[data.code] || (result.status === 429 ? ERRORS.rate_limited : null);
    if (pair) return pair;
    return [data.detail || data.title || ERRORS.error[0], ERRORS.error[1]];
  }

  const timeFormat = new Intl.DateTimeFormat("ja-JP", {
    timeZone: "Asia/Tokyo", hour: "2-digit", minute: "2-digit",
  });
  const hhmm = (iso) => (iso ? timeFormat.format(new Date(iso)) : "");

  window.StaffApi = {
    call, errorText, hhmm, ERRORS, TICKET_STATUS, KIND, RESERVATION_STATUS,
    get: (path) => call("GET", path),
    post: (path, body) => call("POST", path, body === undefined ? {} : body),
  };
})();
