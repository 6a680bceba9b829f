// Type-ahead for the help-center search boxes (the header's, the home page's, the
// 404 page's): suggestions from /api/suggest, ↑/↓ to move, Enter to open the
// highlighted article, Esc to close. Without JavaScript each box is a plain search form.
(function () {
  "use strict";

  function typeAhead(input) {
    var list = document.getElementById(input.getAttribute("aria-controls"));
    if (!list) return;
    var url = input.getAttribute("data-suggest-url");
    var items = [];
    var active = -1;
    var sequence = 0;
    var timer = null;

    function close() {
      list.hidden = true;
      list.innerHTML = "";
      items = [];
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      items.forEach(function (li, i) { li.setAttribute("aria-selected", i === index ? "true" : "false"); });
      active = index;
      if (index >= 0) input.setAttribute("aria-activedescendant", items[index].id);
      else input.removeAttribute("aria-activedescendant");
    }

    function show(suggestions) {
      close();
      if (!suggestions.length) return;
      suggestions.forEach(function (s, i) {
        var li = document.createElement("li");
        li.id = list.id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.textContent = s.text;
        // What was typed rides along, so the pick is counted (web/analytics.py).
        li.dataset.url = s.url + "?q=" + encodeURIComponent(input.value.trim()) + "&via=suggest";
        li.addEventListener("mousedown", function (event) {
          event.preventDefault();  // keep focus in the box until we navigate
          window.location.href = li.dataset.url;
        });
        list.appendChild(li);
        items.push(li);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function fetchSuggestions() {
      var text = input.value.trim();
      var mine = ++sequence;
      if (!text) { close(); return; }
      fetch(url + "?q=" + encodeURIComponent(text) + "&limit=8", { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
        .then(function (data) { if (mine === sequence) show(data.suggestions || []); })
        .catch(function () { if (mine === sequence) close(); });
    }

    input.addEventListener("input", function () {
      // What is typed now is what Enter searches for: a suggestion picked for the shorter text is
      // no longer the pick (until new suggestions come and one is picked).
      if (active >= 0) highlight(-1);
      clearTimeout(timer);
      timer = setTimeout(fetchSuggestions, 120);
    });

    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" && items.length) {
        event.preventDefault();
        highlight((active + 1) % items.length);
      } else if (event.key === "ArrowUp" && items.length) {
        event.preventDefault();
        highlight(active <= 0 ? items.length - 1 : active - 1);
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        window.location.href = items[active].dataset.url;
      } else if (event.key === "Escape" && !list.hidden) {
        event.preventDefault();
        sequence++;
        close();
      }
    });

    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  document.querySelectorAll("input[data-suggest-url]").forEach(typeAhead);
})();
