/* HighLevel Conversation AI in the convomock dashboard: a location is a tenant. The public API has agents but no
   conversations, so threads and each agent's state come from the mock's own view of them
   (GET /__mock/highlevel/conversations), and the agents from GET /conversation-ai/agents/search. It has no send
   endpoint either: a customer writes through POST /__mock/highlevel/inbound and a human at the business through
   POST /__mock/highlevel/outbound, both of which name the contact (a location has one thread per contact). */
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

  // One thread of the location as the control API lists it (its contact and channel with it).
  async thread(ctx, id) {
    const threads = await ctx.control("GET", `highlevel/conversations?location=${encodeURIComponent(ctx.tenant.id)}`);
    const thread = threads.conversations.find((candidate) => candidate.id === id);
    if (!thread) throw new Error(`conversation ${id} is gone (reset?)`);
    return thread;
  },

  async timeline(ctx, id) {
    const thread = await this.thread(ctx, id);
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

  // Into a thread: its contact writes on the thread's own channel (inbound defaults to SMS, which would move a
  // WebChat or WhatsApp thread). A new customer: an address writes on Email, anything else is a phone on SMS.
  async customerWrites(ctx, { conversation, from, text }) {
    let who;
    if (conversation) {
      const thread = await this.thread(ctx, conversation);
      who = { contact: thread.contact_id, channel: thread.channel };
    } else {
      who = from.includes("@") ? { email: from } : { phone: from };
    }
    const landed = await ctx.control("POST", "highlevel/inbound", { location: ctx.tenant.id, body: text, ...who });
    return { conversation: landed.conversation_id };
  },

  // A human at the business answers (source manual): the agent goes to sleep if it is set to sleep on one.
  async agentSends(ctx, { conversation, text }) {
    const thread = await this.thread(ctx, conversation);
    return ctx.control("POST", "highlevel/outbound",
      { location: ctx.tenant.id, contact: thread.contact_id, source: "manual", body: text });
  },
});
