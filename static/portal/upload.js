// An upload that takes more than a couple of seconds shows its progress: the share of the file
// sent, then the check of every row with the seconds it has taken, until the page answers. The
// answer replaces the page as a normal submit would; without XMLHttpRequest the form submits.
(() => {
  const form = document.querySelector("form[data-upload-progress]");
  if (!form || !window.XMLHttpRequest || !window.FormData) return;
  const panel = document.getElementById(form.dataset.uploadProgress);
  if (!panel) return;
  const bar = panel.querySelector("progress");
  const text = panel.querySelector("[data-progress-text]");
  const delay = Number(panel.dataset.delay || 2000);
  form.addEventListener("submit", (event) => {
    if (event.defaultPrevented) return;
    event.preventDefault();
    const started = Date.now();
    let sent = 0;
    const update = () => {
      const seconds = Math.round((Date.now() - started) / 1000);
      if (sent < 1) {
        bar.value = Math.round(sent * 100);
        text.textContent = panel.dataset.sending.replace("{percent}", String(Math.round(sent * 100)));
      } else {
        bar.removeAttribute("value");
        text.textContent = panel.dataset.checking.replace("{seconds}", String(seconds));
      }
      if (Date.now() - started >= delay) {
        panel.hidden = false;
        panel.setAttribute("data-shown", "true");
      }
    };
    const timer = window.setInterval(update, 250);
    const request = new XMLHttpRequest();
    request.upload.addEventListener("progress", (progress) => {
      if (progress.lengthComputable && progress.total) sent = progress.loaded / progress.total;
      update();
    });
    request.upload.addEventListener("load", () => { sent = 1; update(); });
    request.addEventListener("load", () => {
      window.clearInterval(timer);
      document.open();
      document.write(request.responseText);
      document.close();
    });
    request.addEventListener("error", () => {
      window.clearInterval(timer);
      form.submit();
    });
    request.open("POST", form.getAttribute("action") || window.location.href);
    request.setRequestHeader("X-Requested-With", "upload-progress");
    request.send(new FormData(form));
  });
})();
