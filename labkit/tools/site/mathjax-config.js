MathJax.Hub.Config({
  tex2jax: {inlineMath: [["$", "$"], ["\\(", "\\)"]], displayMath: [["$$", "$$"], ["\\[", "\\]"]],
            processEscapes: true, processEnvironments: true},
  TeX: {equationNumbers: {autoNumber: "AMS", useLabelIds: true}},
  MMLorHTML: {prefer: "HTML"},
  // No automatic line breaks: they cut formulas apart in table cells (MathJax measures a cell before the table
  // has its widths). A display formula wider than the screen scrolls inside its own box instead (page.css).
  "HTML-CSS": {availableFonts: [], preferredFont: null, webFont: "STIX-Web", imageFont: null,
               linebreaks: {automatic: false}},
  displayAlign: "center", messageStyle: "none"
});
