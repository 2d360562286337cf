"""Fitting the purchase models to the business's own purchases, and keeping each fit.

numpy and scipy are imported here, when a fit runs, never by a command that does not fit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from recovery.engine.context import Context
from recovery.errors import InvalidInputError, ModelError
from recovery.store.schema import model_fits, purchases

MODELS = ("bgnbd", "pareto_nbd", "auto")
PARTITION = 100_000  # purchase-days read at a time: memory stays flat
_NAMES = {"bg/nbd": "bgnbd", "pareto/nbd": "pareto_nbd"}  # the core's names as the CLI spells them


@dataclass(frozen=True)
class FittedModels:
    """A fit of the purchase-count model and of the spend model, as stored."""

    model: str
    params: dict[str, float]
    log_likelihood: float
    customers: int
    until: date
    spend: dict[str, Any] | None

    def view(self) -> dict[str, Any]:
        """The fit as ``model fit --json`` shows it."""
        return {
            "model": self.model,
            "params": self.params,
            "log_likelihood": self.log_likelihood,
            "customers": self.customers,
            "until": self.until.isoformat(),
            "spend": self.spend,
        }


def fit(ctx: Context, until: date | None = None, model: str = "auto") -> FittedModels:
    """Fit the purchase-count model (BG/NBD, Pareto/NBD, or the likelier of the two) and Gamma-Gamma spend."""
    if model not in MODELS:
        raise InvalidInputError(f"model: unknown {model!r}; known: {', '.join(MODELS)}")
    day = until or ctx.clock.now().astimezone(ctx.calendar.tz).date()
    summary = _summary(ctx, day)
    if len(summary) == 0:
        raise ModelError(f"no purchases on or before {day.isoformat()} to fit a model to")
    counts = _fit_counts(summary, model)
    spend = _fit_spend(summary)
    fitted = FittedModels(
        model=_NAMES.get(counts.model, counts.model),
        params=counts.params,
        log_likelihood=counts.log_likelihood,
        customers=counts.customers,
        until=day,
        spend=spend,
    )
    _store(ctx, fitted)
    return fitted


def _summary(ctx: Context, until: date) -> Any:
    """The model inputs of every customer, from their purchases in the business's local days."""
    from recovery.core.purchases import summarise

    return summarise(*purchase_arrays(ctx), until)


def purchase_arrays(ctx: Context) -> tuple[Any, Any, Any]:
    """Every customer's purchase-days as arrays: customer ids, the business's local days, the day's total."""
    import numpy as np

    parts: list[tuple[Any, Any, Any]] = []
    with ctx.read() as connection:
        # Read as plain driver tuples, a partition at a time: a million purchases through typed
        # result rows took longer than fitting the model to them. Same-day rows are summed later.
        cursor = connection.connection.cursor()
        try:
            cursor.execute("SELECT customer_id, day, amount FROM purchases WHERE day IS NOT NULL")
            while rows := cursor.fetchmany(PARTITION):
                parts.append(_arrays(rows))
        finally:
            cursor.close()
        parts.append(_undated(connection, ctx.calendar.tz))
    customers, days, amounts = zip(*parts, strict=True)
    return np.concatenate(customers), np.concatenate(days), np.concatenate(amounts)


def _arrays(rows: Sequence[Any]) -> tuple[Any, Any, Any]:
    import numpy as np

    count = len(rows)
    return (
        np.fromiter((row[0] for row in rows), dtype=np.int64, count=count),
        np.array([row[1] for row in rows], dtype="datetime64[D]"),  # ISO text on SQLite, dates on PostgreSQL
        np.fromiter((float(row[2]) for row in rows), dtype=np.float64, count=count),
    )


def _undated(connection: Connection, tz: ZoneInfo) -> tuple[Any, Any, Any]:
    """Purchases stored before their local day was (schema 0004): dated here, in the business's time zone."""
    import numpy as np

    query = select(purchases.c.customer_id, purchases.c.ordered_at, purchases.c.amount).where(purchases.c.day.is_(None))
    rows = connection.execute(query).all()
    return (
        np.array([r.customer_id for r in rows], dtype=np.int64),
        np.array([r.ordered_at.astimezone(tz).date() for r in rows], dtype="datetime64[D]"),
        np.array([float(r.amount) for r in rows], dtype=np.float64),
    )


def _fit_counts(summary: Any, model: str) -> Any:
    from recovery.core.purchases import fit_bgnbd, fit_pareto_nbd

    # Only the estimates are kept: the standard errors' numerical Hessian would be a quarter of the fit.
    if model == "bgnbd":
        return fit_bgnbd(summary.x, summary.t_x, summary.T, standard_errors=False)
    if model == "pareto_nbd":
        return fit_pareto_nbd(summary.x, summary.t_x, summary.T, standard_errors=False)
    # auto: the likelier fit of the two, when both converge. They run side by side: numpy and
    # scipy's special functions release the GIL, so on two cores this takes the longer fit's time.
    from concurrent.futures import ThreadPoolExecutor

    fits = []
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="fit") as pool:
        running = [
            pool.submit(fitter, summary.x, summary.t_x, summary.T, standard_errors=False)
            for fitter in (fit_bgnbd, fit_pareto_nbd)
        ]
        for future in running:
            try:
                fits.append(future.result())
            except ModelError:
                continue
    if not fits:
        raise ModelError("neither BG/NBD nor Pareto/NBD converged on these purchases")
    return max(fits, key=lambda f: f.log_likelihood)


def _fit_spend(summary: Any) -> dict[str, Any] | None:
    """Gamma-Gamma on the repeat buyers; None (said in the result) when they are too few or spend nothing."""
    from recovery.core.purchases import fit_gamma_gamma

    try:
        found = fit_gamma_gamma(summary.x, summary.m_x, standard_errors=False)
    except ModelError as exc:
        return {"params": None, "log_likelihood": None, "customers": 0, "error": str(exc)}
    return {"params": found.params, "log_likelihood": found.log_likelihood, "customers": found.customers}


def _store(ctx: Context, fitted: FittedModels) -> None:
    now = ctx.clock.now()
    with ctx.db.begin() as connection:
        connection.execute(
            model_fits.insert().values(
                model=fitted.model,
                params=fitted.params,
                log_likelihood=fitted.log_likelihood,
                customers=fitted.customers,
                until=datetime.combine(fitted.until, time(0), UTC),
                spend=fitted.spend,
                fitted_at=now,
            )
        )


def check(ctx: Context, until: date, to: date | None = None, model: str = "auto") -> dict[str, Any]:
    """Fit on purchases up to ``until``, predict the days after it up to ``to`` (default: the last purchase)."""
    import numpy as np

    from recovery.core.purchases.check import check as holdout

    if model not in MODELS:
        raise InvalidInputError(f"model: unknown {model!r}; known: {', '.join(MODELS)}")
    customers, days, amounts = purchase_arrays(ctx)
    last = days.max().astype(object) if days.size else None
    end = to or last
    if end is None or end <= until:
        raise ModelError(f"no purchases after {until.isoformat()} to check the model against")
    from recovery.core.purchases import summarise

    calibration = summarise(customers, days, amounts, until)
    if len(calibration) == 0:
        raise ModelError(f"no purchases on or before {until.isoformat()} to fit a model to")
    counts = _fit_counts(calibration, model)
    later = (days > np.datetime64(until)) & (days <= np.datetime64(end)) & (amounts >= 0)
    pairs = np.unique(np.column_stack((customers[later], days[later].astype(np.int64))), axis=0)
    found, per_customer = np.unique(pairs[:, 0], return_counts=True) if pairs.size else (pairs[:0, 0], pairs[:0, 0])
    actual = np.zeros(len(calibration))
    at = np.searchsorted(calibration.customers.astype(np.int64), found)
    inside = (at < len(calibration)) & (
        calibration.customers.astype(np.int64)[np.minimum(at, len(calibration) - 1)] == found
    )
    actual[at[inside]] = per_customer[inside]
    weeks = (end - until).days / 7.0
    result = holdout(counts, calibration, actual, weeks)
    return {
        "model": _NAMES.get(counts.model, counts.model),
        "until": until.isoformat(),
        "to": end.isoformat(),
        "customers": len(calibration),
        **result.view(),
    }
