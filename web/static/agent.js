// The agent console: results update while the agent types (debounced; a stale
// response never replaces a newer one), "/" focuses the search box, ↑/↓ move
// through the results, Enter opens the highlighted one in the side panel, "c"
// copies its answer text (Ctrl+C / ⌘C from the search box, when no text is selected
// there). Enter and copy act on the results of the text in the box: pressed before
// they follow a new text, they wait for them (the agent reads out the answer to the
// question typed, never the one before). At 700 px and less the panel opens over the
// results; Esc closes it.
// Results in the interface language come first. The last 10 viewed articles are
// kept in localStorage.
(function () {
  "use strict";
  var root = document.querySelector(".console");
  if (!root) return;
  var input = document.getElementById("agent-q");
  var list = document.getElementById("agent-results");
  var panel = document.getElementById("panel");
  var content = panel.querySelector(".panel-content");
  var recentList = document.getElementById("recent-viewed");
  var statuses = document.querySelectorAll("[data-copy-status]");
  var countLine = root.querySelector(".result-count");
  var narrow = window.matchMedia("(max-width: 700px)");
  var RECENT_KEY = "kb.agent.recent";
  var sequence = 0;
  var timer = null;
  var results = [];   // [{element, articleId, anchor, title, copyText}]
  var selected = -1;
  var shownFor = "";  // the text whose results are listed
  var pending = null;  // Enter or copy pressed before the results followed the text

  list.tabIndex = 0;

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Badges of an article or answer: internal, draft, other language.
  function addBadges(node, item, lang) {
    if (item.visibility === "internal") node.appendChild(element("span", "badge", root.dataset.internal));
    if (item.draft) node.appendChild(element("span", "badge draft", root.dataset.draft));
    if (lang && lang !== root.dataset.prefer) node.appendChild(element("span", "badge lang", root.dataset.otherLang));
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
    li.addEventListener("click", function () { select(index, false); openSelected(); });
    entry.element = li;
    results.push(entry);
    list.appendChild(li);
  }

  function render(data, text) {
    shownFor = text;
    list.innerHTML = "";
    results = [];
    selected = -1;
    list.removeAttribute("aria-activedescendant");
    list.setAttribute("role", "listbox");
    var langOf = {};
    (data.articles || []).forEach(function (a) { langOf[a.id] = a.lang; });
    var answered = {};
    (data.answers || []).forEach(function (a) {
      answered[a.article_id] = true;
      addResult({ articleId: a.article_id, anchor: a.anchor, title: a.title, copyText: a.text }, function (li) {
        li.className = "answer-result";
        li.appendChild(element("span", "kind", a.title));
        li.appendChild(element("strong", "", a.heading));
        addBadges(li, a, langOf[a.article_id]);
        li.appendChild(element("p", "answer", a.text));
      });
    });
    (data.articles || []).forEach(function (a) {
      addResult({ articleId: a.id, anchor: "", title: a.title, copyText: a.summary }, function (li) {
        li.appendChild(element("strong", "", a.title));
        addBadges(li, a, a.lang);
        // An article whose answer is listed above gets no snippet: it would repeat that answer.
        if (!answered[a.id]) {
          var snippet = element("p", "snippet");
          snippet.innerHTML = a.snippet;  // server-escaped text with <mark> around the query terms
          li.appendChild(snippet);
        }
      });
    });
    countLine.textContent = root.dataset.count.replace("{n}", String(data.total || 0));
    if (results.length) select(0, false);
    var action = pending;
    pending = null;
    if (action) action();
  }

  // Run `action` on the results of the text now in the box: at once if they are listed, else
  // when they arrive (searching now instead of after the typing pause).
  function onCurrentResults(action) {
    if (input.value.trim() === shownFor) {
      action();
      return;
    }
    pending = action;
    clearTimeout(timer);
    runSearch();
  }

  function runSearch() {
    var text = input.value.trim();
    var mine = ++sequence;
    if (!text) { render({}, text); countLine.textContent = ""; return; }
    fetch(root.dataset.searchUrl + "?limit=10&prefer=" + root.dataset.prefer + "&q=" + encodeURIComponent(text),
          { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : {}; })
      .then(function (data) { if (mine === sequence) render(data, text); })
      .catch(function () { if (mine === sequence) pending = null; /* keep the last results */ });
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

  // At 700 px and less the panel covers the results (full screen) until closed.
  function showPanel() {
    if (!narrow.matches) return;
    panel.classList.add("open");
    document.body.classList.add("panel-open");
    panel.focus({ preventScroll: true });
  }

  function closePanel() {
    panel.classList.remove("open");
    document.body.classList.remove("panel-open");
    list.focus({ preventScroll: true });
    if (selected >= 0) results[selected].element.scrollIntoView({ block: "nearest" });
  }

  function openSelected() {
    if (selected >= 0) openArticle(results[selected].articleId, results[selected].anchor, selected + 1);
  }

  function openArticle(articleId, anchor, rank) {
    // A result opened from a search carries the query and its rank: a click (web/analytics.py).
    var click = rank ? "?q=" + encodeURIComponent(input.value.trim()) + "&rank=" + rank : "";
    fetch(root.dataset.articleUrl + articleId.split("/").map(encodeURIComponent).join("/") + click,
          { credentials: "same-origin" })
      .then(function (response) { if (!response.ok) throw new Error(String(response.status)); return response.json(); })
      .then(function (article) {
        content.innerHTML = "";
        var title = element("h2", "", article.title);
        addBadges(title, article, article.lang);
        content.appendChild(title);
        var links = element("p", "panel-links");
        var link = element("a", "", article.category);
        link.href = article.url;
        links.appendChild(link);
        if (article.draft) {  // drafts are agents-only: their page is the preview
          var preview = element("a", "preview", root.dataset.preview);
          preview.href = article.url;
          preview.target = "_blank";
          preview.rel = "noopener";
          links.appendChild(preview);
        }
        content.appendChild(links);
        var body = element("div", "body");
        body.lang = article.lang;
        body.innerHTML = article.html;  // sanitized by the server when rendered
        content.appendChild(body);
        showPanel();
        var target = anchor ? document.getElementById(anchor) : null;
        // Scroll the panel, not the page, so the results stay where the agent left them.
        panel.scrollTop = target ? target.getBoundingClientRect().top - panel.getBoundingClientRect().top
          + panel.scrollTop - panel.querySelector(".panel-bar").offsetHeight - 8 : 0;
        if (target) target.classList.add("focused-section");
        remember(article);
      })
      .catch(function () { content.textContent = root.dataset.openError || ""; showPanel(); });
  }

  function copySelected() {
    if (selected < 0) return;
    var text = results[selected].copyText || results[selected].title;
    var done = function () {
      statuses.forEach(function (s) { s.textContent = root.dataset.copied; });
      clearTimeout(copySelected.timer);
      copySelected.timer = setTimeout(function () {
        statuses.forEach(function (s) { s.textContent = ""; });
      }, 2000);
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
    var focused = document.activeElement;
    var area = element("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } catch (e) { /* nothing else to try */ }
    document.body.removeChild(area);
    if (focused && focused.focus) focused.focus({ preventScroll: true });
  }

  function typing(target) {
    return target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable);
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(runSearch, 150);
  });

  panel.querySelector(".panel-close").addEventListener("click", closePanel);
  narrow.addEventListener("change", function () {
    if (!narrow.matches && panel.classList.contains("open")) closePanel();  // wide: the panel is beside
  });

  document.addEventListener("keydown", function (event) {
    var inBox = event.target === input;
    var modified = event.ctrlKey || event.metaKey || event.altKey;
    if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "c" && inBox
        && input.selectionStart === input.selectionEnd && (selected >= 0 || input.value.trim())) {
      // Nothing selected in the box to copy: copy the highlighted answer instead.
      event.preventDefault();
      onCurrentResults(copySelected);
    } else if (modified) {
      return;
    } else if (event.key === "/" && !typing(event.target)) {
      event.preventDefault();
      if (panel.classList.contains("open")) closePanel();
      input.focus();
      input.select();
    } else if ((event.key === "ArrowDown" || event.key === "ArrowUp") && (inBox || event.target === list)) {
      if (!results.length) return;
      event.preventDefault();
      var step = event.key === "ArrowDown" ? 1 : -1;
      // From the box, ↓ enters the list on the highlighted result; in the list it moves.
      select(inBox && event.key === "ArrowDown" ? Math.max(selected, 0) : selected + step);
      list.focus({ preventScroll: true });
    } else if (event.key === "Enter" && (inBox || event.target === list)
               && (selected >= 0 || input.value.trim())) {
      event.preventDefault();
      list.focus({ preventScroll: true });  // from the box too: then "c" and ↑/↓ act on the results
      onCurrentResults(openSelected);
    } else if (event.key === "c" && !typing(event.target)) {
      event.preventDefault();
      onCurrentResults(copySelected);
    } else if (event.key === "Escape" && panel.classList.contains("open")) {
      event.preventDefault();
      closePanel();
    } else if (event.key === "Escape" && !inBox) {
      input.focus();
    }
  });

  showRecent();
  input.focus();
})();
