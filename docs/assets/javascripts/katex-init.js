// Render the math that pymdownx.arithmatex (generic mode) leaves as \( ... \) and \[ ... \], on the page and in the
// search results' previews (the search index holds the same TeX, which would otherwise show raw).
(function () {
  "use strict";
  var options = {
    delimiters: [
      { left: "$$", right: "$$", display: true },
      { left: "$", right: "$", display: false },
      { left: "\\(", right: "\\)", display: false },
      { left: "\\[", right: "\\]", display: true },
    ],
    throwOnError: false,
  };
  // Runs on every page load, including material's instant navigation (document$).
  document$.subscribe(function (doc) { renderMathInElement(doc.body, options); });

  // A search term found inside a formula comes back wrapped in <mark>, which cuts the TeX in pieces, even its
  // delimiters (`<mark>X\</mark>)`): the marks are taken out of every formula before it is rendered.
  var MARKS = "(?:</?mark[^>]*>)*";
  var MATH = new RegExp("\\\\" + MARKS + "\\([\\s\\S]*?\\\\" + MARKS + "\\)|" +
                        "\\\\" + MARKS + "\\[[\\s\\S]*?\\\\" + MARKS + "\\]", "g");
  function renderPreview(article) {
    article.setAttribute("data-math-rendered", "");
    var html = article.innerHTML;
    var unmarked = html.replace(MATH, function (tex) { return tex.replace(/<\/?mark[^>]*>/g, ""); });
    if (unmarked !== html) article.innerHTML = unmarked;
    renderMathInElement(article, options);
  }
  var results = document.querySelector(".md-search-result__list");
  if (results) {
    new MutationObserver(function () {
      results.querySelectorAll(".md-search-result__article:not([data-math-rendered])").forEach(renderPreview);
    }).observe(results, { childList: true, subtree: true });
  }
})();
