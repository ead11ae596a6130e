/* policypress: the code index's lookup. A code typed here shows the rows that list it, including
   ranges it falls inside (E11.65 is in "E11.00 – E11.9"), which search by words cannot find.
   Codes compare without their dot, character by character, as policypress.model.codes does. */
(function () {
  "use strict";

  function key(code) {
    return code.replace(/\./g, "").trim().toUpperCase();
  }

  function contains(row, wanted) {
    var first = row.dataset.first;
    var last = row.dataset.last;
    return first <= wanted && (wanted <= last || wanted.indexOf(last) === 0);
  }

  function start() {
    var form = document.querySelector("form.code-lookup");
    if (!form) return;
    var input = form.querySelector("input");
    var status = form.querySelector(".code-lookup-status");
    var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-first]"));
    form.hidden = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
    });
    input.addEventListener("input", function () {
      var wanted = key(input.value);
      var shown = 0;
      rows.forEach(function (row) {
        var match = wanted === "" || contains(row, wanted);
        row.hidden = !match;
        if (match) shown += 1;
      });
      document.querySelectorAll("div.code-index").forEach(function (table) {
        var visible = table.querySelector("tr[data-first]:not([hidden])");
        table.hidden = !visible;
        var heading = table.previousElementSibling;
        if (heading && /^H[1-6]$/.test(heading.tagName)) heading.hidden = !visible;
      });
      if (wanted === "") {
        status.textContent = "";
      } else if (shown === 0) {
        status.textContent = "No policy lists " + input.value.trim() + ".";
      } else {
        status.textContent = input.value.trim() + ": " + shown + (shown === 1 ? " row lists it." : " rows list it.");
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
