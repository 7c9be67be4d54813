/* One spec in Swagger UI, served by the mock: the spec (its servers = this mock) and the seeded credentials come
   from the control API; "Try it out" then calls the mock already authorised: each security scheme with the first
   credential whose `schemes` names it (a webhook's shared secret), else with the first credential (a user's). */
"use strict";
(function () {
  const { control } = window.convomockControl;
  const api = decodeURIComponent(window.location.pathname.split("/")[3] || "");

  function fail(error) {
    const box = document.getElementById("docs-error");
    box.hidden = false;
    box.textContent = String(error.message || error);
  }

  async function start() {
    let spec;
    let credentials;
    try {
      [spec, credentials] = await Promise.all([
        control("GET", `docs/${encodeURIComponent(api)}/openapi.json`),
        control("GET", "credentials").then((all) => all[api] || []),
      ]);
    } catch (error) {
      fail(error);
      return;
    }
    const credential = credentials[0];
    document.title = `${spec.info.title} · convomock`;
    document.getElementById("docs-title").textContent = spec.info.title;
    document.getElementById("docs-tenant").textContent = credential
      ? `Try it out runs against ${spec.servers[0].url} as tenant ${credential.tenant}` : "no seeded credential";
    const ui = window.SwaggerUIBundle({
      spec,
      dom_id: "#swagger-ui",
      deepLinking: true,
      validatorUrl: null, // the badge would ask a public validator: nothing leaves this machine
      tryItOutEnabled: true,
      displayRequestDuration: true,
      presets: [window.SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
      requestInterceptor: (request) => {
        request.headers["X-Mock-Client"] = "docs";
        return request;
      },
      onComplete: () => {
        if (!credential) return;
        for (const name of Object.keys((spec.components || {}).securitySchemes || {})) {
          const meant = credentials.find((c) => (c.schemes || []).includes(name)) || credential;
          ui.preauthorizeApiKey(name, meant.token);
        }
        document.body.setAttribute("data-ready", "true");
      },
    });
    window.convomockDocs = ui;
  }

  document.addEventListener("DOMContentLoaded", start);
})();
