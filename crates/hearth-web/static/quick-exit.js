// "Leave this page": the button, or the Shift key pressed three times within two seconds,
// replaces this page with a neutral site without adding it to the back button's history.
// Without JavaScript the button is an ordinary link to the same site.
(function () {
  var link = document.querySelector('[data-quick-exit]');
  if (!link) return;
  var url = link.getAttribute('href');
  function leave(event) {
    if (event) event.preventDefault();
    document.title = 'Weather';
    document.body.innerHTML = '';
    window.location.replace(url);
  }
  link.addEventListener('click', leave);
  var presses = [];
  document.addEventListener('keyup', function (event) {
    if (event.key !== 'Shift') { presses = []; return; }
    var now = Date.now();
    presses = presses.filter(function (t) { return now - t < 2000; });
    presses.push(now);
    if (presses.length >= 3) leave();
  });
})();
