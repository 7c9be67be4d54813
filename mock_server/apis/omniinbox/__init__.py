"""AchieveApex's omni-inbox (`/omni-inbox`), a Feathers v5 app: the binding the engine serves, wiring this package's
files together (the package's shape and one request's way through it: mock_server/apis/README.md)."""

from __future__ import annotations

from pathlib import Path

from mock_server import DATA_ROOT
from mock_server.apis.omniinbox import auth, control, errors, failures
from mock_server.apis.omniinbox.consistency import check_state
from mock_server.apis.omniinbox.drifts import DRIFTS
from mock_server.apis.omniinbox.handlers import HANDLERS
from mock_server.apis.omniinbox.probes import PROBES
from mock_server.apis.omniinbox.seed import seed
from mock_server.apis.omniinbox.state import AchieveApexStore
from mock_server.engine.types import ApiBinding

__all__ = ["API"]

API = ApiBinding(
    name="omni-inbox",
    prefix="/omni-inbox",
    spec_path=DATA_ROOT / "specs" / "omni-inbox.yaml",
    fixtures_path=DATA_ROOT / "fixtures" / "omni-inbox.yaml",
    tenant_collection="organizations",
    store_type=AchieveApexStore,
    new_store=AchieveApexStore,
    seed=seed,
    handlers=HANDLERS,
    authenticate=auth.authenticate,
    credentials=auth.credentials,
    errors=errors.STYLE,
    rate_limits=auth.RATE_LIMITS,
    scenario_effects=control.SCENARIO_EFFECTS,
    drop_rules=control.drop_rules,
    find_target=control.find_target,
    target_ids=control.target_ids,
    failure_sources=failures.FAILURE_SOURCES,
    control_routes=control.CONTROL_ROUTES,
    dashboard_script=Path(__file__).with_name("dashboard.js"),
    drifts=DRIFTS,
    probes=PROBES,
    check_state=check_state,
)
