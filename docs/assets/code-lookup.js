/* policypress: the filter of the home page and of the code index, in the page, with no request.
   What is typed is split into words. A word that looks like a code (letters, digits and dots,
   with a digit: 64625, E11.65) matches the rows listing that code, including ranges it falls
   inside (E11.65 is in "E11.00 – E11.9"), which search by words cannot find; any other word
   matches the rows whose text holds it. A row is shown when every word matches it and, on the
   code index, its table's coverage is the one chosen. Codes compare without their dot,
   character by character, as policypress.model.codes does. */
(function () {
  "use strict";

  function key(code) {
    return code.replace(/\./g, "").trim().toUpperCase();
  }

  function looksLikeCode(word) {
    return /\d/.test(word) && /^[A-Za-z0-9.]+$/.test(word);
  }

  function spans(row) {
    if (row.dataset.spans !== undefined) {
      return row.dataset.spans === ""
        ? []
        : row.dataset.spans.split(";").map(function (pair) {
            return pair.split(" ");
          });
    }
    return [[row.dataset.first, row.dataset.last]];
  }

  function inSpan(span, wanted) {
    var first = span[0];
    var last = span[1];
    return first <= wanted && (wanted <= last || wanted.indexOf(last) === 0);
  }

  function start(form) {
    var input = form.querySelector("input");
    var meaning = form.querySelector("select");
    var status = form.querySelector(".code-lookup-status");
    var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-first], tr[data-spans]"));
    var known = rows.map(function (row) {
      return { row: row, spans: spans(row), text: row.textContent.replace(/\s+/g, " ").toLowerCase() };
    });
    form.hidden = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
    });

    function matches(entry, words, wantedMeaning) {
      if (wantedMeaning && entry.row.dataset.meaning !== wantedMeaning) return false;
      return words.every(function (word) {
        if (looksLikeCode(word)) {
          var wanted = key(word);
          return entry.spans.some(function (span) {
            return inSpan(span, wanted);
          });
        }
        return entry.text.indexOf(word.toLowerCase()) !== -1;
      });
    }

    function update() {
      var typed = input.value.trim();
      var words = typed === "" ? [] : typed.split(/\s+/);
      var wantedMeaning = meaning ? meaning.value : "";
      var shown = 0;
      known.forEach(function (entry) {
        var match = matches(entry, words, wantedMeaning);
        entry.row.hidden = !match;
        if (match) shown += 1;
      });
      document.querySelectorAll("div.code-index").forEach(function (table) {
        var visible = table.querySelector("tr[data-first]:not([hidden])");
        table.hidden = !visible;
        var heading = table.previousElementSibling;
        if (heading && /^H[1-6]$/.test(heading.tagName)) heading.hidden = !visible;
      });
      var asked = typed || (meaning && meaning.value ? meaning.options[meaning.selectedIndex].text : "");
      if (asked === "") {
        status.textContent = "";
      } else if (shown === 0) {
        status.textContent = "No policy lists " + asked + ".";
      } else {
        status.textContent = asked + ": " + shown + " " + (shown === 1 ? form.dataset.one : form.dataset.many);
      }
    }

    input.addEventListener("input", update);
    if (meaning) meaning.addEventListener("change", update);
  }

  function startAll() {
    document.querySelectorAll("form.code-lookup").forEach(start);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", startAll);
  } else {
    startAll();
  }
})();
