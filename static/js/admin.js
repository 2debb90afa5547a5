// Techmap's fix to Django admin for WCAG 2.2 AA (templates/admin/base_site.html).
// The many-to-many pickers (filter_horizontal, SelectFilter2.js) put an aria-label on a
// plain <span> icon, which ARIA does not allow (axe aria-prohibited-attr): give the icons
// the role their label describes. Deferred, so SelectFilter2's own "load" handler, which
// draws the pickers, was added first and has run by the time this one does.
window.addEventListener("load", function () {
  document.querySelectorAll("span.help-tooltip[aria-label]:not([role])").forEach(function (icon) {
    icon.setAttribute("role", "img");
  });
});
