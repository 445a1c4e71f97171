"""Plain words first (issue 15): each visit choice says in plain words what it is and who it is
for, with its medical name second; one question per page; a returning patient is not asked what
the clinic already knows; no doubled words or repeated sentences on the routing page."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from scheduler.domain.catalog import DEFAULT_VISIT_TYPES
from scheduler.domain.catalog import UNSURE_HINT
from scheduler.domain.catalog import UNSURE_LABEL
from scheduler.domain.routing import CAUSES
from scheduler.store import models
from scheduler.store.engine import db
from scheduler.web.public.forms import RED_FLAGS_MESSAGE
from tests.public.conftest import DETAILS
from tests.public.conftest import answer_questions
from tests.public.conftest import errors
from tests.public.conftest import page_text

QUESTION_PAGES = ("/request/what", "/request/seen-before", "/request/cause", "/request/red-flags", "/request/referred")


def main_text(response) -> str:
    """The words of the page's main content, as a reader sees them."""
    main = re.search(r"<main.*?</main>", page_text(response), re.S).group(0)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", main))).strip()


def choices(response) -> list[dict[str, str]]:
    """Each choice on the page: its input's attributes, its label and its own hint (if any)."""
    found = []
    for block in re.findall(r'<div class="choice[^"]*">(.*?)</div>', page_text(response), re.S):
        attrs = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', re.search(r"<input[^>]*>", block).group(0)))
        label = re.search(r"<label[^>]*>(.*?)</label>", block, re.S).group(1).strip()
        hint = re.search(r'<p class="hint choice-hint" id="([^"]+)">(.*?)</p>', block, re.S)
        found.append(
            {
                **attrs,
                "label": html.unescape(label),
                "hint_id": hint.group(1) if hint else "",
                "hint": html.unescape(hint.group(2)) if hint else "",
            }
        )
    return found


def went_to(response) -> str:
    assert response.status_code == 302, response.status_code
    return response.headers["Location"]


# ----- the first question: plain words, then the medical name ---------------------------------------


def test_each_visit_choice_is_in_plain_words_with_a_hint_screen_readers_read_and_its_medical_name_second(web):
    offered = {c["value"]: c for c in choices(web.get("/request/what"))}
    assert list(offered) == [vt.code for vt in DEFAULT_VISIT_TYPES] + ["unsure"]
    for vt in DEFAULT_VISIT_TYPES:
        choice = offered[vt.code]
        assert vt.hint, f"{vt.code} has no hint in the catalog"
        assert choice["label"] == vt.choice_label
        # The hint is the catalog's words, then the medical name, and is tied to the radio.
        assert choice["hint"].startswith(vt.hint), vt.code
        assert choice["aria-describedby"] == choice["hint_id"] == f"{choice['id']}-hint"
        if vt.plain_name:
            assert choice["label"] != vt.name
            assert choice["hint"].endswith(f"Medical name: {vt.name}.")
            assert choice["hint"].index(vt.hint) < choice["hint"].index(vt.name)  # plain words first
        else:
            assert choice["label"] == vt.name and "Medical name" not in choice["hint"]
    unsure = offered["unsure"]
    assert unsure["label"] == UNSURE_LABEL and unsure["hint"] == UNSURE_HINT
    assert unsure["aria-describedby"] == unsure["hint_id"]


def test_the_jargon_of_the_old_first_question_is_now_only_the_medical_name_after_plain_words(web):
    for choice in choices(web.get("/request/what")):
        for jargon in ("Fluoroscopy", "Radiofrequency", "neurotomy", "instability views", "reconstructions"):
            assert jargon not in choice["label"], choice["label"]


def test_check_your_answers_names_the_visit_asked_for_in_the_words_the_patient_chose(web, make_provider):
    make_provider("radiology-pain")
    answer_questions(web, requested="injection", seen_before="yes")
    web.post("/request/preferences", data={"days": ["monday"], "parts_of_day": ["morning"]})
    web.post("/request/details", data=DETAILS)
    text = main_text(web.get("/request/check"))
    assert "What you asked for An injection to ease the pain in the joint" in text
    assert "Visit Fluoroscopy-guided SI joint injection with Radiology & Pain Medicine" in text


# ----- one question per page -------------------------------------------------------------------------


@pytest.mark.parametrize("path", QUESTION_PAGES)
def test_each_question_page_asks_one_question(web, make_provider, path):
    make_provider("pmr")
    answer_questions(web)
    response = web.get(path)
    assert response.status_code == 200
    text = page_text(response)
    assert text.count("<fieldset") == 1 and text.count("<legend") == 1 and text.count("<h1") == 1
    names = set(re.findall(r'<input[^>]*name="([^"]+)"', text)) - {"csrf_token"}
    assert len(names) == 1, names


def test_the_cause_and_the_red_flags_are_two_pages_and_a_red_flag_still_routes_to_the_urgent_page(
    web, make_provider, clinic_open
):
    make_provider("pmr")
    web.post("/request/what", data={"requested": "unsure"})
    web.post("/request/seen-before", data={"seen_before": "no"})
    cause = web.get("/request/cause")
    assert "Fever" not in main_text(cause) and "red_flags" not in page_text(cause)
    assert went_to(web.post("/request/cause", data={"cause": "trauma"})) == "/request/red-flags"
    flags = web.get("/request/red-flags")
    assert '<a class="back-link" href="/request/cause">Back</a>' in page_text(flags)
    assert went_to(web.post("/request/red-flags", data={"red_flags": ["fever"]})) == "/request/referred"
    assert '<a class="back-link" href="/request/red-flags">Back</a>' in page_text(web.get("/request/referred"))
    web.post("/request/referred", data={"referred": "no"})
    route = web.get("/request/route")
    assert "Call us now on" in main_text(route)
    assert '<a class="back-link" href="/request/referred">Back</a>' in page_text(route)


def test_the_red_flags_question_needs_an_answer_and_none_is_an_answer_on_its_own(web, make_provider):
    make_provider("pmr")
    answer_questions(web)
    nothing = web.post("/request/red-flags", data={})
    assert nothing.status_code == 422 and errors(nothing) == [RED_FLAGS_MESSAGE]
    both = web.post("/request/red-flags", data={"red_flags": ["fever", "none"]})
    assert both.status_code == 422 and errors(both) == [
        "Select 'No, none of these' on its own, or only the ones you have"
    ]
    assert 'value="fever" checked' in page_text(both)  # what was ticked is kept
    web.post("/request/red-flags", data={"red_flags": ["none"]})
    assert 'value="none" checked' in page_text(web.get("/request/red-flags"))
    assert "Call us now" not in main_text(web.get("/request/route"))
    # Each red flag's plain words are tied to its checkbox.
    hinted = {c["value"]: c for c in choices(web.get("/request/red-flags"))}
    for flag in ("fever", "cannot-bear-weight"):
        assert hinted[flag]["hint"] and hinted[flag]["aria-describedby"] == hinted[flag]["hint_id"]


# ----- a returning patient is not asked what the clinic knows -----------------------------------------


def stored_requests(app):
    with app.app_context():
        return db.session.execute(select(models.VisitRequest)).scalars().all()


def test_a_returning_patient_asking_for_an_injection_is_not_asked_the_cause_or_the_referral(web, app, make_provider):
    make_provider("radiology-pain")
    assert went_to(web.post("/request/what", data={"requested": "injection"})) == "/request/seen-before"
    assert went_to(web.post("/request/seen-before", data={"seen_before": "yes"})) == "/request/red-flags"
    flags = web.get("/request/red-flags")
    assert '<a class="back-link" href="/request/seen-before">Back</a>' in page_text(flags)
    assert went_to(web.post("/request/red-flags", data={"red_flags": ["none"]})) == "/request/route"
    # The skipped pages are not there to open: they send the patient on.
    assert went_to(web.get("/request/cause")) == "/request/route"
    assert went_to(web.get("/request/referred")) == "/request/route"
    route = web.get("/request/route")
    assert '<a class="back-link" href="/request/red-flags">Back</a>' in page_text(route)
    assert "This visit is with Radiology & Pain Medicine." in main_text(route)
    assert "Tell us which days and times suit you" in main_text(route)
    web.post("/request/preferences", data={"days": ["monday"], "parts_of_day": ["morning"]})
    web.post("/request/details", data=DETAILS)
    check = main_text(web.get("/request/check"))
    assert "Likely cause" not in check and "Referred by a physician" not in check
    assert "Seen here before Yes" in check and "Fever or sudden inability to bear weight None" in check
    assert "/request/cause" not in page_text(web.get("/request/check"))
    assert went_to(web.post("/request/check")) == "/request/confirmation"
    (request,) = stored_requests(app)
    assert request.routed_visit_type.code == "injection" and request.routed_specialty.code == "radiology-pain"
    assert request.intake["seen_before"] is True and not request.urgent


def test_a_returning_patient_asking_for_a_follow_up_books_a_time_without_the_cause_or_referral(web, make_provider):
    make_provider("pmr")
    web.post("/request/what", data={"requested": "follow-up"})
    assert went_to(web.post("/request/seen-before", data={"seen_before": "yes"})) == "/request/red-flags"
    assert went_to(web.post("/request/red-flags", data={"red_flags": ["none"]})) == "/request/route"
    assert "You can choose a time now" in main_text(web.get("/request/route"))
    assert web.get("/request/time").status_code == 200  # the picker opens: no question is left


def test_a_returning_patient_with_a_red_flag_still_goes_to_the_urgent_page(web, make_provider, clinic_open):
    make_provider("pmr")
    route = answer_questions(web, requested="injection", seen_before="yes", red_flags=["cannot-bear-weight"])
    assert "Call us now on" in main_text(route)


def test_a_new_patient_is_still_asked_the_cause_and_the_referral_and_sees_them_on_the_check_page(web, make_provider):
    make_provider("pmr")
    web.post("/request/what", data={"requested": "injection"})
    assert went_to(web.post("/request/seen-before", data={"seen_before": "no"})) == "/request/cause"
    assert went_to(web.post("/request/cause", data={"cause": "postpartum"})) == "/request/red-flags"
    assert went_to(web.post("/request/red-flags", data={"red_flags": ["none"]})) == "/request/referred"
    assert went_to(web.post("/request/referred", data={"referred": "yes"})) == "/request/route"
    assert "New patients begin with a comprehensive evaluation" in main_text(web.get("/request/route"))
    assert 'value="postpartum" checked' in page_text(web.get("/request/cause"))


def test_changing_seen_before_on_check_your_answers_asks_or_drops_the_cause_and_referral(web, make_provider):
    make_provider("pmr")
    answer_questions(web, requested="unsure", seen_before="no", cause="trauma", referred="yes")
    slot = re.search(r'name="day" value="([^"]+)"', page_text(web.get("/request/time"))).group(1)
    times = page_text(web.get(f"/request/time?day={slot}"))
    web.post("/request/time", data={"slot": re.search(r'name="slot" value="([^"]+)"', times).group(1)})
    web.post("/request/details", data=DETAILS)
    new = main_text(web.get("/request/check"))
    assert f"Likely cause {CAUSES['trauma']}" in new and "Referred by a physician Yes" in new

    # "Change" whether seen before: now a returning patient, the known questions are not asked.
    assert went_to(web.post("/request/seen-before", data={"seen_before": "yes"})) == "/request/route"
    web.get("/request/route")
    returning = main_text(web.get("/request/check"))
    assert "Likely cause" not in returning and "Referred by a physician" not in returning

    # And back to new: the cause page is asked again, with the earlier answer still chosen.
    assert went_to(web.post("/request/seen-before", data={"seen_before": "no"})) == "/request/route"
    assert 'value="trauma" checked' in page_text(web.get("/request/cause"))


# ----- copy faults -------------------------------------------------------------------------------------

VISIT_CODES = [vt.code for vt in DEFAULT_VISIT_TYPES] + ["unsure"]


def sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.strip()) > 20]


@pytest.mark.parametrize("seen_before", ["yes", "no"])
@pytest.mark.parametrize("requested", VISIT_CODES)
def test_the_routing_page_has_no_doubled_words_and_says_each_thing_once(web, make_provider, requested, seen_before):
    for specialty in ("pmr", "radiology-pain", "ortho", "endo"):
        make_provider(specialty)
    text = main_text(answer_questions(web, requested=requested, seen_before=seen_before))
    assert "visit visits" not in text.lower()
    doubled = re.search(r"\b(\w+) \1\b", text, re.I)
    assert doubled is None, doubled
    said = sentences(text)
    assert len(said) == len(set(said)), said
    specialty = re.search(r"(Physical Medicine & Rehabilitation|Radiology & Pain Medicine|Orthopedic Surgery|"
                          r"Endocrinology)", text)  # fmt: skip
    assert specialty and text.count(specialty.group(1)) == 1, text


def test_a_follow_up_routed_by_the_last_rule_is_not_a_follow_up_visit_visit(web, make_provider):
    make_provider("pmr")
    text = main_text(answer_questions(web, requested="follow-up", seen_before="yes"))
    assert "Follow-up visit visits" not in text and "This visit is with Physical Medicine & Rehabilitation." in text


def body_text(response) -> str:
    """Everything a reader sees on the page: header, main content and footer."""
    body = re.search(r"<body.*?</body>", page_text(response), re.S).group(0)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body))).strip()


def test_no_journey_page_says_a_sentence_twice_or_doubles_a_word(web, make_provider):
    make_provider("pmr")
    pages = {"start": web.get("/")}
    answer_questions(web)
    for path in (*QUESTION_PAGES, "/request/route"):
        pages[path] = web.get(path)
    for name, response in pages.items():
        text = body_text(response)
        said = sentences(text)
        # The same sentence twice, or one inside another ("Monday to Friday, ..." in "Open Monday to Friday, ...").
        repeated = [(a, b) for i, a in enumerate(said) for j, b in enumerate(said) if i != j and a in b]
        assert not repeated, (name, repeated)
        assert re.search(r"\b(\w+) \1\b", text, re.I) is None, name
