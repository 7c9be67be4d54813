/* The convomock dashboard: a client of the mock itself.

   Control data (credentials, scenarios, clock, journal) comes from /__mock; tenants, conversations and timelines
   come from each API's own endpoints, called with the seeded credentials, through an adapter that the API's
   package ships (its dashboard.js, served in /__mock/ui/adapters.js). An adapter registers itself:

     convomock.registerAdapter("name", {
       title: "Shown on the tab",
       headers(credential),               // -> the headers that authenticate a call and name the tenant
       tenantName(credential),            // -> a label (optional)
       async tenants(ctx, credentials),   // -> [{id, name, credential, facts}] (optional: one per tenant by default)
       async conversations(ctx),          // -> [{id, title, subtitle, facts}]
       async timeline(ctx, id),           // -> {title, facts, items: [{at, who, text, note}]}
       async customerWrites(ctx, {conversation, from, text}),  // a customer writes in (optional): to a
                                          //    conversation, or from a phone/email (a new contact) -> {conversation}
       async agentSends(ctx, {conversation, text}),            // the business answers (optional)
     });

   ctx is {api(method, path, {query, body}), control(method, path, body), credential, tenant}; a fact is
   {key, label, value, tone} (tone "good" or "bad" colours it). Everything from the mock reaches the page as text
   (textContent, never HTML): a message body is whatever a customer typed.

   The dashboard's own API calls carry X-Mock-Client: dashboard; the journal hides them unless asked. They run
   only when the page is opened or something is done in it (never on a timer), so they do not fill the journal. */
"use strict";
(function () {
  const { control, keepTokenOnLinks, ControlFailure } = window.convomockControl;
  const adapters = new Map();
  window.convomock = { registerAdapter: (name, adapter) => adapters.set(name, adapter) };

  const POLL_MS = 1000;
  const JOURNAL_ROWS = 300;
  const state = {
    credentials: {}, api: null, tenants: [], tenant: null, conversation: null, scenarios: [], timelines: [],
    frozen: false, journalAfter: 0, journalSeen: 0, journalEntries: new Map(), loads: {},
  };

  // -- DOM, always as text ---------------------------------------------------------------------------------------

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value !== undefined && value !== null && value !== false) node.setAttribute(name, String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const $ = (id) => document.getElementById(id);

  function showError(id, error) {
    const box = $(id);
    box.hidden = !error;
    box.textContent = error ? String(error.message || error) : "";
  }

  function factList(facts) {
    return (facts || []).map((fact) => el("div", { class: `fact ${fact.tone || ""}` },
      el("dt", {}, fact.label), el("dd", { "data-fact": fact.key }, fact.value === null || fact.value === undefined
        ? "—" : fact.value)));
  }

  // -- calls -----------------------------------------------------------------------------------------------------

  class ApiFailure extends Error {
    constructor(method, path, status, body) {
      const shown = typeof body === "string" ? body : JSON.stringify(body);
      super(`${method} ${path} → ${status} ${shown ? shown.slice(0, 400) : ""}`);
      this.status = status;
      this.body = body;
    }
  }

  function apiCaller(apiName, credential) {
    const adapter = adapters.get(apiName);
    // The credential's base_url is absolute as the server saw the Host; the path keeps the call on this origin.
    const root = new URL(credential.base_url, window.location.href).pathname.replace(/\/$/, "");
    return async function api(method, path, options) {
      const { query, body } = options || {};
      const url = new URL(root + path, window.location.href);
      for (const [name, value] of Object.entries(query || {})) url.searchParams.set(name, String(value));
      const headers = { Accept: "application/json", "X-Mock-Client": "dashboard", ...adapter.headers(credential) };
      const init = { method, headers, cache: "no-store" };
      if (body !== undefined) {
        headers["Content-Type"] = "application/json";
        init.body = JSON.stringify(body);
      }
      const response = await fetch(url.pathname + url.search, init);
      const text = await response.text();
      let data = text;
      try { data = text ? JSON.parse(text) : null; } catch (ignored) { /* not JSON: keep the text */ }
      if (!response.ok) throw new ApiFailure(method, path, response.status, data);
      return data;
    };
  }

  function context(apiName, tenant) {
    return { api: apiCaller(apiName, tenant.credential), control, credential: tenant.credential, tenant };
  }

  // Only the newest load of a pane may draw it: an older answer arriving late is dropped.
  async function load(pane, work, draw) {
    const ticket = (state.loads[pane] || 0) + 1;
    state.loads[pane] = ticket;
    try {
      const result = await work();
      if (state.loads[pane] !== ticket) return;
      showError(`${pane}-error`, null);
      draw(result);
    } catch (error) {
      if (state.loads[pane] !== ticket) return;
      showError(`${pane}-error`, error);
      draw(null);
    }
  }

  // -- APIs and tenants ------------------------------------------------------------------------------------------

  function drawTabs() {
    const tabs = $("api-tabs");
    tabs.replaceChildren(...Object.keys(state.credentials).map((name) => {
      const adapter = adapters.get(name);
      return el("button", { type: "button", "data-api": name, class: name === state.api ? "active" : "",
        disabled: !adapter, title: adapter ? name : "this API's package ships no dashboard script" },
      adapter ? adapter.title : name);
    }));
  }

  async function defaultTenants(adapter, credentials) {
    const seen = new Map();
    for (const credential of credentials) {
      if (!seen.has(credential.tenant)) {
        seen.set(credential.tenant, { id: credential.tenant, credential, facts: [],
          name: adapter.tenantName ? adapter.tenantName(credential) : credential.tenant });
      }
    }
    return [...seen.values()];
  }

  async function loadTenants() {
    const adapter = adapters.get(state.api);
    const credentials = state.credentials[state.api] || [];
    const probe = { api: null, control, credential: null, tenant: null };
    await load("tenants", () => (adapter.tenants ? adapter.tenants(probe, credentials)
      : defaultTenants(adapter, credentials)), (tenants) => {
      state.tenants = (tenants || []).filter((tenant) => tenant.credential);
      if (!state.tenants.some((tenant) => tenant.id === (state.tenant && state.tenant.id))) {
        state.tenant = state.tenants[0] || null;
        state.conversation = null;
      } else {
        state.tenant = state.tenants.find((tenant) => tenant.id === state.tenant.id);
      }
      drawTenants();
    });
  }

  function drawTenants() {
    $("tenant-list").replaceChildren(...state.tenants.map((tenant) => el("li", {},
      el("button", { type: "button", class: tenant === state.tenant ? "card active" : "card", "data-tenant": tenant.id },
        el("strong", {}, tenant.name), el("code", {}, tenant.id), el("dl", { class: "facts" }, factList(tenant.facts))))));
  }

  // -- conversations and their timelines -------------------------------------------------------------------------

  async function loadConversations() {
    const adapter = adapters.get(state.api);
    const tenant = state.tenant;
    $("conversations-hint").textContent = tenant ? `${tenant.name} · as ${tenant.credential.token.slice(0, 14)}…` : "";
    if (!tenant) {
      $("conversation-list").replaceChildren();
      return;
    }
    await load("conversations", () => adapter.conversations(context(state.api, tenant)), (conversations) => {
      $("conversation-list").replaceChildren(...(conversations || []).map((conversation) => el("li", {},
        el("button", { type: "button", "data-conversation": conversation.id,
          class: String(conversation.id) === state.conversation ? "card active" : "card" },
        el("strong", {}, conversation.title), el("small", {}, conversation.subtitle || ""),
        el("dl", { class: "facts" }, factList(conversation.facts))))));
    });
  }

  async function loadTimeline() {
    const adapter = adapters.get(state.api);
    const tenant = state.tenant;
    const id = state.conversation;
    $("timeline-hint").hidden = Boolean(id);
    if (!tenant || !id) {
      $("timeline-title").textContent = "Timeline";
      $("timeline-facts").replaceChildren();
      $("timeline-items").replaceChildren();
      showError("timeline-error", null);
      return;
    }
    await load("timeline", () => adapter.timeline(context(state.api, tenant), id), (timeline) => {
      $("timeline-title").textContent = timeline ? timeline.title : "Timeline";
      $("timeline-facts").replaceChildren(...factList(timeline ? timeline.facts : []));
      $("timeline-items").replaceChildren(...(timeline ? timeline.items : []).map((item) => el("li",
        { class: `event ${item.who || ""}`, "data-message": item.id },
        el("div", { class: "meta" }, el("time", {}, item.at || ""), " ", el("span", { class: "who" }, item.who || ""),
          item.note ? el("span", { class: "note" }, item.note) : null),
        el("div", { class: "text" }, item.text === null || item.text === undefined ? "" : item.text))));
    });
  }

  async function refreshData() {
    if (!state.api) return;
    await loadTenants();
    await Promise.all([loadConversations(), loadTimeline()]);
    drawActions();
  }

  // -- scenarios and the clock -----------------------------------------------------------------------------------

  // A switch acts where the scope picker says: the whole mock, the API of the open tab, the tenant or the
  // conversation picked (POST or DELETE /__mock/scenarios/NAME with that scope). A box is ticked when the scenario
  // is on at exactly that scope; where else it is on is listed under it.
  function scopes() {
    const found = [{ kind: "mock", label: "the whole mock", scope: {} }];
    if (state.api) found.push({ kind: "api", label: `the ${state.api} API`, scope: { api: state.api } });
    if (state.api && state.tenant) {
      found.push({ kind: "tenant", label: `tenant ${state.tenant.name || state.tenant.id} (${state.api})`,
        scope: { api: state.api, tenant: String(state.tenant.id) } });
    }
    if (state.api && state.conversation) {
      found.push({ kind: "conversation", label: `conversation ${state.conversation} (${state.api})`,
        scope: { api: state.api, conversation: String(state.conversation) } });
    }
    return found;
  }

  function selectedScope() {
    const kind = $("scenario-scope").value;
    return (scopes().find((each) => each.kind === kind) || scopes()[0]).scope;
  }

  function drawScopes() {
    const picker = $("scenario-scope");
    const kind = picker.value || "mock";
    const offered = scopes();
    picker.replaceChildren(...offered.map((each) => el("option", { value: each.kind }, each.label)));
    picker.value = offered.some((each) => each.kind === kind) ? kind : "mock";
    drawScenarios();
  }

  const scopeText = (scope) => Object.entries(scope).map(([key, value]) => `${key} ${value}`).join(", ")
    || "the whole mock";
  const sameScope = (a, b) => JSON.stringify(a) === JSON.stringify(b);

  function drawScenarios() {
    const here = selectedScope();
    $("scenario-list").replaceChildren(...state.scenarios.map((scenario) => {
      const on = (scenario.activations || []).some((activation) => sameScope(activation.scope, here));
      const box = el("input", { type: "checkbox", "data-scenario": scenario.name, id: `scenario-${scenario.name}`,
        checked: on });
      const where = (scenario.activations || []).map((activation) => scopeText(activation.scope)
        + (Object.keys(activation.params).length ? ` with ${JSON.stringify(activation.params)}` : ""));
      return el("li", { class: scenario.active ? "on" : "" }, el("label", { for: `scenario-${scenario.name}` }, box,
        el("strong", {}, scenario.name), el("small", {}, scenario.description || ""),
        where.length ? el("small", { class: "on-at", "data-on-at": scenario.name }, `on for: ${where.join("; ")}`)
          : null));
    }));
  }

  async function loadScenarios() {
    await load("scenarios", () => control("GET", "scenarios"), (data) => {
      state.scenarios = data ? data.scenarios : [];
      drawScenarios();
    });
  }

  async function switchScenario(name, on) {
    const scope = selectedScope();
    try {
      let body = scope;
      if (on) {
        const raw = $("scenario-params").value.trim();
        body = { ...scope, params: raw ? JSON.parse(raw) : {} };
      }
      // Off at the scope picked alone: `{"scope": {}}` is the whole mock's switching-on, not every one of them.
      await control(on ? "POST" : "DELETE", `scenarios/${encodeURIComponent(name)}`,
        on ? body : { scope });
      showError("notice", null);
    } catch (error) {
      showError("notice", error instanceof SyntaxError ? new Error(`parameters: not JSON: ${error.message}`) : error);
    }
    await loadScenarios();
    await refreshData();
  }

  // -- a customer writes, an agent sends -------------------------------------------------------------------------

  function drawActions() {
    const adapter = state.api ? adapters.get(state.api) : null;
    $("newcustomer-form").hidden = !(adapter && adapter.customerWrites && state.tenant);
    $("customer-form").hidden = !(adapter && adapter.customerWrites && state.tenant && state.conversation);
    $("agent-form").hidden = !(adapter && adapter.agentSends && state.tenant && state.conversation);
  }

  async function act(input, work) {
    const text = $(input).value;
    if (!text.trim()) return;
    try {
      const result = await work(context(state.api, state.tenant), text);
      $(input).value = "";
      showError("notice", null);
      if (result && result.conversation) state.conversation = String(result.conversation);
    } catch (error) {
      showError("notice", error);
    }
    await refreshData();
    drawScopes();
  }

  // -- timelines -------------------------------------------------------------------------------------------------

  async function loadTimelines() {
    await load("plays", () => control("GET", "timelines"), (data) => {
      state.timelines = data ? data.timelines : [];
      $("play-pick").replaceChildren(...state.timelines.map((timeline) => el("option", { value: timeline.name },
        `${timeline.name} — ${timeline.steps} steps`)));
      const first = state.timelines[0];
      if (first && !$("play-yaml").value) $("play-yaml").value = first.yaml;
    });
  }

  async function playTimeline() {
    $("play-run").disabled = true;
    $("play-verdict").textContent = "playing…";
    $("play-verdict").className = "hint";
    // The shipped timeline as it is plays by its name; an edited one as its text.
    const picked = state.timelines.find((timeline) => timeline.name === $("play-pick").value);
    const text = $("play-yaml").value;
    const body = picked && picked.yaml === text ? { name: picked.name } : { yaml: text };
    await load("plays", () => control("POST", "timelines/play", body), (result) => {
      if (!result) {
        $("play-verdict").textContent = "";
        $("play-steps").replaceChildren();
        return;
      }
      const failed = result.steps.find((step) => step.failures.length);
      $("play-verdict").textContent = result.passed ? `${result.name}: passed, ${result.steps.length} steps`
        : `${result.name}: FAILED at step ${failed ? failed.index : "?"}`;
      $("play-verdict").className = result.passed ? "passed" : "failed";
      $("play-steps").replaceChildren(...result.steps.map((step) => {
        const verdict = step.skipped ? "skip" : step.passed ? "pass" : "fail";
        return el("tr", { "data-step": step.index, class: verdict },
          el("td", {}, step.index), el("td", { class: "verdict" }, verdict.toUpperCase()), el("td", {}, step.label),
          el("td", { class: "path" }, step.request ? `${step.request} → ${step.status}` : ""),
          el("td", { class: "why" }, step.failures.join("\n")));
      }));
    });
    $("play-run").disabled = false;
    await Promise.all([loadScenarios(), refreshData()]);
  }

  function drawClock(clock) {
    $("clock-now").textContent = clock.now;
    $("clock-now").setAttribute("datetime", clock.now);
    state.frozen = Boolean(clock.frozen);
    $("clock-state").textContent = clock.frozen ? "frozen" : "running";
    $("clock-state").className = clock.frozen ? "badge frozen" : "badge";
    $("clock-freeze").textContent = clock.frozen ? "unfreeze" : "freeze";
  }

  async function changeClock(change) {
    try {
      drawClock(await control("POST", "clock", change));
      showError("notice", null);
    } catch (error) {
      showError("notice", error);
    }
    await refreshData();
  }

  // -- the journal -----------------------------------------------------------------------------------------------

  function clientOf(entry) {
    const headers = entry.request_headers || {};
    return headers["x-mock-client"] || "";
  }

  function journalRow(entry) {
    const target = entry.query ? `${entry.path}?${entry.query}` : entry.path;
    const tone = entry.status >= 500 ? "bad" : entry.status >= 400 ? "warn" : "good";
    return el("tr", { "data-entry": entry.id, "data-client": clientOf(entry) || "other" },
      el("td", {}, entry.id), el("td", {}, entry.at), el("td", {}, entry.api || ""), el("td", {}, entry.method),
      el("td", { class: "path" }, target), el("td", { class: `status ${tone}` }, entry.status),
      el("td", {}, entry.operation_id || ""), el("td", {}, entry.duration_ms), el("td", {}, clientOf(entry)));
  }

  function clearJournal() {
    $("journal-rows").replaceChildren();
    $("journal-detail").hidden = true;
    state.journalEntries.clear();
    state.journalSeen = 0;
  }

  async function pollJournal() {
    const data = await control("GET", `requests?after=${state.journalAfter}&limit=${JOURNAL_ROWS}`);
    const rows = $("journal-rows");
    // Cleared elsewhere (a reset, a DELETE) since the last poll: it holds fewer entries than it has shown us.
    if (data.held < Math.min(state.journalSeen, data.bound)) clearJournal();
    for (const entry of data.items.slice().reverse()) {
      state.journalAfter = Math.max(state.journalAfter, entry.id);
      state.journalSeen += 1;
      state.journalEntries.set(entry.id, entry);
      rows.prepend(journalRow(entry));
    }
    while (rows.children.length > JOURNAL_ROWS) {
      state.journalEntries.delete(Number(rows.lastElementChild.getAttribute("data-entry")));
      rows.lastElementChild.remove();
    }
    $("journal-count").textContent = `${data.held} held (bounded to ${data.bound})`;
  }

  function showEntry(id) {
    const entry = state.journalEntries.get(id);
    const detail = $("journal-detail");
    if (!entry) return;
    detail.hidden = false;
    detail.textContent = JSON.stringify({
      request: { method: entry.method, path: entry.path, query: entry.query, headers: entry.request_headers,
        body: entry.request_body },
      response: { status: entry.status, body: entry.response_body }, scenarios: entry.scenarios,
    }, null, 2);
  }

  async function poll() {
    try {
      drawClock(await control("GET", "clock"));
      await pollJournal();
      showError("journal-error", null);
    } catch (error) {
      showError("journal-error", error);
    }
    window.setTimeout(poll, POLL_MS);
  }

  // -- wiring ----------------------------------------------------------------------------------------------------

  function selectApi(name) {
    state.api = name;
    state.tenant = null;
    state.conversation = null;
    drawTabs();
    drawScopes();
    refreshData();
  }

  function wire() {
    $("api-tabs").addEventListener("click", (event) => {
      const tab = event.target.closest("button[data-api]");
      if (tab && !tab.disabled) selectApi(tab.getAttribute("data-api"));
    });
    $("tenant-list").addEventListener("click", (event) => {
      const card = event.target.closest("button[data-tenant]");
      if (!card) return;
      state.tenant = state.tenants.find((tenant) => tenant.id === card.getAttribute("data-tenant"));
      state.conversation = null;
      drawTenants();
      drawScopes();
      drawActions();
      loadConversations();
      loadTimeline();
    });
    $("conversation-list").addEventListener("click", (event) => {
      const card = event.target.closest("button[data-conversation]");
      if (!card) return;
      state.conversation = card.getAttribute("data-conversation");
      for (const other of $("conversation-list").querySelectorAll("button.active")) other.classList.remove("active");
      card.classList.add("active");
      drawScopes();
      drawActions();
      loadTimeline();
    });
    $("scenario-list").addEventListener("change", (event) => {
      const box = event.target.closest("input[data-scenario]");
      if (box) switchScenario(box.getAttribute("data-scenario"), box.checked);
    });
    $("scenario-scope").addEventListener("change", () => drawScenarios());
    $("scenario-scope-form").addEventListener("submit", (event) => event.preventDefault());
    $("customer-form").addEventListener("submit", (event) => {
      event.preventDefault();
      act("customer-text", (ctx, text) => adapters.get(state.api).customerWrites(ctx,
        { conversation: state.conversation, text }));
    });
    $("agent-form").addEventListener("submit", (event) => {
      event.preventDefault();
      act("agent-text", (ctx, text) => adapters.get(state.api).agentSends(ctx,
        { conversation: state.conversation, text }));
    });
    $("newcustomer-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const from = $("newcustomer-from").value.trim();
      if (!from) {
        showError("notice", new Error("a new customer writes from a phone number or an email address"));
        return;
      }
      act("newcustomer-text", (ctx, text) => adapters.get(state.api).customerWrites(ctx, { from, text }));
    });
    $("play-pick").addEventListener("change", () => {
      const picked = state.timelines.find((timeline) => timeline.name === $("play-pick").value);
      if (picked) $("play-yaml").value = picked.yaml;
    });
    $("play-form").addEventListener("submit", (event) => {
      event.preventDefault();
      playTimeline();
    });
    for (const button of document.querySelectorAll("button[data-advance]")) {
      button.addEventListener("click", () => changeClock({ advance: button.getAttribute("data-advance") }));
    }
    $("advance-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const value = $("advance-input").value.trim();
      if (value) changeClock({ advance: value });
    });
    $("clock-freeze").addEventListener("click", () => changeClock({ freeze: !state.frozen }));
    $("reset").addEventListener("click", async () => {
      try {
        await control("POST", "reset");
        clearJournal();
        showError("notice", null);
      } catch (error) {
        showError("notice", error);
      }
      state.conversation = null;
      drawScopes();
      await Promise.all([loadScenarios(), refreshData()]);
    });
    $("refresh").addEventListener("click", () => refreshData());
    $("journal-own").addEventListener("change", (event) => {
      $("journal").classList.toggle("hide-own", !event.target.checked);
    });
    $("journal-rows").addEventListener("click", (event) => {
      const row = event.target.closest("tr[data-entry]");
      if (row) showEntry(Number(row.getAttribute("data-entry")));
    });
  }

  async function start() {
    wire();
    keepTokenOnLinks(document);
    try {
      state.credentials = await control("GET", "credentials");
    } catch (error) {
      showError("notice", error instanceof ControlFailure ? error : new Error(`cannot reach the mock: ${error}`));
      return;
    }
    const first = Object.keys(state.credentials).find((name) => adapters.has(name));
    state.api = first || null;
    drawTabs();
    drawScopes();
    await Promise.all([loadScenarios(), refreshData(), loadTimelines()]);
    document.body.setAttribute("data-ready", "true");
    poll();
  }

  document.addEventListener("DOMContentLoaded", start);
})();
