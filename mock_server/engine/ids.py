"""Every random choice and every id comes from one seeded generator per API (moto's MotoRandom, without a global)."""

from __future__ import annotations

import random
import string
import uuid

__all__ = ["SeededRandom"]


class SeededRandom(random.Random):
    def uuid4(self) -> str:
        return str(uuid.UUID(int=self.getrandbits(128), version=4))

    def token(self, length: int, alphabet: str = string.ascii_letters + string.digits) -> str:
        # What `choice` does per character (the same draws, so the same seeded ids), without its overhead.
        below, size = self._randbelow, len(alphabet)  # type: ignore[attr-defined]
        return "".join([alphabet[below(size)] for _ in range(length)])

    def state_json(self) -> list[object]:
        version, internal, gauss = self.getstate()
        return [version, list(internal), gauss]

    def load_state_json(self, value: list[object]) -> None:
        version, internal, gauss = value
        self.setstate((version, tuple(internal), gauss))  # type: ignore[arg-type]
