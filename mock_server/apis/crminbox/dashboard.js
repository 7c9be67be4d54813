/* Iron's CRM inbox in the convomock dashboard: an org is a tenant (seen as its first seeded member, with their
   Supabase JWT), every call names it in X-Org-Id; a thread's timeline is its activities, oldest first, with the AI
   setter's drafts among them and who did each (the operator model's actor). A customer writes in through
   POST /__mock/crm-inbox/inbound (the webhooks' code path: the setter drafts its answer); the business answers
   through the public POST /conversations/{id}/messages. */
"use strict";
{
// The channel a thread is written on, either way: the one it is on (its last activity's) when that is SMS or
// email; otherwise (a call, a note) SMS if the contact has a phone, else email. A block keeps it out of the
// global scope that every API's adapter shares (/__mock/ui/adapters.js is one file).
const threadChannel = (thread) => (["sms", "email"].includes(thread.channel) ? thread.channel
  : thread.contact.phone ? "sms" : "email");

convomock.registerAdapter("crm-inbox", {
  title: "CRM inbox",

  headers: (credential) => ({ Authorization: `Bearer ${credential.token}`, ...credential.tenant_headers }),

  tenantName: (credential) =>
    `${credential.org}${credential.parent_org_id ? " (subaccount)" : ""} (as ${credential.user}, ${credential.role})`,

  async conversations(ctx) {
    const page = await ctx.api("GET", "/conversations", { query: { limit: 100 } });
    return page.items.map((conversation) => ({
      id: conversation.id,
      title: conversation.contact.name || conversation.contact.phone || conversation.contact.email,
      subtitle: conversation.last_activity_preview ? conversation.last_activity_preview.body || conversation.last_activity_preview.type : "",
      facts: [
        { key: "channel", label: "", value: conversation.channel },
        { key: "overdue", label: "", value: conversation.overdue ? "overdue" : null, tone: "bad" },
        { key: "unread_count", label: "unread", value: conversation.unread_count },
        { key: "sla_due_at", label: "SLA due", value: conversation.sla_due_at },
      ].filter((fact) => fact.value !== null),
    }));
  },

  async timeline(ctx, id) {
    const path = `/conversations/${encodeURIComponent(id)}`;
    const [conversation, activities] = await Promise.all([
      ctx.api("GET", path), ctx.api("GET", `${path}/messages`, { query: { limit: 100 } }),
    ]);
    return {
      title: conversation.contact.name || id,
      facts: [
        { key: "overdue", label: "overdue", value: conversation.overdue ? "yes" : "no", tone: conversation.overdue ? "bad" : "good" },
        { key: "awaiting_reply_since", label: "awaiting reply since", value: conversation.awaiting_reply_since },
        { key: "sla_due_at", label: "SLA due", value: conversation.sla_due_at },
        { key: "assigned_to", label: "assigned to", value: conversation.assigned_to },
        { key: "starred", label: "starred", value: conversation.starred ? "yes" : "no" },
        { key: "archived", label: "archived", value: conversation.archived ? "yes" : "no" },
      ],
      items: activities.items.map((activity) => ({
        id: activity.id,
        at: activity.created_at,
        who: activity.type === "suggestion" ? "draft" : activity.type === "note" ? "note"
          : activity.direction === "inbound" ? "customer" : "user",
        text: activity.body !== null ? activity.body : activity.call ? `[call ${activity.call.outcome}] ${activity.call.summary}` : "",
        note: [activity.type, activity.status, activity.subject, activity.actor].filter(Boolean).join(" · "),
      })),
    };
  },

  // A customer writes (POST /__mock/crm-inbox/inbound, org = the tenant's id): into a thread, on its channel; or
  // from a phone number (SMS) or an email address (email) that may be no contact yet: a new contact and thread.
  async customerWrites(ctx, { conversation, from, text }) {
    let where;
    if (conversation) {
      const thread = await ctx.api("GET", `/conversations/${encodeURIComponent(conversation)}`);
      where = { conversation, channel: threadChannel(thread) };
    } else {
      where = from.includes("@") ? { email: from, channel: "email" } : { phone: from, channel: "sms" };
    }
    const landed = await ctx.control("POST", "crm-inbox/inbound", { org: ctx.tenant.id, body: text, ...where });
    return { conversation: landed.conversation_id };
  },

  // The business answers through the public API (POST /conversations/{id}/messages) on the thread's channel; an
  // email needs a subject: the thread's, as a reply. It supersedes a pending setter draft, as Iron does.
  async agentSends(ctx, { conversation, text }) {
    const path = `/conversations/${encodeURIComponent(conversation)}`;
    const thread = await ctx.api("GET", path);
    const channel = threadChannel(thread);
    const body = { channel, body: text };
    if (channel === "email") {
      const subject = thread.subject || "Your message";
      body.subject = (/^re:/i.test(subject) ? subject : `Re: ${subject}`).slice(0, 998);
    }
    return ctx.api("POST", `${path}/messages`, { body });
  },
});
}
