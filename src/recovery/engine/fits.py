"""Reading the stored purchase-model fits back: the newest, and every one with its history."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, select

from recovery.engine.context import Context
from recovery.errors import NotFoundError
from recovery.store.schema import model_fits


def newest_fit(ctx: Context) -> dict[str, Any]:
    """The newest stored fit as ``model fit --json`` shows it, with ``id`` and ``fitted_at``; NotFoundError if none."""
    with ctx.read() as connection:
        row = connection.execute(select(model_fits).order_by(model_fits.c.id.desc()).limit(1)).first()
    if row is None:
        raise NotFoundError("no fitted model yet: run `recovery model fit` first")
    return fit_view(row)


def fit_history(ctx: Context, limit: int | None = None) -> list[dict[str, Any]]:
    """Every stored fit, newest first, or the newest ``limit``."""
    with ctx.read() as connection:
        rows = connection.execute(select(model_fits).order_by(model_fits.c.id.desc()).limit(limit)).all()
    return [fit_view(row) for row in rows]


def fit_view(row: Row[Any]) -> dict[str, Any]:
    """One stored fit: the keys of ``model fit --json`` (``until`` a day), then ``fitted_at`` and ``id``."""
    return {
        "model": row.model,
        "params": row.params,
        "log_likelihood": row.log_likelihood,
        "customers": row.customers,
        "until": row.until.date().isoformat(),  # stored as that day's midnight UTC
        "spend": row.spend,
        "fitted_at": row.fitted_at.isoformat().replace("+00:00", "Z"),
        "id": row.id,
    }
