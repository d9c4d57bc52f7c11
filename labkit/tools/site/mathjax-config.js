MathJax.Hub.Config({
  tex2jax: {inlineMath: [["$", "$"], ["\\(", "\\)"]], displayMath: [["$$", "$$"], ["\\[", "\\]"]],
            processEscapes: true, processEnvironments: true},
  TeX: {equationNumbers: {autoNumber: "AMS", useLabelIds: true}},
  MMLorHTML: {prefer: "HTML"},
  "HTML-CSS": {availableFonts: [], preferredFont: null, webFont: "STIX-Web", imageFont: null,
               linebreaks: {automatic: true}},
  displayAlign: "center", messageStyle: "none"
});
MathJax.Hub.Register.StartupHook("End", function () {  // the first typesetting is over (tests wait for this)
  document.documentElement.setAttribute("data-mathjax", "typeset");
});
