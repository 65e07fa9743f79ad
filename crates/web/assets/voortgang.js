// Follows a running import on its page: updates the progress bar and reloads when done.
// Without JavaScript the page works too: the text offers a link to refresh.
(function () {
  var box = document.querySelector('.samenspel-progress[data-import]');
  if (!box) return;
  var bar = document.getElementById('voortgang');
  var text = document.getElementById('voortgang-tekst');
  function poll() {
    fetch(box.getAttribute('data-import'), { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (imp) {
        if (!imp) return;
        if (imp.status !== 'bezig') { window.location.reload(); return; }
        var pct = imp.voortgang || 0;
        bar.value = pct;
        bar.textContent = pct + '%';
        text.firstChild.nodeValue = pct + '% van het bestand gelezen. ';
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
