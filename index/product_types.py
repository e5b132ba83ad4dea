"""What kind of product a search request asks for, read against the catalog's vocabulary.

:func:`read_type_request` turns "men's waterproof backpacks", "do you sell coffee makers?",
"200元以内的枕头" or "夹克" (on an English store) into a :class:`TypeRequest`:

- ``typed``: the request names types this store sells (its head noun is a type word of the
  :class:`~index.vocabulary.Vocabulary`: "backpack"); a product matches when one of its own type
  words is one of them (:meth:`TypeRequest.matches`), so a tote is not a backpack;
- ``absent``: its head noun is a word the catalog never uses (``mentioned`` says no), so the
  store does not carry it ("coffee maker", "口红" on a sportswear store);
- ``untyped``: it names no type ("something warm for winter"); only the retrieval ranks.

The head noun is, in English, the last type word before a preposition ("jacket for 40 degree
weather" -> jacket), several when joined by "or"; in Chinese, the last word after jieba, with
the noun suffixes 子/头/儿 also tried (枕头 -> 枕). A request in the other language than the
catalog's goes through CC-CEDICT (:mod:`index.bilingual`), then the word's last character for
Chinese compounds it does not know (背包 -> 包 -> bag). The audience ("men's", "女士") is read
too; a product for another audience does not match.

Deliberately not here: prices and other quantities (:mod:`index.quantities`), retrieval and
ranking (:mod:`index.catalog`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from index.bilingual import chinese_words, english_words, sense_words
from index.schema import Product
from index.vocabulary import (
    AUDIENCE_WORDS,
    AUDIENCE_ZH,
    UNIT_WORDS,
    Vocabulary,
    audience_in,
    is_chinese,
    pos_tags,
    product_audience,
    product_words,
    text_words,
    title_head_words,
    type_keys,
    word_key,
)

# words of a request that never name a kind of product, English and Chinese
NO_TYPE_WORDS = frozenset(
    re.findall(
        r"\S+",
        """something anything stuff thing things product products item items goods gift gifts present presents
        idea ideas suggestion suggestions recommendation recommendations good nice cool great best new popular
        buy get for my me to him her them someone somebody mom mum dad mother father parents friend friends
        wife husband girlfriend boyfriend son daughter birthday christmas anniversary please what
        you have sell shop store a an the some any one do does is are i im i'm need want looking look find show
        search searching shopping interested would like could can pair cheap cheaper affordable quality set
        个 件 款 东西 好东西 商品 好物 礼物 礼品 点 些 什么 一些 一下 给 我 送 的 买 生日 妈妈
        爸爸 朋友 老婆 老公 孩子 女朋友 男朋友 你们 卖 有 推荐 想要 想 要 需要 帮 找 有没有 吗 呢 吧 请 一个 一款 一件 一双 款式
        便宜 好看 好用 适合 用 买点 哪些 哪个 这个 那个 看看 一 左右 以内 以下 以上 元 块""",
    )
)
_SPLIT_EN = re.compile(
    r"\b(?:for|with|without|under|over|below|above|in|to|that|which|from|near|like|than|on|at|by|between|up)\b"
)
_OR = re.compile(r"\bor\b|/|或者?|还是|和|\band\b")
_ZH_SUFFIXES = ("子", "头", "儿")
LAST_CHARACTER_SENSES = (
    4  # senses of a compound's last character tried (包: package, wrapper, container, bag)
)
# Chinese audience words that name people (男士, 儿童); 中性 and 情侣 also name things (中性笔)
_PEOPLE_ZH = re.compile(
    "|".join(sorted((w for w, who in AUDIENCE_ZH.items() if who != "all"), key=len, reverse=True))
)
_ZH_FILLER = re.compile(r"[的了吗呢吧啊呀么]|\d+(?:\.\d+)?")

Status = Literal["typed", "untyped", "absent"]


@dataclass(frozen=True)
class TypeRequest:
    status: Status
    keys: frozenset[str] = frozenset()
    """Type word keys a product must have one of (``typed``)."""
    names: tuple[str, ...] = ()
    """The requested types as the catalog writes them ("backpack"; for search expansion and replies)."""
    audience: str | None = None
    """men, women or kids when the request says so."""
    asked: str = ""
    """The words of the request naming the type, as the shopper wrote them ("coffee makers")."""
    glosses: tuple[str, ...] = ()
    """The request's words in the catalog's language when the shopper wrote in the other one
    ("防水背包" on an English store: waterproof, bag), for the lexical retriever."""
    words: frozenset[str] = frozenset()
    """Keys of the request's content words in the catalog's language ("yoga", "pant"): products
    whose title and category have them all are the exact matches (:meth:`has_all_words`)."""
    head: str = ""
    """``untyped``: the key of the last word unless it describes ("mat" of "yoga mat", "sofa";
    not "warm" of "something warm"; in Chinese a noun, with the word before a one-character one:
    手机壳): a match must have it in its title or types (:meth:`names_head`)."""

    siblings: tuple[str, ...] = ()
    """``absent``: type keys of the store that share the head character of the asked Chinese word,
    when it is one word the catalog never uses (拉杆箱 and 登机箱 for 行李箱), most products first:
    it may name one of them, which only its meaning tells (:mod:`tools.type_choice`). Not for a
    compound the rules read as a kind the store lacks (瑜伽垫: the store never says 瑜伽)."""
    phrase: str = ""
    """A Chinese request's words naming the product, run together ("中性笔", "荞麦枕"): a title
    that has them as written is an exact match, however jieba cuts either."""

    def has_all_words(self, product: Product) -> bool:
        if self.phrase and self.phrase in product.title:
            return True
        if not self.words:
            return False
        have = product_words(product)
        text = f"{product.title} {product.category or ''}"
        return all(word in have or (is_chinese(word) and word in text) for word in self.words)

    def names_head(self, product: Product) -> bool:
        """Whether the product's title (before " for ", " with ", "(") or its types name the
        untyped thing asked ("laptop" is not named by a sleeve under "Laptop Accessories", nor
        "sofa" by a "Lint Remover for Sofa")."""
        if not self.head:
            return True
        if is_chinese(self.head):
            return self.head in f"{product.title} {product.category or ''}"
        return self.head in title_head_words(product) or self.head in type_keys(product)

    def matches(self, product: Product) -> bool:
        """Whether ``product`` is of a requested type (any, when none is) and audience."""
        if self.keys and not (
            self.keys & type_keys(product) or self._titled_type(product) or self._named(product)
        ):
            return False
        if self.audience in ("men", "women", "kids"):
            theirs = product_audience(product)
            return theirs is None or theirs == self.audience
        return True

    def _named(self, product: Product) -> bool:
        """A title with every word of a request of two or more ("LUNCH BAG RED RETROSPOT" is a
        lunch bag though its last word is a design)."""
        return len(self.words) >= 2 and self.has_all_words(product)

    def _titled_type(self, product: Product) -> bool:
        """A Chinese title that has a requested type of two or more characters, or the phrase, as
        written ("双宫茧桑蚕丝被 空调被" is a 蚕丝被 though jieba cuts it 蚕丝 / 被)."""
        if self.phrase and self.phrase in product.title:
            return True
        return any(len(key) >= 2 and is_chinese(key) and key in product.title for key in self.keys)


def read_type_request(
    query: str,
    vocabulary: Vocabulary,
    mentioned: Callable[[Iterable[str]], bool],
    titled: Callable[[str], bool],
) -> TypeRequest:
    """The type request of ``query``; ``mentioned(words)``: whether the catalog uses any of
    those words anywhere (titles, descriptions, attributes); ``titled(word)``: whether some
    product's title has the word."""
    audience = audience_in(query)
    audience = audience if audience in ("men", "women", "kids") else None
    zh_query = is_chinese(query)
    values = frozenset(value.lower() for counts in vocabulary.attributes.values() for value in counts)
    alternatives = [part for part in _OR.split(query.lower()) if part.strip()] or [query.lower()]
    keys: set[str] = set()
    asked: list[str] = []
    last_content: list[str] = []
    glosses: list[str] = []
    same_language = zh_query == (vocabulary.lang == "zh")
    content: set[str] = set()
    for part in alternatives:
        words = _zh_words(part) if zh_query else _en_words(part)
        if not words:
            continue
        last_content = words
        if same_language:
            content |= {word_key(w) for w in words if len(alternatives) == 1}
        else:
            glosses += [gloss for word in words for gloss in _gloss(word, zh_query)]
        found = _types_of(words, zh_query, vocabulary, modifier=lambda w: _is_modifier(w, values))
        if found:
            keys |= found[1]
            asked.append(found[0])
    names = tuple(
        vocabulary.types[key]["name"] for key in sorted(keys, key=lambda k: -vocabulary.types[k]["count"])
    )
    glossed = tuple(dict.fromkeys([*glosses, *(names if glosses else ())]))
    required = frozenset(content)
    phrase = "".join(last_content) if zh_query and same_language and len(alternatives) == 1 else ""
    if keys and phrase and _unknown_kind(last_content, asked[-1], phrase, values, mentioned):
        return TypeRequest("absent", audience=audience, asked=phrase)
    if keys and not zh_query and not same_language and len(alternatives) == 1 and asked[-1] in last_content:
        # a product named by its English name on a Chinese store ("Beaumont Summit Kit"): when no
        # capitalized word of its name that the dictionary translates is used by the catalog, it
        # is a product the store lacks ("Memory foam pillow" names none: a first word is no name)
        named = _capitalized(query)
        naming = [w for w in last_content[: last_content.index(asked[-1])]
                  if w in named and not _describes(w, zh_query, values) and chinese_words(w)]  # fmt: skip
        if naming and not any(_is_mentioned(w, zh_query, vocabulary, mentioned, titled) for w in naming):
            return TypeRequest("absent", audience=audience, asked=" ".join(last_content), glosses=glossed)
    if keys:
        return TypeRequest("typed", frozenset(keys), names, audience, " / ".join(asked), glossed, required,
                           phrase=phrase)  # fmt: skip
    unknown = [
        word for word in last_content[:-1] if len(alternatives) == 1 and not _describes(word, zh_query, values)
        and not _is_mentioned(word, zh_query, vocabulary, mentioned, titled)
    ]  # fmt: skip
    if last_content and (
        unknown or not _is_mentioned(last_content[-1], zh_query, vocabulary, mentioned, titled)
    ):
        # the thing asked is not a type, and it or a noun naming what kind it is never appears
        # ("cumin powder" in a store that never says cumin, "bra top" of a Chinese store)
        asked_words = _asked_phrase(last_content, zh_query)
        siblings = _siblings(asked_words, vocabulary) if phrase else ()
        return TypeRequest("absent", audience=audience, asked=asked_words, glosses=glossed, siblings=siblings)
    thing = last_content[-1] if last_content and same_language else ""
    joined = zh_query and len(thing) == 1 and len(last_content) > 1
    if joined:  # a one-character head names the thing with the word before it (手机壳, 收纳箱)
        thing = last_content[-2] + thing
    # the thing asked, though no type ("sofa" of a store of sofa beds, "shoes" of "running
    # shoes" where only descriptions say shoes, 饼干 of 曲奇饼干): a match must name it; describing
    # words ("warm", 保暖, 舒适) only rank
    describes = not (joined or _ends_in_noun(thing)) if zh_query else _is_modifier(thing, values)
    head = word_key(thing) if thing and not describes else ""
    return TypeRequest("untyped", audience=audience, asked=" ".join(last_content[-2:]), glosses=glossed,
                       words=required, head=head, phrase=phrase)  # fmt: skip


def _unknown_kind(
    words: list[str],
    head: str,
    phrase: str,
    values: frozenset[str],
    mentioned: Callable[[Iterable[str]], bool],
) -> bool:
    """Whether a Chinese compound names a kind of its type the store does not have: a
    one-character head (垫, 枕, 壳: bound into one word with what precedes it) after a noun no
    product mentions (瑜伽垫 on a store whose 垫 are cushions and that never says 瑜伽; 手机壳).
    A whole word as head stays the type (客厅地毯 are rugs wherever they go); describing words
    (舒服, 防滑), times (夏天) and colours only describe."""
    if len(head) != 1 or head not in words or mentioned([phrase]):
        return False
    position = words.index(head)
    return (
        position > 0
        and _is_noun(words[position - 1])
        and words[position - 1] not in values
        and not mentioned([words[position - 1]])
    )


SIBLINGS = 6  # types sharing a head character offered to the model at most


def _siblings(word: str, vocabulary: Vocabulary) -> tuple[str, ...]:
    """Chinese type keys of two or more characters ending in ``word``'s last character."""
    if len(word) < 2:
        return ()
    found = [key for key in vocabulary.types if len(key) >= 2 and key != word and key[-1] == word[-1]]
    found.sort(key=lambda key: (-vocabulary.types[key]["count"], key))
    return tuple(found[:SIBLINGS])


def _is_noun(word: str) -> bool:
    """A Chinese word of two or more characters jieba tags as a common noun (not a name, not a colour)."""
    return len(word) >= 2 and not word.endswith("色") and _ends_in_noun(word) and len(text_words(word)) == 1


def _capitalized(text: str) -> set[str]:
    """The English words of ``text`` written with a capital, but for its first word, lowercased."""
    words = re.findall(r"[A-Za-z][A-Za-z0-9]*", text)
    return {word.lower() for word in words[1:] if word[0].isupper()}


def _describes(word: str, zh_query: bool, values: frozenset[str]) -> bool:
    """A word that describes rather than names what kind of thing: an English modifier
    (:func:`_is_modifier`), digits, or a Chinese word that is no common noun (舒适, 夏天)."""
    if any(char.isdigit() for char in word):
        return True
    return not _is_noun(word) if zh_query else _is_modifier(word, values)


def _ends_in_noun(text: str) -> bool:
    """Whether jieba tags the last word of a Chinese text as a common noun."""
    tags = pos_tags(text)
    return bool(tags) and tags[-1][1].startswith("n") and tags[-1][1] != "nr"


def _gloss(word: str, zh_query: bool) -> list[str]:
    """A word in the other language: the words of its first dictionary sense."""
    if zh_query:
        senses = english_words(word)
        return sense_words(senses[0]) if senses else []
    return chinese_words(word)[:1]


def _en_words(text: str) -> list[str]:
    """Content words of the head part of an English request (before its first preposition,
    unless that part has none)."""
    parts = [p for p in _SPLIT_EN.split(text.replace("'s", "s").replace("\u2019s", "s"))]
    for part in parts:
        words = [w for w in re.findall(r"[a-z][a-z0-9]*", part) if _content(w)]
        if words:
            return words
    return []


def _content(word: str) -> bool:
    """A word that may name the product: not filler, an audience or a unit ("2 metre": the
    quantity is read apart, :mod:`index.quantities`)."""
    return (
        word not in NO_TYPE_WORDS and word not in AUDIENCE_WORDS and word not in UNIT_WORDS and len(word) > 1
    )


def _zh_words(text: str) -> list[str]:
    cleaned = _PEOPLE_ZH.sub(" ", _ZH_FILLER.sub(" ", text))
    return [w for w in text_words(cleaned) if w not in NO_TYPE_WORDS and w not in AUDIENCE_WORDS]


def _types_of(
    words: list[str], zh_query: bool, vocabulary: Vocabulary, modifier: Callable[[str], bool]
) -> tuple[str, set[str]] | None:
    """(the word, the catalog type keys it names) for the head word of ``words``: the last one,
    or an earlier one when the last only describes ("backpack waterproof"). A Chinese compound
    the dictionary lacks is tried with its neighbour ("t" + "恤")."""
    for position in range(len(words) - 1, -1, -1):
        word = words[position]
        keys = _keys_for(word, zh_query, vocabulary)
        if not keys and zh_query and position:
            keys = _keys_for(words[position - 1] + word, zh_query, vocabulary)
        if keys:
            return word, keys
        if zh_query or not modifier(word):
            return None
    return None


# common English describing words without a telling ending (general language, not one store's)
DESCRIBING_WORDS = frozenset(
    re.findall(
        r"\S+",
        """warm hot cold cool light heavy soft hard thin thick long short tall big small large little huge tiny
        wide narrow loose tight slim fit fast quick slow quiet loud bright dark clean fresh dry wet strong weak
        cheap expensive premium fancy simple plain basic classic modern vintage retro casual formal smart
        cute pretty beautiful elegant sexy sporty durable sturdy portable compact lightweight cozy cosy comfy
        comfortable breathable stretchy smooth rough sharp safe healthy organic natural eco green easy
        summer winter spring autumn fall everyday outdoor indoor""",
    )
)
_MODIFIER_ENDINGS = ("proof", "able", "ible", "ful", "less", "ish", "ive", "ed", "ous", "est", "ant", "ent")


def _is_modifier(word: str, values: frozenset[str]) -> bool:
    """Whether an English word describes rather than names a product: one of the catalog's
    attribute ``values`` ("black", "cotton"), a common describing word ("warm", "winter") or an adjective by
    its ending ("waterproof", "insulated")."""
    return word in values or word in DESCRIBING_WORDS or (len(word) > 4 and word.endswith(_MODIFIER_ENDINGS))


def _keys_for(word: str, zh_query: bool, vocabulary: Vocabulary) -> set[str]:
    types = vocabulary.types
    zh_catalog = vocabulary.lang == "zh"
    if zh_query == zh_catalog:
        if not zh_query:
            key = word_key(word)
            return {key} if key in types else set()
        return _zh_keys(word, types)
    if zh_query:  # a Chinese word on an English catalog: its English senses, else its last character's
        compound = _english_heads(word[-1], LAST_CHARACTER_SENSES) if len(word) > 1 else []  # 背包: 包, bag
        character = {word_key(head) for head in _english_heads(word[-1])}  # all its senses: 表 has "watch"
        for heads in (_english_heads(word), compound):
            keys = {key for head in heads for key in types if _names_type(word_key(head), key, character)}
            if keys:
                return keys
        return set()
    return {key for zh in chinese_words(word) for key in _zh_keys(zh, types)}  # English word, Chinese catalog


def _zh_keys(word: str, types: Mapping[str, object]) -> set[str]:
    """Chinese type keys a Chinese word names: itself, without a noun suffix (枕头 -> 枕), a type
    of two or more characters it ends with (compounds are head-final: 笔记本电脑 is no 笔记本), or
    one it is contained in."""
    stems = {word} | {word[: -len(s)] for s in _ZH_SUFFIXES if word.endswith(s) and len(word) > len(s)}
    found = {key for key in types if key in stems}
    if len(word) >= 2:
        found |= {key for key in types if len(key) >= 2 and (word in key or word.endswith(key))}
    return found


def _names_type(head: str, key: str, character: set[str]) -> bool:
    """A translated head noun names a type: the same word, or one ending in it that the Chinese
    word's last character also means (手表 "wristwatch" is a watch, 表 means watch; 口红
    "lipstick" is no stick, 红 means red)."""
    return head == key or (len(key) >= 4 and head.endswith(key) and key in character)


def _english_heads(word: str, limit: int | None = None) -> list[str]:
    """The head nouns of a Chinese word's first ``limit`` English senses ("咖啡机" -> machine,
    maker); for a word the dictionary lacks, its last character's first senses instead (the head
    of a Chinese compound: 连帽衫 -> 衫 -> shirt)."""
    heads = [words[-1] for sense in english_words(word)[:limit] if (words := sense_words(sense))]
    if not heads and len(word) > 1:
        return _english_heads(word[-1], LAST_CHARACTER_SENSES)
    return list(dict.fromkeys(heads))


def _is_mentioned(
    word: str,
    zh_query: bool,
    vocabulary: Vocabulary,
    mentioned: Callable[[Iterable[str]], bool],
    titled: Callable[[str], bool],
) -> bool:
    """Whether the catalog uses the word; across languages, whether a product title has one of
    its translations (or their head nouns): descriptions use many words ("machine wash" is no
    machine), and a word the dictionary cannot translate names nothing the titles show."""
    if zh_query == (vocabulary.lang == "zh"):
        return mentioned(_forms(word))
    if zh_query:
        return any(titled(head) for head in _english_heads(word))
    return any(titled(zh) for zh in chinese_words(word))


def _forms(word: str) -> list[str]:
    """A word with its plural and singular, as the lexical index may hold it."""
    if word.isascii():
        return list(
            dict.fromkeys(
                [word, word.rstrip("s"), f"{word}s", f"{word}es", word[:-2] if word.endswith("es") else word]
            )
        )
    return [word, *(word[:-1] for s in _ZH_SUFFIXES if word.endswith(s) and len(word) > 1)]


def _asked_phrase(words: list[str], zh_query: bool) -> str:
    """The request's words naming what the store lacks, in the shopper's order and spelling."""
    if zh_query:
        return words[-1]
    return " ".join(words[-2:]) if len(words) > 1 else words[-1]
