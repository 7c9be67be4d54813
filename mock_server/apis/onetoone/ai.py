"""The AI employee as the mock plays it: a deterministic reply built from the thread, with a token cost.

It is no language model: it picks, with the seeded generator, a reply in the employee's role that answers the
customer's last words, so a test sees a plausible message appear and the business's balance go down by a cost
that follows the size of the conversation read and the reply written (about 4 characters a token).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mock_server.apis.onetoone.state import AiEmployee, Contact, Conversation
from mock_server.engine.ids import SeededRandom

__all__ = ["HISTORY", "AiOutput", "reply", "suggest"]

HISTORY = 10  # messages the AI reads

_OPENINGS = {
    "sales": [
        "¡Hola {name}! Gracias por escribirnos.",
        "Hola {name}, con gusto te ayudo.",
        "¡Qué gusto saludarte, {name}!",
    ],
    "support": [
        "Hola {name}, lamento el inconveniente.",
        "Hola {name}, ya estoy revisando tu caso.",
        "Gracias por tu paciencia, {name}.",
    ],
}
_BODIES = {
    "sales": [
        'Sobre "{topic}": te puedo enviar una cotización hoy mismo.',
        'Respecto a "{topic}", tenemos disponibilidad y envío en 48 horas.',
        'Con gusto te comparto precios y opciones para "{topic}".',
    ],
    "support": [
        'Sobre "{topic}": ya levanté un reporte y te aviso en cuanto tenga novedades.',
        'Respecto a "{topic}", ¿me confirmas tu número de pedido?',
        'Para "{topic}", te sugiero reiniciar el equipo y contarme si persiste.',
    ],
}


@dataclass(frozen=True)
class AiOutput:
    text: str
    tokens: int


def _topic(conversation: Conversation) -> str:
    for message in reversed(conversation.messages):
        if message.is_from_customer and message.body:
            words = message.body.split()
            return " ".join(words[:8]) + ("…" if len(words) > 8 else "")
    return "tu consulta"


def _cost(conversation: Conversation, text: str) -> int:
    read = sum(len(m.body or "") for m in conversation.visible()[-HISTORY:])
    return max(1, math.ceil((read + len(text)) / 4))


def reply(employee: AiEmployee, contact: Contact, conversation: Conversation, rng: SeededRandom) -> AiOutput:
    role = employee.role if employee.role in _OPENINGS else "sales"
    name = contact.first_name or contact.profile_name or ""
    text = (
        rng.choice(_OPENINGS[role]).format(name=name).replace(" !", "!").replace(" ,", ",")
        + " "
        + rng.choice(_BODIES[role]).format(topic=_topic(conversation))
    )
    if employee.knowledge:
        text += " " + rng.choice(employee.knowledge)
    return AiOutput(text=text, tokens=_cost(conversation, text))


def suggest(
    employee: AiEmployee, contact: Contact, conversation: Conversation, rng: SeededRandom, instructions: str | None
) -> AiOutput:
    """A draft for a human to send: the same voice, marked as a suggestion, following any instructions."""
    draft = reply(employee, contact, conversation, rng)
    text = draft.text if not instructions else f"{draft.text} ({instructions})"
    return AiOutput(text=text, tokens=_cost(conversation, text))
