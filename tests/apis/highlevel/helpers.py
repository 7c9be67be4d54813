"""Assertions the HighLevel test modules share: NestJS's 422 with its list of messages."""

from __future__ import annotations

import httpx

__all__ = ["assert_422"]


def assert_422(response: httpx.Response, *messages: str) -> list[str]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["statusCode"] == 422 and body["error"] == "Unprocessable Entity"
    assert isinstance(body["message"], list)
    for message in messages:
        assert message in body["message"]
    return list(body["message"])
