"""Which of the store's types a request names, when the rules cannot tell: one forced call.

:func:`index.product_types.read_type_request` reads most requests alone. A Chinese word the
catalog never uses whose head (a compound's last character: 行李箱 -> 箱) is the head of types
the store sells (拉杆箱, 登机箱) may name those (a 拉杆箱 is a 行李箱) or another kind of thing
(a 瑜伽垫 is no 坐垫); only the meaning tells. :func:`choose_types` asks the chat model once,
grammar-constrained: the answer is a list drawn from those types and "none of these", so it
cannot name anything else. The prompt starts the same for every request (a server reads it
ahead of time, :func:`prompt_start`); the choices reach the grammar apart from the prompt.

Deliberately not here: when to ask (:func:`tools.shopping.search_products`), caching the
answers (:class:`tools.product_texts.ProductTexts`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from tools.forced_call import forced_list

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import BaseMessage

TOOL_NAME = "MatchingTypes"
Lang = Literal["en", "zh"]
NONE = {"en": "none of these", "zh": "都不是"}
_PROMPTS = {
    "en": (
        "You help a shop tell whether a shopper's request names a kind of product the shop sells. "
        "Choose a kind only when it is the thing the shopper asks for (the same thing, or one sort of "
        f"it); a different thing with a similar name is not. If none fits, choose '{NONE['en']}'. "
        f"Call {TOOL_NAME} with your choice."
    ),
    "zh": (
        "你帮网店判断顾客要找的东西是不是店里卖的某类商品。只有当某类商品就是顾客要的东西（同一种东西，"
        f"或它的一种）时才选它；名字相近但用途不同的东西不算。都不符合时选“{NONE['zh']}”。"
        f"调用 {TOOL_NAME} 给出选择。"
    ),
}
_ASK = {
    "en": "The shopper asks for: {asked}\nKinds the shop sells: {kinds}",
    "zh": "顾客要找：{asked}\n店里卖的类别：{kinds}",
}


def types_tool() -> dict[str, Any]:
    """The ``MatchingTypes`` tool: the kinds chosen (their enum is bound per call)."""
    return {
        "type": "function",
        "function": {
            "name": TOOL_NAME,
            "description": "Record the kinds of product that are what the shopper asks for.",
            "parameters": {
                "type": "object",
                "properties": {"kinds": {"type": "array", "minItems": 1, "items": {"type": "string"}}},
                "required": ["kinds"],
            },
        },
    }


def prompt_start(lang: Lang) -> tuple[list[BaseMessage], list[dict[str, Any]]]:
    """The messages and tools every choice in ``lang`` starts with."""
    from langchain_core.messages import SystemMessage

    return [SystemMessage(content=_PROMPTS[lang])], [types_tool()]


def choose_types(model: BaseChatModel, asked: str, kinds: list[str], lang: Lang) -> list[str]:
    """The ones of ``kinds`` (type names as the catalog writes them) that are what ``asked``
    names, in their order; empty for none. Raises ``ValueError`` when the model does not call
    the tool, and what the model raises."""
    from langchain_core.messages import HumanMessage

    choices = [*kinds, NONE[lang]]
    bounds = {"kinds": {"type": "array", "minItems": 1, "maxItems": len(choices),
                        "items": {"type": "string", "enum": choices}}}  # fmt: skip
    listed = ("、" if lang == "zh" else ", ").join(kinds)
    messages = [*prompt_start(lang)[0], HumanMessage(content=_ASK[lang].format(asked=asked, kinds=listed))]
    chosen = {str(kind) for kind in forced_list(model, types_tool(), messages, "kinds", bounds)}
    if NONE[lang] in chosen:
        return []
    return [kind for kind in kinds if kind in chosen]
