"""The passes around the model, before pseudonymization: each sentence's spans made whole (addresses, names)
and what the tagger missed added (a name after a title, a place after "à", an initial with an ellipsis...), then
stored with their flags (`store_spans`). Each pass is general (a pattern of French decisions, never one
document's case) and measured on the hand-written set (tests/data/handwritten, reports/accuracy-default.md).

Spans are `(start, end, label, score)` tuples of one sentence, sorted and not overlapping.
"""

from __future__ import annotations

import functools
import math
import re
from bisect import bisect_left
from collections.abc import Callable, Collection

from fastner.apps.analysis import (
    BIRTH,
    COURT_ONLY_ROLE,
    COURT_RANK,
    NOT_COURT,
    PRESIDING_ROLE,
    ROLE_LABELS,
    SpanStore,
    birthplace_after,
    is_birth_date,
    is_person,
    n_letters,
    on_court_line,
    role_flag,
)
from fastner.apps.names import (
    ADDRESS_LABELS,
    DATE_LABELS,
    DEFAULT_TYPES,
    INITIAL,
    INITIAL_LETTERS,
    LOCALITY_LABELS,
    NAME_WORD,
    PARTICLES,
    TITLES,
    fold,
)
from fastner.text import LINE_BREAKS, clean_text

Span = tuple[int, int, str, float]  # (start, end, label, score) in a sentence


def _start_of(spans: list[Span], k: int) -> float:
    """Where `spans[k]` starts; past the last span, nowhere (a span may grow up to there)."""
    return spans[k][0] if k < len(spans) else math.inf


_GAP = re.compile(r"\s*\t\s*|\s{3,}")  # a tab or three spaces: columns of a layout, never inside a name


def split_at_gaps(text: str, spans: list[Span]) -> list[Span]:
    """`spans` cut where they cross a gap of the layout: the signatures "G. Wambre        V. Stiévenart" side by
    side, tagged as one name, are two people."""
    out: list[Span] = []
    for start, end, label, score in spans:
        for gap in _GAP.finditer(text, start, end):
            if gap.start() > start:
                out.append((start, gap.start(), label, score))
            start = gap.end()
        if start < end:
            out.append((start, end, label, score))
    return out


_AFTER_ADDRESS = re.compile(r" ?\([^()\n]{1,40}\)")  # "Béziers (34)", "Conakry (Guinée)": part of the place
_CLOSING = re.compile(r"[^()\n]{0,40}\)")  # the rest of "Le Lamentin (Martinique" up to its ")"
_BEFORE_ADDRESS = re.compile(r"\b(?:lieu-?dit|lieudit)\s+\Z", re.IGNORECASE)  # "lieu-dit Kerhuel"
# the words that name a place ("quartier de la Belle de Mai", "zone d'activités du Marais"), and with them a
# street, a postal box or a foreign street
_PLACE_NOUN = (r"(?:quartier|hameau|cité|lieu-?dit|lieudit|zone\s+d['’]activités?|zone\s+(?:industrielle|artisanale|"
               r"commerciale)|parc\s+(?:d['’]activités?|logistique|industriel|technologique|commercial)|ZA|ZI|ZAC)")
_STREET = (r"(?:rue|route|chemin|avenue|boulevard|impasse|allée|place|quai|cours|sentier|voie|square|passage|mail|"
           f"{_PLACE_NOUN}|domaine|résidence|lotissement|centre\\s+commercial|immeuble|bâtiment|stade|port|ferme|"
           r"section|habitation|BP|B\.P\.|CS|TSA|[Ss]trada|[Vv]ia|[Cc]alle|[Rr]ua|[Aa]venida|[Ss]tra(?:ß|ss)e|"
           r"chaussée)")
_OF = r"(?:de\s+la|de\s+l['’]|du|des|de|d['’])"
_CAPITALIZED = r"[A-ZÀ-ÖØ-Þ][\w'’‐‑-]*"
_SPACE = r"[ \t\u00a0]+"
_COMMUNE = re.compile(r",?\s+(?:commune|ville)\s+(?:de\s+|d['’])")  # "lieu-dit Le Champ Rôti, commune de Rânes"
# before an address the tagger started late: "zone d'activités du" (Marais), "chemin des" (Caunes), "BP" (412),
# "Immeuble" (Le Phare), "BP 41" (, 69241 Lyon Cedex)
_PLACE_WORD_BEFORE = re.compile(f"(?<![\\w.]){_STREET}\\s+(?:{_OF}\\s*|\\d+[ \\t\\u00a0]*,?[ \\t\\u00a0]*)?\\Z",
                                re.IGNORECASE)
# between two pieces of one address tagged apart on one line ("chemin de" "Bois-Joli", "route de Saulx" ", "
# "lieu-dit Le Gué..."): spaces, or a comma or a dash before a street, a place word or a number; never a gap of
# the layout (two signatures side by side)
_PIECES_APART = re.compile(r"[ \t\u00a0]*")
_NEXT_PIECE = re.compile(r"[ \t\u00a0]*[,–-][ \t\u00a0]*")
_PIECE_START = re.compile(f"\\d|{_STREET}\\b", re.IGNORECASE)


def _next_piece(text: str, end: int, start: int) -> bool:
    """Whether an address piece at `start` follows one ending at `end` after a comma or a dash (", 200 rue...")."""
    return bool(_NEXT_PIECE.fullmatch(text, end, start) and _PIECE_START.match(text, start)
                and not _GAP.search(text, end, start))


def _joins(text: str, end: int, start: int) -> bool:
    """Whether an address piece at `start` continues one ending at `end`: spaces between them, or `_next_piece`."""
    return bool(_PIECES_APART.fullmatch(text, end, start) and not _GAP.search(text, end, start)) \
        or _next_piece(text, end, start)
# capitalized words alone at the start of the line before an address with a postcode: "La Cour" (Vimont, 14130...)
_POSTCODE = re.compile(r"\b\d{5}\b")
_HEADING_BEFORE = re.compile(r"(?:^|(?<=\n))[ \t]*(?:(?:Le|La|Les)[ \t]+|L['’])?(?:[A-ZÀ-ÖØ-Þ][\w'’‐‑-]*[ \t]+){0,3}\Z")
# "route de la Chaux à " before the town tagged alone, "47 avenue Jean-Jaurès à " (an address too)
_STREET_THEN_A = re.compile(f"(?:\\b\\d+(?:\\s?(?:bis|ter))?,?\\s+)?\\b{_STREET}\\s+(?:{_OF}\\s*)?{_CAPITALIZED}"
                            f"(?:\\s+(?:{_OF}\\s*)?{_CAPITALIZED}){{0,3}}\\s+à\\s+\\Z")


def complete_addresses(text: str, spans: list[Span]) -> list[Span]:
    """`spans` (sorted, not overlapping) with every address made whole, as a pseudonymization needs it: the
    "(département or country)" right after it taken in (and any span the tagger found inside it, "(79)" read as
    a date, unless a person's name), a parenthesis it opens closed, a "lieu-dit" right before it taken in, and the
    street before "à" and its town ("route de la Chaux à Marsac", "47 avenue Jean-Jaurès à Cenon"), a place and
    its commune ("lieu-dit Le Champ Rôti, commune de Rânes"), the pieces of one address tagged apart ("route de
    Saulx", "lieu-dit Le Gué, 62176 Airon"), and the words naming the street, the building or the place before one
    the tagger started late ("zone d'activités du" Marais, "chemin des" Caunes, "BP 41, " 69241 Lyon)."""
    out: list[Span] = []
    k = 0
    while k < len(spans):
        start, end, label, score = spans[k]
        k += 1
        if k < len(spans) and spans[k][2] in ADDRESS_LABELS and _next_piece(text, end, spans[k][0]) \
                and _PLACE_WORD_BEFORE.search(text, max(out[-1][1] if out else 0, start - 30), start):
            label = spans[k][2]  # "ZA du" + "Clos Gaillet" (read as a person) + ", 200 rue des Frênes...": a place
        if label in ADDRESS_LABELS:
            limit = out[-1][1] if out else 0
            heading = _HEADING_BEFORE.search(text, max(limit, start - 40), start)
            if heading and heading.start() < start and _POSTCODE.search(text, start, end):
                start = heading.start()  # "La Cour" + "Vimont, 14130 Saint-Hymer" on a line of its own
            before = _BEFORE_ADDRESS.search(text, max(limit, start - 12), start)
            street = _STREET_THEN_A.search(text, max(limit, start - 80), start)
            if before:
                start = before.start()
            elif street:
                start = street.start()
            elif word := _PLACE_WORD_BEFORE.search(text, max(limit, start - 30), start):
                start = word.start()
            between = text[out[-1][1]:start] if out and out[-1][2] in ADDRESS_LABELS else None
            if between is not None and (
                    (re.fullmatch(r"\s+à\s+", between) and _STREET_THEN_A.search(text, out[-1][0], start))
                    or _COMMUNE.fullmatch(between) or _joins(text, out[-1][1], start)):
                start = out.pop()[0]  # a street and its town, a place and its commune, pieces: one address
            opened = text.count("(", start, end) > text.count(")", start, end)
            after = (_CLOSING if opened else _AFTER_ADDRESS).match(text, end)
            if after:
                inside = k
                while inside < len(spans) and spans[inside][1] <= after.end() and not is_person(spans[inside][2]):
                    inside += 1
                if after.end() <= _start_of(spans, inside):
                    end, k = after.end(), inside
        out.append((start, end, label, score))
    return out


_LAST_INITIAL = re.compile(r"[^\W\d_][ \t\u00a0]+[A-ZÀ-ÖØ-Þ]\Z")  # "Roger D": a name, then an initial
_PARTICLE_END = re.compile(  # a span ending on a particle: " de", " van", " d'"
    f"(?:^|\\s)(?:{'|'.join(sorted(PARTICLES - {'d', 'l'}))})\\Z|(?:^|\\s)[dl]['’]\\Z", re.IGNORECASE)
_NAME_AFTER = re.compile(r"(?:\s?(?:[Dd]['’])?[A-ZÀ-ÖØ-Þ][\w'’-]*(?:\s(?:de|du|des|la|le|d['’]))?){1,4}")


# initials: "C.", "J.-P.", "Ph."
_INITIALS_ONLY = re.compile(f"(?:{INITIAL}\\.[\\s‐‑-]*)+")  # a name's initials, its surname after
_INITIALS_BEFORE = re.compile(f"(?<![\\w.])(?:{INITIAL}\\.[ ‐‑-]?)+ \\Z")  # "C. " before "Aubineau" (not "M. ")
# the titles before a name: a person's, and a lawyer's (also a notary's, a bailiff's, a mandataire's)
_PERSON_TITLE = r"(?:M|MM|Mme|Mmes|Mlle|Mr|Dr|Pr)\.?|Monsieur|Madame|Mademoiselle|[Dd]octeur|[Pp]rofesseur"
_LAWYER_TITLE = r"Me|Ma[iî]tre"
_ANY_TITLE = f"(?<![\\w.])(?:{_PERSON_TITLE}|{_LAWYER_TITLE})"
# a title then particles that the tagger left out of the name: "Monsieur de" (Saint-Amand), "M. d'" (Arvor)
_TITLE_THEN_PARTICLES = re.compile(
    f"{_ANY_TITLE}\\s+((?:de|du|des|van|von|ben|el|da|dos|di)\\s+(?:la\\s+|l['’])?|d['’])\\Z")


def complete_names(text: str, spans: list[Span]) -> list[Span]:
    """`spans` (sorted, not overlapping) with every person's name made whole: one that ends on a particle ("Hélène de
    La", "Jan van") or is only initials ("C.", signing) continued over the capitalized words after it ("Tour
    d'Auvergne", "Le Bihan") or over the name tagged right after it, one after a title over the untagged
    capitalized words after it ("Madame Thanh-Hương" + "Đỗ"), a surname in capitals over the first name after it
    ("YILDIRIM" + "Mehmet"), one written "SURNAME First-name" over its other first names after commas ("CHAUMEIL
    Bernard, Henri"; and back over "KOUADIO Yao, " before a tagged "Serge"), the particles between a title and
    the name ("Monsieur de") and the initials right before it ("C. Aubineau") taken in."""
    out: list[Span] = []
    k = 0
    while k < len(spans):
        start, end, label, score = spans[k]
        k += 1
        if is_person(label):
            if text[end:end + 1] == "." and end < _start_of(spans, k) and (
                    INITIAL_LETTERS.fullmatch(text, start, end) or _LAST_INITIAL.search(text, start, end)):
                end += 1  # "Ph" of "Ph. JOUFFROY", "D" of "Roger D.": an initial, its dot with it (not "Li")
            limit = out[-1][1] if out else 0
            particles = _TITLE_THEN_PARTICLES.search(text, max(limit, start - 30), start)
            initials = _INITIALS_BEFORE.search(text, max(limit, start - 12), start)
            if particles:
                start = particles.start(1)
            elif initials and text[initials.start():initials.end() - 1] not in ("M.", "MM."):
                start = initials.start()
            if _INITIALS_ONLY.fullmatch(text, start, end) and k < len(spans) and text[end:spans[k][0]] == " " \
                    and (spans[k][2] == label or not is_person(spans[k][2])) and text[spans[k][0]].isupper():
                end = spans[k][1]  # "I." and "Gaudichon" tagged apart, "C." and "Le Bihan" read as a place
                k += 1
            elif _PARTICLE_END.search(text, start, end) or _INITIALS_ONLY.fullmatch(text, start, end):
                after = _NAME_AFTER.match(text, end)
                if after and after.end() <= _start_of(spans, k):
                    longer = after.end()
                    while longer > end and _PARTICLE_END.search(text, start, longer):  # not on a particle either
                        longer = text.rfind(" ", start, longer)
                    end = max(end, longer)
            elif _TITLE_BEFORE.search(text, max(limit, start - 14), start):
                end = _name_words_after(text, end, _start_of(spans, k), 2)  # "Madame Thanh-Hương" + "Đỗ"
            elif (first := _FIRST_NAME_AFTER.match(text, end)) and _CAPITALS.fullmatch(text, start, end) \
                    and first.end(1) <= _start_of(spans, k):
                end = first.end(1)  # "YILDIRIM" + "Mehmet" (a line of its own, or before "née", "dit"...)
            if _FIRST_NAMES.fullmatch(text, start, end) and (
                    listed := _SURNAME_FIRSTS_BEFORE.search(text, max(limit, start - 80), start)):
                start = listed.start()  # "KOUADIO Yao, " untagged before "Serge"
            if _SURNAME_FIRST.fullmatch(text, start, end):  # "CHAUMEIL Bernard" + ", Henri"
                while (more := _MORE_FIRST_NAME.match(text, end)) is not None:
                    if k < len(spans) and spans[k][0] < more.end():
                        if spans[k][:2] != more.span(1):
                            break
                        k += 1  # the first name tagged alone (as a name, a judge's, a place)
                    end = more.end()
        out.append((start, end, label, score))
    return out


# "CHAUMEIL Bernard, Henri": a surname in capitals, a first name, and the other first names after commas
_LOWER = "[a-zß-öø-ÿ\u0100-\u024f\u1e00-\u1eff'’]"  # the rest of a first name: "ayşe", "hương"
_FIRST = f"[A-ZÀ-ÖØ-Þ]{_LOWER}+(?:[‐‑-][A-ZÀ-ÖØ-Þ]{_LOWER}+)?"  # "Henri", "Jean-Luc", "Ayşe"
# what may follow a person's first names: a comma, the line's end, "née X", "épouse X", "dit « X »"
_AFTER_FIRST_NAMES = r"(?=[ \t\u00a0]*(?:,|\n|\Z|(?:née?|épouse|époux|veuve|divorcée?|dite?)\b))"
_CAPITALS = re.compile(r"[A-ZÀ-ÖØ-Þ]{2,}(?:[ ‐‑-][A-ZÀ-ÖØ-Þ]{2,})*")  # "YILDIRIM", "LE GALL"
_SURNAME_FIRST = re.compile(f"{_CAPITALS.pattern}[ \\t\\u00a0]+{_FIRST}(?:,[ \\t\\u00a0]*{_FIRST})*")
_FIRST_NAMES = re.compile(f"{_FIRST}(?:,[ \\t\\u00a0]*{_FIRST})*")
_SURNAME_FIRSTS_BEFORE = re.compile(f"(?<![\\w'’‐‑-]){_SURNAME_FIRST.pattern},[ \\t\\u00a0]*\\Z")
_MORE_FIRST_NAME = re.compile(f",[ \\t\\u00a0]*({_FIRST}){_AFTER_FIRST_NAMES}")
_FIRST_NAME_AFTER = re.compile(f"[ \\t\\u00a0]+({_FIRST}){_AFTER_FIRST_NAMES}")


_NEXT_WORD = re.compile(r"[ \t\u00a0]+([^\W\d_][\w'’‐‑-]*)")
_TITLE_BEFORE = re.compile(f"{_ANY_TITLE}[ \\t\\u00a0]+\\Z")


def _name_words_after(text: str, end: int, limit: float, most: int) -> int:
    """Where a name ending at `end` ends once the capitalized words right after it (at most `most`, none past
    `limit`, none that names no one: `_NOT_NAMES`; no particle: "M. Paul de Lyon" may be Paul from Lyon) are
    taken in."""
    for _ in range(most):
        word = _NEXT_WORD.match(text, end)
        if word is None or word.end() > limit or not word.group(1)[0].isupper() \
                or word.group(1).casefold() in _NOT_NAMES:
            break
        end = word.end()
    return end


def _taken_in(text: str, spans: list[Span], start: int, end: int) -> list[Span] | None:
    """`spans` without those that a new span `[start, end)` takes in: the ones that are not a person's and have no
    letter outside it ("Köseoğlu" read as a place in "Mehmet Köseoğlu", ". L. »" read around "R. L."); None when
    another one overlaps it."""
    inside = [span for span in spans if span[0] < end and start < span[1] and not is_person(span[2])
              and not n_letters(text[span[0]:start]) and not n_letters(text[end:span[1]])]
    if any(span[0] < end and start < span[1] and span not in inside for span in spans):
        return None
    return [span for span in spans if span not in inside] if inside else spans


def _overlaps(spans: list[Span], start: int, end: int) -> bool:
    """Whether `[start, end)` overlaps one of `spans` (sorted, not overlapping): a bisection, not a scan."""
    k = bisect_left(spans, (end,))
    return k > 0 and spans[k - 1][1] > start


# a person named by initials: "X...", "Y…", or two or three initials standing alone ("mineur, L. M., est",
# "« J.-P. K. »"; not "M. X" nor "S.A.")
_INITIAL = re.compile(r"(?<![\w.])(?:[A-ZÀ-ÖØ-Þ](?:\.\.\.|…)(?![\w.])|(?!M\. )"
                      r"(?:[A-ZÀ-ÖØ-Þ]\.(?:-[A-ZÀ-ÖØ-Þ]\.)? ){1,2}[A-ZÀ-ÖØ-Þ]\.(?=[ \t\u00a0]*[,;)»”\"\n]|[ \t]*\Z))")


def add_initials(text: str, spans: list[Span], person: str) -> list[Span]:
    """`spans` and, as persons (label `person`), the untagged initials followed by an ellipsis ("un autre client,
    X..., mineur") or standing alone ("un mineur, L. M., est poursuivi"): the conventions that name a person
    already pseudonymized or kept anonymous; whatever the tagger read around them that holds no other letter."""
    found = []
    for match in _INITIAL.finditer(text):
        rest = _taken_in(text, spans, *match.span())
        if rest is not None:
            spans = rest
            found.append((*match.span(), person, 1.0))
    return sorted(spans + found) if found else spans


# a name after a title: "Mme Đỗ", "M. Gérard de La Rochebrune", "Me Sylvain Mauriac, commissaire de justice"
# (and after a word of kinship: "son fils Duarte", "sa fille Lina", "leur enfant Mai", "les consorts Fontaine")
_KINSHIP = (r"(?:[Ss]on|[Ss]a|[Ll]eur|[Ll]e|[Ll]a|[Uu]n|[Uu]ne)[ \t\u00a0]+(?:demi-|petite?-|grand-|arrière-petite?-|"
            r"beau-|belle-)?(?:fils|fille|frère|sœur|soeur|enfant|père|mère|époux|épouse|mari|compagnon|compagne|"
            r"concubine?|neveu|nièce|oncle|tante|cousine?)|(?:[Ll]es|[Dd]es|[Aa]ux|[Ll]a|[Dd]e la)[ \t\u00a0]+"
            r"(?:consorts|époux|famille)")
_KIN_PLURAL = (r"(?:[Ll]es|[Ss]es|[Ll]eurs|[Dd]es|[Dd]eux|[Tt]rois)[ \t\u00a0]+(?:petits-)?"
               r"(?:enfants|fils|filles|frères|sœurs|soeurs)")
_TITLE = re.compile(
    f"(?<![\\w.])(?:(?:{_PERSON_TITLE}|{_KINSHIP}|{_KIN_PLURAL}|[Ll]a personne|née|épouse|veuve)|({_LAWYER_TITLE}))"
    r"[ \t\u00a0]+")
# first names in an apposition after a word of kinship: "son fils, Andrei, a vu", "l'un des enfants, Darius, dit",
# "les enfants, Matei et Sânziana, vivent"
_KIN_APPOSITION = re.compile(f"(?<![\\w.])(?:{_KINSHIP}|{_KIN_PLURAL}|[Ll]['’]une? des enfants)[ \\t\\u00a0]*,"
                             f"[ \\t\\u00a0]*({_FIRST}(?:(?:,|{_SPACE}et){_SPACE}{_FIRST})*)(?=[ \\t\\u00a0]*,)")
_FIRST_NAME = re.compile(_FIRST)
_NAME_PIECE = re.compile(r"[ \t\u00a0]*(?:(?:de|du|des|van|von|ben|el|da|dos|di|de la|de l['’]|d['’])[ \t\u00a0]*)?"
                         r"([^\W\d_][\w'’‐‑-]*)")
# words that follow a title without naming anyone ("M. le Président", "Madame la Procureure" are lower case)
_NOT_NAMES = TITLES | frozenset(("président", "présidente", "procureur", "procureure", "bâtonnier", "conseiller",
                        "conseillère", "juge", "greffier", "greffière", "avocat", "avocate", "maire", "préfet",
                        "préfète", "directeur", "directrice", "ministre", "expert", "experte"))
# after "Me": the professions that are not a lawyer's (notaries, bailiffs, mandataires are persons)
_NOT_LAWYER = re.compile(r"\s*,?\s*(?:(?:étant|a été|ayant été)\s+)?(?:désignée?\s+|nommée?\s+)?"
                         r"(?:(?:en qualité|ès qualités?)\s+(?:de\s+|d['’]))?(?:notaire|huissier|"
                         r"commissaire|mandataire|liquidateur|administrat(?:eur|rice))", re.IGNORECASE)


def add_titled_names(text: str, spans: list[Span], person: str) -> list[Span]:
    """`spans` and, as persons (label `person`), the untagged names after a title ("Madame Đỗ expose"; also after
    "née", "épouse", "veuve" and a word of kinship, "son fils Duarte", "les enfants, Matei et Sânziana,"):
    capitalized words, with their particles, up to four. Left untagged: a name with a court role in its clause
    (`analysis.role_flag`, a judge the tagger missed) and one after "Me" or "Maître" unless a notary's, a
    bailiff's or a mandataire's (a lawyer)."""
    found = []
    for title in _TITLE.finditer(text):
        start = end = title.end()
        words = 0
        while words < 4:
            piece = _NAME_PIECE.match(text, end)
            if piece is None or not piece.group(1)[0].isupper() or piece.group(1).casefold() in _NOT_NAMES:
                break
            if words == 0:
                start = piece.start() + len(piece.group()) - len(piece.group().lstrip(" \t\u00a0"))
            end, words = piece.end(), words + 1
        rest = _taken_in(text, spans, start, end) if words else None
        if rest is None:  # "Me Bérangère" + "de La Roncière" read as an organization: taken in
            continue
        lawyer_title = title.group(1) is not None
        if lawyer_title and not _NOT_LAWYER.match(text, end):
            continue
        if not lawyer_title and role_flag("JUDGE_CLERK", text, start, end):
            continue
        spans = rest
        found.append((start, end, person, 1.0))
    for apposed in _KIN_APPOSITION.finditer(text):
        for name in _FIRST_NAME.finditer(text, *apposed.span(1)):
            if fold(name.group()) not in _NOT_NAMES and not _overlaps(spans, *name.span()) and \
                    not any(f[0] == name.start() for f in found):
                found.append((*name.span(), person, 1.0))
    return sorted(spans + found) if found else spans


def join_places(text: str, spans: list[Span]) -> list[Span]:
    """`spans` (sorted, not overlapping) with two places that are pieces of one address (`_joins`) made one: a
    named place and the address the tagger found after it ("zone commerciale du Pont-Rouge" ", BP 40117, 59321
    Englos CEDEX")."""
    out: list[Span] = []
    for span in spans:
        if out and out[-1][2] in ADDRESS_LABELS and span[2] in ADDRESS_LABELS and _joins(text, out[-1][1], span[0]):
            span = (out.pop()[0], *span[1:])
        out.append(span)
    return out


# "à Ars-sur-Moselle", "à Le Lamentin (Martinique)": a place; a capitalized word after it ("à Yannick Le Gall")
# makes a person's name more likely, left to the tagger
_PLACE_AFTER_A = re.compile(
    r"(?<![\w'’])(?:à|a\u0300)[ \t\u00a0]+((?:(?:Le|La|Les)[ \t\u00a0]+|L['’])?[A-ZÀ-ÖØ-Þ][^\W\d_]*"
    r"(?:[-‐‑'’][^\W\d_]+)*(?![\w'’‐‑-])(?:[ \t\u00a0]*\([^()\n]{1,40}\))?)"
    f"(?![ \\t\\u00a0]*(?!(?:{_PERSON_TITLE}|{_LAWYER_TITLE})\\b)[A-ZÀ-ÖØ-Þ\\d])")
_ELIDED_NOUN = re.compile(r"[LlDd]['’][a-zà-ÿ]")  # "L'appelant": an article and a noun, neither name nor place
_NOT_PLACES = TITLES | {"mm", "noël", "pâques", "dieu", "toussaint", "état", "etat", "ce", "cet", "cette"}


_NAMED_PLACE = re.compile(  # "quartier de la Belle de Mai", "hameau des Granges", "ZI du Moulin"
    f"\\b(?i:{_PLACE_NOUN})\\s+(?:{_OF}\\s*)?{_CAPITALIZED}(?:\\s+(?:{_OF}\\s*)?{_CAPITALIZED}){{0,3}}")


# the town of a police station, a station, a port, a rest area, a bank's agency, a depot, a plant, a town hall, a
# shop, a stable, a house ("commissariat de Brévannes", "la commune d'Yerville", "la maison familiale de Las Bordes";
# not one followed by another capitalized word: "agence du Crédit Mutuel")
_TOWN_OF = re.compile(r"\b(commissariat|gendarmerie|gare|port|aéroport|aire\s+de\s+(?:repos|service)|agence|dépôt|"
                      r"commune|bureau|mairie|magasin|atelier|écurie|maison(?:\s+familiale)?|"
                      f"usine|entrepôt|site)\\s+(?:de\\s+|d['’]|du\\s+)((?:(?:Le|La|Les|Las|Los|Lou)\\s+|[Ll]['’])?"
                      f"{_CAPITALIZED})"
                      r"(?![\w'’‐‑-])(?!\s+[A-ZÀ-ÖØ-Þ])")
# "né au Mali", "notaire au Moule", "dont le siège est au Mesnil-Jean (61)": a place after "au" or "aux" where
# a residence, a birth or an office is said ("au Tribunal", "au Trésor" elsewhere are not places)
_PLACE_AFTER_AU = re.compile(
    r"\b(?:née?s?|demeurante?s?|domiciliée?s?|résidante?s?|installée?s?|notaire|siège\s+est)"
    r"[ \t\u00a0]+aux?[ \t\u00a0]+([A-ZÀ-ÖØ-Þ][^\W\d_]*(?:[-‐‑'’][^\W\d_]+)*(?:[ \t\u00a0]*\([^()\n]{1,40}\))?)")


def add_places(text: str, spans: list[Span], place: str) -> list[Span]:
    """`spans` and, as places (label `place`), the untagged capitalized words after "à" ("voisin de l'appelant à
    Ars-sur-Moselle": the residence, the birthplace, the place of the facts; not a title, not an acronym of three
    letters or less; its "(25)" whatever the tagger read there) and the named places ("un bar du quartier de la
    Belle de Mai", whatever the tagger read inside them but a person's name) and the town of a police station, a
    station, a port, a rest area, an agency, a depot, a plant, a town hall, a shop, a stable or a house, and of "la
    commune de" ("plainte au commissariat de Brévannes", taken out of an organization read around it), and the
    place after "au" or "aux" where a birth, a residence or an office is said ("né au Mali", "notaire au Moule")."""
    found: list[Span] = []

    def claim(start: int, end: int) -> None:  # whatever the tagger read inside the place, but a person's name
        nonlocal spans
        if any(a <= start and end <= b and label in ADDRESS_LABELS for a, b, label, _ in spans):
            return  # a place already, maybe longer: "Longpré-les-Corps-Saints (80)"
        rest = _taken_in(text, spans, start, end)
        if rest is not None and not _overlaps(found, start, end):
            spans = rest
            found.append((start, end, place, 1.0))

    for match in _PLACE_AFTER_A.finditer(text):
        start, end = match.span(1)
        word = NAME_WORD.match(text, start)
        if word is None or fold(word.group()) in _NOT_PLACES or (word.group().isupper() and len(word.group()) <= 3) \
                or _ELIDED_NOUN.match(text, start) or _overlaps(spans, start, word.end()):
            continue
        claim(start, end)  # "à Houtaud (25)", "25)" read as a place alone
    for match in _PLACE_AFTER_AU.finditer(text):
        claim(*match.span(1))
    for match in _NAMED_PLACE.finditer(text):  # "Belle de Mai" of "quartier de la Belle de Mai", an organization
        claim(*match.span())
    for match in _TOWN_OF.finditer(text):  # "gendarmerie de Pont-de-Beauvoisin" read as an organization: its town
        start, end = match.span(2)
        if fold(text[start:end]) in _NOT_PLACES:  # "la maison de M. Roux": a person's
            continue
        around = [span for span in spans if span[0] <= start and end <= span[1] and not is_person(span[2])
                  and span[2] not in ADDRESS_LABELS]
        if around:
            spans = [span for span in spans if span != around[0]]
            if around[0][0] < match.end(1):
                spans = sorted([*spans, (around[0][0], match.end(1), *around[0][2:])])
        claim(start, end)
    return sorted(spans + found) if found else spans


# "Mai, née en 2011": capitalized words right before ", né(e) le / en / à" name a person
_BORN_AFTER = re.compile(r"(?<![\w'’‐‑-])((?:[A-ZÀ-ÖØ-Þ][\w'’‐‑-]*[ \t\u00a0]+){0,3}[A-ZÀ-ÖØ-Þ][\w'’‐‑-]*),?"
                         r"[ \t\u00a0]+n[ée]e?s?[ \t\u00a0]+(?:le|en|à|au)\b")


# the parents after a birth: "fils de Mehmet Köseoğlu et de Emine Aksoylu", "..., de Paul Ney et d'Anne Roux"
_PARENT = (f"{_CAPITALIZED}(?:{_SPACE}(?:(?:de|du|des|le|la|da|dos|ben|el|van){_SPACE})?{_CAPITALIZED}){{0,3}}")
_OF_PARENT = f"(?:de{_SPACE}|d['’])"
_PARENTS = re.compile(f"(?:\\b(fils|fille)|,){_SPACE}{_OF_PARENT}({_PARENT}){_SPACE}et{_SPACE}{_OF_PARENT}({_PARENT})")


def add_born_names(text: str, spans: list[Span], person: str) -> list[Span]:
    """`spans` and, as persons (label `person`), the untagged capitalized words just before ", né(e) le / en / à"
    ("Louis, né en 2008, Mai, née en 2011"): whoever is born is a person ("L'appelant, né le" is not a name); and
    the parents named after "fils de" / "fille de" (or after a comma, with a first name and a surname each: "né le
    ... à Kayseri, de Mehmet Köseoğlu et de Emine Aksoylu"), whatever the tagger read inside their names but a
    person's name."""
    found = []
    for match in _BORN_AFTER.finditer(text):
        start, end = match.span(1)
        if fold(NAME_WORD.match(text, start).group()) in _NOT_NAMES or _ELIDED_NOUN.match(text, start):
            continue
        if not _overlaps(spans, start, end):
            found.append((start, end, person, 1.0))
    for match in _PARENTS.finditer(text):
        names = [match.span(2), match.span(3)]
        if match.group(1) is None and any(len(NAME_WORD.findall(text, *span)) < 2 for span in names):
            continue
        for start, end in names:
            rest = _taken_in(text, spans, start, end)
            if rest is not None and not _overlaps(sorted(found), start, end):
                spans = rest
                found.append((start, end, person, 1.0))
    return sorted(spans + found) if found else spans


# a role of the court right after a name ("M. Luc Sarre, substitut général", "Mme Roux, présidente,"): "président"
# and "conseiller" only alone or with the court's complement ("présidente du chantier", "conseillère en
# patrimoine" are not the court's)
_COURT_ROLE_AFTER = re.compile(
    f"[ \\t\\u00a0]*,[ \\t\\u00a0]*{COURT_RANK}(?:{COURT_ONLY_ROLE}\\b|{PRESIDING_ROLE}"
    f"(?=[ \\t\\u00a0]*(?:[,;.:)\\n]|\\Z|de{_SPACE}(?:la{_SPACE})?chambre|rapporteure?|à{_SPACE}la{_SPACE}cour)))",
    re.IGNORECASE)
_LISTED = re.compile(r",[ \t\u00a0]*|[ \t\u00a0]+et[ \t\u00a0]+")  # between two names of a list
_COURT_ROLES_AFTER = re.compile(r"[ \t\u00a0]*,[ \t\u00a0]*(?:conseill[eè]re?s|assesseure?s|magistrate?s|juges)\b",
                                re.IGNORECASE)  # a plural role after a list of names: "..., conseillers"
# a role of the court right before a name: "le procureur de la République, M. Stéphane Garnotel,"
_COURT_ROLE_BEFORE = re.compile(
    f"\\b(?:procureure?(?:{_SPACE}de{_SPACE}la{_SPACE}République)?|substitute?|avocate?{_SPACE}g[ée]n[ée]rale?|"
    r"greffi[eè]re?)[ \t\u00a0]*,[ \t\u00a0]*(?:(?:M|Mme|Mlle)\.?|Monsieur|Madame)?[ \t\u00a0]*\Z", re.IGNORECASE)
_JUDGE = "JUDGE_CLERK"  # the bundled model's label of judges, clerks and prosecutors


def relabel_professions(text: str, spans: list[Span], person: str) -> list[Span]:
    """`spans` with a lawyer's name followed by a profession that is not a lawyer's ("Maître Sylvie Faucher,
    notaire") relabeled a person (`person`): notaries, bailiffs and mandataires are not the court's people; and,
    for the bundled model's labels (`person` is PERS: other models name no judges), a person's name followed by a
    role of the court ("M. Luc Sarre, substitut général"; "Jean Roux et Lise Faure, conseillers" for both) or
    preceded by a prosecutor's or a clerk's ("le procureur de la République, M. X,"), or on a line of the court's
    composition ("Conseillers : Madame X, Monsieur Y"), relabeled a judge, kept."""
    judge = _JUDGE if person == "PERS" else None
    out = []
    for start, end, label, score in spans:
        if label == "LAWYER" and _NOT_LAWYER.match(text, end):
            label = person
        elif judge and label == person and (_COURT_ROLE_AFTER.match(text, end) or on_court_line(text, start)
                                            or _COURT_ROLE_BEFORE.search(text, max(0, start - 60), start)):
            label = judge
        out.append((start, end, label, score))
    plural = [bool(_COURT_ROLES_AFTER.match(text, end)) for _, end, _, _ in out]  # "..., conseillers" after it
    for k in range(len(out) - 2, -1, -1):  # "A, B et C, conseillers": back over the names listed before the role
        start, end, label, score = out[k]
        if plural[k + 1] and out[k + 1][2] == judge and _LISTED.fullmatch(text, end, out[k + 1][0]):
            plural[k] = True
            if label == person:
                out[k] = (start, end, judge, score)
    return out


@functools.lru_cache(maxsize=64)
def rule_labels(types: tuple[str, ...]) -> tuple[str | None, str | None]:
    """The labels, among the replaced `types`, that the passes give what they find: (a person's, a place's);
    None where no type is one ("PERS"/"ADDRESS" for the bundled model, "PER"/"LOC" for others)."""
    person = next((t for t in types if is_person(t) and t not in ROLE_LABELS), None)
    place = next((t for t in types if t in ADDRESS_LABELS), None) or next(
        (t for t in types if t in LOCALITY_LABELS), None)
    return person, place


def _rule_passes(text: str, spans: list[Span], person: str | None, place: str | None) -> list[Span]:
    """The passes of `store_spans`, in order."""
    spans = complete_addresses(text, relabel_professions(text, spans, person) if person else spans)
    spans = complete_names(text, spans)
    if person:
        spans = add_titled_names(text, add_initials(text, spans, person), person)
    if place:
        spans = join_places(text, add_places(text, spans, place))
    if person:
        spans = add_born_names(text, spans, person)
    return spans


_LINE_BREAK = re.compile(f"[{LINE_BREAKS}]")


def on_read_text(text: str, spans: list[Span], passes: Callable[[str, list[Span]], list[Span]]) -> list[Span]:
    """`passes(text, spans)` run on the text as the model reads it (`clean_text`: NFC, no soft hyphens or
    zero-width characters), so that their patterns ("épouse", "né le") match however the text was encoded; the
    spans they return mapped back to `text`, cut at the line and paragraph separators read there as spaces."""
    clean, where = clean_text(text)
    if where is None:
        return passes(text, spans)
    read = [(*where.cleaned(start, end), label, score) for start, end, label, score in spans]
    out: list[Span] = []
    for start, end, label, score in passes(clean, [span for span in read if span[0] < span[1]]):
        start, end = where.original(start, end)
        for piece in (*_LINE_BREAK.finditer(text, start, end), None):
            stop = piece.start() if piece else end
            if text[start:stop].strip():
                out.append((start, stop, label, score))
            start = piece.end() if piece else end
    return out


def store_spans(store: SpanStore, text: str, spans: list[Span], offset: int = 0,
                pseudonymize: bool = True, types: Collection[str] = DEFAULT_TYPES) -> None:
    """Add the `spans` of `text` (a sentence or a document; sorted, not overlapping) to `store`, shifted by
    `offset`, cut at the gaps of the layout (`split_at_gaps`), with their flags (a birth date; pseudonymizing: a
    judge's or lawyer's role nearby). `pseudonymize`:
    names and addresses made whole (`complete_names`, `complete_addresses`), the persons and places the tagger
    missed added (`add_initials`, `add_titled_names`, `add_places` and `join_places`, `add_born_names`; labeled
    with the replaced `types`' own: `rule_labels`), and the place of birth after a birth date ("née le ... à
    Béziers (34)") stored as a place, tagged or not, whatever type the tagger gave the spans inside it (a town
    read as a person)."""
    spans = split_at_gaps(text, spans)
    person, place = rule_labels(tuple(types)) if pseudonymize else (None, None)
    if pseudonymize:
        spans = on_read_text(text, spans, functools.partial(_rule_passes, person=person, place=place))
    k = 0
    while k < len(spans):
        start, end, label, score = spans[k]
        k += 1
        flags = BIRTH if label in DATE_LABELS and is_birth_date(text[max(0, start - 60):start]) else 0
        if pseudonymize:  # only the pseudonymization reads the roles (`demote_roleless`)
            flags |= role_flag(label, text, start, end)
            if (is_person(label) or label in ROLE_LABELS) and _NOT_LAWYER.match(text, end):
                flags |= NOT_COURT
        store.add(offset + start, offset + end, label, score, text[start:end], flags)
        birthplace = birthplace_after(text, end) if flags & BIRTH and place else None
        if birthplace is None:
            continue
        inside = k
        while inside < len(spans) and spans[inside][1] <= birthplace[1]:  # spans within the place
            inside += 1
        if birthplace[1] <= _start_of(spans, inside):  # none crosses its end
            store.add(offset + birthplace[0], offset + birthplace[1], place, score,
                      text[birthplace[0]:birthplace[1]], BIRTH)
            k = inside


