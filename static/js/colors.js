// <span data-color="#0a7" data-color-property="background-color">: a pipeline status's
// own colour. Set through the CSSOM, which the Content-Security-Policy allows, where a
// style="" attribute would be refused; a value that is not a colour is simply ignored.
(function () {
  function paint(root) {
    const nodes = [...root.querySelectorAll("[data-color]")];
    if (root.matches && root.matches("[data-color]")) nodes.push(root);
    nodes.forEach((node) => {
      node.style.setProperty(node.dataset.colorProperty || "color", node.dataset.color);
    });
  }
  paint(document);
  document.addEventListener("htmx:load", (event) => paint(event.target));
})();
