#include "rules/attrs.h"

#include <string.h>
#include <utf8proc.h>

#include "text/rule_tokenizer.h"
#include "text/utf8.h"

static int is_cased_upper(utf8proc_category_t c) { return c == UTF8PROC_CATEGORY_LU; }
static int is_cased_lower(utf8proc_category_t c) { return c == UTF8PROC_CATEGORY_LL; }
static int is_cased_title(utf8proc_category_t c) { return c == UTF8PROC_CATEGORY_LT; }
static int is_letter(utf8proc_category_t c)
{
    return c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO;
}
static int is_punct_cat(utf8proc_category_t c)
{
    return c >= UTF8PROC_CATEGORY_PC && c <= UTF8PROC_CATEGORY_PO;
}

static int eq(const char *s, size_t len, const char *lit)
{
    size_t n = strlen(lit);
    return n == len && memcmp(s, lit, n) == 0;
}

static int in_list(const char *s, size_t len, const char *const *list)
{
    if (len == 0) return 0;
    for (size_t i = 0; list[i]; i++)
        if (list[i][0] == s[0] && eq(s, len, list[i])) return 1;
    return 0;
}

static const char *const k_brackets[] = {"(", ")", "[", "]", "{", "}", "<", ">", NULL};
static const char *const k_quotes[] = {"\"", "'", "`", "\xc2\xab", "\xc2\xbb",
    "\xe2\x80\x98", "\xe2\x80\x99", "\xe2\x80\x9a", "\xe2\x80\x9b", "\xe2\x80\x9c",
    "\xe2\x80\x9d", "\xe2\x80\x9e", "\xe2\x80\x9f", "\xe2\x80\xb9", "\xe2\x80\xba",
    "\xe2\x9d\xae", "\xe2\x9d\xaf", "''", "``", NULL};
static const char *const k_left[] = {"(", "[", "{", "<", "\"", "'", "\xc2\xab",
    "\xe2\x80\x98", "\xe2\x80\x9a", "\xe2\x80\x9b", "\xe2\x80\x9c", "\xe2\x80\x9e",
    "\xe2\x80\x9f", "\xe2\x80\xb9", "\xe2\x9d\xae", "``", NULL};
static const char *const k_right[] = {")", "]", "}", ">", "\"", "'", "\xc2\xbb",
    "\xe2\x80\x99", "\xe2\x80\x9d", "\xe2\x80\xba", "\xe2\x9d\xaf", "''", NULL};

uint32_t nr_token_flags(const char *s, size_t len)
{
    uint32_t f = 0;
    if (len == 0) return 0;
    int all_alpha = 1, all_digit = 1, all_punct = 1, all_space = 1, all_ascii = 1,
        all_cur = 1;
    int n_upper = 0, n_lower = 0, n_title = 0;
    int prev_cased = 0, title_ok = 1, title_cased = 0;
    for (size_t i = 0; i < len;) {
        unsigned char b = (unsigned char)s[i];
        int32_t cp;
        utf8proc_category_t c;
        if (b < 0x80) {
            cp = b;
            i++;
            if (b >= 'a' && b <= 'z') c = UTF8PROC_CATEGORY_LL;
            else if (b >= 'A' && b <= 'Z') c = UTF8PROC_CATEGORY_LU;
            else if (b >= '0' && b <= '9') c = UTF8PROC_CATEGORY_ND;
            else c = utf8proc_category(cp);
        } else {
            all_ascii = 0;
            cp = nt_utf8_next(s, len, &i);
            c = utf8proc_category(cp);
        }
        if (!is_letter(c)) all_alpha = 0;
        if (c != UTF8PROC_CATEGORY_ND) all_digit = 0;
        if (!is_punct_cat(c)) all_punct = 0;
        if (!nt_is_space(cp)) all_space = 0;
        if (c != UTF8PROC_CATEGORY_SC) all_cur = 0;
        if (is_cased_upper(c)) n_upper++;
        else if (is_cased_lower(c)) n_lower++;
        else if (is_cased_title(c)) n_title++;
        if (is_cased_upper(c) || is_cased_title(c)) {
            if (prev_cased) title_ok = 0;
            prev_cased = title_cased = 1;
        } else if (is_cased_lower(c)) {
            if (!prev_cased) title_ok = 0;
            prev_cased = title_cased = 1;
        } else {
            prev_cased = 0;
        }
    }
    if (all_alpha) f |= NR_F_ALPHA;
    if (all_digit) f |= NR_F_DIGIT;
    if (all_punct) f |= NR_F_PUNCT;
    if (all_space) f |= NR_F_SPACE;
    if (all_ascii) f |= NR_F_ASCII;
    if (all_cur) f |= NR_F_CURRENCY;
    if (n_lower && !n_upper && !n_title) f |= NR_F_LOWER;
    if (n_upper && !n_lower && !n_title) f |= NR_F_UPPER;
    if (title_ok && title_cased) f |= NR_F_TITLE;
    if (len <= 6 && !all_alpha && !all_digit) {
        if (in_list(s, len, k_brackets)) f |= NR_F_BRACKET;
        if (in_list(s, len, k_quotes)) f |= NR_F_QUOTE;
        if (in_list(s, len, k_left)) f |= NR_F_LEFT_PUNCT;
        if (in_list(s, len, k_right)) f |= NR_F_RIGHT_PUNCT;
    }
    if ((!all_alpha || (len >= 3 && len <= 13)) && nr_like_num(s, len)) f |= NR_F_LIKE_NUM;
    if (!all_alpha && !all_digit) {
        if (nr_like_email(s, len)) f |= NR_F_LIKE_EMAIL;
        if (nr_like_url(s, len)) f |= NR_F_LIKE_URL;
    }
    return f;
}

size_t nr_lower(const char *s, size_t len, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        unsigned char b = (unsigned char)s[i];
        if (b < 0x80) {
            out[o++] = (char)(b >= 'A' && b <= 'Z' ? b + 32 : b);
            i++;
            continue;
        }
        int32_t cp = nt_utf8_next(s, len, &i);
        o += nt_utf8_encode(utf8proc_tolower(cp), out + o);
    }
    return o;
}

size_t nr_length(const char *s, size_t len)
{
    return nt_utf8_count(s, len);
}

size_t nr_shape(const char *s, size_t len, char *out)
{
    if (nr_length(s, len) >= 100) {
        memcpy(out, "LONG", 4);
        return 4;
    }
    size_t o = 0;
    int32_t last = -1;
    int seq = 0;
    for (size_t i = 0; i < len;) {
        size_t at = i;
        int32_t cp = nt_utf8_next(s, len, &i);
        utf8proc_category_t c = utf8proc_category(cp);
        int32_t sc;
        if (is_letter(c)) sc = is_cased_upper(c) ? 'X' : 'x';
        else if (c == UTF8PROC_CATEGORY_ND) sc = 'd';
        else sc = cp;
        if (sc == last) {
            seq++;
        } else {
            seq = 0;
            last = sc;
        }
        if (seq < 4) {
            if (sc == cp) {
                memcpy(out + o, s + at, i - at);
                o += i - at;
            } else {
                out[o++] = (char)sc;
            }
        }
    }
    return o;
}

/* ------------------------------------------------------------ like_num */

static const char *const k_num_words[] = {
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
    "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen",
    "sixteen", "seventeen", "eighteen", "nineteen", "twenty", "thirty",
    "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "hundred",
    "thousand", "million", "billion", "trillion", "quadrillion", "gajillion",
    "bazillion", NULL};
static const char *const k_ordinal_words[] = {
    "first", "second", "third", "fourth", "fifth", "sixth", "seventh",
    "eighth", "ninth", "tenth", "eleventh", "twelfth", "thirteenth",
    "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth",
    "nineteenth", "twentieth", "thirtieth", "fortieth", "fiftieth",
    "sixtieth", "seventieth", "eightieth", "ninetieth", "hundredth",
    "thousandth", "millionth", "billionth", "trillionth", "quadrillionth",
    "gajillionth", "bazillionth", NULL};

/* All code points of s[0..len) are Nd, at least one. */
static int all_digits(const char *s, size_t len)
{
    if (len == 0) return 0;
    for (size_t i = 0; i < len;) {
        unsigned char b = (unsigned char)s[i];
        if (b < 0x80) {
            if (b < '0' || b > '9') return 0;
            i++;
            continue;
        }
        if (utf8proc_category(nt_utf8_next(s, len, &i)) != UTF8PROC_CATEGORY_ND)
            return 0;
    }
    return 1;
}

int nr_like_num(const char *s, size_t len)
{
    if (len == 0 || len > 256) return 0;
    if (s[0] == '+' || s[0] == '-' || s[0] == '~') { s++; len--; }
    else if (len >= 2 && memcmp(s, "\xc2\xb1", 2) == 0) { s += 2; len -= 2; }
    char buf[256] = {0};
    size_t n = 0, slash = (size_t)-1;
    int nslash = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == ',' || s[i] == '.') continue;
        if (s[i] == '/') { nslash++; slash = n; }
        buf[n++] = s[i];
    }
    if (all_digits(buf, n)) return 1;
    if (nslash == 1 && all_digits(buf, slash) && all_digits(buf + slash + 1, n - slash - 1))
        return 1;
    char low[NR_LOWER_ROOM(256)];
    size_t ln = nr_lower(s, len, low);
    if (ln <= 16) {
        if (in_list(low, ln, k_num_words) || in_list(low, ln, k_ordinal_words))
            return 1;
    }
    if (ln > 2) {
        const char *e = low + ln - 2;
        if ((memcmp(e, "st", 2) == 0 || memcmp(e, "nd", 2) == 0 ||
             memcmp(e, "rd", 2) == 0 || memcmp(e, "th", 2) == 0) &&
            all_digits(low, ln - 2))
            return 1;
    }
    return 0;
}

/* ------------------------------------------------------------ like_email */

static int is_alnum_ascii(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int is_local_char(unsigned char c)
{
    return is_alnum_ascii(c) || (c && strchr("!#$%&'*+/=?^_`{|}~-", c));
}

/* spaCy's like_email is a regular expression matched at the start of the
 * text (Python's re.match): an RFC 5322-ish local part, "@", then at least
 * two dot-separated labels.  This is that test without the regex. */
int nr_like_email(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    /* local part: atom ("." atom)* */
    for (;;) {
        size_t a = i;
        while (i < len && is_local_char(s[i])) i++;
        if (i == a) return 0;
        if (i < len && s[i] == '.') { i++; continue; }
        break;
    }
    if (i >= len || s[i] != '@') return 0;
    i++;
    /* a label of [A-Za-z0-9-] starting and ending with alnum, ".", alnum */
    size_t a = i;
    while (i < len && (is_alnum_ascii(s[i]) || s[i] == '-')) i++;
    if (i == a || !is_alnum_ascii(s[a]) || !is_alnum_ascii(s[i - 1])) return 0;
    return i + 1 < len && s[i] == '.' && is_alnum_ascii(s[i + 1]);
}

/* ------------------------------------------------------------ like_url */

static const char *const k_tlds[] = {
    "com", "org", "edu", "gov", "net", "mil", "aero", "asia", "biz", "cat",
    "coop", "info", "int", "jobs", "mobi", "museum", "name", "pro", "tel",
    "travel", "xxx", "app", "dev", "io", "ai", "xyz", "online", "site",
    "tech", "store", "blog", "news", "cloud", "shop", "top", "club", NULL};

int nr_like_url(const char *str, size_t len)
{
    const char *s = str;
    if (len == 0) return 0;
    if ((len >= 7 && memcmp(s, "http://", 7) == 0) ||
        (len >= 8 && memcmp(s, "https://", 8) == 0))
        return 1;
    if (len >= 5 && memcmp(s, "www.", 4) == 0) return 1;
    if (s[0] == '.' || s[len - 1] == '.') return 0;
    if (memchr(s, '@', len)) return 0;
    const char *dot = NULL;
    for (size_t i = len; i > 0; i--)
        if (s[i - 1] == '.') { dot = s + i - 1; break; }
    if (!dot) return 0;
    const char *tld = dot + 1;
    size_t tlen = (size_t)(s + len - tld);
    const char *colon = memchr(tld, ':', tlen);
    if (colon) tlen = (size_t)(colon - tld);
    if (tlen > 0 && tld[tlen - 1] == '/') return 1;
    if (tlen == 0) return 0;
    for (size_t i = 0; i < tlen; i++)
        if (tld[i] < 'a' || tld[i] > 'z') return 0;
    if (tlen == 2) return 1; /* a country code */
    return tlen <= 8 && in_list(tld, tlen, k_tlds);
}
