"""HighLevel (LeadConnector) Conversation AI API (`/highlevel`): the binding the engine serves, wiring this package's files together (the package's
shape and one request's way through it: mock_server/apis/README.md)."""

from __future__ import annotations

from pathlib import Path

from mock_server import DATA_ROOT
from mock_server.apis.highlevel import auth, control, errors, failures
from mock_server.apis.highlevel.consistency import check_state
from mock_server.apis.highlevel.drifts import DRIFTS
from mock_server.apis.highlevel.handlers import HANDLERS
from mock_server.apis.highlevel.probes import PROBES
from mock_server.apis.highlevel.seed import seed
from mock_server.apis.highlevel.state import HighLevelStore
from mock_server.engine.types import ApiBinding

__all__ = ["API"]

API = ApiBinding(
    name="highlevel",
    prefix="/highlevel",
    spec_path=DATA_ROOT / "specs" / "highlevel.yaml",
    fixtures_path=DATA_ROOT / "fixtures" / "highlevel.yaml",
    tenant_collection="locations",
    store_type=HighLevelStore,
    new_store=HighLevelStore,
    seed=seed,
    handlers=HANDLERS,
    authenticate=auth.authenticate,
    credentials=auth.credentials,
    errors=errors.STYLE,
    rate_limits=auth.RATE_LIMITS,
    rate_limit_headers=auth.rate_limit_headers,
    control_routes=control.CONTROL_ROUTES,
    scenario_effects=control.SCENARIO_EFFECTS,
    drop_rules=control.drop_rules,
    find_target=control.find_target,
    target_ids=control.target_ids,
    failure_sources=failures.FAILURE_SOURCES,
    dashboard_script=Path(__file__).with_name("dashboard.js"),
    drifts=DRIFTS,
    probes=PROBES,
    check_state=check_state,
)
