// Math inside a closed fold (a details element) is typeset while hidden, so it is measured again when it opens.
document.addEventListener("toggle", function (event) {
  if (event.target.open && window.MathJax && MathJax.Hub) {
    MathJax.Hub.Queue(["Rerender", MathJax.Hub, event.target], focusWideBlocks);
  }
}, true);

// Code, a table or a display formula wider than the screen scrolls sideways in its own box (page.css). Such a box
// takes the keyboard focus, so that it can be scrolled without a mouse; a box that fits takes none.
function focusWideBlocks() {
  document.querySelectorAll(".jp-InputArea-editor, .labkit-scroll, .MathJax_Display").forEach(function (box) {
    if (box.scrollWidth > box.clientWidth) {
      box.setAttribute("tabindex", "0");
    } else {
      box.removeAttribute("tabindex");
    }
  });
}
window.addEventListener("resize", focusWideBlocks);

MathJax.Hub.Register.StartupHook("End", function () {
  focusWideBlocks();
  document.documentElement.setAttribute("data-mathjax", "typeset");  // the first typesetting is over (tests wait)
});
