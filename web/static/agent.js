// The agent console: results update while the agent types (debounced; a stale
// response never replaces a newer one), "/" focuses the search box, ↑/↓ move
// through the results, Enter opens the article in the side panel, "c" copies the
// selected answer text. The last 10 viewed articles are kept in localStorage.
(function () {
  "use strict";
  var root = document.querySelector(".console");
  if (!root) return;
  var input = document.getElementById("agent-q");
  var list = document.getElementById("agent-results");
  var panel = document.getElementById("panel");
  var recentList = document.getElementById("recent-viewed");
  var toast = document.getElementById("toast");
  var countLine = root.querySelector(".result-count");
  var RECENT_KEY = "kb.agent.recent";
  var sequence = 0;
  var timer = null;
  var results = [];   // [{element, articleId, anchor, title, copyText}]
  var selected = -1;

  list.tabIndex = 0;

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function badge(visibility) {
    return visibility === "internal" ? element("span", "badge", root.dataset.internal) : null;
  }

  function select(index, scroll) {
    if (!results.length) return;
    selected = (index + results.length) % results.length;
    results.forEach(function (r, i) { r.element.setAttribute("aria-selected", i === selected ? "true" : "false"); });
    list.setAttribute("aria-activedescendant", results[selected].element.id);
    if (scroll !== false) results[selected].element.scrollIntoView({ block: "nearest" });
  }

  function addResult(entry, build) {
    var li = element("li");
    li.id = "agent-result-" + results.length;
    li.setAttribute("role", "option");
    li.setAttribute("aria-selected", "false");
    build(li);
    var index = results.length;
    li.addEventListener("click", function () {
      select(index, false);
      openArticle(entry.articleId, entry.anchor, index + 1);
    });
    entry.element = li;
    results.push(entry);
    list.appendChild(li);
  }

  function render(data) {
    list.innerHTML = "";
    results = [];
    selected = -1;
    list.removeAttribute("aria-activedescendant");
    list.setAttribute("role", "listbox");
    (data.answers || []).forEach(function (a) {
      addResult({ articleId: a.article_id, anchor: a.anchor, title: a.title, copyText: a.text }, function (li) {
        li.className = "answer-result";
        li.appendChild(element("span", "kind", a.title));
        var heading = element("strong", "", a.heading);
        li.appendChild(heading);
        var b = badge(a.visibility);
        if (b) li.appendChild(b);
        li.appendChild(element("p", "answer", a.text));
      });
    });
    (data.articles || []).forEach(function (a) {
      addResult({ articleId: a.id, anchor: "", title: a.title, copyText: a.summary }, function (li) {
        li.appendChild(element("strong", "", a.title));
        var b = badge(a.visibility);
        if (b) li.appendChild(b);
        var snippet = element("p", "snippet");
        snippet.innerHTML = a.snippet;  // server-escaped text with <mark> around the query terms
        li.appendChild(snippet);
      });
    });
    countLine.textContent = root.dataset.count.replace("{n}", String(data.total || 0));
    if (results.length) select(0, false);
  }

  function runSearch() {
    var text = input.value.trim();
    var mine = ++sequence;
    if (!text) { render({}); countLine.textContent = ""; return; }
    fetch(root.dataset.searchUrl + "?limit=10&q=" + encodeURIComponent(text), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : {}; })
      .then(function (data) { if (mine === sequence) render(data); })
      .catch(function () { /* keep the last results on a network hiccup */ });
  }

  function remember(article) {
    var recent = readRecent().filter(function (r) { return r.id !== article.id; });
    recent.unshift({ id: article.id, title: article.title });
    try { localStorage.setItem(RECENT_KEY, JSON.stringify(recent.slice(0, 10))); } catch (e) { /* private mode */ }
    showRecent();
  }

  function readRecent() {
    try { return JSON.parse(localStorage.getItem(RECENT_KEY) || "[]"); } catch (e) { return []; }
  }

  function showRecent() {
    recentList.innerHTML = "";
    readRecent().forEach(function (r) {
      var li = element("li");
      var button = element("button", "link", r.title);
      button.type = "button";
      button.addEventListener("click", function () { openArticle(r.id, ""); });
      li.appendChild(button);
      recentList.appendChild(li);
    });
  }

  function openArticle(articleId, anchor, rank) {
    // A result opened from a search carries the query and its rank: a click (web/analytics.py).
    var click = rank ? "?q=" + encodeURIComponent(input.value.trim()) + "&rank=" + rank : "";
    fetch(root.dataset.articleUrl + articleId.split("/").map(encodeURIComponent).join("/") + click,
          { credentials: "same-origin" })
      .then(function (response) { if (!response.ok) throw new Error(String(response.status)); return response.json(); })
      .then(function (article) {
        panel.innerHTML = "";
        var title = element("h2", "", article.title);
        var b = badge(article.visibility);
        if (b) title.appendChild(b);
        panel.appendChild(title);
        var link = element("a", "", article.category);
        link.href = article.url;
        panel.appendChild(link);
        var body = element("div", "body");
        body.lang = article.lang;
        body.innerHTML = article.html;  // sanitized by the server when rendered
        panel.appendChild(body);
        var target = anchor ? document.getElementById(anchor) : null;
        // Scroll the panel, not the page, so the results stay where the agent left them.
        panel.scrollTop = target ? target.getBoundingClientRect().top - panel.getBoundingClientRect().top - 8 : 0;
        if (target) target.classList.add("focused-section");
        remember(article);
      })
      .catch(function () { panel.textContent = root.dataset.openError || ""; });
  }

  function copySelected() {
    if (selected < 0) return;
    var text = results[selected].copyText || results[selected].title;
    var done = function () {
      toast.textContent = root.dataset.copied;
      toast.hidden = false;
      clearTimeout(toast.timer);
      toast.timer = setTimeout(function () { toast.hidden = true; }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(text); done(); });
    } else {
      fallbackCopy(text);
      done();
    }
  }

  function fallbackCopy(text) {
    // Plain-HTTP deployments have no async clipboard: copy through a selected textarea.
    var area = element("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } catch (e) { /* nothing else to try */ }
    document.body.removeChild(area);
    list.focus({ preventScroll: true });
  }

  function typing(target) {
    return target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable);
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(runSearch, 150);
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var inBox = event.target === input;
    if (event.key === "/" && !typing(event.target)) {
      event.preventDefault();
      input.focus();
      input.select();
    } else if ((event.key === "ArrowDown" || event.key === "ArrowUp") && (inBox || event.target === list)) {
      if (!results.length) return;
      event.preventDefault();
      var step = event.key === "ArrowDown" ? 1 : -1;
      // From the box, ↓ enters the list on the first result; in the list it moves.
      select(inBox && event.key === "ArrowDown" ? Math.max(selected, 0) : selected + step);
      list.focus({ preventScroll: true });
    } else if (event.key === "Enter" && (inBox || event.target === list) && selected >= 0) {
      event.preventDefault();
      openArticle(results[selected].articleId, results[selected].anchor, selected + 1);
    } else if (event.key === "c" && !typing(event.target)) {
      event.preventDefault();
      copySelected();
    } else if (event.key === "Escape" && !inBox) {
      input.focus();
    }
  });

  showRecent();
  input.focus();
})();
