"""Evaluation sets shipped with shopbot (package data, read with ``importlib.resources``).

``routing_set.jsonl``: shopping and merchant requests in English and Chinese, each labelled
with the tool of ``tools.shopping`` the assistant should call first; ``shopbot bench model``
measures tool-call validity and right-tool accuracy on it. One JSON object a line: ``id``,
``lang`` ("en" | "zh"), ``request``, ``expected_tool`` and optional ``expected_args``
(argument values a correct call must carry). Written for this project; free to ship.

``conversations.jsonl``: multi-turn conversations for ``shopbot eval assistant``: ``id``,
``lang``, ``role`` and ``turns``, each ``{"text", "tool", "args"}`` where ``tool`` is the tool
the turn must call first (``null``: no tool; a list: any of these), ``args`` values the call
must carry, ``"$2"`` standing for the id of the second product of the last result list, and
a text starting with ``LONG:`` is padded to 10,000 characters. Written for this project.

``relevance_{demo,litemall,flipkart}.jsonl``: first messages for ``shopbot eval relevance``,
each with what a shown card must be to match it: ``expect`` ("match" | "none": the store has
no such product), ``any`` / ``not`` terms of the title or category path, ``audience``,
``min_price`` / ``max_price`` and ``trap`` ("unit": a number that is no price). The requests are
written for this project (the catalogs' own rows stay in ``../shared/data``); see
:mod:`assistant.relevance_eval`.
"""
