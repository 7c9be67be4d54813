/* 1TO1 AI in the convomock dashboard: businesses with their AI token balance (GET /__mock/1to1ai/overview, which
   no public endpoint tells), conversations and messages through the public API, the 24h WhatsApp window through
   POST /conversation/status (worked out from the mock clock). */
"use strict";
convomock.registerAdapter("1to1ai", {
  title: "1TO1 AI",

  headers: (credential) => ({ Authorization: `Bearer ${credential.token}` }),

  async tenants(ctx, credentials) {
    const overview = await ctx.control("GET", "1to1ai/overview");
    return overview.businesses.map((business) => ({
      id: business.slug,
      name: business.name,
      credential: credentials.find((credential) => credential.tenant === business.slug),
      facts: [
        { key: "ai_token_balance", label: "AI tokens", value: business.ai_token_balance.toLocaleString("en"),
          tone: business.ai_token_balance > 0 ? "good" : "bad" },
        { key: "conversations", label: "conversations", value: business.conversations },
        { key: "open_windows", label: "open 24h windows", value: business.open_windows },
      ],
    }));
  },

  async conversations(ctx) {
    const page = await ctx.api("GET", "/conversations", { query: { limit: 50 } });
    return page.items.map((conversation) => ({
      id: conversation.uuid,
      title: conversation.contact.name || conversation.contact.profile_name || conversation.contact.phone,
      subtitle: conversation.last_message_preview ? conversation.last_message_preview.body : "",
      facts: [
        { key: "response_status", label: "", value: conversation.response_status },
        { key: "unread_count", label: "unread", value: conversation.unread_count },
        { key: "window_expires_at", label: "window until", value: conversation.messaging_window_expires_at },
        { key: "tags", label: "tags", value: conversation.tags.map((tag) => tag.name).join(", ") || null },
      ],
    }));
  },

  async timeline(ctx, uuid) {
    const [status, messages] = await Promise.all([
      ctx.api("POST", "/conversation/status", { body: { conversation: { uuid } } }),
      ctx.api("GET", `/conversations/${encodeURIComponent(uuid)}/messages`, { query: { limit: 100 } }),
    ]);
    const window = status.window;
    const open = window.status === "open";
    return {
      title: uuid,
      facts: [
        { key: "window", label: "24h window", tone: open ? "good" : "bad",
          value: open ? `open · ${window.hours_remaining} h left (until ${window.expires_at})`
            : `closed${window.expires_at ? ` since ${window.expires_at}` : ""}` },
        { key: "inbox_status", label: "inbox", value: status.inbox_status },
        { key: "response_status", label: "response", value: status.response_status },
        { key: "ai_employee", label: "AI employee", value: status.ai_employee ? status.ai_employee.name : null },
        { key: "mailbox", label: "mailbox", value: status.mailbox.name },
      ],
      items: messages.items.slice().reverse().map((message) => ({
        id: message.uuid,
        at: message.created_at,
        who: message.event_type === "context_note" ? "note" : message.event_type === "ai_draft" ? "draft"
          : message.is_from_customer ? "customer" : "business",
        // The documented message has no content type: a message without a body is media sent without a caption.
        text: message.body !== null ? message.body : "[media]",
        note: [message.author ? message.author.name : null, message.event_type]
          .filter(Boolean).join(" · "),
      })),
    };
  },

  // A customer writes on WhatsApp (POST /__mock/1to1ai/inbound): into a conversation, or from a phone number that
  // may be no contact yet (a new contact and conversation, as 1TO1 AI makes them).
  async customerWrites(ctx, { conversation, from, text }) {
    const where = conversation ? { conversation } : { phone: from };
    const landed = await ctx.control("POST", "1to1ai/inbound", { slug: ctx.tenant.id, body: text, ...where });
    return { conversation: landed.conversation_uuid };
  },

  // The business answers with free text (POST /conversation/messages/text): a closed 24h window refuses it (422).
  async agentSends(ctx, { conversation, text }) {
    return ctx.api("POST", "/conversation/messages/text", { body: { conversation: { uuid: conversation }, body: text } });
  },
});
