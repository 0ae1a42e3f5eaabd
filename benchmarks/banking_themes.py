"""BANKING77's 77 intents grouped into 11 CX themes, for a zero-shot theme benchmark.

The target "themes from names, descriptions and 3 keywords, no examples, on held-out
complaints" needs complaint-style texts with theme labels. BANKING77 queries are customer
messages to a bank; grouping its intents into the coarse themes a CX team would define gives
single-label, complaint-like texts. The names, descriptions, keywords and the grouping were
written once, before any measurement, and were not revised after seeing results.
"""

from __future__ import annotations

from cxloop.text.types import ThemeDefinition

GROUPS: dict[str, tuple[str, tuple[str, str, str], list[str]]] = {
    "Card delivery": (
        "ordering a card, its delivery, arrival and activation",
        ("delivery", "arrive", "order"),
        [
            "card_arrival",
            "card_delivery_estimate",
            "get_physical_card",
            "order_physical_card",
            "getting_spare_card",
            "card_about_to_expire",
            "activate_my_card",
            "card_linking",
        ],
    ),
    "Card not working": (
        "the card does not work, is declined, blocked or swallowed",
        ("declined", "blocked", "contactless"),
        [
            "card_not_working",
            "contactless_not_working",
            "pin_blocked",
            "card_swallowed",
            "virtual_card_not_working",
            "declined_card_payment",
            "card_acceptance",
            "change_pin",
        ],
    ),
    "Fraud and lost cards": (
        "lost or stolen cards and phones, payments the customer does not recognise",
        ("stolen", "fraud", "unrecognised"),
        [
            "lost_or_stolen_card",
            "compromised_card",
            "lost_or_stolen_phone",
            "card_payment_not_recognised",
            "direct_debit_payment_not_recognised",
            "cash_withdrawal_not_recognised",
        ],
    ),
    "Cash withdrawal": (
        "taking cash out at an ATM",
        ("ATM", "cash", "withdrawal"),
        [
            "pending_cash_withdrawal",
            "wrong_amount_of_cash_received",
            "declined_cash_withdrawal",
            "atm_support",
        ],
    ),
    "Transfers": (
        "sending and receiving money by bank transfer",
        ("transfer", "send", "recipient"),
        [
            "cancel_transfer",
            "transfer_not_received_by_recipient",
            "declined_transfer",
            "pending_transfer",
            "transfer_timing",
            "beneficiary_not_allowed",
            "failed_transfer",
            "receiving_money",
            "transfer_into_account",
            "balance_not_updated_after_bank_transfer",
        ],
    ),
    "Top-ups": (
        "adding money to the account",
        ("top up", "add money", "deposit"),
        [
            "automatic_top_up",
            "pending_top_up",
            "top_up_limits",
            "top_up_reverted",
            "topping_up_by_card",
            "verify_top_up",
            "top_up_by_cash_or_cheque",
            "top_up_failed",
            "balance_not_updated_after_cheque_or_cash_deposit",
        ],
    ),
    "Fees and charges": (
        "fees, extra charges and being charged twice",
        ("fee", "charge", "charged"),
        [
            "extra_charge_on_statement",
            "card_payment_fee_charged",
            "transfer_fee_charged",
            "transaction_charged_twice",
            "exchange_charge",
            "top_up_by_bank_transfer_charge",
            "top_up_by_card_charge",
            "cash_withdrawal_charge",
        ],
    ),
    "Exchange rates and currencies": (
        "foreign currencies, exchange rates and countries supported",
        ("exchange rate", "currency", "country"),
        [
            "exchange_rate",
            "card_payment_wrong_exchange_rate",
            "fiat_currency_support",
            "exchange_via_app",
            "supported_cards_and_currencies",
            "wrong_exchange_rate_for_cash_withdrawal",
            "country_support",
            "visa_or_mastercard",
        ],
    ),
    "Identity verification": (
        "proving who you are: identity checks, documents and source of funds",
        ("verify", "identity", "documents"),
        [
            "why_verify_identity",
            "unable_to_verify_identity",
            "verify_my_identity",
            "verify_source_of_funds",
            "age_limit",
        ],
    ),
    "Refunds and pending payments": (
        "refunds, and card payments that are pending or reverted",
        ("refund", "pending", "reverted"),
        [
            "request_refund",
            "Refund_not_showing_up",
            "pending_card_payment",
            "reverted_card_payment?",
        ],
    ),
    "Account and app": (
        "account settings, personal details, passcode, closing the account, virtual cards and "
        "mobile wallets",
        ("account", "app", "details"),
        [
            "edit_personal_details",
            "terminate_account",
            "passcode_forgotten",
            "apple_pay_or_google_pay",
            "getting_virtual_card",
            "get_disposable_virtual_card",
            "disposable_card_limits",
        ],
    ),
}
TAXONOMY = [ThemeDefinition(name, desc, kws) for name, (desc, kws, _) in GROUPS.items()]
THEME_OF = {intent: i for i, (_, _, intents) in enumerate(GROUPS.values()) for intent in intents}
