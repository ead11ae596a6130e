/* policypress: the date-of-service fields. On a policy page, the versions table says when each
   version was in effect (data-effective, data-until: YYYY-MM-DD, until excluded); a date typed
   there opens the version in effect on it. On the code index, a code and a date name every policy
   version in effect that day that listed the code (ranges included), from the site's own
   api/version-codes.json, fetched once from the same site. Dates compare as text, which orders ISO
   dates; codes compare without their dot, character by character, as policypress.model.codes does. */
(function () {
  "use strict";

  function inEffect(effective, until, day) {
    return effective <= day && (!until || day < until);
  }

  function startPolicyPage() {
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
        if (inEffect(row.dataset.effective, row.dataset.until, day)) found = row;
      });
      if (found) {
        window.location.href = found.dataset.url;
      } else {
        status.textContent = "No version of this policy was in effect on " + day + ".";
      }
    });
  }

  function codeKey(code) {
    return code.replace(/\./g, "").trim().toUpperCase();
  }

  function holds(row, wanted) {
    return row.first <= wanted && (wanted <= row.last || wanted.indexOf(row.last) === 0);
  }

  var MEANINGS = {
    supports_coverage: "supports coverage",
    does_not_support_coverage: "does not support coverage",
    informational: "informational",
  };

  function window_(version) {
    return "in effect from " + version.effective + (version.until ? " until " + version.until : "");
  }

  function startCodeIndex() {
    var form = document.querySelector("form.code-date-of-service");
    if (!form || !window.fetch) return;
    var code = form.querySelector("input[name=code]");
    var date = form.querySelector("input[name=date]");
    var result = form.querySelector(".code-date-of-service-result");
    var root = form.dataset.root;
    var loaded = null;
    form.hidden = false;

    function show(day, wanted, versions) {
      var found = [];
      versions.forEach(function (version) {
        if (!inEffect(version.effective, version.until, day)) return;
        version.rows.forEach(function (row) {
          if (holds(row, wanted)) found.push([version, row]);
        });
      });
      result.textContent = "";
      var summary = document.createElement("p");
      if (found.length === 0) {
        summary.textContent = "No policy version in effect on " + day + " lists code " + code.value.trim() + ".";
        result.appendChild(summary);
        return;
      }
      summary.textContent =
        "In effect on " + day + ", " + (found.length === 1 ? "one row lists" : found.length + " rows list") +
        " code " + code.value.trim() + ":";
      result.appendChild(summary);
      var list = document.createElement("ul");
      found.forEach(function (pair) {
        var version = pair[0];
        var row = pair[1];
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = root + row.link;
        link.textContent = version.id + " version " + version.number;
        item.appendChild(link);
        var meaning = row.meaning ? MEANINGS[row.meaning] || row.meaning : "no coverage meaning given";
        item.appendChild(
          document.createTextNode(
            " (" + window_(version) + "): " + version.title + "; " + row.code_system + " " + row.code +
            " in \u201c" + row.table + "\u201d (" + meaning + ")"
          )
        );
        list.appendChild(item);
      });
      result.appendChild(list);
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var day = date.value;
      var wanted = codeKey(code.value);
      if (!loaded) {
        loaded = fetch(form.dataset.versions).then(function (response) {
          if (!response.ok) throw new Error(response.status + " " + response.statusText);
          return response.json();
        });
      }
      loaded.then(
        function (data) {
          show(day, wanted, data.versions);
        },
        function () {
          loaded = null;
          result.textContent = "The versions could not be loaded; try again, or see the policy pages.";
        }
      );
    });
  }

  function start() {
    startPolicyPage();
    startCodeIndex();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
