// Renders the REST API schema served next to this page with the vendored
// Swagger UI bundle. "Try it out" calls go to this same server.
(function () {
  var el = document.getElementById('api-viewer');
  var spec = new URL(el.getAttribute('data-spec'), window.location.href).toString();
  window.ui = SwaggerUIBundle({
    url: spec,
    domNode: el,
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout'
  });
})();
