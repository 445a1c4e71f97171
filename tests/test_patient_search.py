"""Phone staff find patients as they type, and are warned (never blocked) about likely duplicates."""

from __future__ import annotations

from datetime import date

from scheduler.domain.patients import PatientDetails
from scheduler.services.patient_search import likely_duplicates
from scheduler.services.patient_search import search_patients
from scheduler.store import models
from scheduler.store.engine import db


def add(given, family, born, phone=None, email=None):
    patient = models.Patient(given_name=given, family_name=family, birth_date=born, phone=phone, email=email)
    db.session.add(patient)
    db.session.commit()
    return patient.id


def names(found):
    return [f"{p.given_name} {p.family_name}" for p in found]


def test_search_matches_every_part_typed(app):
    with app.app_context():
        add("Ann", "Lee", date(1970, 3, 27), "+15075550101")
        add("Andy", "Leeds", date(1981, 1, 2), "+15075550199")
        add("Bob", "Lee", date(1970, 3, 27), "+16125550101")
        add("Carla", "Olson", date(1955, 5, 5), "+15075551234", "carla@example.com")
        assert names(search_patients("lee")) == ["Ann Lee", "Bob Lee", "Andy Leeds"]
        assert names(search_patients("lee an")) == ["Ann Lee", "Andy Leeds"]
        assert names(search_patients("3/27/1970")) == ["Ann Lee", "Bob Lee"]
        assert names(search_patients("lee 03271970 bo")) == ["Bob Lee"]
        assert names(search_patients("507-555-0101")) == ["Ann Lee"]
        assert names(search_patients("0101")) == ["Ann Lee", "Bob Lee"]
        assert search_patients("zzz") == [] and search_patients("") == []
        assert search_patients("%") == [] and search_patients("_") == []  # wildcards are literal


def test_likely_duplicates_same_birth_date_and_similar_name_or_same_contact(app):
    with app.app_context():
        stephen = add("Stephen", "Lindqvist", date(1962, 8, 9))
        by_phone = add("Maria", "Garcia", date(1990, 1, 1), "+15075550123")
        by_email = add("Tom", "Hill", date(1991, 2, 2), None, "tom@example.com")
        add("Steven", "Nguyen", date(1962, 8, 9))  # same birth date, a different name: not a duplicate

        def dupes(family, born, phone=None, email=None):
            details = PatientDetails("Steven", family, born, phone, email)
            return sorted(p.id for p in likely_duplicates(details))

        assert dupes("Lindquist", date(1962, 8, 9)) == [stephen]
        assert dupes("Smith", date(1970, 1, 1), phone="+15075550123") == [by_phone]
        assert dupes("Smith", date(1970, 1, 1), email="tom@example.com") == [by_email]
        assert dupes("Smith", date(1970, 1, 1)) == []
