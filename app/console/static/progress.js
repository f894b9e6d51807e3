// Pages that wait on background work (a matching run, an import) mark the status with
// data-poll="<url of its status>". While the work is under way the status is asked for every
// two seconds; once it is done the page is read again, so it shows the result. Without
// JavaScript the page's "Check again" link does the same by hand.
(function () {
  "use strict";
  var status = document.querySelector("[data-poll]");
  if (!status) {
    return;
  }
  var url = status.getAttribute("data-poll");
  function ask() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (found) {
        if (found && found.done) {
          window.location.reload();
        } else {
          window.setTimeout(ask, 2000);
        }
      })
      .catch(function () { window.setTimeout(ask, 5000); });
  }
  window.setTimeout(ask, 2000);
})();
