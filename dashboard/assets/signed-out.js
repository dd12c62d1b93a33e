// When a session ends while the dashboard is open (signed out elsewhere, or timed out), the dashboard's requests
// are answered 401: go to the sign-in page, which brings the person back to this view afterwards, instead of
// leaving a dashboard whose figures can no longer load.
(function () {
  "use strict";
  var originalFetch = window.fetch.bind(window);
  window.fetch = function () {
    return originalFetch.apply(null, arguments).then(function (response) {
      if (response.status === 401 && response.url.indexOf("/dashboard/_dash-") !== -1) {
        var here = window.location.pathname + window.location.search;
        window.location.assign("/sign-in?next=" + encodeURIComponent(here));
        // The page is going: the dashboard need not handle the refusal as a broken callback.
        return new Promise(function () {});
      }
      return response;
    });
  };
})();
