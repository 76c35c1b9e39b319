"""The load test's traffic (Locust, headless; started by ``bench/load/run.py``, see docs/load-test.md).

Three kinds of simulated people, all over HTTP against the running server:

* ``Borrower`` (members with API tokens; most users): search the catalogue (filters, free-in-a-window),
  read a resource's availability, book — often the same few "hot" slots as everyone else, so requests
  really compete — list their bookings and cancel some they made.
* ``Manager`` (one per organisation, ``fixed_count``): read the requests waiting for their
  organisation's approval-requiring resources and approve (3 of 4) or decline them.
* ``Visitor`` (anonymous): the catalogue's HTML pages.

Every answer is classified by the request's name (``EXPECTED``): the statuses a correct server gives.
A 409 on a booking is a *conflict* — the engine refusing a taken slot, the point of the exercise — not an
error. Anything else (5xx, connection errors, timeouts, a 4xx not listed) is an error and marked as a
failure in Locust's statistics too. The counts, latencies and the first error samples are written as
JSON to ``LOAD_RESULTS`` when the run ends.

Environment: ``LOAD_FIXTURE`` (the seed's JSON), ``LOAD_RESULTS`` (where to write the results).
"""

import itertools
import json
import os
import random
import threading
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

from locust import FastHttpUser, between, events, task

FIXTURE = json.loads(Path(os.environ["LOAD_FIXTURE"]).read_text())
RESULTS = Path(os.environ["LOAD_RESULTS"])
WINDOW = FIXTURE["window"]
FIRST_DAY = date.fromisoformat(WINDOW["first_day"])
OPEN_FROM, OPEN_UNTIL = WINDOW["open_from"], WINDOW["open_until"]
BOOKABLE = FIXTURE["booked_resources"]
BY_ORGANISATION = {
    o["id"]: [r for r in BOOKABLE if r["organisation"] == o["id"]] for o in FIXTURE["organisations"]
}

# The statuses a correct server answers with, per request name; the second set are conflicts.
EXPECTED: dict[str, tuple[set[int], set[int]]] = {
    "search": ({200}, set()),
    "search free": ({200}, set()),
    "availability": ({200}, set()),
    "book": ({201}, {409}),
    "my bookings": ({200}, set()),
    "cancel": ({200}, set()),
    "pending": ({200}, set()),
    "booking detail": ({200}, set()),
    "approve": ({200}, set()),
    "decline": ({200}, set()),
    "catalogue page": ({200}, set()),
    "resource page": ({200}, set()),
}

# "Hot" slots: every borrower tries these again and again, so two requests for the same room and hour
# meet in the server at the same time (and every later one conflicts with the booking that won).
HOT_SLOTS = [
    (BOOKABLE[5 * n + k]["id"], FIRST_DAY + timedelta(days=1), hour, 2)
    for n in range(2)
    for k in (0, 1, 3)  # a room, the room needing approval (with buffers), the 4-unit equipment
    for hour in (10, 12)
]
HOT_SHARE = 0.4


# --- Recording ---------------------------------------------------------------------------------------

_lock = threading.Lock()
_counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
_times: dict[str, list[float]] = defaultdict(list)
_errors: list[dict] = []
_error_total = 0
_span = {"first": None, "last": None}  # epoch seconds of the first request's start, the last one's end
MAX_ERROR_SAMPLES = 30


def classify(name: str, status: int, exception: object) -> str:
    ok, conflict = EXPECTED[name]
    if exception is None and status in ok:
        return "ok"
    if exception is None and status in conflict:
        return "conflict"
    return "error"


@events.request.add_listener
def _record(
    request_type, name, response_time, response_length, response, exception, url=None, start_time=None, **kw
):
    global _error_total
    status = getattr(response, "status_code", 0) or 0
    outcome = classify(name, status, exception) if name in EXPECTED else "error"
    with _lock:
        _counts[name][outcome] += 1
        _counts[name][f"status {status}"] += 1
        _times[name].append(response_time)
        if start_time is not None:
            if _span["first"] is None or start_time < _span["first"]:
                _span["first"] = start_time
            end = start_time + response_time / 1000
            if _span["last"] is None or end > _span["last"]:
                _span["last"] = end
        if outcome == "error":
            _error_total += 1
            if len(_errors) < MAX_ERROR_SAMPLES:
                body = getattr(response, "text", "") or ""
                _errors.append(
                    {
                        "name": name,
                        "method": request_type,
                        "url": url,
                        "status": status,
                        "exception": repr(exception) if exception else None,
                        "body": body[:500],
                    }
                )


def _write_results(**_kwargs) -> None:
    with _lock:
        data = {
            "counts": {name: dict(counts) for name, counts in _counts.items()},
            "times_ms": {name: list(times) for name, times in _times.items()},
            "errors": _error_total,
            "first_request_at": _span["first"] or 0,
            "last_request_at": _span["last"] or 0,
            "error_samples": list(_errors),
        }
    RESULTS.write_text(json.dumps(data))


events.test_stop.add_listener(_write_results)
events.quitting.add_listener(_write_results)


def checked(response, name: str) -> str:
    """Mark the answer in Locust's own statistics as the classification says; return the outcome."""
    status = response.status_code or 0
    # FastHttpUser sets ``error`` for every 4xx/5xx too; only without a status is it a transport error.
    outcome = classify(name, status, None if status else (response.error or "no answer"))
    if outcome == "error":
        response.failure(f"unexpected {response.status_code}: {(response.text or '')[:200]}")
    else:
        response.success()
    return outcome


# --- Time helpers ------------------------------------------------------------------------------------


def local(day: date, hour: int) -> str:
    """Berlin wall-clock time without offset (the API reads it as Berlin time)."""
    return f"{day.isoformat()}T{hour:02d}:00:00"


def random_slot(rng: random.Random) -> tuple[date, int, int]:
    day = FIRST_DAY + timedelta(days=rng.randrange(WINDOW["days"]))
    hours = rng.choice((1, 2, 2, 3))
    start = rng.randrange(OPEN_FROM, OPEN_UNTIL - hours + 1)
    return day, start, hours


# --- Users -------------------------------------------------------------------------------------------

_borrowers = itertools.cycle(FIXTURE["borrowers"])
_managers = itertools.cycle(FIXTURE["managers"])


class Borrower(FastHttpUser):
    weight = 10
    wait_time = between(0.1, 0.5)

    def on_start(self) -> None:
        identity = next(_borrowers)
        self.organisation = identity["organisation"]
        self.headers = {"Authorization": f"Token {identity['token']}", "Accept-Language": "de"}
        self.rng = random.Random()
        self.confirmed: list[int] = []  # bookings this user made that were confirmed at once

    @task(3)
    def search(self) -> None:
        params = {}
        choice = self.rng.randrange(4)
        if choice == 0:
            params["kind"] = self.rng.choice(("room", "equipment"))
        elif choice == 1:
            params["feature"] = self.rng.choice(FIXTURE["features"])
        elif choice == 2:
            params["capacity_min"] = str(self.rng.choice((10, 30, 50)))
        else:
            params["q"] = self.rng.choice(("Saal", "Beamer", "Raum", "Werkstatt"))
        query = "&".join(f"{key}={value}" for key, value in params.items())
        with self.client.get(
            f"/api/v1/resources/?{query}", headers=self.headers, name="search", catch_response=True
        ) as response:
            checked(response, "search")

    @task(3)
    def search_free(self) -> None:
        day, start, hours = random_slot(self.rng)
        kind = self.rng.choice(("room", "equipment"))
        query = f"kind={kind}&free_from={local(day, start)}&free_until={local(day, start + hours)}"
        with self.client.get(
            f"/api/v1/resources/?{query}", headers=self.headers, name="search free", catch_response=True
        ) as response:
            checked(response, "search free")

    @task(3)
    def availability(self) -> None:
        resource = self.rng.choice(BOOKABLE)
        day = FIRST_DAY + timedelta(days=self.rng.randrange(WINDOW["days"] - 6))
        query = f"start={local(day, 0)}&end={local(day + timedelta(days=7), 0)}"
        with self.client.get(
            f"/api/v1/resources/{resource['id']}/availability/?{query}",
            headers=self.headers,
            name="availability",
            catch_response=True,
        ) as response:
            checked(response, "availability")

    @task(5)
    def book(self) -> None:
        if self.rng.random() < HOT_SHARE:
            resource_id, day, start, hours = self.rng.choice(HOT_SLOTS)
            resource = next(r for r in BOOKABLE if r["id"] == resource_id)
        else:
            resource = self.rng.choice(BOOKABLE)
            day, start, hours = random_slot(self.rng)
        quantity = 1
        if resource["kind"] == "equipment":
            quantity = self.rng.randint(1, resource["quantity"])
        body = {
            "resource": resource["id"],
            "start": local(day, start),
            "end": local(day, start + hours),
            "quantity": quantity,
            "organisation": self.organisation,
            "purpose": "Lasttest",
            "participants": self.rng.randint(1, 20),
        }
        with self.client.post(
            "/api/v1/bookings/", json=body, headers=self.headers, name="book", catch_response=True
        ) as response:
            if checked(response, "book") == "ok" and response.json()["status"] == "confirmed":
                self.confirmed.append(response.json()["id"])

    @task(1)
    def my_bookings(self) -> None:
        with self.client.get(
            "/api/v1/bookings/?status=confirmed",
            headers=self.headers,
            name="my bookings",
            catch_response=True,
        ) as response:
            checked(response, "my bookings")

    @task(1)
    def cancel(self) -> None:
        # Only bookings this user made and that were confirmed at once: nobody else changes them, so
        # the cancel never races with a manager's decision (that would be a legitimate 400).
        if not self.confirmed:
            return
        booking = self.confirmed.pop(self.rng.randrange(len(self.confirmed)))
        with self.client.post(
            f"/api/v1/bookings/{booking}/cancel/",
            json={"comment": "Lasttest: abgesagt"},
            headers=self.headers,
            name="cancel",
            catch_response=True,
        ) as response:
            checked(response, "cancel")


class Manager(FastHttpUser):
    """One per organisation: each decides only on its own organisation's requests, so two managers
    never race for the same request."""

    fixed_count = len(FIXTURE["managers"])
    wait_time = between(1.0, 2.0)

    def on_start(self) -> None:
        identity = next(_managers)
        self.headers = {"Authorization": f"Token {identity['token']}", "Accept-Language": "de"}
        self.rng = random.Random()
        self.approval = [r["id"] for r in BY_ORGANISATION[identity["organisation"]] if r["requires_approval"]]

    @task
    def decide(self) -> None:
        resource = self.rng.choice(self.approval)
        with self.client.get(
            f"/api/v1/bookings/?status=requested&resource={resource}",
            headers=self.headers,
            name="pending",
            catch_response=True,
        ) as response:
            if checked(response, "pending") != "ok":
                return
            pending = [b["id"] for b in response.json()["results"]]
        for booking in pending[:5]:
            if self.rng.random() < 0.3:
                with self.client.get(
                    f"/api/v1/bookings/{booking}/",
                    headers=self.headers,
                    name="booking detail",
                    catch_response=True,
                ) as response:
                    checked(response, "booking detail")
            if self.rng.random() < 0.75:
                name, body = "approve", {"comment": "Passt."}
            else:
                name, body = "decline", {"comment": "Lasttest: leider schon vergeben."}
            with self.client.post(
                f"/api/v1/bookings/{booking}/{name}/",
                json=body,
                headers=self.headers,
                name=name,
                catch_response=True,
            ) as response:
                checked(response, name)


class Visitor(FastHttpUser):
    weight = 1
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        self.rng = random.Random()
        self.headers = {"Accept-Language": "de"}

    @task(2)
    def catalogue(self) -> None:
        kind = self.rng.choice(("", "?kind=room", "?kind=equipment"))
        with self.client.get(
            f"/ressourcen/{kind}", headers=self.headers, name="catalogue page", catch_response=True
        ) as response:
            checked(response, "catalogue page")

    @task(1)
    def resource_page(self) -> None:
        resource = self.rng.choice(FIXTURE["all_resources"])
        with self.client.get(
            f"/ressourcen/{resource['slug']}/",
            headers=self.headers,
            name="resource page",
            catch_response=True,
        ) as response:
            checked(response, "resource page")
