"""data·inclusion referentials (thematiques, publics), taken from data-inclusion-schema."""

from functools import lru_cache

from data_inclusion.schema.v1 import Categorie, Public, Thematique

from ..errors import ValidationFailed

SEPARATOR = "--"


@lru_cache(maxsize=1)
def thematiques():
    """Return {code: label} for every category and sub-category, categories included."""
    labels = {c.value: c.label for c in Categorie}
    labels.update({t.value: t.label for t in Thematique})
    return labels


@lru_cache(maxsize=1)
def top_categories():
    return {c.value: c.label for c in Categorie}


@lru_cache(maxsize=1)
def publics():
    return {p.value: p.label for p in Public}


# Only the languages people are likely to ask for get a French name; others show their code.
LANGUAGE_NAMES = {
    "fr": "français", "en": "anglais", "ar": "arabe", "es": "espagnol", "pt": "portugais",
    "it": "italien", "de": "allemand", "ru": "russe", "uk": "ukrainien", "tr": "turc",
    "ro": "roumain", "pl": "polonais", "zh": "chinois", "vi": "vietnamien", "fa": "persan",
    "ps": "pachto", "ku": "kurde", "ti": "tigrigna", "so": "somali", "wo": "wolof",
    "bm": "bambara", "ln": "lingala", "sq": "albanais", "hy": "arménien", "ka": "géorgien",
    "ta": "tamoul", "bn": "bengali", "ur": "ourdou", "sw": "swahili", "nl": "néerlandais",
}


def language_name(code):
    return LANGUAGE_NAMES.get(code, code)


def category_label(code):
    return thematiques().get(code, code)


def audience_label(code):
    return publics().get(code, code)


def grouped_thematiques():
    """Return [(category code, label, [(sub code, label), …]), …] for grouped select lists."""
    groups = []
    for code, label in top_categories().items():
        subs = [(c, lbl) for c, lbl in thematiques().items() if c.startswith(code + SEPARATOR)]
        groups.append((code, label, subs))
    return groups


def expand_categories(codes, *, field="categories"):
    """Validate category codes; a top-level code stands for itself and all its sub-codes."""
    known = thematiques()
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise ValidationFailed.field(field, "Catégorie inconnue : " + ", ".join(unknown[:5]) +
                                     " (codes « thematiques » de data·inclusion attendus).")
    expanded = set()
    for code in codes:
        expanded.add(code)
        if SEPARATOR not in code:
            expanded.update(c for c in known if c.startswith(code + SEPARATOR))
    return sorted(expanded)


def check_categories(codes, *, field="categories"):
    """Validate codes to be stored on a resource or a referral (sub-codes or categories)."""
    expand_categories(codes, field=field)
    return list(dict.fromkeys(codes))


def check_audiences(codes, *, field="audiences"):
    known = publics()
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise ValidationFailed.field(field, "Public inconnu : " + ", ".join(unknown[:5]) +
                                     " (codes « publics » de data·inclusion attendus).")
    return list(dict.fromkeys(codes))
