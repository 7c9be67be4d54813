"""Feathers-style omnichannel inbox (`/omni-inbox`): the binding the engine serves, wiring this package's files together (the package's
shape and one request's way through it: mock_server/apis/README.md)."""

from __future__ import annotations

import functools
from pathlib import Path

from mock_server import DATA_ROOT
from mock_server.apis.omniinbox import auth, control, errors
from mock_server.apis.omniinbox.drifts import DRIFTS
from mock_server.apis.omniinbox.handlers import HANDLERS
from mock_server.apis.omniinbox.probes import PROBES
from mock_server.apis.omniinbox.seed import seed
from mock_server.apis.omniinbox.state import OmniStore
from mock_server.engine.types import ApiBinding

__all__ = ["API"]

API = ApiBinding(
    name="omni-inbox",
    prefix="/omni-inbox",
    spec_path=DATA_ROOT / "specs" / "omni-inbox.yaml",
    fixtures_path=DATA_ROOT / "fixtures" / "omni-inbox.yaml",
    tenant_collection="workspaces",
    store_type=OmniStore,
    new_store=functools.partial(OmniStore, jwt_secret=""),
    seed=seed,
    handlers=HANDLERS,
    authenticate=auth.authenticate,
    credentials=auth.credentials,
    errors=errors.STYLE,
    control_routes=control.CONTROL_ROUTES,
    dashboard_script=Path(__file__).with_name("dashboard.js"),
    drifts=DRIFTS,
    probes=PROBES,
)
