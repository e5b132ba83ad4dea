"""GenerationScheduler with real threads and a real event loop: order, bounds, deadlines.

Nothing here asserts speed; waits are bounded by generous timeouts and synchronised with
events, so a slow machine makes the tests slower, never wrong.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

import pytest

from assistant.models.errors import GenerationTimeoutError, ModelBusyError, ModelError
from assistant.models.scheduler import GenerationScheduler, Ticket

PATIENCE = 10.0  # upper bound for anything that should happen "soon"


def wait_until(condition: Callable[[], bool], what: str) -> None:
    end = time.monotonic() + PATIENCE
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.001)


class Holder:
    """A thread that takes the slot and keeps it until told to let go."""

    def __init__(self, scheduler: GenerationScheduler) -> None:
        self.acquired = threading.Event()
        self.let_go = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(scheduler,), daemon=True)
        self.thread.start()
        assert self.acquired.wait(PATIENCE)

    def _run(self, scheduler: GenerationScheduler) -> None:
        with scheduler.slot():
            self.acquired.set()
            self.let_go.wait(PATIENCE)

    def release(self) -> None:
        self.let_go.set()
        self.thread.join(PATIENCE)


def test_free_scheduler_grants_at_once_and_counts() -> None:
    scheduler = GenerationScheduler(max_waiting=2, deadline_s=30)
    with scheduler.slot() as ticket:
        assert isinstance(ticket, Ticket)
        assert ticket.deadline_s == 30
        assert not ticket.cancelled.is_set()
        assert scheduler.stats().active
    stats = scheduler.stats()
    assert (stats.active, stats.waiting, stats.served) == (False, 0, 1)


def test_requests_get_the_slot_in_arrival_order() -> None:
    scheduler = GenerationScheduler(max_waiting=10, deadline_s=30)
    holder = Holder(scheduler)
    order: list[int] = []
    threads = []
    for number in range(6):
        thread = threading.Thread(target=_take_and_record, args=(scheduler, order, number))
        thread.start()
        threads.append(thread)
        queued = number + 1
        wait_until(lambda: scheduler.stats().waiting == queued, f"request {number} is queued")  # noqa: B023
    holder.release()
    for thread in threads:
        thread.join(PATIENCE)
    assert order == list(range(6))
    assert scheduler.stats().served == 7


def _take_and_record(scheduler: GenerationScheduler, order: list[int], number: int) -> None:
    with scheduler.slot():
        order.append(number)


def test_full_queue_answers_busy_immediately() -> None:
    scheduler = GenerationScheduler(max_waiting=2, deadline_s=30)
    holder = Holder(scheduler)
    waiting = [threading.Thread(target=_take_and_record, args=(scheduler, [], n)) for n in range(2)]
    for thread in waiting:
        thread.start()
    wait_until(lambda: scheduler.stats().waiting == 2, "two requests are queued")
    busy = r"busy: 2 request\(s\) already waiting \(limit 2\)"
    with pytest.raises(ModelBusyError, match=busy), scheduler.slot():
        pytest.fail("a request beyond the queue bound must not run")
    holder.release()
    for thread in waiting:
        thread.join(PATIENCE)
    stats = scheduler.stats()
    assert (stats.served, stats.rejected_busy, stats.waiting) == (3, 1, 0)


def test_no_queue_when_max_waiting_is_zero() -> None:
    scheduler = GenerationScheduler(max_waiting=0, deadline_s=30)
    holder = Holder(scheduler)
    with pytest.raises(ModelBusyError), scheduler.slot():
        pass
    holder.release()
    with scheduler.slot():
        pass


def test_deadline_cancels_a_running_generation() -> None:
    scheduler = GenerationScheduler(max_waiting=1, deadline_s=30)
    tokens = 0
    with (
        pytest.raises(GenerationTimeoutError, match=r"passed its 0\.05 s deadline"),
        scheduler.slot(deadline_s=0.05) as ticket,
    ):
        while True:  # a token loop that would never end on its own
            ticket.raise_if_cancelled()
            tokens += 1
            ticket.cancelled.wait(0.01)
    assert tokens >= 1
    assert not scheduler.stats().active
    with scheduler.slot() as later:  # the slot was released, the next request runs normally
        assert not later.cancelled.is_set()


def test_finished_generation_is_not_cancelled_afterwards() -> None:
    scheduler = GenerationScheduler(max_waiting=1, deadline_s=0.05)
    with scheduler.slot() as ticket:
        pass
    assert not ticket.cancelled.wait(0.3)


def test_deadline_passing_while_queued_raises_without_running() -> None:
    scheduler = GenerationScheduler(max_waiting=4, deadline_s=30)
    holder = Holder(scheduler)
    with (
        pytest.raises(GenerationTimeoutError, match=r"stayed busy for the whole 0\.05 s deadline"),
        scheduler.slot(deadline_s=0.05),
    ):
        pytest.fail("a request past its deadline must not run")
    stats = scheduler.stats()
    assert (stats.waiting, stats.timed_out_waiting) == (0, 1)
    holder.release()
    with scheduler.slot():
        pass


def test_errors_release_the_slot_and_share_a_base_class() -> None:
    scheduler = GenerationScheduler(max_waiting=1, deadline_s=30)
    with pytest.raises(ValueError, match="backend exploded"), scheduler.slot():
        raise ValueError("backend exploded")
    assert not scheduler.stats().active
    assert issubclass(ModelBusyError, ModelError) and issubclass(GenerationTimeoutError, ModelError)


def test_never_two_generations_at_once_under_contention() -> None:
    scheduler = GenerationScheduler(max_waiting=16, deadline_s=60)
    inside = 0
    most_inside = 0
    counter_lock = threading.Lock()
    start = threading.Barrier(8)

    def worker() -> None:
        nonlocal inside, most_inside
        start.wait(PATIENCE)
        for _ in range(25):
            with scheduler.slot():
                with counter_lock:
                    inside += 1
                    most_inside = max(most_inside, inside)
                time.sleep(0)  # let other threads run while the slot is held
                with counter_lock:
                    inside -= 1

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(PATIENCE * 3)
    assert most_inside == 1
    assert scheduler.stats().served == 200


def test_invalid_arguments_are_rejected() -> None:
    with pytest.raises(ValueError, match="max_waiting"):
        GenerationScheduler(max_waiting=-1)
    with pytest.raises(ValueError, match="deadline_s"):
        GenerationScheduler(deadline_s=0)
    with pytest.raises(ValueError, match="deadline_s"), GenerationScheduler().slot(deadline_s=-1):
        pass


def test_async_waiter_does_not_block_the_event_loop() -> None:
    scheduler = GenerationScheduler(max_waiting=4, deadline_s=30)
    holder = Holder(scheduler)

    async def main() -> list[str]:
        events: list[str] = []

        async def generation() -> None:
            async with scheduler.aslot() as ticket:
                events.append("granted")
                await asyncio.to_thread(ticket.raise_if_cancelled)

        task = asyncio.create_task(generation())
        await asyncio.to_thread(wait_until, lambda: scheduler.stats().waiting == 1, "the task is queued")
        events.append("loop still running")  # only possible if aslot waits without blocking
        holder.release()
        await asyncio.wait_for(task, PATIENCE)
        return events

    assert asyncio.run(main()) == ["loop still running", "granted"]
    assert scheduler.stats().served == 2


def test_async_and_thread_requests_share_one_fifo_queue() -> None:
    scheduler = GenerationScheduler(max_waiting=4, deadline_s=30)
    holder = Holder(scheduler)
    order: list[str] = []

    async def main() -> None:
        async def from_async(name: str) -> None:
            async with scheduler.aslot():
                order.append(name)

        first = asyncio.create_task(from_async("async-1"))
        await asyncio.to_thread(wait_until, lambda: scheduler.stats().waiting == 1, "async-1 queued")
        thread = threading.Thread(target=lambda: _take_and_record_name(scheduler, order, "thread-2"))
        thread.start()
        await asyncio.to_thread(wait_until, lambda: scheduler.stats().waiting == 2, "thread-2 queued")
        third = asyncio.create_task(from_async("async-3"))
        await asyncio.to_thread(wait_until, lambda: scheduler.stats().waiting == 3, "async-3 queued")
        holder.release()
        await asyncio.wait_for(asyncio.gather(first, third), PATIENCE)
        await asyncio.to_thread(thread.join, PATIENCE)

    asyncio.run(main())
    assert order == ["async-1", "thread-2", "async-3"]


def _take_and_record_name(scheduler: GenerationScheduler, order: list[str], name: str) -> None:
    with scheduler.slot():
        order.append(name)


def test_cancelled_async_waiter_leaves_the_queue() -> None:
    scheduler = GenerationScheduler(max_waiting=4, deadline_s=30)
    holder = Holder(scheduler)

    async def main() -> None:
        async def wait_for_slot() -> None:
            async with scheduler.aslot():
                pytest.fail("a cancelled request must not run")

        task = asyncio.create_task(wait_for_slot())
        await asyncio.to_thread(wait_until, lambda: scheduler.stats().waiting == 1, "the task is queued")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert scheduler.stats().waiting == 0
    holder.release()
    with scheduler.slot():  # the slot still passes on normally
        pass


def test_async_deadline_while_queued() -> None:
    scheduler = GenerationScheduler(max_waiting=4, deadline_s=30)
    holder = Holder(scheduler)

    async def main() -> None:
        async with scheduler.aslot(deadline_s=0.05):
            pytest.fail("a request past its deadline must not run")

    with pytest.raises(GenerationTimeoutError):
        asyncio.run(main())
    assert scheduler.stats().timed_out_waiting == 1
    holder.release()
    assert scheduler.stats().served == 1
