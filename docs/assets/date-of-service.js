/* policypress: the date-of-service field of a policy page. The versions table says when each
   version was in effect (data-effective, data-until: YYYY-MM-DD, until excluded); a date typed
   here opens the version in effect on it. Dates compare as text, which orders ISO dates. */
(function () {
  "use strict";

  function start() {
    var form = document.querySelector("form.date-of-service");
    if (!form) return;
    var input = form.querySelector("input");
    var status = form.querySelector(".date-of-service-status");
    var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-effective]"));
    form.hidden = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var day = input.value;
      var found = null;
      rows.forEach(function (row) {
        var until = row.dataset.until;
        if (row.dataset.effective <= day && (until === "" || day < until)) found = row;
      });
      if (found) {
        window.location.href = found.dataset.url;
      } else {
        status.textContent = "No version of this policy was in effect on " + day + ".";
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
