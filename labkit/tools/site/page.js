// Math inside a closed fold (a details element) is typeset while hidden, so it is measured again when it opens.
document.addEventListener("toggle", function (event) {
  if (event.target.open && window.MathJax && MathJax.Hub) {
    MathJax.Hub.Queue(["Rerender", MathJax.Hub, event.target]);
  }
}, true);
