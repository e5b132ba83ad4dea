"""What a catalog sells, read from the catalog itself: product types, audiences, attribute values.

Built at index time from every product (:func:`build_vocabulary`) and stored with the index, so
the assistant can tell "backpack" (a type this store sells) from "coffee maker" (one it does
not) on any catalog, and a merchant can see what it thinks the store sells (``shopbot index
info``). Nothing here is written for one store: types come from the category tree and the head
noun of each title, audiences from category, title and gender fields.

- **Type words** of a product (:func:`type_keys`): in English, the head noun of the title (the
  last word before " - ", " for ", " with ", "(" or ","; "Crown Summit Backpack" -> backpack)
  and the head of each part of each segment of its category path ("Laptop Accessories" ->
  accessories); in Chinese, the last word (jieba) of the title's first
  part between spaces and the category segments whole (a leaf such as 被枕 names two types at once). Words are compared by :func:`word_key` (Snowball stem of the singular:
  "hoodies" and "hoodie" meet), Chinese words as written.
- **Audience** (:func:`product_audience`): men, women or kids when the category path, title or a
  gender field says so; None (for everyone) otherwise; "男女"/"unisex" is everyone.

Deliberately not here: reading a shopper's request against the vocabulary
(:mod:`index.product_types`), storage (the index keeps it in its meta table).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from index.quantities import UNITS
from index.schema import Product

AUDIENCE_WORDS = {
    "men": "men", "mens": "men", "man": "men", "male": "men", "gents": "men", "gentlemen": "men",
    "women": "women", "womens": "women", "woman": "women", "female": "women", "ladies": "women", "lady": "women",
    "kids": "kids", "kid": "kids", "children": "kids", "child": "kids", "boys": "kids", "boy": "kids",
    "girls": "kids", "girl": "kids", "baby": "kids", "babies": "kids", "infant": "kids", "toddler": "kids",
    "unisex": "all",
}  # fmt: skip
# Chinese audience words, longest first when matched; 男女 (men and women) means everyone
AUDIENCE_ZH = {
    "男女": "all", "中性": "all", "情侣": "all", "男士": "men", "男款": "men", "男式": "men", "男装": "men",
    "男生": "men", "男人": "men", "女士": "women", "女款": "women", "女式": "women", "女装": "women",
    "女生": "women", "女人": "women", "儿童": "kids", "童装": "kids", "宝宝": "kids", "婴儿": "kids",
    "孩子": "kids", "小孩": "kids", "男童": "kids", "女童": "kids", "婴童": "kids", "男": "men", "女": "women",
}  # fmt: skip
AUDIENCE_ZH_RE = re.compile("|".join(sorted(AUDIENCE_ZH, key=len, reverse=True)))
_GENDER_FIELDS = ("gender", "audience", "department", "target_audience")
_ATTRIBUTE_FIELDS = {"color": ("color", "colour", "colors", "colours"), "size": ("size", "sizes"),
                     "material": ("material", "fabric")}  # fmt: skip
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[a-z][a-z0-9]*(?:['\u2019][a-z]+)?")
_HEAD_END = re.compile(r"\s(?:-|–|—|\||for|with|by|in|of|from)\s|[(,\[:/]", re.I)
_PATH_SPLIT = re.compile(r"\s*(?:/|>>|>|\|)\s*")
_NOT_TYPES = frozenset(
    re.findall(
        r"\S+",
        "and or the a an of for with by in on to from new set pack pcs piece pieces combo size free other others "
        "all accessories collection collections gear misc sale more",
    )
)


# units ("Sprite Foam Roller 36 cm") are no product's head noun
UNIT_WORDS = frozenset(alias for _, aliases in UNITS.values() for alias in aliases if alias.isalpha())


RULES = 2  # how type words are read (2: a Chinese title's head is in its first part, category
# segments by their heads); stored with the counts


@dataclass
class Vocabulary:
    """Counts over the catalog: ``types`` word key -> {"name": as first written, "count":
    products}, ``audiences`` audience -> products, ``attributes`` name -> value -> products,
    ``currencies`` priced products per currency, ``chinese`` products with a Chinese title,
    ``products`` in all. Kept exact on every update
    (:meth:`add`, :meth:`remove`), so an incremental update does not read the whole catalog."""

    types: dict[str, dict[str, Any]] = field(default_factory=dict)
    audiences: dict[str, int] = field(default_factory=dict)
    attributes: dict[str, dict[str, int]] = field(default_factory=dict)
    currencies: dict[str, int] = field(default_factory=dict)
    chinese: int = 0
    products: int = 0

    @property
    def currency(self) -> str | None:
        """The currency most prices are in (None without prices)."""
        return max(self.currencies, key=lambda code: self.currencies[code]) if self.currencies else None

    @property
    def lang(self) -> str:
        """ "zh" when most titles are Chinese, else "en"."""
        return "zh" if self.products and self.chinese * 2 > self.products else "en"

    def add(self, products: Iterable[Product]) -> Vocabulary:
        return self._count(products, 1)

    def remove(self, products: Iterable[Product]) -> Vocabulary:
        return self._count(products, -1)

    def _count(self, products: Iterable[Product], sign: int) -> Vocabulary:
        for product in products:
            self.products += sign
            self.chinese += sign * is_chinese(product.title)
            for key, written in type_words(product).items():
                entry = self.types.setdefault(key, {"name": written, "count": 0})
                entry["count"] += sign
                if entry["count"] <= 0:
                    del self.types[key]
            _bump(self.audiences, product_audience(product) or "all", sign)
            if product.price is not None and product.currency:
                _bump(self.currencies, product.currency.upper(), sign)
            for name, values in product_attributes(product).items():
                for value in set(values):
                    _bump(self.attributes.setdefault(name, {}), value, sign)
        return self

    def to_dict(self) -> dict[str, Any]:
        return {"rules": RULES, "types": self.types, "audiences": self.audiences, "attributes": self.attributes,
                "currencies": self.currencies, "chinese": self.chinese, "products": self.products}  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Vocabulary:
        return cls(types=dict(data.get("types") or {}), audiences=dict(data.get("audiences") or {}),
                   attributes=dict(data.get("attributes") or {}), currencies=dict(data.get("currencies") or {}),
                   chinese=int(data.get("chinese") or 0),
                   products=int(data.get("products") or 0))  # fmt: skip

    def top_types(self, limit: int = 8) -> list[tuple[str, int]]:
        """(name, products) of the most common types, most products first."""
        ranked = sorted(self.types.values(), key=lambda entry: (-entry["count"], entry["name"]))
        return [(entry["name"], entry["count"]) for entry in ranked[:limit]]


def build_vocabulary(products: Iterable[Product]) -> Vocabulary:
    """The vocabulary of ``products`` (one pass)."""
    return Vocabulary().add(products)


def _bump(counts: dict[str, int], key: str, sign: int) -> None:
    counts[key] = counts.get(key, 0) + sign
    if counts[key] <= 0:
        del counts[key]


def type_words(product: Product) -> dict[str, str]:
    """The product's type word keys -> the word as written (see the module docstring)."""
    words: dict[str, str] = {}
    if product.category:  # the primary path: others are listings ("Promotions/Sale")
        for segment in _PATH_SPLIT.split(product.category.strip(" /[]'\"")):
            if is_chinese(segment):  # a Chinese leaf names its types together (被枕: quilts and pillows)
                words.setdefault(segment.strip(), segment.strip())
                continue
            for word in segment_heads(segment):
                words.setdefault(word_key(word), word)
    head = title_head(product.title)
    if head:
        words.setdefault(word_key(head), head)
    return {key: written for key, written in words.items() if key and written not in _NOT_TYPES
            and written not in AUDIENCE_WORDS and not AUDIENCE_ZH_RE.fullmatch(written)}  # fmt: skip


_CATEGORY_PARTS = re.compile(r"\s*(?:&|,|\+|\band\b)\s*|\s{2,}", re.I)


def segment_heads(segment: str) -> list[str]:
    """The head nouns of an English category segment: the last word of each part it joins
    ("Hoodies & Sweatshirts" -> hoodies, sweatshirts; "Laptop Accessories" -> accessories, so a
    store of laptop sleeves sells no laptops); digits and units are no heads."""
    heads = []
    for part in _CATEGORY_PARTS.split(segment):
        words = [w for w in text_words(part) if not w.isdigit() and w not in UNIT_WORDS]
        heads += words[-1:]
    return heads


def type_keys(product: Product) -> frozenset[str]:
    return frozenset(type_words(product))


def product_words(product: Product) -> frozenset[str]:
    """Keys of every word of the product's title and category path (:func:`word_key`)."""
    text = f"{product.title} {product.category or ''}"
    return frozenset(word_key(w) for w in text_words(text.replace("-", " ")))


def title_head_words(product: Product) -> frozenset[str]:
    """Keys (:func:`word_key`) of the words of the product's title before " - ", " for ", " with
    ", "(" or "," (what it is, not what it is for: "Lint Remover for Sofa")."""
    return frozenset(word_key(w) for w in text_words(_head_part(product.title).replace("-", " ")))


def _head_part(title: str) -> str:
    """A title before its first " - ", " for ", " with ", "(" or "," (the whole title when that
    comes first)."""
    text = title.strip()
    cut = _HEAD_END.search(text)
    return text[: cut.start()] if cut and cut.start() > 0 else text


def title_head(title: str) -> str | None:
    """The word of a title that says what the product is: the head noun in English ("Cronus
    Yoga Pant" -> pant, "Analog Watch - For Men" -> watch); in Chinese, the last word of the
    first part between spaces that has one, units left out ("20寸 铝镁合金登机箱" -> 登机箱, "蔓越莓曲奇
    200克" -> 曲奇; later parts add features or a colour: "LCD电子钟 升级版", "居家地毯 灰黄条纹"), a
    single character before it joined to it (jieba's 登 / 机箱 is 登机箱)."""
    before = _head_part(title)
    if is_chinese(title):
        for part in before.split():
            words = [w for w in text_words(part) if _CJK.search(w) and w not in UNIT_WORDS]
            if len(words) > 1 and len(words[-2]) == 1 and len(words[-1]) > 1:
                words[-2:] = [words[-2] + words[-1]]
            if words:
                return words[-1]
        return None
    words = [w for w in text_words(before) if not w.isdigit() and w not in _NOT_TYPES and w not in UNIT_WORDS]
    return words[-1] if words else None


def product_audience(product: Product) -> str | None:
    """men, women or kids when the product says so, None when it is for everyone or unknown."""
    for name in _GENDER_FIELDS:
        value = product.attributes.get(name) or product.extras.get(name)
        if isinstance(value, str) and value.strip():
            found = audience_in(value)
            if found:
                return None if found == "all" else found
    paths = " ".join(product.categories or ([product.category] if product.category else []))
    found = audience_in(paths) or audience_in(product.title)
    return None if found in (None, "all") else found


def audience_in(text: str) -> str | None:
    """The audience a text names ("men's yoga pants" -> men, "女士外套" -> women), or None;
    "all" for unisex; the first one named wins."""
    latin = [
        AUDIENCE_WORDS[w] for w in _LATIN_WORD.findall(text.lower().replace("'s", "s")) if w in AUDIENCE_WORDS
    ]
    match = AUDIENCE_ZH_RE.search(text)
    if latin and match:
        return latin[0]
    return latin[0] if latin else AUDIENCE_ZH[match.group()] if match else None


def product_attributes(product: Product) -> dict[str, list[str]]:
    """Declared colour, size and material values of the product (options and attributes)."""
    found: dict[str, list[str]] = {}
    sources = [product.attributes, product.extras, product.extras.get("options") or {}]
    for name, keys in _ATTRIBUTE_FIELDS.items():
        for source in sources:
            if not isinstance(source, dict):
                continue
            for key in keys:
                value = source.get(key)
                values = (
                    value
                    if isinstance(value, list)
                    else re.split(r"\s*[|,;]\s*", value)
                    if isinstance(value, str)
                    else []
                )
                found.setdefault(name, []).extend(str(v).strip() for v in values if str(v).strip())
    return {name: list(dict.fromkeys(values)) for name, values in found.items() if values}


def is_chinese(text: str) -> bool:
    """Whether CJK characters carry the text (about four latin letters make a word)."""
    cjk = len(_CJK.findall(text))
    return cjk > 0 and cjk * 4 >= len(re.findall(r"[A-Za-z]", text))


def word_key(word: str) -> str:
    """How words are compared: Chinese as written, English by the Snowball stem of the singular."""
    lowered = word.lower()
    if _CJK.search(lowered):
        return lowered
    return _stem(lowered)


@cache
def _stem(word: str) -> str:
    singular = (
        word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")) else word
    )
    return str(_english_stemmer().stemWord(singular))


@cache
def _english_stemmer() -> Any:
    import snowballstemmer

    return snowballstemmer.stemmer("english")


def text_words(text: str) -> list[str]:
    """Words of a title or category: jieba for Chinese runs, latin words lowercased."""
    out: list[str] = []
    lowered = text.lower().replace("'s", "s").replace("\u2019s", "s")
    position = 0
    for run in re.finditer(r"[\u3400-\u9fff\uf900-\ufaff]+", lowered):
        out += _LATIN_WORD.findall(lowered[position : run.start()])
        out += segment(run.group())
        position = run.end()
    out += _LATIN_WORD.findall(lowered[position:])
    return [w for w in out if w.strip()]


def segment(run: str) -> list[str]:
    """The words of a run of Chinese characters (jieba, its log kept quiet)."""
    return [w for w in _jieba().lcut(run) if w.strip()]


def pos_tags(text: str) -> list[tuple[str, str]]:
    """(word, jieba part-of-speech flag) of a Chinese text ("n" nouns, "v" verbs, "a" adjectives)."""
    _jieba()
    import jieba.posseg

    return [(pair.word, pair.flag) for pair in jieba.posseg.lcut(text)]


@cache
def _jieba() -> Any:
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba
