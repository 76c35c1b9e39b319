// Starts ReDoc on /api/redoc/ (templates/drf_spectacular/redoc.html). A file rather than drf-spectacular's
// inline script, for the Content-Security-Policy; ReDoc gets the response's style nonce for the <style>
// elements it inserts (config/views.py ApiRedocView, docs/security.md).
"use strict";
(function () {
  const container = document.getElementById("redoc-container");
  Redoc.init(container.dataset.specUrl, { nonce: container.dataset.styleNonce }, container);
})();
