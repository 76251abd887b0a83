// The language menu opens the same place on the page's twin: it carries the anchor along (#ex-1-2 exists in both
// languages), whether the page was opened at that anchor or the reader followed a link to it since.
(function () {
  "use strict";
  function carryAnchor() {
    document.querySelectorAll("a.md-select__link[hreflang]").forEach(function (link) {
      var target = link.getAttribute("href").split("#")[0];
      link.setAttribute("href", target + location.hash);
    });
  }
  carryAnchor();
  window.addEventListener("hashchange", carryAnchor);
})();
