"""Replies rendered from facts, in English and Chinese, without the model.

Used by the deterministic steps (an obvious search, "cheaper?", "compare the first two") and
to repair a model reply that failed the grounding check. Every number comes from a tool
result, so a templated reply is grounded by construction. Kept short: the product cards carry
the details, the text names at most three products.
"""

from __future__ import annotations

from typing import Any

from tools.cards import format_price

SHOWN_IN_TEXT = 3
OPTION_LABELS = {
    "size": "尺码",
    "color": "颜色",
    "material": "材质",
    "climate": "适用气候",
    "activity": "适用运动",
}
SENTIMENT_LABELS = {"positive": "正面", "neutral": "中性", "negative": "负面", "unrated": "无评分"}


def _price(item: dict[str, Any]) -> str:
    return format_price(item["price"], item.get("currency")) if item.get("price") is not None else ""


def product_line(index: int, item: dict[str, Any], lang: str) -> str:
    parts = [f"{index}. {item['title']}"]
    price = _price(item)
    if price:
        parts.append(price)
    if item.get("rating") is not None:
        parts.append(f"评分 {item['rating']:g}/5" if lang == "zh" else f"rated {item['rating']:g}/5")
    return " — ".join(parts)


def search_results(
    items: list[dict[str, Any]], lang: str, *, query: str = "", max_price: float | None = None
) -> str:
    zh = lang == "zh"
    if not items:
        if zh:
            return "没有找到符合条件的商品。可以放宽预算或换个说法试试。"
        return "I found no products matching that. Try a higher budget or other words."
    limit = ""
    if max_price is not None:
        budget = format_price(max_price, items[0].get("currency")).removesuffix(".00")
        limit = f"（{budget}以内）" if zh else f" under {budget}"
    english = f"Here is 1 option{limit}:" if len(items) == 1 else f"Here are {len(items)} options{limit}:"
    head = f"为您找到{len(items)}件商品{limit}：" if zh else english
    lines = [product_line(i, item, lang) for i, item in enumerate(items[:SHOWN_IN_TEXT], start=1)]
    more = len(items) - SHOWN_IN_TEXT
    if more > 0:
        lines.append(f"……还有{more}件，见下方卡片。" if zh else f"…and {more} more below.")
    return "\n".join([head, *lines])


def not_found(result: dict[str, Any], lang: str) -> str:
    """The store has nothing of the requested type ("We don't carry coffee makers."), or
    nothing within the request's limits or audience, with the closest products as such."""
    if "not_carried" in result or "no_match" in result:
        sells = message("list_sep", lang).join(result.get("sells") or [])
        key, asked = (
            ("not_carried", result["not_carried"])
            if "not_carried" in result
            else ("no_match", result["no_match"])
        )
        head = message(key, lang, asked=asked, sells=sells)
        closest = result.get("alternatives") or []
    elif result.get("cheapest"):
        cheapest = result["cheapest"][0]
        within = result.get("within") or {}
        currency = cheapest.get("currency")
        limits = [message("under", lang, price=format_price(within["max_price"], currency).removesuffix(".00"))
                  if "max_price" in within else "",
                  message("over", lang, price=format_price(within["min_price"], currency).removesuffix(".00"))
                  if "min_price" in within else "",
                  message("rated", lang, rating=within["min_rating"]) if "min_rating" in within else ""]  # fmt: skip
        limit = " ".join(part for part in limits if part)
        head = message(
            "none_within", lang, type=result["none_of"], limit=limit, price=_price(cheapest) or "?"
        )
        return "\n".join([head, product_line(1, cheapest, lang)])
    elif "audience" in result:
        head = message("none_for", lang, type=result["none_of"], audience=message(result["audience"], lang))
        closest = []
    else:
        head = message("none_of_type", lang, type=result["none_of"])
        closest = []
    if not closest:
        return head
    lines = [product_line(i, item, lang) for i, item in enumerate(closest, start=1)]
    return "\n".join([head, message("closest", lang), *lines])


def details(item: dict[str, Any], lang: str) -> str:
    zh = lang == "zh"
    line = product_line(1, item, lang)[3:]
    extra = []
    for name, values in (item.get("options") or {}).items():
        label = OPTION_LABELS.get(name, name) if zh else name
        extra.append(f"{label}: {', '.join(values)}")
    for name, value in (item.get("attrs") or {}).items():
        if name not in (item.get("options") or {}):
            label = OPTION_LABELS.get(name, name) if zh else name
            extra.append(f"{label}: {value}")
    text = line + ("\n" + "; ".join(extra) if extra else "")
    # a summary is in the reply's language; without one, an English reply quotes the catalog's
    # (English) description and a Chinese one leaves it to the card
    about = item.get("summary") or ("" if zh else item.get("description"))
    if about:
        text += "\n" + about
    if item.get("reviews"):
        text += f"\n（{item['reviews']}条评价）" if zh else f"\n({item['reviews']} reviews)"
    return text


def comparison(result: dict[str, Any], lang: str) -> str:
    zh = lang == "zh"
    items = result["products"]
    lines = [product_line(i, item, lang) for i, item in enumerate(items, start=1)]
    titles = {item["id"]: item["title"] for item in items}
    if "cheapest" in result:
        lines.append(
            f"最便宜：{titles[result['cheapest']]}" if zh else f"Cheapest: {titles[result['cheapest']]}"
        )
    if "best_rated" in result:
        lines.append(
            f"评分最高：{titles[result['best_rated']]}"
            if zh
            else f"Best rated: {titles[result['best_rated']]}"
        )
    return "\n".join(lines)


def review_summary(result: dict[str, Any], title: str, lang: str) -> str:
    zh = lang == "zh"
    if not result.get("reviews"):
        return f"{title} 还没有评价。" if zh else f"{title} has no reviews yet."
    head = (
        f"{title} 共有{result['reviews']}条评价"
        if zh
        else f"{title} has {result['reviews']} review{'s' if result['reviews'] != 1 else ''}"
    )
    if result.get("average_rating") is not None:
        head += (
            f"，平均{result['average_rating']:g}/5。"
            if zh
            else f", averaging {result['average_rating']:g}/5."
        )
    else:
        head += "。" if zh else "."
    summary = result.get("summary")
    if not summary:
        quotes = [
            f"- {'★' * int(e['rating']) if e.get('rating') else ''} “{e['text']}” ({e['review_id']})"
            for e in result.get("excerpts", [])
        ]
        return "\n".join([head, *quotes])
    lines = [head, summary["verdict"]]
    sections = (("优点" if zh else "Pros", "pros"), ("缺点" if zh else "Cons", "cons"),
                ("看法不一" if zh else "Reviewers disagree on", "disagreements"))  # fmt: skip
    for label, key in sections:
        if summary.get(key):
            lines.append(f"{label}：" if zh else f"{label}:")
            lines += [f"- {point['text']} {point['cite']}" for point in summary[key]]
    return "\n".join(line for line in lines if line)


TEMPLATED_TOOLS = frozenset(
    ("search_products", "recommend", "compare_products", "summarize_reviews", "review_sentiment",
     "write_promo_copy", "review_analytics", "recommend_for_you", "bought_together", "goes_with", "buyers_of",
     "bought_together_pairs")
)  # fmt: skip
"""Tools whose whole result a template renders; ``get_product`` is left to the model, which
answers the question asked about the product ("is it machine washable?")."""


def tool_reply(
    name: str, args: dict[str, Any], result: dict[str, Any], lang: str, facts: dict[str, dict[str, Any]]
) -> str:
    """The reply for one result of a :data:`TEMPLATED_TOOLS` tool; ``facts`` (the session's
    products by id) name the product of a review result."""
    product_id = str(result.get("product_id") or args.get("product_id") or "")
    title = facts.get(product_id, {}).get("title", product_id)
    if name in ("search_products", "recommend"):
        try:  # as the model wrote it: a number, a numeric string, or a placeholder
            max_price = float(args["max_price"]) if args.get("max_price") not in (None, "", 0) else None
        except (TypeError, ValueError):
            max_price = None
        if not result["results"] and ("not_carried" in result or "no_match" in result or "none_of" in result):
            return not_found(result, lang)
        return search_results(result["results"], lang, max_price=max_price)
    if name in ("recommend_for_you", "bought_together", "goes_with"):
        return suggestions(name, result, title, lang)
    if name == "buyers_of":
        return buyers(result, title, lang)
    if name == "bought_together_pairs":
        return pairs(result, lang)
    if name == "compare_products":
        return comparison(result, lang)
    if name == "summarize_reviews":
        return review_summary(result, title, lang)
    if name == "review_sentiment":
        return sentiment(result, title, lang)
    if name == "write_promo_copy":
        return promo_copy(result, lang)
    if name == "review_analytics":
        return analytics(result["products"][:5], lang)
    raise ValueError(f"no template for tool {name!r}")


def suggestions(name: str, result: dict[str, Any], title: str, lang: str) -> str:
    """Recommendations, each with the one line of fact that says why it is there."""
    items = result["results"]
    if result.get("no_history") and name != "recommend_for_you":
        return message("no_history", lang)
    if not items:
        return message(f"{name}_none", lang, title=title)
    lines = [message(f"{name}_head", lang, title=title)]
    for i, item in enumerate(items[:SHOWN_IN_TEXT], start=1):
        why = item.get("why")
        lines.append(product_line(i, item, lang) + (f" ({why})" if why else ""))
    more = len(items) - SHOWN_IN_TEXT
    if more > 0:
        lines.append(message("more_below", lang, count=more))
    return "\n".join(lines)


def buyers(result: dict[str, Any], title: str, lang: str) -> str:
    """Who buys a product most (merchant): a table."""
    rows = result["buyers"]
    if result.get("no_history"):
        return message("no_history", lang)
    if not rows:
        return message("buyers_none", lang, title=title)
    table = [
        message("buyers_head", lang, title=title),
        "",
        message("buyers_columns", lang),
        "|---|---:|---:|",
    ]
    table += [f"| {row['customer']} | {row['orders']} | {row['quantity']:g} |" for row in rows]
    return "\n".join(table)


def pairs(result: dict[str, Any], lang: str) -> str:
    """The products most often bought together (merchant): a table."""
    rows = result["pairs"]
    if result.get("no_history"):
        return message("no_history", lang)
    if not rows:
        return message("pairs_none", lang)
    table = [message("pairs_head", lang), "", message("pairs_columns", lang), "|---|---|---:|---:|"]
    table += [f"| {row['first_title']} ({row['first']}) | {row['second_title']} ({row['second']}) | "
              f"{row['orders']} | {row['lift']:g} |" for row in rows]  # fmt: skip
    return "\n".join(table)


def clarify(categories: list[str], lang: str, *, max_price: float | None = None) -> str:
    """The one question asked when a request names no kind of product."""
    zh = lang == "zh"
    budget = (
        f"（预算{max_price:g}以内）" if zh and max_price else f" (under {max_price:g})" if max_price else ""
    )
    head = f"您想找哪类商品{budget}？" if zh else f"What kind of product are you looking for{budget}?"
    if not categories:
        return head
    shown = "、".join(categories) if zh else ", ".join(categories)
    return f"{head}我们有：{shown}。" if zh else f"{head} We have {shown}."


def promo_copy(result: dict[str, Any], lang: str) -> str:
    zh = lang == "zh"
    if result.get("available") is False:
        return message("promo_unavailable", lang)
    blocks = []
    for entry in result["copies"]:
        head = f"【{entry['title']}】" if zh else f"{entry['title']}:"
        if entry.get("error") or not entry.get("variants"):
            reason = message("copy_failed" if entry.get("error") else "copy_rejected", lang)
            blocks.append(f"{head}\n{reason}")
            continue
        variants = entry["variants"]
        if len(variants) == 1:
            blocks.append(f"{head}\n{variants[0]}")
        else:
            options = [f"({n}) {text}" for n, text in enumerate(variants, start=1)]
            blocks.append("\n".join([head, *options]))
    return "\n\n".join(blocks)


def sentiment(result: dict[str, Any], title: str, lang: str) -> str:
    zh = lang == "zh"
    labels = result.get("labels") or {}
    if not result.get("reviews"):
        return f"{title} 还没有评价。" if zh else f"{title} has no reviews yet."
    counts = ("，" if zh else ", ").join(
        f"{SENTIMENT_LABELS.get(name, name) if zh else name} {count}"
        for name, count in labels.items()
        if count
    )
    text = (
        f"{title}：{counts}（共{result['reviews']}条）"
        if zh
        else f"{title}: {counts} (of {result['reviews']} reviews)"
    )
    for key, label_en, label_zh in (
        ("praised", "Praised", "好评集中在"),
        ("criticised", "Criticised", "差评集中在"),
    ):
        aspects = [a["aspect"] for a in result.get(key, []) if a.get("reviews")]
        if aspects:
            text += f"\n{label_zh}：{'、'.join(aspects)}" if zh else f"\n{label_en}: {', '.join(aspects)}"
    return text


def analytics(rows: list[dict[str, Any]], lang: str) -> str:
    """Products with the most negative reviews first (merchant review analytics)."""
    zh = lang == "zh"
    if not rows:
        return "这些商品还没有评价。" if zh else "None of these products has reviews yet."
    lines = []
    for i, row in enumerate(rows, start=1):
        average = "-" if row["average_rating"] is None else f"{row['average_rating']:g}/5"
        negative = round(100 * (row["negative_share"] or 0))
        lines.append(
            f"{i}. {row['title']} ({row['id']})：{row['reviews']}条评价，平均{average}，差评{negative}%"
            if zh
            else f"{i}. {row['title']} ({row['id']}): {row['reviews']} reviews, {average}, {negative}% negative"
        )
    head = "差评比例最高的商品：" if zh else "Products with the most negative reviews:"
    return "\n".join([head, *lines])


def memory(prefs: dict[str, Any], lang: str) -> str:
    zh = lang == "zh"
    if not prefs:
        return "我还没有记住关于您的任何偏好。" if zh else "I haven't remembered anything about you yet."
    names = {
        "sizes": ("sizes", "尺码"),
        "budget": ("budget", "预算"),
        "colors": ("liked colours", "喜欢的颜色"),
        "disliked_colors": ("disliked colours", "不喜欢的颜色"),
        "brands": ("liked brands", "喜欢的品牌"),
        "disliked_brands": ("disliked brands", "不喜欢的品牌"),
    }
    lines = []
    for key, value in prefs.items():
        label = names.get(key, (key, key))[1 if zh else 0]
        shown = (
            ", ".join(str(v) for v in value)
            if isinstance(value, list)
            else f"{value:g}"
            if isinstance(value, float)
            else str(value)
        )
        lines.append(f"- {label}: {shown}")
    head = "我记得：" if zh else "Here is what I remember:"
    tail = "说“忘记我的尺码”或 /reset 可以清除。" if zh else 'Say "forget my size" or /reset to clear it.'
    return "\n".join([head, *lines, tail])


MESSAGES: dict[str, tuple[str, str]] = {
    "greeting": (
        'Hi! Tell me what you\'re looking for, e.g. "running shorts under $40".',
        "您好！告诉我您想找什么，比如“40美元以下的跑步短裤”。",
    ),
    "thanks": ("You're welcome! Anything else you're looking for?", "不客气！还想找点什么吗？"),
    "reset": (
        "Done: I've cleared this conversation and everything I remembered.",
        "好的，已清除本次对话和我记住的偏好。",
    ),
    "forgot": ("Done, I've forgotten that.", "好的，已经忘记了。"),
    "forgot_me": (
        "Done: I've deleted this conversation and everything you viewed or bought here, and I won't link "
        "it to you again.",
        "好的，已删除本次对话以及您在这里浏览和购买的全部记录。",
    ),
    "recommend_for_you_head": ("Picked for you:", "为您挑选："),
    "recommend_for_you_none": (
        'I have nothing to suggest within that yet. Tell me what you\'re looking for, e.g. "a mug under £10".',
        "暂时没有符合条件的推荐。告诉我您想找什么，比如“100元以内的杯子”。",
    ),
    "bought_together_head": ("Customers who bought {title} also bought:", "购买{title}的顾客还买了："),
    "bought_together_none": (
        "I don't know yet what customers buy together with {title}.",
        "暂时还不知道顾客会和{title}一起买什么。",
    ),
    "goes_with_head": ("Goes well with {title}:", "适合搭配{title}："),
    "goes_with_none": (
        "I don't know yet what goes with {title}: customers haven't bought other kinds of products with it.",
        "暂时还不知道{title}适合搭配什么：还没有顾客把它和其他类商品一起买。",
    ),
    "no_history": (
        "I can't tell yet: no purchase history has been learned from (shopbot events import, then "
        "shopbot recommend train).",
        "暂时无法回答：还没有可学习的购买记录（先运行 shopbot events import，再运行 shopbot recommend train）。",
    ),
    "link_code": (
        "To continue on Telegram as you, send the store's bot: /link {code} (valid once, for 10 minutes).",
        "要在 Telegram 上以您的身份继续，请给商店的机器人发送：/link {code}（一次有效，10分钟内）。",
    ),
    "link_needs_customer": (
        "Sign in on the store's site first: then I can link Telegram to your account.",
        "请先在商店网站登录，然后才能把 Telegram 关联到您的账号。",
    ),
    "more_below": ("…and {count} more below.", "……还有{count}件，见下方卡片。"),
    "buyers_head": ("Customers who buy {title} most:", "购买{title}最多的顾客："),
    "buyers_columns": ("| customer | orders | units |", "| 顾客 | 订单数 | 件数 |"),
    "buyers_none": ("No customer has bought {title} yet.", "还没有顾客购买过{title}。"),
    "pairs_head": ("Products bought together most often:", "最常被一起购买的商品："),
    "pairs_columns": (
        "| product | bought with | orders together | lift |",
        "| 商品 | 一起购买的商品 | 共同订单数 | 提升度 |",
    ),
    "pairs_none": ("No two products have been bought together yet.", "还没有被一起购买过的商品。"),
    "noted": ("Noted, I'll keep that in mind.", "好的，我记住了。"),
    "no_previous": (
        "What should I search for? I have no earlier search to refine.",
        "您想找什么？之前还没有搜索过。",
    ),
    "busy": (
        "I'm handling many requests right now. Please try again in a moment.",
        "现在请求太多了，请稍后再试。",
    ),
    "timeout": (
        "Sorry, that took too long. Please try again, or ask in fewer words.",
        "抱歉，处理时间太长了。请再试一次，或者说得简短一些。",
    ),
    "failed": (
        "Sorry, something went wrong on my side. Please try again.",
        "抱歉，我这边出了点问题，请再试一次。",
    ),
    "tools_failed": (
        "Sorry, I couldn't look that up right now. Could you rephrase or try again?",
        "抱歉，暂时查不到这个信息。可以换个说法或稍后再试吗？",
    ),
    "too_many_steps": (
        "Sorry, that took me too many steps. Here is what I found so far.",
        "抱歉，处理步骤太多了。这是目前找到的结果。",
    ),
    "repaired": ("Here are the facts from the catalog:", "以下是商品目录中的信息："),
    "promo_unavailable": (
        "No model is available to write copy right now, so I haven't written any.",
        "当前没有可用的模型来撰写文案，所以没有编写。",
    ),
    "copy_failed": (
        "Sorry, I couldn't write this copy right now; please try again.",
        "抱歉，暂时写不出这段文案，请稍后再试。",
    ),
    "copy_rejected": (
        "Every draft stated something the product facts don't support, so I left it out. Try another format.",
        "草稿里有商品信息无法证实的内容，已全部舍弃。可以换一种格式再试。",
    ),
    "not_carried": ("We don't carry {asked}. We sell {sells}.", "我们没有{asked}。店里有：{sells}。"),
    "no_match": (
        "I found nothing that matches “{asked}”. We sell {sells}.",
        "没有找到符合“{asked}”的商品。店里有：{sells}。",
    ),
    "closest": ("Closest, though not what you asked for:", "最接近的几件（并非您要的）："),
    "none_within": (
        "No {type} {limit}; the cheapest is {price}:",
        "没有{limit}的{type}，最便宜的是{price}：",
    ),
    "none_for": ("We have no {type} for {audience}.", "我们没有{audience}的{type}。"),
    "none_of_type": ("We have no {type} that fits that.", "没有符合条件的{type}。"),
    "under": ("under {price}", "{price}以内"),
    "over": ("over {price}", "{price}以上"),
    "rated": ("rated {rating:g}+", "评分{rating:g}以上"),
    "men": ("men", "男士"),
    "women": ("women", "女士"),
    "kids": ("kids", "儿童"),
    "list_sep": (", ", "、"),
    "converted": (
        "{stated} is about {converted} at the store's configured exchange rate; I searched with that.",
        "按本店设置的汇率，{stated}约为{converted}，已按此筛选。",
    ),
    "other_currency": (
        "Prices here are in {currency}, so I searched without your {stated} limit. What is your budget in {currency}?",
        "本店以{currency}标价，所以没有按{stated}的预算筛选。您的预算换成{currency}是多少？",
    ),
}


def message(key: str, lang: str, **values: Any) -> str:
    """The message ``key`` in ``lang``, with ``values`` filled in."""
    english, chinese = MESSAGES[key]
    text = chinese if lang == "zh" else english
    return text.format(**values) if values else text
