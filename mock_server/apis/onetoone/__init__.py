"""1TO1 AI public API (`/1to1ai`): the binding the engine serves, wiring this package's files together (the package's
shape and one request's way through it: mock_server/apis/README.md)."""

from __future__ import annotations

from pathlib import Path

from mock_server import DATA_ROOT
from mock_server.apis.onetoone import auth, control, errors, failures
from mock_server.apis.onetoone.consistency import check_state
from mock_server.apis.onetoone.drifts import DRIFTS
from mock_server.apis.onetoone.handlers import HANDLERS
from mock_server.apis.onetoone.probes import PROBES
from mock_server.apis.onetoone.seed import seed
from mock_server.apis.onetoone.state import OneToOneStore
from mock_server.engine.types import ApiBinding

__all__ = ["API"]

API = ApiBinding(
    name="1to1ai",
    prefix="/1to1ai",
    spec_path=DATA_ROOT / "specs" / "1to1ai.yaml",
    fixtures_path=DATA_ROOT / "fixtures" / "1to1ai.yaml",
    tenant_collection="businesses",
    store_type=OneToOneStore,
    new_store=OneToOneStore,
    seed=seed,
    handlers=HANDLERS,
    authenticate=auth.authenticate,
    credentials=auth.credentials,
    errors=errors.STYLE,
    rate_limits=auth.RATE_LIMITS,
    scenario_effects=control.SCENARIO_EFFECTS,
    drop_rules=lambda store, key: store.drop_rules(key),
    find_target=control.find_target,
    target_ids=control.target_ids,
    failure_sources=failures.FAILURE_SOURCES,
    control_routes=control.CONTROL_ROUTES,
    dashboard_script=Path(__file__).with_name("dashboard.js"),
    drifts=DRIFTS,
    probes=PROBES,
    check_state=check_state,
)
