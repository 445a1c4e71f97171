"""Routing with the clinic's current rules and catalog."""

from __future__ import annotations

from scheduler.domain import routing
from scheduler.domain.offer import Catalog


def decide(intake: routing.Intake, history: routing.History, offer: Catalog) -> routing.RoutingDecision:
    return routing.route(intake, history, offer.rules, offer.visit_types, offer.specialties)
