// Starts Swagger UI on the API reference page. An external file, not an inline script, so
// that the page keeps to the Content-Security-Policy "script-src 'self'".
(function () {
  "use strict";

  function start() {
    var root = document.getElementById("swagger-ui");
    if (!root || typeof window.SwaggerUIBundle !== "function") {
      return;
    }
    window.ui = window.SwaggerUIBundle({
      url: root.getAttribute("data-spec-url"),
      domNode: root,
      presets: [window.SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
      deepLinking: true,
      displayOperationId: true,
      displayRequestDuration: true,
      defaultModelsExpandDepth: 0,
      // The default sends the document to validator.swagger.io for a badge: nothing leaves.
      validatorUrl: null,
      // Tokens typed into "Authorize" are forgotten when the page closes.
      persistAuthorization: false
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
