"""Evaluation sets shipped with shopbot (package data, read with ``importlib.resources``).

``routing_set.jsonl``: shopping and merchant requests in English and Chinese, each labelled
with the tool of ``tools.shopping`` the assistant should call first; ``shopbot bench model``
measures tool-call validity and right-tool accuracy on it. One JSON object a line: ``id``,
``lang`` ("en" | "zh"), ``request``, ``expected_tool`` and optional ``expected_args``
(argument values a correct call must carry). Written for this project; free to ship.
"""
