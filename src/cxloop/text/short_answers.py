"""Short survey answers, and the few-word verdicts inside longer ones, read as meant.

Survey comments are short, and both backends learnt from reviews, tweets and bank queries,
where such phrases mean something else. Scored by hand (weights 2026.11.5):

* "Everything was fine" read as a complaint (`embedding` P(negative) 0.73), "All good" as
  neutral: a satisfied customer could open a case. A whole answer that only approves now
  reads "very satisfied" (``GOOD_NEWS``).
* "It was ok" read as a complaint (0.62); "Delivery was fine" and "Checkout was fine" too
  (0.60, 0.77), since in reviews "X was fine" mostly comes before a "but". A lukewarm whole
  answer, or a clause that calls one thing fine or ok, now reads "ok", which both backends
  call neutral, and the rest of the text decides.
* "Not the best" read as praise by both backends, "Not great" by `fast` (0.84), "Never
  again" by `embedding`, and "Would not recommend" as neutral. Praise said not to hold, and a
  customer who will not come back or recommend, now read "very unhappy" (``BAD_NEWS``).
* "Could be better", "Needs improvement" and "Room for improvement" read as neutral or
  praise. They now read "dissatisfied" (``MILD_BAD_NEWS``; "disappointed" until weights
  2026.11.9, when `fast` came to read it as strongly as "very unhappy"): a mild complaint.
* A rating given in words ("10/10", "1 star", "4 out of 5") carried no evidence, or the
  wrong one ("1 star" neutral). It now reads as good news, "ok" or bad news by its value.
* (2026.11.7) "Long wait" and "Long queues" read as praise (`fast` 0.63), "Late delivery"
  and "No follow up" as neutral. A whole answer that names a problem in a few words now
  reads ``MILD_BAD_NEWS``; and "can't wait" and "worth the wait", which had taught the heads
  that "wait" is praise, read "excited". A whole answer that only names a topic ("Price",
  "Delivery") reads "ok": `fast` had read "Price" as praise (0.77). Thanks or praise for a
  failure ("thanks for losing my bag", "love being on hold for two hours") reads
  ``BAD_NEWS``: both backends had read such sarcasm as neutral or praise.

Only the *sentiment* view is rewritten (:func:`cxloop.text.resolved.sentiment_view`); themes
read the text as written. Each rule was checked by hand on cases that must stay as written
(tests/text/test_short_answers.py): questions, denials ("was not fine", "nothing was fine"),
clauses that go on ("fine until it broke"), "one of the best if not the best", dates
("on 2/5").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from cxloop.text.features import GOOD_NEWS

#: What a clear complaint in few words is rewritten to (both backends: P(negative) 0.92 and
#: 0.86), and a mild one: "dissatisfied", the word of a CSAT scale (P(negative) 0.95 and
#: 0.64, scores -0.92 and -0.44 with weights 2026.11.9, against -1.00 and -0.97 for
#: ``BAD_NEWS``; that `fast` head reads "disappointed", the word before, at -0.97).
BAD_NEWS = "very unhappy"
MILD_BAD_NEWS = "dissatisfied"
#: A whole answer that only approves. "Everything"/"all" may say fine or ok; "it"/"that"/
#: "service" must say more than ok ("it was ok" is lukewarm: ``_LUKEWARM_RE``).
_APPROVAL_RE = re.compile(
    r"\W*(?:"
    r"(?:everything|all|it all|all in all|overall|all round)(?:,? (?:it|everything))?"
    r"(?: (?:was|is|went|has been|seems|seemed|looks|looked|'s))?"
    r"(?: (?:all|very|really|just|pretty|absolutely|totally|perfectly|so))?"
    r" (?:good|fine|ok|okay|alright|all right|great|perfect|smooth|smoothly|well|excellent|"
    r"spot on|as expected|sorted)"
    r"|(?:(?:it|that|this|service|the service|experience|the experience)"
    r"(?: (?:was|is|went|has been|'s))? )?"
    r"(?:all |very |really |just |absolutely |perfectly )?"
    r"(?:good|great|perfect|excellent|smooth|all good|all fine)"
    r"|so far so good"
    r")(?:(?:,|\.|!)* (?:thanks?|thank you|thankyou|cheers|ta|thx))?[^\w?]*",
    re.IGNORECASE,
)
#: A whole answer that is lukewarm: neither a complaint nor praise.
_LUKEWARM_RE = re.compile(
    r"\W*(?:(?:it|that|this|service|the service|experience|the experience)"
    r"(?: (?:was|is|'s|seemed|seems))? )?(?:just |pretty |quite |mostly )?"
    r"(?:ok|okay|fine|alright|all right|average|so-so|so so|meh|satisfactory|acceptable|"
    r"adequate|decent|as expected)[^\w?]*",
    re.IGNORECASE,
)
LUKEWARM = "ok"
#: A whole answer that only names a topic ("Price", "Delivery", "The staff", "Customer
#: service"): the reason for a score, with no verdict in it, so it reads "ok" (neutral) and
#: the themes still read the word. `fast` had read "Price" as praise (0.77), the reviews it
#: learnt from saying "great price" far more than "the price".
_TOPIC_ANSWER_RE = re.compile(
    r"\W*(?:(?:the|your|my|our) )?(?:customer |delivery |waiting |wait |checkout |online )?"
    r"(?:price|prices|pricing|cost|costs|value|delivery|shipping|staff|service|support|app|"
    r"website|site|checkout|quality|product|products|wait|waiting|queue|queues|communication|"
    r"billing|bill|refund|refunds|returns|food|room|rooms|location|speed|time|times|fees|"
    r"selection|range|stock|parking|cleanliness|packaging|installation|onboarding)"
    r"(?: (?:and|&) (?:the )?[\w-]+)?[^\w?]*",
    re.IGNORECASE,
)
#: A clause that calls one thing fine or ok ("Delivery was fine", "the staff were ok, but the
#: room was dirty"): up to three words of subject, a verb, the lukewarm word, then the end
#: of the clause. Both backends read such clauses as complaints (`embedding` P(negative)
#: 0.60-0.84 for "Delivery was fine", "Checkout was fine", "The app works fine"), since in
#: the reviews they learnt from "X was fine" mostly comes before a "but". Denied ("was not
#: fine"), negated subjects ("nothing was fine") and clauses that go on ("fine until it
#: broke") are left as written.
_LUKEWARM_CLAUSE_RE = re.compile(
    r"(?:^|(?<=[.!;,:] )|(?<=\bbut )|(?<=\band ))"
    r"(?!(?:nothing|none|no|nobody|no one|not|never)\b)"
    r"(?:(?:the|my|our|your|their|its|this|that|his|her) )?(?:[\w'-]+ ){0,2}?[\w'-]+ "
    r"(?:was|were|is|are|seemed|seems|works|worked|went|looks|looked|tastes|tasted)"
    r" (?:just |pretty |quite |mostly |generally |all )?"
    r"(?:fine|ok|okay|alright|all right|average|adequate|decent|acceptable|satisfactory|so-so)"
    r"(?=[.!;,:]|$| but\b| though\b| however\b| and\b)",
    re.IGNORECASE,
)
#: Every ``_LUKEWARM_CLAUSE_RE`` match holds one of these (on the lowered text; the word
#: always follows a space, which keeps "book" and "token" from running the expression).
_LUKEWARM_WORDS = (
    " fine",
    " ok",
    " alright",
    " all right",
    " average",
    " adequate",
    " decent",
    " acceptable",
    " satisfactory",
    " so-so",
)


#: A whole answer that names a problem in a few words, as answers to "what could we
#: improve?" do: "Long wait times", "Late delivery", "Dirty room", "No follow up". The
#: models read "Rude staff" or "Hidden fees" right (those are left alone), but "Long wait"
#: and "Long queues" as praise (`fast` 0.63) and "Late delivery", "Hard to reach anyone",
#: "No follow up" as neutral (both backends), "Dirty room" too (`embedding`). Words
#: that are praise or neutral in other company ("long lasting", "late night opening", "small
#: shop", "cold drinks") count only with the nouns listed; an answer with a contrast or
#: "worth" ("expensive but worth it") is left as written.
_PROBLEM_ANSWER_RE = re.compile(
    r"(?![^?]*\b(?:but|though|although|however|worth|yet|love|loved|great|good|best)\b)"
    r"\W*(?:(?:the|a|very|too|really|extremely|so|way too|far too|quite) )*(?:"
    r"(?:long|longer|endless) (?:wait|waits|waiting|wait times?|waiting times?|queues?|lines?|"
    r"hold|hold times?|delays?|delivery|delivery times?|process|response times?|calls?)"
    r"|(?:late|delayed) (?:delivery|deliveries|arrival|flight|flights|train|trains|response|"
    r"reply|refund|payment|parcel|package|order|orders|shipping)"
    r"|cold (?:food|coffee|room|rooms|shower|water|meal|meals|pizza|fries|soup)"
    r"|(?:small|tiny) (?:portions?|rooms?|sizes?|servings?)"
    r"|(?:high|higher|hidden|extra|unexpected) (?:prices?|fees?|costs?|charges?)"
    r"|no (?:follow[ -]?up|response|reply|answer|call ?back|feedback|updates?|communication)"
    r"|(?:hard|difficult|impossible) to (?:reach|contact|get through)(?: (?:anyone|someone|you))?"
    r"|(?:unhelpful|unfriendly|impolite|incompetent|dirty|filthy|noisy|smelly|confusing|"
    r"broken|missing|damaged|wrong|slow|crowded|cramped|unclear)(?: [\w'-]+){0,2}"
    r")(?: (?:at|in|on|for|with|from|to|when|during)(?: [\w'-]+){1,3})?[^\w?]*",
    re.IGNORECASE,
)


#: Praise said not to hold ("not great", "wasn't helpful", "not the best", "never happy"),
#: and a customer who will not come back or recommend. "If not the best" is praise.
_BAD_NEWS_RE = re.compile(
    r"(?<!\bif )\b(?:not|never)(?: (?:very|that|so|too|really|particularly|exactly|at all))?"
    r" (?:great|good|the best|happy|impressed|satisfied|pleased|helpful|friendly|worth it|"
    r"worth the (?:money|price|wait)|recommended|acceptable|professional)\b"
    r"|(?<=[a-z])n't(?: (?:very|that|so|too|really|particularly|exactly))?"
    r" (?:great|good|the best|happy|impressed|satisfied|pleased|helpful|friendly|worth it|"
    r"worth the (?:money|price|wait)|acceptable|professional)\b"
    r"|\b(?:would|will|wo|could|shall)(?:n'?t| not| never) (?:ever )?(?:recommend|return|"
    r"come back|go back|buy (?:again|from)|order (?:again|from)|use (?:again|them|you|it)|"
    r"fly (?:again|with)|stay (?:again|here|there)|be back|be returning|shop (?:here|there|again))"
    r"|\bnever again\b|\b(?:do not|don'?t) (?:recommend|buy|order|bother|waste)\b",
    re.IGNORECASE,
)
_BAD_NEWS_WORDS = ("not ", "n't ", "never")
#: ...and one of these: the expression is slow, and most negations negate something else.
_BAD_NEWS_TARGETS = (
    "great",
    "good",
    "best",
    "happy",
    "impress",
    "satisf",
    "pleas",
    "helpful",
    "friendly",
    "worth",
    "recommend",
    "accept",
    "profession",
    "return",
    "back",
    "again",
    "buy",
    "order",
    "use",
    "fly",
    "stay",
    "shop",
    "bother",
    "waste",
)


def _bad_news(match: re.Match[str]) -> str:
    # "wasn't helpful" keeps its verb: "was very unhappy"
    return " " + BAD_NEWS if match.group(0).startswith("n't") else BAD_NEWS


#: A wish for better: a mild complaint.
_IMPROVE_RE = re.compile(
    r"\b(?:could|can|should|must) (?:be|do|get) (?:a (?:lot|bit|little) |much |way )?better"
    r"(?=[.!;,]|$| but\b| and\b| though\b)"
    r"|\bneeds? (?:some |a lot of |lots of |more )?(?:improvement|improving|work)\b"
    r"|\broom for improvement\b|\b(?:could|should|must|needs? to) improve\b",
    re.IGNORECASE,
)
_IMPROVE_WORDS = ("better", "improv", "work")
#: A rating that opens the answer: "10/10 would recommend", "1 star.", "4 out of 5". Only
#: at the start: inside a review a rating is often reported or denied ("the only reason I
#: didn't give it 5 stars"), and a date ("2/5/2024") or a hotel's class ("5 star hotel") is
#: no rating.
_RATING_RE = re.compile(
    r"^\W*"
    r"(?P<value>10|\d(?:\.\d)?) ?(?:(?:/ ?|out of |outta )(?P<scale>10|5|five|ten)"
    r"|(?P<stars>stars?)(?! (?:hotel|restaurant|resort)))(?![/\d\w])(?! of\b)",
    re.IGNORECASE,
)
_RATING_WORDS = ("/", "star", "out of", "outta")


def _rating(match: re.Match[str]) -> str:
    value = float(match.group("value"))
    scale = 5.0 if match.group("stars") or match.group("scale") in ("5", "five") else 10.0
    if value > scale:
        return match.group(0)
    share = value / scale
    if share >= 0.75:
        return GOOD_NEWS
    return BAD_NEWS if share <= 0.45 else LUKEWARM


#: Thanks or praise for a failure, the commonest sarcasm in complaints to a company:
#: "thanks for losing my bag", "love being on hold for two hours", "nice job overbooking the
#: flight again", "thanks for nothing", "so much for on-time departures". Both backends read
#: them as neutral or praise (the thanks and praise cues outweigh the failure). Thanks for a
#: fix of a failure ("thanks for rebooking me after the cancellation") does not match: the
#: failure must follow the thanks within two words; nor does thanks for doing it *quickly*
#: ("thanks for cancelling my subscription so quickly").
_SARCASM_RE = re.compile(
    r"(?:\b(?:thanks|thank you|thx|great job|nice job|good job|well done|way to go|"
    r"(?:gotta |got to |just |i )?love|loving|enjoying)"
    r"(?: @\w+)?,?(?: (?:so much |again )?for)?(?: (?:the|another|a|your|my))?"
    r"(?: (?:\w+|\d+ (?:hours?|hrs?|minutes?|mins?)))?? "
    r"(?:losing|lost|cancell?ing|delaying|delayed|delay|delays|overbooking|stranding|ignoring|"
    r"overcharging|double charging|charging me twice|breaking|damaging|being on hold|on hold|"
    r"nothing|wasting|the runaround|(?:waiting|being on hold|on hold)(?: for)? (?:over |more "
    r"than |almost |nearly )?(?:an?|\d+|two|three|four|five|several) (?:hours?|hrs?|days?|"
    r"weeks?|minutes?|mins?))\b"
    r"(?![^.!?]{0,40}\b(?:quickly|promptly|so fast|without (?:fuss|hassle)|easily|so easy)\b)"
    r"|(?:^|(?<=[.!?,;] ))so much for\b)",
    re.IGNORECASE,
)
_SARCASM_WORDS = ("thank", "thx", "job", "well done", "way to go", "lov", "enjoy", "so much for")
#: ...and one of these (or "so much for"): thanks and praise are common, failures after them
#: rare, and the expression is slow.
_SARCASM_TARGETS = (
    "los",
    "cancel",
    "delay",
    "overbook",
    "strand",
    "ignor",
    "charg",
    "break",
    "damag",
    "hold",
    "nothing",
    "wast",
    "runaround",
    "waiting",
)


#: A wait the customer counts: "on hold for 2 hours", "been waiting 3 days for a reply",
#: "waited over an hour at the gate", "we waited forever for our food". Both backends read
#: most as neutral or even praise ("waited forever for our food" +0.36 `fast`, +0.35
#: `embedding`; "on hold for 2 hours" -0.09 / -0.36), though a counted wait is the commonest
#: complaint about waiting; it reads ``BAD_NEWS`` ("dissatisfied" was too weak for
#: MiniLM: "I've been dissatisfied now!" read positive). Minutes count from 15 (digits):
#: "waited 5 minutes" is no complaint. A wait said to be short ("only", "just") or absent
#: ("never waited", "didn't wait"), or called fine or normal, is left as written.
_COUNTED_WAIT_RE = re.compile(
    r"(?<!\bnever )(?<!n't )(?<!\bnot )(?<!\bonly )(?<!\bjust )"
    r"\b(?:on hold|waiting|waited|had to wait|queu(?:e|ed|ing)|stuck in (?:a )?(?:line|queue))"
    r"(?: (?:in (?:line|the queue|a queue)|on the (?:phone|line)|around|there|here))?"
    r"(?: (?:for|on) (?:a|an|my|the|our|your|his|her|their) [\w'-]+(?: [\w'-]+)?)?"
    r"(?: for)?"
    r"(?: (?:over|more than|almost|nearly|about|around|at least|well over|close to))?"
    r" (?:(?:an?|one|\d+|two|three|four|five|six|seven|eight|nine|ten|twelve|several|many|"
    r"a few|a couple of|couple of)(?: more)? (?:hours?|hrs?|days?|weeks?|months?)"
    r"|(?:[2-9]\d|1[5-9]|\d{3,}) ?(?:more )?(?:minutes?|mins?)"
    r"|ages|forever|an eternity)\b"
    r"(?![^.!?]{0,25}\b(?:is|was|are|would be|will be)(?: (?:totally|perfectly|absolutely|"
    r"completely|quite))? (?:fine|ok|okay|normal|expected|acceptable|reasonable|no (?:problem|"
    r"issue|big deal))\b)",
    re.IGNORECASE,
)
_COUNTED_WAIT_WORDS = ("hold", "wait", "queu", "stuck")
#: Being on hold said as a state the customer is (still) in, without a count: "I have been
#: on hold", "still on hold with your support", "they kept me on hold". `fast` read "I have
#: been on hold" as neutral (+0.17), though "on hold" is a failure cue: no training text
#: says it that way. Denied ("never been on hold") and asked of someone else ("have you
#: been on hold") stay; a counted wait has been rewritten before this runs.
_ON_HOLD_RE = re.compile(
    r"(?<!\bnever )(?<!n't )(?<!\bnot )(?<!\byou )"
    r"\b(?P<state>(?:i've|i have|we've|we have|i'd|we'd|i had|we had|has|have|had) been|"
    r"still|currently|i'm|i am|we're|we are|(?:kept|left|put) (?:me|us)(?: back)?) on hold\b",
    re.IGNORECASE,
)


#: Idioms whose words say the opposite of a complaint: "can't wait" (eager) and "worth the
#: wait". Read as written they taught both heads that "wait", the commonest word of a
#: waiting complaint, is praise: "Long wait" read positive (`fast` 0.63).
_EAGER_RE = re.compile(
    r"\b(?:can'?t|cannot|can not|couldn'?t|could not) wait\b"
    r"(?![^.!?]{0,30}\b(?:any ?more|any longer|longer|forever)\b)"
    r"|\bworth (?:the|every minute of the) wait\b",
    re.IGNORECASE,
)
EAGER = "excited"


def _short_answer(text: str) -> str:
    if text in (LUKEWARM, GOOD_NEWS, BAD_NEWS, MILD_BAD_NEWS, EAGER):
        return text
    if len(text) <= 60:
        if _APPROVAL_RE.fullmatch(text):
            return GOOD_NEWS
        if _LUKEWARM_RE.fullmatch(text) or _TOPIC_ANSWER_RE.fullmatch(text):
            return LUKEWARM
        if len(text) <= 40 and _PROBLEM_ANSWER_RE.fullmatch(text):
            return MILD_BAD_NEWS
    read, lowered = text, text.lower()
    if any(word in lowered for word in _RATING_WORDS):
        read = _RATING_RE.sub(_rating, read)
    if any(word in lowered for word in _BAD_NEWS_WORDS) and any(
        word in lowered for word in _BAD_NEWS_TARGETS
    ):
        read = _BAD_NEWS_RE.sub(_bad_news, read)
    if any(word in lowered for word in _IMPROVE_WORDS):
        read = _IMPROVE_RE.sub(MILD_BAD_NEWS, read)
    if any(word in lowered for word in _LUKEWARM_WORDS):
        read = _LUKEWARM_CLAUSE_RE.sub(LUKEWARM, read)
    if any(word in lowered for word in _SARCASM_WORDS) and (
        "so much for" in lowered or any(word in lowered for word in _SARCASM_TARGETS)
    ):
        read = _SARCASM_RE.sub(BAD_NEWS, read)
    if "wait" in lowered:
        read = _EAGER_RE.sub(EAGER, read)
    if any(word in lowered for word in _COUNTED_WAIT_WORDS):
        read = _COUNTED_WAIT_RE.sub(BAD_NEWS, read)
        if "hold" in lowered:
            read = _ON_HOLD_RE.sub(lambda m: f"{m.group('state')} {BAD_NEWS}", read)
    return text if read == text else read


def short_answers_as_meant(cleaned: Sequence[str]) -> list[str]:
    """``cleaned`` as the sentiment heads read it. A whole answer (at most 60 characters)
    that only approves becomes ``GOOD_NEWS``, a lukewarm one or one that only names a topic
    "ok", and one of at most 40 that names a problem ``MILD_BAD_NEWS``. A rating that opens a
    text becomes good news, "ok" or bad news by its value. Anywhere in a text, praise said
    not to hold, "would not recommend" and thanks for a failure become ``BAD_NEWS``, a wish
    for better ``MILD_BAD_NEWS``, a clause that calls one thing fine or ok "ok", "can't
    wait" ``EAGER``, and a counted wait ("on hold for 2 hours") or being on hold ("I have
    been on hold": "I have been very unhappy") ``BAD_NEWS``. An unchanged
    text is the same object."""
    return [_short_answer(text) for text in cleaned]
