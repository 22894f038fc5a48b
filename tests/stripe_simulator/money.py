"""Currency facts: supported currencies, decimals, minimum and maximum amounts.

Amounts are integers in the currency's smallest unit.  Minimums are Stripe's
per settlement currency; for a currency without a listed minimum the simulator
only asks for a positive amount (it has no exchange rates to convert Stripe's
USD 0.50 rule).
"""

from . import errors

SUPPORTED = frozenset(
    """
usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob
brl bsd bwp byn bzd cad cdf chf clp cny cop crc cve czk djf dkk dop dzd egp etb
eur fjd fkp gbp gel gip gmd gnf gtq gyd hkd hnl htg huf idr ils inr isk jmd jod
jpy kes kgs khr kmf krw kwd kyd kzt lak lbp lkr lrd lsl mad mdl mga mkd mmk mnt
mop mur mvr mwk mxn myr mzn nad ngn nio nok npr nzd omr pab pen pgk php pkr pln
pyg qar ron rsd rub rwf sar sbd scr sek sgd shp sle sos srd std szl thb tjs tnd
top try ttd twd tzs uah ugx uyu uzs vnd vuv wst xaf xcd xof xpf yer zar zmw
""".split()
)

ZERO_DECIMAL = frozenset("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split())
THREE_DECIMAL = frozenset("bhd jod kwd omr tnd".split())

MINIMUM = {
    "usd": 50,
    "aed": 200,
    "aud": 50,
    "bgn": 100,
    "brl": 50,
    "cad": 50,
    "chf": 50,
    "czk": 1500,
    "dkk": 250,
    "eur": 50,
    "gbp": 30,
    "hkd": 400,
    "huf": 17500,
    "inr": 50,
    "jpy": 50,
    "mxn": 1000,
    "myr": 200,
    "nok": 300,
    "nzd": 50,
    "pln": 200,
    "ron": 200,
    "sek": 300,
    "sgd": 50,
    "thb": 1000,
}

# Terminal takes the local currency only: the account and the reader's location are in one
# country, whose currency this is (Stripe's regional considerations for Terminal).
_EURO_COUNTRIES = "AT BE CY DE EE ES FI FR GR HR IE IT LT LU LV MT NL PT SI SK"
TERMINAL_CURRENCY = dict(
    {country: "eur" for country in _EURO_COUNTRIES.split()},
    US="usd",
    CA="cad",
    MX="mxn",
    GB="gbp",
    AU="aud",
    NZ="nzd",
    SG="sgd",
    MY="myr",
    HK="hkd",
    JP="jpy",
    CH="chf",
    CZ="czk",
    DK="dkk",
    NO="nok",
    SE="sek",
    PL="pln",
)


def terminal_currency(country):
    """The one currency Terminal takes in ``country`` (None: no Terminal there)."""
    return TERMINAL_CURRENCY.get((country or "").upper())


MAXIMUM = 99_999_999  # eight digits
MAXIMUM_BY_CURRENCY = {"idr": 999_999_999_999}  # IDR allows twelve

_SYMBOLS = {
    "usd": "$",
    "cad": "$",
    "aud": "$",
    "nzd": "$",
    "sgd": "$",
    "hkd": "$",
    "mxn": "$",
    "eur": "€",
    "gbp": "£",
    "jpy": "¥",
}


def exponent(currency):
    if currency in ZERO_DECIMAL:
        return 0
    if currency in THREE_DECIMAL:
        return 3
    return 2


def format_amount(amount, currency):
    """``$1.00`` style, as in Stripe's messages."""
    digits = exponent(currency)
    major = f"{amount / 10**digits:,.{digits}f}"
    symbol = _SYMBOLS.get(currency)
    return f"{symbol}{major}" if symbol else f"{major} {currency.upper()}"


def check_currency(currency, param="currency"):
    currency = (currency or "").lower()
    if currency not in SUPPORTED:
        raise errors.invalid_request(
            f"Invalid currency: {currency}. Stripe currently supports these "
            f"currencies: {', '.join(sorted(SUPPORTED))}",
            param=param,
        )
    return currency


def check_amount(amount, currency, param="amount"):
    """Raise Stripe's error if ``amount`` can't be charged in ``currency``."""
    minimum = MINIMUM.get(currency, 1)
    if amount < minimum:
        raise errors.invalid_request(
            f"Amount must be at least {format_amount(minimum, currency)} {currency}",
            code="amount_too_small",
            param=param,
        )
    maximum = MAXIMUM_BY_CURRENCY.get(currency, MAXIMUM)
    if amount > maximum:
        raise errors.invalid_request(
            f"Amount must be no more than {format_amount(maximum, currency)}",
            code="amount_too_large",
            param=param,
        )
    if currency in THREE_DECIMAL and amount % 10:
        raise errors.invalid_request(
            f"Invalid amount {amount} for {currency}: amounts in three-decimal "
            "currencies must end in 0 (e.g. send 5120 for 5.120 "
            f"{currency.upper()}).",
            code="invalid_charge_amount",
            param=param,
        )
    if currency == "isk" and amount % 100:
        raise errors.invalid_request(
            f"Invalid amount {amount} for isk: ISK amounts must be divisible by 100.",
            code="invalid_charge_amount",
            param=param,
        )
