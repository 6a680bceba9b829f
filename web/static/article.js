// "Was this helpful?": posts the vote as JSON to /api/feedback and says thanks. After a
// "no", one optional question (what was missing: a choice and free text, sent with
// the vote's signed token to /api/feedback/reason) and the contact channels.
(function () {
  "use strict";
  var box = document.querySelector(".feedback");
  if (!box) return;
  box.hidden = false;  // voting needs JavaScript, so the box only appears with it
  var status = box.querySelector(".feedback-status");
  var buttons = box.querySelectorAll("button[data-helpful]");
  var form = box.querySelector(".feedback-reason");
  var contact = box.querySelector(".feedback-contact");
  var vote = null;  // the signed token of this page's vote

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    });
  }

  function sendVote(helpful) {
    buttons.forEach(function (b) { b.disabled = true; });
    post(box.dataset.url, { article_id: box.dataset.articleId, helpful: helpful, query: box.dataset.query || "" })
      .then(function (answer) {
        status.textContent = box.dataset.thanks;
        if (helpful) return;
        vote = answer.vote;
        form.hidden = false;
        contact.hidden = false;
        form.querySelector("legend").focus();
      })
      .catch(function () {
        status.textContent = box.dataset.error;
        buttons.forEach(function (b) { b.disabled = false; });
      });
  }

  buttons.forEach(function (button) {
    button.addEventListener("click", function () { sendVote(button.dataset.helpful === "true"); });
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var choice = form.querySelector("input[name=reason]:checked");
    var comment = form.querySelector("textarea").value.trim();
    if (!choice && !comment) { form.hidden = true; return; }  // nothing to add: as if skipped
    form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    post(box.dataset.reasonUrl, { vote: vote, reason: choice ? choice.value : "", comment: comment })
      .then(function () {
        form.hidden = true;
        status.textContent = box.dataset.thanksReason;
      })
      .catch(function () {
        status.textContent = box.dataset.error;
        form.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
      });
  });

  form.querySelector("[data-skip]").addEventListener("click", function () { form.hidden = true; });
})();
