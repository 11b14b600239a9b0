#!/usr/bin/env python3
"""Writes the built-in English entity rules of the default pipeline,
models/en_default/entity_ruler/patterns.jsonl (spaCy EntityRuler format plus
libner's "regex" patterns), for the OntoNotes labels DATE, TIME, MONEY,
PERCENT, QUANTITY, CARDINAL, ORDINAL, EMAIL, URL and PHONE.

    scripts/en_ruler_patterns.py [OUTPUT]

patterns.jsonl is what the pipeline loads (and what the component's save
writes back byte for byte); this script is where the rules are written and
explained.  Edit here, run, commit both.

How the rules are meant to work together (see lib/components/entity_ruler.c):
the longest match wins, then the earliest, then the pattern written first.
So the file lists the specific labels first and CARDINAL and ORDINAL last:
a bare number or ordinal is only what is left when nothing longer (a date,
an amount, a quantity) covers it, and when a model placed before the ruler
in the pipeline has not already taken the tokens.

The rules follow the tokenizer's cuts (lib/text/rules_en.json): "$4" is
"$" "4", "€3.5m" is "€" "3.5" "m", "500mg" is "500" "mg", "12%" is "12" "%",
"3:30pm" is "3:30" "pm", "180 km/h" is "180" "km" "/" "h"; "2025-01-15",
"3/4", "1st", "38°C", "US$5", e-mail addresses and URLs stay whole.
Context that must not be part of an entity ("in 1903": a year after "in")
is written as a regex over the text with a lookbehind, snapped to tokens
(alignment "strict" in pipeline.json).  Every pattern has an "id" naming
its rule, which the entity carries as its ent_id.
"""

import json
import os
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models",
                   "en_default", "entity_ruler", "patterns.jsonl")

patterns = []


def add(label, rule, pattern=None, regex=None):
    p = {"label": label, "id": rule}
    if regex is not None:
        p["regex"] = regex
    else:
        p["pattern"] = pattern
    patterns.append(p)


def lower_in(words, op=None):
    d = {"LOWER": {"IN": sorted(set(words))}}
    if op:
        d["OP"] = op
    return d


def orth_in(words, op=None):
    d = {"ORTH": {"IN": sorted(set(words))}}
    if op:
        d["OP"] = op
    return d


def text_re(rx, op=None):
    d = {"TEXT": {"REGEX": rx}}
    if op:
        d["OP"] = op
    return d


def lower_re(rx, op=None):
    d = {"LOWER": {"REGEX": rx}}
    if op:
        d["OP"] = op
    return d


# ------------------------------------------------------------------ words
UNITS_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven",
               "eight", "nine", "ten", "eleven", "twelve", "thirteen",
               "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
               "nineteen", "twenty", "thirty", "forty", "fifty", "sixty",
               "seventy", "eighty", "ninety"]
NUM_WORDS = UNITS_WORDS + ["hundred", "thousand", "dozen"]
MAGNITUDES = ["hundred", "thousand", "million", "billion", "trillion"]
MONEY_MAGNITUDES = MAGNITUDES + ["m", "mn", "mln", "bn", "b", "bln", "k", "tn"]
ORDINAL_WORDS = ["first", "second", "third", "fourth", "fifth", "sixth",
                 "seventh", "eighth", "ninth", "tenth", "eleventh", "twelfth",
                 "thirteenth", "fourteenth", "fifteenth", "sixteenth",
                 "seventeenth", "eighteenth", "nineteenth", "twentieth",
                 "thirtieth", "fortieth", "fiftieth", "sixtieth",
                 "seventieth", "eightieth", "ninetieth", "hundredth",
                 "thousandth", "millionth"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July",
          "August", "September", "October", "November", "December"]
MONTH_ABBR = ["Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept",
              "Oct", "Nov", "Dec"]
MONTH_TOKENS = MONTHS + MONTH_ABBR + [a + "." for a in MONTH_ABBR]
# months that are also common words: only with a day, a year or a cue
AMBIGUOUS_MONTHS = ["May", "March"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
            "Saturday", "Sunday"]
SEASONS = ["spring", "summer", "autumn", "winter"]
HOLIDAYS = ["Christmas", "Easter", "Thanksgiving", "Halloween", "Hanukkah",
            "Ramadan", "Diwali"]
DATE_UNITS_SG = ["day", "week", "month", "year", "decade", "century",
                 "season", "weekend", "fortnight", "quarter"]
DATE_UNITS_PL = ["days", "weeks", "months", "years", "decades", "centuries",
                 "seasons", "weekends", "fortnights", "quarters"]
TIME_UNITS_SG = ["hour", "minute", "second", "hr", "min", "sec"]
TIME_UNITS_PL = ["hours", "minutes", "seconds", "hrs", "mins", "secs"]
DAY_PARTS = ["morning", "afternoon", "evening", "night"]
CURRENCY_WORDS = ["dollar", "dollars", "euro", "euros", "yen", "yuan",
                  "renminbi", "rupee", "rupees", "franc", "francs", "peso",
                  "pesos", "cent", "cents", "pence", "kronor", "kroner",
                  "krona", "krone", "rouble", "roubles", "ruble", "rubles",
                  "rand", "won", "lira", "real", "reais", "ringgit", "baht",
                  "shekel", "shekels", "dinar", "dinars", "dirham", "dirhams"]
CURRENCY_CODES = ["USD", "EUR", "GBP", "JPY", "CNY", "RMB", "CHF", "CAD",
                  "AUD", "NZD", "INR", "HKD", "SGD", "SEK", "NOK", "DKK",
                  "RUB", "BRL", "ZAR", "MXN", "KRW", "TRY", "PLN"]
# $-prefixed currencies that the tokenizer keeps in one token with the amount
DOLLAR_PREFIXES = "(?:US|AU|A|C|CA|NZ|HK|S|NT|R|Z)"
# units of measure written as symbols, compared case-sensitively (ORTH)
UNIT_SYMBOLS = ["mg", "µg", "g", "kg", "t", "kt", "Mt", "lb", "lbs", "oz",
                "km", "m", "cm", "mm", "µm", "nm", "mi", "ft", "yd",
                "km²", "m²", "km2", "m2", "ha", "ml", "mL", "cl", "dl",
                "mph", "kph", "kmh", "knots", "°C", "°F", "°",
                "kW", "MW", "GW", "kWh", "MWh", "GWh", "TWh", "W", "kV", "V",
                "mAh", "GB", "MB", "TB", "KB", "kB", "Gb", "Mb", "hp", "bhp",
                "Hz", "kHz", "MHz", "GHz", "dB", "kcal", "cal"]
UNIT_WORDS = ["milligram", "milligrams", "gram", "grams", "kilogram",
              "kilograms", "kilo", "kilos", "tonne", "tonnes", "ton", "tons",
              "ounce", "ounces", "stone", "metre", "metres", "meter",
              "meters", "kilometre", "kilometres", "kilometer", "kilometers",
              "centimetre", "centimetres", "centimeter", "centimeters",
              "millimetre", "millimetres", "millimeter", "millimeters",
              "mile", "miles", "foot", "feet", "inch", "inches", "yard",
              "yards", "litre", "litres", "liter", "liters", "millilitre",
              "millilitres", "milliliter", "milliliters", "gallon", "gallons",
              "barrel", "barrels", "acre", "acres", "hectare", "hectares",
              "calorie", "calories", "kilocalories", "watt", "watts",
              "kilowatt", "kilowatts", "megawatt", "megawatts", "gigawatt",
              "gigawatts", "volt", "volts", "horsepower", "knot",
              "megabyte", "megabytes", "gigabyte", "gigabytes", "terabyte",
              "terabytes", "kilobyte", "kilobytes", "degree", "degrees",
              "pixel", "pixels", "decibel", "decibels", "carat", "carats",
              "bushel", "bushels", "pint", "pints"]
UNIT_SINGULAR = ["mile", "foot", "inch", "yard", "metre", "meter", "kilometre",
                 "kilometer", "km", "kilogram", "kg", "gram", "ton", "tonne",
                 "litre", "liter", "gallon", "acre", "hectare", "watt",
                 "megawatt", "gigawatt", "degree", "pound", "ounce", "mm",
                 "cm", "m", "ft", "lb"]
TEMPERATURE = ["Celsius", "Fahrenheit", "Kelvin", "C", "F", "centigrade"]

# ------------------------------------------------------------------ tokens
# a number in digits: 7, -3, 4,000, 3.5, 1,234.56
RX_DIGITS = r"^[-+±~]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$"
RX_NUM_WORD = "^(?:" + "|".join(NUM_WORDS) + ")$"
RX_ANY_NUM = ("^(?:[-+±~]?(?:\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.\\d+)?|" +
              "|".join(NUM_WORDS) + ")$")
DIGITS = text_re(RX_DIGITS)
ANY_NUM = lower_re(RX_ANY_NUM)          # digits or a number word
DAY = text_re(r"^(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?$")
YEAR = text_re(r"^(?:1\d{3}|20\d{2})$")
MONTH = orth_in(MONTH_TOKENS)
MONTH_CLEAR = MONTH  # with a day or a year, "May" and "March" are months
COMMA_OPT = {"ORTH": ",", "OP": "?"}
WEEKDAY = orth_in(WEEKDAYS)

# ================================================================== contact
add("EMAIL", "email",
    [text_re(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")])
add("URL", "url",
    [lower_re(r"^(?:(?:https?|ftp)://[^\s@]+|www\.[^\s@]+\.[^\s@]+|"
              r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+"
              r"(?:com|org|net|edu|gov|mil|int|info|biz|io|ai|co|app|dev|me|tv|ly|"
              r"uk|us|ca|au|nz|ie|de|fr|es|it|nl|be|ch|at|se|no|dk|fi|pl|pt|eu|jp|"
              r"cn|in|br|mx|za)(?::\d{1,5})?(?:/[^\s@]*)?)$")])
# Phones as written (not cut by the tokenizer in one way): over the text.
# At least 7 digits close together, nothing word-like on either side.
PHONE_START = r"(?<![\w+.\-/])(?=(?:[^\d\n]{0,3}\d){7})"
PHONE_END = r"(?![\w\-]|[.,]\d| ?\(?\d)"
add("PHONE", "phone_nanp", regex=PHONE_START +
    r"(?:\+?1[ .\-]?)?(?:\(\d{3}\)|\d{3})[ .\-]?\d{3}[ .\-]\d{4}" + PHONE_END)
add("PHONE", "phone_international", regex=PHONE_START +
    r"\+\d{1,3}(?:[ .\-]\(?\d{1,8}\)?){1,5}" + PHONE_END)
add("PHONE", "phone_national", regex=PHONE_START +
    r"\(?0\d{1,4}\)?[ .\-]?\d{3,4}[ .\-]?\d{3,4}" + PHONE_END)

# ================================================================== MONEY
SYM = {"IS_CURRENCY": True}
MAG_OPT = lower_in(MONEY_MAGNITUDES, "?")
add("MONEY", "money_symbol", [SYM, DIGITS, MAG_OPT])                  # $4 billion, €3.5m
add("MONEY", "money_prefixed",                                        # US$5, AU$1,200 m
    [text_re(r"^" + DOLLAR_PREFIXES + r"\$(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$"),
     MAG_OPT])
add("MONEY", "money_prefix_token",                                    # US$ 5
    [text_re(r"^" + DOLLAR_PREFIXES + r"\$$"), DIGITS, MAG_OPT])
add("MONEY", "money_code_after",                                      # 500 USD, 3 million euros
    [ANY_NUM, lower_in(MAGNITUDES, "?"),
     {"LOWER": {"IN": sorted(set(CURRENCY_WORDS + [c.lower() for c in CURRENCY_CODES]))}}])
add("MONEY", "money_code_before",                                     # USD 500, EUR 3.5 million
    [orth_in(CURRENCY_CODES), DIGITS, lower_in(MONEY_MAGNITUDES, "?")])
add("MONEY", "money_pence", [text_re(r"^\d{1,3}(?:\.\d)?p$")])           # 5p
add("MONEY", "money_a_magnitude",                                     # a million dollars
    [{"LOWER": "a"}, lower_in(["hundred", "thousand", "million", "billion"]),
     lower_in(CURRENCY_WORDS)])

# ================================================================== PERCENT
add("PERCENT", "percent_sign", [ANY_NUM, {"ORTH": "%"}])
add("PERCENT", "percent_word", [ANY_NUM, lower_in(["percent", "pct", "pc"])])
add("PERCENT", "percent_per_cent", [ANY_NUM, {"LOWER": "per"}, {"LOWER": "cent"}])
add("PERCENT", "percentage_points",
    [ANY_NUM, {"LOWER": "percentage"}, lower_in(["point", "points"])])

# ================================================================== TIME
CLOCK = text_re(r"^(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?$")
AMPM = lower_in(["am", "pm", "a.m.", "p.m.", "a.m", "p.m"])
ZONE = orth_in(["GMT", "UTC", "BST", "CET", "CEST", "EST", "EDT", "CST",
                "CDT", "MST", "MDT", "PST", "PDT", "ET", "PT", "CT", "IST",
                "JST", "AEST"], "?")
add("TIME", "time_clock", [CLOCK, dict(AMPM, OP="?"), ZONE])          # 15:30 GMT, 3:30 pm
add("TIME", "time_clock_dot",                                         # 3.30 pm
    [text_re(r"^(?:1[0-2]|0?[1-9])\.[0-5]\d$"), AMPM, ZONE])
add("TIME", "time_hour_ampm",                                         # 10 am, 4 p.m.
    [text_re(r"^(?:1[0-2]|0?[1-9])$"), AMPM, ZONE])
add("TIME", "time_oclock", [ANY_NUM, lower_in(["o'clock", "o’clock"])])
add("TIME", "time_named", [lower_in(["noon", "midnight", "midday", "dawn", "dusk",
                                     "tonight"])])
add("TIME", "time_day_part",                                          # this morning, last night
    [lower_in(["this", "last", "that", "yesterday", "tomorrow"]),
     lower_in(DAY_PARTS)])
add("TIME", "time_weekday_part", [WEEKDAY, lower_in(DAY_PARTS)])      # Friday morning
add("TIME", "time_duration",                                          # 48 hours, 4.2 seconds
    [ANY_NUM, lower_in(TIME_UNITS_PL + TIME_UNITS_SG)])
add("TIME", "time_duration_hm",                                       # 3 hours and 12 minutes
    [ANY_NUM, lower_in(["hour", "hours"]), lower_in(["and"], "?"), ANY_NUM,
     lower_in(["minute", "minutes"])])
add("TIME", "time_duration_adj",                                      # 24-hour
    [ANY_NUM, {"ORTH": "-"}, lower_in(["hour", "minute", "second"])])
add("TIME", "time_half_hour", [lower_in(["half"]), {"LOWER": "an"}, {"LOWER": "hour"}])

# ================================================================== DATE
add("DATE", "date_weekday_month_day_year",                            # Saturday, May 10, 2025
    [WEEKDAY, COMMA_OPT, MONTH_CLEAR, DAY, COMMA_OPT, YEAR])
add("DATE", "date_weekday_month_day", [WEEKDAY, COMMA_OPT, MONTH_CLEAR, DAY])
add("DATE", "date_weekday_day_month",                                 # Monday, 9 June 2025
    [WEEKDAY, COMMA_OPT, DAY, MONTH_CLEAR, dict(YEAR, OP="?")])
add("DATE", "date_month_day_year",                                    # January 15, 2025
    [MONTH_CLEAR, DAY, COMMA_OPT, YEAR])
add("DATE", "date_month_day", [MONTH_CLEAR, DAY])                     # June 3
add("DATE", "date_day_month_year",                                    # 15 Jan 2025
    [DAY, MONTH_CLEAR, dict(YEAR, OP="?")])
add("DATE", "date_day_of_month",                                      # 4th of July 1976
    [DAY, {"LOWER": "of"}, MONTH_CLEAR, dict(YEAR, OP="?")])
add("DATE", "date_month_year", [MONTH_CLEAR, COMMA_OPT, YEAR])        # March 2024
add("DATE", "date_month", [orth_in([m for m in MONTHS if m not in AMBIGUOUS_MONTHS])])
add("DATE", "date_ambiguous_month", regex=(                           # in May, since March
    r"(?<=\b[Ii]n |\b[Ss]ince |\b[Uu]ntil |\b[Ff]rom |\b[Bb]y |\b[Ll]ate |"
    r"\b[Ee]arly |\b[Mm]id-|\b[Ll]ast |\b[Nn]ext |\b[Tt]his |\b[Dd]uring |"
    r"\b[Bb]efore |\b[Aa]fter |\b[Oo]f |\b[Ee]nd of )(?:May|March)\b(?!-)"))
add("DATE", "date_iso", [text_re(r"^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])$")])
add("DATE", "date_numeric",                                           # 3/14/2023, 12/03/2024, 14.03.2024
    [text_re(r"^(?:0?[1-9]|[12]\d|3[01])([/.])(?:0?[1-9]|[12]\d|3[01])\1(?:\d{2}|\d{4})$")])
add("DATE", "date_numeric_ymd", [text_re(r"^\d{4}/(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01])$")])
add("DATE", "date_year_range", [text_re(r"^(?:1[5-9]|20)\d\d[-–](?:(?:1[5-9]|20)?\d\d)$")])
add("DATE", "date_decade",                                            # 1990s, mid-1990s
    [text_re(r"^(?:(?:[Mm]id|[Ee]arly|[Ll]ate)-)?(?:1[5-9]|20)\d0s$")])
add("DATE", "date_mid_year", [text_re(r"^(?:[Mm]id|[Ee]arly|[Ll]ate)-(?:1[5-9]|20)\d\d$")])
add("DATE", "date_early_year", [lower_in(["early", "late", "mid"]), YEAR])
add("DATE", "date_quarter_code",                                      # Q3 2024, FY2024
    [text_re(r"^(?:Q[1-4]|H[12])$"), dict(YEAR, OP="?")])
add("DATE", "date_fiscal_code", [text_re(r"^FY ?(?:\d{2}|\d{4})$")])
add("DATE", "date_fiscal_year", [lower_in(["fiscal", "fy"]), YEAR])  # fiscal 2024
add("DATE", "date_quarter",                                           # fourth quarter
    [lower_re(r"^(?:first|second|third|fourth|final|last|1st|2nd|3rd|4th)$"),
     {"LOWER": "quarter"}])
add("DATE", "date_half_year", regex=(                                 # first half (of the year)
    r"\b(?:[Ff]irst|[Ss]econd|1st|2nd)\s+half(?=\s+of\s+(?:the\s+|this\s+|last\s+|"
    r"next\s+)?(?:year|decade|century|fiscal|(?:1[5-9]|20)\d\d)\b)"))
add("DATE", "date_year_with_cue", regex=(                             # in 1903, since 2019
    r"(?<=\b[Ii]n |\b[Ss]ince |\b[Oo]f |\b[Bb]y |\b[Ff]rom |\b[Uu]ntil |\b[Tt]ill |"
    r"\b[Tt]o |\b[Tt]hrough |\b[Dd]uring |\b[Bb]efore |\b[Aa]fter |\b[Aa]round |"
    r"\b[Cc]irca |\b[Ff]or |\b[Tt]he |\b[Ii]ts |\b[Tt]heir |\b[Oo]f |"
    r"\d{4} and |\d{4} or |\d{4} to |\d{4}, )"
    r"(?:1[5-9]\d\d|20\d\d)\b(?![.,]\d|[-–/]\d|%|\s+(?:\p{Ll}+s|people|men|women|"
    r"children)\b)"))
add("DATE", "date_weekday", [orth_in(WEEKDAYS + [d + "s" for d in WEEKDAYS])])
add("DATE", "date_holiday", [orth_in(HOLIDAYS), orth_in(["Eve", "Day"], "?")])
add("DATE", "date_new_year", [{"ORTH": "New"}, {"ORTH": "Year"}, {"LOWER": "'s"},
                              orth_in(["Day", "Eve"])])
add("DATE", "date_deictic", [lower_in(["yesterday", "today", "tomorrow"])])
add("DATE", "date_relative",                                          # last week, next Friday
    [lower_in(["last", "next", "this", "past", "coming", "previous", "that"]),
     {"LOWER": {"IN": sorted(set(DATE_UNITS_SG + SEASONS + ["weekend"] +
                                 [w.lower() for w in WEEKDAYS + MONTHS]))}}])
add("DATE", "date_relative_span",                                     # next five years
    [lower_in(["next", "past", "coming", "previous", "first", "final"]),
     ANY_NUM, lower_in(DATE_UNITS_PL + DATE_UNITS_SG)])
# "last" is also a verb ("expected to last two months"): not after one
add("DATE", "date_last_span", regex=(                                 # the last three years
    r"(?<!\bto |\bwill |\bwould |\bcan |\bcould |\bmay |\bmight |\bshould |"
    r"\bmust |\bdid |\bdoes |\bdo |\bnot |n't )"
    r"\b[Ll]ast\s+(?:\d+|" + "|".join(UNITS_WORDS) + r")\s+(?:" +
    "|".join(DATE_UNITS_PL + DATE_UNITS_SG) + r")\b"))
add("DATE", "date_duration",                                          # 7 days, two years ago
    [ANY_NUM, lower_in(DATE_UNITS_PL + DATE_UNITS_SG),
     lower_in(["ago", "earlier", "later", "old"], "?")])
add("DATE", "date_duration_a",                                        # a year later
    [{"LOWER": "a"}, lower_in(DATE_UNITS_SG), lower_in(["ago", "earlier", "later"])])
add("DATE", "date_duration_adj",                                      # 5-year, three-month
    [ANY_NUM, {"ORTH": "-"}, lower_in(DATE_UNITS_SG), {"LOWER": "old", "OP": "?"}])
add("DATE", "date_season", [lower_in(SEASONS), dict(YEAR, OP="?")])   # summer 2024
add("DATE", "date_season_of", [lower_in(SEASONS), {"LOWER": "of"}, YEAR])
add("DATE", "date_weekend", [lower_in(["weekend", "weekends"])])

# ================================================================== QUANTITY
add("QUANTITY", "quantity_symbol",                                    # 500 mg, 20 km
    [ANY_NUM, lower_in(MAGNITUDES, "?"), orth_in(UNIT_SYMBOLS)])
add("QUANTITY", "quantity_word",                                      # 2 million barrels
    [ANY_NUM, lower_in(MAGNITUDES, "?"),
     lower_in(["square", "cubic", "sq", "sq."], "?"), lower_in(UNIT_WORDS)])
add("QUANTITY", "quantity_square_symbol",
    [ANY_NUM, lower_in(["square", "cubic", "sq", "sq."]), orth_in(UNIT_SYMBOLS + ["ft", "m", "km"])])
add("QUANTITY", "quantity_degrees",                                   # 100 degrees Celsius
    [ANY_NUM, lower_in(["degree", "degrees"]), orth_in(TEMPERATURE)])
add("QUANTITY", "quantity_speed",                                     # 180 km/h
    [ANY_NUM, orth_in(["km", "m", "mi"]), {"ORTH": "/"}, orth_in(["h", "s", "hr"])])
add("QUANTITY", "quantity_glued",                                     # 38°C, 100kWh, 300hp
    [text_re(r"^[-+]?\d+(?:[.,]\d+)?(?:°[CFK]?|kWh|MWh|GWh|kW|MW|GW|mAh|hp|bhp|"
             r"GHz|MHz|kHz|Hz|dB|kcal)$")])
add("QUANTITY", "quantity_adj",                                       # 14-inch, 20-km
    [ANY_NUM, {"ORTH": "-"}, lower_in(UNIT_SINGULAR)])

# ================================================================== CARDINAL
# Only what nothing longer takes: these patterns come last.
add("CARDINAL", "cardinal_magnitude",                                 # 2 million, one million
    [ANY_NUM, lower_in(["hundred", "thousand", "million", "billion", "trillion"])])
add("CARDINAL", "cardinal_a_magnitude",                               # a hundred, a dozen
    [{"LOWER": "a"}, lower_in(["hundred", "thousand", "million", "billion", "dozen"])])
add("CARDINAL", "cardinal_digits", [DIGITS])                          # 12,000  -3  3.5
add("CARDINAL", "cardinal_fraction", [text_re(r"^\d+/\d+$")])          # 3/4
add("CARDINAL", "cardinal_compound",                                  # twenty-five
    [lower_in(["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty",
               "ninety"]), {"ORTH": "-"},
     lower_in(["one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])])
add("CARDINAL", "cardinal_word",
    [lower_in([w for w in NUM_WORDS if w not in ("one", "zero", "dozen", "hundred",
                                                   "thousand")])])
add("CARDINAL", "cardinal_one", regex=(                               # one (not "no one", "the one")
    r"(?<![Nn]o |[Tt]he |[Aa]ny |[Ee]very |[Ss]ome |[Tt]his |[Tt]hat |[Ee]ach |"
    r"[Ll]ittle |[Rr]ight |[Ww]rong |[Oo]ther |[Nn]ew |[Oo]ld |[Aa]nother )"
    r"\b[Oo]ne\b(?![-'’])(?!\s+(?:another|day|of these days)\b)"))
add("CARDINAL", "cardinal_fraction_of", regex=(                       # a third, half of
    r"(?<=\b[Bb]y )(?:a|one) (?:half|third|quarter|fifth|tenth)\b|"
    r"\b(?:(?:a|one) (?:third|quarter|fifth|tenth)|[Hh]alf)(?= of\b)|"
    r"(?<=\b[Bb]y )half\b|(?<=[Nn]early |[Aa]lmost |[Oo]ver |[Uu]nder )half\b"))
add("CARDINAL", "cardinal_plural_magnitude", regex=(                  # hundreds of
    r"\b(?:[Hh]undreds|[Tt]housands|[Mm]illions|[Bb]illions|[Dd]ozens|[Tt]ens)(?= of\b)"))

# ================================================================== ORDINAL
add("ORDINAL", "ordinal_digits", [text_re(r"^\d*(?:1st|2nd|3rd|[04-9]th|1[1-3]th)$")])
add("ORDINAL", "ordinal_word", [lower_in(ORDINAL_WORDS)])


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else OUT
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        for p in patterns:
            f.write(json.dumps(p, ensure_ascii=False) + "\n")
    print("%s: %d patterns" % (out, len(patterns)))


if __name__ == "__main__":
    main()
