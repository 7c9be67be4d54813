/* convomock pages: the control token and calls to the control API, shared by the dashboard and the API docs.
   Opened as ?control_token=T (convomock serve --control-token T), a page sends X-Control-Token: T on every control
   call and keeps the token on its links to the other pages. */
"use strict";
(function () {
  const token = new URLSearchParams(window.location.search).get("control_token");

  class ControlFailure extends Error {
    constructor(status, message) {
      super(`${status} ${message}`);
      this.status = status;
    }
  }

  async function control(method, path, body) {
    // X-Mock-Client marks a call the mock's own pages make: a control write without it (or JSON) is refused.
    const headers = { Accept: "application/json", "X-Mock-Client": "convomock-pages" };
    if (token) headers["X-Control-Token"] = token;
    const init = { method, headers, cache: "no-store" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(`/__mock/${path}`, init);
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const reason = data && data.error ? data.error : response.statusText;
      throw new ControlFailure(response.status, response.status === 401
        ? `${reason} (open this page as ?control_token=<token>)` : reason);
    }
    return data;
  }

  function keepTokenOnLinks(root) {
    if (!token) return;
    for (const link of root.querySelectorAll('a[href^="/__mock/"]')) {
      const url = new URL(link.getAttribute("href"), window.location.href);
      url.searchParams.set("control_token", token);
      link.setAttribute("href", url.pathname + url.search);
    }
  }

  window.convomockControl = { control, keepTokenOnLinks, ControlFailure, hasToken: Boolean(token) };
  document.addEventListener("DOMContentLoaded", () => keepTokenOnLinks(document));
})();
