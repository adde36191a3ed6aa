// Counts the characters, encoding and parts of the SMS being typed, as
// the gateway will send it (it asks the gateway: ../count?text=...).
(function () {
  "use strict";
  var text = document.getElementById("text");
  var out = document.getElementById("count");
  if (!text || !out) {
    return;
  }
  var timer = null;
  var asked = 0;
  function show(c) {
    if (c.error) {
      out.textContent = c.chars + " characters: " + c.error;
    } else if (c.parts) {
      out.textContent = c.chars + " characters · " + c.encoding + " · " + c.parts + (c.parts === 1 ? " part" : " parts") +
        (c.cut ? " · too long: cut to fit" : "");
    } else {
      out.textContent = "";
    }
  }
  function ask() {
    var n = ++asked;
    fetch("count?text=" + encodeURIComponent(text.value), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (c) { if (c && n === asked) { show(c); } })
      .catch(function () { /* offline: the count waits for the next keystroke */ });
  }
  text.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 150);
  });
  if (text.value) {
    ask();
  }
})();
