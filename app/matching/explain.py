"""Reasons an officer can repeat: each factor of a candidate's score, and why a request went
unserved, in sentences, in English or French."""

from collections.abc import Iterable
from typing import Any

from app.matching.scoring import WEIGHTS, ProviderOffer, RequestNeeds, geography

LANGUAGES = ("en", "fr")

ASSISTANCE_TYPES: dict[str, tuple[str, str]] = {
    "legislative_review": ("legislative review", "l'examen de la législation"),
    "nhri_establishment_or_strengthening": (
        "NHRI establishment or strengthening",
        "la création ou le renforcement d'une INDH",
    ),
    "nmrf_support": ("NMRF support", "l'appui aux mécanismes nationaux de suivi (MNRS)"),
    "human_rights_indicators_and_data": (
        "human rights indicators and data",
        "les indicateurs et données relatifs aux droits de l'homme",
    ),
    "training_of_officials": ("training of officials", "la formation des fonctionnaires"),
    "parliamentary_engagement": ("parliamentary engagement", "l'engagement parlementaire"),
    "gender_mainstreaming": ("gender mainstreaming", "l'intégration des questions de genre"),
    "economic_social_cultural_rights": (
        "economic, social and cultural rights",
        "les droits économiques, sociaux et culturels",
    ),
    "transitional_justice": ("transitional justice", "la justice transitionnelle"),
    "civic_space_and_participation": (
        "civic space and participation",
        "l'espace civique et la participation",
    ),
    "human_rights_education": ("human rights education", "l'éducation aux droits de l'homme"),
    "treaty_reporting": ("treaty reporting", "les rapports aux organes conventionnels"),
    "rule_of_law_and_justice": ("rule of law and justice", "l'état de droit et la justice"),
    "other": ("other assistance", "une autre assistance"),
}

LANGUAGE_NAMES: dict[str, tuple[str, str]] = {
    "en": ("English", "anglais"),
    "fr": ("French", "français"),
    "es": ("Spanish", "espagnol"),
    "ar": ("Arabic", "arabe"),
    "ru": ("Russian", "russe"),
    "zh": ("Chinese", "chinois"),
    "pt": ("Portuguese", "portugais"),
    "bn": ("Bengali", "bengali"),
    "hi": ("Hindi", "hindi"),
    "ne": ("Nepali", "népalais"),
    "ur": ("Urdu", "ourdou"),
    "sw": ("Swahili", "swahili"),
    "de": ("German", "allemand"),
    "fa": ("Persian", "persan"),
    "tr": ("Turkish", "turc"),
    "id": ("Indonesian", "indonésien"),
    "am": ("Amharic", "amharique"),
    "so": ("Somali", "somali"),
    "uk": ("Ukrainian", "ukrainien"),
    "ps": ("Pashto", "pachto"),
    "my": ("Burmese", "birman"),
    "km": ("Khmer", "khmer"),
    "vi": ("Vietnamese", "vietnamien"),
    "th": ("Thai", "thaï"),
    "ha": ("Hausa", "haoussa"),
}

MODALITIES: dict[str, tuple[str, str]] = {
    "remote": ("remotely", "à distance"),
    "in_country": ("in the country", "dans le pays"),
    "regional": ("regionally", "au niveau régional"),
}


def language_of(accept_language: str | None) -> str:
    """`fr` when the caller's `Accept-Language` prefers French over English, else `en`."""
    from app.taxonomies.service import negotiate_language

    return "fr" if negotiate_language(accept_language) == "fr" else "en"


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "fr" else pair[0]


def assistance_type_name(code: str, lang: str) -> str:
    return _pick(ASSISTANCE_TYPES.get(code, (code.replace("_", " "),) * 2), lang)


def language_name(code: str, lang: str) -> str:
    return _pick(LANGUAGE_NAMES.get(code, (code, code)), lang)


def _listed(names: Iterable[str], lang: str, joiner: str = "and") -> str:
    items = list(names)
    word = {"and": ("and", "et"), "or": ("or", "ou")}[joiner][lang == "fr"]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def _languages(codes: Iterable[str], lang: str, joiner: str = "and") -> str:
    return _listed(sorted(language_name(c, lang) for c in codes), lang, joiner)


def _percent(value: float) -> str:
    return f"{round(value * 100)}%"


def explanation(
    need: RequestNeeds, offer: ProviderOffer, reasons: dict[str, float], lang: str
) -> list[dict[str, Any]]:
    """Every factor with its weight, value, contribution to the score and a sentence."""
    return [
        {
            "factor": factor,
            "weight": weight,
            "value": reasons[factor] / weight,
            "contribution": reasons[factor],
            "text": sentence(factor, need, offer, lang),
        }
        for factor, weight in WEIGHTS.items()
    ]


def sentence(factor: str, need: RequestNeeds, offer: ProviderOffer, lang: str) -> str:
    """One factor of a pairing, as an officer would say it."""
    fr = lang == "fr"
    if factor == "assistance_type":
        name = assistance_type_name(need.assistance_type, lang)
        return f"propose {name}" if fr else f"offers {name}"
    if factor == "languages":
        return _language_sentence(need, offer, lang)
    if factor in ("thematic", "sdg_targets"):
        wanted = need.themes if factor == "thematic" else need.sdg_targets
        held = offer.themes if factor == "thematic" else offer.sdg_targets
        return _coverage_sentence(factor, wanted, held, lang)
    if factor == "geography":
        return _geography_sentence(need, offer, lang)
    if factor == "availability":
        days = _window_share(need, offer)
        return (
            f"disponible {_percent(days)} de la période"
            if fr
            else (f"free for {_percent(days)} of the window")
        )
    if factor == "modality":
        how = _pick(MODALITIES.get(need.modality, (need.modality, need.modality)), lang)
        return f"travaille {how} (comme demandé)" if fr else f"works {how} (as requested)"
    if factor == "capacity":
        if fr:
            places = "place restante" if offer.remaining == 1 else "places restantes"
            return f"{offer.remaining} {places} sur {offer.capacity}"
        places = "place" if offer.capacity == 1 else "places"
        return f"{offer.remaining} of {offer.capacity} {places} left"
    raise ValueError(f"no sentence for factor {factor}")


def _language_sentence(need: RequestNeeds, offer: ProviderOffer, lang: str) -> str:
    fr = lang == "fr"
    spoken = need.languages & offer.languages
    names = _languages(spoken, lang)
    if spoken == need.languages:
        if len(spoken) == 1:
            return f"parle {names} (demandé)" if fr else f"speaks {names} (requested)"
        both = len(spoken) == 2
        if fr:
            return f"parle {names} ({'les deux' if both else 'toutes'} demandées)"
        return f"speaks {names} ({'both' if both else 'all'} requested)"
    missing = _languages(need.languages - offer.languages, lang)
    share = f"{len(spoken)}/{len(need.languages)}"
    if fr:
        return f"parle {names} ({share} des langues demandées ; pas {missing})"
    return f"speaks {names} ({share} of the requested languages; not {missing})"


def _coverage_sentence(factor: str, wanted: frozenset[str], held: frozenset[str], lang: str) -> str:
    fr = lang == "fr"
    themes = factor == "thematic"
    noun = ("themes", "thèmes") if themes else ("SDG targets", "cibles des ODD")
    if not wanted:
        if fr:
            return "aucun thème demandé" if themes else "aucune cible des ODD demandée"
        return f"no {noun[0]} requested"
    covered = sorted(wanted & held)
    listed = f" ({', '.join(covered)})" if covered else ""
    if fr:
        agreed = "demandés" if themes else "demandées"
        return f"couvre {len(covered)} des {len(wanted)} {noun[1]} {agreed}{listed}"
    return f"covers {len(covered)} of {len(wanted)} requested {noun[0]}{listed}"


def _geography_sentence(need: RequestNeeds, offer: ProviderOffer, lang: str) -> str:
    fr = lang == "fr"
    level = geography(need, offer)
    if level == "state":
        return (
            f"couvre {need.state_code} (le pays)" if fr else f"covers {need.state_code} (the State)"
        )
    if level == "sub_region":
        if fr:
            return f"couvre {need.sub_region} (la sous-région)"
        return f"covers {need.sub_region} (the sub-region)"
    if level == "region":
        return f"couvre {need.region} (la région)" if fr else f"covers {need.region} (the region)"
    if fr:
        return f"ne couvre ni {need.state_code} ni sa région : à distance seulement"
    return f"covers neither {need.state_code} nor its region: remote only"


def _window_share(need: RequestNeeds, offer: ProviderOffer) -> float:
    from app.matching.scoring import _days_available

    return _days_available(need, offer) / ((need.window_end - need.window_start).days + 1)


# --- why a request went unserved ---------------------------------------------------------------


def unmatched_reasons(
    need: RequestNeeds,
    eliminations: list[tuple[str, int]],
    min_score: float,
    best_score: float,
    lang: str = "en",
) -> list[str]:
    """In words, from `Roster.eliminations`: the constraint that left no provider, described
    with the ones before it; or, when candidates remained, that they went to other requests."""
    fr = lang == "fr"
    kind = assistance_type_name(need.assistance_type, lang)
    languages = _languages(need.languages, lang, "or")
    where = f"{need.sub_region}, {need.region}" if need.sub_region else need.region
    last, left = eliminations[-1]
    if left > 0:
        if fr:
            return [
                f"ses {left} candidat(s) ont été attribués à des demandes de poids plus élevé "
                "(priorité x score)"
            ]
        candidates = "candidate was" if left == 1 else f"{left} candidates were"
        return [f"its {candidates} given to requests of higher weight (priority x score)"]
    before = dict(eliminations[:-1])
    if last == "assistance_type":
        return [f"aucun fournisseur ne propose {kind}" if fr else f"no provider offers {kind}"]
    if last == "languages":
        if fr:
            return [f"aucun fournisseur ne propose {kind} en {languages}"]
        return [f"no provider offers {kind} in {languages}"]
    offering = (
        f"{before.get('languages', 0)} fournisseur(s) proposant {kind} en {languages}"
        if fr
        else f"{before.get('languages', 0)} provider(s) offering {kind} in {languages}"
    )
    how = _pick(MODALITIES.get(need.modality, (need.modality, need.modality)), lang)
    window = f"{need.window_start.isoformat()} to {need.window_end.isoformat()}"
    if last == "modality":
        if fr:
            return [f"aucun des {offering} ne travaille {how} (demandé pour {where})"]
        return [f"none of the {offering} works {how} (requested for {where})"]
    if last == "peer_state":
        if fr:
            return [f"les seuls candidats sont {need.state_code} lui-même, comme État pair"]
        return [f"the only candidate is {need.state_code} itself, as a peer State"]
    if last == "availability":
        if fr:
            return [f"aucun des {offering} n'est disponible du {window}"]
        return [f"none of the {offering} is available {window}"]
    if last == "capacity":
        return ["les seuls candidats sont complets" if fr else "the only candidates are full"]
    # min_score
    if fr:
        return [
            f"les seuls candidats ont un score inférieur au minimum de {min_score:.2f} "
            f"(meilleur : {best_score:.2f})"
        ]
    return [
        f"the only candidates score below the minimum of {min_score:.2f} "
        f"(best {best_score:.2f}) for {kind} in {languages} for {where}"
    ]
