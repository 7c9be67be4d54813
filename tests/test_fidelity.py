"""The fidelity records (issue 16, item 3): every operation and field of every spec is marked documented (with the
vendor page's address) or convomock design, nothing is left unmarked, and docs/fidelity/<api>.md is the record
the specs give today (`convomock specs fidelity --write docs/fidelity` regenerates them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mock_server.apis import BINDINGS
from mock_server.cli import main
from mock_server.engine.fidelity import DESIGN, DOCUMENTED, UNMARKED, markdown, record
from mock_server.engine.specs import load_yaml

ROOT = Path(__file__).resolve().parents[1]


def _page(api: str) -> str:
    path = BINDINGS[api].spec_path
    return markdown(load_yaml(path), api, f"specs/{path.name}")


@pytest.mark.parametrize("api", sorted(BINDINGS))
def test_every_operation_and_field_says_whose_it_is(api: str) -> None:
    found = record(load_yaml(BINDINGS[api].spec_path))
    assert found.operations and found.fields
    unmarked = [f"{entry.where}: {entry.name}" for entry in found.unmarked()]
    assert unmarked == [], f"{len(unmarked)} entries of {api} say neither a vendor page nor convomock design: " + (
        "; ".join(unmarked[:15])
    )
    documented = [entry for entry in found.operations if entry.mark == DOCUMENTED]
    assert documented, "a vendor's spec documents at least one of its operations"
    assert all(url.startswith("https://") for entry in found.operations + found.fields for url in entry.sources)


@pytest.mark.parametrize("api", sorted(BINDINGS))
def test_the_committed_record_is_the_one_the_spec_gives(api: str) -> None:
    committed = ROOT / "docs" / "fidelity" / f"{api}.md"
    assert committed.read_text(encoding="utf-8") == _page(api), (
        f"{committed.relative_to(ROOT)} is stale: run `convomock specs fidelity --write docs/fidelity`"
    )


def test_the_cli_prints_one_record_and_writes_them_all(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    api = min(BINDINGS)
    assert main(["specs", "fidelity", api]) == 0
    assert capsys.readouterr().out == _page(api)
    assert main(["specs", "fidelity", "--write", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{name}.md" for name in BINDINGS)
    assert main(["specs", "fidelity"]) == 2
    assert "name an API" in capsys.readouterr().out


SAMPLE: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Sample", "version": "1"},
    "paths": {
        "/things": {
            "get": {
                "operationId": "listThings",
                "externalDocs": {"url": "https://vendor.example/things"},
                "description": "The page size is convomock design.",
                "parameters": [
                    {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                    {"name": "debug", "in": "query", "description": "convomock design", "schema": {"type": "boolean"}},
                ],
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}},
                    }
                },
            },
            "post": {"operationId": "mockOnly", "description": "convomock design: no page has it", "responses": {}},
            "delete": {"operationId": "silent", "responses": {}},
        }
    },
    "components": {
        "schemas": {
            "Thing": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "colour": {"type": "string", "description": "convomock design: the vendor shows none"},
                    "owner": {
                        "type": "object",
                        "externalDocs": {"url": "https://vendor.example/owners"},
                        "properties": {"name": {"type": "string"}},
                    },
                    "tags": {"type": "array", "items": {"type": "object", "properties": {"label": {"type": "string"}}}},
                },
            },
            "Ours": {"description": "convomock design", "properties": {"x": {"type": "string"}}},
            "Nobody": {"properties": {"y": {"type": "string"}}},
        }
    },
}


def test_how_a_mark_is_read() -> None:
    found = record(SAMPLE)
    operations = {entry.name: (entry.mark, entry.sources) for entry in found.operations}
    assert operations == {
        "listThings": (DOCUMENTED, ("https://vendor.example/things",)),  # the address wins over the words
        "mockOnly": (DESIGN, ()),
        "silent": (UNMARKED, ()),
    }
    fields = {entry.name: (entry.mark, entry.sources) for entry in found.fields}
    assert fields["listThings query limit"] == (DOCUMENTED, ("https://vendor.example/things",))
    assert fields["listThings query debug"] == (DESIGN, ())
    assert fields["Thing.id"] == (DOCUMENTED, ("https://vendor.example/things",))  # from the operation using it
    assert fields["Thing.colour"] == (DESIGN, ())
    assert fields["Thing.owner"] == (DOCUMENTED, ("https://vendor.example/owners",))
    assert fields["Thing.owner.name"] == (DOCUMENTED, ("https://vendor.example/owners",))
    assert fields["Thing.tags[].label"] == (DOCUMENTED, ("https://vendor.example/things",))
    assert fields["Ours.x"] == (DESIGN, ())
    assert fields["Nobody.y"] == (UNMARKED, ())
    assert "| `silent` | `DELETE /things` | **unmarked** |" in markdown(SAMPLE, "sample", "specs/sample.yaml")
