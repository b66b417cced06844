// Behaviour every page shares, kept out of the HTML so the Content-Security-Policy needs no
// inline script: the language menu submits on change; forms with data-confirm ask first.
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-submit-on-change]");
  if (select) select.form.submit();
});
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
});
