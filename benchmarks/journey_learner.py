"""One simulated learner of the journey benchmark: every request a browser makes, over HTTP.

The learner is launched by the sandbox LMS (``SandboxDriver.launch``: the platform starts the
launch, the tool's OIDC login, the platform's authorization, the id_token POST), then follows
the pages the tool renders, the way a person with JavaScript on does: disclosures, pre-test
(answers saved as drafts, as ``static/journey.js`` does on change), every content section by
its "Next" link, the post-test (drafts, then the right answers), the result page, the
evaluation (drafts, then submitted), the activity record, the credit claim as a physician,
the certificate page and its PDF.

Each request is timed under the name of the step that made it (redirects followed, as a
browser shows the next page). The first answer that is not what a working tool sends ends
the journey, as it would stop a learner; it is kept with its status and first line.

Used by ``benchmarks/journeys.py`` and by ``tests/e2e/test_journey_benchmark.py``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import requests

from lti_tool.course import Activity, load_activity
from lti_tool.sandbox.driver import LaunchRefused, SandboxDriver

ROOT = Path(__file__).resolve().parent.parent
ACTIVITY_DIR = ROOT / "configs" / "activities" / "cervical-dystonia"
# journey.js saves a draft 800 ms after the last change: a learner answering at a steady
# pace sends about one draft per few answers.
ANSWERS_PER_DRAFT = 3


class JourneyFailed(Exception):
    """The tool answered something a working tool does not: the learner stops here."""

    def __init__(self, step: str, status: str, first_line: str) -> None:
        super().__init__(f"{step}: {status} {first_line}")
        self.step = step
        self.status = status
        self.first_line = first_line


@dataclass
class Form:
    action: str
    method: str
    hidden: dict[str, str] = field(default_factory=dict)
    radios: dict[str, list[str]] = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)
    buttons: list[str] = field(default_factory=list)
    draft_url: str = ""


class _PageParser(HTMLParser):
    """Forms (hidden fields, radio groups, text fields, buttons) and links of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.links: list[tuple[str, str]] = []
        self._form: Form | None = None
        self._text: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._form = Form(
                values.get("action", ""),
                values.get("method", "get").lower(),
                draft_url=values.get("data-draft-url", ""),
            )
            self.forms.append(self._form)
        elif tag in ("input", "textarea", "select") and self._form is not None:
            kind, name = values.get("type", "text"), values.get("name", "")
            if kind == "hidden":
                self._form.hidden[name] = values.get("value", "")
            elif kind == "radio":
                self._form.radios.setdefault(name, []).append(values.get("value", ""))
            elif name:
                self._form.texts.append(name)
        elif tag in ("a", "button"):
            self._text = [values.get("href", "")] if tag == "a" else ["<button>"]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("a", "button") and self._text is not None:
            label = " ".join("".join(self._text[1:]).split())
            if self._text[0] == "<button>":
                if self._form is not None:
                    self._form.buttons.append(label)
            else:
                self.links.append((self._text[0], label))
            self._text = None
        elif tag == "form":
            self._form = None

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)


def first_line(response: requests.Response) -> str:
    """What the page says went wrong: the heading and first paragraph of an HTML page (the
    tool's error pages), else the first non-empty line of the body."""
    body = response.text
    heading = re.search(r"<h1[^>]*>(.*?)</h1>\s*(?:<p[^>]*>(.*?)</p>)?", body, re.S | re.I)
    if heading:
        text = " ".join(part for part in heading.groups() if part)
    else:
        text = next((line for line in body.splitlines() if line.strip()), "")
    text = " ".join(re.sub(r"<[^>]+>", " ", text).split())
    return text[:160] or "(empty body)"


class Page:
    def __init__(self, step: str, response: requests.Response) -> None:
        self.step = step
        self.url = response.url
        parser = _PageParser()
        parser.feed(response.text)
        self.forms = parser.forms
        self.links = [(urljoin(self.url, href), text) for href, text in parser.links]
        for form in self.forms:
            form.action = urljoin(self.url, form.action)
            form.draft_url = urljoin(self.url, form.draft_url) if form.draft_url else ""

    def form(self, button: str) -> Form:
        for form in self.forms:
            if any(label.startswith(button) for label in form.buttons):
                return form
        raise JourneyFailed(self.step, "page", f"no form with a {button!r} button on {self.url}")

    def link(self, text: str) -> str | None:
        return next((href for href, label in self.links if label.startswith(text)), None)


Timings = dict[str, list[float]]


class Learner:
    """One learner, one browser: ``run()`` walks the whole journey or raises JourneyFailed."""

    def __init__(
        self,
        driver: SandboxDriver,
        username: str,
        activity: Activity,
        *,
        timeout: Callable[[], float] = lambda: 60.0,
    ) -> None:
        self.driver = driver
        self.username = username
        self.activity = activity
        self.timeout = timeout
        self.browser = requests.Session()
        self.timings: Timings = {}
        self.certificate_pdf = b""
        # Scores the tool owes the LMS: the post-test's, then the completion's.
        self.scores_owed = 0

    # -- HTTP, timed and checked ---------------------------------------------------------------
    def _timed(self, step: str, call: Callable[[], requests.Response]) -> requests.Response:
        started = time.perf_counter()
        try:
            response = call()
        except requests.Timeout as error:
            raise JourneyFailed(step, "timeout", type(error).__name__) from error
        except requests.RequestException as error:
            raise JourneyFailed(step, "no answer", f"{type(error).__name__}: {error}") from error
        self.timings.setdefault(step, []).append(time.perf_counter() - started)
        return response

    def _expect(self, step: str, response: requests.Response, status: int = 200) -> Page:
        if response.status_code != status:
            raise JourneyFailed(step, str(response.status_code), first_line(response))
        return Page(step, response)

    def get(self, step: str, url: str) -> Page:
        response = self._timed(step, lambda: self.browser.get(url, timeout=self.timeout()))
        return self._expect(step, response)

    def post(self, step: str, url: str, data: dict[str, str], status: int = 200) -> Page:
        response = self._timed(
            step, lambda: self.browser.post(url, data=data, timeout=self.timeout())
        )
        return self._expect(step, response, status)

    # -- the journey ------------------------------------------------------------------------------
    def run(self) -> None:
        self.claim_and_download(self.to_claim_form())

    def to_claim_form(self) -> Page:
        """Launch and walk the activity up to the credit claim form."""
        page = self.launch()
        page = self.post("disclosures", *self._fields(page.form("I have read the disclosures")))
        page = self.answer("pretest", page, "Submit the pre-test", self._first_choice)
        while (following := page.link("Next: ")) is not None:
            page = self.get("content section", following)
        posttest = page.link("Continue to the post-test")
        if posttest is None:
            raise JourneyFailed("content section", "page", f"no way to the post-test on {page.url}")
        page = self.get("posttest", posttest)
        page = self.answer("posttest", page, "Submit my answers", self._correct_choice)
        self.scores_owed += 1
        evaluation = page.link("Go to the evaluation")
        if evaluation is None:
            raise JourneyFailed("posttest submit", "page", f"not passed: {page.url}")
        page = self.get("evaluation", evaluation)
        page = self.evaluate(page)
        self.scores_owed += 1
        claim = page.link("Claim your credit and certificate")
        if claim is None:
            raise JourneyFailed("evaluation submit", "page", f"no credit to claim on {page.url}")
        # The form's first step is a GET of the same page with the profession chosen.
        return self.get(
            "claim form", claim + ("&" if "?" in claim else "?") + "profession=physician"
        )

    def claim_and_download(self, page: Page) -> None:
        """Claim credit on the claim form ``page``, then download the certificate PDF."""
        page = self.claim(page)
        pdf = page.link("Download your certificate (PDF)")
        if pdf is None:
            raise JourneyFailed("claim submit", "page", f"no certificate to download on {page.url}")
        response = self._timed(
            "certificate pdf", lambda: self.browser.get(pdf, timeout=self.timeout())
        )
        # Not parsed as a page: a PDF's bytes can look like broken markup to the HTML parser.
        if response.status_code != 200:
            raise JourneyFailed("certificate pdf", str(response.status_code), first_line(response))
        if not response.content.startswith(b"%PDF"):
            raise JourneyFailed("certificate pdf", "200", "the download is not a PDF")
        self.certificate_pdf = response.content

    def launch(self) -> Page:
        started = time.perf_counter()
        self.driver.timeout = self.timeout()
        try:
            response = self.driver.launch(self.browser, self.username)
            if response.status_code == 303:
                response = self.browser.get(response.headers["Location"], timeout=self.timeout())
        except LaunchRefused as refused:
            answer = refused.response
            raise JourneyFailed(
                "launch",
                str(answer.status_code) if answer is not None else "refused",
                first_line(answer) if answer is not None else str(refused),
            ) from refused
        except requests.RequestException as error:
            raise JourneyFailed("launch", "no answer", f"{type(error).__name__}") from error
        except RuntimeError as error:  # a sandbox hook refused (the platform side)
            raise JourneyFailed("launch", "sandbox", str(error).splitlines()[0][:160]) from error
        self.timings.setdefault("launch", []).append(time.perf_counter() - started)
        return self._expect("launch", response)

    @staticmethod
    def _fields(form: Form, answers: dict[str, str] | None = None) -> tuple[str, dict[str, str]]:
        return form.action, {**form.hidden, **(answers or {})}

    def answer(
        self, name: str, page: Page, button: str, choose: Callable[[str, list[str]], str]
    ) -> Page:
        """Answer every question of a test, saving a draft every few answers, then submit."""
        form = page.form(button)
        answers: dict[str, str] = {}
        for question_id, values in form.radios.items():
            answers[question_id] = choose(question_id, values)
            if form.draft_url and len(answers) % ANSWERS_PER_DRAFT == 0:
                self.post(f"{name} draft", form.draft_url, {**form.hidden, **answers}, 204)
        return self.post(f"{name} submit", *self._fields(form, answers))

    @staticmethod
    def _first_choice(question_id: str, values: list[str]) -> str:
        return values[0]

    def _correct_choice(self, question_id: str, values: list[str]) -> str:
        question = self.activity.posttest.question(question_id)
        return question.correct if question is not None else values[0]

    def evaluate(self, page: Page) -> Page:
        form = page.form("Submit the evaluation")
        answers: dict[str, str] = {}
        for item in self.activity.evaluation_items:
            if item.when is not None:
                continue  # shown only for another answer than the one given here
            keys = [key for key, _ in item.options]
            answers[item.id] = ("yes" if "yes" in keys else keys[0]) if keys else "Benchmark."
            if form.draft_url and len(answers) % ANSWERS_PER_DRAFT == 0:
                self.post("evaluation draft", form.draft_url, {**form.hidden, **answers}, 204)
        return self.post("evaluation submit", *self._fields(form, answers))

    def claim(self, page: Page) -> Page:
        form = page.form("Claim credit and issue my certificate")
        return self.post(
            "claim submit",
            *self._fields(
                form,
                {
                    "certificate_name": f"Bench {self.username}",
                    "degree": "MD",
                    "profession": "physician",
                    "email": f"{self.username}@example.org",
                    "time_spent_minutes": "75",
                    "credits": "1.25",
                    "attestation": "yes",
                },
            ),
        )


def the_activity() -> Activity:
    return load_activity(ACTIVITY_DIR)
