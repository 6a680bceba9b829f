// "Was this helpful?": posts the vote as JSON to /api/feedback and says thanks.
(function () {
  "use strict";
  var box = document.querySelector(".feedback");
  if (!box) return;
  box.hidden = false;  // voting needs JavaScript, so the box only appears with it
  var status = box.querySelector(".feedback-status");
  var buttons = box.querySelectorAll("button[data-helpful]");

  function vote(helpful) {
    buttons.forEach(function (b) { b.disabled = true; });
    fetch(box.dataset.url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        article_id: box.dataset.articleId,
        helpful: helpful,
        query: box.dataset.query || ""
      })
    }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      status.textContent = box.dataset.thanks;
    }).catch(function () {
      status.textContent = box.dataset.error;
      buttons.forEach(function (b) { b.disabled = false; });
    });
  }

  buttons.forEach(function (button) {
    button.addEventListener("click", function () { vote(button.dataset.helpful === "true"); });
  });
})();
