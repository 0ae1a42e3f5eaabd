"""The words of the demo company's customers: paraphrases per theme and polarity.

Each clause is a complete clause in lower case (capitalised when it starts a sentence) with
optional slots filled by :mod:`cxloop.demo.verbatims`: ``{product}``, ``{days}``, ``{weeks}``,
``{amount}``, ``{courier}``, ``{hours}``, ``{order}``, ``{app}``. Many clauses avoid the obvious
keyword on purpose ("my parcel never showed up" says nothing of "delivery") so that a text
engine is tested on meaning, not on one word. Company: Larkwood Home, an online home-goods
retailer with a monthly subscription box (the "Larkwood Box").
"""

from __future__ import annotations

#: Negative clauses per theme (complaints).
NEGATIVE: dict[str, tuple[str, ...]] = {
    "Price and value": (
        "the prices have crept up again and the quality has not",
        "it's far too expensive for what you actually get",
        "£{amount} for a {product} that feels cheap is a joke",
        "i found the same {product} for half the price elsewhere",
        "the box subscription went up by £5 a month with no warning",
        "poor value for money",
        "you are paying premium prices for supermarket quality",
        "the so-called sale prices are higher than last month's normal price",
        "delivery charges make every small order ridiculous",
        "not worth the money at all",
        "overpriced, plain and simple",
        "i can't justify the cost of the box any more",
        "the discount code never worked so i paid full whack",
    ),
    "Product quality": (
        "the {product} fell apart after {weeks} weeks",
        "the {product} looks nothing like the photos",
        "the stitching on my {product} came undone after the first wash",
        "the quality has gone downhill badly",
        "my {product} arrived chipped and the glaze is uneven",
        "the {product} is flimsy and feels cheap",
        "the colour faded within a month",
        "the {product} started to rust after a couple of weeks",
        "everything in this month's box felt like cheap filler",
        "the towels are thin and scratchy",
        "the handle snapped off my {product} on day three",
        "the sheets pilled after two washes",
        "poor quality materials, it smells of chemicals",
    ),
    "Delivery": (
        "my parcel never showed up",
        "the courier left it in the rain and the box was soaked",
        "delivery took {days} days when it said 2-3",
        "tracking said delivered but nothing arrived",
        "the driver threw the parcel over the gate",
        "i waited in all day and {courier} never came",
        "my {product} arrived smashed because it was barely wrapped",
        "the delivery slot was missed twice in a row",
        "the package went to the wrong address again",
        "shipping is painfully slow",
        "my order is now {weeks} weeks late",
        "the box was left on the doorstep in full view of the street",
        "it was marked as delivered while i was standing at the front door",
        "they keep rescheduling my delivery without telling me",
        "half the order turned up and the rest is still missing",
        "the courier refused to carry it upstairs",
        "my monthly box arrived a week late again",
        "still waiting for the {product} i ordered on the {order}th",
    ),
    "Customer service": (
        "customer service was useless",
        "nobody ever answers the phone",
        "the agent was rude and hung up on me",
        "i have emailed {days} times and had no reply",
        "i get copy-paste answers that ignore my question",
        "the chat bot goes round in circles and never hands me to a person",
        "each person i spoke to told me something different",
        "nobody takes ownership of the problem",
        "the staff don't seem to care at all",
        "they promised a call back that never came",
        "support closed my ticket without fixing anything",
    ),
    "Billing and refunds": (
        "i was charged twice for the same order",
        "my card was billed twice this month",
        "there is a double charge on my statement and no one can explain it",
        "i'm still waiting on a refund of £{amount}",
        "my refund has taken over {weeks} weeks",
        "they took money after i cancelled",
        "the invoice doesn't match what i paid",
        "i was billed for a box i skipped",
        "the payment went through twice and now i'm overdrawn",
        "the promised credit never appeared on my account",
        "i got charged the full price even though the code was applied",
    ),
    "Website and app": (
        "the app keeps crashing",
        "the app crashes every time i open my orders",
        "since the last update the app freezes on the checkout screen",
        "i can't log in on the app any more",
        "the website is slow and the basket keeps emptying itself",
        "search never finds what i'm looking for",
        "the checkout page throws an error at payment",
        "the {app} update broke skipping a box",
        "the app logs me out every five minutes",
        "pages take forever to load on my phone",
        "filters on the website don't work",
    ),
    "Wait time": (
        "i was on hold for {hours} hours",
        "i waited {hours} hours on the phone before giving up",
        "it took {days} days to get any reply",
        "the queue on live chat was over an hour",
        "waiting times are ridiculous",
        "i've been in a queue since this morning",
        "it takes an eternity to reach anyone",
        "you wait ages just to be told to email instead",
    ),
    "Communication": (
        "nobody told me my order was delayed",
        "i got no updates at all after placing the order",
        "you changed the box contents without telling anyone",
        "the emails are confusing and contradict each other",
        "i was never informed that my subscription would renew",
        "too many marketing emails and none with the information i need",
        "the dispatch notification came a week after the parcel",
        "there was no warning about the price change",
        "the tracking emails stopped halfway",
    ),
    "Onboarding": (
        "setting up my account was confusing",
        "the sign-up process asked for the same details three times",
        "i couldn't work out how to choose what goes in my first box",
        "the welcome email link didn't work",
        "the first box was nothing like the style quiz promised",
        "getting started was a lot harder than it should be",
        "i never received the activation email",
        "the account set up kept failing at the address step",
    ),
    "Returns": (
        "returning the {product} was a nightmare",
        "the returns portal keeps rejecting my order number",
        "i had to pay to send back a faulty item",
        "they lost my return and now won't refund me",
        "the return label never arrived",
        "nobody collected the return even though i booked it twice",
        "the exchange process is far too complicated",
        "i was told faulty items can't be sent back after 14 days",
    ),
}

#: Positive clauses per theme (praise).
POSITIVE: dict[str, tuple[str, ...]] = {
    "Price and value": (
        "great value for money",
        "the prices are really fair for the quality",
        "the box is well worth the monthly fee",
        "cheaper than the high street for better stuff",
        "the sale had some brilliant bargains",
        "you get a lot for £{amount}",
        "excellent value, honestly",
    ),
    "Product quality": (
        "the {product} is beautifully made",
        "the quality is excellent",
        "my {product} feels really solid and well finished",
        "the sheets are lovely and soft even after many washes",
        "the {product} looks even better than the photos",
        "everything in the box was top quality",
        "my {product} has lasted for years",
        "gorgeous {product}, really sturdy",
    ),
    "Delivery": (
        "delivery was quicker than expected",
        "it arrived the next day",
        "the driver was really friendly and left it in the porch as asked",
        "my parcel came well packed and on time",
        "super fast shipping",
        "the box always turns up on the right day",
        "tracking was accurate to the hour",
        "it came a day early",
    ),
    "Customer service": (
        "customer service was brilliant",
        "the agent sorted everything out in minutes",
        "the staff were friendly and genuinely helpful",
        "{agent} went above and beyond to help me",
        "support fixed my problem straight away",
        "they really listened and put it right",
        "the team were kind and patient with me",
    ),
    "Billing and refunds": (
        "the refund came through in two days",
        "my money was back on my card the same week",
        "billing is clear and simple",
        "they refunded me without any fuss",
        "the invoice was easy to understand",
    ),
    "Website and app": (
        "the app is easy to use",
        "the website is really easy to find things on",
        "skipping a box in the app takes seconds",
        "checkout was quick and painless",
        "the new app looks great and works smoothly",
        "love how simple the site is",
    ),
    "Wait time": (
        "i got through to someone in under a minute",
        "no waiting at all on live chat",
        "they answered my email within the hour",
        "very quick to respond",
    ),
    "Communication": (
        "they kept me updated every step of the way",
        "the emails are clear and helpful",
        "i always know exactly when my box is coming",
        "they let me know about the delay straight away",
        "great communication throughout",
    ),
    "Onboarding": (
        "signing up took two minutes",
        "the style quiz made choosing my first box easy",
        "setting up the account was really straightforward",
        "the welcome guide explained everything clearly",
        "getting started was a breeze",
    ),
    "Returns": (
        "returns were easy and free",
        "sending the {product} back was simple",
        "the return was collected the next day",
        "the exchange was quick and hassle-free",
        "returning it took two minutes with the label in the box",
    ),
}

#: Questions with no sentiment (mostly social posts and tickets).
QUESTIONS: dict[str, tuple[str, ...]] = {
    "Price and value": (
        "is there a student discount?",
        "will the box price stay the same next year?",
        "do you price match?",
    ),
    "Product quality": (
        "is the {product} dishwasher safe?",
        "what are the sheets made of?",
        "does the {product} come in a larger size?",
    ),
    "Delivery": (
        "do you deliver to the channel islands?",
        "can i change my delivery address after ordering?",
        "which courier do you use for large items?",
        "can i choose a delivery day for my box?",
    ),
    "Customer service": (
        "what are your opening hours for phone support?",
        "is there a number i can call?",
    ),
    "Billing and refunds": (
        "when will i be charged for the next box?",
        "can i pay with paypal?",
        "how long do refunds usually take?",
    ),
    "Website and app": (
        "is there an app for android tablets?",
        "how do i reset my password in the app?",
    ),
    "Wait time": ("how long is the wait for live chat at the moment?",),
    "Communication": (
        "can i turn off the marketing emails but keep order updates?",
        "will i get a text when my box ships?",
    ),
    "Onboarding": (
        "how do i pick what goes in my first box?",
        "can i change my style profile after signing up?",
    ),
    "Returns": (
        "how many days do i have to return something?",
        "can i return an item bought in the sale?",
    ),
}

#: The planted spike: double charges (``SPIKE_THEME``) in one week.
SPIKE_CLAUSES: tuple[str, ...] = (
    "i've been charged twice for my box this week",
    "double charged again! two payments of £{amount} came out today",
    "my bank shows the same payment twice",
    "you took the subscription fee twice on monday",
    "two identical charges hit my card this week, please fix it",
    "i was billed twice and now my account is overdrawn",
    "the payment for my box came out twice",
)

#: The planted churn problem: app crashes after a release (``CHURN_THEME``).
CRASH_CLAUSES: tuple[str, ...] = (
    "the app crashes as soon as i open it since the {app} update",
    "ever since the new version the app just freezes and closes",
    "the app crashes every time i try to skip a box",
    "the app keeps crashing when i try to pay",
    "the latest update made the app completely unusable",
    "i can't manage my subscription because the app crashes on launch",
    "app force-closes on the orders page, every single time",
    "the app has been crashing for weeks and nobody fixes it",
)

#: The planted different segment: account management for business customers (Enterprise).
ACCOUNT_CLAUSES: tuple[str, ...] = (
    "our account manager takes {days} days to answer a simple email",
    "we have a business account and still get treated like a number",
    "our account manager changed three times this year and none of them know our account",
    "for a business our size the account management is simply not good enough",
    "nobody from the business team ever follows up on our orders",
    "we've escalated to our account manager twice and heard nothing",
    "trade account support is slow and disorganised",
)

#: The theme nobody defined (discovery must find it): plastic packaging waste, ~1%.
PACKAGING_CLAUSES: tuple[str, ...] = (
    "so much plastic packaging for one little vase",
    "the tea towels came wrapped in layers of plastic packaging",
    "please stop using single-use plastic in your packaging",
    "the packaging is really wasteful, plastic everywhere",
    "each thing came individually wrapped in plastic, it's 2026",
    "far too much plastic packaging for a company that claims to be green",
    "i had to fill a whole bin bag with the packaging",
    "the plastic packaging isn't even recyclable",
    "why is each towel sealed in its own plastic bag?",
    "the amount of plastic you use makes me feel guilty",
    "excessive packaging: plastic air pillows and foam around a single mug",
    "your plastic packaging goes straight to landfill",
    "wasteful packaging - a cardboard carton would have done, the plastic inserts were pointless",
    "could you cut down on the plastic packaging please",
    "the parcel was three times the size of the vase and stuffed with bubble wrap",
    "polystyrene chips everywhere, none of it recyclable",
)

#: Generic sentences when a comment names no theme, by score band.
GENERIC: dict[str, tuple[str, ...]] = {
    "positive": (
        "love shopping here",
        "always a pleasure",
        "really happy with everything",
        "brilliant company, would recommend to anyone",
        "never had a problem",
        "my go-to shop for the home",
        "can't fault them",
        "keep up the good work",
        "very pleased overall",
        "the box is the highlight of my month",
    ),
    "neutral": (
        "it's fine, nothing special",
        "does the job",
        "ok overall",
        "some things are good, some not so good",
        "average experience",
        "no strong feelings either way",
        "it was alright",
    ),
    "negative": (
        "not impressed overall",
        "really disappointing experience",
        "i expected a lot better",
        "i'm fed up with this company",
        "very poor overall",
        "i wouldn't recommend them",
        "the whole experience has gone downhill",
    ),
}

#: Support tickets that name no theme (account admin and small requests).
GENERIC_TICKET: tuple[str, ...] = (
    "please can someone call me back about my account",
    "i need to update the address on my account",
    "can you confirm my subscription is still active?",
    "i'd like to pause my box for a month",
    "please change the email address on my account",
    "can i add a gift note to my next order?",
    "i want to swap the towels in my next box for something else",
)

#: Sentence openers and closers that add tone without naming a theme.
OPENERS: dict[str, tuple[str, ...]] = {
    "positive": ("honestly, ", "have to say ", "so pleased: ", "", "", "", "", ""),
    "negative": ("honestly, ", "sadly ", "unfortunately ", "really annoyed: ", "", "", "", ""),
    "neutral": ("", "", "hi, ", "quick question: "),
}
CLOSERS: dict[str, tuple[str, ...]] = {
    "positive": (
        "Thank you!",
        "Will definitely order again.",
        "Highly recommend.",
        "Very happy.",
        "Keep it up!",
        "Love it.",
    ),
    "negative": (
        "Really disappointed.",
        "Not good enough.",
        "Very frustrating.",
        "Sort it out.",
        "I'm thinking of cancelling.",
        "Awful.",
    ),
    "neutral": ("Thanks.", "Cheers.", "Thanks in advance."),
}

#: Review titles by polarity, and a few by theme.
TITLES: dict[str, tuple[str, ...]] = {
    "positive": (
        "Love it!",
        "Great value",
        "Five stars",
        "Really pleased",
        "Lovely quality",
        "Would buy again",
        "Excellent",
    ),
    "neutral": ("It's ok", "Mixed feelings", "Average", "Decent but not perfect"),
    "negative": (
        "Disappointed",
        "Not as described",
        "Avoid",
        "Poor experience",
        "Never again",
        "Very unhappy",
        "Waste of money",
    ),
}
THEME_TITLES: dict[str, str] = {
    "Delivery": "Delivery problems",
    "Product quality": "Poor quality",
    "Website and app": "App keeps crashing",
    "Billing and refunds": "Charged twice",
    "Returns": "Returns hassle",
    "Price and value": "Overpriced",
}

#: Multi-aspect joiners: (positive first, negative second) and (negative, negative).
CONTRAST_JOINERS: tuple[str, ...] = (" but ", ", however ", " - shame that ", ", although ")
ADDITIVE_JOINERS: tuple[str, ...] = (", and on top of that ", ". Also ", " and ", ". Plus ")

#: Exit reasons of churned customers, in their own words.
EXIT_REASONS_CRASH: tuple[str, ...] = (
    "The app kept crashing every time I tried to skip a box, so I gave up.",
    "Since the app update I couldn't manage my subscription at all. Cancelled.",
    "App crashes constantly, I got charged for boxes I couldn't skip.",
    "Fed up with the app freezing and closing on me.",
    "Couldn't use the app for weeks after the new version. Not worth the hassle.",
    "the app is broken since september and nobody fixed it",
)
EXIT_REASONS_OTHER: tuple[str, ...] = (
    "Too expensive for what you get.",
    "Moving abroad.",
    "Found a cheaper alternative.",
    "Deliveries were always late.",
    "Quality isn't what it used to be.",
    "Don't need more homeware for now.",
    "Customer service never sorted out my refund.",
    "Money is tight at the moment.",
    "Too many boxes piling up, I'll shop one-off instead.",
    "Our company changed supplier.",
    "The box contents got repetitive.",
)

#: A few comments in other languages: (theme or None, polarity, text, language code).
FOREIGN: tuple[tuple[str | None, str, str, str], ...] = (
    ("Delivery", "negative", "El paquete llegó con una semana de retraso y nadie me avisó.", "es"),
    ("Product quality", "negative", "Las toallas se deshilacharon después de dos lavados.", "es"),
    ("Delivery", "positive", "Entrega rápida y todo perfecto, muy contenta.", "es"),
    ("Delivery", "negative", "Die Lieferung hat fast zwei Wochen gedauert, sehr ärgerlich.", "de"),
    ("Product quality", "positive", "Tolle Qualität, die Bettwäsche ist super weich.", "de"),
    ("Customer service", "negative", "Der Kundenservice antwortet einfach nicht.", "de"),
    ("Delivery", "negative", "Le colis n'est jamais arrivé et personne ne répond.", "fr"),
    ("Price and value", "positive", "Très bon rapport qualité-prix, je recommande.", "fr"),
    ("Billing and refunds", "negative", "J'ai été débité deux fois pour la même commande.", "fr"),
    ("Delivery", "positive", "Bezorging was snel en alles was netjes verpakt.", "nl"),
    ("Product quality", "negative", "Il piatto è arrivato scheggiato, qualità scadente.", "it"),
    (None, "positive", "Adoro questo negozio, sempre tutto perfetto!", "it"),
)

#: Agent notes on support tickets, per theme.
AGENT_NOTES: dict[str, tuple[str, ...]] = {
    "Delivery": (
        "Raised a lost-parcel claim with {courier}; reshipped order {order_ref}.",
        "Checked tracking: parcel held at depot. Rebooked delivery.",
        "Apologised for the late delivery, added £5 credit.",
    ),
    "Billing and refunds": (
        "Confirmed duplicate payment in the billing system; refund of £{amount} issued.",
        "Escalated to payments team: double charge caused by the payment retry job.",
        "Refund was stuck in pending; pushed it through manually.",
    ),
    "Website and app": (
        "Customer on app {app}; crash reproduced, linked to engineering bug APP-2291.",
        "Advised reinstalling the app and clearing the cache; logged the crash report.",
        "Skipped the box on the customer's behalf because the app kept failing.",
    ),
    "Customer service": (
        "Customer unhappy with previous contacts; apologised and took ownership.",
        "Escalated to team lead for a call back within 24h.",
    ),
    "Product quality": (
        "Faulty item: sent a replacement and asked the customer to keep the original.",
        "Logged quality issue with supplier for batch {order_ref}.",
    ),
    "Returns": (
        "Emailed a new returns label; booked collection.",
        "Return received at warehouse; refund released.",
    ),
    "Price and value": ("Explained the new box pricing and offered a 10% loyalty discount.",),
    "Wait time": ("Customer waited long in the queue; apologised and resolved on this contact.",),
    "Communication": ("Updated customer's contact preferences; resent dispatch notification.",),
    "Onboarding": ("Walked the customer through account set-up and the style quiz.",),
    "Packaging": ("Passed the packaging feedback to the sustainability team.",),
    "": ("General enquiry answered.", "No further action needed.", "Closed after reply."),
}

#: Slot fillers.
PRODUCTS: tuple[str, ...] = (
    "duvet cover",
    "towel set",
    "cast-iron pan",
    "linen sheets",
    "mug set",
    "table lamp",
    "storage basket",
    "throw blanket",
    "knife block",
    "pillow",
    "rug",
    "curtains",
    "dinner plates",
    "candle",
    "coffee grinder",
    "bath mat",
    "mirror",
    "cushion",
    "wine glasses",
    "laundry basket",
)
COURIERS: tuple[str, ...] = ("the courier", "the driver", "DPD", "Evri", "Royal Mail", "DHL")
AGENTS: tuple[str, ...] = ("Priya", "Tom", "Aisha", "Marek", "Sofia", "Jamal", "Ellen", "the agent")
FIRST_NAMES: tuple[str, ...] = (
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Noah", "Oliver", "George", "Arthur", "Leo",
    "Freya", "Grace", "Harry", "Jack", "Sophie", "Priya", "Mohammed", "Aisha", "Tomasz", "Chloe",
    "Daniel", "Ruth", "Ewan", "Fatima", "Lucy", "Samuel", "Hannah", "Kwame", "Zara", "Liam",
)  # fmt: skip
LAST_NAMES: tuple[str, ...] = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
    "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
    "Khan", "Lewis", "Clarke", "Nowak", "Okafor", "Murphy", "Kelly", "Singh", "Campbell",
)  # fmt: skip
COMPANY_WORDS: tuple[str, ...] = (
    "Harbour", "Oak", "Summit", "Bright", "Meadow", "Northgate", "Crown", "Willow", "Apex",
    "Riverside", "Kestrel", "Beacon",
)  # fmt: skip
COMPANY_KINDS: tuple[str, ...] = (
    "Hotels", "Lettings", "Interiors", "Cafés", "Holiday Homes", "Serviced Apartments",
    "Design Studio", "Care Homes", "Offices",
)  # fmt: skip
