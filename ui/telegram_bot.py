"""The Telegram bot: python-telegram-bot handlers over :class:`assistant.Assistant`.

::

    bot = TelegramBot(assistant, merchants={42}, state_dir=data_dir / "telegram")
    app = bot.application(token)                  # api_url="http://127.0.0.1:8081": own Bot API server
    app.run_polling()                             # or app.run_webhook(..., secret_token=...)

Commands: /start, /help, /reset (forget the conversation), /link CODE (this chat becomes the
store customer who got the code on the web chat: :mod:`assistant.shoppers`), /lang en|zh (the bot's own
language: help, buttons, what a button asks), and for allowlisted merchant ids /copy
(promo copy), /insights (review analytics) and /campaign (the saved campaigns; ``/campaign
NAME``: its summary, a sample variant and the copy as CSV and JSONL documents; ``/campaign NAME
run``: a few more variants written first, off the event loop, through
:class:`tools.campaign_desk.CampaignDesk`). Any other text goes to the assistant as
session ``telegram:<chat id>``. A turn shows "typing…" until the first output, sends each
product card (a photo when the catalog has an image) with Reviews / Similar / Compare /
Details buttons, then one message that is edited as the reply is written
(:class:`~ui.telegram_stream.StreamedReply`). A button press becomes a request to the
assistant in the chat's language. ``AIORateLimiter`` keeps the bot inside Telegram's global
limits and waits out 429s. Deliberately not here: what the assistant answers (business logic
lives in ``assistant``), how text is escaped and split (:mod:`ui.telegram_render`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import tempfile
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from assistant.reply import Action, CardsEvent, Done, ProductCard, TextChunk, TextReplaced
from tools.campaign import Campaign, CampaignError, ensure_current
from ui.cards import safe_url
from ui.telegram_campaigns import campaign_list, campaign_report, find_campaign, variants_left
from ui.telegram_render import (
    ACTIONS,
    LANGUAGES,
    card_html,
    card_keyboard,
    escape,
    parse_callback,
    request_text,
)
from ui.telegram_stream import StreamedReply

if TYPE_CHECKING:
    from assistant import Assistant
    from tools.campaign_desk import CampaignDesk, CampaignRun

log = logging.getLogger("ui.telegram")
MAX_CARDS = 5  # cards sent per turn (each is a message; Telegram allows ~1 per second per chat)
TYPING_EVERY = 4.0  # Telegram shows "typing…" for 5 seconds
TYPING_AFTER = 0.5  # a reply that comes sooner needs no "typing…" (one Bot API call saved)
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
CAMPAIGN_BATCH = 5  # variants one /campaign NAME run writes (the local model takes a while for each on a CPU)
TEXTS = {
    "en": {
        "start": "Hi! I am shopbot, a shopping assistant. Tell me what you are looking for, "
        "e.g. <i>waterproof backpack under $60</i>.",
        "help": "Ask for products in your own words; press a product's buttons for its reviews, similar "
        "products, a comparison or details.\n/reset - start a new conversation\n/lang en|zh - my language\n"
        "/link CODE - link this chat to your store account (the code is on the store's web chat)\n"
        "Say <i>forget me</i> to delete everything I recorded about you.",
        "merchant_help": "\nMerchant: /copy [product ids] - promo copy; /insights [product id] - review analytics; "
        "/campaign [name] [run] - campaigns: their summary, copy and files",
        "reset": "Done - I forgot our conversation.",
        "lang": "Language: English. Use /lang zh for Chinese.",
        "lang_usage": "Use /lang en or /lang zh.",
        "merchant_only": "This command is for merchants only.",
        "failed": "Sorry, something went wrong on my side. Please try again.",
        "stale_button": "This button is no longer valid.",
        "more": "…and {n} more in the list below.",
        "linked": "Done - this chat is linked to your store account; suggestions now follow what you bought.",
        "link_failed": "That code is not valid (codes work once, for 10 minutes). Get a new one on the store's web chat.",
        "link_usage": "Use /link CODE with the code shown on the store's web chat.",
        "campaigns": "Saved campaigns:",
        "campaign_line": "• {name}: {start} to {end}, {state}; {channels}; {done}/{total} variants written",
        "campaign_usage": "/campaign NAME - its summary and files; /campaign NAME run - write {n} more variants",
        "campaign_none": "No saved campaigns yet. Create one in chat (tell me the offer, dates, channels and "
        "products), in the web merchant tab, or with: shopbot campaign save FILE",
        "campaign_unreadable": "Could not read: {problem}",
        "campaign_no_desk": "Campaigns are not available here: this bot was started without a data directory to "
        "keep them in.",
        "state_running": "running",
        "state_upcoming": "upcoming",
        "state_ended": "ended",
        "campaign_head": "Campaign: {name}\nOffer: {offer}\nDates: {start} to {end} ({state})\n"
        "Channels: {channels}\nVariants written: {done} of {total}\n"
        "Passed: {ok}, repaired: {repaired}, rejected: {rejected}",
        "campaign_errors": "Failed (tried again on the next run): {n}",
        "campaign_wrote": "This run wrote {written} variants ({failed} failed).",
        "campaign_sample": "Sample ({channel}, {title}{segment}):",
        "campaign_no_sample": "No variant has passed the checks yet; the files list every problem.",
        "campaign_no_copy": "No copy written yet. Send /campaign {name} run to write the first {n} variants.",
        "campaign_left": "Still to write: {left}. Send /campaign {name} run to write {n} more.",
        "campaign_complete": "Every variant is written.",
        "campaign_writing": "Writing up to {n} variants of {name}; each takes the model a while…",
        "campaign_busy": "Copy of {name} is being written already; try again when that run has finished.",
        "campaign_csv": "{name}: the copy as CSV (a row per variant, a column per part)",
        "campaign_jsonl": "{name}: the copy as JSONL (each variant with its verdict and problems)",
        "campaign_too_big": "{file} is too big to send here ({size} MB; bots may send 50 MB).",
        "list_separator": ", ",
    },
    "zh": {
        "start": "你好！我是购物助手 shopbot。告诉我你想买什么，例如 <i>100美元以下的防水背包</i>。",
        "help": "用你自己的话描述想要的商品；点商品下面的按钮可以看评价、类似商品、比较或详情。\n"
        "/reset - 开始新的对话\n/lang en|zh - 切换语言\n/link 代码 - 把这个聊天关联到你的商店账号（代码在商店网页聊天里）\n"
        "说 <i>忘记我</i> 可删除我记录的关于你的全部信息。",
        "merchant_help": "\n商家：/copy [商品编号] - 促销文案；/insights [商品编号] - 评价分析；"
        "/campaign [活动名] [run] - 营销活动：概要、文案和文件",
        "reset": "好的，我已忘记我们的对话。",
        "lang": "语言：中文。输入 /lang en 切换为英文。",
        "lang_usage": "请输入 /lang en 或 /lang zh。",
        "merchant_only": "此命令仅供商家使用。",
        "failed": "抱歉，出了点问题，请再试一次。",
        "stale_button": "这个按钮已失效。",
        "more": "……还有 {n} 个，见下面的列表。",
        "linked": "好的，这个聊天已关联到你的商店账号，推荐会参考你的购买记录。",
        "link_failed": "这个代码无效（每个代码只能用一次，10分钟内有效）。请在商店网页聊天里获取新代码。",
        "link_usage": "请输入 /link 代码（代码显示在商店网页聊天里）。",
        "campaigns": "已保存的营销活动：",
        "campaign_line": "• {name}：{start} 至 {end}，{state}；{channels}；已写 {done}/{total} 条文案",
        "campaign_usage": "/campaign 活动名 - 概要和文件；/campaign 活动名 run - 再写 {n} 条文案",
        "campaign_none": "还没有保存的营销活动。可以在聊天里创建（告诉我优惠、日期、渠道和商品），"
        "也可以在网页的商家标签页创建，或运行：shopbot campaign save 文件",
        "campaign_unreadable": "无法读取：{problem}",
        "campaign_no_desk": "这里不能使用营销活动：机器人启动时没有指定保存活动的数据目录。",
        "state_running": "进行中",
        "state_upcoming": "未开始",
        "state_ended": "已结束",
        "campaign_head": "活动：{name}\n优惠：{offer}\n日期：{start} 至 {end}（{state}）\n"
        "渠道：{channels}\n已写文案：{done} / {total}\n"
        "通过：{ok}，修改后通过：{repaired}，未通过：{rejected}",
        "campaign_errors": "失败（下次运行时重试）：{n}",
        "campaign_wrote": "本次写了 {written} 条文案（失败 {failed} 条）。",
        "campaign_sample": "示例（{channel}，{title}{segment}）：",
        "campaign_no_sample": "还没有通过检查的文案；文件里列出了每个问题。",
        "campaign_no_copy": "还没有写文案。发送 /campaign {name} run 写前 {n} 条。",
        "campaign_left": "还有 {left} 条未写。发送 /campaign {name} run 再写 {n} 条。",
        "campaign_complete": "全部文案都已写好。",
        "campaign_writing": "正在为 {name} 写最多 {n} 条文案，每条需要模型花一点时间……",
        "campaign_busy": "{name} 的文案正在写，请等这次运行结束后再试。",
        "campaign_csv": "{name}：CSV 格式的文案（每条文案一行，每个部分一列）",
        "campaign_jsonl": "{name}：JSONL 格式的文案（每条文案及其检查结果和问题）",
        "campaign_too_big": "{file} 太大，无法在这里发送（{size} MB；机器人最多可发送 50 MB）。",
        "list_separator": "、",
    },
}
COMMANDS = [
    ("start", "start"),
    ("help", "what I can do"),
    ("reset", "new conversation"),
    ("lang", "language: en or zh"),
    ("link", "link to your store account"),
]
_MERCHANT_REQUESTS = {
    "en": {"copy": "write promo copy for {0}", "copy_all": "write promo copy", "insights": "review sentiment of {0}", "insights_all": "review analytics across products"},
    "zh": {"copy": "为 {0} 写促销文案", "copy_all": "写促销文案", "insights": "{0} 的好评率", "insights_all": "评价分析"},
}  # fmt: skip


class ChatLanguages:
    """The language each chat chose with /lang, kept in a JSON file (written atomically)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._chosen: dict[str, str] = {}
        if path is not None and path.is_file():
            try:
                loaded = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as error:
                log.warning("ignoring unreadable %s: %s", path, error)
                loaded = {}
            self._chosen = {str(k): v for k, v in loaded.items() if v in LANGUAGES}

    def get(self, chat_id: int, fallback: str | None) -> str:
        chosen = self._chosen.get(str(chat_id))
        if chosen:
            return chosen
        return "zh" if (fallback or "").lower().startswith("zh") else "en"

    def set(self, chat_id: int, lang: str) -> None:
        self._chosen[str(chat_id)] = lang
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".languages-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(self._chosen, handle)
        os.replace(temporary, self.path)


class TelegramBot:
    """The handlers, bound to one assistant; :meth:`application` wires them into PTB."""

    def __init__(
        self,
        assistant: Assistant,
        *,
        merchants: Collection[int] = (),
        state_dir: Path | None = None,
        edit_interval: float = 1.0,
        campaign_batch: int = CAMPAIGN_BATCH,
    ) -> None:
        """``campaign_batch``: how many variants one ``/campaign NAME run`` writes."""
        self.assistant = assistant
        self.merchants = frozenset(merchants)
        self.languages = ChatLanguages(state_dir / "languages.json" if state_dir else None)
        self.edit_interval = edit_interval
        self.campaign_batch = campaign_batch
        self._writing: set[str] = set()  # campaigns (casefolded names) a run is writing now

    def application(
        self, token: str, *, api_url: str | None = None, rate_limit: bool = True
    ) -> Application[Any, Any, Any, Any, Any, Any]:
        """A PTB Application with the handlers; ``api_url`` is a self-hosted Bot API server's root
        URL. ``rate_limit=False`` drops the global limiter (only to measure the bot's own cost)."""
        # Any: each builder call re-parametrises the builder's generic type
        builder: Any = ApplicationBuilder().token(token).concurrent_updates(True).post_init(self._post_init)
        if rate_limit:
            builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
        if api_url:
            root = api_url.rstrip("/")
            builder = builder.base_url(f"{root}/bot").base_file_url(f"{root}/file/bot")
        app = builder.build()
        app.add_handler(CommandHandler("start", self.start))
        app.add_handler(CommandHandler("help", self.help))
        app.add_handler(CommandHandler("reset", self.reset))
        app.add_handler(CommandHandler("lang", self.lang))
        app.add_handler(CommandHandler("link", self.link))
        app.add_handler(CommandHandler(["copy", "insights"], self.merchant))
        app.add_handler(CommandHandler("campaign", self.campaign))
        app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, self.message))
        app.add_handler(CallbackQueryHandler(self.button))
        app.add_error_handler(self.error)
        return app

    async def _post_init(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        await app.bot.set_my_commands([BotCommand(name, about) for name, about in COMMANDS])

    # -- handlers ---------------------------------------------------------------------------

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Greet and explain."""
        lang = self._lang(update)
        await self._say(update, TEXTS[lang]["start"] + "\n\n" + self._help(update, lang))

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """What the bot can do."""
        await self._say(update, self._help(update, self._lang(update)))

    async def reset(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Forget this chat's conversation."""
        assert update.effective_chat is not None
        self.assistant.reset(_session(update.effective_chat.id))
        await self._say(update, escape(TEXTS[self._lang(update)]["reset"]))

    async def lang(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Choose the bot's language: /lang en or /lang zh."""
        assert update.effective_chat is not None
        choice = (context.args or [""])[0].lower()
        if choice not in LANGUAGES:
            lang = self._lang(update)
            await self._say(update, escape(TEXTS[lang]["lang"] + "\n" + TEXTS[lang]["lang_usage"]))
            return
        self.languages.set(update.effective_chat.id, choice)
        await self._say(update, escape(TEXTS[choice]["lang"]))

    async def link(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/link CODE: link this chat to the store customer who asked for the code on the web."""
        assert update.effective_chat is not None
        lang = self._lang(update)
        if not context.args:
            await self._say(update, escape(TEXTS[lang]["link_usage"]))
            return
        session = _session(update.effective_chat.id)
        linked = await asyncio.to_thread(self.assistant.shoppers.redeem, session, context.args[0])
        await self._say(update, escape(TEXTS[lang]["linked" if linked else "link_failed"]))

    async def merchant(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/copy and /insights, for allowlisted merchants only."""
        assert update.effective_chat is not None and update.message is not None
        lang = self._lang(update)
        if not self._is_merchant(update):
            await self._say(update, escape(TEXTS[lang]["merchant_only"]))
            return
        command = (update.message.text or "").split()[0].lstrip("/").split("@")[0]
        subject = " ".join(context.args or [])
        key = command if subject else f"{command}_all"
        text = _MERCHANT_REQUESTS[lang][key].format(subject)
        await self.turn(context, update.effective_chat.id, text, "merchant", lang)

    async def campaign(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/campaign [NAME [run]]: the saved campaigns; one's summary and files; more of its copy."""
        assert update.effective_chat is not None and update.message is not None
        lang = self._lang(update)
        texts = TEXTS[lang]
        desk = self.assistant.merchant.campaigns
        if not self._is_merchant(update) or desk is None:
            await self._say(
                update, escape(texts["campaign_no_desk" if self._is_merchant(update) else "merchant_only"])
            )
            return
        words = (update.message.text or "").split(maxsplit=1)
        asked = words[1].strip() if len(words) > 1 else ""
        chat_id = update.effective_chat.id
        try:
            if not asked:
                await self._say(
                    update,
                    escape(await asyncio.to_thread(campaign_list, desk, TEXTS[lang], self.campaign_batch)),
                )
                return
            campaign, run = await asyncio.to_thread(find_campaign, desk, asked)
            written = None
            left = await asyncio.to_thread(variants_left, desk, campaign) if run else 0
            if left > 0:
                written = await self._write(context.bot, chat_id, desk, campaign, lang)
                if written is None:
                    return
            report = await asyncio.to_thread(
                campaign_report, desk, campaign, lang, TEXTS[lang], self.campaign_batch, written
            )
        except CampaignError as error:
            await self._say(update, escape(str(error)))
            return
        await self._say(update, escape(report.text))
        for name, data, caption in report.files:
            await context.bot.send_document(
                chat_id, data, filename=name, caption=escape(caption), parse_mode=ParseMode.HTML
            )

    async def _write(
        self, bot: Any, chat_id: int, desk: CampaignDesk, campaign: Campaign, lang: str
    ) -> CampaignRun | None:
        """Write the next variants of ``campaign`` in a thread, with "typing…"; None when a run of
        it is in progress already (the chat is told)."""
        texts, key = TEXTS[lang], campaign.name.casefold()
        if key in self._writing:
            busy = texts["campaign_busy"].format(name=campaign.name)
            await bot.send_message(chat_id, escape(busy), parse_mode=ParseMode.HTML)
            return None
        ensure_current(campaign, desk.today())  # an ended campaign is refused before "writing…"
        self._writing.add(key)
        try:
            writing = texts["campaign_writing"].format(n=self.campaign_batch, name=campaign.name)
            await bot.send_message(chat_id, escape(writing), parse_mode=ParseMode.HTML)
            typing = asyncio.create_task(_keep_typing(bot, chat_id))
            try:
                return await asyncio.to_thread(
                    desk.run, campaign.name, limit=self.campaign_batch, progress=False
                )
            finally:
                typing.cancel()
        finally:
            self._writing.discard(key)

    async def message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A shopper's message: one assistant turn."""
        assert update.effective_chat is not None and update.message is not None
        role = "merchant" if self._is_merchant(update) else "shopper"
        await self.turn(
            context, update.effective_chat.id, update.message.text or "", role, self._lang(update)
        )

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A product button: answer the press, then ask the assistant for it."""
        query = update.callback_query
        assert query is not None and update.effective_chat is not None
        lang = self._lang(update)
        press = parse_callback(query.data)
        if press is None:
            await query.answer(TEXTS[lang]["stale_button"])
            return
        await query.answer()
        role = "merchant" if self._is_merchant(update) else "shopper"
        action = Action(kind=ACTIONS[press.action], product_ids=list(press.ids))  # type: ignore[arg-type]
        await self.turn(context, update.effective_chat.id, request_text(press, lang), role, lang, action)

    async def error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log what a handler raised; tell the chat when there is one."""
        log.error("update failed: %s", context.error, exc_info=context.error)
        if isinstance(update, Update) and update.effective_chat is not None:
            with contextlib.suppress(TelegramError):
                await context.bot.send_message(
                    update.effective_chat.id,
                    escape(TEXTS[self._lang(update)]["failed"]),
                    parse_mode=ParseMode.HTML,
                )

    # -- one turn ---------------------------------------------------------------------------

    async def turn(
        self,
        context: ContextTypes.DEFAULT_TYPE,
        chat_id: int,
        text: str,
        role: str,
        lang: str,
        action: Action | None = None,
    ) -> None:
        """Run one assistant turn in this chat: typing, cards with buttons, the streamed reply;
        ``action``: a button's request, passed as data (``text`` is how the history reads it)."""
        bot = context.bot
        reply = StreamedReply(bot, chat_id, interval=self.edit_interval)
        typing = asyncio.create_task(_keep_typing(bot, chat_id))
        answer = ""
        try:
            async for event in self.assistant.astream(_session(chat_id), text, role, action):
                if isinstance(event, CardsEvent):
                    typing.cancel()
                    await self._send_cards(bot, chat_id, event.products, lang)
                elif isinstance(event, TextChunk | TextReplaced):
                    typing.cancel()
                    answer = answer + event.text if isinstance(event, TextChunk) else event.text
                    await reply.update(answer)
                elif isinstance(event, Done):
                    answer = event.reply.text
        finally:
            typing.cancel()
        await reply.finish(answer)

    async def _send_cards(self, bot: Any, chat_id: int, cards: list[ProductCard], lang: str) -> None:
        shown = cards[:MAX_CARDS]
        for position, card in enumerate(shown):
            other = (
                shown[position + 1] if position + 1 < len(shown) else (shown[0] if len(shown) > 1 else None)
            )
            keyboard = card_keyboard(card, other if other is not card else None, lang)
            image = safe_url(card.image_url)
            if image:
                try:
                    await bot.send_photo(
                        chat_id,
                        image,
                        caption=card_html(card),
                        parse_mode=ParseMode.HTML,
                        reply_markup=keyboard,
                    )
                    continue
                except BadRequest as error:  # Telegram could not fetch the image: send the card as text
                    log.info("photo %s failed (%s); sending the card as text", image, error.message)
            await bot.send_message(
                chat_id,
                card_html(card),
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard,
                link_preview_options=_NO_PREVIEW,
            )
        if len(cards) > MAX_CARDS:
            more = TEXTS[lang]["more"].format(n=len(cards) - MAX_CARDS)
            await bot.send_message(chat_id, escape(more), parse_mode=ParseMode.HTML)

    # -- helpers ----------------------------------------------------------------------------

    def _lang(self, update: Update) -> str:
        assert update.effective_chat is not None
        user = update.effective_user
        return self.languages.get(update.effective_chat.id, user.language_code if user else None)

    def _is_merchant(self, update: Update) -> bool:
        return update.effective_user is not None and update.effective_user.id in self.merchants

    def _help(self, update: Update, lang: str) -> str:
        texts = TEXTS[lang]
        return escape(texts["help"]) + (escape(texts["merchant_help"]) if self._is_merchant(update) else "")

    async def _say(self, update: Update, html_text: str) -> None:
        assert update.effective_chat is not None
        await update.get_bot().send_message(update.effective_chat.id, html_text, parse_mode=ParseMode.HTML)


def _session(chat_id: int) -> str:
    return f"telegram:{chat_id}"


async def _keep_typing(bot: Any, chat_id: int) -> None:
    """Show "typing…" until cancelled, from :data:`TYPING_AFTER` on (it fades after 5 seconds,
    so repeat it)."""
    await asyncio.sleep(TYPING_AFTER)
    with contextlib.suppress(TelegramError):
        while True:
            await bot.send_chat_action(chat_id, ChatAction.TYPING)
            await asyncio.sleep(TYPING_EVERY)
