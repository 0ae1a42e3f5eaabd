"""Readers for the public datasets the text models are trained and evaluated on.

Labels of one dataset are not the vocabulary of another, so every mapping onto the three CX
sentiment classes is explicit here and documented in docs/text-models.md:

* TweetEval: 0/1/2 are negative/neutral/positive already.
* SemEval-2014 sentences: the sentence label is the single polarity shared by all its aspect
  categories (restaurants) or aspect terms (laptops); sentences with mixed or ``conflict``
  polarities, and laptop sentences without aspect terms, are left out (their label is unknown).
* Clothing reviews: rating 1-2 negative, 4-5 positive; 3 is left out (mixed by nature).
* BANKING77: a query reporting something that went wrong (card not arrived, payment declined,
  charged twice, transfer pending) is a bad experience and labelled negative even when it
  contains no emotional word; a how-to or information question is neutral. Intents that can
  be either (requesting a refund, closing the account, a forgotten passcode) are left out.
  This is what teaches the models that "my card still hasn't arrived" is negative and "can I
  change my PIN?" is neutral.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cxloop.errors import ConfigError

BANKING_PROBLEM_INTENTS = frozenset(
    [
        "card_arrival",
        "card_payment_wrong_exchange_rate",
        "extra_charge_on_statement",
        "pending_cash_withdrawal",
        "card_not_working",
        "lost_or_stolen_card",
        "pin_blocked",
        "contactless_not_working",
        "pending_top_up",
        "wrong_amount_of_cash_received",
        "card_payment_fee_charged",
        "transfer_not_received_by_recipient",
        "top_up_reverted",
        "balance_not_updated_after_cheque_or_cash_deposit",
        "card_payment_not_recognised",
        "unable_to_verify_identity",
        "compromised_card",
        "direct_debit_payment_not_recognised",
        "declined_cash_withdrawal",
        "pending_card_payment",
        "lost_or_stolen_phone",
        "declined_transfer",
        "Refund_not_showing_up",
        "declined_card_payment",
        "pending_transfer",
        "card_swallowed",
        "transaction_charged_twice",
        "reverted_card_payment?",
        "beneficiary_not_allowed",
        "transfer_fee_charged",
        "failed_transfer",
        "virtual_card_not_working",
        "wrong_exchange_rate_for_cash_withdrawal",
        "top_up_failed",
        "balance_not_updated_after_bank_transfer",
        "cash_withdrawal_not_recognised",
    ]
)
BANKING_INFO_INTENTS = frozenset(
    [
        "card_linking",
        "exchange_rate",
        "fiat_currency_support",
        "card_delivery_estimate",
        "automatic_top_up",
        "exchange_via_app",
        "age_limit",
        "top_up_by_bank_transfer_charge",
        "cancel_transfer",
        "top_up_limits",
        "supported_cards_and_currencies",
        "getting_virtual_card",
        "card_acceptance",
        "edit_personal_details",
        "why_verify_identity",
        "get_physical_card",
        "visa_or_mastercard",
        "topping_up_by_card",
        "disposable_card_limits",
        "atm_support",
        "verify_source_of_funds",
        "transfer_timing",
        "change_pin",
        "receiving_money",
        "transfer_into_account",
        "verify_top_up",
        "getting_spare_card",
        "top_up_by_cash_or_cheque",
        "order_physical_card",
        "get_disposable_virtual_card",
        "activate_my_card",
        "card_about_to_expire",
        "apple_pay_or_google_pay",
        "verify_my_identity",
        "country_support",
    ]
)
LABEL_INDEX = {"negative": 0, "neutral": 1, "positive": 2}


@dataclass
class LabelledTexts:
    """Texts with sentiment class indices (0 negative, 1 neutral, 2 positive)."""

    name: str
    texts: list[str]
    labels: list[int]
    groups: list[str] = field(default_factory=list)  # e.g. sentence ids, for grouped CV

    def __len__(self) -> int:
        return len(self.texts)


def datasets_dir(path: str | Path | None = None) -> Path:
    """``../shared/datasets`` next to the project unless given; a clear error if absent."""
    root = Path(path) if path else Path(__file__).resolve().parents[4] / "shared" / "datasets"
    if not root.is_dir():
        raise ConfigError(
            f"public datasets folder not found at '{root}'",
            hint="pass --datasets PATH pointing at the shared datasets folder",
        )
    return root


def tweeteval(root: Path, split: str) -> LabelledTexts:
    folder = root / "tweeteval_sentiment"
    texts = (folder / f"{split}_text.txt").read_text(encoding="utf-8").splitlines()
    labels = [int(x) for x in (folder / f"{split}_labels.txt").read_text().split()]
    return LabelledTexts(f"tweeteval_{split}", texts, labels)


@dataclass
class AbsaSentence:
    sid: str
    text: str
    categories: dict[str, str]  # category -> polarity
    term_polarities: list[str]


def semeval_sentences(root: Path, file: str = "Restaurants_Train.xml") -> list[AbsaSentence]:
    tree = ET.parse(root / "semeval2014_absa" / file)  # noqa: S314 - trusted local dataset
    out = []
    for node in tree.getroot().iter("sentence"):
        cats = {c.get("category", ""): c.get("polarity", "") for c in node.iter("aspectCategory")}
        terms = [t.get("polarity", "") for t in node.iter("aspectTerm")]
        out.append(AbsaSentence(node.get("id", ""), node.findtext("text") or "", cats, terms))
    return out


def sentence_polarity(sentence: AbsaSentence) -> int | None:
    """The one polarity all aspects share, else None (mixed, conflict or unknown)."""
    pols = set(sentence.categories.values()) or set(sentence.term_polarities)
    if len(pols) != 1:
        return None
    return LABEL_INDEX.get(pols.pop())


def semeval_polarity(root: Path, file: str) -> LabelledTexts:
    texts, labels, groups = [], [], []
    for s in semeval_sentences(root, file):
        label = sentence_polarity(s)
        if label is not None:
            texts.append(s.text)
            labels.append(label)
            groups.append(s.sid)
    return LabelledTexts(f"semeval_{file.split('_')[0].lower()}", texts, labels, groups)


def _clothing_frame(root: Path) -> tuple[pd.DataFrame, pd.Series]:
    """The reviews with a text, and each one's title and text as one string."""
    frame = pd.read_csv(root / "womens_clothing_reviews_sample.csv")
    frame = frame[frame["Review Text"].notna()]
    text = frame["Title"].fillna("").str.strip() + ". " + frame["Review Text"].str.strip()
    return frame, text.str.lstrip(". ")


def clothing_reviews(root: Path) -> LabelledTexts:
    frame, text = _clothing_frame(root)
    keep = frame["Rating"] != 3
    labels = (frame.loc[keep, "Rating"] >= 4).map({True: 2, False: 0})
    return LabelledTexts("clothing", text[keep].tolist(), labels.astype(int).tolist())


def banking_frame(root: Path, split: str) -> pd.DataFrame:
    return pd.read_csv(root / "banking77" / f"{split}.csv")


def banking_categories(root: Path) -> list[str]:
    return list(json.loads((root / "banking77" / "categories.json").read_text()))


def banking_sentiment(root: Path, split: str = "train") -> LabelledTexts:
    frame = banking_frame(root, split)
    label = frame["category"].map(
        lambda c: 0 if c in BANKING_PROBLEM_INTENTS else 1 if c in BANKING_INFO_INTENTS else -1
    )
    keep = frame[label >= 0]
    return LabelledTexts(
        f"banking77_{split}", keep["text"].tolist(), label[label >= 0].astype(int).tolist()
    )


#: Sources of the shipped sentiment weights. BANKING77 is subsampled so that bank queries do
#: not outweigh reviews and tweets (which carry all the positive examples).
SENTIMENT_SOURCES = (
    "tweeteval_val",
    "semeval_restaurants",
    "semeval_laptop",
    "clothing",
    "banking77",
)
BANKING_SAMPLE = 3_000


def sentiment_corpus(
    root: Path, *, exclude: tuple[str, ...] = (), seed: int = 0
) -> list[LabelledTexts]:
    """The training sources of the sentiment models, minus ``exclude`` (for held-out eval)."""
    loaders = {
        "tweeteval_val": lambda: tweeteval(root, "val"),
        "semeval_restaurants": lambda: semeval_polarity(root, "Restaurants_Train.xml"),
        "semeval_laptop": lambda: semeval_polarity(root, "Laptop_Train.xml"),
        "clothing": lambda: clothing_reviews(root),
        "banking77": lambda: _subsample(banking_sentiment(root, "train"), BANKING_SAMPLE, seed),
    }
    return [loaders[name]() for name in SENTIMENT_SOURCES if name not in exclude]


def distillation_texts(root: Path, *, exclude: tuple[str, ...] = ()) -> list[str]:
    """Texts the `fast` sentiment head learns the embedding head's reading of: the training
    texts of :func:`sentiment_corpus` plus, from the same sources only, the texts it leaves
    out for want of a label (SemEval sentences with mixed polarity, 3-star reviews, the other
    BANKING77 training queries). No label is read; nothing from an excluded source joins,
    so a leave-dataset-out evaluation stays unseen. Distinct, in a fixed order."""
    texts = [t for source in sentiment_corpus(root, exclude=exclude) for t in source.texts]
    extras = {
        "semeval_restaurants": lambda: [
            s.text for s in semeval_sentences(root, "Restaurants_Train.xml")
        ],
        "semeval_laptop": lambda: [s.text for s in semeval_sentences(root, "Laptop_Train.xml")],
        "clothing": lambda: _clothing_frame(root)[1].tolist(),
        "banking77": lambda: banking_frame(root, "train")["text"].tolist(),
    }
    for name, load in extras.items():
        if name in SENTIMENT_SOURCES and name not in exclude:
            texts += load()
    return list(dict.fromkeys(t for t in texts if t.strip()))


def _subsample(data: LabelledTexts, size: int, seed: int) -> LabelledTexts:
    import numpy as np

    rng = np.random.default_rng(seed)
    index = np.sort(rng.choice(len(data), size=min(size, len(data)), replace=False))
    return LabelledTexts(data.name, [data.texts[i] for i in index], [data.labels[i] for i in index])
