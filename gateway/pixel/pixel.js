// Placeholder for the Affonso pixel (the real script replaces this file).
(() => {
  "use strict";
  window.Affonso = window.Affonso || [];
})();
