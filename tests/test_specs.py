"""The specs themselves: valid OpenAPI 3.1, 3.1-style nullables, every documented operation covered."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from openapi_spec_validator import validate

ROOT = Path(__file__).resolve().parents[1]
SPECS = sorted((ROOT / "specs").glob("*.yaml"))
COVERAGE_TOOL = ROOT.parent / "shared" / "tools" / "spec-coverage"


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.name)
def test_spec_is_valid_openapi_31(spec: Path) -> None:
    document = yaml.safe_load(spec.read_text())
    assert document["openapi"].startswith("3.1")
    validate(document)
    text = spec.read_text()
    assert "nullable:" not in text, "write nullable fields as type: [X, 'null'] in OpenAPI 3.1"


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.name)
def test_every_operation_has_an_operation_id_and_error_envelope(spec: Path) -> None:
    document = yaml.safe_load(spec.read_text())
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            assert operation.get("operationId"), f"{method.upper()} {path} has no operationId"
            assert any(str(s).startswith("4") for s in operation["responses"]), f"{method} {path}: no 4xx"


@pytest.mark.skipif(not COVERAGE_TOOL.exists(), reason="../shared/tools/spec-coverage is not beside this checkout")
def test_spec_coverage_of_1to1ai_is_complete() -> None:
    result = subprocess.run([sys.executable, str(COVERAGE_TOOL)], cwd=ROOT, capture_output=True, text=True, check=False)
    assert "1to1ai" in result.stdout
    line = next(row for row in result.stdout.splitlines() if "1to1ai" in row)
    assert "16/16" in line, result.stdout
