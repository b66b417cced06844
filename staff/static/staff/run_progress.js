/* Live progress of evaluation runs without reloading: every two seconds each box of an active
   run ([data-poll]) is replaced by the server's own rendering of it; polling stops once the run
   has finished. On a run's own page the summary is refreshed once, when the run finishes. */
(function () {
  "use strict";
  var INTERVAL = 2000;

  function poll(box) {
    var url = box.getAttribute("data-poll");
    if (!url) {
      return;
    }
    window.setTimeout(function () {
      fetch(url, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(response.status);
          }
          return response.text();
        })
        .then(function (html) {
          var holder = document.createElement("div");
          holder.innerHTML = html.trim();
          var fresh = holder.firstElementChild;
          box.replaceWith(fresh);
          if (fresh.getAttribute("data-active") === "true") {
            poll(fresh);
          } else if (document.getElementById("run-summary")) {
            refreshSummary();
          }
        })
        .catch(function () {
          poll(box); // a hiccup of the network or the server: try again
        });
    }, INTERVAL);
  }

  function refreshSummary() {
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        ["run-summary", "failures"].forEach(function (id) {
          var mine = document.getElementById(id);
          var theirs = page.getElementById(id);
          if (mine && theirs) {
            mine.replaceWith(theirs);
          }
        });
      });
  }

  document.querySelectorAll(".run-progress[data-poll]").forEach(poll);
})();
