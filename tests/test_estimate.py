"""The forward play of the office (services/estimate.py): pure functions over plain
values, no database."""
from __future__ import annotations

import math
import random

import pytest

from queue_app.services import estimate
from queue_app.services.estimate import AFTER_CLOSING, Call, CounterState, Job, Office, play, recent_mean

MIN = 60.0
REISSUE, PIN = 1, 2


def counters(n: int, **kwargs) -> tuple[CounterState, ...]:
    return tuple(CounterState(i, frozenset({REISSUE, PIN}), True, **kwargs) for i in range(n))


def office(cs, **kwargs) -> Office:
    return Office(cs, {REISSUE: 10 * MIN, PIN: 20 * MIN}, **kwargs)


def walk_ins(n: int, service: int = REISSUE) -> list[Job]:
    return [Job((2, i), service) for i in range(n)]


def minutes_of(calls, index):
    call = calls[index]
    if call is AFTER_CLOSING:
        return "after closing"
    return None if call is None else call.at / MIN


def test_idle_counters_call_at_once_then_one_service_later():
    calls = play(office(counters(3)), walk_ins(7), set(range(7)))
    assert [minutes_of(calls, i) for i in range(7)] == [0, 0, 0, 10, 10, 10, 20]


def test_what_is_left_at_a_busy_counter_comes_first():
    cs = (CounterState(0, frozenset({REISSUE}), True, free_in=4 * MIN),
          CounterState(1, frozenset({REISSUE}), True, free_in=7 * MIN))
    calls = play(office(cs), walk_ins(3), {0, 1, 2})
    assert [minutes_of(calls, i) for i in range(3)] == [4, 7, 14]


def test_expected_reserved_residents_go_ahead_of_a_walk_in():
    """A walk-in told '10 minutes' while three reserved residents check in before it is
    reached was told too little: the play puts them ahead, each as likely as they are."""
    jobs = walk_ins(2) + [Job((1, s), REISSUE, arrives_in=5 * MIN, weight=1.0) for s in range(3)]
    alone = play(office(counters(1)), walk_ins(2), {1})
    with_reserved = play(office(counters(1)), jobs, {1})
    assert minutes_of(alone, 1) == 10
    # W1 at 0 (10 min); by then the three reserved have arrived and go first: 10 + 30.
    assert minutes_of(with_reserved, 1) == 40
    # Half of them come, on average: half the work.
    halves = walk_ins(2) + [Job((1, s), REISSUE, arrives_in=5 * MIN, weight=0.5) for s in range(3)]
    assert minutes_of(play(office(counters(1)), halves, {1}), 1) == 25


def test_a_reserved_resident_expected_later_does_not_hold_up_an_idle_counter():
    jobs = walk_ins(2) + [Job((1, 0), REISSUE, arrives_in=30 * MIN)]
    calls = play(office(counters(1)), jobs, {0, 1})
    assert [minutes_of(calls, 0), minutes_of(calls, 1)] == [0, 10]


def test_a_counter_closed_until_one_oclock_comes_back():
    cs = (CounterState(0, frozenset({REISSUE}), True),
          CounterState(1, frozenset({REISSUE}), False, back_in=15 * MIN))
    calls = play(office(cs), walk_ins(4), set(range(4)))
    # 窓口1 alone until minute 15, then both.
    assert [minutes_of(calls, i) for i in range(4)] == [0, 10, 15, 20]


def test_a_closed_counter_without_a_return_time_calls_nobody():
    cs = (CounterState(0, frozenset({REISSUE}), False),)
    assert play(office(cs), walk_ins(1), {0}) == {0: None}


def test_the_usual_day_closes_a_counter_for_lunch_before_it_happens():
    """Three counters staffed, two from minute 20 (lunch), three again from minute 80."""
    plan = ((0.0, 3), (20 * MIN, 2), (80 * MIN, 3))
    calls = play(office(counters(3), staffed=plan), walk_ins(12), set(range(12)))
    without = play(office(counters(3)), walk_ins(12), set(range(12)))
    assert minutes_of(without, 11) == 30
    # 0: 3 calls, 10: 3 calls, 20: 2 calls (lunch), 30: 2, 40: 2 → the 12th at 40.
    assert minutes_of(calls, 11) == 40


def test_a_clerk_missing_against_the_plan_stays_missing():
    cs = counters(2) + (CounterState(2, frozenset({REISSUE, PIN}), False),)
    plan = ((0.0, 3), (60 * MIN, 3))
    calls = play(office(cs, staffed=plan), walk_ins(4), set(range(4)))
    assert [minutes_of(calls, i) for i in range(4)] == [0, 0, 10, 10]


def test_nobody_is_called_after_closing():
    calls = play(office(counters(1), closes_in=25 * MIN), walk_ins(4), set(range(4)))
    assert [minutes_of(calls, i) for i in range(4)] == [0, 10, 20, "after closing"]


def test_a_ticket_sent_to_one_counter_waits_for_it():
    cs = counters(2)
    jobs = [Job((2, 0), REISSUE, target=0), Job((2, 1), REISSUE, target=0), Job((2, 2), REISSUE)]
    calls = play(office(cs), jobs, {0, 1, 2})
    assert [minutes_of(calls, i) for i in range(3)] == [0, 10, 0]


def test_the_range_widens_with_the_work_ahead_and_holds_the_point():
    calls = play(office(counters(1)), walk_ins(10), set(range(10)))
    ranges = [calls[i].minutes() for i in range(10)]
    assert ranges[0] == (0, (0, 0))
    widths = [high - low for _, (low, high) in ranges]
    assert widths == sorted(widths) and widths[-1] > widths[1] > 0
    assert all(low <= point <= high for point, (low, high) in ranges)


def test_minutes_round_whole_seconds_first():
    assert Call(359.99999, 0.0).minutes() == (6, (6, 6))
    point, (low, high) = Call(20 * MIN, 3 * MIN).minutes()
    assert (point, low, high) == (20, math.floor(20 - 1.2816 * 3), math.ceil(20 + 1.2816 * 3))


def test_recent_services_weigh_most_and_the_prior_fades():
    weights = {"prior_weight": 3.0, "recent_weight": 0.8}
    assert recent_mean([], 900.0, **weights) == 900.0
    assert recent_mean([480.0, 240.0], 900.0, **weights) == pytest.approx(
        (480 + 0.8 * 240 + 0.64 * 3 * 900) / (1 + 0.8 + 1.92))
    ten_fast = recent_mean([300.0] * 10, 900.0, **weights)
    assert 300 < ten_fast < 400


def test_the_evening_counter_of_the_usual_day_stays_with_a_clerk_missing():
    """Planned 3 then 1 from minute 20 (the evening opening); one clerk is missing now.
    The evening keeps its one counter rather than none."""
    cs = counters(2) + (CounterState(2, frozenset({REISSUE, PIN}), False),)
    plan = ((0.0, 3), (20 * MIN, 1))
    calls = play(office(cs, staffed=plan, closes_in=60 * MIN), walk_ins(6), set(range(6)))
    assert [minutes_of(calls, i) for i in range(6)] == [0, 0, 10, 10, 20, 30]


def test_a_day_the_usual_day_ends_early_calls_the_rest_after_closing_not_never():
    """No counter staffed from minute 20 on: a ticket not called by then is not called
    today (the cut-off needs to know), unlike a ticket no counter is open for at all."""
    plan = ((0.0, 1), (20 * MIN, 0))
    calls = play(office(counters(1), staffed=plan, closes_in=60 * MIN), walk_ins(3), set(range(3)))
    assert [minutes_of(calls, i) for i in range(3)] == [0, 10, "after closing"]


def test_a_busy_office_plays_out_in_the_order_of_service():
    """Hundreds of counters and residents (the play keeps them in a heap and a sorted
    list): reserved residents arriving over the morning go ahead of the walk-ins
    present, a counter serving PIN only waits for its own, and the last walk-in is
    called when the counters have worked through everyone ahead of it."""
    cs = counters(50) + (CounterState(50, frozenset({PIN}), True),)
    expected = [Job((1, 3000.0 + i), REISSUE, arrives_in=i * 6.0, weight=1.0) for i in range(300)]
    walkers = walk_ins(400)
    jobs = walkers + expected + [Job((2, 999), PIN)]
    calls = play(office(cs), jobs, set(range(len(jobs))))
    # The PIN counter calls its one resident at once; the 50 others share 700 residents
    # of ten minutes, the reserved first whenever one has arrived.
    assert minutes_of(calls, len(jobs) - 1) == 0
    assert minutes_of(calls, 399) == 130  # walk-ins 0-399 and 300 reserved: 14 rounds
    # At 0 the first reserved resident and 49 walk-ins; from then on 100 reserved arrive
    # every ten minutes and 50 are called, so no walk-in is called until they are all in.
    assert [minutes_of(calls, 400 + i) for i in range(300)] == [10 * math.ceil(i / 50) for i in range(300)]
    assert [minutes_of(calls, i) for i in (0, 48, 49, 50, 99, 100)] == [0, 0, 60, 70, 70, 80]


class _PlainOffice:
    """The rules of who serves when, as first written (estimate.py's ``_Play``, copied
    so that a change there cannot change the reference too)."""

    def __init__(self, office: Office, servers: list):
        self.office, self.servers, self.closing_reached = office, servers, False
        points = {start for start, _ in office.staffed}
        points.update(s.state.back_in for s in servers if s.state.back_in is not None)
        self.points = sorted(p for p in points if p > 0)

    def allowed(self, t: float) -> int | None:
        steps = self.office.staffed
        if not steps:
            return None
        shortfall = max(0, steps[0][1] - sum(1 for s in self.servers if s.state.open))
        count = steps[0][1]
        for start, planned in steps:
            if start > t:
                break
            count = planned
        return max(min(count, 1), count - shortfall)

    def on_duty(self, server, t: float) -> bool:
        def present(s) -> bool:
            return s.state.open or (s.state.back_in is not None and t >= s.state.back_in)

        if not present(server):
            return False
        allowed = self.allowed(t)
        return allowed is None or server in sorted(filter(present, self.servers), key=lambda s: s.order)[:allowed]

    def next_free(self, server) -> float:
        t = server.free_at
        for moment in [t] + [p for p in self.points if p > t]:
            if moment >= self.office.closes_in:
                self.closing_reached = moment < math.inf or self.closing_reached
                return math.inf
            if self.on_duty(server, moment):
                return moment
        if server.state.open or server.state.back_in is not None:
            self.closing_reached = True
        return math.inf


def _plain_play(office: Office, jobs: list[Job], targets: set[int]) -> dict[int, Call | None]:
    """The play as first written: at each step every counter is asked when it is free
    next and every resident is scanned. Slow, and plainly the rule; ``play`` keeps
    counters in a heap and residents in sorted lists and must call the same residents
    at the same moments."""
    order = sorted(office.counters, key=lambda c: (not c.open, c.back_in or 0.0, c.id))
    servers = [estimate._Server(c, i, c.free_in if c.open else (c.back_in if c.back_in is not None else math.inf),
                                (office.cv * c.free_in) ** 2 if c.open else 0.0)
               for i, c in enumerate(order)]
    state = _PlainOffice(office, servers)

    def may_call(counter: CounterState, job: Job) -> bool:
        return job.target == counter.id if job.target is not None else job.service_id in counter.serves

    waiting = sorted(range(len(jobs)), key=lambda i: jobs[i].rank)
    remaining, calls, served = set(targets), {}, set()
    while remaining:
        best, best_t = None, math.inf
        for server in servers:
            if server.done:
                continue
            t = state.next_free(server)
            if t == math.inf:
                server.done = True
            elif t < best_t:
                best, best_t = server, t
        if best is None:
            break
        job_index = next((i for i in waiting if i not in served and jobs[i].arrives_in <= best_t
                          and may_call(best.state, jobs[i])), None)
        if job_index is None:
            later = [jobs[i].arrives_in for i in waiting if i not in served and jobs[i].arrives_in > best_t
                     and may_call(best.state, jobs[i])]
            if later:
                best.free_at = min(later)
            else:
                best.done = True
            continue
        job = jobs[job_index]
        served.add(job_index)
        if job_index in remaining:
            remaining.discard(job_index)
            spreads = [s.spread for s in servers if not s.done and may_call(s.state, job)]
            calls[job_index] = Call(best_t, math.sqrt(sum(spreads)) / max(1, len(spreads)))
        seconds = office.seconds(job.service_id)
        best.free_at = best_t + job.weight * seconds
        best.spread += job.weight * (office.cv * seconds) ** 2 + job.weight * (1 - job.weight) * seconds ** 2
    for index in remaining:
        calls[index] = AFTER_CLOSING if state.closing_reached else None
    return calls


def _random_office(rng: random.Random) -> tuple[Office, list[Job], set[int]]:
    services = [REISSUE, PIN, 3]
    cs = []
    for i in range(rng.randint(1, 6)):
        serves = frozenset(rng.sample(services, rng.randint(1, 3)))
        is_open = rng.random() < 0.7
        back_in = None if is_open or rng.random() < 0.4 else rng.choice([5, 30, 60]) * MIN
        cs.append(CounterState(i, serves, is_open, rng.choice([0.0, 0.0, 3 * MIN, 12 * MIN]), back_in))
    staffed = () if rng.random() < 0.5 else tuple(
        sorted({(0.0, rng.randint(1, 4)), (rng.choice([20, 45]) * MIN, rng.randint(0, 4))}))
    plan = Office(tuple(cs), {REISSUE: 10 * MIN, PIN: 4 * MIN}, rng.choice([math.inf, 90 * MIN, 240 * MIN]),
                  staffed)
    jobs = []
    for _ in range(rng.randint(0, 40)):
        expected = rng.random() < 0.3
        jobs.append(Job((rng.choice([0, 1, 2]), rng.randint(0, 15)), rng.choice(services),
                        rng.choice([None] * 6 + [c.id for c in cs]),
                        rng.choice([0, 5, 20, 50]) * MIN * rng.random() if expected else 0.0,
                        rng.choice([0.5, 0.9, 1.0]) if expected else 1.0))
    return plan, jobs, set(rng.sample(range(len(jobs)), min(len(jobs), rng.randint(1, 5))))


def test_the_play_calls_as_a_plain_scan_would_on_random_offices():
    """2,000 random offices (counters open, closed, coming back, serving some
    procedures; the usual day or none; residents present and expected, some sent to one
    counter, ties in rank): the fast play and the plain one give the same calls."""
    rng = random.Random(14)
    for _ in range(2000):
        plan, jobs, targets = _random_office(rng)
        fast, plain = play(plan, jobs, targets), _plain_play(plan, jobs, targets)
        assert fast.keys() == plain.keys()
        for index, call in plain.items():
            if call is None or call is AFTER_CLOSING:
                assert fast[index] is call
            else:
                assert (fast[index].at, fast[index].sigma) == pytest.approx((call.at, call.sigma))
