/* Drawing the staff console from API data (no HTML strings: text nodes only, so nothing
 * a resident typed can ever become markup). Exposes window.StaffRender. */
"use strict";

(function () {
  const { hhmm, TICKET_STATUS, KIND, RESERVATION_STATUS } = window.StaffApi;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([key, value]) => {
      if (value === undefined || value === null || value === false) return;
      if (key === "className") node.className = value;
      else if (key.startsWith("data-") || key.startsWith("aria-") || key === "type" || key === "lang") {
        node.setAttribute(key, value);
      } else node[key] = value;
    });
    children.flat().forEach((child) => {
      if (child === null || child === undefined || child === "") return;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    });
    return node;
  }

  /** "日本語 English" with the English part styled as the secondary label. */
  function both(pair) {
    if (!pair) return "";
    return [pair[0], " ", el("span", { className: "en", lang: "en" }, pair[1])];
  }

  function names(name) {
    return name ? [name.ja, el("span", { className: "en", lang: "en" }, name.en)] : [];
  }

  function fillSelect(select, options, selected) {
    select.replaceChildren(...options.map(([value, label]) => {
      const option = el("option", { value }, label);
      option.selected = String(value) === String(selected);
      return option;
    }));
  }

  function kindBadges(ticket) {
    const badges = [el("span", { className: `tag tag-${ticket.kind}` }, both(KIND[ticket.kind]))];
    if (ticket.priority === "high") {
      badges.unshift(el("span", { className: "tag tag-priority" }, both(["優先", "Priority"])));
    }
    return badges;
  }

  function actionButton(action, ticket, label) {
    return el("button", {
      type: "button", className: "btn btn-small", "data-action": action,
      "data-ticket": ticket.id, "data-number": ticket.number,
      "aria-label": `${ticket.number} ${label[0]} ${label[1]}`,
    }, both(label));
  }

  /** The waiting list, in the API's order; rows this counter cannot call are dimmed. */
  function renderWaiting(tbody, waiting, ctx) {
    tbody.replaceChildren(...waiting.map((ticket, index) => {
      const mine = ctx.canCall(ticket);
      const row = el("tr", {
        "data-ticket": ticket.id, "data-number": ticket.number,
        className: mine ? "" : "not-mine",
        title: mine ? "" : "この窓口では呼び出しません / Not called by this counter",
      },
      el("td", { className: "num" }, index + 1),
      el("th", { scope: "row", className: "ticket-number" }, ticket.number),
      el("td", {}, names(ctx.serviceName(ticket.service))),
      el("td", {}, kindBadges(ticket)),
      el("td", { className: "num" }, hhmm(ticket.issued_at)),
      el("td", { className: "row-actions" },
        ticket.priority === "high" ? "" : actionButton("prioritise", ticket, ["優先", "Prioritise"]),
        actionButton("transfer", ticket, ["転送", "Transfer"])));
      return row;
    }));
  }

  function renderServing(tbody, serving, counters) {
    const byCounter = new Map();
    serving.forEach((ticket) => { if (ticket.counter) byCounter.set(ticket.counter.id, ticket); });
    tbody.replaceChildren(...counters.map((counter) => {
      const ticket = byCounter.get(counter.id);
      const back = counter.until ? hhmm(counter.until) : null;
      const state = counter.open !== false ? ["—", ""]
        : back ? [`休止中(${back}まで)`, `Closed until ${back}`] : ["休止中", "Closed"];
      return el("tr", { "data-counter": counter.id },
        el("th", { scope: "row" }, counter.name),
        el("td", { className: "ticket-number" }, ticket ? ticket.number : ""),
        el("td", {}, ticket ? both(TICKET_STATUS[ticket.status]) : both(state)));
    }));
  }

  function renderCurrent(ticket, ctx) {
    document.getElementById("current").hidden = !ticket;
    document.getElementById("current-empty").hidden = Boolean(ticket);
    if (!ticket) return;
    document.getElementById("current-number").textContent = ticket.number;
    document.getElementById("current-service").replaceChildren(...names(ctx.serviceName(ticket.service)));
    document.getElementById("current-meta").replaceChildren(
      el("span", { className: `tag tag-status-${ticket.status}` }, both(TICKET_STATUS[ticket.status])),
      " ", ...kindBadges(ticket),
      ticket.called_at ? ` 呼出 ${hhmm(ticket.called_at)}` : "");
    const recalls = ctx.recallCount(ticket);
    document.getElementById("recall-count").textContent = recalls ? `(${recalls})` : "";
    document.getElementById("recall-info").replaceChildren(
      ...(recalls ? both([`再呼出 ${recalls}回`, `Recalled ${recalls} time${recalls === 1 ? "" : "s"}`]) : []));
    const suggest = typeof ticket.suggest_no_show === "boolean"
      ? ticket.suggest_no_show : recalls >= 3 && ticket.status === "called";
    document.getElementById("noshow-suggestion").hidden = !suggest;
    const allowed = {
      // Prioritising is for waiting tickets (the list's 優先 buttons); the API refuses it here.
      called: ["recall", "start", "complete", "no-show", "transfer"],
      serving: ["complete", "transfer"],
    }[ticket.status] || [];
    document.querySelectorAll('#current [data-scope="current"]').forEach((button) => {
      button.disabled = !allowed.includes(button.dataset.action);
    });
  }

  function checkInCell(reservation) {
    const status = reservation.status;
    const parts = [el("span", { className: `tag tag-res-${status}` }, both(RESERVATION_STATUS[status] || [status, ""]))];
    if (reservation.checked_in_at) parts.push(` ${hhmm(reservation.checked_in_at)}`);
    const ticket = reservation.ticket;
    if (ticket) parts.push(" ", el("span", { className: "ticket-number" }, ticket.number || ticket));
    return parts;
  }

  function renderReservations(tbody, reservations, ctx) {
    tbody.replaceChildren(...reservations.map((reservation) => el("tr",
      { "data-code": reservation.code, className: `res-${reservation.status}` },
      el("td", { className: "num" }, hhmm(reservation.start)),
      el("td", { className: "code" }, reservation.code),
      el("td", {}, names(ctx.serviceName(reservation.service))),
      el("td", {}, reservation.furigana
        ? el("span", { className: "furigana", lang: "ja" }, reservation.furigana) : "",
      reservation.name || "—", reservation.proxy
        ? el("span", { className: "tag tag-proxy" }, both(["代理", "Proxy"])) : ""),
      el("td", {}, checkInCell(reservation)))));
  }

  window.StaffRender = {
    el, both, fillSelect, renderWaiting, renderServing, renderCurrent, renderReservations,
  };
})();
