// Faster progress on an upload's status page: without JavaScript the page refreshes itself
// every few seconds (a <noscript> meta refresh); with it, the page's main content is fetched
// every second and swapped in until the file is no longer processing.
(function () {
  "use strict";
  var main = document.getElementById("main-content");
  if (!main || !window.fetch || !window.DOMParser) {
    return;
  }
  var status = main.querySelector("[data-submission-status]");
  if (!status || status.getAttribute("data-submission-status") !== "processing") {
    return;
  }
  function poll() {
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        var next = new DOMParser().parseFromString(html, "text/html");
        var fresh = next.getElementById("main-content");
        if (!fresh) {
          return;
        }
        main.innerHTML = fresh.innerHTML;
        var state = main.querySelector("[data-submission-status]");
        if (state && state.getAttribute("data-submission-status") === "processing") {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () {
        // The page still works by hand: a reload shows the latest state.
      });
  }
  window.setTimeout(poll, 1000);
})();
