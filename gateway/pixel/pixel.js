// Affonso pixel: a drop-in for Affonso's tracking snippet
//   <script async defer src="https://HOST/js/pixel.min.js" data-affonso="PROGRAM_ID"
//     data-cookie_duration="30"></script>
//
// What it sends: when the page's URL has a query string, one POST to HOST/v1/track with
// the program id, the query string (the server reads the affiliate's via=/ref=... and the
// utm and ad click parameters from it), document.referrer, whether the visitor has
// consented and whether they asked not to be tracked (Do Not Track, Global Privacy
// Control: the server then records nothing). No cookie of HOST is ever sent (credentials
// "omit"); the server sees the visitor's IP address and user agent like any request's.
//
// What it stores: one first-party cookie, affonso_referral=<click id>, for
// data-cookie_duration days (30 by default), on the site's registrable domain so that
// every subdomain sees it (host-only on an IP address or localhost). Nothing else: no
// local storage, no fingerprint. Last click wins: a visit through another affiliate's
// link replaces the cookie; the same click again (a reload: the server answers the same
// cid) leaves it as it was, expiry included.
//
// Consent (data-requires-consent on the script): the visit is still counted, but without
// the visitor's IP address and user agent, and no cookie is set until the page calls
// window.affonsoConsentGranted(), on the landing page itself (the click id waits in
// memory only): the click then gets them, and the cookie is set.
//
// window.Affonso:
//   signup(email) or signup({email, externalUserId, name}): turns the visitor's click
//     (the cookie) into a lead. externalUserId is kept only where the program's pixel
//     settings allow it (browser_external_user_id); else send it from the backend. A Promise of the server's answer ({success, data: {id,
//     status, created}}), or of null when there is no cookie or the call failed: it
//     never throws into the page.
//   referral(): the cookie's click id, or null.
//   ready: a Promise of this page's click id (null when none), settled once the visit
//     has been reported.
// Calls queued before the script loaded, as window.Affonso = window.Affonso || [];
// Affonso.push(["signup", "ada@example.com"]), run once it has.
//
// No build step: gateway/pixel's genrule serves it minified by dropping whole-line
// comments, blank lines and indentation. So: comments only on lines of their own, no
// block comments, no multi-line strings, every statement ended by a semicolon.
(() => {
  "use strict";
  const queued = window.Affonso;
  if (queued && typeof queued.signup === "function") {
    // Loaded twice: the first copy serves the page.
    return;
  }

  const COOKIE = "affonso_referral";
  const DEFAULT_DAYS = 30;
  const PIXEL_SRC = /\/js\/pixel(\.min)?\.js([?#]|$)/;

  const findScript = () => {
    const current = document.currentScript;
    if (current && current.hasAttribute("data-affonso")) {
      return current;
    }
    for (const candidate of document.querySelectorAll("script[data-affonso]")) {
      if (PIXEL_SRC.test(candidate.src)) {
        return candidate;
      }
    }
    return null;
  };

  const script = findScript();
  const programId = script ? (script.getAttribute("data-affonso") || "").trim() : "";
  const api = script ? new URL(script.src, location.href).origin : "";
  const days = Number(script && script.getAttribute("data-cookie_duration"));
  const cookieDays = days > 0 ? days : DEFAULT_DAYS;
  const needsConsent = Boolean(script && script.hasAttribute("data-requires-consent"));

  // The parsed JSON of a 2xx answer, else null (a warning on the console says why).
  const post = async (path, body) => {
    try {
      const response = await fetch(api + path, {
        method: "POST",
        mode: "cors",
        credentials: "omit",
        keepalive: true,
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      const answer = await response.json().catch(() => null);
      if (response.ok) {
        return answer;
      }
      const error = answer && answer.error;
      console.warn("affonso: " + path + " answered " + response.status, error ? error.message : "");
    } catch (error) {
      console.warn("affonso: " + path + " failed", error);
    }
    return null;
  };

  // Every value of the cookie: a host-only one and a domain one may both exist.
  const cookieValues = () => {
    const values = [];
    for (const pair of document.cookie.split(";")) {
      const eq = pair.indexOf("=");
      if (eq > 0 && pair.slice(0, eq).trim() === COOKIE) {
        values.push(decodeURIComponent(pair.slice(eq + 1).trim()));
      }
    }
    return values;
  };
  const referral = () => cookieValues()[0] || null;

  const isIpOrLocal = (host) =>
    host === "localhost" || host.endsWith(".localhost") || /^[0-9.]+$/.test(host) || host.includes(":");

  // On the registrable domain: the shortest suffix the browser accepts (it refuses a
  // public suffix such as co.uk), found by writing and reading back.
  const writeCookie = (cid) => {
    let cookie = COOKIE + "=" + encodeURIComponent(cid) + "; Max-Age=" + Math.round(cookieDays * 86400);
    cookie += "; Path=/; SameSite=Lax" + (location.protocol === "https:" ? "; Secure" : "");
    const host = location.hostname;
    if (!isIpOrLocal(host)) {
      const labels = host.split(".");
      for (let n = 2; n <= labels.length; n++) {
        document.cookie = cookie + "; Domain=" + labels.slice(-n).join(".");
        if (cookieValues().includes(cid)) {
          // An older host-only cookie would shadow the new one.
          document.cookie = COOKIE + "=; Max-Age=0; Path=/";
          return true;
        }
      }
    }
    document.cookie = cookie;
    return cookieValues().includes(cid);
  };

  // Within what the server takes (a longer field is refused, and the visit
  // lost): the query cut at a parameter boundary, the referrer at its limit.
  // Both are URL-encoded, so one character is one byte.
  const MAX_QUERY = 4096;
  const MAX_REFERRER = 2000;
  const pageQuery = () => {
    const query = location.search.replace(/^\?/, "");
    if (query.length <= MAX_QUERY) {
      return query;
    }
    const cut = query.lastIndexOf("&", MAX_QUERY);
    return cut > 0 ? query.slice(0, cut) : "";
  };
  const pageReferrer = () => document.referrer.slice(0, MAX_REFERRER);

  let pendingCid = null;
  const track = async () => {
    const landingQuery = pageQuery();
    if (!landingQuery || !programId) {
      return null;
    }
    const answer = await post("/v1/track", {
      programId,
      landingQuery,
      referrer: pageReferrer(),
      hasConsent: !needsConsent,
      noTrack: navigator.doNotTrack === "1" || navigator.globalPrivacyControl === true,
    });
    const cid = answer && answer.cid;
    if (!cid) {
      return null;
    }
    if (needsConsent) {
      pendingCid = cid;
    } else if (referral() !== cid) {
      writeCookie(cid);
    }
    return cid;
  };
  const ready = track().catch(() => null);

  // Attaches the visitor's IP address and user agent to this page's click (same cid)
  // and sets the cookie; a Promise of the click id or null.
  let upgrade = null;
  const consentGranted = () => {
    if (!needsConsent) {
      return ready;
    }
    if (!upgrade) {
      upgrade = ready.then(async () => {
        if (!pendingCid) {
          return null;
        }
        const answer = await post("/v1/track", {
          programId,
          landingQuery: pageQuery(),
          referrer: pageReferrer(),
          upgradeClickId: pendingCid,
          hasConsent: true,
        });
        const cid = answer && answer.cid;
        if (cid) {
          writeCookie(cid);
        }
        return cid || null;
      }).catch(() => null);
    }
    return upgrade;
  };

  const signup = async (who) => {
    try {
      await ready;
      const clickId = referral();
      if (!clickId || !programId) {
        return null;
      }
      const person = typeof who === "string" ? { email: who } : who || {};
      return await post("/v1/track/signup", {
        programId,
        clickId,
        email: person.email,
        externalUserId: person.externalUserId,
        name: person.name,
      });
    } catch (error) {
      return null;
    }
  };

  if (!script) {
    console.warn("affonso: no <script data-affonso=PROGRAM_ID src=.../js/pixel.min.js> found");
  }
  const affonso = { signup, referral, ready, consentGranted };
  // A queued call, or one pushed after the script loaded: run it now.
  const run = (call) => {
    const method = Array.isArray(call) ? affonso[call[0]] : null;
    return typeof method === "function" ? method.apply(null, call.slice(1)) : undefined;
  };
  affonso.push = (...calls) => {
    calls.forEach(run);
    return calls.length;
  };
  window.Affonso = affonso;
  window.affonsoConsentGranted = consentGranted;
  if (Array.isArray(queued)) {
    queued.forEach(run);
  }
})();
