"""Which of the seller's messages answered which /post field, so editing one of them later
changes that field (edits.py), and what the bot says after such a change."""

from __future__ import annotations

from telegram import Message, Update

from bot.context import BotContext
from bot.selling import texts
from bot.selling.prompts import ask
from bot.selling.steps import ON_SCREEN, WAITING_FOR, Step
from storage.drafts import Draft

ANSWERS = "post_answers"  # user_data: {message id: [draft version, field]}
KEEP = 40  # the latest answers; an edit to an older one is ignored


def remember_answer(context: BotContext, message: Message, field: str, draft: Draft) -> None:
    """Note that `message` answered `field` of `draft`."""
    answers = context.user_data.setdefault(ANSWERS, {})
    answers[str(message.message_id)] = [draft.version, field]
    while len(answers) > KEEP:
        answers.pop(next(iter(answers)))


def answered(context: BotContext, message_id: int) -> tuple[int, str] | None:
    """(draft version, field) that message answered, if it answered one."""
    entry = context.user_data.get(ANSWERS, {}).get(str(message_id))
    return (entry[0], entry[1]) if entry else None


async def carry_on(update: Update, context: BotContext) -> None:
    """After a field changed outside its step: the preview again when the seller was there,
    else a word on what the bot still waits for."""
    on_screen = context.user_data.get(ON_SCREEN)
    if on_screen is None:  # the conversation is over; the draft waits for /post
        await context.bot.send_message(update.effective_chat.id, texts.DRAFT_WAITS)
        return
    step = Step(on_screen)
    if step is Step.PREVIEW:
        await ask(update, context, Step.PREVIEW)
        return
    await context.bot.send_message(update.effective_chat.id,
                                   texts.waiting_for(WAITING_FOR[step]))
