// The hand-over queue of the agent console (templates/agent/_handovers.html): polls
// GET /api/handovers every second, newest first, announces new customers, and lets an
// agent take one over (POST /api/handovers/<id>/claim; exactly one agent gets it).
// Taking over, or "search", runs the console search for the customer's last question.
(function () {
  "use strict";
  var root = document.querySelector(".handovers");
  if (!root || !window.fetch) return;
  var list = root.querySelector(".handover-list");
  var status = root.querySelector(".handovers-status");
  var count = root.querySelector(".count");
  var EVERY = 1000;
  var last = "";
  var known = null;  // ids seen, to announce new ones
  var d = root.dataset;

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function reasonText(reason) {
    return d["reason" + reason.split("_").map(function (w) { return w[0].toUpperCase() + w.slice(1); }).join("")]
      || reason;
  }

  function searchFor(question) {
    var box = document.getElementById("agent-q");
    if (!box || !question) return;
    box.value = question;
    box.dispatchEvent(new Event("input", { bubbles: true }));  // agent.js runs the search
    box.focus();
  }

  function turnView(turn) {
    var li = element("li", "turn");
    var q = element("p", "question");
    q.appendChild(element("time", "meta", new Date(turn.at).toLocaleTimeString()));
    q.appendChild(document.createTextNode(" " + turn.question));
    li.appendChild(q);
    var shown = element("p", "shown");
    shown.appendChild(element("span", "meta", d.showed + " "));
    var seen = turn.answer ? [{ title: turn.answer.title + " — " + turn.answer.heading, url: turn.answer.url }]
      : turn.articles.map(function (a) { return { title: a.title, url: a.url }; });
    if (!seen.length) shown.appendChild(element("span", "", "—"));
    seen.forEach(function (s, n) {
      if (n) shown.appendChild(document.createTextNode(" · "));
      var a = element("a", "", s.title);
      a.href = s.url;
      a.target = "_blank";
      a.rel = "noopener";
      shown.appendChild(a);
    });
    if (turn.vote !== null && turn.vote !== undefined) {
      shown.appendChild(element("span", "vote " + (turn.vote ? "yes" : "no"), " " + (turn.vote ? d.yes : d.no)));
    }
    li.appendChild(shown);
    return li;
  }

  function itemView(h) {
    var li = element("li", "handover " + h.status + (h.claimed_by_me ? " mine" : ""));
    li.id = "handover-" + h.id;
    var head = element("div", "handover-head");
    head.appendChild(element("strong", "", "#" + h.id));
    head.appendChild(element("span", "badge", reasonText(h.reason)));
    head.appendChild(element("span", "meta", new Date(h.created_at).toLocaleString() + " · " +
                                             (h.lang === "en" ? d.langEn : d.langZh)));
    li.appendChild(head);
    if (h.contact) li.appendChild(element("p", "contact", d.contact + ": " + h.contact));
    if (h.note) li.appendChild(element("p", "note", d.note + ": " + h.note));
    var turns = element("ol", "turns");
    h.turns.forEach(function (t) { turns.appendChild(turnView(t)); });
    li.appendChild(turns);
    var actions = element("div", "handover-actions");
    if (h.status === "open") {
      var claim = element("button", "claim", d.claim);
      claim.type = "button";
      claim.addEventListener("click", function () { take(h, claim); });
      actions.appendChild(claim);
    } else {
      actions.appendChild(element("span", "claimed", h.claimed_by_me ? d.mine : d.other));
    }
    var search = element("button", "link", d.search + ": " + h.last_question);
    search.type = "button";
    search.addEventListener("click", function () { searchFor(h.last_question); });
    if (h.last_question) actions.appendChild(search);
    li.appendChild(actions);
    return li;
  }

  function take(h, button) {
    button.disabled = true;
    fetch(d.claimUrl + h.id + "/claim", { method: "POST", credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 409) status.textContent = d.taken;
        if (response.ok) searchFor(h.last_question);
        last = "";  // redraw with the new state
        poll();
      })
      .catch(function () { button.disabled = false; });
  }

  function render(handovers) {
    var focused = document.activeElement && list.contains(document.activeElement) ? document.activeElement.id : "";
    list.innerHTML = "";
    if (!handovers.length) list.appendChild(element("li", "placeholder", d.empty));
    handovers.forEach(function (h) { list.appendChild(itemView(h)); });
    var open = handovers.filter(function (h) { return h.status === "open"; }).length;
    count.textContent = open ? "(" + open + ")" : "";
    if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
  }

  function announce(handovers) {
    var ids = handovers.map(function (h) { return h.id; });
    if (known !== null) {
      var fresh = ids.filter(function (id) { return known.indexOf(id) < 0; });
      if (fresh.length) status.textContent = d["new"].replace("{n}", String(fresh.length));
    }
    known = ids;
  }

  function poll() {
    fetch(d.url + "?status=all&limit=30", { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (text) {
        if (text === null || text === last) return;
        last = text;
        var handovers = JSON.parse(text).handovers;
        announce(handovers);
        render(handovers);
      })
      .catch(function () { /* keep the last list on a network hiccup */ });
  }

  poll();
  setInterval(function () { if (!document.hidden) poll(); }, EVERY);
})();
