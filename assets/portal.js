/*
 * The page shell's behaviour, on every page (customer_portal/customer_portal.py).
 *
 * - window.portalAnnounce(text, focusSelector): says `text` in the polite live
 *   region #anuncio and moves focus to `focusSelector` (else #contenido).
 * - Orders from the server (customer_portal/state/announce.py) arrive as the
 *   value of the hidden <output id="anuncio_orden">: announce, set the title,
 *   or "this page has loaded" (then, after a client-side navigation or a form
 *   the server answered, the new page's heading is announced and focused).
 * - The skip link moves focus to the main content without touching the URL.
 * - Forms posted to the server (post_form) show their button busy at once, and
 *   wait for the connection to come back when it is down.
 * - A list's controls (a sort, a page, Buscar) are busy from the press until
 *   the server answers.
 * - Required fields complain in the page's language, not in the browser's:
 *   the words come from the frame's hidden #textos-portal (its data-*
 *   attributes, translated like every page text), Spanish if it is missing.
 * - window.portalLang: this browser's language (the «Idioma» cookie, else
 *   its first language), for the error page that replaces a broken one (the
 *   pages themselves wait for the server's word: they arrive prerendered in
 *   Spanish); the «Idioma» form sends the page it was on.
 *
 * No eval, no inline script: the Content-Security-Policy allows neither.
 */
(function () {
  "use strict";

  var ORDER_ID = "anuncio_orden";
  var TEXTS_ID = "textos-portal";

  // Read by the error page's texts (components/text.py browser_language).
  window.portalLang = (function () {
    var chosen = document.cookie.match(/(?:^|;\s*)portal_idioma=([a-z]{2,3})(?:;|$)/);
    if (chosen) {
      return chosen[1];
    }
    var preferred = (navigator.languages && navigator.languages[0]) || navigator.language || "";
    return String(preferred).split("-")[0].toLowerCase();
  })();

  // A text of the page's language for what this script says itself.
  function said(key, spanish) {
    var texts = document.getElementById(TEXTS_ID);
    var value = texts && texts.getAttribute("data-" + key);
    return value || spanish;
  }

  // «Idioma» comes back to the page it was sent from (with its query: ?cliente=...).
  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (form.matches && form.matches("form.idioma") && form.elements.next) {
        form.elements.next.value = window.location.pathname + window.location.search;
      }
    },
    true,
  );
  var SUBMITTED_KEY = "portal:enviado";
  var OFFLINE_ID = "sin-conexion";

  // ---- Announcements and focus -------------------------------------------

  var announceTimer = null;

  function makeFocusable(element) {
    if (element.tabIndex < 0 && !element.hasAttribute("tabindex")) {
      element.setAttribute("tabindex", "-1");
    }
  }

  function focusTarget(selector) {
    var target = null;
    if (selector) {
      try {
        target = document.querySelector(selector);
      } catch (error) {
        target = null;
      }
    }
    return target || document.getElementById("contenido");
  }

  window.portalAnnounce = function (text, focusSelector) {
    var target = focusTarget(focusSelector);
    if (target) {
      makeFocusable(target);
      target.focus({ preventScroll: false });
    }
    var region = document.getElementById("anuncio");
    if (!region) {
      return;
    }
    // Clear, then set a moment later: the same text is announced again.
    region.textContent = "";
    window.clearTimeout(announceTimer);
    announceTimer = window.setTimeout(function () {
      var current = document.getElementById("anuncio");
      if (current) {
        current.textContent = text || "";
      }
    }, 120);
  };

  // The page's main heading, or failing that its title without the portal's name.
  function pageHeading() {
    var heading = document.querySelector("#contenido h1");
    var text = heading ? heading.textContent.trim() : "";
    if (!text) {
      text = document.title.split(" · ")[0];
    }
    return { selector: heading ? "#contenido h1" : null, text: text };
  }

  function pageMessages() {
    // The messages of components/forms.py's alert(), not every live region.
    var found = document.querySelectorAll("#contenido [data-aviso]");
    var texts = [];
    for (var i = 0; i < found.length; i++) {
      var text = found[i].textContent.trim().replace(/[.\s]+$/, "");
      if (text) {
        texts.push(text);
      }
    }
    return texts;
  }

  function normalPath(path) {
    return path.length > 1 ? path.replace(/\/+$/, "") : path;
  }

  // The path whose heading was last announced, or that was loaded in full.
  var settledPath = normalPath(window.location.pathname);
  // A form was posted and the server answered with this page (Entrar, Salir...).
  var afterPost = false;
  try {
    afterPost = window.sessionStorage.getItem(SUBMITTED_KEY) !== null;
    window.sessionStorage.removeItem(SUBMITTED_KEY);
  } catch (error) {
    afterPost = false;
  }

  function pageShown(route) {
    var path = normalPath(window.location.pathname);
    if (normalPath(route) !== path) {
      return; // A redirect has already taken us elsewhere: that page will say so.
    }
    if (path === settledPath && !afterPost) {
      return; // A full page load: the screen reader starts at the top by itself.
    }
    settledPath = path;
    var answered = afterPost;
    afterPost = false;
    // Let React paint the data the page just loaded.
    window.requestAnimationFrame(function () {
      window.setTimeout(function () {
        var heading = pageHeading();
        var text = heading.text;
        if (answered) {
          // The server's answer to the form ("Ha salido del portal."): a message
          // already on the page when it loads is not announced by itself.
          text = [text].concat(pageMessages()).join(". ");
        }
        window.portalAnnounce(text, heading.selector);
      }, 0);
    });
  }

  // Client-side navigations change the path without a page load.
  window.addEventListener("popstate", function () {
    if (normalPath(window.location.pathname) !== settledPath) {
      afterPost = false;
    }
  });

  var lastOrder = "";

  function readOrder(output) {
    var raw = output.textContent || output.value || "";
    if (!raw || raw === lastOrder) {
      return;
    }
    lastOrder = raw;
    var order;
    try {
      order = JSON.parse(raw);
    } catch (error) {
      return;
    }
    if (typeof order.idioma === "string") {
      document.documentElement.lang = order.idioma;
    }
    if (typeof order.titulo === "string") {
      document.title = order.titulo;
    }
    if (typeof order.pagina === "string") {
      pageShown(order.pagina);
    }
    if (typeof order.texto === "string") {
      var text = order.texto;
      var focus = typeof order.foco === "string" ? order.foco : null;
      // After React has painted what came with the order.
      window.requestAnimationFrame(function () {
        window.setTimeout(function () {
          window.portalAnnounce(text, focus);
        }, 0);
      });
    }
  }

  // Reflex's own banner after a new deployment is in English: say it in the page's language.
  function translateNewVersionBanner() {
    var banner = document.getElementById("reflex-new-version-banner");
    if (!banner || banner.getAttribute("data-es") === "true") {
      return;
    }
    banner.setAttribute("data-es", "true");
    banner.setAttribute("lang", document.documentElement.lang || "es");
    for (var i = 0; i < banner.childNodes.length; i++) {
      var node = banner.childNodes[i];
      if (node.nodeType === 3) {
        node.textContent = said("version-nueva", "Hay una versión nueva del portal.");
      } else if (node.tagName === "BUTTON") {
        node.textContent = said("recargar", "Recargar");
      }
    }
  }

  // Setting an <output>'s value replaces its text node: a childList change. Not
  // characterData too: that would hand this callback every text React renders.
  function watchOrders() {
    new MutationObserver(function (mutations) {
      for (var i = 0; i < mutations.length; i++) {
        var node = mutations[i].target;
        var output = node.nodeType === 1 ? node : node.parentNode;
        if (output && output.id === ORDER_ID) {
          readOrder(output);
        } else if (node === document.body) {
          translateNewVersionBanner();
        }
      }
    }).observe(document.body, { subtree: true, childList: true });
  }

  // ---- Skip link ------------------------------------------------------------

  // In the capture phase, before the router's link handler would change the URL.
  document.addEventListener(
    "click",
    function (event) {
      var link = event.target.closest && event.target.closest("a.skip-link");
      if (!link) {
        return;
      }
      var main = document.getElementById("contenido");
      if (main) {
        event.preventDefault();
        makeFocusable(main);
        main.focus();
      }
    },
    true,
  );

  // ---- Busy buttons of posted forms ----------------------------------------

  function submitterOf(event) {
    var form = event.target;
    return event.submitter || form.querySelector("[type=submit]");
  }

  function setBusy(button, busy) {
    if (!button) {
      return;
    }
    if (busy) {
      button.setAttribute("aria-busy", "true");
      button.setAttribute("aria-disabled", "true");
      button.setAttribute("data-busy", "true");
    } else {
      button.removeAttribute("aria-busy");
      button.removeAttribute("aria-disabled");
      button.removeAttribute("data-busy");
    }
  }

  function offline() {
    return document.getElementById(OFFLINE_ID) !== null;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-portal-post]")) {
      return;
    }
    var button = submitterOf(event);
    if (form.getAttribute("data-sending") === "true") {
      event.preventDefault(); // One click is enough; the first is on its way.
      return;
    }
    form.setAttribute("data-sending", "true");
    setBusy(button, true);
    if (offline()) {
      // The portal cannot be reached: keep the button busy and send once it can.
      event.preventDefault();
      var wait = window.setInterval(function () {
        if (!offline()) {
          window.clearInterval(wait);
          form.removeAttribute("data-sending");
          setBusy(button, false);
          if (form.requestSubmit) {
            form.requestSubmit(button || undefined);
          } else {
            form.submit();
          }
        }
      }, 300);
      return;
    }
    try {
      window.sessionStorage.setItem(SUBMITTED_KEY, "1");
    } catch (error) {
      // Private mode without storage: no announcement after the answer.
    }
  });

  // Back to a page kept in the browser's cache: its buttons are not busy any more.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) {
      return;
    }
    var forms = document.querySelectorAll("form[data-sending]");
    for (var i = 0; i < forms.length; i++) {
      forms[i].removeAttribute("data-sending");
      var buttons = forms[i].querySelectorAll("[data-busy]");
      for (var j = 0; j < buttons.length; j++) {
        setBusy(buttons[j], false);
      }
    }
  });

  // ---- Busy list controls --------------------------------------------------

  // A sort, a page, Buscar (components/forms.py list_control): busy from the
  // press until the server answers (components/lists.py AfterListChange calls
  // portalListAnswered), not only once the answer is on its way back.
  var LIST_CONTROL = "data-espera-lista";

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[" + LIST_CONTROL + "]");
    // A form's submit button is busy once the form is sent: the browser may refuse it first.
    if (!button || button.disabled || (button.form && button.type === "submit")) {
      return;
    }
    setBusy(button, true);
  });

  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.hasAttribute(LIST_CONTROL)) {
      setBusy(button, true);
    }
  });

  window.portalListAnswered = function () {
    var busy = document.querySelectorAll("[" + LIST_CONTROL + "][data-busy]");
    for (var i = 0; i < busy.length; i++) {
      setBusy(busy[i], false);
    }
  };

  // ---- Validation messages in the page's language --------------------------------------

  function validationMessage(field) {
    var validity = field.validity;
    if (validity.valueMissing) {
      return field.type === "checkbox" ? said("casilla", "Marque esta casilla.") : said("campo-vacio", "Rellene este campo.");
    }
    if (validity.typeMismatch && field.type === "email") {
      return said("correo", "Escriba una dirección de correo válida.");
    }
    if (validity.typeMismatch || validity.patternMismatch || validity.badInput) {
      return said("formato", "Revise el formato de este campo.");
    }
    if (validity.tooLong) {
      return said("largo", "El texto es demasiado largo.");
    }
    if (validity.tooShort) {
      return said("corto", "El texto es demasiado corto.");
    }
    if (validity.rangeUnderflow || validity.rangeOverflow || validity.stepMismatch) {
      return said("valor", "Revise el valor de este campo.");
    }
    return "";
  }

  // "invalid" fires before the browser shows its bubble: give it our words.
  document.addEventListener(
    "invalid",
    function (event) {
      var field = event.target;
      if (!field.setCustomValidity) {
        return;
      }
      field.setCustomValidity("");
      if (!field.validity.valid) {
        field.setCustomValidity(validationMessage(field));
      }
      // Marked as ours: an aria-invalid the page sets itself is left alone.
      field.setAttribute("aria-invalid", "true");
      field.setAttribute("data-invalido", "true");
    },
    true,
  );

  // While typing, forget the message, so the browser checks the new text itself.
  document.addEventListener(
    "input",
    function (event) {
      var field = event.target;
      if (field.setCustomValidity && field.hasAttribute("data-invalido")) {
        field.setCustomValidity("");
        if (field.validity.valid) {
          field.removeAttribute("aria-invalid");
          field.removeAttribute("data-invalido");
        }
      }
    },
    true,
  );

  if (document.body) {
    watchOrders();
  } else {
    document.addEventListener("DOMContentLoaded", watchOrders);
  }
})();
