"""Dialogue acts: what a message does in the conversation, before what it asks for.

Cheap, unambiguous cues decide first ("start over", "#2", "add … to my cart", "talk to a
person"); a message is a question about shown products when it is asked as a question, points
at them ("it", "the first one", "the Acme") or asks about one of their features, and does
not ask for a list ("do you have …", "show me …"). Everything else is a search, which
`understand` turns into a new need or a refinement of the current one. The cues are about how
people talk in a shop, never about what a particular shop sells.
"""

from __future__ import annotations

import re

ACTS = (
    "empty", "greeting", "thanks", "smalltalk", "reset", "more", "more_like", "compare", "why", "question", "store",
    "cart_add", "cart_remove", "cart_show", "handoff", "reorder", "search", "refine", "off_topic",
)  # fmt: skip
NO_SEARCH = {
    "empty",
    "greeting",
    "thanks",
    "smalltalk",
    "compare",
    "why",
    "question",
    "store",
    "cart_add",
    "cart_remove",
    "cart_show",
    "handoff",
}
ABOUT_SHOWN = {"compare", "why", "question", "cart_add", "cart_remove"}

ICASE = re.IGNORECASE
GREETING = re.compile(r"(hi|hello|hey|hiya|howdy|good (morning|afternoon|evening)|yo|greetings)( there)?[!. ]*", ICASE)
THANKS = re.compile(
    r"(thanks?( you)?( so much| a lot)?|thx|ty|cheers|great|perfect|awesome|ok(ay)?|cool|nice|got it|that'?s (great|perfect|all|it))[!. ]*",
    ICASE,
)
SMALLTALK = re.compile(
    r"(how are you( doing)?( today)?|who are you|what are you|what('?s| is) your name|are you (a )?(bot|robot|human|real|ai)|what can you do( for me)?|how does this work|help)[?!. ]*",
    ICASE,
)
HANDOFF = re.compile(
    r"\b(talk|speak|chat|connect me)\s+(to|with)\s+(a |an |some |your )?(human|person|agent|someone|somebody|real person|representative|rep|staff|manager|customer service)\b"
    r"|\b(real|live) (person|human|agent)\b|\bhuman (please|agent)\b|\bcustomer (service|support)\b|\bcall me\b",
    ICASE,
)
RESET = re.compile(
    r"\b(let'?s |can we |please )?(start (over|again|afresh|from scratch)|new (search|chat|conversation)|reset|clear (everything|all|the filters|filters)|"
    r"forget (it|that|all that|everything|what i said)|scratch that|from scratch|begin again|something (completely|totally) different)\b[,.!]*\s*",
    ICASE,
)
CART_SHOW = re.compile(
    r"\b(what'?s|what is|whats|show( me)?|view|see|check)\b[^.?!]*\b(in )?(my )?(cart|basket|bag)\b|^(my )?(cart|basket)\??$", ICASE
)
CART_REMOVE = re.compile(
    r"\b(remove|delete|take|drop)\b[^.?!]*\b(from|out of|out)\b[^.?!]*\b(cart|basket|bag)\b|\b(remove|delete) (it|that|this|them|#\d)\b",
    ICASE,
)
CART_ADD = re.compile(
    r"\b(add|put|throw|place|pop)\b[^.?!]*\b(to|in|into)\b[^.?!]*\b(cart|basket|bag)\b|\b(add|put) (it|that|this|them|#\d|the (first|second|third|fourth|last)( one)?)\b"
    r"|\bi'?ll (take|buy|get) (it|that|this|that one|this one|#\d|the (first|second|third|fourth|last)( one)?)\b",
    ICASE,
)
COMPARE = re.compile(
    r"\b(compare|comparison|versus|vs\.?|difference|differences|differ|which (one )?is better|better one|side by side)\b", ICASE
)
WHY = re.compile(r"\bwhy\b", ICASE)
MORE_LIKE = re.compile(
    r"\b(more like|similar to|something like|anything like|others like|like (#\d|the (first|second|third|fourth|last)|number \d|that one|this one|it))\b",
    ICASE,
)
MORE = re.compile(
    r"^(show |give |got |any )?(me |us )?(some |a few |any )?more( please| options| results| choices| of (these|those|them))?[?!. ]*$"
    r"|\b(show|see|give) (me )?(some |a few )?more\b|\bmore (options|results|choices|like these)\b|\b(other options|anything else|what else|next page|next ones|the rest)\b",
    ICASE,
)
# "what do I need again?": the shopper's own products that are due; "running out of battery" describes a product
REORDER = re.compile(
    r"\b(buy (?:it |them |that |those )?again|re-?order|re-?stock|my usual|running (?:low|out) (?:on|of)(?! (?:battery|charge|power|space|storage|juice))|what do i need again)\b",
    ICASE,
)
# Store questions: how the shop works, not what it sells.
STORE = re.compile(
    r"\b(shipping|ships? to|do you ship|delivery|deliver to|do you deliver|dispatch|postage|returns?|refunds?|exchange|warrant(y|ies)|guarantee|payment|pay (with|by)|paypal|"
    r"instal?lments?|opening hours|store hours|open on|track (my )?(order|package|parcel)|order status|cancel (my )?order|price match|gift wrap|"
    r"promo code|discount code|coupon|contact (you|the store)|privacy|your polic(y|ies)|gift[- ]?wrap(ping)?)\b",
    ICASE,
)
QUESTION_START = re.compile(
    r"^(does|do|is|are|can|could|will|would|how|what|what's|which|who|where|when|has|have|should|did|was|were|any idea)\b", ICASE
)
LIST_REQUEST = re.compile(
    r"\b(do you (have|sell|carry|stock|do|offer)|have you got|got any|is there (a|an|any)|are there any|can (you|i) (show|find|get|see|recommend|suggest)|"
    r"show me|looking for|look for|i need|i want|i'?d like|recommend|suggest|find me|what .*\bdo you (have|sell|carry|offer)|any good|what'?s a good|"
    r"what are (some|good)|which .* (should|would|do) (i|you)|best .* for|what about|how about)\b",
    ICASE,
)
POINTER = re.compile(
    r"\b(it|its|it's|this|that|these|those|them|they|this one|that one|the (first|second|third|fourth|last)( one)?|#\d|number \d|both|either|each|the two)\b",
    ICASE,
)


def is_question(text: str) -> bool:
    return text.rstrip().endswith("?") or bool(QUESTION_START.match(text.strip()))


def classify(text: str, has_need: bool = False, has_shown: bool = False) -> str:
    """The act of one message (see ACTS); "search" covers both a new need and a refinement."""
    t = text.strip()
    if not t:
        return "empty"
    if GREETING.fullmatch(t):
        return "greeting"
    if THANKS.fullmatch(t):
        return "thanks"
    if SMALLTALK.fullmatch(t):
        return "smalltalk"
    if HANDOFF.search(t):
        return "handoff"
    if RESET.search(t):
        return "reset"
    if CART_SHOW.search(t) and not CART_ADD.search(t):
        return "cart_show"
    if CART_REMOVE.search(t):
        return "cart_remove"
    if CART_ADD.search(t):
        return "cart_add"
    if REORDER.search(t):
        return "reorder"
    if has_shown and MORE_LIKE.search(t):
        return "more_like"
    if has_shown and COMPARE.search(t) and not LIST_REQUEST.search(t):
        return "compare"
    if has_shown and WHY.search(t):
        return "why"
    if has_need and MORE.search(t):
        return "more"
    if STORE.search(t) and (is_question(t) or not has_shown) and not (has_shown and POINTER.search(t)):
        return "store"
    if is_question(t) and not LIST_REQUEST.search(t) and (has_shown or POINTER.search(t)):
        return "question"  # with nothing shown, the answer asks which product
    return "search"


def after_reset(text: str) -> str:
    """What follows "start over": "let's start over, I need a jacket" → "I need a jacket"."""
    return RESET.sub(" ", text).strip(" ,.!?;:-")


def reorder_rest(text: str) -> str:
    rest = re.sub(r"\b(i'm|i’m|i|am|me|my|show|please|on|of|what|do|need|some|the|can|you|list)\b", " ", REORDER.sub(" ", text), flags=re.I)
    return re.sub(r"\s+", " ", rest).strip(" ?!.,")
