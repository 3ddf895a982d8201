/* paperfeed default theme: small enhancements. Every page reads fine without this file. */
(function () {
  "use strict";

  // Copy BibTeX. The button stays hidden unless this script runs.
  function copyText(text, source) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(function () { return true; }, function () {
        return selectAndCopy(source);
      });
    }
    return Promise.resolve(selectAndCopy(source));
  }

  function selectAndCopy(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    try {
      return document.execCommand("copy");
    } catch (e) {
      return false;
    }
  }

  Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) return;
    var status = button.parentNode.querySelector(".copy-status");
    button.hidden = false;
    button.addEventListener("click", function () {
      copyText(source.textContent, source).then(function (ok) {
        if (status) status.textContent = ok ? "Copied." : "Press Ctrl+C (⌘C) to copy the selected entry.";
        if (ok) button.textContent = "Copied";
        window.setTimeout(function () {
          button.textContent = "Copy BibTeX";
          if (status) status.textContent = "";
        }, 2500);
      });
    });
  });

  // j / k move the focus to the next / previous paper card.
  var cards = Array.prototype.slice.call(document.querySelectorAll(".card"));
  if (!cards.length) return;
  var tip = document.querySelector(".keys");
  if (tip) tip.hidden = false;

  function target(step) {
    var active = document.activeElement;
    var card = active && active.closest ? active.closest(".card") : null;
    var index = cards.indexOf(card);
    if (index >= 0) return cards[index + step];
    // Nothing focused yet: start from what is on screen.
    for (var i = 0; i < cards.length; i++) {
      var top = cards[i].getBoundingClientRect().top;
      if (step > 0 && top >= 0) return cards[i];
      if (step < 0 && top >= 0) return cards[Math.max(i - 1, 0)];
    }
    return step > 0 ? null : cards[cards.length - 1];
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key !== "j" && event.key !== "k") return;
    var el = event.target;
    if (el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName))) return;
    var card = target(event.key === "j" ? 1 : -1);
    var link = card && card.querySelector(".card-title a");
    if (!link) return;
    event.preventDefault();
    link.focus({ preventScroll: true });
    card.scrollIntoView({ block: "nearest" });
  });
})();
