// Renders /api/v1/openapi.json with Swagger UI (swagger-ui-dist from npm,
// copied next to this file by `cargo xtask build`). A file of our own, not
// an inline script, so the page keeps the site's CSP; no validator badge,
// so nothing is fetched from another origin.
window.addEventListener("DOMContentLoaded", () => {
  const target = document.getElementById("swagger-ui");
  if (typeof window.SwaggerUIBundle !== "function") {
    target.textContent =
      "The API viewer is not built here (cargo xtask build copies it); " +
      "the document itself is linked above.";
    return;
  }
  window.ui = window.SwaggerUIBundle({
    url: "/api/v1/openapi.json",
    dom_id: "#swagger-ui",
    // Without deep links the operation summaries hold no link inside their
    // toggle button (axe: nested-interactive).
    deepLinking: false,
    validatorUrl: null,
    // Its colours on a dark background fall short of WCAG AA contrast.
    syntaxHighlight: false,
    tryItOutEnabled: false,
    persistAuthorization: false,
  });
});
