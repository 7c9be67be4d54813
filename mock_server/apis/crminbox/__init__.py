"""CRM inbox Conversations API (`/crm-inbox`): the binding the engine serves, wiring this package's files together (the package's
shape and one request's way through it: mock_server/apis/README.md)."""

from __future__ import annotations

from pathlib import Path

from mock_server import DATA_ROOT
from mock_server.apis.crminbox import auth, carrier, control, errors, failures
from mock_server.apis.crminbox.consistency import check_state
from mock_server.apis.crminbox.drifts import DRIFTS
from mock_server.apis.crminbox.handlers import HANDLERS
from mock_server.apis.crminbox.probes import PROBES
from mock_server.apis.crminbox.seed import seed
from mock_server.apis.crminbox.state import CrmStore
from mock_server.engine.types import ApiBinding

__all__ = ["API"]

API = ApiBinding(
    name="crm-inbox",
    prefix="/crm-inbox",
    spec_path=DATA_ROOT / "specs" / "crm-inbox.yaml",
    fixtures_path=DATA_ROOT / "fixtures" / "crm-inbox.yaml",
    tenant_collection="orgs",
    store_type=CrmStore,
    new_store=CrmStore,
    seed=seed,
    handlers=HANDLERS,
    authenticate=auth.authenticate,
    credentials=auth.credentials,
    errors=errors.STYLE,
    scenario_effects=control.SCENARIO_EFFECTS,
    drop_rules=carrier.drop_rules,
    find_target=control.find_target,
    target_ids=control.target_ids,
    failure_sources=failures.FAILURE_SOURCES,
    control_routes=control.CONTROL_ROUTES,
    dashboard_script=Path(__file__).with_name("dashboard.js"),
    drifts=DRIFTS,
    probes=PROBES,
    check_state=check_state,
)
