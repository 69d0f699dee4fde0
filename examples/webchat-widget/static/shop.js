// The page decides when the chat starts (section 8.7: "show widget on page
// load" off): each product's button picks the skill, and the agent sees
// the page and the cart (section 8.3).
(function () {
  "use strict";
  function ready(fn) {
    if (window._ximachat && window._ximachat.api) {
      fn(window._ximachat.api);
    } else {
      window.addEventListener("load", function () { fn(window._ximachat.api); });
    }
  }
  ready(function (api) {
    api.setCustomParameters([
      { Name: "Page Title", Value: document.title },
      { Name: "Cart", Value: "cart-4711 (1 × Blue kettle)" }
    ]);
    document.querySelectorAll("button.ask").forEach(function (b) {
      b.addEventListener("click", function () {
        api.manuallyStartChat(b.getAttribute("data-skill"));
      });
    });
    var agents = document.getElementById("agents");
    api.subscribeToQueueStatus(function (qs) {
      var ready = Object.keys(qs).filter(function (skill) { return qs[skill].thereAreAgentsReady; });
      agents.textContent = ready.length ? "Agents ready: " + ready.join(", ") : "All agents are busy";
    });
  });
})();
