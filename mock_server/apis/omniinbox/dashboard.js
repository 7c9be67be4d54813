/* The Feathers-style omnichannel inbox in the convomock dashboard: a workspace is a tenant (seen as its first
   seeded user); a conversation's messages live only in its channel's service (conversation-messages-<channel>),
   WhatsApp conversations carry their 24h window. */
"use strict";
convomock.registerAdapter("omni-inbox", {
  title: "Omni inbox",

  headers: (credential) => ({ Authorization: `Bearer ${credential.token}` }),

  tenantName: (credential) => `${credential.workspace} (as ${credential.user})`,

  async conversations(ctx) {
    const page = await ctx.api("GET", "/conversations", { query: { $limit: 50, "$sort[lastMessageAt]": -1 } });
    return page.data.map((conversation) => ({
      id: conversation._id,
      title: conversation.contact.name || conversation.contact.phone || conversation._id,
      subtitle: conversation.lastMessagePreview || "",
      facts: [
        { key: "channel", label: "", value: conversation.channel },
        { key: "status", label: "", value: conversation.status },
        { key: "pipelineStage", label: "stage", value: conversation.pipelineStage },
        { key: "windowExpiresAt", label: "window until", value: conversation.windowExpiresAt },
      ].filter((fact) => fact.value !== null && fact.value !== undefined),
    }));
  },

  async timeline(ctx, id) {
    const conversation = await ctx.api("GET", `/conversations/${encodeURIComponent(id)}`);
    const messages = await ctx.api("GET", `/conversation-messages-${conversation.channel}`,
      { query: { conversationId: id, $limit: 50, "$sort[createdAt]": 1 } });
    return {
      title: `${conversation.contact.name || id} · ${conversation.channel}`,
      facts: [
        { key: "status", label: "status", value: conversation.status },
        { key: "windowExpiresAt", label: "24h window until", value: conversation.windowExpiresAt },
        { key: "assigneeId", label: "assignee", value: conversation.assigneeId },
        { key: "aiAssistantId", label: "AI assistant", value: conversation.aiAssistantId },
        { key: "tags", label: "tags", value: conversation.tags.join(", ") || null },
      ],
      items: messages.data.map((message) => ({
        id: message._id,
        at: message.createdAt,
        who: message.direction === "inbound" ? "customer" : message.sender && message.sender.type === "ai" ? "ai" : "user",
        text: message.text !== null && message.text !== undefined ? message.text
          : message.template ? `[template ${message.template.name || ""}]` : `[${message.type}]`,
        note: [message.type, message.status].filter(Boolean).join(" · "),
      })),
    };
  },
});
