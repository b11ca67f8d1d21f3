"""The register's duplicate pairs found by the deduplication runs, and the reviewers' decisions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from sijill.api.deps import CurrentActor, Offset, SessionDep
from sijill.linkage import register_dedup
from sijill.linkage.schemas import PairDecisionIn, PairOut

router = APIRouter(tags=["linkage"])
Id = Annotated[int, Path(ge=1, le=2_000_000_000)]


@router.get("/duplicates")
def queue(
    actor: CurrentActor,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> list[PairOut]:
    """Open pairs in the reviewer's territory, most likely first, with the evidence for each."""
    views = register_dedup.review_queue(session=session, actor=actor, limit=limit, offset=offset)
    return [PairOut.of(view) for view in views]


@router.get("/duplicates/{pair_id}")
def show(pair_id: Id, actor: CurrentActor, session: SessionDep) -> PairOut:
    return PairOut.of(register_dedup.show_pair(session=session, actor=actor, pair_id=pair_id))


@router.post("/duplicates/{pair_id}/decision")
def decide(pair_id: Id, data: PairDecisionIn, actor: CurrentActor, session: SessionDep) -> PairOut:
    """ "same" merges the two records (reversible by an administrator); "different" is remembered."""
    view = register_dedup.decide_pair(
        session=session,
        actor=actor,
        pair_id=pair_id,
        decision=data.decision,
        reason=data.reason,
        survivor_idcs=data.survivor_idcs,
    )
    return PairOut.of(view)
