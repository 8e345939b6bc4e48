/* The demo store's own page script (no inline handlers: the page's CSP allows only our files). */
(function () {
  "use strict";
  const as = document.getElementById("as");
  if (as) as.addEventListener("change", () => as.form.submit());
})();
