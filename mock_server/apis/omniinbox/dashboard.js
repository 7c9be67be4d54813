/* AchieveApex's omni-inbox in the convomock dashboard: an organization is a tenant (seen through its API key, sent
   as x-api-key); every find names it in organization_id. A conversation's messages live only in its channel's
   service (conversation-messages-<channel>); WhatsApp conversations carry their 24h window; tags live on contacts.
   A customer writes through the control API's inbound; the agent answers through the send service of the
   conversation's channel. */
"use strict";
convomock.registerAdapter("omni-inbox", {
  title: "Omni inbox (AchieveApex)",

  headers: (credential) => (credential.token_header
    ? { [credential.token_header]: credential.token }
    : { Authorization: `Bearer ${credential.token}` }),

  tenantName: (credential) => `${credential.organization} (as ${credential.user})`,

  async conversations(ctx) {
    const page = await ctx.api("GET", "/conversations", {
      query: { organization_id: ctx.credential.tenant, $limit: 50, "$sort[last_interaction_at]": -1 },
    });
    const ids = [...new Set(page.data.map((c) => c.contact_id).filter((id) => id !== null))];
    const query = { organization_id: ctx.credential.tenant, $limit: 50 };
    ids.forEach((id, index) => { query[`id[$in][${index}]`] = id; });
    const contacts = ids.length ? (await ctx.api("GET", "/contacts", { query })).data : [];
    const names = new Map(contacts.map((c) => [c.id, [c.first_name, c.last_name].filter(Boolean).join(" ") || c.phone || c.email]));
    return page.data.map((conversation) => ({
      id: String(conversation.id), // the page keeps the picked conversation as text and compares it with ===
      title: names.get(conversation.contact_id) || `Conversation ${conversation.id}`,
      subtitle: conversation.last_message_text || "",
      facts: [
        { key: "channel", label: "", value: conversation.channel },
        { key: "status", label: "", value: conversation.status },
        { key: "unread_count", label: "unread", value: conversation.unread_count || null },
        { key: "waiting_response", label: "", value: conversation.waiting_response ? "waiting" : null, tone: "bad" },
        { key: "whatsapp_window_expires_at", label: "window until", value: conversation.whatsapp_window_expires_at },
      ].filter((fact) => fact.value !== null && fact.value !== undefined),
    }));
  },

  async timeline(ctx, id) {
    const org = ctx.credential.tenant;
    const conversation = await ctx.api("GET", `/conversations/${encodeURIComponent(id)}`, { query: { organization_id: org } });
    const messages = await ctx.api("GET", `/conversation-messages-${conversation.channel}`,
      { query: { organization_id: org, conversation_id: id, $limit: 50, "$sort[created_at]": 1 } });
    return {
      title: `Conversation ${conversation.id} · ${conversation.channel}`,
      facts: [
        { key: "status", label: "status", value: conversation.status },
        { key: "whatsapp_window_expires_at", label: "24h window until", value: conversation.whatsapp_window_expires_at },
        { key: "assigned_user_id", label: "assigned user", value: conversation.assigned_user_id },
        { key: "assigned_ai_assistant_id", label: "AI assistant", value: conversation.assigned_ai_assistant_id },
        { key: "pipeline_stage_id", label: "pipeline stage", value: conversation.pipeline_stage_id },
        { key: "blocked", label: "blocked", value: conversation.blocked ? "yes" : "no", tone: conversation.blocked ? "bad" : "good" },
      ],
      items: messages.data.map((message) => ({
        id: message._id || message.id,
        at: message.created_at,
        who: message.message_type === "note" ? "note" : message.direction === "inbound" ? "customer"
          : message.sender_user_id === null ? "ai" : "user",
        text: message.message_text !== null ? message.message_text
          : message.template ? `[template ${message.template.name}]` : `[${message.message_type}] ${message.file_name || ""}`,
        note: [message.message_type, message.status].filter(Boolean).join(" · "),
      })),
    };
  },

  // A customer writes (POST /__mock/omni-inbox/inbound): into a conversation, or from a phone number (on WhatsApp)
  // or an email address (on webchat: WhatsApp and SMS need a phone) that may be no contact yet, which makes a new
  // contact and conversation as the inbox does.
  async customerWrites(ctx, { conversation, from, text }) {
    const where = conversation !== undefined ? { conversation_id: Number(conversation) }
      : from.includes("@") ? { channel: "webchat", email: from } : { channel: "whatsapp", phone: from };
    const landed = await ctx.control("POST", "omni-inbox/inbound", { organization_id: ctx.tenant.id, text, ...where });
    return { conversation: landed.conversation.id };
  },

  // The business answers on the conversation's channel: the transform-outgoing service of WhatsApp, Instagram,
  // Messenger and webchat (WhatsApp's closed 24h window refuses free text: 422), or the SMS and Playground services.
  async agentSends(ctx, { conversation, text }) {
    const org = ctx.credential.tenant;
    const id = Number(conversation);
    const { channel } = await ctx.api("GET", `/conversations/${encodeURIComponent(conversation)}`,
      { query: { organization_id: org } });
    if (channel === "sms") {
      return ctx.api("POST", "/conversation-messages-sms", { body: { conversation_id: id, message_text: text } });
    }
    if (channel === "playground") {
      return ctx.api("POST", "/conversation-messages-playground",
        { body: { conversation_id: id, organization_id: Number(org), message_text: text } });
    }
    return ctx.api("POST", `/conversation-messages-transform-outgoing-${channel}`,
      { body: { conversation_id: id, message_type: "text", message_text: text } });
  },
});
