"""Schemathesis against the app's own OpenAPI document over loopback: no answer is a 5xx, every answer conforms."""

from __future__ import annotations

import httpx
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from intake.helpers import settings_for, source
from intake.server import serve
from recovery.bootstrap import configure
from recovery.config import WebhookSource
from recovery.engine.context import Context
from recovery.intake.app import create_app

EXAMPLES = 60  # per operation: bounded so the suite stays fast


def test_generated_requests_never_get_a_server_error_and_every_answer_matches_the_document(
    sqlite_ctx: Context,
) -> None:
    # "open" is unsigned so that generated bodies get past the signature to parsing and storing.
    settings = settings_for(
        source("generic"), source("zendesk"), WebhookSource(name="open", kind="generic", unsigned=True)
    )
    configure(sqlite_ctx, settings)
    with serve(create_app(sqlite_ctx, settings)) as base_url:
        schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) == 3
        for operation in operations:

            @given(case=operation.as_strategy(), source=st.sampled_from(["open", "generic", "zendesk", "nosuch"]))
            @hypothesis_settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
            def run(case: schemathesis.Case, source: str) -> None:
                if case.path_parameters is not None and "source" in case.path_parameters:
                    case.path_parameters["source"] = source
                case.call_and_validate(base_url=base_url)

            run()
        metrics = httpx.get(f"{base_url}/metrics").text
    assert 'outcome="accepted",reason="",source="open"}' in metrics, "generated events reached the inbox"
