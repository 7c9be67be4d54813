/* HighLevel Conversation AI in the convomock dashboard: a location is a tenant. The public API has agents but no
   conversations, so threads and each agent's state come from the mock's own view of them
   (GET /__mock/highlevel/conversations), and the agents from GET /conversation-ai/agents/search. */
"use strict";
convomock.registerAdapter("highlevel", {
  title: "HighLevel",

  headers: (credential) => ({ Authorization: `Bearer ${credential.token}`, ...credential.headers }),

  async tenants(ctx, credentials) {
    const seen = new Map();
    for (const credential of credentials) {
      if (!seen.has(credential.tenant)) {
        seen.set(credential.tenant, { id: credential.tenant, name: credential.location, credential,
          facts: [{ key: "scopes", label: "scopes", value: credential.scopes.join(", ") }] });
      }
    }
    return [...seen.values()];
  },

  async conversations(ctx) {
    const [threads, agents] = await Promise.all([
      ctx.control("GET", `highlevel/conversations?location=${encodeURIComponent(ctx.tenant.id)}`),
      ctx.api("GET", "/conversation-ai/agents/search", { query: { limit: 100 } }),
    ]);
    const names = new Map(agents.agents.map((agent) => [agent.id, `${agent.name} (${agent.mode})`]));
    return threads.conversations.map((thread) => ({
      id: thread.id,
      title: thread.contact.name || thread.contact_id,
      subtitle: thread.messages.length ? thread.messages[thread.messages.length - 1].body : "",
      facts: [
        { key: "channel", label: "", value: thread.channel },
        { key: "agent", label: "agent", value: names.get(thread.agent_id) || thread.agent_id },
        { key: "ai_replies", label: "AI replies", value: thread.ai_replies },
      ],
    }));
  },

  async timeline(ctx, id) {
    const threads = await ctx.control("GET", `highlevel/conversations?location=${encodeURIComponent(ctx.tenant.id)}`);
    const thread = threads.conversations.find((candidate) => candidate.id === id);
    if (!thread) throw new Error(`conversation ${id} is gone (reset?)`);
    return {
      title: `${thread.contact.name || thread.contact_id} · ${thread.channel}`,
      facts: [
        { key: "agent_id", label: "agent", value: thread.agent_id },
        { key: "asleep", label: "agent asleep", value: thread.asleep ? `until ${thread.sleeping_until}` : "no" },
        { key: "handed_over", label: "handed over", value: thread.handed_over ? "yes" : "no" },
        { key: "bot_stopped", label: "bot stopped", value: thread.bot_stopped ? "yes" : "no" },
        { key: "workflows_triggered", label: "workflows", value: thread.workflows_triggered.join(", ") || null },
      ],
      items: thread.messages.map((message) => ({
        id: message.id,
        at: message.created_at,
        who: message.draft ? "draft" : message.direction === "inbound" ? "customer" : message.source === "ai" ? "ai" : "user",
        text: message.body,
        note: [message.source, message.channel, message.draft ? "draft" : null].filter(Boolean).join(" · "),
      })),
    };
  },
});
