// Site-wide enhancements: the product and version pickers navigate as soon as one is picked
// (the "Go" button does the same without JavaScript).

function setupPickers() {
  const form = document.querySelector("[data-pickers]");
  if (!form) return;
  const product = form.elements.product;
  const version = form.elements.version;
  const fill = (template) =>
    template
      .replace("__PRODUCT__", encodeURIComponent(product.value))
      .replace("__VERSION__", encodeURIComponent(version.value));
  product.addEventListener("change", () => {
    location.assign(fill(form.dataset.productUrl));
  });
  version.addEventListener("change", () => {
    location.assign(fill(version.value ? form.dataset.versionUrl : form.dataset.productUrl));
  });
}

document.documentElement.classList.add("js");
document.addEventListener("DOMContentLoaded", setupPickers);
