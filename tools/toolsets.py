"""Every tool a role may call, for the fast path and for other software (MCP, the HTTP API).

The chat model is offered fewer (:func:`tools.shopping.tools_for`): each schema it reads costs
prompt time on two cores, and the recommendation, merchant-table and campaign tools are reached from the
rules (:mod:`assistant.intents`) and from buttons, not from the model's choices.
"""

from __future__ import annotations

from tools.campaign_tools import run_campaign
from tools.recommend import bought_together, bought_together_pairs, buyers_of, goes_with, recommend_for_you
from tools.shopping import MERCHANT_TOOLS, SHOPPER_TOOLS

SHOPPER_CALLS = (*SHOPPER_TOOLS, recommend_for_you, bought_together, goes_with)
MERCHANT_CALLS = (
    *MERCHANT_TOOLS,
    recommend_for_you,
    bought_together,
    goes_with,
    buyers_of,
    bought_together_pairs,
    run_campaign,
)
