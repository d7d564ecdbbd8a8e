"""The data-quality page: wrong, empty and missing numbers and the information retention rate
per store, and the customers to fix."""

from __future__ import annotations

from sqlalchemy.orm import Session

from console.services.archive import Access, Refused, store_names
from storage.archive.quality import Problem, StoreQuality, affected, by_store
from storage.errors import N_
from storage.settings import DEFAULTS, load_all

PAGE = 100
RETENTION_TARGET = "retention_target_pct"  # per-store setting (storage.settings); one seed: 90%
DEFAULT_TARGET_PCT = float(DEFAULTS[RETENTION_TARGET])
COUNTS = ("customers", "wrong", "empty", "no_number", "retained")


def quality(session: Session, access: Access, problem: str | None, page: int) -> dict:
    if not access.whole_archive:
        raise Refused(N_("only whole-archive users see data quality"))
    wanted = Problem(problem) if problem in set(Problem) else None
    page = max(page, 1)
    names = store_names(session, access.store_ids)
    targets = _targets(session, access.store_ids)
    per_store = by_store(session, access.store_ids)
    total = StoreQuality(0, *(sum(getattr(q, f) for q in per_store) for f in COUNTS))
    rows = affected(session, access.store_ids, wanted, (page - 1) * PAGE, PAGE + 1)
    return {
        "stores": [_store(q, names, targets) for q in per_store],
        "total": _store(total, {}, {}),
        "affected": [
            {
                "id": cid,
                "name": name,
                "store": names.get(store, ""),
                "wrong": w,
                "empty": e,
                "no_number": n,
            }
            for cid, name, store, w, e, n in rows[:PAGE]
        ],
        "problem": wanted.value if wanted else "",
        "page": page,
        "has_next": len(rows) > PAGE,
    }


def _store(q: StoreQuality, names: dict[int, str], targets: dict[int, float]) -> dict:
    rate = q.retention_rate
    target = targets.get(q.store_id, DEFAULT_TARGET_PCT)
    return {
        "name": names.get(q.store_id, ""),
        "counts": q,
        "rate_pct": round(rate * 100, 1) if rate is not None else None,
        "target_pct": target,
        "below_target": rate is not None and rate * 100 < target,
        "pct": {f: _pct(getattr(q, f), q.customers) for f in COUNTS[1:]},
    }


def _pct(part: int, whole: int) -> float:
    return round(part * 100 / whole, 1) if whole else 0.0


def _targets(session: Session, store_ids: tuple[int, ...]) -> dict[int, float]:
    return {
        store_id: float(settings.number(RETENTION_TARGET))
        for store_id, settings in load_all(session, store_ids).items()
    }
