// Techmap's fixes to Swagger UI for WCAG 2.2 AA (templates/api/swagger_ui.html), applied
// as Swagger UI draws its operations (their details appear when opened):
// - form controls it leaves without a label (axe label, select-name) are named from their
//   parameter, their response code, or as the request body;
// - scrolling code samples can be reached with the keyboard (axe scrollable-region-focusable).
function techmapName(control) {
  var param = control.closest("tr[data-param-name]");
  if (param) {
    return param.dataset.paramName + " (" + param.dataset.paramIn + ")";
  }
  var response = control.closest("tr[data-code]");
  if (control.matches(".examples-select-element")) {
    return "Examples" + (response ? " of response " + response.dataset.code : "");
  }
  if (control.closest(".opblock-section-request-body")) {
    return control.tagName === "SELECT" ? "Request body media type" : "Request body";
  }
  if (control.closest(".responses-inner, .responses-wrapper")) {
    return "Response media type";
  }
  return "";
}

new MutationObserver(function () {
  var root = document.getElementById("swagger-ui");
  root.querySelectorAll("select, input, textarea").forEach(function (control) {
    if (control.labels && control.labels.length) return;
    if (control.hasAttribute("aria-label") || control.type === "hidden") return;
    var name = techmapName(control);
    if (name) control.setAttribute("aria-label", name);
  });
  root.querySelectorAll(".microlight:not([tabindex]), .curl:not([tabindex])").forEach(function (code) {
    code.setAttribute("tabindex", "0");
  });
}).observe(document.getElementById("swagger-ui"), { childList: true, subtree: true });
