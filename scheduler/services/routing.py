"""Routing with the clinic's current rules and catalog."""

from __future__ import annotations

from sqlalchemy import select

from scheduler import models
from scheduler.domain import routing
from scheduler.extensions import db


def decide(intake: routing.Intake, history: routing.History) -> routing.RoutingDecision:
    rules = db.session.execute(select(models.RoutingRule).order_by(models.RoutingRule.position)).scalars()
    visit_types = db.session.execute(select(models.VisitType).where(models.VisitType.active)).scalars()
    specialties = db.session.execute(select(models.Specialty)).scalars()
    return routing.route(
        intake,
        history,
        [r.to_domain() for r in rules],
        {v.code: v.to_domain() for v in visit_types},
        {s.code: s.to_domain() for s in specialties},
    )
