"""One generation at a time per loaded model, in arrival order, with a bounded queue and deadlines.

A loaded llama.cpp model is not thread-safe and a CPU runs one generation at a useful speed,
so every generation on a model goes through that model's :class:`GenerationScheduler`::

    scheduler = GenerationScheduler(max_waiting=8, deadline_s=120)

    with scheduler.slot() as ticket:               # from any thread
        for token in backend.tokens(prompt):
            ticket.raise_if_cancelled()            # GenerationTimeoutError past the deadline
            ...

    async with scheduler.aslot() as ticket:        # from asyncio: waits without blocking the loop
        await asyncio.to_thread(generate, ticket)  # run the blocking generation in a thread

Rules:

- **One at a time, first come first served.** Requests get the slot in the order they asked
  for it; a request never overtakes an earlier one.
- **Bounded waiting.** When ``max_waiting`` requests already wait, a new one raises
  :class:`ModelBusyError` at once, so a channel answers "busy, try again" instead of letting
  requests pile up behind a slow model. ``max_waiting=0`` means no queue at all.
- **Deadlines.** A request's deadline (``deadline_s`` of the scheduler, or of the call) counts
  from the moment it asks for the slot, so it bounds what the user waits in total. Passing
  it while still queued raises :class:`GenerationTimeoutError` without running; passing it
  while generating sets ``ticket.cancelled`` (a ``threading.Event``), and the backend's token
  loop stops and raises :class:`GenerationTimeoutError` (``ticket.raise_if_cancelled()``).

It deliberately does not run generations itself (the caller does, inside the slot), preempt
a generation (cancellation is cooperative: a prompt batch already inside llama.cpp finishes
first) or balance several models (one scheduler per loaded model).
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field

from assistant.models.errors import GenerationTimeoutError, ModelBusyError


@dataclass
class Ticket:
    """One request's claim on the model: its deadline, and the flag that cancels it."""

    id: int
    deadline_s: float
    created_at: float = field(default_factory=time.monotonic)
    started_at: float | None = None
    cancelled: threading.Event = field(default_factory=threading.Event)

    @property
    def wait_s(self) -> float:
        """Seconds spent queued before the slot was granted (so far, if still waiting)."""
        return (self.started_at or time.monotonic()) - self.created_at

    def remaining_s(self) -> float:
        """Seconds left before the deadline (negative once it has passed)."""
        return self.created_at + self.deadline_s - time.monotonic()

    def raise_if_cancelled(self) -> None:
        """Raise :class:`GenerationTimeoutError` if the deadline has passed; call it per token."""
        if self.cancelled.is_set():
            elapsed = time.monotonic() - self.created_at
            raise GenerationTimeoutError(
                f"generation stopped: the request passed its {self.deadline_s:g} s deadline "
                f"({elapsed:.1f} s since it was queued, {self.wait_s:.1f} s of it waiting)"
            )


@dataclass(frozen=True)
class SchedulerStats:
    """Counters since the scheduler was created, and the queue as it is now."""

    active: bool
    waiting: int
    served: int
    rejected_busy: int
    timed_out_waiting: int


@dataclass(eq=False)
class _Waiter:
    ticket: Ticket
    wake: Callable[[], None]
    granted: bool = False
    timer: threading.Timer | None = None


class GenerationScheduler:
    """FIFO slot for one loaded model; see the module docstring for the rules."""

    def __init__(self, max_waiting: int = 8, deadline_s: float = 120.0) -> None:
        if max_waiting < 0:
            raise ValueError(f"max_waiting must be >= 0, got {max_waiting}")
        if deadline_s <= 0:
            raise ValueError(f"deadline_s must be > 0, got {deadline_s}")
        self.max_waiting = max_waiting
        self.deadline_s = deadline_s
        self._lock = threading.Lock()
        self._queue: deque[_Waiter] = deque()
        self._active: _Waiter | None = None
        self._ids = itertools.count(1)
        self._served = 0
        self._rejected = 0
        self._timed_out = 0

    def stats(self) -> SchedulerStats:
        with self._lock:
            return SchedulerStats(
                active=self._active is not None,
                waiting=len(self._queue),
                served=self._served,
                rejected_busy=self._rejected,
                timed_out_waiting=self._timed_out,
            )

    @contextmanager
    def slot(self, deadline_s: float | None = None) -> Iterator[Ticket]:
        """Block the calling thread until the model is free; hold it for the ``with`` body."""
        granted = threading.Event()
        waiter = self._enqueue(deadline_s, granted.set)
        try:
            in_time = granted.wait(timeout=max(waiter.ticket.remaining_s(), 0.0))
        except BaseException:  # e.g. KeyboardInterrupt while queued: leave the queue cleanly
            self._abandon(waiter, timed_out=False)
            raise
        if not in_time:
            self._abandon(waiter, timed_out=True)
            raise self._timeout_while_waiting(waiter.ticket)
        try:
            yield waiter.ticket
        finally:
            self._release(waiter)

    @asynccontextmanager
    async def aslot(self, deadline_s: float | None = None) -> AsyncIterator[Ticket]:
        """Like :meth:`slot`, but waits on the event loop; run the generation in a thread."""
        loop = asyncio.get_running_loop()
        granted: asyncio.Future[None] = loop.create_future()

        def resolve() -> None:
            if not granted.done():
                granted.set_result(None)

        def wake() -> None:  # called from whichever thread releases the slot
            loop.call_soon_threadsafe(resolve)

        waiter = self._enqueue(deadline_s, wake)
        try:
            await asyncio.wait_for(granted, timeout=max(waiter.ticket.remaining_s(), 0.0))
        except TimeoutError:
            self._abandon(waiter, timed_out=True)
            raise self._timeout_while_waiting(waiter.ticket) from None
        except BaseException:  # the waiting task was cancelled
            self._abandon(waiter, timed_out=False)
            raise
        try:
            yield waiter.ticket
        finally:
            self._release(waiter)

    def _enqueue(self, deadline_s: float | None, wake: Callable[[], None]) -> _Waiter:
        deadline = self.deadline_s if deadline_s is None else deadline_s
        if deadline <= 0:
            raise ValueError(f"deadline_s must be > 0, got {deadline}")
        waiter = _Waiter(Ticket(id=next(self._ids), deadline_s=deadline), wake)
        with self._lock:
            if self._active is None and not self._queue:
                self._grant(waiter)
            elif len(self._queue) >= self.max_waiting:
                self._rejected += 1
                raise ModelBusyError(
                    f"the model is busy: {len(self._queue)} request(s) already waiting "
                    f"(limit {self.max_waiting}); try again in a moment"
                )
            else:
                self._queue.append(waiter)
                return waiter
        wake()
        return waiter

    def _grant(self, waiter: _Waiter) -> None:
        """Give ``waiter`` the slot and arm its deadline. Caller holds the lock."""
        ticket = waiter.ticket
        waiter.granted = True
        ticket.started_at = time.monotonic()
        self._active = waiter
        timer = threading.Timer(max(ticket.remaining_s(), 0.0), ticket.cancelled.set)
        timer.daemon = True
        timer.start()
        waiter.timer = timer

    def _release(self, waiter: _Waiter, *, served: bool = True) -> None:
        """End ``waiter``'s turn and hand the slot to the next one in line."""
        with self._lock:
            if waiter.timer is not None:
                waiter.timer.cancel()
            if self._active is not waiter:
                return
            self._active = None
            self._served += served
            following = self._queue.popleft() if self._queue else None
            if following is not None:
                self._grant(following)
        if following is not None:
            try:
                following.wake()
            except RuntimeError:  # its event loop is closed: nobody will use the slot
                self._release(following, served=False)

    def _abandon(self, waiter: _Waiter, *, timed_out: bool) -> None:
        """A queued request gives up (deadline or cancellation); pass the slot on if it had it."""
        with self._lock:
            self._timed_out += timed_out
            if not waiter.granted:
                self._queue.remove(waiter)
                return
        self._release(waiter, served=False)

    def _timeout_while_waiting(self, ticket: Ticket) -> GenerationTimeoutError:
        return GenerationTimeoutError(
            f"the model stayed busy for the whole {ticket.deadline_s:g} s deadline of this request; "
            "nothing was generated, try again in a moment"
        )
