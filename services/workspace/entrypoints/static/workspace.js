// The workspace's one script of its own (htmx does the rest, see layout.html). A page with problems in a form
// gets its error summary focused, as NHS.UK frontend's own script does on a page load: a browser honours
// `autofocus` only when a document loads, not when htmx swaps a new page body in without a reload.
document.addEventListener("htmx:afterSwap", function () {
  var summary = document.querySelector(".nhsuk-error-summary");
  if (summary) {
    summary.focus();
  }
});
