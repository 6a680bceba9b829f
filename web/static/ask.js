// The "Ask us" panel (templates/_ask.html): a conversation with the answer bot
// (POST /api/ask), votes on its answers (POST /api/feedback) and a hand-over to a
// person (POST /api/handovers). The launcher becomes a button that opens the panel;
// Esc closes it and gives focus back. New messages are announced (role="log").
// The conversation survives page changes in this tab (sessionStorage). Without
// JavaScript the launcher stays a link to the /ask page.
(function () {
  "use strict";
  var root = document.querySelector(".ask");
  if (!root || !window.fetch) return;
  var panel = document.getElementById("ask-panel");
  var log = panel.querySelector(".ask-log");
  var form = panel.querySelector(".ask-form");
  var input = document.getElementById("ask-q");
  var STORE = "kb.ask";
  var msg = function (key) { return root.getAttribute("data-msg-" + key) || ""; };
  var state = load();
  var forms = 0;

  var link = root.querySelector(".ask-launcher");
  var launcher = document.createElement("button");
  launcher.type = "button";
  launcher.className = "ask-launcher";
  launcher.textContent = link.textContent;
  launcher.setAttribute("aria-controls", "ask-panel");
  launcher.setAttribute("aria-expanded", "false");
  link.replaceWith(launcher);

  function load() {
    try { return JSON.parse(sessionStorage.getItem(STORE)) || { items: [] }; } catch (e) { return { items: [] }; }
  }

  function save() {
    try { sessionStorage.setItem(STORE, JSON.stringify(state)); } catch (e) { /* private mode: this page only */ }
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function tracked(url, question, rank) {
    var parts = url.split("#");
    var query = "q=" + encodeURIComponent(question.slice(0, 200)) + "&rank=" + rank + "&via=bot";
    return parts[0] + (parts[0].indexOf("?") < 0 ? "?" : "&") + query + (parts[1] ? "#" + parts[1] : "");
  }

  function bubble(who) {
    var li = element("li", who);
    li.appendChild(element("span", "who", msg(who === "you" ? "you" : "bot")));
    log.appendChild(li);
    return li;
  }

  function open(focus) {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    state.open = true;
    save();
    if (focus) input.focus();
    log.scrollTop = log.scrollHeight;
  }

  function close() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    state.open = false;
    save();
    launcher.focus();
  }

  // -- rendering one stored item --------------------------------------------------------------------
  function render(item, index) {
    if (item.type === "q") {
      bubble("you").appendChild(element("p", "", item.text));
    } else if (item.type === "reply") {
      renderReply(item, index);
    } else if (item.type === "offer") {
      var li = bubble("bot");
      li.appendChild(element("p", "", msg("sorry")));
      if (!handedOver()) li.appendChild(handoverForm());
    } else if (item.type === "handed") {
      bubble("bot").appendChild(element("p", "", msg("handed-over").replace("{id}", String(item.id))));
    } else if (item.type === "error") {
      bubble("bot").appendChild(element("p", "error", msg("error")));
    }
  }

  function renderReply(item, index) {
    var data = item.data;
    var li = bubble("bot");
    var reason = data.handover && data.handover.reason;
    if (reason === "asked_for_human") {
      li.appendChild(element("p", "", msg("asked-human")));
    } else if (reason === "not_helpful" && !data.answer) {
      li.appendChild(element("p", "", msg("sorry")));
    } else if (data.answer) {
      var answer = element("div", "answer");
      answer.appendChild(element("strong", "", data.answer.heading));
      answer.appendChild(element("p", "answer-text", data.answer.text));
      var source = element("p", "answer-source", msg("source"));
      var a = element("a", "", data.answer.title);
      a.href = tracked(data.answer.url, item.question, 1);
      source.appendChild(a);
      answer.appendChild(source);
      li.appendChild(answer);
      li.appendChild(voteBox(item, index));
    } else {
      li.appendChild(element("p", "", msg(data.articles && data.articles.length ? "not-sure" : "no-answer")));
    }
    if (!data.answer && data.articles && data.articles.length) {
      var list = element("ul", "article-list");
      data.articles.forEach(function (article, n) {
        var entry = element("li");
        var link = element("a", "", article.title);
        link.href = tracked(article.url, item.question, n + 1);
        entry.appendChild(link);
        list.appendChild(entry);
      });
      li.appendChild(list);
    }
    if (data.handover && data.handover.offered && !handedOver() && isLast(index)) {
      if (reason !== "asked_for_human" && !(reason === "not_helpful" && !data.answer)) {
        li.appendChild(element("p", "", msg("offer")));
      }
      li.appendChild(handoverForm());
    }
  }

  function isLast(index) { return index === state.items.length - 1; }

  function handedOver() {
    return state.items.some(function (item) { return item.type === "handed"; });
  }

  function voteBox(item, index) {
    var box = element("div", "ask-vote");
    if (item.voted !== undefined) {
      box.appendChild(element("p", "", msg("thanks")));
      return box;
    }
    box.appendChild(element("span", "", msg("vote")));
    [["yes", true], ["no", false]].forEach(function (choice) {
      var button = element("button", "", msg(choice[0]));
      button.type = "button";
      button.addEventListener("click", function () { vote(item, index, choice[1], box); });
      box.appendChild(button);
    });
    return box;
  }

  function handoverForm() {
    var n = ++forms;
    var f = element("form", "ask-handover");
    f.action = root.querySelector(".ask-form").getAttribute("action");
    [["contact", 200], ["note", 2000]].forEach(function (field) {
      var label = element("label", "", msg(field[0]));
      label.htmlFor = "ask-" + field[0] + "-" + n;
      var box = element("input");
      box.id = label.htmlFor;
      box.name = field[0];
      box.type = "text";
      box.maxLength = field[1];
      f.appendChild(label);
      f.appendChild(box);
    });
    var button = element("button", "", msg("handover"));
    button.type = "submit";
    f.appendChild(button);
    f.addEventListener("submit", function (event) {
      event.preventDefault();
      button.disabled = true;
      post(root.dataset.handoverUrl, {
        conversation: state.conversation, contact: f.elements.contact.value, note: f.elements.note.value
      }).then(function (body) {
        add({ type: "handed", id: body.id });
        redraw();
      }).catch(function () { button.disabled = false; add({ type: "error" }); });
    });
    return f;
  }

  // -- talking to the server -------------------------------------------------------------------------
  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
    }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    });
  }

  function add(item) {
    state.items.push(item);
    state.items = state.items.slice(-60);
    save();
  }

  function redraw() {
    log.innerHTML = "";
    forms = 0;
    bubble("bot").appendChild(element("p", "", msg("intro")));
    state.items.forEach(render);
    log.scrollTop = log.scrollHeight;
  }

  function ask(question) {
    add({ type: "q", text: question });
    redraw();
    var body = { question: question, lang: root.dataset.lang };
    if (state.conversation) body.conversation = state.conversation;
    form.querySelector("button").disabled = true;
    post(root.dataset.askUrl, body).then(function (data) {
      state.conversation = data.conversation;
      add({ type: "reply", data: data, question: question });
    }).catch(function () {
      add({ type: "error" });
    }).then(function () {
      form.querySelector("button").disabled = false;
      redraw();
      input.focus();
    });
  }

  function vote(item, index, helpful, box) {
    box.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    post(root.dataset.feedbackUrl, {
      article_id: item.data.answer.article_id, helpful: helpful, query: item.question,
      conversation: state.conversation
    }).then(function () {
      state.items[index].voted = helpful;
      if (!helpful) add({ type: "offer" });
      save();
      redraw();
      var offered = log.querySelector(".ask-handover:last-of-type input");
      if (!helpful && offered) offered.focus();
    }).catch(function () {
      box.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
    });
  }

  // -- wiring ----------------------------------------------------------------------------------------
  launcher.addEventListener("click", function () {
    if (panel.hidden) open(true); else close();
  });
  panel.querySelector(".ask-close").addEventListener("click", close);
  panel.querySelector(".ask-new").addEventListener("click", function () {
    state = { items: [], open: true };
    save();
    redraw();
    input.focus();
  });
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { event.preventDefault(); close(); }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var question = input.value.trim();
    if (!question) return;
    input.value = "";
    ask(question);
  });

  redraw();
  if (state.open) open(false);
})();
